"""Data movement ops: concat, stack, unstack, split, tile, pad, gather, gather_nd, one_hot,
boolean_mask and indexing.

Primitives: CONCAT, SLICE (strided slice, with its gradient SLICE_GRAD), PAD, TILE, GATHER
(gradient SCATTER_ADD), GATHER_ND (gradient SCATTER_ND_ADD), ONE_HOT and BOOLEAN_MASK (whose
``scatter`` form is its own gradient). stack, unstack and split are built from these.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from graphflow import dtypes as _dt
from graphflow.dtypes import DType
from graphflow.ir import Tensor, convert_to_tensor
from graphflow.ops._build import make, same_dtype
from graphflow.registry import Kind, Op, OpDef, register
from graphflow.shapes import TensorShape

__all__ = ["boolean_mask", "concat", "gather", "gather_nd", "one_hot", "pad", "split", "stack",
           "strided_slice", "tile", "unstack"]



@dataclass(frozen=True)
class ValueOf:
    """A slice bound read at run time from the integer scalar reference input ``ref``."""

    ref: int


# A slice bound: a literal (negative counts from the end), None (the natural end), a sum of
# dims of the node's reference inputs, ((r, j), ...) meaning sum of dim j of reference r, or the
# run-time value of a scalar reference input.
Bound = Union[int, None, tuple[tuple[int, int], ...], ValueOf]


@dataclass(frozen=True)
class AxisAttrs:
    axis: int  # non-negative


@dataclass(frozen=True)
class SliceAttrs:
    """One entry per input dim; ``shrink`` dims (integer indices) are dropped from the result."""

    begin: tuple[Bound, ...]
    end: tuple[Bound, ...]
    strides: tuple[int, ...]
    shrink: tuple[int, ...]


@dataclass(frozen=True)
class PadAttrs:
    paddings: tuple[tuple[int, int], ...]
    constant: float | int | bool


@dataclass(frozen=True)
class TileAttrs:
    multiples: tuple[int, ...]


@dataclass(frozen=True)
class OneHotAttrs:
    depth: int
    on: float | int | bool
    off: float | int | bool
    axis: int  # non-negative, in [0, rank(indices)]
    dtype: DType


@dataclass(frozen=True)
class MaskAttrs:
    scatter: bool  # False: select masked rows; True: gradient form, write rows back into zeros


def _norm_axis(axis: int, rank: int, what: str) -> int:
    if not -rank <= axis < rank:
        raise ValueError(f"{what} axis {axis} is out of range for rank {rank}")
    return axis % rank


def _known_rank(s: TensorShape, what: str) -> int:
    if s.rank is None:
        raise ValueError(f"{what} needs an input of known rank")
    return s.rank


def _int_dtype(d: DType, what: str) -> None:
    if d.is_floating or d.is_bool:
        raise TypeError(f"{what} must be int32 or int64, got {d.name}")


def _static_int(v: Any, what: str) -> int:
    if isinstance(v, Tensor):
        if v.node.op is Op.CONST:
            return int(v.node.attrs.value)
        raise TypeError(f"{what} must be known when the graph is built; {v.name} is computed at run time")
    return int(getattr(v, "value", v))


def _static_ints(v: Any, what: str) -> list[int]:
    if isinstance(v, Tensor):
        if v.node.op is Op.CONST:
            return [int(a) for a in np.asarray(v.node.attrs.value).reshape(-1)]
        raise TypeError(f"{what} must be known when the graph is built; {v.name} is computed at run time")
    return [int(a) for a in np.asarray(v).reshape(-1)]


# ---- CONCAT ------------------------------------------------------------------------------------

def _concat_shape(shapes: Sequence[TensorShape], at: AxisAttrs) -> list[TensorShape]:
    ranks = {_known_rank(s, "concat") for s in shapes}
    if len(ranks) != 1:
        raise ValueError(f"concat inputs must have the same rank, got shapes {[str(s) for s in shapes]}")
    (rank,) = ranks
    if not at.axis < rank:
        raise ValueError(f"concat axis {at.axis} is out of range for rank {rank}")
    dims: list[Any] = []
    for j in range(rank):
        col = [s.dims[j] for s in shapes]  # type: ignore[index]
        if j == at.axis:
            dims.append(None if None in col else sum(col))  # type: ignore[arg-type]
            continue
        known = {d for d in col if d is not None}
        if len(known) > 1:
            raise ValueError(f"concat inputs differ in dim {j}: shapes {[str(s) for s in shapes]}")
        dims.append(known.pop() if known else None)
    return [TensorShape(dims)]


def _vjp_concat(n: Any, g: Tensor) -> list:
    xs = list(n.inputs)
    axis = n.attrs.axis
    sizes = [x.shape.dims[axis] for x in xs]
    out = []
    rank = len(xs[0].shape.dims)  # type: ignore[arg-type]
    for k in range(len(xs)):
        begin: list[Bound] = [None] * rank
        end: list[Bound] = [None] * len(begin)
        if None not in sizes:
            begin[axis] = sum(sizes[:k])
            end[axis] = sum(sizes[:k + 1])
            refs: list[Tensor] = []
        else:
            begin[axis] = tuple((r, axis) for r in range(k))
            end[axis] = tuple((r, axis) for r in range(k + 1))
            refs = xs
        out.append(_slice(g, begin, end, [1] * len(begin), (), refs))
    return out


register(OpDef(Op.CONCAT, Kind.OTHER, _concat_shape, same_dtype,
               lambda at, *xs: np.concatenate(xs, axis=at.axis), vjp=_vjp_concat))


# ---- SLICE and SLICE_GRAD -----------------------------------------------------------------------

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
                raise ValueError(f"index {b} is out of bounds for dim {j} of size {d}")
            continue
        if d is None or b == "?" or e == "?":
            out.append(None)
        else:
            out.append(len(range(*slice(b, e, at.strides[j]).indices(d))))
    return out


def _slice_shape(shapes: Sequence[TensorShape], at: SliceAttrs) -> list[TensorShape]:
    x = shapes[0]
    rank = _known_rank(x, "strided slice")
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
                raise ValueError(f"index {b} is out of bounds for dim {j} of size {d}")
            key.append(b)
        else:
            key.append(slice(b, e, at.strides[j]))
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


def _slice(x: Tensor, begin: Sequence[Bound], end: Sequence[Bound], strides: Sequence[int],
           shrink: Sequence[int], refs: Sequence[Tensor] = (), name: str | None = None) -> Tensor:
    at = SliceAttrs(tuple(begin), tuple(end), tuple(strides), tuple(shrink))
    return make(Op.SLICE, [x, *refs], at, name=name or "strided_slice")


# ---- PAD ---------------------------------------------------------------------------------------

def _pad_shape(shapes: Sequence[TensorShape], at: PadAttrs) -> list[TensorShape]:
    rank = _known_rank(shapes[0], "pad")
    if len(at.paddings) != rank:
        raise ValueError(f"pad needs {rank} (before, after) pairs for a tensor of rank {rank}, "
                         f"got {len(at.paddings)}")
    return [TensorShape([None if d is None else d + b + a
                         for d, (b, a) in zip(shapes[0].dims, at.paddings)])]  # type: ignore[arg-type]


def _vjp_pad(n: Any, g: Tensor) -> list:
    pads = n.attrs.paddings
    return [_slice(g, [b for b, _ in pads], [-a if a else None for _, a in pads], [1] * len(pads), ())]


register(OpDef(Op.PAD, Kind.OTHER, _pad_shape, lambda d, at: [d[0]],
               lambda at, x: np.pad(x, at.paddings, constant_values=at.constant), vjp=_vjp_pad))


# ---- TILE --------------------------------------------------------------------------------------

def _tile_shape(shapes: Sequence[TensorShape], at: TileAttrs) -> list[TensorShape]:
    rank = _known_rank(shapes[0], "tile")
    if len(at.multiples) != rank:
        raise ValueError(f"tile multiples {list(at.multiples)} must have one entry per dim of a "
                         f"rank-{rank} tensor")
    return [TensorShape([None if d is None else d * m
                         for d, m in zip(shapes[0].dims, at.multiples)])]  # type: ignore[arg-type]


def _vjp_tile(n: Any, g: Tensor) -> list:
    from graphflow.ops.reduce_ops import reduce_sum
    from graphflow.ops.shape_ops import reshape_spec
    x = n.inputs[0]
    spec: list[Any] = []
    for j, m in enumerate(n.attrs.multiples):
        d = x.shape.dims[j]
        spec += [m, d if d is not None else (1, j)]
    split_g = reshape_spec(g, tuple(spec), [x])
    return [reduce_sum(split_g, axis=list(range(0, len(spec), 2)))]


register(OpDef(Op.TILE, Kind.OTHER, _tile_shape, lambda d, at: [d[0]],
               lambda at, x: np.tile(x, at.multiples), vjp=_vjp_tile))


# ---- GATHER and SCATTER_ADD ----------------------------------------------------------------------

def _gather_shape(shapes: Sequence[TensorShape], at: AxisAttrs) -> list[TensorShape]:
    p, i = shapes
    rank = _known_rank(p, "gather")
    _known_rank(i, "gather")
    if not at.axis < rank:
        raise ValueError(f"gather axis {at.axis} is out of range for params of rank {rank}")
    return [TensorShape(p.dims[:at.axis] + i.dims + p.dims[at.axis + 1:])]  # type: ignore[operator]


def _gather_dtype(dtypes: Sequence[DType], at: Any) -> list[DType]:
    _int_dtype(dtypes[1], "gather indices")
    return [dtypes[0]]


def _check_range(idx: np.ndarray, size: int, what: str) -> None:
    bad = (idx < 0) | (idx >= size)
    if np.any(bad):
        raise ValueError(f"{what} {idx[bad].reshape(-1)[0]} is not in [0, {size})")


def _gather_ref(at: AxisAttrs, params: np.ndarray, idx: np.ndarray) -> np.ndarray:
    _check_range(idx, params.shape[at.axis], "gather index")
    return np.take(params, idx, axis=at.axis)


def _scatter_add_ref(at: AxisAttrs, g: np.ndarray, idx: np.ndarray, like: np.ndarray) -> np.ndarray:
    _check_range(idx, like.shape[at.axis], "scatter index")
    out = np.zeros(like.shape, dtype=g.dtype)
    np.add.at(out, (slice(None),) * at.axis + (idx,), g)
    return out


register(OpDef(Op.GATHER, Kind.OTHER, _gather_shape, _gather_dtype, _gather_ref,
               vjp=lambda n, g: [make(Op.SCATTER_ADD, [g, n.inputs[1], n.inputs[0]], n.attrs,
                                      name="GatherGrad"), None]))
register(OpDef(Op.SCATTER_ADD, Kind.OTHER, lambda shapes, at: [shapes[2]], lambda d, at: [d[0]],
               _scatter_add_ref,
               vjp=lambda n, g: [make(Op.GATHER, [g, n.inputs[1]], n.attrs, name="GatherV2"), None, None]))


# ---- GATHER_ND and SCATTER_ND_ADD ----------------------------------------------------------------

def _gather_nd_shape(shapes: Sequence[TensorShape], at: Any) -> list[TensorShape]:
    p, i = shapes
    prank = _known_rank(p, "gather_nd")
    irank = _known_rank(i, "gather_nd")
    k = i.dims[-1] if irank else None  # type: ignore[index]
    if k is None or not 1 <= k <= prank:
        raise ValueError(f"gather_nd indices need a static last dim in [1, {prank}], got shape {i}")
    return [TensorShape(i.dims[:-1] + p.dims[k:])]  # type: ignore[index, operator]


def _nd_key(idx: np.ndarray, shape: Sequence[int]) -> tuple:
    k = idx.shape[-1]
    for j in range(k):
        _check_range(idx[..., j], shape[j], f"gather_nd index (component {j})")
    return tuple(idx[..., j] for j in range(k))


def _scatter_nd_ref(at: Any, g: np.ndarray, idx: np.ndarray, like: np.ndarray) -> np.ndarray:
    out = np.zeros(like.shape, dtype=g.dtype)
    np.add.at(out, _nd_key(idx, like.shape), g)
    return out


register(OpDef(Op.GATHER_ND, Kind.OTHER, _gather_nd_shape, _gather_dtype,
               lambda at, p, idx: np.array(p[_nd_key(idx, p.shape)]),
               vjp=lambda n, g: [make(Op.SCATTER_ND_ADD, [g, n.inputs[1], n.inputs[0]],
                                      name="GatherNdGrad"), None]))
register(OpDef(Op.SCATTER_ND_ADD, Kind.OTHER, lambda shapes, at: [shapes[2]], lambda d, at: [d[0]],
               _scatter_nd_ref,
               vjp=lambda n, g: [make(Op.GATHER_ND, [g, n.inputs[1]], name="GatherNd"), None, None]))


# ---- ONE_HOT -----------------------------------------------------------------------------------

def _one_hot_shape(shapes: Sequence[TensorShape], at: OneHotAttrs) -> list[TensorShape]:
    dims = list(shapes[0].dims) if shapes[0].dims is not None else None
    if dims is None:
        return [TensorShape(None)]
    dims.insert(at.axis, at.depth)
    return [TensorShape(dims)]


def _one_hot_dtype(dtypes: Sequence[DType], at: OneHotAttrs) -> list[DType]:
    _int_dtype(dtypes[0], "one_hot indices")
    return [at.dtype]


def _one_hot_ref(at: OneHotAttrs, idx: np.ndarray) -> np.ndarray:
    hot = np.expand_dims(idx, at.axis) == np.arange(at.depth).reshape(
        [-1 if j == at.axis else 1 for j in range(idx.ndim + 1)])
    return np.where(hot, at.on, at.off).astype(at.dtype.np)


register(OpDef(Op.ONE_HOT, Kind.OTHER, _one_hot_shape, _one_hot_dtype, _one_hot_ref, no_gradient=True))


# ---- BOOLEAN_MASK ------------------------------------------------------------------------------

def _mask_shape(shapes: Sequence[TensorShape], at: MaskAttrs) -> list[TensorShape]:
    if at.scatter:
        return [shapes[2]]
    x, m = shapes
    rank = _known_rank(x, "boolean_mask")
    k = _known_rank(m, "boolean_mask mask")
    if k == 0 or k > rank:
        raise ValueError(f"boolean_mask needs a mask of rank 1..{rank}, got shape {m}")
    if not TensorShape(x.dims[:k]).is_compatible_with(m):  # type: ignore[index]
        raise ValueError(f"boolean_mask mask shape {m} does not match the leading dims of {x}")
    return [TensorShape((None,) + x.dims[k:])]  # type: ignore[index, operator]


def _mask_dtype(dtypes: Sequence[DType], at: MaskAttrs) -> list[DType]:
    if not dtypes[1].is_bool:
        raise TypeError(f"boolean_mask mask must be bool, got {dtypes[1].name}")
    return [dtypes[0]]


def _mask_ref(at: MaskAttrs, x: np.ndarray, mask: np.ndarray, like: Any = None) -> np.ndarray:
    if at.scatter:
        out = np.zeros(like.shape, dtype=x.dtype)
        out[mask] = x
        return out
    if x.shape[:mask.ndim] != mask.shape:
        raise ValueError(f"boolean_mask mask shape {list(mask.shape)} does not match the leading "
                         f"dims of {list(x.shape)}")
    return np.array(x[mask])


def _vjp_mask(n: Any, g: Tensor) -> list:
    if n.attrs.scatter:
        return [make(Op.BOOLEAN_MASK, [g, n.inputs[1]], MaskAttrs(False), name="boolean_mask"), None, None]
    return [make(Op.BOOLEAN_MASK, [g, n.inputs[1], n.inputs[0]], MaskAttrs(True), name="BooleanMaskGrad"),
            None]


register(OpDef(Op.BOOLEAN_MASK, Kind.OTHER, _mask_shape, _mask_dtype, _mask_ref, vjp=_vjp_mask))


# ---- public functions --------------------------------------------------------------------------

def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """Join tensors along ``axis`` (negative counts from the end).

    >>> import graphflow as gf
    >>> gf.concat([gf.zeros((2, 3)), gf.ones((2, 1))], 1).shape.as_list()
    [2, 4]
    """
    if isinstance(values, Tensor):
        values = [values]
    xs = [convert_to_tensor(v) for v in values]
    if not xs:
        raise ValueError("concat needs at least one tensor")
    xs = [xs[0]] + [convert_to_tensor(v, dtype=xs[0].dtype) if not isinstance(v, Tensor) else v
                    for v in values[1:]]
    rank = _known_rank(xs[0].shape, "concat")
    if rank == 0:
        raise ValueError("concat needs tensors of rank >= 1; use gf.stack for scalars")
    ax = _norm_axis(_static_int(axis, "concat axis"), rank, "concat")
    if len(xs) == 1:
        from graphflow.ops.math_ops import identity
        return identity(xs[0], name=name)
    return make(Op.CONCAT, xs, AxisAttrs(ax), name=name)


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Stack rank-R tensors into one rank-(R+1) tensor along a new ``axis``.

    >>> import graphflow as gf
    >>> gf.stack([gf.zeros((3,)), gf.ones((3,))], axis=1).shape.as_list()
    [3, 2]
    """
    from graphflow.ops.shape_ops import expand_dims
    xs = [convert_to_tensor(v) for v in values]
    if not xs:
        raise ValueError("stack needs at least one tensor")
    rank = _known_rank(xs[0].shape, "stack")
    for x in xs[1:]:
        if not x.shape.is_compatible_with(xs[0].shape):
            raise ValueError(f"stack inputs must have the same shape, got {xs[0].shape} and {x.shape}")
    ax = _norm_axis(_static_int(axis, "stack axis"), rank + 1, "stack")
    return concat([expand_dims(x, ax) for x in xs], ax, name=name)


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """Split ``value`` along ``axis`` into ``num`` tensors with that dim removed.

    >>> import graphflow as gf
    >>> len(gf.unstack(gf.zeros((3, 2))))
    3
    """
    x = convert_to_tensor(value)
    rank = _known_rank(x.shape, "unstack")
    if rank == 0:
        raise ValueError("unstack needs a tensor of rank >= 1")
    ax = _norm_axis(axis, rank, "unstack")
    size = x.shape.dims[ax]  # type: ignore[index]
    if num is None:
        if size is None:
            raise ValueError(f"cannot infer num from shape {x.shape}: dim {ax} is unknown")
        num = size
    elif size is not None and num != size:
        raise ValueError(f"unstack num={num} does not match dim {ax} of shape {x.shape}")
    full: list[Bound] = [None] * rank
    outs = []
    for i in range(num):
        begin = list(full)
        begin[ax] = i
        outs.append(_slice(x, begin, full, [1] * rank, (ax,), name=name))
    return outs


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
          name: str = "split") -> list[Tensor]:
    """Split along ``axis`` into equal parts (an int) or parts of the given sizes (one may be -1).

    >>> import graphflow as gf
    >>> [t.shape.as_list() for t in gf.split(gf.zeros((5, 2)), [2, -1])]
    [[2, 2], [3, 2]]
    """
    x = convert_to_tensor(value)
    rank = _known_rank(x.shape, "split")
    ax = _norm_axis(_static_int(axis, "split axis"), rank, "split")
    size = x.shape.dims[ax]  # type: ignore[index]
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, Tensor) and num_or_size_splits.shape.rank == 0):
        parts = _static_int(num_or_size_splits, "split count")
        if parts <= 0:
            raise ValueError(f"split count must be positive, got {parts}")
        if size is None:
            raise ValueError(f"split into {parts} parts needs dim {ax} of {x.shape} to be known")
        if size % parts:
            raise ValueError(f"dim {ax} of size {size} cannot be split into {parts} equal parts")
        sizes = [size // parts] * parts
    else:
        sizes = _static_ints(num_or_size_splits, "split sizes")
        if sizes.count(-1) > 1:
            raise ValueError(f"split sizes {sizes} have more than one -1")
        if -1 in sizes:
            if size is None:
                raise ValueError(f"split sizes {sizes} with -1 need dim {ax} of {x.shape} to be known")
            sizes[sizes.index(-1)] = size - (sum(sizes) + 1)
        if any(s < 0 for s in sizes) or (size is not None and sum(sizes) != size):
            raise ValueError(f"split sizes {sizes} do not add up to dim {ax} of shape {x.shape}")
    outs = []
    offset = 0
    for s in sizes:
        begin: list[Bound] = [None] * rank
        end: list[Bound] = [None] * rank
        begin[ax], end[ax] = offset, offset + s
        offset += s
        outs.append(_slice(x, begin, end, [1] * rank, (), name=name))
    return outs


def tile(input: Any, multiples: Any, name: str = "Tile") -> Tensor:  # noqa: A002
    """Repeat ``input`` ``multiples[j]`` times along each dim j.

    >>> import graphflow as gf
    >>> gf.tile(gf.zeros((2, 3)), [2, 1]).shape.as_list()
    [4, 3]
    """
    x = convert_to_tensor(input)
    mult = _static_ints(multiples, "tile multiples")
    if any(m < 0 for m in mult):
        raise ValueError(f"tile multiples {mult} must be non-negative")
    return make(Op.TILE, [x], TileAttrs(tuple(mult)), name=name)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str = "Pad",
        constant_values: Any = 0) -> Tensor:
    """Pad each dim j with ``paddings[j] = (before, after)`` copies of ``constant_values``.

    >>> import graphflow as gf
    >>> gf.pad(gf.zeros((2, 3)), [[1, 1], [0, 2]]).shape.as_list()
    [4, 5]
    """
    x = convert_to_tensor(tensor)
    if mode.upper() != "CONSTANT":
        raise NotImplementedError(f"pad mode {mode!r} is not supported; graphflow pads in CONSTANT mode")
    flat = _static_ints(paddings, "pad paddings")
    if len(flat) % 2:
        raise ValueError(f"paddings must be (before, after) pairs, got {paddings!r}")
    pairs = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
    if any(p < 0 for p in flat):
        raise ValueError(f"paddings must be non-negative, got {[list(p) for p in pairs]}")
    cv = constant_values
    if isinstance(cv, Tensor):
        if cv.node.op is not Op.CONST:
            raise TypeError(f"pad constant_values must be known when the graph is built; {cv.name} is not")
        cv = cv.node.attrs.value
    value = np.asarray(cv).astype(x.dtype.np).item()
    return make(Op.PAD, [x], PadAttrs(pairs, value), name=name)


