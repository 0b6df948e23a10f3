"""Module paths TF1 scripts import from (``from tensorflow.python.framework import ops``)."""
