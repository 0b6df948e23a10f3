"""TF1's ``tf.ragged`` functions: ragged tensors from nested lists and placeholders, row-split
conversions, ranges, masks, stacking and partitioning (ragged_tensor.py holds the class)."""
from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as C
from graphflow.ops import constant_ops as CO
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat
from graphflow.ops.index_ops import unsorted_segment_sum
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.ragged_tensor import RaggedTensor, RaggedTensorValue, _splits

__all__ = ["constant", "constant_value", "placeholder", "range", "row_splits_to_segment_ids",
           "segment_ids_to_row_splits", "map_flat_values", "boolean_mask", "stack", "stack_dynamic_partitions"]


def _depth(x: Any) -> int | None:
    """The nesting depth of the scalars of ``x`` (None: none; mixed depths raise)."""
    if not isinstance(x, (list, tuple)):
        return 0
    depths = {d for d in (_depth(e) for e in x) if d is not None}
    if len(depths) > 1:
        raise ValueError(f"all scalar values must have the same nesting depth, given depths {sorted(depths)}")
    return depths.pop() + 1 if depths else None


def constant_value(pylist: Any, dtype: DTypeLike | None = None, ragged_rank: int | None = None,
                   inner_shape: Sequence[int] | None = None, row_splits_dtype: Any = "int64") -> Any:
    """The RaggedTensorValue (numpy parts) of a nested list: its first ``ragged_rank`` + 1 dims
    are rows, the rest a uniform inner shape."""
    if isinstance(pylist, np.ndarray) or not isinstance(pylist, (list, tuple)):
        return np.asarray(pylist, dtype=_dt.as_dtype(dtype).np if dtype is not None else None)
    depth = _depth(pylist)
    inner = tuple(inner_shape or ())
    if depth is None:  # nested empty lists: as deep as they go
        depth = 1
        probe = pylist
        while probe and isinstance(probe[0], (list, tuple)):
            depth, probe = depth + 1, probe[0]
        depth += len(inner)
    if ragged_rank is None:
        ragged_rank = max(0, depth - 1 - len(inner))
    if ragged_rank >= depth and depth > 0:
        raise ValueError(f"ragged_rank {ragged_rank} must be less than the nesting depth {depth} of the list")
    splits = []
    level: list = list(pylist)
    for _ in builtins.range(ragged_rank):
        lengths = [len(r) for r in level]
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        level = [e for r in level for e in r]
    np_dtype = _dt.as_dtype(dtype).np if dtype is not None else None
    try:
        flat = np.array(level, dtype=np_dtype)
    except ValueError as e:
        raise ValueError(f"the inner values of a ragged constant of ragged_rank {ragged_rank} must have one "
                         f"shape: {e}") from None
    if flat.size == 0:
        flat = flat.reshape((0,) + (inner or flat.shape[1:]))
        if np_dtype is None:
            flat = flat.astype(np.float32)
    elif np_dtype is None and flat.dtype == np.float64:
        flat = flat.astype(np.float32)  # TF's default for Python floats
    elif np_dtype is None and flat.dtype == np.int64:
        flat = flat.astype(np.int32)
    if inner and tuple(flat.shape[1:]) != inner:
        flat = flat.reshape((-1,) + inner)
    out: Any = flat
    for s in reversed(splits):
        out = RaggedTensorValue(out, s)
    return out


def constant(pylist: Any, dtype: DTypeLike | None = None, ragged_rank: int | None = None,
             inner_shape: Sequence[int] | None = None, name: str | None = None,
             row_splits_dtype: Any = "int64") -> Any:
    """A RaggedTensor of constants from a nested list (a tensor when ``ragged_rank`` is 0)."""
    value = constant_value(pylist, dtype, ragged_rank, inner_shape)
    return _from_value(value)


def _from_value(value: Any) -> Any:
    if isinstance(value, RaggedTensorValue):
        return RaggedTensor.from_row_splits(_from_value(value.values), ST.constant(value.row_splits), validate=False)
    return ST.constant(value)


