"""More of TF1's sparse ops, composed from dense ops as those of ``sparse_ops``: the sparse
segment reductions (rows of a dense tensor picked by index and summed by segment), max reductions
over the present entries, elementwise max / min, slicing and splitting, ``expand_dims``,
``reset_shape``, ``eye`` and ``to_indicator``."""
from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import index_ops as I
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import run_time_axes as RA
from graphflow.ops import shape_ops as S
from graphflow.ops import sort_ops as SO
from graphflow.ops import state_ops as ST
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.sparse_ops import (
    SparseTensor,
    SparseTensorValue,
    _int64,
    as_sparse,
    linear_ids,
    sparse_reorder,
    sparse_tensor_to_dense,
    unravel,
)

__all__ = ["sparse_segment_sum", "sparse_segment_mean", "sparse_segment_sqrt_n", "sparse_reduce_max",
           "sparse_reduce_max_sparse", "sparse_reduce_sum_sparse", "sparse_maximum", "sparse_minimum", "sparse_slice",
           "sparse_split", "sparse_expand_dims", "sparse_reset_shape", "sparse_eye", "sparse_to_indicator",
           "sparse_matmul", "sparse_merge"]


# ---- sparse segment reductions (dense data, rows picked by index) ---------------------------------

def _segment(data: TensorLike, indices: TensorLike, segment_ids: TensorLike, num_segments: Any,
             scale: str) -> Tensor:
    """``out[s] = sum over j with segment_ids[j] == s of data[indices[j]]``, divided by the
    segment's count (``mean``) or its square root (``sqrt_n``); empty segments are zero. The
    output has ``num_segments`` rows, else ``max(segment_ids) + 1``."""
    d = convert_to_tensor(data)
    rows = RA.gather(d, M.cast(convert_to_tensor(indices), _dt.int32))
    seg = M.cast(convert_to_tensor(segment_ids), _dt.int32)
    n = num_segments if num_segments is not None else R.reduce_max(seg) + 1
    total = I.unsorted_segment_sum(rows, seg, n)
    if scale == "sum":
        return total
    count = I.unsorted_segment_sum(ST.ones_like(seg, dtype=d.dtype), seg, n)
    div = M.maximum(count, 1) if scale == "mean" else M.sqrt(M.maximum(count, 1))
    return total / S.reshape(div, [-1] + [1] * ((d.shape.rank or 1) - 1))


def sparse_segment_sum(data: TensorLike, indices: TensorLike, segment_ids: TensorLike, name: str | None = None,
                       num_segments: Any = None) -> Tensor:
    """Rows ``data[indices]`` summed by ``segment_ids`` (TF1's ``sparse_segment_sum``).

    >>> import graphflow as gf
    >>> gf.sparse_segment_sum(gf.ones([4, 2]), [0, 1, 3], [0, 0, 1]).shape.as_list()
    [None, 2]
    """
    return _segment(data, indices, segment_ids, num_segments, "sum")


def sparse_segment_mean(data: TensorLike, indices: TensorLike, segment_ids: TensorLike, name: str | None = None,
                        num_segments: Any = None) -> Tensor:
    """Rows ``data[indices]`` averaged by ``segment_ids``."""
    return _segment(data, indices, segment_ids, num_segments, "mean")


def sparse_segment_sqrt_n(data: TensorLike, indices: TensorLike, segment_ids: TensorLike, name: str | None = None,
                          num_segments: Any = None) -> Tensor:
    """Rows ``data[indices]`` summed by ``segment_ids`` and divided by the square root of each
    segment's count."""
    return _segment(data, indices, segment_ids, num_segments, "sqrt_n")


# ---- reductions over the present entries ------------------------------------------------------------

