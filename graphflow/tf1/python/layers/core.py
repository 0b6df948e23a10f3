"""``from tensorflow.python.layers import core as layers_core``: ``tf.layers``' functions and
classes (``layers_core.Dense``) under TF1's internal module."""
from graphflow.tf1.python._view import view

view(__name__, 'layers')
