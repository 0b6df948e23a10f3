"""Variable updates beyond ``assign``: TF1's ``tf.assign*`` functions, the sparse updates
``scatter_update/add/sub/mul/div/min/max``, ``scatter_nd_update/add/sub`` and
``batch_scatter_update``, and ``count_up_to``.

Each is one ASSIGN of a value built from the gather/scatter primitives, so it runs in the
compiled step like any assignment and returns the variable's new value.
"""
from __future__ import annotations

from collections.abc import Callable

from graphflow.core import dtypes as _dt
from graphflow.core.errors import OUT_OF_RANGE
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops._build import make
from graphflow.ops.array_ops import AxisAttrs
from graphflow.ops.check_ops import CheckAttrs
from graphflow.ops.concat_ops import stack
from graphflow.ops.reduce_ops import broadcast_to
from graphflow.ops.shape_ops import reshape, shape


def _var(ref: object, what: str) -> Tensor:
    if not (isinstance(ref, Tensor) and ref.node.op is Op.VARIABLE):
        raise TypeError(f"{what} needs a gf.Variable as ref, got {ref!r}")
    return ref


def assign(ref: Tensor, value: TensorLike, validate_shape: bool | None = None, use_locking: bool | None = None,
           name: str | None = None) -> Tensor:
    """``ref = value``; the result is the new value (TF1 ``tf.assign``)."""
    return ST.assign(_var(ref, "assign"), value, "set", name)


def assign_add(ref: Tensor, value: TensorLike, use_locking: bool | None = None, name: str | None = None) -> Tensor:
    return ST.assign(_var(ref, "assign_add"), value, "add", name)


def assign_sub(ref: Tensor, value: TensorLike, use_locking: bool | None = None, name: str | None = None) -> Tensor:
    return ST.assign(_var(ref, "assign_sub"), value, "sub", name)


def _scattered(ref: Tensor, indices: TensorLike, updates: TensorLike, nd: bool) -> tuple[Tensor, Tensor]:
    """(sum of ``updates`` placed at ``indices`` in a zero tensor like ``ref``, a mask of the
    entries any index hit)."""
    u = convert_to_tensor(updates, dtype=ref.dtype)
    idx = convert_to_tensor(indices)
    like = ST.zeros_like(ref)
    if nd:
        placed = make(Op.SCATTER_ND_ADD, [u, idx, like], name="ScatterNdAdd")
        hits = make(Op.SCATTER_ND_ADD, [ST.ones_like(u), idx, like], name="ScatterNdHits")
    else:
        placed = make(Op.SCATTER_ADD, [u, idx, like], AxisAttrs(0), name="ScatterAdd")
        hits = make(Op.SCATTER_ADD, [ST.ones_like(u), idx, like], AxisAttrs(0), name="ScatterHits")
    return placed, M.greater(hits, M.zeros_like_scalar(hits))


def scatter_update(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                   name: str | None = None) -> Tensor:
    """``ref[indices] = updates`` (rows of ``ref``; with duplicate indices TF1 leaves the winner
    undefined, here their sum)."""
    v = _var(ref, "scatter_update")
    placed, hit = _scattered(v, indices, updates, False)
    return ST.assign(v, M.where(hit, placed, v), "set", name or "ScatterUpdate")