def _axes(axis: Any, rank: int) -> list[int]:
    if axis is None:
        return list(range(rank))
    axes = [int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    return sorted({a + rank if a < 0 else a for a in axes})


def _groups(sp: SparseTensor, axes: list[int]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """For a reduction over ``axes``: the kept shape (reduced dims 1), each entry's group (its
    index with the reduced dims zeroed) as a row-major position in that shape, the groups in
    row-major order and each entry's group number."""
    rank = sp.shape.rank
    keep = ST.constant([0 if j in axes else 1 for j in range(rank)], dtype=_dt.int64)
    shape = sp.dense_shape * keep + (1 - keep)
    lin = linear_ids(sp.indices * A.expand_dims(keep, 0), shape)
    uniq, seg = SO.unique(lin)
    return shape, lin, uniq, seg


def _reduce_max_groups(sp: SparseTensor, axes: list[int]) -> tuple[Tensor, Tensor, Tensor]:
    """(kept shape, group positions in row-major order, the max of each group's entries)."""
    shape, _, uniq, seg = _groups(sp, axes)
    top = I.unsorted_segment_max(sp.values, seg, S.size(uniq))
    order = I.argsort(uniq, stable=True)
    return shape, RA.gather(uniq, order), RA.gather(top, order)


def sparse_reduce_max(sp_input: Any, axis: Any = None, keepdims: bool | None = None, reduction_axes: Any = None,
                      keep_dims: bool | None = None, name: str | None = None) -> Tensor:
    """The max over ``axis`` of the entries present (missing ones take no part; a slice with
    none gives 0), as a dense tensor (TF1's ``sparse_reduce_max``)."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_reduce_max: the input needs a known rank")
    axes = _axes(reduction_axes if axis is None else axis, rank)
    shape, groups, top = _reduce_max_groups(sp, axes)
    dense = AX.tensor_scatter_nd_update(ST.zeros(shape, sp.dtype), unravel(groups, shape), top)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return dense if keep else S.squeeze(dense, axes) if axes else dense


def _sparse_result(groups: Tensor, values: Tensor, shape: Tensor, axes: list[int], rank: int,
                   keep: bool) -> SparseTensor:
    indices = unravel(groups, shape)
    if keep or not axes:
        return SparseTensor(indices, values, shape)
    cols = ST.constant([j for j in range(rank) if j not in axes], dtype=_dt.int32)
    return SparseTensor(RA.gather(indices, cols, axis=1), values, RA.gather(shape, cols))


def sparse_reduce_max_sparse(sp_input: Any, axis: Any = None, keepdims: bool | None = None,
                             reduction_axes: Any = None, keep_dims: bool | None = None) -> SparseTensor:
    """As ``sparse_reduce_max``, as a SparseTensor with an entry per non-empty slice."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_reduce_max_sparse: the input needs a known rank")
    axes = _axes(reduction_axes if axis is None else axis, rank)
    shape, groups, top = _reduce_max_groups(sp, axes)
    return _sparse_result(groups, top, shape, axes, rank, bool(keepdims if keepdims is not None else keep_dims))


def sparse_reduce_sum_sparse(sp_input: Any, axis: Any = None, keepdims: bool | None = None,
                             reduction_axes: Any = None, keep_dims: bool | None = None) -> SparseTensor:
    """The sums over ``axis`` as a SparseTensor with an entry per non-empty slice (a sum of
    zero stays an entry)."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_reduce_sum_sparse: the input needs a known rank")
    axes = _axes(reduction_axes if axis is None else axis, rank)
    shape, _, uniq, seg = _groups(sp, axes)
    total = I.unsorted_segment_sum(sp.values, seg, S.size(uniq))
    order = I.argsort(uniq, stable=True)
    return _sparse_result(RA.gather(uniq, order), RA.gather(total, order), shape, axes, rank,
                          bool(keepdims if keepdims is not None else keep_dims))


# ---- elementwise, slicing, reshaping -------------------------------------------------------------------

def _elementwise(a: Any, b: Any, pick: Any, what: str) -> SparseTensor:
    """``pick`` of the two at every index either holds (a missing entry counts as zero), in
    row-major order."""
    sa, sb = as_sparse(a, "sp_a"), as_sparse(b, "sp_b")
    if sa.shape.is_fully_defined() and sb.shape.is_fully_defined() and sa.shape != sb.shape:
        raise ValueError(f"{what}: operands must have one dense shape, given {sa.shape} and {sb.shape}")
    lin = RA.concat([linear_ids(sa.indices, sa.dense_shape), linear_ids(sb.indices, sb.dense_shape)], 0)
    uniq, _ = SO.unique(lin)
    uniq = RA.gather(uniq, I.argsort(uniq, stable=True))
    idx = unravel(uniq, sa.dense_shape)
    values = pick(A.gather_nd(sparse_tensor_to_dense(sa), idx), A.gather_nd(sparse_tensor_to_dense(sb), idx))
    return SparseTensor(idx, values, sa.dense_shape)


def sparse_maximum(sp_a: Any, sp_b: Any, name: str | None = None) -> SparseTensor:
    """The elementwise max of two sparse tensors of one shape, at every index either holds."""
    return _elementwise(sp_a, sp_b, M.maximum, "sparse_maximum")


def sparse_minimum(sp_a: Any, sp_b: Any, name: str | None = None) -> SparseTensor:
    """The elementwise min of two sparse tensors of one shape, at every index either holds."""
    return _elementwise(sp_a, sp_b, M.minimum, "sparse_minimum")


def sparse_slice(sp_input: Any, start: TensorLike, size: TensorLike, name: str | None = None) -> SparseTensor:
    """The entries in the box ``start`` .. ``start + size`` (clipped to the dense shape), their
    indices shifted by ``start``; order kept."""
    sp = as_sparse(sp_input)
    lo, n = _int64(start), _int64(size)
    hi = M.minimum(lo + n, sp.dense_shape)
    inside = R.reduce_all(M.logical_and(M.greater_equal(sp.indices, A.expand_dims(lo, 0)),
                                        M.less(sp.indices, A.expand_dims(hi, 0))), axis=1)
    rows = I.where_indices(inside)[:, 0]
    shape = M.maximum(hi - lo, 0)
    return SparseTensor(RA.gather(sp.indices, rows) - A.expand_dims(lo, 0), RA.gather(sp.values, rows), shape)


def sparse_split(keyword_required: Any = None, sp_input: Any = None, num_split: int | None = None,
                 axis: int | None = None, name: str | None = None, split_dim: int | None = None) -> list[SparseTensor]:
    """``num_split`` slices along ``axis``: the first ``dim % num_split`` one longer, as TF1's."""
    if keyword_required is not None:
        raise ValueError("sparse_split: the arguments are keyword-only (sp_input=, num_split=, axis=)")
    axis = split_dim if axis is None else axis
    if sp_input is None or num_split is None or axis is None:
        raise ValueError("sparse_split needs sp_input, num_split and axis")
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_split: the input needs a known rank")
    axis = axis + rank if axis < 0 else axis
    dim = sp.dense_shape[axis]
    base, extra = M.floordiv(dim, num_split), M.floormod(dim, num_split)
    onehot = ST.constant([1 if j == axis else 0 for j in range(rank)], dtype=_dt.int64)
    out = []
    for k in range(num_split):
        kk = ST.constant(k, dtype=_dt.int64)
        begin = kk * base + M.minimum(kk, extra)
        length = base + M.cast(M.less(kk, extra), _dt.int64)
        out.append(sparse_slice(sp, onehot * begin, sp.dense_shape * (1 - onehot) + onehot * length))
    return out


def sparse_expand_dims(sp_input: Any, axis: int | None = None, name: str | None = None) -> SparseTensor:
    """A dim of size 1 inserted at ``axis`` (-1: last)."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse.expand_dims: the input needs a known rank")
    a = 0 if axis is None else int(axis)
    a = a + rank + 1 if a < 0 else a
    if not 0 <= a <= rank:
        raise ValueError(f"sparse.expand_dims: axis must be in [{-rank - 1}, {rank}], given {axis}")
    zeros = ST.zeros_like(sp.indices[:, :1])
    indices = RA.concat([sp.indices[:, :a], zeros, sp.indices[:, a:]], 1)
    shape = RA.concat([sp.dense_shape[:a], ST.constant([1], dtype=_dt.int64), sp.dense_shape[a:]], 0)
    return SparseTensor(indices, sp.values, shape)


def sparse_reset_shape(sp_input: Any, new_shape: TensorLike | None = None) -> SparseTensor:
    """The same entries with dense shape ``new_shape``, or the tightest one that holds them
    (each dim one past the largest index) when None."""
    sp = as_sparse(sp_input)
    if new_shape is None:
        shape = R.reduce_max(RA.concat([sp.indices, -ST.ones_like(sp.indices[:1])], 0), axis=0) + 1
    else:
        shape = _int64(new_shape)
    return SparseTensor(sp.indices, sp.values, shape)


def sparse_eye(num_rows: TensorLike, num_columns: TensorLike | None = None, dtype: DTypeLike = _dt.float32,
               name: str | None = None) -> SparseTensor:
    """The identity matrix as a SparseTensor: ones at [i, i] for i below both sizes."""
    rows = _int64(num_rows)
    cols = rows if num_columns is None else _int64(num_columns)
    diag = ST.range(M.minimum(rows, cols), dtype=_dt.int64)
    indices = A.stack([diag, diag], 1)
    return SparseTensor(indices, ST.ones_like(diag, dtype=dtype), A.stack([rows, cols]))


def sparse_to_indicator(sp_input: Any, vocab_size: TensorLike, name: str | None = None) -> Tensor:
    """A dense bool tensor [dense_shape[:-1], vocab_size]: true at ``[..., v]`` where the row
    (all but the last index) holds the id ``v``."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_to_indicator: the input needs a known rank")
    if not sp.dtype.is_integer:
        raise TypeError(f"sparse_to_indicator: the values must be integer ids, given {sp.dtype.name}")
    ids = M.cast(sp.values, _dt.int64)
    indices = RA.concat([sp.indices[:, :-1], A.expand_dims(ids, 1)], 1)
    shape = RA.concat([sp.dense_shape[:-1], S.reshape(_int64(vocab_size), [1])], 0)
    counts = AX.tensor_scatter_nd_add(ST.zeros(shape, _dt.int32), indices, ST.ones_like(ids, dtype=_dt.int32))
    return M.greater(counts, 0)


