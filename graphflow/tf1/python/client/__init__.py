"""``from tensorflow.python.client import timeline``."""
