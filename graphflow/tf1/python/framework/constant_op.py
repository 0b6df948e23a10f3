"""``from tensorflow.python.framework import constant_op``: ``constant_op.constant``, graphflow's
``tf.constant``."""
from graphflow.tf1.python._view import view

view(__name__, '')
