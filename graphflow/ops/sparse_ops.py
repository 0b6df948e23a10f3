"""TF1's sparse tensors: ``SparseTensor``, ``SparseTensorValue``, ``sparse_placeholder`` and the
sparse ops that reorder, densify, add, concatenate, reshape, filter and multiply them.

A SparseTensor is a composite of three ordinary graph tensors: ``indices`` (int64 [n, rank]),
``values`` ([n]) and ``dense_shape`` (int64 [rank]). Every op here is a composite of dense ops
(gather, scatter, segment sums, argsort, unique), so the compiler lowers them on every target and
gradients follow from the dense ops' rules: values get gradients where TF1 gives them, indices
never (they are integers). Entries are in row-major ("canonical") order when an op says so; the
linear position of an index row (its dot product with the row-major strides) is the sort key.

Fetching a SparseTensor in ``Session.run`` returns a ``SparseTensorValue`` of numpy arrays, and a
SparseTensor as a feed_dict key takes a SparseTensorValue or an (indices, values, dense_shape)
tuple: the session sees the three tensors through ``_as_fetch_structure``.
"""
from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.runtime_hook import session_for
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import constant_ops as CO
from graphflow.ops import index_ops as I
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import run_time_axes as RA
from graphflow.ops import shape_ops as S
from graphflow.ops import sort_ops as SO
from graphflow.ops import state_ops as ST
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.run_time_args import folded

__all__ = ["SparseTensor", "SparseTensorValue", "sparse_placeholder", "sparse_reorder", "sparse_tensor_to_dense",
           "sparse_to_dense", "sparse_tensor_dense_matmul", "sparse_reduce_sum", "sparse_add", "sparse_concat",
           "sparse_reshape", "sparse_retain", "sparse_softmax", "sparse_transpose", "sparse_fill_empty_rows",
           "from_dense"]

SparseTensorValue = collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])
SparseTensorValue.__doc__ = "A fetched (or fed) sparse tensor: numpy ``indices``, ``values`` and ``dense_shape``."


