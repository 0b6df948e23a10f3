"""``tf.layers``: TF1's functional layers and their class forms, creating variables in the graph
with TF1's names (``dense/kernel``, ``conv2d_1/bias``...), auto-numbering and reuse."""
from graphflow.tf1.layers.convolutional import (
    AveragePooling3D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    MaxPooling3D,
    SeparableConv1D,
    average_pooling3d,
    conv2d_transpose,
    conv3d,
    conv3d_transpose,
    max_pooling3d,
    separable_conv1d,
)
from graphflow.tf1.layers.core import (
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling1D,
    MaxPooling2D,
    SeparableConv2D,
    average_pooling1d,
    average_pooling2d,
    batch_normalization,
    conv1d,
    conv2d,
    dense,
    dropout,
    flatten,
    max_pooling1d,
    max_pooling2d,
    separable_conv2d,
)
from graphflow.tf1.layers.input_spec import InputSpec

__all__ = ["AveragePooling1D", "AveragePooling2D", "BatchNormalization", "Conv1D", "Conv2D", "Conv2DTranspose",
           "Dense", "Dropout", "Flatten", "Layer", "MaxPooling1D", "MaxPooling2D", "SeparableConv2D",
           "average_pooling1d", "average_pooling2d", "batch_normalization", "conv1d", "conv2d",
           "conv2d_transpose", "dense", "dropout", "flatten", "max_pooling1d", "max_pooling2d",
           "separable_conv2d", "AveragePooling3D", "Conv3D", "Conv3DTranspose", "MaxPooling3D", "SeparableConv1D",
           "average_pooling3d", "conv3d", "conv3d_transpose", "max_pooling3d", "separable_conv1d", "InputSpec"]
