"""TF1's other candidate samplers: ``all_candidate_sampler`` (every class, expected count 1),
``fixed_unigram_candidate_sampler`` (a given unigram distribution, distorted, with reserved ids
and shards, drawn as the samplers of ``sampled.py`` draw) and ``compute_accidental_hits`` (where a
sampled candidate is one of the row's true classes).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.check_ops import check_in_range
from graphflow.ops.elementwise_ops import add_name, equal, greater_equal
from graphflow.ops.index_ops import where_indices
from graphflow.ops.math_ops import cast
from graphflow.ops.reduce_ops import reduce_any
from graphflow.ops.shape_ops import expand_dims, reshape, shape
from graphflow.ops.state_ops import constant, fill
from graphflow.tf1.nn.sampled import _sample

__all__ = ["all_candidate_sampler", "compute_accidental_hits", "fixed_unigram_candidate_sampler"]


def all_candidate_sampler(true_classes: TensorLike, num_true: int, num_sampled: int, unique: bool,
                          seed: int | None = None, name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(the classes ``0 .. num_sampled - 1`` as int64, expected counts of 1 for the true classes and
    for the candidates): every class is a candidate, for testing sampled losses. A true class
    outside ``[0, num_sampled)`` is an error at run time, as in TF1.

    >>> import graphflow as gf
    >>> gf.nn.all_candidate_sampler([[1, 2]], 2, 3, True)[0].eval().tolist()
    [0, 1, 2]
    """
    true = check_in_range(convert_to_tensor(true_classes, dtype=_dt.int64), 0, int(num_sampled),
                          "all_candidate_sampler: a true class")
    true_count = cast(greater_equal(true, constant(0, dtype=_dt.int64)), _dt.float32)  # all ones, after the check
    ids = constant(np.arange(int(num_sampled), dtype=np.int64))
    return add_name(ids, name), true_count, constant(np.ones(int(num_sampled), np.float32))


def _unigram_probs(range_max: int, vocab_file: str, distortion: float, num_reserved_ids: int, num_shards: int,
                   shard: int, unigrams: Sequence[float]) -> np.ndarray:
    if vocab_file:
        with open(vocab_file) as f:  # one class a line; its count is the line's last comma-separated field
            counts = [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]
    else:
        counts = [float(u) for u in unigrams]
    if num_reserved_ids + len(counts) != range_max:
        raise ValueError(f"fixed_unigram_candidate_sampler: {num_reserved_ids} reserved ids and {len(counts)} "
                         f"unigrams do not make range_max {range_max}")
    weights = np.concatenate([np.zeros(num_reserved_ids), np.asarray(counts) ** float(distortion)])
    weights[np.arange(range_max) % num_shards != shard] = 0.0
    if weights.sum() <= 0:
        raise ValueError("fixed_unigram_candidate_sampler: every class of this shard has weight 0")
    return weights / weights.sum()


def fixed_unigram_candidate_sampler(true_classes: TensorLike, num_true: int, num_sampled: int, unique: bool,
                                    range_max: int, vocab_file: str = "", distortion: float = 1.0,
                                    num_reserved_ids: int = 0, num_shards: int = 1, shard: int = 0,
                                    unigrams: Sequence[float] = (), seed: int | None = None,
                                    name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(sampled ids, true expected counts, sampled expected counts) with ``P(k)`` proportional to
    ``unigrams[k - num_reserved_ids] ** distortion``; reserved ids and the ids of other shards
    (``k % num_shards != shard``) are never drawn."""
    probs = _unigram_probs(int(range_max), vocab_file, distortion, int(num_reserved_ids), int(num_shards),
                           int(shard), unigrams)
    with np.errstate(divide="ignore"):  # classes of weight 0 get log-probability -inf: never drawn
        return _sample(probs, true_classes, num_true, num_sampled, unique, seed)


def compute_accidental_hits(true_classes: TensorLike, sampled_candidates: TensorLike, num_true: int,
                            seed: int | None = None, name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(int32 rows, int64 candidate positions, float32 weights of -FLT_MAX) of every sampled
    candidate that equals one of its row's true classes, row by row.

    >>> import graphflow as gf
    >>> rows, ids, _ = gf.nn.compute_accidental_hits([[1, 5], [2, 3]], [3, 1, 5, 0], 2)
    >>> rows.eval().tolist(), ids.eval().tolist()
    ([0, 0, 1], [1, 2, 0])
    """
    true = convert_to_tensor(true_classes, dtype=_dt.int64)
    sampled = reshape(convert_to_tensor(sampled_candidates, dtype=_dt.int64), [1, 1, -1])
    hit = reduce_any(equal(expand_dims(true, 2), sampled), 1)  # [batch, num_sampled]
    where = where_indices(hit)
    rows = cast(where[:, 0], _dt.int32)
    weights = fill(shape(rows), constant(np.finfo(np.float32).min, dtype=_dt.float32))
    return add_name(rows, name), where[:, 1], weights
