"""``from tensorflow.python.platform import app``."""
from graphflow.platform.app import flags, run  # noqa: F401