def gather(params: Any, indices: Any, validate_indices: Any = None, name: str = "GatherV2",
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """Pick slices of ``params`` along ``axis`` at ``indices``; out-of-range indices raise at run time.

    >>> import graphflow as gf
    >>> gf.gather(gf.zeros((5, 3)), [0, 4]).shape.as_list()
    [2, 3]
    """
    if batch_dims:
        raise NotImplementedError("gather with batch_dims is not supported")
    p = convert_to_tensor(params)
    i = convert_to_tensor(indices)
    rank = _known_rank(p.shape, "gather")
    ax = _norm_axis(0 if axis is None else _static_int(axis, "gather axis"), rank, "gather")
    return make(Op.GATHER, [p, i], AxisAttrs(ax), name=name)


def gather_nd(params: Any, indices: Any, name: str = "GatherNd", batch_dims: int = 0) -> Tensor:
    """Pick elements or slices of ``params`` at the index vectors in the last dim of ``indices``.

    >>> import graphflow as gf
    >>> gf.gather_nd(gf.zeros((2, 3)), [[0, 1], [1, 2]]).shape.as_list()
    [2]
    """
    if batch_dims:
        raise NotImplementedError("gather_nd with batch_dims is not supported")
    return make(Op.GATHER_ND, [convert_to_tensor(params), convert_to_tensor(indices)], name=name)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None, axis: Any = None,
            dtype: Any = None, name: str = "one_hot") -> Tensor:
    """``on_value`` where the new ``axis`` (last by default) equals the index, else ``off_value``;
    out-of-range indices give a row of ``off_value`` (TF1).

    >>> import graphflow as gf
    >>> gf.one_hot([0, 2], 3).shape.as_list()
    [2, 3]
    """
    i = convert_to_tensor(indices)
    rank = _known_rank(i.shape, "one_hot")
    given = [v for v in (on_value, off_value) if v is not None]
    d = _dt.as_dtype(dtype) if dtype is not None else (
        convert_to_tensor(given[0]).dtype if given else _dt.float32)
    on = 1 if on_value is None else (on_value.node.attrs.value.item() if isinstance(on_value, Tensor)
                                     else on_value)
    off = 0 if off_value is None else (off_value.node.attrs.value.item() if isinstance(off_value, Tensor)
                                       else off_value)
    ax = -1 if axis is None else _static_int(axis, "one_hot axis")
    if ax == -1:
        ax = rank
    if not 0 <= ax <= rank:
        raise ValueError(f"one_hot axis {axis} is out of range for indices of rank {rank}")
    dep = _static_int(depth, "one_hot depth")
    if dep < 0:
        raise ValueError(f"one_hot depth must be non-negative, got {dep}")
    conv = (lambda v: np.asarray(v).astype(d.np).item())
    return make(Op.ONE_HOT, [i], OneHotAttrs(dep, conv(on), conv(off), ax, d), name=name)


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """Rows of ``tensor`` where ``mask`` (matching its leading dims) is True, flattened into dim 0.

    >>> import graphflow as gf
    >>> gf.boolean_mask(gf.zeros((3, 2)), [True, False, True]).shape.as_list()
    [None, 2]
    """
    if axis not in (None, 0):
        raise NotImplementedError("boolean_mask with axis > 0 is not supported")
    x = convert_to_tensor(tensor)
    m = convert_to_tensor(mask, dtype=_dt.bool_)
    return make(Op.BOOLEAN_MASK, [x, m], MaskAttrs(False), name=name)


