"""``from tensorflow.python.ops import gen_array_ops``: TF1's generated wrappers of the raw array ops,
resolved to graphflow's ``tf.`` functions of the same name."""
from graphflow.tf1.python._view import view

view(__name__, '')
