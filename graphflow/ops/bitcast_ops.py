"""``tf.bitcast``: a tensor's bytes read as another dtype, as numpy's ``view``. Where the item
sizes differ, TF1 adds or removes the last dim: float64 [N] -> int32 [N, 2], uint8 [N, 4] ->
float32 [N]. A primitive without a gradient (TF1 registers none): differentiating through it
raises ``LookupError`` as TF1 does."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make


@dataclass(frozen=True)
class BitcastAttrs:
    src: DType  # the input's dtype: the shape rule reads it
    type: DType


def _numeric(d: DType, what: str) -> int:
    """The item size of a dtype bitcast takes (TF's list: every numeric dtype, not bool or string)."""
    if d.is_bool or d.is_string:
        raise TypeError(f"bitcast's {what} must be a numeric dtype (float16/32/64, int8/16/32/64, uint8), "
                        f"got {d.name}")
    return int(d.np.itemsize)


def _bitcast_dtype(dtypes: Sequence[DType], at: BitcastAttrs) -> list[DType]:
    _numeric(dtypes[0], "input")
    _numeric(at.type, "type")
    return [at.type]


def last_dim_message(src: DType, dst: DType, last: object) -> str:
    ratio = dst.np.itemsize // src.np.itemsize
    return (f"Cannot bitcast from {src.name} to {dst.name} due to shape: the last dim must be {ratio} "
            f"(the ratio of their item sizes), got {last}")


def out_shape(s: TensorShape, src: DType, dst: DType) -> TensorShape:
    """The result's static shape (TF1's rule)."""
    if s.rank is None:
        return TensorShape(None)
    dims = list(s.dims)  # type: ignore[arg-type]
    a, b = src.np.itemsize, dst.np.itemsize
    if a == b:
        return TensorShape(dims)
    if a > b:
        return TensorShape(dims + [a // b])
    if not dims or (dims[-1] is not None and dims[-1] != b // a):
        raise ValueError(last_dim_message(src, dst, dims[-1] if dims else "a scalar"))
    return TensorShape(dims[:-1])


def _bitcast_ref(at: BitcastAttrs, a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)  # reshape(-1) below copies a non-contiguous one
    src = _dt.as_dtype(a.dtype)
    if a.itemsize < at.type.np.itemsize and (a.ndim == 0 or a.shape[-1] != at.type.np.itemsize // a.itemsize):
        raise ValueError(last_dim_message(src, at.type, a.shape[-1] if a.ndim else "a scalar"))
    dims = out_shape(TensorShape(list(a.shape)), src, at.type).as_list()
    return a.reshape(-1).view(at.type.np).reshape(dims)


def _no_gradient(n: Operation, g: Tensor) -> list:
    """TF1 registers no gradient for Bitcast: asking for one raises, as there (a gradient override
    map or a custom gradient may still give one)."""
    raise LookupError(f"No gradient defined for operation {n.describe()} (TF1 has none for Bitcast); "
                      f"wrap it in gf.stop_gradient or give it a @gf.custom_gradient")


register(OpDef(Op.BITCAST, Kind.OTHER, lambda shapes, at: [out_shape(shapes[0], at.src, at.type)], _bitcast_dtype,
               _bitcast_ref, vjp=_no_gradient))


def bitcast(input: TensorLike, type: DTypeLike, name: str | None = None) -> Tensor:  # noqa: A002
    """``input``'s bytes read as ``type``; a smaller item size adds a last dim, a larger one
    removes it (it must be the ratio of the sizes).

    >>> import graphflow as gf
    >>> gf.bitcast(gf.constant([1.0, 2.0], gf.float64), gf.int32).shape.as_list()
    [2, 2]
    """
    x = convert_to_tensor(input)
    return make(Op.BITCAST, [x], BitcastAttrs(x.dtype, _dt.as_dtype(type)), name=name or "Bitcast")