class SparseTensor:
    """A sparse tensor of ``dense_shape`` holding ``values[i]`` at ``indices[i]`` (TF1's
    ``tf.SparseTensor``); the three parts are graph tensors.

    >>> import graphflow as gf
    >>> sp = gf.SparseTensor(indices=[[0, 1], [2, 0]], values=[1.0, 2.0], dense_shape=[3, 2])
    >>> sp.shape.as_list()
    [3, 2]
    """

    def __init__(self, indices: TensorLike, values: TensorLike, dense_shape: TensorLike) -> None:
        self._indices = _int64(indices)
        self._values = convert_to_tensor(values)
        self._dense_shape = _int64(dense_shape)
        self._static_shape: list[int] | None = None  # a sparse_placeholder's defaulted shape
        self._check()

    def _check(self) -> None:
        ir, vr, sr = self._indices.shape.rank, self._values.shape.rank, self._dense_shape.shape.rank
        if ir is not None and ir != 2:
            raise ValueError(f"SparseTensor: indices must be a matrix [n, rank], given shape {self._indices.shape}")
        if vr is not None and vr != 1:
            raise ValueError(f"SparseTensor: values must be a vector [n], given shape {self._values.shape}")
        if sr is not None and sr != 1:
            raise ValueError(f"SparseTensor: dense_shape must be a vector [rank], given shape "
                             f"{self._dense_shape.shape}")
        cols = self._indices.shape.as_list()[1] if ir == 2 else None
        rank = self._dense_shape.shape.as_list()[0] if sr == 1 else None
        if cols is not None and rank is not None and cols != rank:
            raise ValueError(f"SparseTensor: indices have {cols} columns but dense_shape has {rank} entries; "
                             "expected one column per dimension")
        n_i = self._indices.shape.as_list()[0] if ir == 2 else None
        n_v = self._values.shape.as_list()[0] if vr == 1 else None
        if n_i is not None and n_v is not None and n_i != n_v:
            raise ValueError(f"SparseTensor: {n_i} index rows but {n_v} values; expected one value per row")

    @classmethod
    def from_value(cls, value: Any) -> SparseTensor:
        """``value`` itself if a SparseTensor, else a SparseTensor of constants from a
        SparseTensorValue (or any (indices, values, dense_shape) triple)."""
        if isinstance(value, SparseTensor):
            return value
        indices, values, dense_shape = value
        return cls(indices, values, dense_shape)

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def dense_shape(self) -> Tensor:
        return self._dense_shape

    @property
    def dtype(self) -> _dt.DType:
        return self._values.dtype

    @property
    def graph(self) -> Any:
        return self._values.graph

    @property
    def op(self) -> Any:
        return self._values.op

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: known where ``dense_shape`` folds to constants."""
        known = self._static_shape or folded(self._dense_shape)
        if known is not None:
            return TensorShape(known)
        rank = self._dense_shape.shape.as_list()[0] if self._dense_shape.shape.rank == 1 else None
        if rank is None and self._indices.shape.rank == 2:
            rank = self._indices.shape.as_list()[1]
        return TensorShape(None) if rank is None else TensorShape([None] * rank)

    def get_shape(self) -> TensorShape:
        return self.shape

    def eval(self, feed_dict: Any = None, session: Any = None) -> SparseTensorValue:
        """The value in ``session`` (the default session when None)."""
        return session_for(self.graph, session).run(self, feed_dict=feed_dict)

    def _as_fetch_structure(self) -> SparseTensorValue:
        """The three tensors, as Session.run fetches and feeds them."""
        return SparseTensorValue(self._indices, self._values, self._dense_shape)

    def __repr__(self) -> str:
        return (f"SparseTensor(indices={self._indices!r}, values={self._values!r}, "
                f"dense_shape={self._dense_shape!r})")


def _int64(x: TensorLike) -> Tensor:
    """``x`` as an int64 tensor (index data)."""
    t = x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=_dt.int64)
    return t if t.dtype == _dt.int64 else M.cast(t, _dt.int64)


def as_sparse(x: Any, what: str = "sp_input") -> SparseTensor:
    """``x`` as a SparseTensor (a SparseTensorValue becomes constants); anything else raises."""
    if isinstance(x, SparseTensor):
        return x
    if isinstance(x, SparseTensorValue):
        return SparseTensor.from_value(x)
    raise TypeError(f"{what}: expected a SparseTensor or SparseTensorValue, given {type(x).__name__}")


def cast(x: Any, dtype: DTypeLike, name: str | None = None) -> Any:
    """``tf.cast``, taking a SparseTensor too (its values cast: ``tf.cast(decoded[0], tf.int32)``)."""
    if isinstance(x, SparseTensor):
        return SparseTensor(x.indices, M.cast(x.values, dtype, name=name), x.dense_shape)
    return M.cast(x, dtype, name=name)


def sparse_placeholder(dtype: DTypeLike, shape: Any = None, name: str | None = None) -> SparseTensor:
    """Three placeholders making a SparseTensor to feed (with a SparseTensorValue). A fully given
    ``shape`` makes ``dense_shape`` default to it (still feedable); a partly given one fixes the rank."""
    base = name or "SparsePlaceholder"
    rank: int | None = None
    full: list[int] | None = None
    if shape is not None and not isinstance(shape, Tensor):
        dims = TensorShape(shape).as_list() if TensorShape(shape).rank is not None else None
        if dims is not None:
            rank = len(dims)
            known = [d for d in dims if d is not None and d >= 0]
            full = known if len(known) == rank else None
    indices = CO.placeholder(_dt.int64, [None, rank], name=f"{base}/indices")
    values = CO.placeholder(dtype, [None], name=f"{base}/values")
    if full is not None:
        dense_shape = CO.placeholder_with_default(ST.constant(full, dtype=_dt.int64), [rank], name=f"{base}/shape")
    else:
        dense_shape = CO.placeholder(_dt.int64, [rank], name=f"{base}/shape")
    sp = SparseTensor(indices, values, dense_shape)
    sp._static_shape = full
    return sp


def _dims(sp: SparseTensor) -> list[int] | Tensor:
    """The dense shape as Python ints when known statically, else the int64 tensor."""
    known = sp._static_shape or folded(sp.dense_shape)
    return list(known) if known is not None else sp.dense_shape


def _strides(shape: Tensor) -> Tensor:
    """Row-major strides of an int64 shape vector."""
    return RA.cumprod(shape, exclusive=True, reverse=True)


def linear_ids(indices: Tensor, shape: Tensor) -> Tensor:
    """Each index row's row-major position in a dense tensor of ``shape`` (int64 [n])."""
    return R.reduce_sum(indices * A.expand_dims(_strides(shape), 0), axis=1)


