"""``from tensorflow.python.platform import googletest``: ``googletest.main`` and the rest of ``tf.test``."""
from graphflow.tf1.python._view import view

view(__name__, 'test')
