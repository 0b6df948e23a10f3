"""``from tensorflow.python.util import compat``: ``as_bytes``, ``as_text``, ``as_str``,
``as_str_any``, ``path_to_str``... as graphflow's ``tf.compat`` has them."""
from graphflow.tf1.python._view import view

view(__name__, 'compat')