def unravel(lin: Tensor, shape: Tensor) -> Tensor:
    """Index rows [n, rank] of row-major positions ``lin`` in a dense tensor of ``shape``."""
    strides = A.expand_dims(_strides(shape), 0)
    return M.floormod(M.floordiv(A.expand_dims(lin, 1), strides), A.expand_dims(shape, 0))


def sparse_reorder(sp_input: Any, name: str | None = None) -> SparseTensor:
    """The same sparse tensor with its entries in row-major order (a stable sort)."""
    sp = as_sparse(sp_input)
    order = I.argsort(linear_ids(sp.indices, sp.dense_shape), stable=True)
    return SparseTensor(RA.gather(sp.indices, order), RA.gather(sp.values, order), sp.dense_shape)


def sparse_tensor_to_dense(sp_input: Any, default_value: TensorLike = 0, validate_indices: bool = True,
                           name: str | None = None) -> Tensor:
    """The dense tensor: ``values`` at ``indices``, ``default_value`` elsewhere (the gradient
    reaches ``values``)."""
    sp = as_sparse(sp_input)
    if sp.shape.rank is None:
        raise ValueError("sparse_tensor_to_dense: the dense rank must be known when the graph is built; given a "
                         "SparseTensor of unknown rank (give sparse_placeholder a shape, e.g. [None, None])")
    dims = _dims(sp)
    if sp.dtype.is_string:
        out = _strings_to_dense(sp, dims, default_value, name)
    else:
        base = ST.fill(dims, M.cast(default_value, sp.dtype))
        out = AX.tensor_scatter_nd_update(base, sp.indices, sp.values, name=name)
    if isinstance(dims, list):
        out.set_shape(dims)
    return out


def _strings_to_dense(sp: SparseTensor, dims: list[int] | Tensor, default_value: TensorLike,
                      name: str | None) -> Tensor:
    """String values (host data, ``tf.string_split``'s) to dense: the compiled program scatters
    each value's position (``n`` where there is none), and the host gathers the strings by it."""
    n = S.shape(sp.values, out_type=_dt.int64)[0]
    where = AX.tensor_scatter_nd_update(ST.fill(dims, n), sp.indices, ST.range(n, dtype=_dt.int64))
    empty = isinstance(default_value, int) and default_value == 0  # the numeric default: TF2's "" for strings
    default = S.reshape(convert_to_tensor("" if empty else default_value, dtype=_dt.string), [1])
    return RA.gather(RA.concat([sp.values, default], 0), where, name=name)


def sparse_to_dense(sparse_indices: TensorLike, output_shape: TensorLike, sparse_values: TensorLike,
                    default_value: TensorLike = 0, validate_indices: bool = True, name: str | None = None) -> Tensor:
    """A dense tensor of ``output_shape`` with ``sparse_values`` (a vector, or a scalar for every
    index) at ``sparse_indices`` (a scalar, a vector of positions in a 1-D output, or a matrix of
    index rows) and ``default_value`` elsewhere."""
    idx = M.cast(convert_to_tensor(sparse_indices), _dt.int64)
    vals = convert_to_tensor(sparse_values)
    if idx.shape.rank is None:
        raise ValueError("sparse_to_dense: sparse_indices needs a known rank (0, 1 or 2)")
    if idx.shape.rank > 2:
        raise ValueError(f"sparse_to_dense: sparse_indices must have rank 0, 1 or 2, given {idx.shape}")
    if idx.shape.rank < 2:
        idx = S.reshape(idx, [-1, 1])
    known = folded(output_shape)
    dims: list[int] | Tensor = known if known is not None else M.cast(convert_to_tensor(output_shape), _dt.int64)
    if vals.shape.rank == 0:
        vals = ST.fill(S.shape(idx)[:1], vals)
    base = ST.fill(dims, M.cast(default_value, vals.dtype))
    out = AX.tensor_scatter_nd_update(base, idx, vals, name=name)
    if known is not None:
        out.set_shape(known)
    return out


