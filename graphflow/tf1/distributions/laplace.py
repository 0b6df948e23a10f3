"""TF1's ``tf.distributions.Laplace(loc, scale)``, reparameterized: a sample is
``loc - scale * sign(u) * log1p(-|u|)`` for u uniform on (-1, 1).

>>> import graphflow as gf
>>> gf.distributions.Laplace(0., 1.).stddev().dtype.name
'float32'
"""
from __future__ import annotations

import math

import numpy as np

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.tf1.distributions.base import (
    LocationScale,
    float_params,
)


class Laplace(LocationScale):
    """Density exp(-|x - loc| / scale) / (2 scale)."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Laplace") -> None:
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, dict(locals()))

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        low = float(np.nextafter(np.array(-1.0, self.dtype.as_numpy_dtype), 0))
        u = ST.random_uniform(self._draw_shape(n), minval=low, maxval=1.0,
                              dtype=self.dtype, seed=seed)
        return self._loc - self._scale * E.sign(u) * E.log1p(-E.abs(u))

    def _z(self, x: Tensor) -> Tensor:
        return (x - self._loc) / self._scale

    def _log_prob(self, x: Tensor) -> Tensor:
        return -E.abs(self._z(x)) - (math.log(2.0) + E.log(self._scale))

    def _cdf(self, x: Tensor) -> Tensor:
        z = self._z(x)
        return 0.5 - 0.5 * E.sign(z) * SP.expm1(-E.abs(z))

    def _log_cdf(self, x: Tensor) -> Tensor:
        return _log_laplace_cdf(self._z(x))

    def _log_survival_function(self, x: Tensor) -> Tensor:
        return _log_laplace_cdf(-self._z(x))

    def _entropy(self) -> Tensor:
        return math.log(2.0) + 1.0 + E.log(self._scale) * ST.ones_like(self._loc)

    def _mean(self) -> Tensor:
        return self._loc * ST.ones_like(self._scale)

    def _stddev(self) -> Tensor:
        return math.sqrt(2.0) * self._scale * ST.ones_like(self._loc)

    def _mode(self) -> Tensor:
        return self._mean()


def _log_laplace_cdf(z: Tensor) -> Tensor:
    """log of the standard Laplace CDF, without cancellation in either tail."""
    return E.where(E.less(z, 0.0), math.log(0.5) + z, E.log1p(-0.5 * E.exp(-E.abs(z))))


class LaplaceWithSoftplusScale(Laplace):
    """``Laplace(loc, softplus(scale))`` (tf.contrib.distributions')."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "LaplaceWithSoftplusScale") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            super().__init__(loc, softplus(float_params(loc=loc, scale=scale)[1]), validate_args, allow_nan_stats,
                             scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}
