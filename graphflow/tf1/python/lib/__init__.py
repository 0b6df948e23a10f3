"""``tensorflow.python.lib``: TF 1.x's internal file modules that scripts import directly."""