def placeholder(dtype: DTypeLike, ragged_rank: int, value_shape: Any = None, name: str | None = None) -> RaggedTensor:
    """A RaggedTensor to feed (a RaggedTensorValue, as ``ragged.constant_value`` makes)."""
    if ragged_rank < 1:
        raise ValueError(f"ragged.placeholder: ragged_rank must be >= 1, given {ragged_rank}")
    base = name or "RaggedPlaceholder"
    out: Any = CO.placeholder(dtype, [None] + (list(value_shape) if value_shape is not None else []),
                              name=f"{base}/flat_values")
    for k in reversed(builtins.range(ragged_rank)):
        out = RaggedTensor(out, CO.placeholder(_dt.int64, [None], name=f"{base}/row_splits_{k}"), internal=True)
    return out


def row_splits_to_segment_ids(splits: TensorLike, name: str | None = None, out_type: Any = None) -> Tensor:
    s = _splits(splits)
    return AX.searchsorted(s[1:], ST.range(A.gather(s, E.subtract(S.shape(s)[0], 1)), dtype=_dt.int64),
                           side="right", out_type=_dt.as_dtype(out_type) if out_type is not None else _dt.int64)


def segment_ids_to_row_splits(segment_ids: TensorLike, num_segments: TensorLike | None = None,
                              out_type: Any = None, name: str | None = None) -> Tensor:
    ids = _splits(segment_ids)
    n = E.add(R.reduce_max(concat([ids, ST.constant([-1], dtype=_dt.int64)], 0)), 1) if num_segments is None \
        else _splits(num_segments)
    return AX.searchsorted(ids, ST.range(E.add(n, 1), dtype=_dt.int64), side="left", out_type=_dt.int64)


def range(starts: TensorLike, limits: TensorLike | None = None, deltas: TensorLike = 1,  # noqa: A001
          dtype: DTypeLike | None = None, name: str | None = None, row_splits_dtype: Any = "int64") -> RaggedTensor:
    """Row i is ``range(starts[i], limits[i], deltas[i])`` (scalars broadcast)."""
    if limits is None:
        starts, limits = 0, starts
    lim = convert_to_tensor(limits, dtype=dtype)
    d = lim.dtype if dtype is None else _dt.as_dtype(dtype)
    st, lim, de = (E.cast(convert_to_tensor(v), d) for v in (starts, limits, deltas))
    rows = S.shape(E.add(E.add(st, lim), de))  # the broadcast shape (a vector, or a scalar's)
    st, lim, de = (S.reshape(E.add(v, ST.zeros(rows, d)), [-1]) for v in (st, lim, de))
    check = C.Assert(R.reduce_all(E.not_equal(de, ST.zeros((), d))), ["ragged.range: deltas must not be 0"])
    with get_default_graph().control_dependencies([check]):
        span = E.cast(E.subtract(lim, st), _dt.float64)
    lengths = E.maximum(E.cast(E.ceil(E.divide(span, E.cast(de, _dt.float64))), _dt.int64), 0)
    splits = concat([ST.constant([0], dtype=_dt.int64), cumsum(lengths)], 0)
    total = R.reduce_sum(lengths)
    rowids = AX.searchsorted(splits[1:], ST.range(total, dtype=_dt.int64), side="right", out_type=_dt.int64)
    pos = E.subtract(ST.range(total, dtype=_dt.int64), A.gather(splits, rowids))
    values = E.add(A.gather(st, rowids), E.multiply(E.cast(pos, d), A.gather(de, rowids)))
    return RaggedTensor.from_row_splits(values, splits, validate=False)


