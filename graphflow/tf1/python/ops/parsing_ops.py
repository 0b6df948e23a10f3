"""``from tensorflow.python.ops import parsing_ops``: graphflow's functions under TF1's internal module."""
from graphflow.tf1.python._view import view

view(__name__, 'io', '')
