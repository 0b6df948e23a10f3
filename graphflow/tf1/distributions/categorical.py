"""TF1's ``tf.distributions.Categorical(logits=None, probs=None, dtype=int32)``: one of
``event_size`` classes, per batch member; the parameters' last axis is the classes'.

>>> import graphflow as gf
>>> d = gf.distributions.Categorical(logits=[[0., 1., 2.]])
>>> d.batch_shape.as_list(), d.sample(4).shape.as_list()
([1], [4, 1])
"""
from __future__ import annotations

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import one_hot
from graphflow.ops.nn_ops import log_softmax, softmax
from graphflow.ops.random_ops import multinomial
from graphflow.ops.reduce_ops import argmax
from graphflow.tf1.distributions.base import NOT_REPARAMETERIZED, Distribution, logits_and_probs
from graphflow.tf1.distributions.kl import RegisterKL


class Categorical(Distribution):
    """P(k) = ``probs[..., k]`` = softmax(``logits``)[..., k]."""

    def __init__(self, logits: TensorLike | None = None, probs: TensorLike | None = None,
                 dtype: DTypeLike = _dt.int32, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Categorical") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            self._logits, self._probs = logits_and_probs(logits, probs, None, softmax, E.log, validate_args, 1)
        super().__init__(dtype, NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._logits, self._probs], scope)

    @property
    def logits(self) -> Tensor:
        return self._logits

    @property
    def probs(self) -> Tensor:
        return self._probs

    @property
    def event_size(self) -> int | Tensor:
        k = self._logits.shape.as_list()[-1]
        return S.shape(self._logits)[-1] if k is None else k

    def _batch_shape(self) -> TensorShape:
        return TensorShape(self._logits.shape.as_list()[:-1])

    def _batch_shape_tensor(self) -> Tensor:
        return S.shape(self._logits)[:-1]

    def _one_hot(self, k: Tensor) -> Tensor:
        """``k``'s classes as one-hot rows, broadcast against the batch."""
        return one_hot(E.cast(k, _dt.int32), self.event_size, dtype=self._logits.dtype)

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        draws = multinomial(S.reshape(self._logits, [-1, self._logits.shape.as_list()[-1]]), n, seed=seed,
                            output_dtype=_dt.int64 if self.dtype == _dt.int64 else _dt.int32)
        return E.cast(S.reshape(S.transpose(draws), self._draw_shape(n)), self.dtype)

    def _log_prob(self, k: Tensor) -> Tensor:
        return R.reduce_sum(self._one_hot(k) * log_softmax(self._logits), axis=-1)

    def _cdf(self, k: Tensor) -> Tensor:
        # TF 1.x's: the probabilities of the classes below k (sequence_mask(k): all of them for
        # k >= event_size, none for k <= 0)
        below = E.less(ST.range(self.event_size), S.expand_dims(E.cast(k, _dt.int32), -1))
        return R.reduce_sum(E.cast(below, self._probs.dtype) * self._probs, axis=-1)

    def _entropy(self) -> Tensor:
        return -R.reduce_sum(softmax(self._logits) * log_softmax(self._logits), axis=-1)

    def _mode(self) -> Tensor:
        return E.cast(argmax(self._logits, axis=-1), self.dtype)


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(a: Categorical, b: Categorical, name: str | None = None) -> Tensor:
    return R.reduce_sum(softmax(a.logits) * (log_softmax(a.logits) - log_softmax(b.logits)), axis=-1)
