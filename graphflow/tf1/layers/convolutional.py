"""TF1's transposed convolution layers (``Conv2DTranspose``, ``Conv3DTranspose``), its 3-D layers
(``Conv3D``, ``MaxPooling3D``, ``AveragePooling3D``) and ``SeparableConv1D``: the rank-2, rank-3
and rank-1 forms of ``core``'s convolution and pooling layers, with the same options, variable
names (``kernel``, ``bias``, ``depthwise_kernel``, ``pointwise_kernel``) and layouts as TF1's.
SeparableConv1D runs, as TF1's does, a separable conv2d over a height-1 image.
"""
from __future__ import annotations

from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import conv_ops as C
from graphflow.ops import math_ops as M
from graphflow.ops import shape_ops as S
from graphflow.ops.array_ops import stack
from graphflow.ops.conv_extras import conv3d as _conv3d
from graphflow.ops.conv_extras import conv3d_transpose as _conv3d_transpose
from graphflow.ops.conv_ops import IntOrInts
from graphflow.ops.depthwise_ops import separable_conv2d as _separable_conv2d
from graphflow.ops.pool_extras import avg_pool3d, max_pool3d
from graphflow.ops.variables import InitializerLike, _ReuseMode, glorot_uniform_initializer
from graphflow.tf1.layers.core import (
    Regularizer,
    SeparableConv2D,
    TensorFn,
    _Conv,
    _Pool,
)


def _format(channels_first: bool) -> str:
    return "NCDHW" if channels_first else "NDHWC"


def _outer(values: tuple[int, ...], channels_first: bool) -> list[int]:
    """Per-dim ``values`` as a 5-entry list in the data format (batch and channel entries 1)."""
    return [1, 1, *values] if channels_first else [1, *values, 1]


class Conv3D(_Conv):
    """3-D convolution with a ``[kd, kh, kw, in, filters]`` kernel.

    >>> import graphflow as gf
    >>> gf.layers.Conv3D(4, 3, padding="same")(gf.zeros((1, 4, 5, 5, 2))).shape.as_list()
    [1, 4, 5, 5, 4]
    """

    _default = "conv3d"
    rank = 3

    def call(self, inputs: Tensor) -> Tensor:
        y = _conv3d(inputs, self.kernel, _outer(self.strides, self.channels_first), self.padding,
                    data_format=_format(self.channels_first),
                    dilations=_outer(self.dilation_rate, self.channels_first))
        return self._finish(y)


class Conv2DTranspose(_Conv):
    """The transpose of Conv2D (its input gradient), with a ``[kh, kw, filters, in]`` kernel and
    TF1's constructor (no dilation); ``rank`` and ``_transpose`` make it Conv3DTranspose too.

    >>> import graphflow as gf
    >>> gf.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(gf.zeros((1, 5, 5, 2))).shape.as_list()
    [1, 10, 10, 4]
    """

    _default = "conv2d_transpose"

    def __init__(self, filters: int, kernel_size: IntOrInts, strides: IntOrInts = 1, padding: str = "valid",
                 data_format: str = "channels_last", activation: TensorFn | None = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
                 kernel_regularizer: Regularizer | None = None, bias_regularizer: Regularizer | None = None,
                 activity_regularizer: Regularizer | None = None, kernel_constraint: TensorFn | None = None,
                 bias_constraint: TensorFn | None = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, 1, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, trainable=trainable, name=name, **kwargs)

    def build(self, input_shape: TensorShape) -> None:
        c = self._in_channels(input_shape)
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [self.filters, c],
                                      self.kernel_initializer or glorot_uniform_initializer(),
                                      self.kernel_regularizer)
        self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None

    def _transpose(self, x: Tensor, output_shape: list[int | Tensor], strides: list[int], data_format: str) -> Tensor:
        sizes = stack([M.cast(convert_to_tensor(d), _dt.int32) for d in output_shape])
        return C.conv2d_transpose(x, self.kernel, sizes, strides, self.padding, data_format=data_format)

    def call(self, inputs: Tensor) -> Tensor:
        dims = inputs.shape.as_list()
        axes = range(2, 2 + self.rank) if self.channels_first else range(1, 1 + self.rank)
        out_dims: list[int | Tensor] = []
        for ax, k, s in zip(axes, self.kernel_size, self.strides):
            d: int | Tensor = dims[ax] if dims[ax] is not None else S.shape(inputs)[ax]
            out_dims.append(d * s if self.padding == "SAME" else d * s + max(k - s, 0))
        batch: int | Tensor = S.shape(inputs)[0]
        shape = [batch, self.filters] + out_dims if self.channels_first else [batch] + out_dims + [self.filters]
        space = "DHW"[3 - self.rank:]
        y = self._transpose(inputs, shape,
                            [1, 1] + list(self.strides) if self.channels_first else [1] + list(self.strides) + [1],
                            "NC" + space if self.channels_first else "N" + space + "C")
        static = [dims[0]] + [d * s if isinstance(d, int) and self.padding == "SAME" else
                              d * s + max(k - s, 0) if isinstance(d, int) else None
                              for d, k, s in zip([dims[a] for a in axes], self.kernel_size, self.strides)]
        y.set_shape([static[0], self.filters] + static[1:] if self.channels_first else static + [self.filters])
        return self._finish(y)


