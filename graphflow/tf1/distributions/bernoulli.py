"""TF1's ``tf.distributions.Bernoulli(logits=None, probs=None, dtype=int32)``: events 0 or 1,
given the log-odds or the probability of a 1 (exactly one of them).

>>> import graphflow as gf
>>> gf.distributions.Bernoulli(probs=[0.2, 0.9]).sample(5).shape.as_list()
[5, 2]
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import state_ops as ST
from graphflow.ops.activation_ops import softplus
from graphflow.ops.nn_ops import sigmoid_cross_entropy_with_logits
from graphflow.tf1.distributions.base import NOT_REPARAMETERIZED, Distribution, logits_and_probs
from graphflow.tf1.distributions.kl import RegisterKL


class Bernoulli(Distribution):
    """P(1) = ``probs`` = sigmoid(``logits``); events in ``dtype`` (int32 by default)."""

    _sample_shaped: tuple[str, ...] = ("logits",)

    def __init__(self, logits: TensorLike | None = None, probs: TensorLike | None = None,
                 dtype: DTypeLike = _dt.int32, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Bernoulli") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            self._logits, self._probs = logits_and_probs(
                logits, probs, None, E.sigmoid, lambda p: E.log(p) - E.log1p(-p), validate_args)
        super().__init__(dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._logits, self._probs], scope)

    @property
    def logits(self) -> Tensor:
        return self._logits

    @property
    def probs(self) -> Tensor:
        return self._probs

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._logits]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        shape = self._draw_shape(n)
        u = ST.random_uniform(shape, dtype=self._probs.dtype, seed=seed)
        return E.cast(E.less(u, self._probs), self.dtype)

    def _log_prob(self, event: Tensor) -> Tensor:
        x = E.cast(event, self._logits.dtype)
        logits = self._logits * ST.ones_like(x)
        return -sigmoid_cross_entropy_with_logits(labels=x * ST.ones_like(self._logits), logits=logits)

    def _entropy(self) -> Tensor:
        return -self._logits * (E.sigmoid(self._logits) - 1.0) + softplus(-self._logits)

    def _mean(self) -> Tensor:
        return E.identity(self._probs)

    def _variance(self) -> Tensor:
        return self._probs * (1.0 - self._probs)

    def _mode(self) -> Tensor:
        return E.cast(E.greater(self._probs, 0.5), self.dtype)


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a: Bernoulli, b: Bernoulli, name: str | None = None) -> Tensor:
    to_zero = softplus(-b.logits) - softplus(-a.logits)
    to_one = softplus(b.logits) - softplus(a.logits)
    return E.sigmoid(a.logits) * to_zero + E.sigmoid(-a.logits) * to_one
