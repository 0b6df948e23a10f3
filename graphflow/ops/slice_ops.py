"""Strided slicing and indexing: the SLICE primitive (with its gradient SLICE_GRAD), ``t[key]``,
``strided_slice`` and ``slice``, plus the small helpers the data-movement ops share.

Bounds follow TF1: a range (``t[3:10]``, ``strided_slice``) clips to the dim, an index
(``t[5]``) out of the dim raises "slice index 5 of dimension 0 out of bounds.", and ``slice``
(``begin``/``size``) raises unless ``0 <= begin <= dim`` and ``begin + size <= dim``. A bound
known when the graph is built is checked then (ValueError, as TF1's shape inference); one known
only at run time raises InvalidArgumentError naming the node."""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, SupportsInt, Union

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.shape_ops import reshape_spec

__all__ = ["slice", "strided_slice"]


@dataclass(frozen=True)
class ValueOf:
    """A slice bound read at run time from the integer scalar reference input ``ref``."""

    ref: int


# A slice bound: a literal (negative counts from the end), None (the natural end), a sum of
# dims of the node's reference inputs, ((r, j), ...) meaning sum of dim j of reference r, or the
# run-time value of a scalar reference input.
Bound = Union[int, None, tuple[tuple[int, int], ...], ValueOf]
# one entry of an index: an int (or int tensor), a slice, None (a new axis) or the Ellipsis
KeyItem = Union[SupportsInt, Tensor, builtins.slice, None, EllipsisType]
# what ``tensor[key]`` takes: one entry or a tuple of them
IndexKey = Union[KeyItem, tuple[KeyItem, ...]]


@dataclass(frozen=True)
class SliceAttrs:
    """One entry per input dim; ``shrink`` dims (integer indices) are dropped from the result.
    ``exact``: TF1's Slice, whose bounds must lie inside each dim (0 <= begin <= end <= dim,
    non-negative literals) instead of clipping to it."""

    begin: tuple[Bound, ...]
    end: tuple[Bound, ...]
    strides: tuple[int, ...]
    shrink: tuple[int, ...]
    exact: bool = False


def norm_axis(axis: int, rank: int, what: str) -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"{what} axis {axis} is out of range for rank {rank}")
    return axis % rank


def known_rank(s: TensorShape, what: str) -> int:
    if s.rank is None:
        raise ValueError(f"{what} needs an input of known rank")
    return s.rank


def int_dtype(d: DType, what: str) -> None:
    if d.is_floating or d.is_bool:
        raise TypeError(f"{what} must be int32 or int64, got {d.name}")


def static_int(v: SupportsInt | Tensor, what: str) -> int:
    if isinstance(v, Tensor):
        if v.node.op is Op.CONST:
            return int(v.node.attrs.value)
        raise TypeError(f"{what} must be known when the graph is built; {v.name} is computed at run time")
    return int(getattr(v, "value", v))


def static_ints(v: TensorLike, what: str) -> list[int]:
    if isinstance(v, Tensor):
        if v.node.op is Op.CONST:
            return [int(a) for a in np.asarray(v.node.attrs.value).reshape(-1)]
        raise TypeError(f"{what} must be known when the graph is built; {v.name} is computed at run time")
    return [int(a) for a in np.asarray(v).reshape(-1)]


# ---- SLICE and SLICE_GRAD -----------------------------------------------------------------------

def index_error(index: int, dim: int, j: int) -> str:
    """TF1's message for an index outside its dim (a negative one shown plus the dim, as TF1 does)."""
    return f"slice index {index + dim if index < 0 else index} of dimension {j} out of bounds."


def exact_error(b: int, e: int | None, d: int | None, j: int) -> str | None:
    """TF1's Slice message when ``begin``/``end`` do not lie inside a dim of size ``d`` (None:
    not known yet, so only a negative begin is known to be wrong)."""
    if b < 0 or (d is not None and b > d):
        return f"Expected begin[{j}] in [0, {'?' if d is None else d}], but got {b}"
    if d is not None and e is not None and not b <= e <= d:
        return f"Expected size[{j}] in [0, {d - b}], but got {e - b}"
    return None


def _resolve(b: Bound, ref_dims: Sequence[Sequence[Any]], refs: Sequence[np.ndarray] | None = None) -> Any:
    """A bound as an int, None (the natural end) or "?" (known only at run time)."""
    if isinstance(b, ValueOf):
        return "?" if refs is None else int(refs[b.ref])
    if isinstance(b, tuple):
        total = 0
        for r, j in b:
            d = ref_dims[r][j]
            if d is None:
                return "?"
            total += d
        return total
    return b


