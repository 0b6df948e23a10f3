"""``from tensorflow.python.framework import dtypes``: graphflow's dtypes under TF1's internal
module (``dtypes.float32``, ``dtypes.as_dtype``)."""
from graphflow.tf1.python._view import view

view(__name__, '')
