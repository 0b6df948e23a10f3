"""TF1's ``tf.distributions.Normal(loc, scale)``, reparameterized: a sample is
``loc + scale * z`` for standard normal draws ``z``.

>>> import graphflow as gf
>>> d = gf.distributions.Normal(loc=[0., 1.], scale=2.)
>>> d.sample(3).shape.as_list()
[3, 2]
"""
from __future__ import annotations

import math

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.special_extras import ndtri
from graphflow.tf1.distributions.base import (
    LocationScale,
    float_params,
)
from graphflow.tf1.distributions.kl import RegisterKL
from graphflow.tf1.distributions.special import log_ndtr, ndtr


class Normal(LocationScale):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Normal") -> None:
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, dict(locals()))

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        z = ST.random_normal(self._draw_shape(n), dtype=self.dtype, seed=seed)
        return z * self._scale + self._loc

    def _z(self, x: Tensor) -> Tensor:
        return (x - self._loc) / self._scale

    def _log_prob(self, x: Tensor) -> Tensor:
        return -0.5 * E.square(self._z(x)) - (0.5 * math.log(2.0 * math.pi) + E.log(self._scale))

    def _cdf(self, x: Tensor) -> Tensor:
        return ndtr(self._z(x))

    def _log_cdf(self, x: Tensor) -> Tensor:
        return log_ndtr(self._z(x))

    def _survival_function(self, x: Tensor) -> Tensor:
        return ndtr(-self._z(x))

    def _log_survival_function(self, x: Tensor) -> Tensor:
        return log_ndtr(-self._z(x))

    def _quantile(self, p: Tensor) -> Tensor:
        return self._loc + self._scale * ndtri(p)

    def _entropy(self) -> Tensor:
        return 0.5 * math.log(2.0 * math.pi * math.e) + E.log(self._scale) * ST.ones_like(self._loc)

    def _mean(self) -> Tensor:
        return self._loc * ST.ones_like(self._scale)

    def _mode(self) -> Tensor:
        return self._mean()

    def _stddev(self) -> Tensor:
        return self._scale * ST.ones_like(self._loc)


class NormalWithSoftplusScale(Normal):
    """``Normal(loc, softplus(scale))`` (tf.contrib.distributions')."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "NormalWithSoftplusScale") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            super().__init__(loc, softplus(float_params(loc=loc, scale=scale)[1]), validate_args, allow_nan_stats,
                             scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}


@RegisterKL(Normal, Normal)
def _kl_normal_normal(a: Normal, b: Normal, name: str | None = None) -> Tensor:
    ratio = E.square(a.scale / b.scale)
    return 0.5 * E.square((a.loc - b.loc) / b.scale) + 0.5 * (ratio - 1.0 - E.log(ratio))