def strided_slice(input_: Any, begin: Sequence[int], end: Sequence[int], strides: Sequence[int] | None = None,
                  name: str = "strided_slice") -> Tensor:
    """``input_[begin[0]:end[0]:strides[0], ...]`` (masks are not supported; use indexing)."""
    x = convert_to_tensor(input_)
    b, e = _static_ints(begin, "begin"), _static_ints(end, "end")
    s = _static_ints(strides, "strides") if strides is not None else [1] * len(b)
    rank = _known_rank(x.shape, "strided_slice")
    pad_n = rank - len(b)
    return _slice(x, b + [None] * pad_n, e + [None] * pad_n, s + [1] * pad_n, (), name=name)


def getitem(tensor: Tensor, key: Any) -> Tensor:
    """``tensor[key]`` with ints, slices (any step), None/newaxis and one Ellipsis, as NumPy."""
    from graphflow.ops.shape_ops import reshape_spec
    x = tensor
    keys = list(key) if isinstance(key, tuple) else [key]
    rank = _known_rank(x.shape, "indexing")
    if sum(1 for k in keys if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 for k in keys if k is not None and k is not Ellipsis)
    if used > rank:
        raise IndexError(f"too many indices for {x.name} of rank {rank}: {key!r}")
    if Ellipsis in [k for k in keys if not isinstance(k, Tensor)]:
        at_ = next(j for j, k in enumerate(keys) if k is Ellipsis)
        keys[at_:at_ + 1] = [slice(None)] * (rank - used)
    else:
        keys += [slice(None)] * (rank - used)
    begin: list[Bound] = []
    end: list[Bound] = []
    strides: list[int] = []
    shrink: list[int] = []
    refs: list[Tensor] = []

    def bound(v: Any, what: str) -> Bound:
        if isinstance(v, Tensor) and v.node.op is not Op.CONST:
            if v.shape.rank != 0:
                raise TypeError(f"a tensor {what} must be a scalar, got {v.name} of shape {v.shape}")
            _int_dtype(v.dtype, what)
            refs.append(v)
            return ValueOf(len(refs) - 1)
        return _static_int(v, what)

    newaxis: list[int] = []  # positions in the result (before shrinking is accounted)
    out_pos = 0
    for k in keys:
        if k is None:
            newaxis.append(out_pos)
            out_pos += 1
            continue
        if isinstance(k, slice):
            step = 1 if k.step is None else _static_int(k.step, "slice step")
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
        y = _slice(x, begin, end, strides, shrink, refs)
    else:
        y = x
    if not newaxis:
        return y
    spec: list[Any] = [d if d is not None else (0, j) for j, d in enumerate(y.shape.dims)]  # type: ignore[arg-type]
    for p in newaxis:
        spec.insert(p, 1)
    return reshape_spec(y, tuple(spec), name="strided_slice")


