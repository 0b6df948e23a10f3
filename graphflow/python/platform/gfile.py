"""``from tensorflow.python.platform import gfile``."""
from graphflow.platform.gfile import *  # noqa: F401,F403
