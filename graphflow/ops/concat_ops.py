"""Joining and splitting along an axis: the CONCAT primitive, concat, stack and unstack (whose
parts are slices). Below array_ops and state_ops, which build on them; array_ops re-exports them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, same_dtype
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.elementwise_ops import identity
from graphflow.ops.shape_ops import expand_dims
from graphflow.ops.slice_ops import Bound, known_rank, norm_axis, slice_node, static_int


@dataclass(frozen=True)
class AxisAttrs:
    axis: int  # non-negative


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


def _vjp_concat(n: Operation, g: Tensor) -> list:
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


@rank_polymorphic(_first_float)
def concat(values: Tensor | Sequence[TensorLike], axis: int | Tensor, name: str | None = "concat") -> Tensor:
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
        return identity(xs[0], name=name)
    return make(Op.CONCAT, xs, AxisAttrs(ax), name=name)


@rank_polymorphic(_first_float)
def stack(values: Sequence[TensorLike], axis: int = 0, name: str | None = "stack") -> Tensor:
    """Stack rank-R tensors into one rank-(R+1) tensor along a new ``axis``.

    >>> import graphflow as gf
    >>> gf.stack([gf.zeros((3,)), gf.ones((3,))], axis=1).shape.as_list()
    [3, 2]
    """
    xs = [convert_to_tensor(v) for v in values]
    if not xs:
        raise ValueError("stack needs at least one tensor")
    rank = known_rank(xs[0].shape, "stack")
    for x in xs[1:]:
        if not x.shape.is_compatible_with(xs[0].shape):
            raise ValueError(f"stack inputs must have the same shape, got {xs[0].shape} and {x.shape}")
    ax = norm_axis(static_int(axis, "stack axis"), rank + 1, "stack")
    return concat([expand_dims(x, ax) for x in xs], ax, name=name)


def unstack(value: TensorLike, num: int | None = None, axis: int = 0, name: str | None = "unstack") -> list[Tensor]:
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


# installed onto the core's Tensor (the list of what is installed where: graphflow/core/ir.py's docstring)
Tensor.__iter__ = lambda self: iter(unstack(self))  # type: ignore[method-assign]
Tensor._pack = staticmethod(stack)  # type: ignore[method-assign, assignment]  # (convert_to_tensor of a list holding tensors)
