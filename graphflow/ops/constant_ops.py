"""Sources: constants, placeholders (and the rows of variables, which graphflow/ops/variables.py
builds), and the grouping ops no_op and group. The bottom of the op layer: every other op module
may build constants, and this module imports no other op module but ``_build``."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS, ConstAttrs
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import DTypeLike, Fetchable, ShapeLike, TensorLike
from graphflow.ops._build import make, make_node

_uid = [0]


def _next_uid() -> int:
    _uid[0] += 1
    return _uid[0]


@dataclass(frozen=True)
class SourceAttrs:
    """Placeholders and variables: dtype, static shape and a unique id (never merged)."""

    dtype: DType
    shape: TensorShape
    uid: int


def _raise_unfed() -> NoReturn:
    raise RuntimeError("placeholders and variables have no reference rule; executors supply them")


register(OpDef(Op.CONST, Kind.SOURCE, lambda s, at: [TensorShape(at.value.shape)],
               lambda d, at: [_dt.as_dtype(at.value.dtype)], lambda at: at.value))
register(OpDef(Op.PLACEHOLDER, Kind.SOURCE, lambda s, at: [at.shape], lambda d, at: [at.dtype],
               lambda at: _raise_unfed(), no_gradient=True))
register(OpDef(Op.PLACEHOLDER_WITH_DEFAULT, Kind.ELEMENTWISE,
               lambda s, at: [at.shape], lambda d, at: [d[0]], lambda at, a: a.copy(),
               vjp=lambda n, g: [g], scalar=lambda at, i, o, a: a))
register(OpDef(Op.VARIABLE, Kind.SOURCE, lambda s, at: [at.shape], lambda d, at: [at.dtype],
               lambda at: _raise_unfed(), stateful=True))
register(OpDef(Op.NO_OP, Kind.OTHER, lambda s, at: [], lambda d, at: [], lambda at: ()))


def constant(value: TensorLike, dtype: DTypeLike | None = None, shape: ShapeLike = None, name: str | None = "Const",
             verify_shape: bool = False) -> Tensor:
    """A constant tensor; a scalar ``value`` with a ``shape`` is broadcast (TF1 semantics).

    >>> constant([1, 2]).dtype
    gf.int32
    """
    if isinstance(value, Tensor):
        raise TypeError(f"gf.constant expects a Python or numpy value, got the tensor {value.name}")
    if dtype is None:
        target = _dt.infer_dtype(value)
    else:
        target = _dt.as_dtype(dtype)
    arr = _dt.constant_value(value, target)
    if shape is not None:
        dims: tuple[Any, ...] = tuple(as_shape(shape).as_list())
        if arr.size == 1:
            arr = np.broadcast_to(arr.reshape(()), dims).copy()
        elif arr.size == int(np.prod(dims, dtype=np.int64)):
            arr = arr.reshape(dims)
        elif 0 < arr.size < int(np.prod(dims, dtype=np.int64)) and not verify_shape:
            # TF1 fills the rest with the last value given
            flat = np.full(int(np.prod(dims, dtype=np.int64)), arr.reshape(-1)[-1], dtype=arr.dtype)
            flat[:arr.size] = arr.reshape(-1)
            arr = flat.reshape(dims)
        else:
            raise ValueError(f"a constant of {arr.size} elements cannot have shape {list(dims)}")
    arr.setflags(write=False)
    return make(Op.CONST, [], ConstAttrs(arr), name=name)


def placeholder(dtype: DTypeLike, shape: ShapeLike = None, name: str | None = None) -> Tensor:
    """A value fed at run time: ``x = gf.placeholder(gf.float32, shape=(None, 3))``."""
    return make(Op.PLACEHOLDER, [], SourceAttrs(_dt.as_dtype(dtype), as_shape(shape), _next_uid()),
                name=name or "Placeholder")


def placeholder_with_default(input: TensorLike, shape: ShapeLike, name: str | None = None) -> Tensor:  # noqa: A002
    """Evaluates to ``input`` unless fed; ``shape`` may be less specific than ``input``'s."""
    x = convert_to_tensor(input)
    shp = as_shape(shape)
    if not shp.is_compatible_with(x.shape):
        raise ValueError(f"placeholder_with_default: shape {shp} does not fit the default's shape {x.shape}")
    return make(Op.PLACEHOLDER_WITH_DEFAULT, [x], SourceAttrs(x.dtype, shp, _next_uid()), name=name)


def no_op(name: str | None = None) -> Operation:
    return make_node(Op.NO_OP, [], NO_ATTRS, name=name or "NoOp")


def group(*inputs: Fetchable | Sequence[Fetchable], name: str | None = None) -> Operation:
    """An op that runs all ``inputs`` (tensors or operations) and returns nothing."""
    flat: list[Any] = []
    for x in inputs:
        flat.extend(x if isinstance(x, (list, tuple)) else [x])
    g = get_default_graph()
    for x in flat:
        if isinstance(x, (Tensor, Operation)):
            g = x.graph
            break
    ops = []
    for x in flat:
        x = g.as_graph_element(x)
        ops.append(x.node if isinstance(x, Tensor) else x)
    return g.add_node(Op.NO_OP, [], NO_ATTRS, name=name or "group_deps", control_inputs=ops)

