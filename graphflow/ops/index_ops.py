"""Indexing and data movement built from the primitives: slice, reverse, reverse_sequence,
sequence_mask, where with one argument, sort/argsort, gather with batch_dims, boolean_mask on any
axis, REFLECT/SYMMETRIC padding, segment reductions, scatter_nd, meshgrid.

Each is a composite, so gradients follow from the primitives' rules. One primitive lives here:
TOP_K_INDICES, the stable descending sort that argsort, sort, top_k and random_shuffle build on.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DimsLike, DTypeLike, TensorLike
from graphflow.ops import array_ops as A
from graphflow.ops import elementwise_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops._build import make, require
from graphflow.ops.array_ops import batch_gather, boolean_mask_axis, mirror_pad  # noqa: F401  (public here too)
from graphflow.ops.slice_ops import known_rank, norm_axis, slice, static_ints  # noqa: F401, A004 (gf.slice)


def _rank(x: Tensor, what: str) -> int:
    return known_rank(x.shape, what)


def _dim(x: Tensor, axis: int) -> int | Tensor:
    """A dim of ``x``: the int when static, else a scalar tensor."""
    d = x.shape.as_list()[axis]
    return d if d is not None else S.shape(x)[axis]


def reverse(tensor: TensorLike, axis: int | Sequence[int] | Tensor, name: str | None = None) -> Tensor:
    """Reverse ``tensor`` along each dim in ``axis`` (TF1's ``reverse_v2``)."""
    import builtins
    x = convert_to_tensor(tensor)
    r = _rank(x, "reverse")
    axes = {norm_axis(a, r, "reverse") for a in static_ints(axis, "reverse axis")}
    key = tuple(builtins.slice(None, None, -1) if j in axes else builtins.slice(None) for j in range(r))
    return ST.add_name(x[key], name)


def sequence_mask(lengths: TensorLike, maxlen: int | Tensor | None = None, dtype: DTypeLike = _dt.bool_,
                  name: str | None = None) -> Tensor:
    """``mask[..., j] = j < lengths[...]``, ``maxlen`` columns (the largest length by default)."""
    n = convert_to_tensor(lengths)
    if maxlen is None:
        maxlen = R.reduce_max(n)
    m = M.cast(maxlen, n.dtype) if isinstance(maxlen, Tensor) else int(maxlen)
    cols = ST.range(m)
    mask = M.less(M.cast(cols, n.dtype), S.expand_dims(n, -1))
    out = mask if _dt.as_dtype(dtype).is_bool else M.cast(mask, dtype)
    return ST.add_name(out, name)


def where_indices(condition: TensorLike, name: str | None = None) -> Tensor:
    """The coordinates of the true (non-zero) entries of ``condition``, row-major, as an int64
    ``[n, rank]`` tensor (TF1's ``where`` with one argument)."""
    c = convert_to_tensor(condition)
    r = _rank(c, "where")
    if not c.dtype.is_bool:
        c = M.not_equal(c, M.zeros_like_scalar(c))
    grids = []
    for j in range(r):
        idx = M.cast(ST.range(_dim(c, j)), _dt.int64)
        shape = [1] * r
        shape[j] = -1
        grids.append(R.broadcast_to(S.reshape(idx, shape), S.shape(c)))
    coords = A.stack(grids, axis=-1) if r else S.reshape(ST.constant(np.zeros(0, np.int64)), [1, 0])
    return A.boolean_mask(coords, c, name=name or "Where")


# ---- TOP_K_INDICES: the stable descending sort that argsort, sort, top_k and shuffles build on ---

@dataclass(frozen=True)
class TopKAttrs:
    k: int | None  # None: the whole axis (a full stable sort)


def _top_k_shape(shapes: Sequence[TensorShape], at: TopKAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    last = s.dims[-1]  # type: ignore[index]
    if at.k is None:
        return [s]
    if last is not None and last < at.k:
        raise ValueError(f"top_k needs at least k={at.k} entries in the last dim, got shape {s}")
    return [TensorShape(list(s.dims[:-1]) + [at.k])]  # type: ignore[index]


def _top_k_ref(at: TopKAttrs, x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, axis=-1, kind="stable")  # descending; equal values keep index order
    return (order if at.k is None else order[..., :at.k]).astype(np.int32)


_NUMERIC = require("fi")
register(OpDef(Op.TOP_K_INDICES, Kind.OTHER, _top_k_shape, lambda d, at: [_NUMERIC(d, at) and _dt.int32],
               _top_k_ref, no_gradient=True))


def sort_indices(x: Tensor, name: str | None = None) -> Tensor:
    """int32 indices sorting each row of the last axis in descending order, stably."""
    if x.shape.rank == 0:
        raise ValueError("sorting needs at least one dim, got a scalar")
    return make(Op.TOP_K_INDICES, [x], TopKAttrs(None), name=name or "Argsort")


def _order(x: Tensor, axis: int, descending: bool) -> tuple[Tensor, list[int]]:
    """Stable sort indices along ``axis`` (TOP_K_INDICES over the whole axis)."""
    r = _rank(x, "sort")
    ax = norm_axis(axis, r, "sort")
    perm = list(range(r))
    perm[ax], perm[-1] = perm[-1], perm[ax]
    moved = S.transpose(x, perm) if ax != r - 1 else x
    key = moved if descending else -moved if not moved.dtype.is_bool else M.logical_not(moved)
    idx = sort_indices(key)
    return (S.transpose(idx, perm) if ax != r - 1 else idx), perm


def argsort(values: TensorLike, axis: int = -1, direction: str = "ASCENDING", stable: bool = False,
            name: str | None = None) -> Tensor:
    """Indices that sort ``values`` along ``axis`` (stable: equal values keep their order)."""
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"argsort direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    idx, _ = _order(convert_to_tensor(values), axis, direction == "DESCENDING")
    return ST.add_name(idx, name)


def sort(values: TensorLike, axis: int = -1, direction: str = "ASCENDING", name: str | None = None) -> Tensor:
    """``values`` sorted along ``axis``; the gradient flows back to the sorted entries."""
    x = convert_to_tensor(values)
    idx = argsort(x, axis, direction)
    r = _rank(x, "sort")
    ax = norm_axis(axis, r, "sort")
    return ST.add_name(take_along_axis(x, idx, ax), name)


def take_along_axis(x: Tensor, idx: Tensor, axis: int) -> Tensor:
    """``x[..., idx[..., j], ...]`` along ``axis`` (numpy's take_along_axis), by gather_nd."""
    r = _rank(x, "take_along_axis")
    parts = []
    for j in range(r):
        if j == axis:
            parts.append(M.cast(idx, _dt.int32))
            continue
        g = ST.range(_dim(idx, j))
        shape = [1] * r
        shape[j] = -1
        parts.append(R.broadcast_to(S.reshape(g, shape), S.shape(idx)))
    return A.gather_nd(x, A.stack(parts, axis=-1))


def unsorted_segment_sum(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                         name: str | None = None) -> Tensor:
    """``out[s] = sum of data[i] where segment_ids[i] == s`` (ids shape a prefix of data's)."""
    d = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    k = _rank(ids, "segment ids")
    like = ST.zeros(A.concat([S.reshape(M.cast(num_segments, _dt.int32), [1]), S.shape(d)[k:]], 0), d.dtype)
    out = make(Op.SCATTER_ADD, [d, ids, like], A.AxisAttrs(0), name=name or "UnsortedSegmentSum")
    if d.shape.rank is not None:  # the static shape: what is known of the count and the row shape
        count = None if isinstance(num_segments, Tensor) else int(num_segments)
        out.set_shape([count] + d.shape.as_list()[k:])
    return out


def _segment_mask(d: Tensor, ids: Tensor, num_segments: int | Tensor) -> tuple[Tensor, Tensor]:
    """``hit[i, s] = ids[i] == s`` shaped to broadcast against ``data[:, None, ...]``."""
    if _rank(ids, "segment ids") != 1:
        raise ValueError(f"segment max/min/prod/mean need 1-D segment ids, got shape {ids.shape}")
    segs = ST.range(M.cast(num_segments, ids.dtype) if isinstance(num_segments, Tensor) else int(num_segments))
    hit = M.equal(S.expand_dims(ids, 1), S.expand_dims(M.cast(segs, ids.dtype), 0))
    for _ in range(_rank(d, "segment data") - 1):
        hit = S.expand_dims(hit, -1)
    return hit, S.expand_dims(d, 1)


def _masked_reduce(kind: str, data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                   name: str | None) -> Tensor:
    d = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    hit, wide = _segment_mask(d, ids, num_segments)
    if kind == "mean":
        total = unsorted_segment_sum(d, ids, num_segments)
        count = unsorted_segment_sum(M.cast(ST.ones_like(ids), d.dtype), ids, num_segments)
        for _ in range(_rank(d, "segment data") - 1):
            count = S.expand_dims(count, -1)
        return M.divide(total, M.maximum(count, np.ones((), d.dtype.np)), name=name)
    fill = {"max": d.dtype.min, "min": d.dtype.max, "prod": 1}[kind]
    filled = M.where(hit, wide * ST.ones_like(M.cast(hit, d.dtype)),
                     ST.fill(S.shape(M.cast(hit, d.dtype) * wide), ST.constant(fill, d.dtype)))
    fn = {"max": R.reduce_max, "min": R.reduce_min, "prod": R.reduce_prod}[kind]
    return fn(filled, axis=0, name=name)


def unsorted_segment_max(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                         name: str | None = None) -> Tensor:
    """Per-segment maxima; an empty segment holds the dtype's lowest value (TF1)."""
    return _masked_reduce("max", data, segment_ids, num_segments, name)


def unsorted_segment_min(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                         name: str | None = None) -> Tensor:
    return _masked_reduce("min", data, segment_ids, num_segments, name)


def unsorted_segment_prod(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                          name: str | None = None) -> Tensor:
    return _masked_reduce("prod", data, segment_ids, num_segments, name)


def unsorted_segment_mean(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                          name: str | None = None) -> Tensor:
    return _masked_reduce("mean", data, segment_ids, num_segments, name)


def _num_sorted_segments(ids: Tensor) -> Tensor:
    return R.reduce_max(ids) + 1  # sorted ids: the last one, robust to an empty tail too


class SegmentFn(Protocol):
    """A reduction over runs of sorted segment ids (``gf.segment_sum``...)."""

    def __call__(self, data: TensorLike, segment_ids: TensorLike, name: str | None = None) -> Tensor: ...


def _sorted_segments(unsorted: Callable[..., Tensor], default: str) -> SegmentFn:
    def fn(data: TensorLike, segment_ids: TensorLike, name: str | None = None) -> Tensor:
        ids = convert_to_tensor(segment_ids)
        return unsorted(data, ids, _num_sorted_segments(ids), name=name or default)
    fn.__name__ = default
    fn.__doc__ = f"{default}: the unsorted form over runs of sorted ``segment_ids`` (``max(ids) + 1`` segments)."
    return fn


segment_sum = _sorted_segments(unsorted_segment_sum, "SegmentSum")
segment_mean = _sorted_segments(unsorted_segment_mean, "SegmentMean")
segment_max = _sorted_segments(unsorted_segment_max, "SegmentMax")
segment_min = _sorted_segments(unsorted_segment_min, "SegmentMin")
segment_prod = _sorted_segments(unsorted_segment_prod, "SegmentProd")


def scatter_nd(indices: TensorLike, updates: TensorLike, shape: DimsLike, name: str | None = None) -> Tensor:
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (duplicates sum)."""
    u = convert_to_tensor(updates)
    idx = convert_to_tensor(indices)
    return make(Op.SCATTER_ND_ADD, [u, idx, ST.zeros(shape, u.dtype)], name=name or "ScatterNd")


def meshgrid(*args: TensorLike, indexing: str = "xy", name: str | None = None) -> list[Tensor]:
    """Coordinate grids of 1-D tensors (``indexing`` "xy": the first two dims swapped, as numpy)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [S.reshape(convert_to_tensor(a), [-1]) for a in args]
    n = len(xs)
    order = list(range(n))
    if indexing == "xy" and n >= 2:
        order[0], order[1] = 1, 0
    dims = [None] * n
    for k, j in enumerate(order):
        dims[j] = k
    full = A.stack([S.shape(xs[order.index(j)])[0] for j in range(n)]) if n else None
    out = []
    for k, x in enumerate(xs):
        shape = [1] * n
        shape[dims[k]] = -1
        out.append(R.broadcast_to(S.reshape(x, shape), full))
    return out
