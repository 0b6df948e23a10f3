"""The reduction primitives' attributes and builders (reduce_sum, reduce_prod, ...): the low
half of reduce_ops, which registers their rows (shape rules, references, gradients) and builds
the composites over them. Modules below reduce_ops (shape_ops' size and rank, state_ops' fill
gradient) build reductions from here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import AxisLike, TensorLike
from graphflow.ops._build import make


@dataclass(frozen=True)
class ReduceAttrs:
    axes: tuple[int, ...] | None  # None: every axis
    keepdims: bool


def norm_axes(axes: tuple[int, ...] | None, rank: int) -> tuple[int, ...]:
    """Sorted non-negative axes; raises on out-of-range (TF1's message) or repeated axes."""
    if axes is None:
        return tuple(range(rank))
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions: the axis is out "
                             f"of range [{-rank}, {rank})")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axes in {list(axes)}")
    return tuple(sorted(out))


def static_axes(axis: AxisLike) -> tuple[int, ...] | None:
    """Reduction axes as a tuple (None: every axis); a tensor must be a build-time constant."""
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        v = static_value(axis)
        if v is None:
            raise TypeError(f"reduction axes must be known when the graph is built; {axis.name} is not constant")
        return static_axes(v.tolist())
    if isinstance(axis, (int, np.integer)):
        return (int(axis),)
    return tuple(int(a) for a in axis)


class Reducer(Protocol):
    """A reduction builder (``gf.reduce_sum``...), with TF1's aliases for ``axis`` and ``keepdims``."""

    def __call__(self, input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool | None = None,
                 name: str | None = None, reduction_indices: AxisLike = None,
                 keep_dims: bool | None = None) -> Tensor: ...


def _reducer(op: Op, tf_name: str) -> Reducer:
    def fn(input_tensor: TensorLike, axis: AxisLike = None, keepdims: bool | None = None, name: str | None = None,
           reduction_indices: AxisLike = None, keep_dims: bool | None = None) -> Tensor:
        if axis is None:
            axis = reduction_indices
        kd = bool(keepdims if keepdims is not None else keep_dims)
        x = convert_to_tensor(input_tensor)
        return make(op, [x], ReduceAttrs(static_axes(axis), kd), name=name or tf_name)
    fn.__name__ = "reduce_" + tf_name.lower()
    fn.__doc__ = f"Reduce by {tf_name.lower()} over ``axis`` (all axes when None)."
    return fn


reduce_sum = _reducer(Op.REDUCE_SUM, "Sum")
reduce_mean = _reducer(Op.REDUCE_MEAN, "Mean")
reduce_max = _reducer(Op.REDUCE_MAX, "Max")
reduce_min = _reducer(Op.REDUCE_MIN, "Min")
reduce_prod = _reducer(Op.REDUCE_PROD, "Prod")
reduce_any = _reducer(Op.REDUCE_ANY, "Any")
reduce_all = _reducer(Op.REDUCE_ALL, "All")
