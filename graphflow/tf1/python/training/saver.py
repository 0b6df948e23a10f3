"""``from tensorflow.python.training import saver``: ``Saver``, ``latest_checkpoint``,
``checkpoint_exists``... as graphflow's ``tf.train`` has them."""
from graphflow.tf1.python._view import view

view(__name__, 'train')
