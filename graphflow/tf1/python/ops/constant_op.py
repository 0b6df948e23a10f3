"""``from tensorflow.python.ops import constant_op`` (an older path of ``framework.constant_op``)."""
from graphflow.tf1.python._view import view

view(__name__, '')
