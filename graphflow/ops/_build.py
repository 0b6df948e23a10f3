"""Helpers every op module uses: node construction, registry rows for elementwise ops, literals."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS, NoAttrs  # noqa: F401  (their home was here)
from graphflow.core.conversion_registry import has_registered_conversion
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.nodes import graph_of, make, make_node  # noqa: F401  (every op module builds with them)
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, broadcast_shapes
from graphflow.core.types import DTypeLike, TensorLike


def compute_type(dtype: DType) -> str:
    """The numpy type generated CPU code computes a dtype in: float16 is carried as float32
    (numba has no float16 arithmetic on the CPU) and rounded to float16 at fetches."""
    if dtype.is_bool:
        return "np.bool_"
    return "np.float32" if dtype.name == "float16" else f"np.{dtype.name}"


def lit(value: bool | int | float | np.number | np.bool_, dtype: DType) -> str:
    """A typed scalar literal in generated code (numba keeps the dtype of ``np.float32(...)``)."""
    if dtype.is_bool:
        return "True" if value else "False"
    ty = compute_type(dtype)
    if dtype.is_floating:
        v = float(value)
        if np.isnan(v):
            return f"{ty}(np.nan)"
        if np.isinf(v):
            return f"{ty}({'-' if v < 0 else ''}np.inf)"
        return f"{ty}({v!r})"
    return f"{ty}({int(value)})"


# ---- rules shared by elementwise ops ---------------------------------------------------------


def same_shape(shapes: Sequence[TensorShape], attrs: object) -> list[TensorShape]:
    return [shapes[0]]


def broadcast_rule(shapes: Sequence[TensorShape], attrs: object) -> list[TensorShape]:
    out = broadcast_shapes(shapes)
    if out is None:
        raise ValueError("Incompatible shapes for broadcasting: "
                         + " and ".join(str(s) for s in shapes))
    return [out]


def same_dtype(dtypes: Sequence[DType], attrs: object) -> list[DType]:
    first = dtypes[0]
    for i, d in enumerate(dtypes[1:], 1):
        if d != first:
            raise TypeError(f"operand {i} has dtype {d.name}, expected {first.name} "
                            "(the dtype of operand 0); use gf.cast to convert")
    return [first]


def bool_result(dtypes: Sequence[DType], attrs: object) -> list[DType]:
    same_dtype(dtypes, attrs)
    return [_dt.bool_]


def require(kinds: str) -> Callable[[Sequence[DType], Any], list[DType]]:
    """Dtype rule: operands share a dtype whose kind is in ``kinds`` ('f' float, 'i' int, 'b' bool)."""
    def rule(dtypes: Sequence[DType], attrs: object) -> list[DType]:
        out = same_dtype(dtypes, attrs)[0]
        kind = "f" if out.is_floating else "b" if out.is_bool else "s" if out.is_string else "i"
        if kind not in kinds:
            names = {"f": "floating", "i": "integer", "b": "bool", "s": "string"}
            raise TypeError(f"expected a {' or '.join(names[k] for k in kinds)} dtype, got {out.name}")
        return [out]
    return rule


def elementwise(op: Op, reference: Callable[..., Any], scalar: Callable[..., str],
                vjp: Callable[..., Any] | None = None, dtype_rule: Callable[..., Any] = same_dtype,
                no_gradient: bool = False, guard: Callable[..., tuple[str, str] | None] | None = None,
                graphdef: str | None = None, onnx: str | None = None) -> OpDef:
    nin = reference.__code__.co_argcount - 1
    return register(OpDef(op=op, kind=Kind.ELEMENTWISE,
                          shape_rule=same_shape if nin == 1 else broadcast_rule,
                          dtype_rule=dtype_rule, reference=reference, vjp=vjp,
                          no_gradient=no_gradient, scalar=scalar, guard=guard, graphdef=graphdef, onnx=onnx))


def as_tensors(*values: TensorLike, dtype: DTypeLike | None = None) -> list[Tensor]:
    """Convert operands of one op: Python/numpy values take the dtype of the first Tensor."""
    target = dtype
    first: dict[int, Tensor] = {}  # the operand converted to find the dtype: converted once, kept
    if target is None:
        for i, v in enumerate(values):
            if isinstance(v, Tensor) or hasattr(v, "_as_graph_tensor") or has_registered_conversion(v):
                first[i] = convert_to_tensor(v)
                target = first[i].dtype
                break
    out = []
    for i, v in enumerate(values):
        if i in first:
            out.append(first[i])
        elif isinstance(v, Tensor) or target is None:
            out.append(convert_to_tensor(v))
        else:
            out.append(convert_to_tensor(_fit(v, _dt.as_dtype(target)), dtype=target))
    return out


def _fit(value: TensorLike, dtype: DType) -> TensorLike:
    if hasattr(value, "_as_graph_tensor") or has_registered_conversion(value):
        return value
    if dtype.is_string:
        return _dt.to_strings(value)
    arr = np.asarray(value)
    if arr.dtype.kind in "USO":
        raise TypeError(f"cannot convert {value!r} to {dtype.name}")
    if not dtype.is_floating and arr.dtype.kind == "f" and not np.all(np.mod(arr, 1) == 0):
        raise TypeError(f"cannot convert {value!r} to a tensor of dtype {dtype.name} without losing "
                        "the fractional part")
    if dtype.is_bool and arr.dtype.kind != "b":
        raise TypeError(f"cannot convert {value!r} to a tensor of dtype bool")
    return arr.astype(dtype.np)
