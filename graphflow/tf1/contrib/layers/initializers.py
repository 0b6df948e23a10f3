"""``from tensorflow.contrib.layers.python.layers import initializers``: contrib.layers' initializers
under TF 1.15's module of that name (they live beside the regularizers in graphflow)."""
from graphflow.tf1.contrib.layers.regularizers import (
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)

__all__ = ["variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]