# ---- CPU kernels ---------------------------------------------------------------------------------
from graphflow.registry import kernel as _kernel  # noqa: E402


def _result(em: Any, dims: list[str], d: DType, zeros: bool = False) -> tuple[str, list[str] | None]:
    """An output buffer; rank 0 results live in a 1-element array (index ['0'])."""
    if not dims:
        name = em.fresh("o")
        em.line(f"{name} = np.zeros((1,), dtype={em.np_dtype(d)})")
        return name, ["0"]
    if zeros:
        name = em.fresh("o")
        em.line(f"{name} = np.zeros({em.shape_tuple(dims)}, dtype={em.np_dtype(d)})")
        return name, None
    return em.empty(dims, d), None


def _bind(em: Any, t: Tensor, name: str, rank0: list[str] | None) -> None:
    em.define(t, f"{name}[0]" if rank0 else name)


def _at(name: str, idx: Sequence[str], rank0: list[str] | None) -> str:
    idx = list(idx) or (rank0 or [])
    return f"{name}[{', '.join(idx)}]" if idx else name


@_kernel(Op.CONCAT, "cpu")
def _concat_cpu(em: Any, n: Any, ins: list[str]) -> None:
    axis = n.attrs.axis
    all_dims = [em.dims(t, e) for t, e in zip(n.inputs, ins)]
    total = " + ".join(d[axis] for d in all_dims)
    out_dims = list(all_dims[0])
    out_dims[axis] = f"({total})"
    for k, d in enumerate(all_dims[1:], 1):
        cond = " and ".join(f"{a} == {b}" for j, (a, b) in enumerate(zip(d, all_dims[0]))
                            if j != axis and a != b)
        if cond:
            em.check(cond, n, f"concat input {k} differs from input 0 outside the concat axis")
    out = em.empty(out_dims, n.dtypes[0])
    off = em.fresh("off")
    em.line(f"{off} = 0")
    for e, d in zip(ins, all_dims):
        with em.loops(d) as idx:
            dst = list(idx)
            dst[axis] = f"{off} + {idx[axis]}"
            em.line(f"{out}[{', '.join(dst)}] = {e}[{', '.join(idx)}]")
        em.line(f"{off} += {d[axis]}")
    em.define(n.outputs[0], out)