def sparse_tensor_dense_matmul(sp_a: Any, b: TensorLike, adjoint_a: bool = False, adjoint_b: bool = False,
                               name: str | None = None) -> Tensor:
    """``A @ B`` for sparse 2-D ``A`` and dense ``B`` (either transposed first): each entry of A
    scales a row of B into its output row (a gather and a segment sum, so both ``A.values`` and
    ``B`` get gradients)."""
    sp = as_sparse(sp_a, "sp_a")
    bt = convert_to_tensor(b, dtype=sp.dtype)
    if sp.shape.rank not in (None, 2):
        raise ValueError(f"sparse_tensor_dense_matmul: sp_a must be a matrix, given shape {sp.shape}")
    if bt.shape.rank not in (None, 2):
        raise ValueError(f"sparse_tensor_dense_matmul: b must be a matrix, given shape {bt.shape}")
    if adjoint_b:
        bt = S.transpose(bt)
    rows, cols = sp.indices[:, 0], sp.indices[:, 1]
    a_dims = sp.shape.as_list() if sp.shape.rank == 2 else [None, None]
    if adjoint_a:
        rows, cols = cols, rows
        a_dims = a_dims[::-1]
    k_b = bt.shape.as_list()[0] if bt.shape.rank == 2 else None
    if a_dims[1] is not None and k_b is not None and a_dims[1] != k_b:
        raise ValueError(f"sparse_tensor_dense_matmul: inner dimensions disagree: A (after adjoint_a={adjoint_a}) "
                         f"is {a_dims[0]}x{a_dims[1]} but b (after adjoint_b={adjoint_b}) has {k_b} rows")
    m: int | Tensor = a_dims[0] if a_dims[0] is not None else sp.dense_shape[1 if adjoint_a else 0]
    scaled = A.expand_dims(sp.values, 1) * RA.gather(bt, cols)
    return I.unsorted_segment_sum(scaled, rows, m, name=name)


def sparse_reduce_sum(sp_input: Any, axis: Any = None, keepdims: bool | None = None,
                      reduction_axes: Any = None, keep_dims: bool | None = None, name: str | None = None) -> Tensor:
    """The sum of the entries over ``axis`` (all when None) as a dense tensor (TF1's
    ``sparse_reduce_sum``; missing entries count as zero)."""
    sp = as_sparse(sp_input)
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    if axis is None and not keep:
        return R.reduce_sum(sp.values, name=name)
    return R.reduce_sum(sparse_tensor_to_dense(sp), axis=axis, keepdims=keep, name=name)


def _combine(indices: Tensor, values: Tensor, shape: Tensor, thresh: TensorLike | None) -> SparseTensor:
    """Entries at equal indices summed, in row-major order; with ``thresh``, those whose
    magnitude is below it dropped."""
    lin = linear_ids(indices, shape)
    uniq, idx = SO.unique(lin)
    summed = I.unsorted_segment_sum(values, idx, S.size(uniq))
    order = I.argsort(uniq, stable=True)
    uniq, summed = RA.gather(uniq, order), RA.gather(summed, order)
    if thresh is not None:
        keep = I.where_indices(M.greater_equal(M.abs(summed), M.cast(thresh, summed.dtype)))[:, 0]
        uniq, summed = RA.gather(uniq, keep), RA.gather(summed, keep)
    return SparseTensor(unravel(uniq, shape), summed, shape)