def map_flat_values(op: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``op`` applied to the flat values of the RaggedTensors among its arguments (which must
    share their row splits), keeping their rows."""
    ragged = [a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)]
    if not ragged:
        return op(*args, **kwargs)
    first = ragged[0]
    checks = []
    for other in ragged[1:]:
        for a, b in zip(first.nested_row_splits, other.nested_row_splits):
            checks.append(C.Assert(R.reduce_all(E.equal(a, b)),
                                   ["map_flat_values: the RaggedTensors' row splits differ:", a, b]))
    with get_default_graph().control_dependencies(checks):
        swap = [E.identity(a.flat_values) if isinstance(a, RaggedTensor) else a for a in args]
        kw = {k: E.identity(v.flat_values) if isinstance(v, RaggedTensor) else v for k, v in kwargs.items()}
    return first.with_flat_values(op(*swap, **kw))


def boolean_mask(data: Any, mask: Any, name: str | None = None) -> Any:
    """The entries of ``data`` where ``mask`` holds, keeping rows: a mask of rank 1 gives a
    tensor, of rank 2 a RaggedTensor of each row's kept entries; ragged data and mask (the same
    rows) give the same rows with the kept values."""
    if isinstance(data, RaggedTensor) or isinstance(mask, RaggedTensor):
        if not (isinstance(data, RaggedTensor) and isinstance(mask, RaggedTensor)):
            raise ValueError("ragged.boolean_mask: data and mask must both be ragged, or both dense")
        kept = boolean_mask(data.values, mask.values)
        if isinstance(mask.values, RaggedTensor):  # nested rows: each value row stays, with its kept entries
            return RaggedTensor(kept, data.row_splits, internal=True)
        lengths = unsorted_segment_sum(E.cast(mask.values, _dt.int64), mask.value_rowids(), mask.nrows())
        return RaggedTensor.from_row_lengths(kept, lengths, validate=False)
    d, m = convert_to_tensor(data), convert_to_tensor(mask)
    if m.shape.rank == 1:
        return A.boolean_mask(d, m)
    if m.shape.rank != 2:
        raise NotImplementedError(f"ragged.boolean_mask: a dense mask of rank {m.shape.rank} (ranks 1 and 2 are "
                                  "supported)")
    return RaggedTensor.from_row_lengths(A.boolean_mask(d, m), R.reduce_sum(E.cast(m, _dt.int64), axis=1),
                                         validate=False)


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> RaggedTensor:
    """The tensors (ragged or dense, ``ragged_rank`` 1) as the rows of a new outer dim (axis 0)."""
    if axis != 0:
        raise NotImplementedError(f"ragged.stack: axis {axis} (graphflow stacks ragged tensors along axis 0)")
    parts = [v if isinstance(v, RaggedTensor) else RaggedTensor.from_tensor(v) for v in values]
    if not parts:
        raise ValueError("ragged.stack needs at least one tensor")
    if any(p.ragged_rank != parts[0].ragged_rank for p in parts):
        raise ValueError("ragged.stack: the tensors must have the same ragged_rank")
    offsets = []
    total = ST.constant(0, dtype=_dt.int64)
    for p in parts:
        offsets.append(E.add(p.row_splits[:-1], total))
        total = E.add(total, A.gather(p.row_splits, E.subtract(S.shape(p.row_splits)[0], 1)))
    inner_values = [p.values for p in parts]
    if any(isinstance(v, RaggedTensor) for v in inner_values):
        raise NotImplementedError("ragged.stack of tensors with ragged_rank > 1")
    rows = RaggedTensor.from_row_splits(concat(inner_values, 0), concat(offsets + [S.reshape(total, [1])], 0),
                                        validate=False)
    return RaggedTensor.from_row_lengths(rows, concat([S.reshape(p.nrows(), [1]) for p in parts], 0), validate=False)


def stack_dynamic_partitions(data: TensorLike, partitions: TensorLike, num_partitions: int,
                             name: str | None = None) -> RaggedTensor:
    """Row k holds the entries of ``data`` whose partition is k, in their order."""
    parts = AX.dynamic_partition(data, partitions, num_partitions)
    lengths = concat([S.reshape(E.cast(S.shape(p)[0], _dt.int64), [1]) for p in parts], 0)
    return RaggedTensor.from_row_lengths(concat(parts, 0), lengths, validate=False)