def _slice_plan(em: Any, n: Any, x_dims: list[str], refs: Sequence[tuple[Tensor, str]]) -> list[tuple[str, str, int]]:
    """Per input dim (start, length, stride) expressions, Python slice semantics; for shrink dims
    the length is '' (the dim is dropped)."""
    at: SliceAttrs = n.attrs
    ref_dims = [em.dims(t, e) for t, e in refs]
    plan = []

    def bound(b: Bound) -> str | None:
        if isinstance(b, ValueOf):
            v = em.fresh("b")
            em.line(f"{v} = int({refs[b.ref][1]})")
            return v
        if isinstance(b, tuple):
            return "(" + (" + ".join(ref_dims[r][j] for r, j in b) or "0") + ")"
        return None if b is None else str(b)

    for j, d in enumerate(x_dims):
        s = at.strides[j]
        b, e = bound(at.begin[j]), bound(at.end[j])
        start = em.fresh("st")
        if j in at.shrink:
            em.line(f"{start} = {b} + {d} if {b} < 0 else {b}")
            em.check(f"0 <= {start} < {d}", n, f"index out of range in dim {j}")
            plan.append((start, "", 1))
            continue
        stop, length = em.fresh("sp"), em.fresh("ln")
        lo, hi = ("0", d) if s > 0 else ("-1", f"{d} - 1")
        for name, v, default in ((start, b, lo if s > 0 else hi), (stop, e, hi if s > 0 else lo)):
            if v is None:
                em.line(f"{name} = {default}")
            else:
                em.line(f"{name} = {v} + {d} if {v} < 0 else {v}")
                em.line(f"{name} = min(max({name}, {lo}), {hi})")
        if s > 0:
            em.line(f"{length} = max(0, ({stop} - {start} + {s - 1}) // {s})")
        else:
            em.line(f"{length} = max(0, ({start} - {stop} + {-s - 1}) // {-s})")
        plan.append((start, length, s))
    return plan