def sparse_add(a: Any, b: Any, thresh: TensorLike = 0, threshold: TensorLike | None = None,
               name: str | None = None) -> Any:
    """``a + b``: sparse + sparse is sparse (entries at the same index summed, in row-major
    order, those with magnitude below ``thresh`` dropped); sparse + dense is dense."""
    thresh = threshold if threshold is not None else thresh
    sparse_a = isinstance(a, (SparseTensor, SparseTensorValue))
    sparse_b = isinstance(b, (SparseTensor, SparseTensorValue))
    if sparse_a and sparse_b:
        sa, sb = as_sparse(a, "a"), as_sparse(b, "b")
        if sa.shape.is_fully_defined() and sb.shape.is_fully_defined() and sa.shape != sb.shape:
            raise ValueError(f"sparse_add: operands must have one dense shape, given {sa.shape} and {sb.shape}")
        indices = RA.concat([sa.indices, sb.indices], 0)
        values = RA.concat([sa.values, sb.values], 0)
        drop = None if isinstance(thresh, (int, float)) and thresh <= 0 else thresh
        return _combine(indices, values, sa.dense_shape, drop)
    if sparse_a or sparse_b:
        sp, dense = (a, b) if sparse_a else (b, a)
        return M.add(sparse_tensor_to_dense(as_sparse(sp)), dense, name=name)
    raise TypeError("sparse_add: at least one operand must be a SparseTensor")


def sparse_concat(axis: int, sp_inputs: Sequence[Any], name: str | None = None, expand_nonconcat_dim: bool = False,
                  concat_dim: int | None = None, expand_nonconcat_dims: bool | None = None) -> SparseTensor:
    """The inputs joined along ``axis`` (entries shifted by the sizes before them), in row-major
    order; other dims must agree, or with ``expand_nonconcat_dim`` take the largest."""
    axis = concat_dim if concat_dim is not None else axis
    expand = bool(expand_nonconcat_dims if expand_nonconcat_dims is not None else expand_nonconcat_dim)
    sps = [as_sparse(s, "sp_inputs") for s in sp_inputs]
    if not sps:
        raise ValueError("sparse_concat: expected at least one input, given none")
    rank = sps[0].shape.rank
    if rank is None:
        raise ValueError("sparse_concat: the inputs need a known rank")
    axis = axis + rank if axis < 0 else axis
    statics = [s.shape.as_list() for s in sps]
    if not expand:
        for st in statics[1:]:
            for j in range(rank):
                if j != axis and st[j] is not None and statics[0][j] is not None and st[j] != statics[0][j]:
                    raise ValueError(f"sparse_concat: dimension {j} differs ({statics[0][j]} vs {st[j]}); expected "
                                     f"equal dims except along axis {axis} (or expand_nonconcat_dim=True)")
    onehot = ST.constant([1 if j == axis else 0 for j in range(rank)], dtype=_dt.int64)
    offset: Tensor = ST.constant(0, dtype=_dt.int64)
    parts_i, parts_v = [], []
    for s in sps:
        parts_i.append(s.indices + A.expand_dims(onehot * offset, 0))
        parts_v.append(s.values)
        offset = offset + s.dense_shape[axis]
    others = sps[0].dense_shape
    if expand:
        for s in sps[1:]:
            others = M.maximum(others, s.dense_shape)
    shape = others * (1 - onehot) + onehot * offset
    indices, values = RA.concat(parts_i, 0), RA.concat(parts_v, 0)
    return sparse_reorder(SparseTensor(indices, values, shape))


def sparse_reshape(sp_input: Any, shape: TensorLike, name: str | None = None) -> SparseTensor:
    """The same entries in a dense shape of as many elements (one dim may be -1, inferred);
    row-major order is kept."""
    sp = as_sparse(sp_input)
    new = M.cast(convert_to_tensor(shape), _dt.int64)
    if new.shape.rank != 1:
        raise ValueError(f"sparse_reshape: shape must be a vector, given shape {new.shape}")
    total = R.reduce_prod(sp.dense_shape)
    known = -R.reduce_prod(new)  # the product of the others when one entry is -1
    missing = M.equal(new, -1)
    new = M.where(missing, M.floordiv(total, M.maximum(known, 1)), new)
    return SparseTensor(unravel(linear_ids(sp.indices, sp.dense_shape), new), sp.values, new)


