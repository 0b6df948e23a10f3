"""``from tensorflow.python.ops import embedding_ops``: ``embedding_lookup`` and the sparse lookups,
graphflow's ``tf.nn`` functions."""
from graphflow.tf1.python._view import view

view(__name__, 'nn')
