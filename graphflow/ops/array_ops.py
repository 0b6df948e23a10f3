"""Data movement ops: concat, stack, unstack, split, tile, pad, gather, gather_nd, one_hot,
boolean_mask; indexing (``getitem``) lives in slice_ops and is re-exported here.

Primitives: CONCAT, PAD, TILE, GATHER (gradient SCATTER_ADD), GATHER_ND (gradient
SCATTER_ND_ADD), ONE_HOT and BOOLEAN_MASK (whose ``scatter`` form is its own gradient); SLICE and
SLICE_GRAD are in slice_ops. stack, unstack and split are built from these.
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make
from graphflow.ops.check_ops import check_in_range
from graphflow.ops.concat_ops import AxisAttrs, concat, stack, unstack  # noqa: F401  (public here too)
from graphflow.ops.constant_ops import constant
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.elementwise_ops import cast, equal, where
from graphflow.ops.reductions import reduce_prod, reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape, reshape_spec, shape, transpose
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
from graphflow.ops.state_ops import range as _range

__all__ = ["boolean_mask", "concat", "gather", "gather_nd", "one_hot", "pad", "split", "stack",
           "strided_slice", "tile", "unstack"]


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


# ---- PAD ---------------------------------------------------------------------------------------

def _pad_shape(shapes: Sequence[TensorShape], at: PadAttrs) -> list[TensorShape]:
    rank = known_rank(shapes[0], "pad")
    if len(at.paddings) != rank:
        raise ValueError(f"pad needs {rank} (before, after) pairs for a tensor of rank {rank}, "
                         f"got {len(at.paddings)}")
    return [TensorShape([None if d is None else d + b + a
                         for d, (b, a) in zip(shapes[0].dims, at.paddings)])]  # type: ignore[arg-type]


def _vjp_pad(n: Operation, g: Tensor) -> list:
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


def _vjp_tile(n: Operation, g: Tensor) -> list:
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


def _gather_dtype(dtypes: Sequence[DType], at: object) -> list[DType]:
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

def _gather_nd_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
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


def _scatter_nd_ref(at: object, g: np.ndarray, idx: np.ndarray, like: np.ndarray) -> np.ndarray:
    out = np.zeros(like.shape, dtype=g.dtype)
    np.add.at(out, _nd_key(idx, like.shape), g)
    return out


register(OpDef(Op.GATHER_ND, Kind.OTHER, _gather_nd_shape, _gather_dtype,
               lambda at, p, idx: np.array(p[_nd_key(idx, p.shape)]),
               vjp=lambda n, g: [make(Op.SCATTER_ND_ADD, [g, n.inputs[1], n.inputs[0]],
                                      name="GatherNdGrad"), None], graphdef="GatherNd"))
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


def _mask_ref(at: MaskAttrs, x: np.ndarray, mask: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    if at.scatter:
        assert like is not None  # a scattering mask always has its "like" operand
        out = np.zeros(like.shape, dtype=x.dtype)
        out[mask] = x
        return out
    if x.shape[:mask.ndim] != mask.shape:
        raise ValueError(f"boolean_mask mask shape {list(mask.shape)} does not match the leading "
                         f"dims of {list(x.shape)}")
    return np.array(x[mask])


def _vjp_mask(n: Operation, g: Tensor) -> list:
    if n.attrs.scatter:
        return [make(Op.BOOLEAN_MASK, [g, n.inputs[1]], MaskAttrs(False), name="boolean_mask"), None, None]
    return [make(Op.BOOLEAN_MASK, [g, n.inputs[1], n.inputs[0]], MaskAttrs(True), name="BooleanMaskGrad"),
            None]


register(OpDef(Op.BOOLEAN_MASK, Kind.OTHER, _mask_shape, _mask_dtype, _mask_ref, vjp=_vjp_mask))


# ---- the variants the public functions dispatch to: batched gather, masking any axis, mirror padding ---

def batch_gather(params: Tensor, indices: Tensor, axis: int, batch_dims: int) -> Tensor:
    """gather with ``batch_dims`` leading dims shared by ``params`` and ``indices``: flatten the
    batch, offset each batch's indices into the flattened axis, gather, restore the shape."""
    pr, ir = known_rank(params.shape, "gather"), known_rank(indices.shape, "gather")
    bd = batch_dims % ir if batch_dims < 0 else batch_dims
    if not 0 <= bd <= min(axis, ir):
        raise ValueError(f"gather: batch_dims {batch_dims} must be <= axis {axis} and <= the rank "
                         f"of the indices ({ir})")
    if bd == 0:
        return gather(params, indices, axis=axis)
    if axis != bd:  # move the gathered axis right after the batch dims, gather, move it back
        perm = list(range(bd)) + [axis] + [j for j in range(bd, pr) if j != axis]
        out = batch_gather(transpose(params, perm), indices, bd, bd)
        k = ir - bd  # the gathered indices' dims sit at bd .. bd + k
        inv = list(range(bd)) + list(range(bd + k, bd + k + axis - bd)) + list(range(bd, bd + k)) \
            + list(range(bd + k + axis - bd, pr - 1 + k))
        return transpose(out, inv)
    pshape = shape(params)
    batch = reduce_prod(pshape[:bd])
    n = pshape[bd]
    flat_p = reshape(params, concat([[-1], pshape[bd + 1:]], 0))
    idx = reshape(cast(indices, _dt.int32), stack([batch, -1]))
    offset = expand_dims(_range(batch) * n, -1)
    got = gather(flat_p, reshape(idx + offset, [-1]))
    ishape = shape(indices)
    return reshape(got, concat([ishape, pshape[bd + 1:]], 0))


