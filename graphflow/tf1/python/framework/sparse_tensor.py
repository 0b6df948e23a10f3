"""``from tensorflow.python.framework import sparse_tensor``: ``SparseTensor``, ``SparseTensorValue``."""
from graphflow.tf1.python._view import view

view(__name__, '')
