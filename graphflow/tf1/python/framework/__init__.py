"""``tensorflow.python.framework``'s modules that TF1 scripts import."""
