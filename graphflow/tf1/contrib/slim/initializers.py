"""``slim.initializers`` (TF 1.15's ``contrib.layers`` initializers module): ``xavier_initializer``
(Glorot), its conv2d name, and ``variance_scaling_initializer``."""
from graphflow.tf1.contrib.layers.regularizers import (
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)

__all__ = ["variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]
