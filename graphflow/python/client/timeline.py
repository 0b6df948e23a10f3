"""``from tensorflow.python.client import timeline``: graphflow's Chrome traces."""
from graphflow.timeline import Timeline  # noqa: F401
