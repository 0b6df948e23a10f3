"""tf.contrib.distributions' location-scale families beyond tf.distributions': ``Logistic``,
``Cauchy`` and ``HalfNormal``, reparameterized (a sample is a fixed function of a uniform or
normal draw and the parameters).

>>> import graphflow as gf
>>> gf.contrib.distributions.Cauchy(0., 1.).quantile(0.75).dtype.name
'float32'
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.special_extras import erfinv
from graphflow.tf1.distributions.base import (
    FULLY_REPARAMETERIZED,
    Distribution,
    LocationScale,
    checked,
    float_params,
    positive,
)
from graphflow.tf1.distributions.special import erfc


class Logistic(LocationScale):
    """Density e^-z / (scale (1 + e^-z)^2), z = (x - loc) / scale."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Logistic") -> None:
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, dict(locals()))

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        u = self._uniform(n, seed)
        return self._loc + self._scale * (E.log(u) - E.log1p(-u))

    def _log_prob(self, x: Tensor) -> Tensor:
        z = self._z(x)
        return -z - 2.0 * softplus(-z) - E.log(self._scale)

    def _cdf(self, x: Tensor) -> Tensor:
        return E.sigmoid(self._z(x))

    def _log_cdf(self, x: Tensor) -> Tensor:
        return -softplus(-self._z(x))

    def _survival_function(self, x: Tensor) -> Tensor:
        return E.sigmoid(-self._z(x))

    def _log_survival_function(self, x: Tensor) -> Tensor:
        return -softplus(self._z(x))

    def _entropy(self) -> Tensor:
        return (E.log(self._scale) + 2.0) * self._ones()

    def _mean(self) -> Tensor:
        return self._mode()

    def _stddev(self) -> Tensor:
        return self._scale * (math.pi / math.sqrt(3.0)) * self._ones()


class Cauchy(LocationScale):
    """Density 1 / (pi scale (1 + z^2)); its mean and variance are undefined (NaN, or a run-time
    error with ``allow_nan_stats=False``)."""

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Cauchy") -> None:
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, dict(locals()))

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        return self._loc + self._scale * E.tan(math.pi * (self._uniform(n, seed) - 0.5))

    def _log_prob(self, x: Tensor) -> Tensor:
        return -math.log(math.pi) - E.log(self._scale) - E.log1p(E.square(self._z(x)))

    def _cdf(self, x: Tensor) -> Tensor:
        return E.atan(self._z(x)) / math.pi + 0.5

    def _log_cdf(self, x: Tensor) -> Tensor:
        return E.log1p(2.0 / math.pi * E.atan(self._z(x))) - math.log(2.0)

    def _entropy(self) -> Tensor:
        return (math.log(4.0 * math.pi) + E.log(self._scale)) * self._ones()

    def _quantile(self, p: Tensor) -> Tensor:
        return self._loc + self._scale * E.tan(math.pi * (p - 0.5))

    def _undefined(self, stat: str) -> Tensor:
        ones = self._ones()
        return self.nan_unless(E.less(ones, 0.0), ones, stat)

    def _mean(self) -> Tensor:
        return self._undefined("mean")

    def _variance(self) -> Tensor:
        return self._undefined("variance")


class HalfNormal(Distribution):
    """|X| for X ~ Normal(0, ``scale``): density sqrt(2 / pi) / scale e^(-x^2 / (2 scale^2)), x >= 0."""

    _sample_shaped: tuple[str, ...] = ("scale",)

    def __init__(self, scale: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "HalfNormal") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (scale_t,) = float_params(scale=scale)
            self._scale = checked(validate_args, E.identity(scale_t, name="scale"), [positive("scale")])
        super().__init__(self._scale.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._scale], scope)

    @property
    def scale(self) -> Tensor:
        return self._scale

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._scale]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        return E.abs(ST.random_normal(self._draw_shape(n), dtype=self.dtype, seed=seed)) * self._scale

    def _log_prob(self, x: Tensor) -> Tensor:
        density = 0.5 * math.log(2.0 / math.pi) - E.log(self._scale) - 0.5 * E.square(x / self._scale)
        return E.where(E.less(x, 0.0), ST.zeros_like(density) - float("inf"), density)

    def _cdf(self, x: Tensor) -> Tensor:
        # erf(x / (scale sqrt 2)) for x >= 0, as 1 - erfc to keep the upper tail's digits
        return 1.0 - erfc(E.maximum(x, 0.0) / self._scale * (1.0 / math.sqrt(2.0)))

    def _survival_function(self, x: Tensor) -> Tensor:
        return erfc(E.maximum(x, 0.0) / self._scale * (1.0 / math.sqrt(2.0)))

    def _entropy(self) -> Tensor:
        return 0.5 * E.log(math.pi * E.square(self._scale) / 2.0) + 0.5

    def _mean(self) -> Tensor:
        return self._scale * math.sqrt(2.0 / math.pi)

    def _variance(self) -> Tensor:
        return E.square(self._scale) * (1.0 - 2.0 / math.pi)

    def _mode(self) -> Tensor:
        return ST.zeros_like(self._scale)

    def _quantile(self, p: Tensor) -> Tensor:
        return erfinv(p) * self._scale * math.sqrt(2.0)
