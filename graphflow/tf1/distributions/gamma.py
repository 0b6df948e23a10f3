"""TF1's ``tf.distributions.Gamma(concentration, rate)`` and its special case
``Exponential(rate)`` (a Gamma with concentration 1, so Gamma-Gamma's KL serves both).
Gamma samples carry implicit reparameterization gradients (``special.standard_gamma``);
Exponential's are ``-log(u) / rate``.

>>> import graphflow as gf
>>> gf.distributions.Exponential(2.).mean().dtype.name
'float32'
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.special_extras import igamma
from graphflow.ops.special_ops import xlogy
from graphflow.tf1.distributions.base import (
    FULLY_REPARAMETERIZED,
    Distribution,
    checked,
    float_params,
    positive,
    static_dims,
)
from graphflow.tf1.distributions.kl import RegisterKL
from graphflow.tf1.distributions.special import standard_gamma


class Gamma(Distribution):
    """Density x^(a-1) e^(-rate x) rate^a / Gamma(a) for x > 0, a = ``concentration``."""

    _sample_shaped: tuple[str, ...] = ("concentration", "rate")

    def __init__(self, concentration: TensorLike, rate: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Gamma") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            a, r = float_params(concentration=concentration, rate=rate)
            self._concentration = checked(validate_args, E.identity(a, name="concentration"),
                                          [positive("concentration")])
            self._rate = checked(validate_args, E.identity(r, name="rate"), [positive("rate")])
        super().__init__(self._rate.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._concentration, self._rate], scope)

    @property
    def concentration(self) -> Tensor:
        return self._concentration

    @property
    def rate(self) -> Tensor:
        return self._rate

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._concentration, self._rate]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        shape = [n] + static_dims(self.batch_shape, "batch shape")
        return standard_gamma(shape, self._concentration, seed) / self._rate

    def _log_prob(self, x: Tensor) -> Tensor:
        a, r = self._concentration, self._rate
        return xlogy(a - 1.0, x) - r * x - (SP.lgamma(a) - a * E.log(r))

    def _cdf(self, x: Tensor) -> Tensor:
        return igamma(self._concentration, self._rate * x)

    def _entropy(self) -> Tensor:
        a = self._concentration
        return a - E.log(self._rate) + SP.lgamma(a) + (1.0 - a) * SP.digamma(a)

    def _mean(self) -> Tensor:
        return self._concentration / self._rate

    def _variance(self) -> Tensor:
        return self._concentration / E.square(self._rate)

    def _stddev(self) -> Tensor:
        return E.sqrt(self._concentration) / self._rate

    def _mode(self) -> Tensor:
        mode = (self._concentration - 1.0) / self._rate
        return self.nan_unless(E.greater(self._concentration * ST.ones_like(mode), 1.0), mode, "mode")


class Exponential(Gamma):
    """Density rate e^(-rate x) for x >= 0."""

    _sample_shaped: tuple[str, ...] = ("rate",)

    def __init__(self, rate: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Exponential") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (r,) = float_params(rate=rate)
            super().__init__(ST.ones_like(r), r, validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        tiny = float(np.finfo(self.dtype.as_numpy_dtype).tiny)
        u = ST.random_uniform(self._draw_shape(n), minval=tiny, maxval=1.0,
                              dtype=self.dtype, seed=seed)
        return -E.log(u) / self._rate

    def _log_survival_function(self, x: Tensor) -> Tensor:
        return -self._rate * x


class GammaWithSoftplusConcentrationRate(Gamma):
    """``Gamma(softplus(concentration), softplus(rate))`` (tf.contrib.distributions')."""

    def __init__(self, concentration: TensorLike, rate: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "GammaWithSoftplusConcentrationRate") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            a, r = float_params(concentration=concentration, rate=rate)
            super().__init__(softplus(a), softplus(r), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}


class ExponentialWithSoftplusRate(Exponential):
    """``Exponential(softplus(rate))`` (tf.contrib.distributions')."""

    def __init__(self, rate: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "ExponentialWithSoftplusRate") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (r,) = float_params(rate=rate)
            super().__init__(softplus(r), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(a: Gamma, b: Gamma, name: str | None = None) -> Tensor:
    a0, r0, a1, r1 = a.concentration, a.rate, b.concentration, b.rate
    return ((a0 - a1) * SP.digamma(a0) + SP.lgamma(a1) - SP.lgamma(a0) + a1 * E.log(r0) - a1 * E.log(r1)
            + a0 * (r1 / r0 - 1.0))
