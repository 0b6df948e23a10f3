"""Data movement ops: concat, stack, unstack, split, tile, pad, gather, gather_nd, one_hot,
boolean_mask; indexing (``getitem``) lives in slice_ops and is re-exported here.

Primitives: CONCAT, PAD, TILE, GATHER (gradient SCATTER_ADD), GATHER_ND (gradient
SCATTER_ND_ADD), ONE_HOT and BOOLEAN_MASK (whose ``scatter`` form is its own gradient); SLICE and
SLICE_GRAD are in slice_ops. stack, unstack and split are built from these.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor, register_builders
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.ops._build import make, same_dtype
from graphflow.ops.constant_ops import constant
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.reductions import reduce_sum
from graphflow.ops.slice_ops import (  # noqa: F401
    Bound,
    getitem,
    int_dtype,
    known_rank,
    norm_axis,
    slice_node,
    static_int,
    static_ints,
    strided_slice,
)

__all__ = ["boolean_mask", "concat", "gather", "gather_nd", "one_hot", "pad", "split", "stack",
           "strided_slice", "tile", "unstack"]



@dataclass(frozen=True)
class AxisAttrs:
    axis: int  # non-negative


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


# ---- CONCAT ------------------------------------------------------------------------------------

def _concat_shape(shapes: Sequence[TensorShape], at: AxisAttrs) -> list[TensorShape]:
    ranks = {known_rank(s, "concat") for s in shapes}
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
        out.append(slice_node(g, begin, end, [1] * len(begin), (), refs))
    return out


register(OpDef(Op.CONCAT, Kind.OTHER, _concat_shape, same_dtype,
               lambda at, *xs: np.concatenate(xs, axis=at.axis), vjp=_vjp_concat))


# ---- PAD ---------------------------------------------------------------------------------------

def _pad_shape(shapes: Sequence[TensorShape], at: PadAttrs) -> list[TensorShape]:
    rank = known_rank(shapes[0], "pad")
    if len(at.paddings) != rank:
        raise ValueError(f"pad needs {rank} (before, after) pairs for a tensor of rank {rank}, "
                         f"got {len(at.paddings)}")
    return [TensorShape([None if d is None else d + b + a
                         for d, (b, a) in zip(shapes[0].dims, at.paddings)])]  # type: ignore[arg-type]


def _vjp_pad(n: Any, g: Tensor) -> list:
    pads = n.attrs.paddings
    return [slice_node(g, [b for b, _ in pads], [-a if a else None for _, a in pads], [1] * len(pads), ())]


register(OpDef(Op.PAD, Kind.OTHER, _pad_shape, lambda d, at: [d[0]],
               lambda at, x: np.pad(x, at.paddings, constant_values=at.constant), vjp=_vjp_pad))


# ---- TILE --------------------------------------------------------------------------------------

def _tile_shape(shapes: Sequence[TensorShape], at: TileAttrs) -> list[TensorShape]:
    rank = known_rank(shapes[0], "tile")
    if len(at.multiples) != rank:
        raise ValueError(f"tile multiples {list(at.multiples)} must have one entry per dim of a "
                         f"rank-{rank} tensor")
    return [TensorShape([None if d is None else d * m
                         for d, m in zip(shapes[0].dims, at.multiples)])]  # type: ignore[arg-type]


def _vjp_tile(n: Any, g: Tensor) -> list:
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
    rank = known_rank(p, "gather")
    known_rank(i, "gather")
    if not at.axis < rank:
        raise ValueError(f"gather axis {at.axis} is out of range for params of rank {rank}")
    return [TensorShape(p.dims[:at.axis] + i.dims + p.dims[at.axis + 1:])]  # type: ignore[index, operator]


def _gather_dtype(dtypes: Sequence[DType], at: Any) -> list[DType]:
    int_dtype(dtypes[1], "gather indices")
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
    np.add.at(out, (slice(None),) * at.axis + (idx,), g)  # type: ignore[arg-type]
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
    prank = known_rank(p, "gather_nd")
    irank = known_rank(i, "gather_nd")
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
    int_dtype(dtypes[0], "one_hot indices")
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
    rank = known_rank(x, "boolean_mask")
    k = known_rank(m, "boolean_mask mask")
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

@rank_polymorphic(_first_float)
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
    rank = known_rank(xs[0].shape, "concat")
    if rank == 0:
        raise ValueError("concat needs tensors of rank >= 1; use gf.stack for scalars")
    ax = norm_axis(static_int(axis, "concat axis"), rank, "concat")
    if len(xs) == 1:
        from graphflow.ops.math_ops import identity
        return identity(xs[0], name=name)
    return make(Op.CONCAT, xs, AxisAttrs(ax), name=name)


@rank_polymorphic(_first_float)
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
    rank = known_rank(xs[0].shape, "stack")
    for x in xs[1:]:
        if not x.shape.is_compatible_with(xs[0].shape):
            raise ValueError(f"stack inputs must have the same shape, got {xs[0].shape} and {x.shape}")
    ax = norm_axis(static_int(axis, "stack axis"), rank + 1, "stack")
    return concat([expand_dims(x, ax) for x in xs], ax, name=name)


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """Split ``value`` along ``axis`` into ``num`` tensors with that dim removed.

    >>> import graphflow as gf
    >>> len(gf.unstack(gf.zeros((3, 2))))
    3
    """
    x = convert_to_tensor(value)
    rank = known_rank(x.shape, "unstack")
    if rank == 0:
        raise ValueError("unstack needs a tensor of rank >= 1")
    ax = norm_axis(axis, rank, "unstack")
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
        outs.append(slice_node(x, begin, full, [1] * rank, (ax,), name=name))
    return outs


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
          name: str = "split") -> list[Tensor]:
    """Split along ``axis`` into equal parts (an int) or parts of the given sizes (one may be -1).

    >>> import graphflow as gf
    >>> [t.shape.as_list() for t in gf.split(gf.zeros((5, 2)), [2, -1])]
    [[2, 2], [3, 2]]
    """
    x = convert_to_tensor(value)
    rank = known_rank(x.shape, "split")
    ax = norm_axis(static_int(axis, "split axis"), rank, "split")
    size = x.shape.dims[ax]  # type: ignore[index]
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, Tensor) and num_or_size_splits.shape.rank == 0):
        parts = static_int(num_or_size_splits, "split count")
        if parts <= 0:
            raise ValueError(f"split count must be positive, got {parts}")
        if size is None:  # known at run time only: a reshape to [..., parts, size / parts, ...]
            return _split_run_time(x, parts, ax, name)
        if size % parts:
            raise ValueError(f"dim {ax} of size {size} cannot be split into {parts} equal parts")
        sizes = [size // parts] * parts
    else:
        sizes = static_ints(num_or_size_splits, "split sizes")
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
        outs.append(slice_node(x, begin, end, [1] * rank, (), name=name))
    return outs


@rank_polymorphic(_first_float)
def tile(input: Any, multiples: Any, name: str = "Tile") -> Tensor:  # noqa: A002
    """Repeat ``input`` ``multiples[j]`` times along each dim j.

    >>> import graphflow as gf
    >>> gf.tile(gf.zeros((2, 3)), [2, 1]).shape.as_list()
    [4, 3]
    """
    x = convert_to_tensor(input)
    mult = static_ints(multiples, "tile multiples")
    if any(m < 0 for m in mult):
        raise ValueError(f"tile multiples {mult} must be non-negative")
    return make(Op.TILE, [x], TileAttrs(tuple(mult)), name=name)


@rank_polymorphic(_first_float)
def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str = "Pad",
        constant_values: Any = 0) -> Tensor:
    """Pad each dim j with ``paddings[j] = (before, after)`` copies of ``constant_values``.

    >>> import graphflow as gf
    >>> gf.pad(gf.zeros((2, 3)), [[1, 1], [0, 2]]).shape.as_list()
    [4, 5]
    """
    x = convert_to_tensor(tensor)
    if mode.upper() not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got {mode!r}")
    flat = static_ints(paddings, "pad paddings")
    if mode.upper() != "CONSTANT":
        from graphflow.ops.index_ops import mirror_pad
        return mirror_pad(x, list(zip(flat[::2], flat[1::2])), mode.upper())
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


@rank_polymorphic(_first_float)
def gather(params: Any, indices: Any, validate_indices: Any = None, name: str = "GatherV2",
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """Pick slices of ``params`` along ``axis`` at ``indices``; out-of-range indices raise at run time.

    >>> import graphflow as gf
    >>> gf.gather(gf.zeros((5, 3)), [0, 4]).shape.as_list()
    [2, 3]
    """
    p = convert_to_tensor(params)
    i = convert_to_tensor(indices)
    rank = known_rank(p.shape, "gather")
    ax = norm_axis(batch_dims if axis is None else static_int(axis, "gather axis"), rank, "gather")
    if batch_dims:
        from graphflow.ops.index_ops import batch_gather
        return batch_gather(p, i, ax, int(batch_dims))
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


def _split_run_time(x: Tensor, parts: int, ax: int, name: str) -> list[Tensor]:
    """Equal parts of a dim known only at run time: a reshape to [..., parts, n / parts, ...]
    (once a check that ``parts`` divides n has passed) and an unstack."""
    from graphflow.ops.check_ops import check_in_range
    from graphflow.ops.shape_ops import reshape, shape
    dims = shape(x)
    n = dims[ax]
    rest = check_in_range(n % parts, 0, 1, f"split into {parts} equal parts: dim {ax} of {x.name} "
                          f"is not divisible by {parts}")
    size = (n - rest) // parts  # n / parts; reading the check's output makes it run first
    grouped = reshape(x, concat([dims[:ax], constant([parts]), reshape(size, [1]), dims[ax + 1:]], 0))
    outs = unstack(grouped, num=parts, axis=ax, name=name)
    others = [d for j, d in enumerate(x.shape.as_list()) if j != ax]
    for o in outs:
        o.set_shape(others[:ax] + [None] + others[ax:])
    return outs


def _one_hot_run_time(i: Tensor, depth: Tensor, on: Any, off: Any, ax: int, d: Any, name: str) -> Tensor:
    from graphflow.ops.math_ops import cast, equal, where
    from graphflow.ops.shape_ops import expand_dims, reshape
    from graphflow.ops.state_ops import range as _range
    classes = _range(cast(depth, _dt.int32))
    shape = [1] * (i.shape.rank + 1)  # type: ignore[operator]
    shape[ax] = -1
    hit = equal(expand_dims(cast(i, _dt.int32), ax), reshape(classes, shape))
    return where(hit, constant(on, dtype=d), constant(off, dtype=d), name=name)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None, axis: Any = None,
            dtype: Any = None, name: str = "one_hot") -> Tensor:
    """``on_value`` where the new ``axis`` (last by default) equals the index, else ``off_value``;
    out-of-range indices give a row of ``off_value`` (TF1).

    >>> import graphflow as gf
    >>> gf.one_hot([0, 2], 3).shape.as_list()
    [2, 3]
    """
    i = convert_to_tensor(indices)
    rank = known_rank(i.shape, "one_hot")
    given = [v for v in (on_value, off_value) if v is not None]
    d = _dt.as_dtype(dtype) if dtype is not None else (
        convert_to_tensor(given[0]).dtype if given else _dt.float32)
    on = 1 if on_value is None else (on_value.node.attrs.value.item() if isinstance(on_value, Tensor)
                                     else on_value)
    off = 0 if off_value is None else (off_value.node.attrs.value.item() if isinstance(off_value, Tensor)
                                       else off_value)
    ax = -1 if axis is None else static_int(axis, "one_hot axis")
    if ax == -1:
        ax = rank
    if not 0 <= ax <= rank:
        raise ValueError(f"one_hot axis {axis} is out of range for indices of rank {rank}")
    if isinstance(depth, Tensor) and depth.node.op is not Op.CONST:
        from graphflow.core.evaluate import static_value
        if static_value(depth) is None:  # a depth known at run time: compare with a range
            return _one_hot_run_time(i, depth, on, off, ax, d, name)
    dep = static_int(depth, "one_hot depth")
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
    x = convert_to_tensor(tensor)
    m = convert_to_tensor(mask, dtype=_dt.bool_)
    if axis not in (None, 0):
        from graphflow.ops.index_ops import boolean_mask_axis
        return boolean_mask_axis(x, m, static_int(axis, "boolean_mask axis"))
    return make(Op.BOOLEAN_MASK, [x, m], MaskAttrs(False), name=name)



register_builders(stack=stack, unstack=unstack)