def _slice_dims(at: SliceAttrs, dims: Sequence[Any], ref_dims: Sequence[Sequence[Any]]) -> list[Any]:
    out: list[Any] = []
    for j, d in enumerate(dims):
        b, e = _resolve(at.begin[j], ref_dims), _resolve(at.end[j], ref_dims)
        if j in at.shrink:
            if d is not None and b != "?" and not -d <= b < d:
                raise ValueError(f"{index_error(b, d, j)} for an input of shape {list(dims)}")
            continue
        if at.exact and "?" in (b, e):  # a run-time bound: checked when the slice runs
            out.append(None)
        elif at.exact:  # bounds inside the dim, checked here where it is known (else when run)
            wrong = exact_error(b, e, d, j)
            if wrong:
                raise ValueError(f"{wrong} for an input of shape {list(dims)}")
            out.append(e - b if e is not None else None if d is None else d - b)
        elif d is None or b == "?" or e == "?":
            out.append(None)
        else:
            out.append(len(range(*builtins.slice(b, e, at.strides[j]).indices(d))))
    return out


def _slice_shape(shapes: Sequence[TensorShape], at: SliceAttrs) -> list[TensorShape]:
    x = shapes[0]
    rank = known_rank(x, "strided slice")
    if rank != len(at.strides):
        raise ValueError(f"slice of {len(at.strides)} dims applied to a tensor of rank {rank}")
    refs = [s.dims if s.dims is not None else () for s in shapes[1:]]
    return [TensorShape(_slice_dims(at, x.dims, refs))]  # type: ignore[arg-type]


def _np_key(at: SliceAttrs, shape: Sequence[int], refs: Sequence[np.ndarray]) -> tuple:
    key: list[Any] = []
    ref_dims = [r.shape for r in refs]
    for j, d in enumerate(shape):
        b, e = _resolve(at.begin[j], ref_dims, refs), _resolve(at.end[j], ref_dims, refs)
        if j in at.shrink:
            if not -d <= b < d:
                raise ValueError(index_error(b, d, j))
            key.append(b)
        else:
            wrong = exact_error(b, e, d, j) if at.exact else None
            if wrong:
                raise ValueError(wrong)
            key.append(builtins.slice(b, e, at.strides[j]))
    return tuple(key)


def _slice_ref(at: SliceAttrs, x: np.ndarray, *refs: np.ndarray) -> np.ndarray:
    return np.array(x[_np_key(at, x.shape, refs)])


def _slice_grad_ref(at: SliceAttrs, g: np.ndarray, like: np.ndarray, *refs: np.ndarray) -> np.ndarray:
    out = np.zeros(like.shape, dtype=g.dtype)
    out[_np_key(at, like.shape, refs)] = g
    return out


register(OpDef(Op.SLICE, Kind.OTHER, _slice_shape, lambda d, at: [d[0]], _slice_ref,
               vjp=lambda n, g: [make(Op.SLICE_GRAD, [g, *n.inputs], n.attrs, name="StridedSliceGrad")]
               + [None] * (len(n.inputs) - 1)))
register(OpDef(Op.SLICE_GRAD, Kind.OTHER,
               lambda shapes, at: [shapes[1]], lambda d, at: [d[0]], _slice_grad_ref,
               vjp=lambda n, g: [make(Op.SLICE, [g, *n.inputs[2:]], n.attrs, name="StridedSlice")]
               + [None] * (len(n.inputs) - 1)))


def slice_node(x: Tensor, begin: Sequence[Bound], end: Sequence[Bound], strides: Sequence[int],
               shrink: Sequence[int], refs: Sequence[Tensor] = (), name: str | None = None,
               exact: bool = False) -> Tensor:
    at = SliceAttrs(tuple(begin), tuple(end), tuple(strides), tuple(shrink), exact)
    return make(Op.SLICE, [x, *refs], at, name=name or "strided_slice")


# ---- public functions --------------------------------------------------------------------------

def slice(input_: TensorLike, begin: TensorLike, size: TensorLike,  # noqa: A001 - the TF1 name
          name: str | None = None) -> Tensor:
    """``input_[begin[i] : begin[i] + size[i]]`` per dim (size -1: to the end), TF1's ``tf.slice``.
    Unlike indexing, the bounds must lie inside the tensor: ``0 <= begin[i] <= dim`` and
    ``begin[i] + size[i] <= dim``, checked when the graph is built where the dims are known and
    when it runs otherwise.

    >>> import graphflow as gf
    >>> gf.slice(gf.zeros([4, 3]), [1, 0], [2, -1]).shape.as_list()
    [2, 3]
    """
    x = convert_to_tensor(input_)
    b = static_ints(begin, "slice begin")
    s = static_ints(size, "slice size")
    rank = known_rank(x.shape, "slice")
    if len(b) != rank or len(s) != rank:
        raise ValueError(f"slice: begin {b} and size {s} must have one entry per dim of {x.shape}")
    for j, sj in enumerate(s):
        if sj < -1:
            raise ValueError(f"Expected size[{j}] >= -1 (-1: to the end of the dim), but got {sj}")
    return slice_node(x, b, [None if sj == -1 else bj + sj for bj, sj in zip(b, s)], [1] * rank, (),
                      name=name or "Slice", exact=True)


