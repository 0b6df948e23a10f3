"""Reductions, argmax/argmin, and the two broadcasting primitives autodiff relies on."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import AxisLike, DimsLike, DTypeLike, TensorLike
from graphflow.ops._build import broadcast_rule, make, require
from graphflow.ops.constant_ops import constant
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.elementwise_ops import (
    add_name,
    cast,
    equal,
    exp,
    log,
    not_equal,
    sqrt,
    stop_gradient,
    where,
    zeros_like_scalar,
)
from graphflow.ops.reductions import (  # noqa: F401  (reduce_ops is their public home)
    ReduceAttrs,
    norm_axes,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    static_axes,
)
from graphflow.ops.shape_ops import reshape_like, reshape_spec, size, squeeze
from graphflow.ops.state_ops import zeros


@dataclass(frozen=True)
class ArgAttrs:
    axis: int
    output_type: DType


def _reduce_shape(shapes: Sequence[TensorShape], at: ReduceAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    axes = norm_axes(at.axes, s.rank)
    dims = [(1 if i in axes else d) for i, d in enumerate(s.dims)] if at.keepdims else \
        [d for i, d in enumerate(s.dims) if i not in axes]  # type: ignore[arg-type]
    return [TensorShape(dims)]


def _ref(fn: Callable[..., np.ndarray]) -> Callable[[ReduceAttrs, np.ndarray], np.ndarray]:
    def reference(at: ReduceAttrs, x: np.ndarray) -> np.ndarray:
        axes = norm_axes(at.axes, x.ndim)
        return np.asarray(fn(x, axis=axes, keepdims=at.keepdims))
    return reference


def _extreme_ref(fn: Callable[..., np.ndarray], lowest: bool) -> Callable[[ReduceAttrs, np.ndarray], np.ndarray]:
    """max / min; over no elements TF1 gives the identity: -inf / inf (an int dtype's min / max)."""
    def reference(at: ReduceAttrs, x: np.ndarray) -> np.ndarray:
        axes = norm_axes(at.axes, x.ndim)
        if x.dtype.kind == "b":
            return np.asarray(fn(x, axis=axes, keepdims=at.keepdims, initial=not lowest))
        info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
        identity = (-np.inf if lowest else np.inf) if x.dtype.kind == "f" else (info.min if lowest else info.max)
        return np.asarray(fn(x, axis=axes, keepdims=at.keepdims, initial=identity))
    return reference


def _mean_ref(at: ReduceAttrs, x: np.ndarray) -> np.ndarray:
    axes = norm_axes(at.axes, x.ndim)
    if x.dtype.kind in "iu":
        n = max(1, int(np.prod([x.shape[a] for a in axes], dtype=np.int64)))
        s = np.sum(x, axis=axes, keepdims=at.keepdims)
        # TF1 divides in C++ integer arithmetic: truncation toward zero, not floor
        return np.asarray(np.sign(s) * (np.abs(s) // n)).astype(x.dtype)
    return np.asarray(np.mean(x, axis=axes, keepdims=at.keepdims)).astype(x.dtype)


def _sum_ref(at: ReduceAttrs, x: np.ndarray) -> np.ndarray:
    axes = norm_axes(at.axes, x.ndim)
    return np.asarray(np.sum(x, axis=axes, keepdims=at.keepdims)).astype(x.dtype)


def _prod_ref(at: ReduceAttrs, x: np.ndarray) -> np.ndarray:
    axes = norm_axes(at.axes, x.ndim)
    return np.asarray(np.prod(x, axis=axes, keepdims=at.keepdims)).astype(x.dtype)


# ---- gradient rules ------------------------------------------------------------------------------

def _keep(n: Operation, g: Tensor) -> Tensor:
    """``g`` reshaped to the keepdims form of the reduction ``n``."""
    at: ReduceAttrs = n.attrs
    if at.keepdims or at.axes is None:  # a reduction over every dim: its scalar broadcasts as it is
        return g
    rank = n.inputs[0].shape.rank
    if rank is None:  # resolved when the program is specialised for the fed ranks
        return make(Op.KEEP_DIMS, [g, n.inputs[0]], ReduceAttrs(at.axes, True), name="KeepDims")
    axes = norm_axes(at.axes, rank)
    spec: list[Any] = []
    j = 0
    for i in range(rank):
        if i in axes:
            spec.append(1)
        else:
            spec.append((0, j))
            j += 1
    return reshape_spec(g, tuple(spec))


def _vjp_sum(n: Operation, g: Tensor) -> list:
    return [broadcast_like(_keep(n, g), n.inputs[0])]


def _vjp_mean(n: Operation, g: Tensor) -> list:
    x = n.inputs[0]
    count = cast(size(x) // size(n.outputs[0]), x.dtype)
    return [broadcast_like(_keep(n, g) / count, x)]


def _vjp_extreme(n: Operation, g: Tensor) -> list:
    x = n.inputs[0]
    y = _keep(n, n.outputs[0])
    hits = cast(equal(x, y), x.dtype)
    count = reduce_sum(hits, axis=n.attrs.axes, keepdims=True)
    return [hits / count * _keep(n, g)]


def _vjp_prod(n: Operation, g: Tensor) -> list:
    # the product of the other elements, built so that zeros in x give exact values (prod / x is 0/0)
    x, axes = n.inputs[0], n.attrs.axes
    zero, one = constant(0, dtype=x.dtype), constant(1, dtype=x.dtype)
    is_zero = equal(x, zero)
    safe = where(is_zero, one, x)
    nonzero_prod = reduce_prod(safe, axis=axes, keepdims=True)
    zeros = reduce_sum(cast(is_zero, x.dtype), axis=axes, keepdims=True)
    others = where(is_zero, where(equal(zeros, one), nonzero_prod, zero),
                   where(equal(zeros, zero), nonzero_prod / safe, zero))
    return [broadcast_like(_keep(n, g), x) * others]


NUM = require("fi")
for _op, _fn, _vjp in [(Op.REDUCE_SUM, _sum_ref, _vjp_sum), (Op.REDUCE_MEAN, _mean_ref, _vjp_mean),
                       (Op.REDUCE_MAX, _extreme_ref(np.max, True), _vjp_extreme),
                       (Op.REDUCE_MIN, _extreme_ref(np.min, False), _vjp_extreme),
                       (Op.REDUCE_PROD, _prod_ref, _vjp_prod)]:
    register(OpDef(_op, Kind.REDUCE, _reduce_shape, NUM, _fn, vjp=_vjp))
for _op, _np_fn in [(Op.REDUCE_ANY, np.any), (Op.REDUCE_ALL, np.all)]:
    register(OpDef(_op, Kind.REDUCE, _reduce_shape, require("b"), _ref(_np_fn), no_gradient=True))


def _arg_shape(shapes: Sequence[TensorShape], at: ArgAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    if s.rank == 0:
        raise ValueError("argmax/argmin need a tensor of rank >= 1")
    (axis,) = norm_axes((at.axis,), s.rank)
    return [TensorShape([d for i, d in enumerate(s.dims) if i != axis])]  # type: ignore[arg-type]


def _arg_ref(fn: Callable[..., np.ndarray]) -> Callable[[ArgAttrs, np.ndarray], np.ndarray]:
    def reference(at: ArgAttrs, x: np.ndarray) -> np.ndarray:
        (axis,) = norm_axes((at.axis,), x.ndim)
        if x.shape[axis] == 0:
            raise ValueError("argmax/argmin over an empty axis")
        return np.asarray(fn(x, axis=axis)).astype(at.output_type.np)
    return reference


for _op, _arg_fn in [(Op.ARGMAX, np.argmax), (Op.ARGMIN, np.argmin)]:
    register(OpDef(_op, Kind.OTHER, _arg_shape, lambda d, at: (NUM(d, at), [at.output_type])[1],
                   _arg_ref(_arg_fn), no_gradient=True))


# ---- broadcasting primitives (autodiff emits these) ---------------------------------------------

def _sum_to_ref(at: object, g: np.ndarray, like: np.ndarray) -> np.ndarray:
    extra = g.ndim - like.ndim
    out = g.sum(axis=tuple(range(extra))) if extra > 0 else g
    axes = tuple(i for i, d in enumerate(like.shape) if d == 1 and out.shape[i] != 1)
    if axes:
        out = out.sum(axis=axes, keepdims=True)
    return np.asarray(out).astype(g.dtype).reshape(like.shape)


def _sum_to_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    return [shapes[1]]


register(OpDef(Op.SUM_TO, Kind.OTHER, _sum_to_shape, lambda d, at: [d[0]], _sum_to_ref,
               vjp=lambda n, g: [broadcast_like(g, n.inputs[0]), None]))
register(OpDef(Op.BROADCAST_TO, Kind.ELEMENTWISE, broadcast_rule, lambda d, at: [d[0]],
               lambda at, x, like: np.broadcast_to(x, np.broadcast_shapes(x.shape, like.shape)).copy(),
               vjp=lambda n, g: [sum_to(g, n.inputs[0]), None],
               scalar=lambda at, i, o, x, like: x))


def _keep_dims_shape(shapes: Sequence[TensorShape], at: ReduceAttrs) -> list[TensorShape]:
    g, x = shapes
    if x.rank is None:
        return [TensorShape(None)]
    axes = norm_axes(at.axes, x.rank)
    if g.rank is not None and g.rank != x.rank - len(axes):
        raise ValueError(f"a reduction's gradient of rank {g.rank} does not fit rank {x.rank} over axes {list(axes)}")
    gd = iter(g.dims if g.rank is not None else [None] * (x.rank - len(axes)))
    return [TensorShape([1 if i in axes else next(gd) for i in range(x.rank)])]


def _keep_dims_ref(at: ReduceAttrs, g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.expand_dims(g, norm_axes(at.axes, x.ndim)) if at.axes is None or len(at.axes) else g


# A reduction's gradient in its keepdims form, for an input whose rank is known only once the
# program is specialised for the fed ranks (``_keep``): the reduced axes become dims of size 1.
register(OpDef(Op.KEEP_DIMS, Kind.OTHER, _keep_dims_shape, lambda d, at: [d[0]], _keep_dims_ref,
               vjp=lambda n, g: [_unkeep(n, g), None]))


def _unkeep(n: Operation, g: Tensor) -> Tensor:
    return reshape_like(g, n.inputs[0])


def broadcast_like(x: Tensor, like: Tensor) -> Tensor:
    """``x`` broadcast to the shape of ``like`` (both must broadcast together)."""
    if x.shape.is_fully_defined() and x.shape == like.shape:
        return x
    return make(Op.BROADCAST_TO, [x, like], name="BroadcastTo")


@rank_polymorphic(_first_float)
def sum_to(g: Tensor, like: Tensor) -> Tensor:
    """Sum ``g`` over the axes along which ``like`` was broadcast to reach ``g``'s shape."""
    if g.shape.is_fully_defined() and g.shape == like.shape:
        return g
    return make(Op.SUM_TO, [g, like], name="SumTo")


def broadcast_to(input: TensorLike, shape: DimsLike, name: str | None = None) -> Tensor:  # noqa: A002
    x = convert_to_tensor(input)
    return make(Op.BROADCAST_TO, [x, zeros(shape, dtype=x.dtype)], name=name or "BroadcastTo")


# ---- public functions ------------------------------------------------------------------------------


def reduce_logsumexp(input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool = False,
                     name: str | None = None) -> Tensor:
    """``log(sum(exp(x)))`` computed stably by shifting with the (gradient-stopped) max."""
    x = convert_to_tensor(input_tensor)
    m = stop_gradient(reduce_max(x, axis=axis, keepdims=True))
    finite = equal(m - m, constant(0, dtype=x.dtype))  # guards -inf/inf maxima
    m = where(finite, m, constant(0, dtype=x.dtype))
    s = log(reduce_sum(exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        rank = x.shape.rank
        axes = norm_axes(static_axes(axis), rank) if rank is not None else None
        s = squeeze(s, axis=list(axes) if axes is not None else None)
    return add_name(s, name)


def reduce_variance(input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool = False,
                    name: str | None = None) -> Tensor:
    """The population variance ``mean((x - mean(x))^2)`` over ``axis``."""
    x = convert_to_tensor(input_tensor)
    dev = x - reduce_mean(x, axis=axis, keepdims=True)
    return reduce_mean(dev * dev, axis=axis, keepdims=keepdims, name=name or "reduce_variance")


def reduce_std(input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    return sqrt(reduce_variance(input_tensor, axis, keepdims), name=name or "reduce_std")


def reduce_euclidean_norm(input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool = False,
                          name: str | None = None) -> Tensor:
    x = convert_to_tensor(input_tensor)
    return sqrt(reduce_sum(x * x, axis=axis, keepdims=keepdims), name=name or "reduce_euclidean_norm")


def count_nonzero(input_tensor: TensorLike | None = None, axis: AxisLike = None, keepdims: bool | None = None,
                  dtype: DTypeLike = _dt.int64, name: str | None = None, reduction_indices: AxisLike = None,
                  keep_dims: bool | None = None, input: TensorLike | None = None) -> Tensor:  # noqa: A002
    """How many entries along ``axis`` are non-zero (True, for bools), as ``dtype``."""
    x = convert_to_tensor(input_tensor if input_tensor is not None else input)
    nz = not_equal(x, zeros_like_scalar(x)) if not x.dtype.is_bool else x
    keep = bool(keepdims if keepdims is not None else keep_dims)
    ax = axis if axis is not None else reduction_indices
    return reduce_sum(cast(nz, dtype), axis=ax, keepdims=keep, name=name or "count_nonzero")


class ArgFn(Protocol):
    """``gf.argmax`` / ``gf.argmin`` (``dimension``: TF1's old name for ``axis``)."""

    def __call__(self, input: TensorLike, axis: AxisLike = None, name: str | None = None,  # noqa: A002
                 dimension: AxisLike = None, output_type: DTypeLike = _dt.int64) -> Tensor: ...


def _arg(op: Op, tf_name: str) -> ArgFn:
    def fn(input: TensorLike, axis: AxisLike = None, name: str | None = None, dimension: AxisLike = None,  # noqa: A002
           output_type: DTypeLike = _dt.int64) -> Tensor:
        if axis is None:
            axis = dimension if dimension is not None else 0
        x = convert_to_tensor(input)
        (ax,) = static_axes(axis) or (0,)
        return make(op, [x], ArgAttrs(ax, _dt.as_dtype(output_type)), name=name or tf_name)
    fn.__name__ = tf_name.lower()
    fn.__doc__ = f"Index of the {tf_name[3:].lower()} along ``axis`` (int64 by default, as TF1)."
    return fn


argmax = _arg(Op.ARGMAX, "ArgMax")
argmin = _arg(Op.ARGMIN, "ArgMin")

