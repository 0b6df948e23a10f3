"""``from tensorflow.python.training import training``: the module behind ``tf.train``, as a view
of graphflow's ``tf.train``."""
from graphflow.tf1.python._view import view

view(__name__, 'train')
