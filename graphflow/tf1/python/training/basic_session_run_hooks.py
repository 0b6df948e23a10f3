"""``from tensorflow.python.training import basic_session_run_hooks``: the hooks and
``SecondOrStepTimer`` of ``tf.train``."""
from graphflow.tf1.python._view import view

view(__name__, 'train')
