"""TF1's ``tf.distributions.DirichletMultinomial(total_count, concentration)``: counts of
``total_count`` draws from class probabilities that are themselves Dirichlet(concentration).

>>> import graphflow as gf
>>> gf.distributions.DirichletMultinomial(4., [1., 2.]).mean().shape.as_list()
[2]
"""
from __future__ import annotations

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import broadcast_static_shape
from graphflow.ops.math_extras import lbeta
from graphflow.tf1.distributions.base import (
    NOT_REPARAMETERIZED,
    Distribution,
    checked,
    float_params,
    non_negative,
    positive,
    static_dims,
)
from graphflow.tf1.distributions.dirichlet import simplex_covariance
from graphflow.tf1.distributions.multinomial import count_draws, log_combinations
from graphflow.tf1.distributions.special import standard_gamma


class DirichletMultinomial(Distribution):
    """P(counts) = n! / prod(counts_k!) B(c + counts) / B(c), n = ``total_count``, c =
    ``concentration``."""

    def __init__(self, total_count: TensorLike, concentration: TensorLike, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "DirichletMultinomial") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            n, c = float_params(total_count=total_count, concentration=concentration)
            if c.shape.ndims == 0:
                raise ValueError("DirichletMultinomial needs a concentration of rank 1 at least (the last axis is "
                                 "the event's), got a scalar")
            self._total_count = checked(validate_args, E.identity(n, name="total_count"),
                                        [non_negative("total_count")])
            self._concentration = checked(validate_args, E.identity(c, name="concentration"),
                                          [positive("concentration")])
            self._total = R.reduce_sum(self._concentration, axis=-1)
            self._mean_val = S.expand_dims(self._total_count, -1) * self._concentration / S.expand_dims(self._total, -1)
        super().__init__(c.dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._total_count, self._concentration], scope)

    @property
    def total_count(self) -> Tensor:
        return self._total_count

    @property
    def concentration(self) -> Tensor:
        return self._concentration

    @property
    def total_concentration(self) -> Tensor:
        return self._total

    def _batch_shape(self) -> TensorShape:
        return TensorShape(self._mean_val.shape.as_list()[:-1])

    def _batch_shape_tensor(self) -> Tensor:
        return S.shape(self._mean_val)[:-1]

    def _event_shape(self) -> TensorShape:
        return TensorShape(self._concentration.shape.as_list()[-1:])

    def _event_shape_tensor(self) -> Tensor:
        return S.shape(self._concentration)[-1:]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        full = static_dims(broadcast_static_shape(self._mean_val.shape, self._concentration.shape), "batch shape")
        k = full[-1]
        g = standard_gamma([n] + full, self._concentration, seed)
        logits = S.reshape(E.log(g), [-1, k])
        n_draws = S.reshape(ST.zeros([n] + full[:-1], self.dtype) + self._total_count, [-1])
        return S.reshape(count_draws(logits, n_draws, None if seed is None else seed + 1), [n] + full)

    def _log_prob(self, counts: Tensor) -> Tensor:
        c = self._concentration
        return lbeta(c + counts) - lbeta(c) + log_combinations(self._total_count, counts)

    def _mean(self) -> Tensor:
        return E.identity(self._mean_val)

    def _scale_term(self) -> Tensor:
        # n (n + c0) / (1 + c0), c0 the total concentration
        n, t = self._total_count, self._total
        return S.expand_dims(n * (n + t) / (1.0 + t), -1)

    def _covariance(self) -> Tensor:
        p = self._concentration / S.expand_dims(self._total, -1)
        return S.expand_dims(self._scale_term(), -1) * simplex_covariance(p * ST.ones_like(self._mean_val))

    def _variance(self) -> Tensor:
        p = self._concentration / S.expand_dims(self._total, -1)
        return self._scale_term() * p * (1.0 - p)
