"""Candidate sampling and the sampled losses of word2vec-style models: ``nn.nce_loss`` and
``nn.sampled_softmax_loss``, with ``log_uniform_candidate_sampler`` (Zipfian) and
``uniform_candidate_sampler``.

With ``unique=True`` the candidates are drawn without replacement by the Gumbel-top-k trick
(the k largest ``log p + Gumbel noise``); their expected counts use TF1's formula
``-expm1(num_tries * log1p(-p))`` with ``num_tries = num_sampled`` (TF1 counts the draws its
rejection loop made). With ``unique=False`` they are i.i.d. draws and the expected count is
``num_sampled * p``.
"""
from __future__ import annotations

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, gather
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2
from graphflow.ops.random_ops import multinomial
from graphflow.ops.shape_ops import expand_dims, reshape
from graphflow.ops.sort_ops import top_k
from graphflow.ops.special_ops import expm1

# a candidate sampler's (sampled ids, true expected counts, sampled expected counts)
SampledValues = tuple[TensorLike, TensorLike, TensorLike]

__all__ = ["log_uniform_candidate_sampler", "nce_loss", "sampled_softmax_loss", "uniform_candidate_sampler"]


def _log_uniform_probs(range_max: int) -> np.ndarray:
    k = np.arange(range_max, dtype=np.float64)
    return (np.log(k + 2.0) - np.log(k + 1.0)) / np.log(range_max + 1.0)


def _sample(probs: np.ndarray, true_classes: TensorLike, num_true: int, num_sampled: int, unique: bool,
            seed: int | None) -> tuple[Tensor, Tensor, Tensor]:
    n = probs.size
    if unique and num_sampled > n:
        raise ValueError(f"candidate sampling of {num_sampled} unique classes from a range of {n}")
    logp = ST.constant(np.log(probs))
    if unique:
        u = ST.random_uniform([n], minval=np.finfo(np.float64).tiny, maxval=1.0, dtype=_dt.float64, seed=seed)
        _, ids = top_k(logp - M.log(-M.log(u)), num_sampled)
        ids = M.cast(ids, _dt.int64)
    else:
        ids = reshape(multinomial(reshape(logp, [1, n]), num_sampled, seed=seed), [num_sampled])
    p = ST.constant(probs)

    def expected(idx: Tensor) -> Tensor:
        pi = gather(p, idx)
        if unique:
            return -expm1(float(num_sampled) * M.log1p(-pi))
        return pi * float(num_sampled)
    true = M.cast(convert_to_tensor(true_classes), _dt.int64)
    return ids, M.cast(expected(true), _dt.float32), M.cast(expected(ids), _dt.float32)


def log_uniform_candidate_sampler(true_classes: TensorLike, num_true: int, num_sampled: int, unique: bool,
                                  range_max: int, seed: int | None = None,
                                  name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(sampled ids, true expected counts, sampled expected counts) from the Zipfian distribution
    ``P(k) = log((k + 2) / (k + 1)) / log(range_max + 1)``."""
    return _sample(_log_uniform_probs(int(range_max)), true_classes, num_true, num_sampled, unique, seed)


def uniform_candidate_sampler(true_classes: TensorLike, num_true: int, num_sampled: int, unique: bool, range_max: int,
                              seed: int | None = None, name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    return _sample(np.full(int(range_max), 1.0 / int(range_max)), true_classes, num_true, num_sampled, unique, seed)


def _sampled_logits(weights: TensorLike, biases: TensorLike, labels: TensorLike, inputs: TensorLike, num_sampled: int,
                    num_classes: int, num_true: int, sampled_values: SampledValues | None, subtract_log_q: bool,
                    remove_accidental_hits: bool, seed: int | None) -> tuple[Tensor, Tensor]:
    w = convert_to_tensor(weights[0] if isinstance(weights, (list, tuple)) and len(weights) == 1 else weights)
    if isinstance(weights, (list, tuple)) and len(weights) > 1:
        w = concat(list(weights), 0)
    b = convert_to_tensor(biases)
    x = convert_to_tensor(inputs)
    lab = reshape(M.cast(convert_to_tensor(labels), _dt.int64), [-1, num_true])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(lab, num_true, num_sampled, True, num_classes, seed)
    ids, true_expected, sampled_expected = sampled_values
    ids = M.stop_gradient(M.cast(ids, _dt.int64))
    true_expected = M.stop_gradient(true_expected)
    sampled_expected = M.stop_gradient(sampled_expected)
    flat = reshape(lab, [-1])
    true_w = reshape(gather(w, flat), [-1, num_true, w.shape.as_list()[1]])
    true_b = reshape(gather(b, flat), [-1, num_true])
    true_logits = R.reduce_sum(expand_dims(x, 1) * true_w, axis=2) + true_b
    sampled_logits = matmul(x, gather(w, ids), transpose_b=True) + gather(b, ids)
    if remove_accidental_hits:
        hit = R.reduce_any(M.equal(expand_dims(lab, 2), reshape(ids, [1, 1, -1])), axis=1)
        # TF1 pushes such logits down by a huge constant, so they vanish from the softmax
        sampled_logits = M.where(hit, sampled_logits - 1e30 * ST.ones_like(sampled_logits), sampled_logits)
    if subtract_log_q:
        true_logits = true_logits - M.log(M.cast(true_expected, x.dtype))
        sampled_logits = sampled_logits - M.log(M.cast(sampled_expected, x.dtype))
    logits = concat([true_logits, sampled_logits], 1)
    targets = concat([ST.ones_like(true_logits) / float(num_true), ST.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights: TensorLike, biases: TensorLike, labels: TensorLike, inputs: TensorLike, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: SampledValues | None = None,
             remove_accidental_hits: bool = False, partition_strategy: str = "mod", name: str = "nce_loss",
             seed: int | None = None) -> Tensor:
    """Noise-contrastive estimation loss per example: logistic losses of the true class(es)
    against ``num_sampled`` sampled classes, each logit corrected by ``log`` of its expected
    count."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                      sampled_values, True, remove_accidental_hits, seed)
    return R.reduce_sum(sigmoid_cross_entropy_with_logits(labels=targets, logits=logits), axis=1, name=name)


def sampled_softmax_loss(weights: TensorLike, biases: TensorLike, labels: TensorLike, inputs: TensorLike,
                         num_sampled: int, num_classes: int, num_true: int = 1,
                         sampled_values: SampledValues | None = None, remove_accidental_hits: bool = True,
                         partition_strategy: str = "mod", name: str = "sampled_softmax_loss",
                         seed: int | None = None) -> Tensor:
    """Softmax cross-entropy over the true class(es) and ``num_sampled`` sampled classes (a
    sampled class equal to a true one is removed from its row)."""
    logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                      sampled_values, True, remove_accidental_hits, seed)
    return softmax_cross_entropy_with_logits_v2(labels=M.stop_gradient(targets), logits=logits, name=name)
