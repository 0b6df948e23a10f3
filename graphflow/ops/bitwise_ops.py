"""``tf.bitwise``: and, or, xor, invert and the shifts of integers, as TF1 computes them. A shift
amount outside ``[0, bits - 1]`` is clamped to that range (TF's kernels do so rather than leave it
undefined): ``left_shift(int8 7, 9)`` is ``7 << 7``, wrapped to -128. Left shifts wrap as
unsigned arithmetic; right shifts of signed integers are arithmetic (the sign fills in). None of
them has a gradient, as in TF1."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops._build import as_tensors, compute_type, elementwise, lit, make, require
from graphflow.ops.elementwise_ops import BinaryFn

INT = require("i")


def _bits(dtype: DType) -> int:
    return dtype.np.itemsize * 8


def _unsigned(dtype: DType) -> str:
    return f"uint{_bits(dtype)}"


def _clamped_ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(b, 0, a.dtype.itemsize * 8 - 1).astype(a.dtype)


def _left_shift_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return np.left_shift(a.astype(unsigned), _clamped_ref(a, b).astype(unsigned)).astype(a.dtype)


def _right_shift_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.right_shift(a, _clamped_ref(a, b))


def _clamped(o: DType, b: str) -> str:
    return f"min(max({b}, {lit(0, o)}), {lit(_bits(o) - 1, o)})"


def _left_shift_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    u = _unsigned(o)  # shifted as unsigned: the bits shifted out are dropped, never overflow
    return f"{compute_type(o)}(np.{u}({a}) << np.{u}({_clamped(o, b)}))"


def _right_shift_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    return f"{compute_type(o)}({a} >> {_clamped(o, b)})"


def _infix(symbol: str) -> Callable[..., str]:
    return lambda at, i, o, a, b: f"{compute_type(o)}({a} {symbol} {b})"


elementwise(Op.BITWISE_AND, lambda at, a, b: np.bitwise_and(a, b), _infix("&"), dtype_rule=INT, no_gradient=True,
            graphdef="BitwiseAnd")
elementwise(Op.BITWISE_OR, lambda at, a, b: np.bitwise_or(a, b), _infix("|"), dtype_rule=INT, no_gradient=True,
            graphdef="BitwiseOr")
elementwise(Op.BITWISE_XOR, lambda at, a, b: np.bitwise_xor(a, b), _infix("^"), dtype_rule=INT, no_gradient=True,
            graphdef="BitwiseXor")
elementwise(Op.INVERT, lambda at, a: np.invert(a), lambda at, i, o, a: f"{compute_type(o)}(~{a})", dtype_rule=INT,
            no_gradient=True, graphdef="Invert")
elementwise(Op.LEFT_SHIFT, _left_shift_ref, _left_shift_scalar, dtype_rule=INT, no_gradient=True,
            graphdef="LeftShift")
elementwise(Op.RIGHT_SHIFT, _right_shift_ref, _right_shift_scalar, dtype_rule=INT, no_gradient=True,
            graphdef="RightShift")


def _binary(op: Op, public: str, doc: str) -> BinaryFn:
    def fn(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
        a, b = as_tensors(x, y)
        return make(op, [a, b], name=name or op.value)  # TF1 names the node by its op: "LeftShift"
    fn.__name__ = fn.__qualname__ = public
    fn.__doc__ = doc
    return fn


bitwise_and = _binary(Op.BITWISE_AND, "bitwise_and", """``x & y`` bit by bit, integers of one dtype, broadcast.

    >>> import graphflow as gf
    >>> gf.bitwise.bitwise_and(gf.constant([12, 10]), 6).dtype
    gf.int32
    """)
bitwise_or = _binary(Op.BITWISE_OR, "bitwise_or", "``x | y`` bit by bit: ``bitwise_or([12, 10], 6)`` is ``[14, 14]``.")
bitwise_xor = _binary(Op.BITWISE_XOR, "bitwise_xor",
                      "``x ^ y`` bit by bit: ``bitwise_xor([12, 10], 6)`` is ``[10, 12]``.")
left_shift = _binary(Op.LEFT_SHIFT, "left_shift", """``x << y``, ``y`` clamped to ``[0, bits - 1]``, wrapping:
    ``left_shift(int8 [1, 7], [3, 9])`` is ``[8, -128]``.""")
right_shift = _binary(Op.RIGHT_SHIFT, "right_shift", """``x >> y``, ``y`` clamped to ``[0, bits - 1]``, arithmetic
    for signed ``x``: ``right_shift([-128, 100], [3, 70])`` is ``[-16, 0]``.""")


def invert(x: TensorLike, name: str | None = None) -> Tensor:
    """``~x`` bit by bit: ``invert(uint8 5)`` is ``250``, ``invert(int32 5)`` is ``-6``.

    >>> import graphflow as gf
    >>> gf.bitwise.invert(gf.constant([5], gf.uint8)).dtype
    gf.uint8
    """
    return make(Op.INVERT, [convert_to_tensor(x)], name=name or "Invert")


__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