def strided_slice(input_: TensorLike, begin: TensorLike, end: TensorLike, strides: int | Sequence[int] | None = None,
                  begin_mask: int = 0, end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: object = None, name: str | None = None) -> Tensor:
    """``input_[begin[0]:end[0]:strides[0], ...]`` with TF1's masks: bit i of ``begin_mask`` /
    ``end_mask`` drops bound i, of ``shrink_axis_mask`` makes entry i the index ``begin[i]``, of
    ``new_axis_mask`` a new dim, of ``ellipsis_mask`` the ``...``. Ranges clip to the dims; a shrunk
    index outside its dim raises.

    >>> import graphflow as gf
    >>> gf.strided_slice(gf.zeros([4, 3]), [1, 0], [3, 2], shrink_axis_mask=2).shape.as_list()
    [2]
    """
    x = convert_to_tensor(input_)
    b, e = static_ints(begin, "begin"), static_ints(end, "end")
    s = static_ints(strides, "strides") if strides is not None else [1] * len(b)
    if not len(b) == len(e) == len(s):
        raise ValueError(f"strided_slice: begin {b}, end {e} and strides {s} must have the same length")
    key = masked_key(b, e, s, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    y = index(x, key, name or "strided_slice")
    if y is x:  # the whole tensor: still a node of its own, as TF1's
        rank = known_rank(x.shape, "strided_slice")
        y = slice_node(x, [None] * rank, [None] * rank, [1] * rank, (), name=name or "strided_slice")
    return y


def masked_key(b: Sequence[Any], e: Sequence[Any], s: Sequence[int], begin_mask: int = 0, end_mask: int = 0,
               ellipsis_mask: int = 0, new_axis_mask: int = 0, shrink_axis_mask: int = 0) -> tuple:
    """The numpy index of StridedSlice's bounds and five masks (bit i of a mask: entry i); a bound
    may be an int scalar tensor (known only when run)."""
    def bound(v: Any) -> Any:
        return v if isinstance(v, Tensor) else int(v)
    key: list[Any] = []
    for i in range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(bound(b[i]))
        else:
            start = None if begin_mask & bit else bound(b[i])
            key.append(builtins.slice(start, None if end_mask & bit else bound(e[i]), int(s[i])))
    return tuple(key)


@rank_polymorphic(_first_float)
def getitem(tensor: Tensor, key: IndexKey) -> Tensor:
    """``tensor[key]`` with ints, slices (any step), None/newaxis and one Ellipsis, as NumPy."""
    return index(tensor, key)


def index(x: Tensor, key: IndexKey, name: str | None = "strided_slice") -> Tensor:
    """``x[key]`` for a tensor of known rank (``getitem`` defers unknown ranks here)."""
    keys = list(key) if isinstance(key, tuple) else [key]
    rank = known_rank(x.shape, "indexing")
    if sum(1 for k in keys if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for k in keys if k is not None and k is not Ellipsis)
    if used > rank:
        raise IndexError(f"too many indices for {x.name} of rank {rank}: {key!r}")
    if Ellipsis in [k for k in keys if not isinstance(k, Tensor)]:
        at_ = next(j for j, k in enumerate(keys) if k is Ellipsis)
        keys[at_:at_ + 1] = [builtins.slice(None)] * (rank - used)
    else:
        keys += [builtins.slice(None)] * (rank - used)
    begin: list[Bound] = []
    end: list[Bound] = []
    strides: list[int] = []
    shrink: list[int] = []
    refs: list[Tensor] = []

    def bound(v: SupportsInt | Tensor, what: str) -> Bound:
        if isinstance(v, Tensor) and v.node.op is not Op.CONST:
            if v.shape.rank != 0:
                raise TypeError(f"a tensor {what} must be a scalar, got {v.name} of shape {v.shape}")
            int_dtype(v.dtype, what)
            refs.append(v)
            return ValueOf(len(refs) - 1)
        return static_int(v, what)

    newaxis: list[int] = []  # positions in the result (before shrinking is accounted)
    out_pos = 0
    for k in keys:
        if k is None:
            newaxis.append(out_pos)
            out_pos += 1
            continue
        if isinstance(k, builtins.slice):
            step = 1 if k.step is None else static_int(k.step, "slice step")
            if step == 0:
                raise ValueError("slice step cannot be zero")
            begin.append(None if k.start is None else bound(k.start, "slice start"))
            end.append(None if k.stop is None else bound(k.stop, "slice stop"))
            strides.append(step)
            out_pos += 1
            continue
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer, Tensor)):
            raise TypeError(f"graphflow indexing supports ints, slices, None and '...', got {k!r}")
        shrink.append(len(begin))
        begin.append(bound(k, "index"))
        end.append(None)
        strides.append(1)
    if shrink or any(not (b is None and e is None and s == 1) for b, e, s in zip(begin, end, strides)):
        y = slice_node(x, begin, end, strides, shrink, refs, name=name)
    else:
        y = x
    if not newaxis:
        return y
    spec: list[Any] = [d if d is not None else (0, j) for j, d in enumerate(y.shape.dims)]  # type: ignore[arg-type]
    for p in newaxis:
        spec.insert(p, 1)
    return reshape_spec(y, tuple(spec), name="strided_slice")



# installed onto the core's Tensor (the list of what is installed where: graphflow/core/ir.py's docstring)
Tensor.__getitem__ = getitem  # type: ignore[method-assign, assignment]
