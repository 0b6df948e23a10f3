"""TF1's ``tf.distributions.Multinomial(total_count, logits=None, probs=None)``: counts of
``total_count`` draws over the classes of the last axis.

>>> import graphflow as gf
>>> gf.distributions.Multinomial(5., probs=[0.2, 0.8]).mean().shape.as_list()
[2]
"""
from __future__ import annotations

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import broadcast_static_shape
from graphflow.ops.array_ops import one_hot
from graphflow.ops.nn_ops import log_softmax, softmax
from graphflow.ops.random_ops import multinomial
from graphflow.tf1.distributions.base import (
    NOT_REPARAMETERIZED,
    Distribution,
    checked,
    float_params,
    logits_and_probs,
    non_negative,
    static_dims,
)
from graphflow.tf1.distributions.dirichlet import simplex_covariance


def log_combinations(n: Tensor, counts: Tensor) -> Tensor:
    """log(n! / prod counts_k!) over the last axis."""
    return SP.lgamma(n + 1.0) - R.reduce_sum(SP.lgamma(counts + 1.0), axis=-1)


def count_draws(logits: Tensor, n_draws: Tensor, seed: int | None) -> Tensor:
    """Per row of ``logits`` [M, K], the class counts of ``n_draws`` [M] categorical draws (a
    run-time number): max(n_draws) draws a row, those past the row's own count masked off."""
    k = logits.shape.as_list()[-1]
    most = E.cast(R.reduce_max(n_draws), _dt.int32)
    draws = multinomial(logits, most, seed=seed, output_dtype=_dt.int32)
    kept = E.cast(E.less(S.expand_dims(ST.range(most), 0), S.expand_dims(E.cast(n_draws, _dt.int32), 1)),
                  logits.dtype)
    return R.reduce_sum(one_hot(draws, k, dtype=logits.dtype) * S.expand_dims(kept, -1), axis=-2)


class Multinomial(Distribution):
    """P(counts) = n! / prod(counts_k!) prod p_k^counts_k for counts summing to n = ``total_count``."""

    def __init__(self, total_count: TensorLike, logits: TensorLike | None = None, probs: TensorLike | None = None,
                 validate_args: bool = False, allow_nan_stats: bool = True, name: str = "Multinomial") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            lg, pr = logits_and_probs(logits, probs, None, softmax, E.log, validate_args, 1)
            (n,) = float_params(lg.dtype, total_count=total_count)
            self._total_count = checked(validate_args, E.identity(n, name="total_count"),
                                        [non_negative("total_count")])
            self._logits, self._probs = lg, pr
            self._mean_val = S.expand_dims(self._total_count, -1) * self._probs
        super().__init__(lg.dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._total_count, self._logits, self._probs], scope)

    @property
    def total_count(self) -> Tensor:
        return self._total_count

    @property
    def logits(self) -> Tensor:
        return self._logits

    @property
    def probs(self) -> Tensor:
        return self._probs

    def _batch_shape(self) -> TensorShape:
        return TensorShape(self._mean_val.shape.as_list()[:-1])

    def _batch_shape_tensor(self) -> Tensor:
        return S.shape(self._mean_val)[:-1]

    def _event_shape(self) -> TensorShape:
        return TensorShape(self._logits.shape.as_list()[-1:])

    def _event_shape_tensor(self) -> Tensor:
        return S.shape(self._logits)[-1:]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        full = static_dims(broadcast_static_shape(self._mean_val.shape, self._logits.shape), "batch shape")
        k = full[-1]
        logits = S.reshape(ST.zeros([n] + full, self.dtype) + self._logits, [-1, k])
        n_draws = S.reshape(ST.zeros([n] + full[:-1], self.dtype) + self._total_count, [-1])
        return S.reshape(count_draws(logits, n_draws, seed), [n] + full)

    def _log_prob(self, counts: Tensor) -> Tensor:
        return R.reduce_sum(counts * log_softmax(self._logits), axis=-1) + log_combinations(self._total_count, counts)

    def _mean(self) -> Tensor:
        return E.identity(self._mean_val)

    def _covariance(self) -> Tensor:
        return S.expand_dims(S.expand_dims(self._total_count, -1), -1) * simplex_covariance(self._probs)

    def _variance(self) -> Tensor:
        return self._mean_val * (1.0 - self._probs)