def scatter_add(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    """``ref[indices] += updates``; duplicate indices all add."""
    v = _var(ref, "scatter_add")
    placed, _ = _scattered(v, indices, updates, False)
    return ST.assign(v, placed, "add", name or "ScatterAdd")


def scatter_sub(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    v = _var(ref, "scatter_sub")
    placed, _ = _scattered(v, indices, updates, False)
    return ST.assign(v, placed, "sub", name or "ScatterSub")


def _scatter_combine(ref: Tensor, indices: TensorLike, updates: TensorLike, fn: Callable[[Tensor, Tensor], Tensor],
                     what: str, name: str | None) -> Tensor:
    """Rows hit once combine with ``fn(old, update)``."""
    v = _var(ref, what)
    placed, hit = _scattered(v, indices, updates, False)
    return ST.assign(v, M.where(hit, fn(v, placed), v), "set", name)


def scatter_mul(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    return _scatter_combine(ref, indices, updates, M.multiply, "scatter_mul", name or "ScatterMul")


def scatter_div(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    return _scatter_combine(ref, indices, updates, M.divide, "scatter_div", name or "ScatterDiv")


def scatter_max(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    return _scatter_combine(ref, indices, updates, M.maximum, "scatter_max", name or "ScatterMax")


def scatter_min(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                name: str | None = None) -> Tensor:
    return _scatter_combine(ref, indices, updates, M.minimum, "scatter_min", name or "ScatterMin")


def scatter_nd_update(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                      name: str | None = None) -> Tensor:
    v = _var(ref, "scatter_nd_update")
    placed, hit = _scattered(v, indices, updates, True)
    return ST.assign(v, M.where(hit, placed, v), "set", name or "ScatterNdUpdate")


def scatter_nd_add(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                   name: str | None = None) -> Tensor:
    v = _var(ref, "scatter_nd_add")
    placed, _ = _scattered(v, indices, updates, True)
    return ST.assign(v, placed, "add", name or "ScatterNdAdd")


def scatter_nd_sub(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool | None = None,
                   name: str | None = None) -> Tensor:
    v = _var(ref, "scatter_nd_sub")
    placed, _ = _scattered(v, indices, updates, True)
    return ST.assign(v, placed, "sub", name or "ScatterNdSub")


def batch_scatter_update(ref: Tensor, indices: TensorLike, updates: TensorLike, use_locking: bool = True,
                         name: str | None = None) -> Tensor:
    """``ref[b..., indices[b..., k]] = updates[b..., k]`` for every batch position ``b...``
    (``indices`` ``[B..., K]``, ``updates`` ``[B..., K, ...]``); the result is the new value.

    >>> import graphflow as gf
    >>> v = gf.Variable([[1.0, 2.0], [3.0, 4.0]])
    >>> gf.batch_scatter_update(v, [[1], [0]], [[9.0], [8.0]]).shape.as_list()
    [2, 2]
    """
    v = _var(ref, "batch_scatter_update")
    idx = convert_to_tensor(indices)
    if not idx.dtype.is_integer:
        raise TypeError(f"batch_scatter_update: indices must be integers, got {idx.name} of dtype {idx.dtype.name}")
    rank = idx.shape.rank
    if rank is None:
        raise ValueError("batch_scatter_update needs indices of known rank")
    if rank == 0:
        raise ValueError("batch_scatter_update: indices must have rank 1 or more, got a scalar")
    idx = M.cast(idx, _dt.int64)
    dims = shape(idx, out_type=_dt.int64)
    coords = []
    for axis in range(rank - 1):  # each batch position's own coordinates, beside its indices
        line = reshape(ST.range(dims[axis], dtype=_dt.int64), [-1 if a == axis else 1 for a in range(rank)])
        coords.append(broadcast_to(line, dims))
    nd = stack(coords + [idx], axis=-1)
    placed, hit = _scattered(v, nd, updates, True)
    return ST.assign(v, M.where(hit, placed, v), "set", name or "BatchScatterUpdate")


def count_up_to(ref: Tensor, limit: int, name: str | None = None) -> Tensor:
    """The value of the integer variable ``ref`` before it is incremented by one; a run that finds
    it at ``limit`` or above raises ``OutOfRangeError`` and leaves it unchanged (TF1's
    ``tf.count_up_to``).

    >>> import graphflow as gf
    >>> v = gf.Variable(0, dtype=gf.int64)
    >>> gf.count_up_to(v, 3).dtype
    gf.int64
    """
    v = _var(ref, "count_up_to")
    if v.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"count_up_to needs an int32 or int64 variable, got {v.name} of dtype {v.dtype.name}")
    below = M.less(v, M.cast(convert_to_tensor(int(limit)), v.dtype))
    check = make(Op.CHECK, [below], CheckAttrs("true", f"Reached limit of {int(limit)}", error_code=OUT_OF_RANGE),
                 name="CountUpToCheck")
    with get_default_graph().control_dependencies([check.node]):
        new = ST.assign(v, M.cast(convert_to_tensor(1), v.dtype), "add", "CountUpToIncrement")
    return M.subtract(new, M.cast(convert_to_tensor(1), v.dtype), name=name or "CountUpTo")
