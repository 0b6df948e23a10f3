"""``from tensorflow.python import pywrap_tensorflow``: the checkpoint reader scripts take from TF1's
C++ bindings (``pywrap_tensorflow.NewCheckpointReader(path)``), and graphflow's other names."""
from graphflow.tf1.python._view import view

view(__name__, 'train', '')