def _slice_loops(em: Any, plan: list[tuple[str, str, int]]) -> Any:
    """Loop over the slice's result; yields (result index, source index)."""
    import contextlib

    @contextlib.contextmanager
    def cm() -> Any:
        kept = [p for p in plan if p[1]]
        with em.loops([p[1] for p in kept]) as idx:
            src = []
            it = iter(idx)
            for start, length, s in plan:
                if not length:
                    src.append(start)
                else:
                    i = next(it)
                    src.append(f"{start} + {i} * {s}" if s != 1 else f"{start} + {i}")
            yield idx, src
    return cm()


@_kernel(Op.SLICE, "cpu")
def _slice_cpu(em: Any, n: Any, ins: list[str]) -> None:
    x = n.inputs[0]
    plan = _slice_plan(em, n, em.dims(x, ins[0]), list(zip(n.inputs[1:], ins[1:])))
    out, r0 = _result(em, [p[1] for p in plan if p[1]], n.dtypes[0])
    with _slice_loops(em, plan) as (idx, src):
        em.line(f"{_at(out, idx, r0)} = {ins[0]}[{', '.join(src)}]")
    _bind(em, n.outputs[0], out, r0)


@_kernel(Op.SLICE_GRAD, "cpu")
def _slice_grad_cpu(em: Any, n: Any, ins: list[str]) -> None:
    like = n.inputs[1]
    x_dims = em.dims(like, ins[1])
    plan = _slice_plan(em, n, x_dims, list(zip(n.inputs[2:], ins[2:])))
    out, _ = _result(em, x_dims, n.dtypes[0], zeros=True)
    with _slice_loops(em, plan) as (idx, src):
        em.line(f"{out}[{', '.join(src)}] = {em.index(ins[0], idx)}")
    em.define(n.outputs[0], out)