def sparse_retain(sp_input: Any, to_retain: TensorLike) -> SparseTensor:
    """The entries whose flag in the bool vector ``to_retain`` is true (order kept)."""
    sp = as_sparse(sp_input)
    keep = convert_to_tensor(to_retain)
    if keep.shape.rank not in (None, 1):
        raise ValueError(f"sparse_retain: to_retain must be a vector, given shape {keep.shape}")
    rows = I.where_indices(keep)[:, 0]
    return SparseTensor(RA.gather(sp.indices, rows), RA.gather(sp.values, rows), sp.dense_shape)


def sparse_softmax(sp_input: Any, name: str | None = None) -> SparseTensor:
    """Softmax over the present entries of each innermost row (entries sharing all but the last
    index), as TF1's ``sparse_softmax``; missing entries take no part."""
    sp = as_sparse(sp_input)
    outer = sp.indices[:, :-1]
    lin = linear_ids(outer, sp.dense_shape[:-1])
    _, seg = SO.unique(lin)
    count = R.reduce_max(seg) + 1
    top = I.unsorted_segment_max(sp.values, seg, count)
    e = M.exp(sp.values - RA.gather(top, seg))
    total = I.unsorted_segment_sum(e, seg, count)
    out = e / RA.gather(total, seg)
    out.set_shape(sp.values.shape)
    return SparseTensor(sp.indices, out, sp.dense_shape)


def sparse_transpose(sp_input: Any, perm: Sequence[int] | None = None, name: str | None = None) -> SparseTensor:
    """The sparse tensor with its dims permuted by ``perm`` (reversed when None), in row-major order."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_transpose: the input needs a known rank")
    order = list(range(rank))[::-1] if perm is None else [int(p) for p in perm]
    if sorted(order) != list(range(rank)):
        raise ValueError(f"sparse_transpose: perm must be a permutation of 0..{rank - 1}, given {order}")
    cols = ST.constant(order, dtype=_dt.int32)
    return sparse_reorder(SparseTensor(RA.gather(sp.indices, cols, axis=1), sp.values, RA.gather(sp.dense_shape, cols)))


def sparse_fill_empty_rows(sp_input: Any, default_value: TensorLike,
                           name: str | None = None) -> tuple[SparseTensor, Tensor]:
    """Every row (index in dim 0) without entries given one, ``default_value`` at [row, 0, ...];
    returns the filled tensor (row-major order) and the bool vector of rows that were empty."""
    sp = as_sparse(sp_input)
    rank = sp.shape.rank
    if rank is None:
        raise ValueError("sparse_fill_empty_rows: the input needs a known rank")
    rows = sp.indices[:, 0]
    count = I.unsorted_segment_sum(ST.ones_like(rows), rows, sp.dense_shape[0])
    empty = M.equal(count, 0)
    missing = I.where_indices(empty)
    pad = missing * ST.constant([[1] + [0] * (rank - 1)], dtype=_dt.int64)  # [row, 0, ..., 0]
    fill_vals = ST.fill(S.shape(missing)[:1], M.cast(default_value, sp.dtype))
    filled = SparseTensor(RA.concat([sp.indices, pad], 0), RA.concat([sp.values, fill_vals], 0), sp.dense_shape)
    return sparse_reorder(filled), empty


def from_dense(tensor: TensorLike, name: str | None = None) -> SparseTensor:
    """The nonzero entries of a dense tensor, in row-major order (``tf.sparse.from_dense``)."""
    t = convert_to_tensor(tensor)
    idx = I.where_indices(M.not_equal(t, M.cast(0, t.dtype)))
    return SparseTensor(idx, A.gather_nd(t, idx), S.shape(t, out_type=_dt.int64))


def sparse_dense_matmul(sp_a: Any, b: TensorLike, adjoint_a: bool = False, adjoint_b: bool = False,
                        name: str | None = None) -> Tensor:
    """``tf.sparse.sparse_dense_matmul``: a sparse or dense ``sp_a`` times ``b``."""
    if isinstance(sp_a, (SparseTensor, SparseTensorValue)):
        return sparse_tensor_dense_matmul(sp_a, b, adjoint_a, adjoint_b, name)
    return matmul(sp_a, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b, name=name)
