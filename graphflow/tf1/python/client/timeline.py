"""``from tensorflow.python.client import timeline``: graphflow's Chrome traces."""
from graphflow.tf1.timeline import Timeline  # noqa: F401