@_kernel(Op.PAD, "cpu")
def _pad_cpu(em: Any, n: Any, ins: list[str]) -> None:
    x, t = n.inputs[0], n.outputs[0]
    dims = em.dims(x, ins[0])
    pads = n.attrs.paddings
    out_dims = [f"{d} + {b + a}" for d, (b, a) in zip(dims, pads)]
    if not dims:
        em.define(t, ins[0], fresh=False)
        return
    out = em.fresh("o")
    em.line(f"{out} = np.full({em.shape_tuple(out_dims)}, {em.lit(n.attrs.constant, t.dtype)}, "
            f"dtype={em.np_dtype(t.dtype)})")
    with em.loops(dims) as idx:
        dst = [f"{i} + {b}" if b else i for i, (b, _) in zip(idx, pads)]
        em.line(f"{out}[{', '.join(dst)}] = {ins[0]}[{', '.join(idx)}]")
    em.define(t, out)


@_kernel(Op.TILE, "cpu")
def _tile_cpu(em: Any, n: Any, ins: list[str]) -> None:
    x, t = n.inputs[0], n.outputs[0]
    dims = em.dims(x, ins[0])
    if not dims:
        em.define(t, ins[0], fresh=False)
        return
    out_dims = [f"{d} * {m}" for d, m in zip(dims, n.attrs.multiples)]
    out = em.empty(out_dims, t.dtype)
    with em.loops(out_dims) as idx:
        src = [f"{i} % {d}" for i, d in zip(idx, dims)]
        em.line(f"{out}[{', '.join(idx)}] = {ins[0]}[{', '.join(src)}]")
    em.define(t, out)


def _check_indices(em: Any, n: Any, idx_t: Tensor, idx_e: str, size: str, what: str,
                   component: int | None = None) -> None:
    """A pre-check loop: every index in [0, size)."""
    dims = em.dims(idx_t, idx_e)
    loop = dims if component is None else dims[:-1]
    with em.loops(loop) as idx:
        full = list(idx) if component is None else list(idx) + [str(component)]
        v = em.index(idx_e, full)
        em.check(f"0 <= {v} < {size}", n, f"{what} is out of range [0, size of the indexed dim)")


def _gather_like(em: Any, n: Any, src: str, src_dims: list[str], idx_t: Tensor, idx_e: str,
                 out_t: Tensor, scatter_from: str | None) -> None:
    """GATHER (scatter_from None) and SCATTER_ADD share the index walk."""
    axis = n.attrs.axis
    i_dims = em.dims(idx_t, idx_e)
    _check_indices(em, n, idx_t, idx_e, src_dims[axis], "gather index")
    loop = src_dims[:axis] + i_dims + src_dims[axis + 1:]
    if scatter_from is None:
        out, r0 = _result(em, loop, out_t.dtype)
    else:
        out, r0 = _result(em, src_dims, out_t.dtype, zeros=True)
    with em.loops(loop) as idx:
        q = len(i_dims)
        k = em.index(idx_e, idx[axis:axis + q])
        inner = list(idx[:axis]) + [k] + list(idx[axis + q:])
        if scatter_from is None:
            em.line(f"{_at(out, idx, r0)} = {em.index(src, inner)}")
        else:
            em.line(f"{out}[{', '.join(inner)}] += {em.index(scatter_from, idx)}")
    _bind(em, out_t, out, r0)


