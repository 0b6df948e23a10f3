"""``from tensorflow.python.ops import gen_math_ops``: TF1's generated wrappers of the raw math ops,
resolved to graphflow's ``tf.math`` and ``tf.`` functions of the same name."""
from graphflow.tf1.python._view import view

view(__name__, 'math', '')
