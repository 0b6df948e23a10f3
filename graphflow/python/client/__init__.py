"""``tensorflow.python.client``."""