@_kernel(Op.GATHER, "cpu")
def _gather_cpu(em: Any, n: Any, ins: list[str]) -> None:
    _gather_like(em, n, ins[0], em.dims(n.inputs[0], ins[0]), n.inputs[1], ins[1], n.outputs[0], None)


@_kernel(Op.SCATTER_ADD, "cpu")
def _scatter_add_cpu(em: Any, n: Any, ins: list[str]) -> None:
    _gather_like(em, n, "", em.dims(n.inputs[2], ins[2]), n.inputs[1], ins[1], n.outputs[0], ins[0])


def _gather_nd_like(em: Any, n: Any, p_dims: list[str], idx_t: Tensor, idx_e: str, out_t: Tensor,
                    src: str, scatter: bool) -> None:
    i_dims = em.dims(idx_t, idx_e)
    k = int(idx_t.shape.dims[-1])  # type: ignore[index, arg-type]
    for c in range(k):
        _check_indices(em, n, idx_t, idx_e, p_dims[c], f"gather_nd index (component {c})", c)
    loop = i_dims[:-1] + p_dims[k:]
    if scatter:
        out, r0 = _result(em, p_dims, out_t.dtype, zeros=True)
    else:
        out, r0 = _result(em, loop, out_t.dtype)
    with em.loops(loop) as idx:
        outer = list(idx[:len(i_dims) - 1])
        pidx = [em.index(idx_e, outer + [str(c)]) for c in range(k)] + list(idx[len(i_dims) - 1:])
        if scatter:
            em.line(f"{out}[{', '.join(pidx)}] += {em.index(src, idx)}")
        else:
            em.line(f"{_at(out, idx, r0)} = {src}[{', '.join(pidx)}]")
    _bind(em, out_t, out, r0)


@_kernel(Op.GATHER_ND, "cpu")
def _gather_nd_cpu(em: Any, n: Any, ins: list[str]) -> None:
    _gather_nd_like(em, n, em.dims(n.inputs[0], ins[0]), n.inputs[1], ins[1], n.outputs[0], ins[0], False)


@_kernel(Op.SCATTER_ND_ADD, "cpu")
def _scatter_nd_cpu(em: Any, n: Any, ins: list[str]) -> None:
    _gather_nd_like(em, n, em.dims(n.inputs[2], ins[2]), n.inputs[1], ins[1], n.outputs[0], ins[0], True)


@_kernel(Op.ONE_HOT, "cpu")
def _one_hot_cpu(em: Any, n: Any, ins: list[str]) -> None:
    at: OneHotAttrs = n.attrs
    t = n.outputs[0]
    i_dims = em.dims(n.inputs[0], ins[0])
    out_dims = list(i_dims)
    out_dims.insert(at.axis, str(at.depth))
    out = em.empty(out_dims, t.dtype)
    on, off = em.lit(at.on, t.dtype), em.lit(at.off, t.dtype)
    with em.loops(out_dims) as idx:
        src = list(idx[:at.axis]) + list(idx[at.axis + 1:])
        em.line(f"{out}[{', '.join(idx)}] = {on} if {em.index(ins[0], src)} == {idx[at.axis]} else {off}")
    em.define(t, out)


@_kernel(Op.BOOLEAN_MASK, "cpu")
def _boolean_mask_cpu(em: Any, n: Any, ins: list[str]) -> None:
    m_t, t = n.inputs[1], n.outputs[0]
    m_dims = em.dims(m_t, ins[1])
    k = len(m_dims)
    pos = em.fresh("pos")
    if n.attrs.scatter:  # the gradient: rows of g go back to the masked positions of zeros
        full = em.dims(n.inputs[2], ins[2])
        out, _ = _result(em, full, t.dtype, zeros=True)
        src_e, dst_rows = ins[0], True
    else:
        full = em.dims(n.inputs[0], ins[0])
        cond = " and ".join(f"{a} == {b}" for a, b in zip(m_dims, full) if a != b)
        if cond:
            em.check(cond, n, "mask shape does not match the leading dims of the tensor")
        count = em.fresh("cnt")
        em.line(f"{count} = 0")
        with em.loops(m_dims) as idx:
            with em.block(f"if {ins[1]}[{', '.join(idx)}]:"):
                em.line(f"{count} += 1")
        out = em.empty([count] + full[k:], t.dtype)
        src_e, dst_rows = ins[0], False
    em.line(f"{pos} = 0")
    with em.loops(m_dims) as idx:
        with em.block(f"if {ins[1]}[{', '.join(idx)}]:"):
            with em.loops(full[k:]) as rest:
                row = [pos] + list(rest)
                cell = list(idx) + list(rest)
                if dst_rows:
                    em.line(f"{out}[{', '.join(cell)}] = {src_e}[{', '.join(row)}]")
                else:
                    em.line(f"{out}[{', '.join(row)}] = {src_e}[{', '.join(cell)}]")
            em.line(f"{pos} += 1")
    em.define(t, out)
