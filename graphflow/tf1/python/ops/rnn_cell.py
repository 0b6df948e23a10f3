"""``from tensorflow.python.ops import rnn_cell``: the recurrent cells of ``tf.nn.rnn_cell``."""
from graphflow.tf1.python._view import view

view(__name__, 'nn.rnn_cell')
