"""``from tensorflow.python.platform import flags``."""
from graphflow.platform.flags import *  # noqa: F401,F403
from graphflow.platform.flags import FLAGS  # noqa: F401
