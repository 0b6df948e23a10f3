"""``from tensorflow.python.layers import utils``: ``smart_cond`` and the other helpers
``tf.contrib.framework`` has."""
from graphflow.tf1.python._view import view

view(__name__, 'contrib.framework')
