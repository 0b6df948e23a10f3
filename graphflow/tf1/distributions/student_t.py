"""TF1's ``tf.distributions.StudentT(df, loc, scale)``; a sample is
``loc + scale * z / sqrt(g / df)`` for a standard normal z and g ~ Gamma(df/2, rate 1/2),
reparameterized (through df too, by the Gamma draws' implicit gradients).

>>> import graphflow as gf
>>> gf.distributions.StudentT(3., 0., 1.).variance().dtype.name
'float32'
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.special_extras import betainc
from graphflow.tf1.distributions.base import (
    FULLY_REPARAMETERIZED,
    Distribution,
    checked,
    float_params,
    positive,
    static_dims,
)
from graphflow.tf1.distributions.special import standard_gamma


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` and scaled by ``scale``."""

    _sample_shaped: tuple[str, ...] = ("df", "loc", "scale")

    def __init__(self, df: TensorLike, loc: TensorLike, scale: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "StudentT") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            df_t, loc_t, scale_t = float_params(df=df, loc=loc, scale=scale)
            self._df = checked(validate_args, E.identity(df_t, name="df"), [positive("df")])
            self._loc = E.identity(loc_t, name="loc")
            self._scale = E.identity(scale_t, name="scale")
        super().__init__(self._scale.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._df, self._loc, self._scale], scope)

    @property
    def df(self) -> Tensor:
        return self._df

    @property
    def loc(self) -> Tensor:
        return self._loc

    @property
    def scale(self) -> Tensor:
        return self._scale

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._df, self._loc, self._scale]

    def _ones(self) -> Tensor:
        return ST.ones_like(self._df) * ST.ones_like(self._loc) * ST.ones_like(self._scale)

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        shape = [n] + static_dims(self.batch_shape, "batch shape")
        df = self._df * self._ones()
        z = ST.random_normal(shape, dtype=self.dtype, seed=seed)
        g = 2.0 * standard_gamma(shape, 0.5 * df, None if seed is None else seed + 1)
        return z * E.rsqrt(g / df) * self._scale + self._loc

    def _log_prob(self, x: Tensor) -> Tensor:
        y = (x - self._loc) / self._scale
        df = self._df
        log_norm = (E.log(E.abs(self._scale)) + 0.5 * E.log(df) + 0.5 * math.log(math.pi)
                    + SP.lgamma(0.5 * df) - SP.lgamma(0.5 * (df + 1.0)))
        return -0.5 * (df + 1.0) * E.log1p(E.square(y) / df) - log_norm

    def _cdf(self, x: Tensor) -> Tensor:
        y = (x - self._loc) / self._scale
        df = self._df * ST.ones_like(y)
        below = 0.5 * betainc(0.5 * df, 0.5 * ST.ones_like(df), df / (E.square(y) + df))
        return E.where(E.less(y, 0.0), below, 1.0 - below)

    def _entropy(self) -> Tensor:
        df = self._df * self._ones()
        half = 0.5 * (df + 1.0)
        lbeta = SP.lgamma(0.5 * df) + math.lgamma(0.5) - SP.lgamma(half)
        return (half * (SP.digamma(half) - SP.digamma(0.5 * df)) + 0.5 * E.log(df) + lbeta
                + E.log(E.abs(self._scale)))

    def _mean(self) -> Tensor:
        mean = self._loc * self._ones()
        return self.nan_unless(E.greater(self._df * self._ones(), 1.0), mean, "mean")

    def _variance(self) -> Tensor:
        df = self._df * self._ones()
        safe = E.where(E.greater(df, 2.0), df, 3.0 * ST.ones_like(df))
        var = E.square(self._scale) * safe / (safe - 2.0) * self._ones()
        var = E.where(E.greater(df, 2.0), var, ST.zeros_like(var) + float("inf"))
        return self.nan_unless(E.greater(df, 1.0), var, "variance")

    def _mode(self) -> Tensor:
        return self._loc * self._ones()


class StudentTWithAbsDfSoftplusScale(StudentT):
    """``StudentT(floor(|df|), loc, softplus(scale))`` (tf.contrib.distributions')."""

    def __init__(self, df: TensorLike, loc: TensorLike, scale: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "StudentTWithAbsDfSoftplusScale") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            df_t, loc_t, scale_t = float_params(df=df, loc=loc, scale=scale)
            super().__init__(E.floor(E.abs(df_t)), loc_t, softplus(scale_t), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}
