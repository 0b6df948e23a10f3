"""Generalized divisive normalization (Ballé et al.), contrib.layers' ``GDN`` / ``gdn``:
``y = x / sqrt(beta + conv1x1(x^2, gamma))`` (times, for ``inverse``), with TF 1.15's
reparameterised variables ``reparam_beta [C]`` and ``reparam_gamma [C, C]`` kept above their
bounds by a maximum whose gradient still pushes a variable stuck at the bound upwards."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops.conv_extras import convolution
from graphflow.ops.elementwise_ops import greater_equal, less, logical_or, sqrt, square
from graphflow.ops.nn_ops import bias_add
from graphflow.ops.shape_ops import reshape
from graphflow.tf1.custom_gradient import custom_gradient
from graphflow.tf1.layers.core import Layer

__all__ = ["GDN", "gdn"]


def _lower_bound(inputs: Tensor, bound: Tensor) -> Tensor:
    """``maximum(inputs, bound)``; its gradient passes where ``inputs >= bound`` or where it
    pushes ``inputs`` up, and never to the bound."""
    @custom_gradient
    def bounded(x: Tensor) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
        def grad(dy: Tensor) -> Tensor:
            keep = logical_or(greater_equal(x, bound), less(dy, convert_to_tensor(0.0, dtype=dy.dtype)))
            return M.multiply(dy, M.cast(keep, dy.dtype))
        return M.maximum(x, bound), grad
    return bounded(inputs)


class GDN(Layer):
    """The GDN layer over the channel axis (last, or 1 for ``channels_first``)."""

    _default = "gdn"

    def __init__(self, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1,
                 reparam_offset: float = 2.0 ** -18, data_format: str = "channels_last",
                 activity_regularizer: Any = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"Unsupported `data_format` for GDN layer: {data_format}.")
        self.inverse, self.data_format = inverse, data_format
        self._beta_min, self._gamma_init, self._reparam_offset = beta_min, gamma_init, reparam_offset

    def build(self, input_shape: Any) -> None:
        axis = 1 if self.data_format == "channels_first" else -1
        channels = input_shape.as_list()[axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs to `GDN` must be defined.")
        self._rank = input_shape.rank
        dtype = np.dtype(_dt.as_dtype(self.dtype or _dt.float32).as_numpy_dtype)
        pedestal = self._reparam_offset ** 2
        beta_init = np.sqrt(np.ones(channels) + pedestal).astype(dtype)
        gamma_init = np.sqrt(self._gamma_init * np.eye(channels) + pedestal).astype(dtype)
        beta = self.add_weight("reparam_beta", [channels], lambda shape, dtype=None, partition_info=None:
                               convert_to_tensor(beta_init))
        gamma = self.add_weight("reparam_gamma", [channels, channels], lambda shape, dtype=None, partition_info=None:
                                convert_to_tensor(gamma_init))
        ped = convert_to_tensor(pedestal, dtype=beta.dtype.base_dtype)
        beta_bound = convert_to_tensor((self._beta_min + pedestal) ** 0.5, dtype=beta.dtype.base_dtype)
        gamma_bound = convert_to_tensor(self._reparam_offset, dtype=beta.dtype.base_dtype)
        self.beta = M.subtract(square(_lower_bound(beta, beta_bound)), ped)
        self.gamma = M.subtract(square(_lower_bound(gamma, gamma_bound)), ped)

    def call(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        rank = self._rank
        channels = self.gamma.shape.as_list()
        kernel = reshape(self.gamma, (rank - 2) * [1] + channels)
        if self.data_format == "channels_first":
            fmt = "NC" + "DHW"[-(rank - 2):]
            pool = convolution(square(inputs), kernel, "VALID", data_format=fmt)
            pool = M.add(pool, reshape(self.beta, [1, -1] + [1] * (rank - 2)))
        else:
            pool = bias_add(convolution(square(inputs), kernel, "VALID"), self.beta)
        pool = sqrt(pool)
        out = M.multiply(inputs, pool) if self.inverse else M.truediv(inputs, pool)
        out.set_shape(inputs.shape)
        return out


def gdn(inputs: TensorLike, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1,
        reparam_offset: float = 2.0 ** -18, data_format: str = "channels_last", activity_regularizer: Any = None,
        trainable: bool = True, name: str | None = None, reuse: bool | None = None) -> Tensor:
    """The functional form of ``GDN`` (variables ``<name or gdn>/reparam_beta``, ``reparam_gamma``)."""
    x = convert_to_tensor(inputs)
    layer = GDN(inverse=inverse, beta_min=beta_min, gamma_init=gamma_init, reparam_offset=reparam_offset,
                data_format=data_format, trainable=trainable, name=name, dtype=x.dtype.base_dtype, _reuse=reuse)
    return layer(x)
