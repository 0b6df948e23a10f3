"""TF1's ``tf.distributions.Beta(concentration1, concentration0)`` on (0, 1); samples are
``g1 / (g1 + g0)`` for Gamma draws, reparameterized through them.

>>> import graphflow as gf
>>> gf.distributions.Beta(2., 3.).mean().dtype.name
'float32'
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.math_extras import xlog1py
from graphflow.ops.special_extras import betainc
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


def _lbeta(a: Tensor, b: Tensor) -> Tensor:
    return SP.lgamma(a) + SP.lgamma(b) - SP.lgamma(a + b)


class Beta(Distribution):
    """Density x^(c1-1) (1-x)^(c0-1) / B(c1, c0)."""

    _sample_shaped: tuple[str, ...] = ("concentration1", "concentration0")

    def __init__(self, concentration1: TensorLike | None = None, concentration0: TensorLike | None = None,
                 validate_args: bool = False, allow_nan_stats: bool = True, name: str = "Beta") -> None:
        parameters = dict(locals())
        if concentration1 is None or concentration0 is None:
            raise ValueError("Beta needs concentration1 and concentration0")
        with get_default_graph().name_scope(name) as scope:
            c1, c0 = float_params(concentration1=concentration1, concentration0=concentration0)
            self._c1 = checked(validate_args, E.identity(c1, name="concentration1"), [positive("concentration1")])
            self._c0 = checked(validate_args, E.identity(c0, name="concentration0"), [positive("concentration0")])
            self._total = self._c1 + self._c0
        super().__init__(self._total.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._c1, self._c0, self._total], scope)

    @property
    def concentration1(self) -> Tensor:
        return self._c1

    @property
    def concentration0(self) -> Tensor:
        return self._c0

    @property
    def total_concentration(self) -> Tensor:
        return self._total

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._total]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        shape = [n] + static_dims(self.batch_shape, "batch shape")
        ones = ST.ones_like(self._total)
        g1 = standard_gamma(shape, self._c1 * ones, seed)
        g0 = standard_gamma(shape, self._c0 * ones, None if seed is None else seed + 1)
        return g1 / (g1 + g0)

    def _log_prob(self, x: Tensor) -> Tensor:
        return xlogy(self._c1 - 1.0, x) + xlog1py(self._c0 - 1.0, -x) - _lbeta(self._c1, self._c0)

    def _cdf(self, x: Tensor) -> Tensor:
        ones = ST.ones_like(x) * ST.ones_like(self._total)
        return betainc(self._c1 * ones, self._c0 * ones, x * ones)

    def _entropy(self) -> Tensor:
        c1, c0, t = self._c1, self._c0, self._total
        return (_lbeta(c1, c0) - (c1 - 1.0) * SP.digamma(c1) - (c0 - 1.0) * SP.digamma(c0)
                + (t - 2.0) * SP.digamma(t))

    def _mean(self) -> Tensor:
        return self._c1 / self._total

    def _variance(self) -> Tensor:
        m = self._mean()
        return m * (1.0 - m) / (1.0 + self._total)

    def _mode(self) -> Tensor:
        mode = (self._c1 - 1.0) / (self._total - 2.0)
        ok = E.logical_and(E.greater(self._c1 * ST.ones_like(mode), 1.0), E.greater(self._c0 * ST.ones_like(mode), 1.0))
        return self.nan_unless(ok, mode, "mode")


class BetaWithSoftplusConcentration(Beta):
    """``Beta(softplus(concentration1), softplus(concentration0))`` (tf.contrib.distributions')."""

    def __init__(self, concentration1: TensorLike, concentration0: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "BetaWithSoftplusConcentration") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            c1, c0 = float_params(concentration1=concentration1, concentration0=concentration0)
            super().__init__(softplus(c1), softplus(c0), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}


@RegisterKL(Beta, Beta)
def _kl_beta_beta(a: Beta, b: Beta, name: str | None = None) -> Tensor:
    return (_lbeta(b.concentration1, b.concentration0) - _lbeta(a.concentration1, a.concentration0)
            + (a.concentration1 - b.concentration1) * SP.digamma(a.concentration1)
            + (a.concentration0 - b.concentration0) * SP.digamma(a.concentration0)
            + (b.total_concentration - a.total_concentration) * SP.digamma(a.total_concentration))
