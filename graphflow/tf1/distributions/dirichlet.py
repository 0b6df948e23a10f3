"""TF1's ``tf.distributions.Dirichlet(concentration)``: points of the simplex, events along the
last axis; samples are normalized Gamma draws, reparameterized through them.

>>> import graphflow as gf
>>> gf.distributions.Dirichlet([1., 2., 3.]).event_shape.as_list()
[3]
"""
from __future__ import annotations

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import matrix_diag
from graphflow.ops.math_extras import lbeta
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


def simplex_covariance(p: Tensor) -> Tensor:
    """diag(p) - p p^T over the last axis."""
    return matrix_diag(p) - S.expand_dims(p, -1) * S.expand_dims(p, -2)


class Dirichlet(Distribution):
    """Density prod x_k^(c_k - 1) / B(c) on the simplex, c = ``concentration``."""

    def __init__(self, concentration: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Dirichlet") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (c,) = float_params(concentration=concentration)
            if c.shape.ndims == 0:
                raise ValueError("Dirichlet needs a concentration of rank 1 at least (the last axis is the "
                                 "event's), got a scalar")
            self._concentration = checked(validate_args, E.identity(c, name="concentration"),
                                          [positive("concentration")])
            self._total = R.reduce_sum(self._concentration, axis=-1)
        super().__init__(c.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._concentration, self._total], scope)

    @property
    def concentration(self) -> Tensor:
        return self._concentration

    @property
    def total_concentration(self) -> Tensor:
        return self._total

    def _batch_shape(self) -> TensorShape:
        return TensorShape(self._concentration.shape.as_list()[:-1])

    def _batch_shape_tensor(self) -> Tensor:
        return S.shape(self._concentration)[:-1]

    def _event_shape(self) -> TensorShape:
        return TensorShape(self._concentration.shape.as_list()[-1:])

    def _event_shape_tensor(self) -> Tensor:
        return S.shape(self._concentration)[-1:]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        shape = [n] + static_dims(self._concentration.shape, "concentration shape")
        g = standard_gamma(shape, self._concentration, seed)
        return g / R.reduce_sum(g, axis=-1, keepdims=True)

    def _log_prob(self, x: Tensor) -> Tensor:
        return R.reduce_sum(xlogy(self._concentration - 1.0, x), axis=-1) - lbeta(self._concentration)

    def _entropy(self) -> Tensor:
        c, t = self._concentration, self._total
        k = E.cast(S.shape(c)[-1], c.dtype)
        return lbeta(c) + (t - k) * SP.digamma(t) - R.reduce_sum((c - 1.0) * SP.digamma(c), axis=-1)

    def _mean(self) -> Tensor:
        return self._concentration / S.expand_dims(self._total, -1)

    def _scale_term(self) -> Tensor:
        return 1.0 / (1.0 + S.expand_dims(self._total, -1))

    def _variance(self) -> Tensor:
        m = self._mean()
        return self._scale_term() * m * (1.0 - m)

    def _covariance(self) -> Tensor:
        return S.expand_dims(self._scale_term(), -1) * simplex_covariance(self._mean())

    def _mode(self) -> Tensor:
        c = self._concentration
        k = E.cast(S.shape(c)[-1], c.dtype)
        mode = (c - 1.0) / S.expand_dims(self._total - k, -1)
        every_above_one = E.greater(S.expand_dims(R.reduce_min(c, axis=-1), -1) * ST.ones_like(c), 1.0)
        return self.nan_unless(every_above_one, mode, "mode")


@RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(a: Dirichlet, b: Dirichlet, name: str | None = None) -> Tensor:
    ca, cb = a.concentration, b.concentration
    digamma_sum = SP.digamma(S.expand_dims(a.total_concentration, -1))
    return (lbeta(cb) - lbeta(ca)) + R.reduce_sum((ca - cb) * (SP.digamma(ca) - digamma_sum), axis=-1)
