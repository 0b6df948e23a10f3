"""``from tensorflow.python.platform import tf_logging``."""
from graphflow.platform.tf_logging import *  # noqa: F401,F403