def sparse_matmul(a: TensorLike, b: TensorLike, transpose_a: bool = False, transpose_b: bool = False,
                  a_is_sparse: bool = False, b_is_sparse: bool = False, name: str | None = None) -> Tensor:
    """TF1's ``sparse_matmul``: a dense matmul whose ``*_is_sparse`` flags are only hints (TF1
    may pick a kernel for mostly-zero operands; the result is the same)."""
    return matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


def sparse_merge(sp_ids: Any, sp_values: Any, vocab_size: Any, name: str | None = None,
                 already_sorted: bool = False) -> SparseTensor:
    """The sparse tensor with ``sp_values``' values at ``[row..., id]``: the last index column of
    ``sp_ids`` replaced by its ids, and its last dim by ``vocab_size`` (lists of each give one id
    column and one dim per id tensor). Entries are put in row-major order unless
    ``already_sorted``.

    >>> import graphflow as gf
    >>> ids = gf.SparseTensor([[0, 0], [0, 1], [1, 0]], gf.constant([3, 1, 2], gf.int64), [2, 2])
    >>> vals = gf.SparseTensor([[0, 0], [0, 1], [1, 0]], [0.5, 1.5, 2.5], [2, 2])
    >>> gf.sparse.merge(ids, vals, 4).dense_shape.shape.as_list()
    [2]
    """
    if isinstance(sp_ids, (SparseTensor, SparseTensorValue)):
        if not (isinstance(vocab_size, Tensor) or isinstance(vocab_size, numbers.Integral)):
            raise TypeError(f"vocab_size has to be a Tensor or Python int. Found {type(vocab_size)}")
        ids_list, sizes = [sp_ids], [vocab_size]
    else:
        if not isinstance(sp_ids, Iterable):
            raise TypeError(f"sp_ids has to be a SparseTensor or list thereof. Found {type(sp_ids)}")
        if not isinstance(vocab_size, Iterable):
            raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. Found {type(vocab_size)}")
        ids_list, sizes = list(sp_ids), list(vocab_size)
        for dim in sizes:
            if not (isinstance(dim, Tensor) or isinstance(dim, numbers.Integral)):
                raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. Found {type(dim)}")
    if len(ids_list) != len(sizes):
        raise ValueError("sp_ids and vocab_size have to have equal lengths.")
    sps = [as_sparse(s, "sp_ids") for s in ids_list]
    values = as_sparse(sp_values, "sp_values")
    id_columns = [S.expand_dims(_int64(s.values), 1) for s in sps]
    kept = sps[0].indices[:, :-1]
    dims = A.stack([_int64(v if isinstance(v, Tensor) else int(v)) for v in sizes])
    shape = RA.concat([sps[0].dense_shape[:-1], S.reshape(dims, [-1])], 0)
    merged = SparseTensor(RA.concat([kept] + id_columns, 1), values.values, shape)
    return merged if already_sorted else sparse_reorder(merged)