class Conv3DTranspose(Conv2DTranspose):
    """The transpose of Conv3D, with a ``[kd, kh, kw, filters, in]`` kernel as TF1's."""

    _default = "conv3d_transpose"
    rank = 3

    def _transpose(self, x: Tensor, output_shape: list[int | Tensor], strides: list[int], data_format: str) -> Tensor:
        return _conv3d_transpose(x, self.kernel, output_shape, strides, self.padding, data_format=data_format)


class _Pool3D(_Pool):
    rank = 3

    def call(self, inputs: Tensor) -> Tensor:
        fn = max_pool3d if self.kind == "max" else avg_pool3d
        cf = self.channels_first
        return fn(inputs, _outer(self.pool_size, cf), _outer(self.strides, cf), self.padding, _format(cf))


class MaxPooling3D(_Pool3D):
    """Max pooling over ``pool_size`` windows of a 5-D input."""

    _default = "max_pooling3d"


class AveragePooling3D(_Pool3D):
    """Average pooling over ``pool_size`` windows of a 5-D input (SAME windows average real cells)."""

    _default = "average_pooling3d"
    kind = "avg"


class SeparableConv1D(SeparableConv2D):
    """A depthwise conv1d (``depthwise_kernel [k, in, depth_multiplier]``) followed by a pointwise
    one (``pointwise_kernel [1, in * depth_multiplier, filters]``).

    >>> import graphflow as gf
    >>> gf.layers.SeparableConv1D(4, 3)(gf.zeros((2, 9, 3))).shape.as_list()
    [2, 7, 4]
    """

    _default = "separable_conv1d"
    rank = 1

    def build(self, input_shape: TensorShape) -> None:
        c = self._in_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", [self.kernel_size[0], c, self.depth_multiplier],
            self.depthwise_initializer or glorot_uniform_initializer(), self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1, c * self.depth_multiplier, self.filters],
            self.pointwise_initializer or glorot_uniform_initializer(), self.pointwise_regularizer)
        self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None

    def call(self, inputs: Tensor) -> Tensor:
        cf = self.channels_first
        height = 2 if cf else 1  # the height-1 axis the 1-D input is lifted onto
        s = self.strides[0]
        y = _separable_conv2d(S.expand_dims(inputs, height), S.expand_dims(self.depthwise_kernel, 0),
                              S.expand_dims(self.pointwise_kernel, 0), [1, 1, s, s] if cf else [1, s, s, 1],
                              self.padding, rate=[1, self.dilation_rate[0]], data_format="NCHW" if cf else "NHWC")
        return self._finish(S.squeeze(y, [height]))


# ---- functional forms ----------------------------------------------------------------------------

def conv3d(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrInts = (1, 1, 1),
           activation: TensorFn | None = None, use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
           bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
           bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
           kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None, trainable: bool = True,
           name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    """``tf.layers.conv3d``: Conv3D built and called once."""
    return Conv3D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                  kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                  activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def conv2d_transpose(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last", activation: TensorFn | None = None,
                     use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
                     bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
                     bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
                     kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None,
                     trainable: bool = True, name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    """``tf.layers.conv2d_transpose``: Conv2DTranspose built and called once."""
    return Conv2DTranspose(filters, kernel_size, strides, padding, data_format, activation, use_bias,
                           kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                           activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def conv3d_transpose(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1, 1),
                     padding: str = "valid", data_format: str = "channels_last", activation: TensorFn | None = None,
                     use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
                     bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
                     bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
                     kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None,
                     trainable: bool = True, name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    """``tf.layers.conv3d_transpose``: Conv3DTranspose built and called once."""
    return Conv3DTranspose(filters, kernel_size, strides, padding, data_format, activation, use_bias,
                           kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                           activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def separable_conv1d(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = 1,
                     padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrInts = 1,
                     depth_multiplier: int = 1, activation: TensorFn | None = None, use_bias: bool = True,
                     depthwise_initializer: InitializerLike | None = None,
                     pointwise_initializer: InitializerLike | None = None,
                     bias_initializer: InitializerLike | None = None, depthwise_regularizer: Regularizer | None = None,
                     pointwise_regularizer: Regularizer | None = None, bias_regularizer: Regularizer | None = None,
                     activity_regularizer: Regularizer | None = None, depthwise_constraint: TensorFn | None = None,
                     pointwise_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None,
                     trainable: bool = True, name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    """``tf.layers.separable_conv1d``: SeparableConv1D built and called once."""
    return SeparableConv1D(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                           activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                           depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                           trainable=trainable, name=name, _reuse=reuse)(inputs)


def max_pooling3d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """``tf.layers.max_pooling3d``."""
    return MaxPooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling3d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """``tf.layers.average_pooling3d``."""
    return AveragePooling3D(pool_size, strides, padding, data_format, name=name)(inputs)


__all__ = ["AveragePooling3D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "MaxPooling3D", "SeparableConv1D",
           "average_pooling3d", "conv2d_transpose", "conv3d", "conv3d_transpose", "max_pooling3d", "separable_conv1d"]
