"""``tf.edit_distance``: the Levenshtein distance between the sequences of two SparseTensors.

Each sequence is a row of the last dimension: the values of the row's entries in index order
(their positions along the last dimension do not matter, as in TF1). Values are compared through
ids (``unique`` over both tensors' values; for strings, the first equal value's position), so
any dtype works. The distance
is the textbook dynamic programme, one ``while_loop`` step per hypothesis position over all rows
at once; the sequential part of a step (an insertion extends the cell to its left) is a running
minimum: ``d[j] = j + min over k <= j of (c[k] - k)``.
"""
from __future__ import annotations

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.ops import control_flow as CF
from graphflow.ops import elementwise_ops as E
from graphflow.ops import index_ops as I
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as Red
from graphflow.ops import run_time_axes as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as St
from graphflow.ops.concat_ops import stack
from graphflow.ops.sort_ops import unique
from graphflow.ops.sparse_ops import SparseTensor, as_sparse

__all__ = ["edit_distance"]

_FAR = 1 << 30  # larger than any distance


def _sequences(sp: SparseTensor, ids: Tensor, lead: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    """(``[rows, longest]`` the value ids of each row's entries in order, padded with -1; each
    row's entry count). ``lead``: the leading dims rows are numbered in (row-major)."""
    strides = R.cumprod(lead, exclusive=True, reverse=True)
    row = M.cast(Red.reduce_sum(sp.indices[:, :-1] * R.expand_dims(strides, 0), 1), _dt.int32)
    count = I.unsorted_segment_sum(St.ones_like(row), row, rows)
    start = R.cumsum(count, exclusive=True)
    slot = St.range(S.shape(row)[0]) - R.gather(start, row)
    width = Red.reduce_max(R.concat([count, St.zeros_like(count[:1])], 0)) + 1  # one spare column
    dense = I.scatter_nd(stack([row, slot], axis=1), ids + 1, stack([rows, width])) - 1
    return dense, count


def _levenshtein(hyp: Tensor, hyp_len: Tensor, truth: Tensor, truth_len: Tensor) -> Tensor:
    """The edit distance of each row's ``hyp`` to its ``truth`` (int32)."""
    n = S.shape(truth)[1]  # truth positions 0..n-1: columns 0..n of the table (n includes the spare)
    cols = S.reshape(St.range(n + 1), [1, -1])
    below = S.reshape(St.range(n + 1), [-1, 1]) <= S.reshape(St.range(n + 1), [1, -1])  # [k, j]: k <= j
    first = cols + St.zeros_like(R.expand_dims(hyp_len, 1))  # row 0: j insertions

    def body(i: Tensor, prev: Tensor) -> tuple[Tensor, Tensor]:
        h = R.expand_dims(R.gather(hyp, i, axis=1), 1)
        cost = M.cast(E.not_equal(truth, h), _dt.int32)
        diag = R.concat([prev[:, :1] * 0 + i + 1, E.minimum(prev[:, 1:] + 1, prev[:, :-1] + cost)], 1)
        shifted = R.expand_dims(diag - cols, 2)  # [rows, k, 1]
        best = Red.reduce_min(M.where(R.expand_dims(below, 0), shifted, St.zeros_like(shifted) + _FAR), 1)
        return i + 1, M.where(R.expand_dims(i < hyp_len, 1), best + cols, prev)

    steps = S.shape(hyp)[1]
    _, last = CF.while_loop(lambda i, _p: i < steps, body, [St.zeros_like(steps), first])
    return Red.reduce_sum(last * M.cast(E.equal(cols, R.expand_dims(truth_len, 1)), _dt.int32), 1)


def edit_distance(hypothesis: SparseTensor, truth: SparseTensor, normalize: bool = True,
                  name: str | None = "edit_distance") -> Tensor:
    """The Levenshtein distance from each hypothesis sequence to its truth (float32, shape the
    two tensors' leading dims, the larger of each): ``hypothesis`` and ``truth`` are SparseTensors
    of one dtype and rank R whose last dimension holds the sequences. ``normalize`` divides by
    the truth's length (an empty truth: inf, or 0 when the hypothesis is empty too).

    >>> import graphflow as gf
    >>> h = gf.SparseTensor([[0, 0], [0, 1]], [1, 2], [1, 2])
    >>> t = gf.SparseTensor([[0, 0]], [2], [1, 1])
    >>> gf.edit_distance(h, t, normalize=False).eval().tolist()
    [1.0]
    """
    h, t = as_sparse(hypothesis, "hypothesis"), as_sparse(truth, "truth")
    if h.dtype != t.dtype:
        raise TypeError(f"edit_distance: hypothesis and truth must have one dtype, got {h.dtype.name} and "
                        f"{t.dtype.name}")
    rank_h, rank_t = (sp.dense_shape.shape.as_list()[0] or sp.indices.shape.as_list()[1] for sp in (h, t))
    if rank_h is not None and rank_t is not None and rank_h != rank_t:
        raise ValueError(f"edit_distance: hypothesis and truth must have one rank, got {rank_h} and {rank_t}")
    rank = rank_h or rank_t
    if rank is None:
        raise ValueError("edit_distance needs the rank of hypothesis or truth when the graph is built (give "
                         "sparse_placeholder a shape)")
    lead = E.maximum(h.dense_shape[:-1], t.dense_shape[:-1])
    lead.set_shape([rank - 1])
    rows = M.cast(Red.reduce_prod(lead), _dt.int32)
    values = R.concat([h.values, t.values], 0)
    if h.dtype == _dt.string:  # (unique takes no strings) the first equal value's position
        same = M.cast(E.equal(R.expand_dims(values, 1), R.expand_dims(values, 0)), _dt.int32)
        ids = M.cast(R.argmax(same, axis=1), _dt.int32)
    else:
        _, ids = unique(values, out_idx=_dt.int32)
    n_h = S.shape(h.values)[0]
    hyp, hyp_len = _sequences(h, ids[:n_h], lead, rows)
    tru, tru_len = _sequences(t, ids[n_h:], lead, rows)
    dist = M.cast(_levenshtein(hyp, hyp_len, tru, tru_len), _dt.float32)
    if normalize:
        empty = M.where(hyp_len > 0, St.zeros_like(dist) + np.inf, St.zeros_like(dist))
        dist = M.where(tru_len > 0, dist / M.cast(E.maximum(tru_len, 1), _dt.float32), empty)
    return S.reshape(dist, M.cast(lead, _dt.int32), name=name)