def boolean_mask_axis(x: Tensor, mask: Tensor, axis: int) -> Tensor:
    """boolean_mask over the dims ``axis .. axis + rank(mask)``: move them first, mask, move back."""
    r, k = known_rank(x.shape, "boolean_mask"), known_rank(mask.shape, "boolean_mask")
    ax = norm_axis(axis, r, "boolean_mask")
    if ax == 0:
        return boolean_mask(x, mask)
    perm = list(range(ax, ax + k)) + list(range(ax)) + list(range(ax + k, r))
    picked = boolean_mask(transpose(x, perm), mask)  # [n, dims before, dims after]
    back = list(range(1, ax + 1)) + [0] + list(range(ax + 1, r - k + 1))
    return transpose(picked, back)


def mirror_pad(x: Tensor, paddings: Sequence[tuple[int, int]], mode: str) -> Tensor:
    """REFLECT (the edge not repeated) or SYMMETRIC (the edge repeated) padding, one dim at a time."""
    edge = 1 if mode == "REFLECT" else 0
    out = x
    for j, (before, after) in enumerate(paddings):
        if not before and not after:
            continue
        n = out.shape.as_list()[j]
        if n is not None and (before > n - edge or after > n - edge):
            raise ValueError(f"pad: {mode} padding of ({before}, {after}) needs dim {j} of size > "
                             f"{max(before, after) - 1 + edge}, got {n}")
        pre = tuple(builtins.slice(None) for _ in range(j))
        parts = []
        if before:  # REFLECT: x[p] .. x[1]; SYMMETRIC: x[p - 1] .. x[0]
            parts.append(out[pre + (builtins.slice(edge + before - 1, edge - 1 if edge else None, -1),)])
        parts.append(out)
        if after:  # REFLECT: x[n - 2] .. x[n - 1 - p]; SYMMETRIC: x[n - 1] .. x[n - p]
            start = -1 - edge
            parts.append(out[pre + (builtins.slice(start, start - after, -1),)])
        out = concat(parts, j)
    return out


# ---- public functions --------------------------------------------------------------------------


def split(value: TensorLike, num_or_size_splits: int | Sequence[int] | Tensor, axis: int | Tensor = 0,
          num: int | None = None, name: str | None = "split") -> list[Tensor]:
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
def tile(input: TensorLike, multiples: TensorLike, name: str | None = "Tile") -> Tensor:  # noqa: A002
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
def pad(tensor: TensorLike, paddings: TensorLike, mode: str = "CONSTANT", name: str | None = "Pad",
        constant_values: TensorLike = 0) -> Tensor:
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
def gather(params: TensorLike, indices: TensorLike, validate_indices: bool | None = None, name: str | None = "GatherV2",
           axis: int | Tensor | None = None, batch_dims: int = 0) -> Tensor:
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
        return batch_gather(p, i, ax, int(batch_dims))
    return make(Op.GATHER, [p, i], AxisAttrs(ax), name=name)


def gather_nd(params: TensorLike, indices: TensorLike, name: str | None = "GatherNd", batch_dims: int = 0) -> Tensor:
    """Pick elements or slices of ``params`` at the index vectors in the last dim of ``indices``.

    >>> import graphflow as gf
    >>> gf.gather_nd(gf.zeros((2, 3)), [[0, 1], [1, 2]]).shape.as_list()
    [2]
    """
    if batch_dims:
        raise NotImplementedError("gather_nd with batch_dims is not supported")
    return make(Op.GATHER_ND, [convert_to_tensor(params), convert_to_tensor(indices)], name=name)


def _split_run_time(x: Tensor, parts: int, ax: int, name: str | None) -> list[Tensor]:
    """Equal parts of a dim known only at run time: a reshape to [..., parts, n / parts, ...]
    (once a check that ``parts`` divides n has passed) and an unstack."""
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


def _one_hot_run_time(i: Tensor, depth: Tensor, on: TensorLike, off: TensorLike, ax: int, d: DType,
                      name: str | None) -> Tensor:
    classes = _range(cast(depth, _dt.int32))
    shape = [1] * (i.shape.rank + 1)  # type: ignore[operator]
    shape[ax] = -1
    hit = equal(expand_dims(cast(i, _dt.int32), ax), reshape(classes, shape))
    return where(hit, constant(on, dtype=d), constant(off, dtype=d), name=name)


def one_hot(indices: TensorLike, depth: int | Tensor, on_value: TensorLike | None = None,
            off_value: TensorLike | None = None, axis: int | Tensor | None = None,
            dtype: DTypeLike | None = None, name: str | None = "one_hot") -> Tensor:
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
        if static_value(depth) is None:  # a depth known at run time: compare with a range
            return _one_hot_run_time(i, depth, on, off, ax, d, name)
    dep = static_int(depth, "one_hot depth")
    if dep < 0:
        raise ValueError(f"one_hot depth must be non-negative, got {dep}")
    conv = (lambda v: np.asarray(v).astype(d.np).item())
    return make(Op.ONE_HOT, [i], OneHotAttrs(dep, conv(on), conv(off), ax, d), name=name)


def boolean_mask(tensor: TensorLike, mask: TensorLike, name: str | None = "boolean_mask",
                 axis: int | Tensor | None = None) -> Tensor:
    """Rows of ``tensor`` where ``mask`` (matching its leading dims) is True, flattened into dim 0.

    >>> import graphflow as gf
    >>> gf.boolean_mask(gf.zeros((3, 2)), [True, False, True]).shape.as_list()
    [None, 2]
    """
    x = convert_to_tensor(tensor)
    m = convert_to_tensor(mask, dtype=_dt.bool_)
    if axis not in (None, 0):
        return boolean_mask_axis(x, m, static_int(axis, "boolean_mask axis"))
    return make(Op.BOOLEAN_MASK, [x, m], MaskAttrs(False), name=name)


