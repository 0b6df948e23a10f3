"""``tf.contrib.framework`` (TF 1.15): ``nest``."""
from graphflow.tf1.python.util import nest

__all__ = ["nest"]
