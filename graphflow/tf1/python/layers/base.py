"""``from tensorflow.python.layers import base``: the layer base class custom decoders check
output layers against (``isinstance(output_layer, base.Layer)``)."""
from graphflow.tf1.layers.core import Layer

__all__ = ["Layer"]
