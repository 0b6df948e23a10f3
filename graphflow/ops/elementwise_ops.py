"""Elementwise math: registry rows (reference, gradient, scalar template), the functions that
build them and the Tensor operators. Every op module builds elementwise math from here;
``math_ops`` is the public face (the same functions, and ``where`` with its one-argument form)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import as_tensors, bool_result, compute_type, elementwise, lit, make, require, same_dtype
from graphflow.ops.constant_ops import constant

F = require("f")
NUM = require("fi")
BOOL = require("b")


class UnaryFn(Protocol):
    """An elementwise builder of one operand (``gf.exp``...)."""

    def __call__(self, x: TensorLike, name: str | None = None) -> Tensor: ...


class BinaryFn(Protocol):
    """An elementwise builder of two broadcast operands (``gf.add``...)."""

    def __call__(self, x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor: ...


# ---- gradient rules (broadcast reduction is the autodiff driver's job) -----------------------

def _vjp_add(n: Operation, g: Tensor) -> list:
    return [g, g]


def _vjp_sub(n: Operation, g: Tensor) -> list:
    return [g, negative(g)]


def _vjp_mul(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    return [g * b, a * g]


def _vjp_div(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    return [g / b, negative(g) * a / (b * b)]


def _vjp_pow(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    zero = zeros_like_scalar(a)
    ga = g * b * pow(a, b - 1)
    safe_log = where(greater(a, zero), log(where(greater(a, zero), a, zero + 1)), zero)
    gb = g * n.outputs[0] * safe_log
    return [ga, gb]


def _vjp_max(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    zero = zeros_like_scalar(g)
    pick_a = greater_equal(a, b)
    return [where(pick_a, g, zero), where(pick_a, zero, g)]


def _vjp_min(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    zero = zeros_like_scalar(g)
    pick_a = less_equal(a, b)
    return [where(pick_a, g, zero), where(pick_a, zero, g)]


def _vjp_mod(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    return [g, negative(g) * floordiv(a, b)]


def _vjp_select(n: Operation, g: Tensor) -> list:
    c, _, _ = n.inputs
    zero = zeros_like_scalar(g)
    return [None, where(c, g, zero), where(c, zero, g)]


def _vjp_cast(n: Operation, g: Tensor) -> list:
    src = n.inputs[0].dtype
    return [cast(g, src) if src.is_floating else None]


def zeros_like_scalar(t: Tensor) -> Tensor:
    return constant(0, dtype=t.dtype)


def _one(t: Tensor) -> Tensor:
    return constant(1, dtype=t.dtype)


# ---- rows: (op, numpy reference, scalar template, gradient) -----------------------------------
# Templates receive (attrs, input dtypes, output dtype, *argument expressions) and return a
# scalar expression that numba types to the output dtype (literals carry their dtype).

elementwise(Op.IDENTITY, lambda at, a: a.copy(), lambda at, i, o, a: a,
            lambda n, g: [g], dtype_rule=lambda d, at: [d[0]], graphdef="Identity", onnx="Identity")
elementwise(Op.STOP_GRADIENT, lambda at, a: a.copy(), lambda at, i, o, a: a,
            lambda n, g: [None], dtype_rule=lambda d, at: [d[0]], graphdef="StopGradient", onnx="Identity")
elementwise(Op.CAST, lambda at, a: a.astype(at.np),
            lambda at, i, o, a: f"({a} != 0)" if o.is_bool else f"{compute_type(o)}({a})",
            _vjp_cast, dtype_rule=lambda d, at: [at])
elementwise(Op.NEG, lambda at, a: np.negative(a), lambda at, i, o, a: f"(-{a})",
            lambda n, g: [negative(g)], dtype_rule=NUM, graphdef="Neg", onnx="Neg")
elementwise(Op.ABS, lambda at, a: np.abs(a), lambda at, i, o, a: f"abs({a})",
            lambda n, g: [g * sign(n.inputs[0])], dtype_rule=NUM, graphdef="Abs", onnx="Abs")
elementwise(Op.SIGN, lambda at, a: np.sign(a),
            lambda at, i, o, a: f"({lit(1, o)} if {a} > 0 else ({lit(-1, o)} if {a} < 0 else {a} - {a}))",
            lambda n, g: [zeros_like_scalar(g) * g], dtype_rule=NUM, graphdef="Sign", onnx="Sign")
def _fast(fn: str, o: DType, a: str) -> str:
    """float32 (and float16, carried as float32) use the vectorisable versions in
    compiler/cpu/fastmath.py; float64 keeps libm's."""
    return f"gfmath.{fn}({a})" if o.name in ("float32", "float16") else ""


elementwise(Op.EXP, lambda at, a: np.exp(a), lambda at, i, o, a: _fast("exp", o, a) or f"np.exp({a})",
            lambda n, g: [g * n.outputs[0]], dtype_rule=F, graphdef="Exp", onnx="Exp")
elementwise(Op.LOG, lambda at, a: np.log(a), lambda at, i, o, a: f"np.log({a})",
            lambda n, g: [g / n.inputs[0]], dtype_rule=F, graphdef="Log", onnx="Log")
elementwise(Op.LOG1P, lambda at, a: np.log1p(a), lambda at, i, o, a: f"np.log1p({a})",
            lambda n, g: [g / (_one(g) + n.inputs[0])], dtype_rule=F, graphdef="Log1p")
elementwise(Op.SQRT, lambda at, a: np.sqrt(a), lambda at, i, o, a: f"np.sqrt({a})",
            lambda n, g: [g * (0.5 / n.outputs[0])], dtype_rule=F, graphdef="Sqrt", onnx="Sqrt")
elementwise(Op.RSQRT, lambda at, a: 1 / np.sqrt(a), lambda at, i, o, a: f"({lit(1, o)} / np.sqrt({a}))",
            lambda n, g: [g * (-0.5) * n.outputs[0] * n.outputs[0] * n.outputs[0]], dtype_rule=F, graphdef="Rsqrt")
elementwise(Op.SQUARE, lambda at, a: np.square(a), lambda at, i, o, a: f"({a} * {a})",
            lambda n, g: [g * (2 * n.inputs[0])], dtype_rule=NUM, graphdef="Square")
elementwise(Op.RECIPROCAL, lambda at, a: np.reciprocal(a), lambda at, i, o, a: f"({lit(1, o)} / {a})",
            lambda n, g: [negative(g) * n.outputs[0] * n.outputs[0]], dtype_rule=F,
            graphdef="Reciprocal", onnx="Reciprocal")
elementwise(Op.SIN, lambda at, a: np.sin(a), lambda at, i, o, a: f"np.sin({a})",
            lambda n, g: [g * cos(n.inputs[0])], dtype_rule=F, graphdef="Sin", onnx="Sin")
elementwise(Op.COS, lambda at, a: np.cos(a), lambda at, i, o, a: f"np.cos({a})",
            lambda n, g: [negative(g) * sin(n.inputs[0])], dtype_rule=F, graphdef="Cos", onnx="Cos")
elementwise(Op.TANH, lambda at, a: np.tanh(a), lambda at, i, o, a: _fast("tanh", o, a) or f"np.tanh({a})",
            lambda n, g: [g * (1 - n.outputs[0] * n.outputs[0])], dtype_rule=F, graphdef="Tanh", onnx="Tanh")
elementwise(Op.SIGMOID, lambda at, a: 1 / (1 + np.exp(-a)),
            lambda at, i, o, a: _fast("sigmoid", o, a) or f"({lit(1, o)} / ({lit(1, o)} + np.exp(-{a})))",
            lambda n, g: [g * n.outputs[0] * (1 - n.outputs[0])], dtype_rule=F, graphdef="Sigmoid", onnx="Sigmoid")
# The gradient reads the output, not the input: the pre-activation (often a bias add) then has
# one use and fuses into the relu's loop.
elementwise(Op.RELU, lambda at, a: np.maximum(a, np.zeros((), a.dtype)),
            lambda at, i, o, a: f"({a} if ({a} > {lit(0, o)} or {a} != {a}) else {lit(0, o)})",
            lambda n, g: [where(greater(n.outputs[0], zeros_like_scalar(g)), g, zeros_like_scalar(g))],
            dtype_rule=NUM, graphdef="Relu", onnx="Relu")
elementwise(Op.LOGICAL_NOT, lambda at, a: np.logical_not(a), lambda at, i, o, a: f"(not {a})",
            dtype_rule=BOOL, no_gradient=True, onnx="Not")

# rounding: TF1 defines no gradient for these (None, as for comparisons); round is half to even
for _op, _np, _onnx in ((Op.FLOOR, "floor", "Floor"), (Op.CEIL, "ceil", "Ceil"), (Op.RINT, "rint", "Round")):
    elementwise(_op, (lambda f: lambda at, a: f(a))(getattr(np, _np)),
                (lambda f: lambda at, i, o, a: f"np.{f}({a})")(_np), dtype_rule=F, no_gradient=True,
                graphdef=_op.value, onnx=_onnx)


# trigonometric and hyperbolic functions beyond sin/cos/tanh, libm's in compiled code
elementwise(Op.TAN, lambda at, a: np.tan(a), lambda at, i, o, a: f"np.tan({a})",
            lambda n, g: [g * (1 + n.outputs[0] * n.outputs[0])], dtype_rule=F, graphdef="Tan", onnx="Tan")
elementwise(Op.ASIN, lambda at, a: np.arcsin(a), lambda at, i, o, a: f"np.arcsin({a})",
            lambda n, g: [g / sqrt(1 - n.inputs[0] * n.inputs[0])], dtype_rule=F, graphdef="Asin", onnx="Asin")
elementwise(Op.ACOS, lambda at, a: np.arccos(a), lambda at, i, o, a: f"np.arccos({a})",
            lambda n, g: [negative(g) / sqrt(1 - n.inputs[0] * n.inputs[0])], dtype_rule=F,
            graphdef="Acos", onnx="Acos")
elementwise(Op.ATAN, lambda at, a: np.arctan(a), lambda at, i, o, a: f"np.arctan({a})",
            lambda n, g: [g / (1 + n.inputs[0] * n.inputs[0])], dtype_rule=F, graphdef="Atan", onnx="Atan")
elementwise(Op.SINH, lambda at, a: np.sinh(a), lambda at, i, o, a: f"np.sinh({a})",
            lambda n, g: [g * cosh(n.inputs[0])], dtype_rule=F, graphdef="Sinh", onnx="Sinh")
elementwise(Op.COSH, lambda at, a: np.cosh(a), lambda at, i, o, a: f"np.cosh({a})",
            lambda n, g: [g * sinh(n.inputs[0])], dtype_rule=F, graphdef="Cosh", onnx="Cosh")
elementwise(Op.ASINH, lambda at, a: np.arcsinh(a), lambda at, i, o, a: f"np.arcsinh({a})",
            lambda n, g: [g / sqrt(n.inputs[0] * n.inputs[0] + 1)], dtype_rule=F, graphdef="Asinh", onnx="Asinh")
elementwise(Op.ACOSH, lambda at, a: np.arccosh(a), lambda at, i, o, a: f"np.arccosh({a})",
            lambda n, g: [g / sqrt(n.inputs[0] * n.inputs[0] - 1)], dtype_rule=F, graphdef="Acosh", onnx="Acosh")
elementwise(Op.ATANH, lambda at, a: np.arctanh(a), lambda at, i, o, a: f"np.arctanh({a})",
            lambda n, g: [g / (1 - n.inputs[0] * n.inputs[0])], dtype_rule=F, graphdef="Atanh", onnx="Atanh")

elementwise(Op.ADD, lambda at, a, b: np.add(a, b), lambda at, i, o, a, b: f"({a} + {b})",
            _vjp_add, dtype_rule=require("fis"), graphdef="Add", onnx="Add")  # strings: concatenation (host)
elementwise(Op.SUB, lambda at, a, b: np.subtract(a, b), lambda at, i, o, a, b: f"({a} - {b})",
            _vjp_sub, dtype_rule=NUM, graphdef="Sub", onnx="Sub")
elementwise(Op.MUL, lambda at, a, b: np.multiply(a, b), lambda at, i, o, a, b: f"({a} * {b})",
            _vjp_mul, dtype_rule=NUM, graphdef="Mul", onnx="Mul")
elementwise(Op.DIV, lambda at, a, b: np.divide(a, b), lambda at, i, o, a, b: f"({a} / {b})",
            _vjp_div, dtype_rule=F, graphdef="RealDiv", onnx="Div")


# ---- division and remainder, as TF1's kernels compute them ---------------------------------
# Integers: a zero divisor raises InvalidArgumentError ("Integer division by zero", the row's
# guard; the references raise too), and MIN / -1 wraps to MIN as in TF1 (numba's int64 // gives
# 0 there, hence the -1 case). Floats never raise: x / 0 is inf or NaN. Floor division of floats
# is floor(x / y), not numpy's floor_divide (1.0 // 0.1 is 10 in TF1, 9 in numpy); FloorMod keeps
# fmod's zero (the sign of x), TruncateMod is fmod.

def _nonzero_divisor(a: np.ndarray, b: np.ndarray) -> None:
    if b.dtype.kind in "iu" and np.any(b == 0) and np.broadcast(a, b).size:
        raise ValueError("Integer division by zero")


def _floordiv_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _nonzero_divisor(a, b)
    return np.floor_divide(a, b) if a.dtype.kind in "iu" else np.floor(np.divide(a, b))


def _floormod_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _nonzero_divisor(a, b)
    if a.dtype.kind in "iu":
        return np.mod(a, b)
    r = np.fmod(a, b)
    return np.where((r != 0) & ((b < 0) != (r < 0)), r + b, r)


def _truncatediv_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _nonzero_divisor(a, b)
    if a.dtype.kind not in "iu":
        return np.trunc(np.divide(a, b))
    q = np.floor_divide(a, b)  # floor; one more where the exact quotient was negative, not whole
    return q + ((np.mod(a, b) != 0) & ((a < 0) != (b < 0))).astype(q.dtype)


def _truncatemod_ref(at: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _nonzero_divisor(a, b)
    return np.fmod(a, b)


def _zero_divisor(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> tuple[str, str] | None:
    return None if o.is_floating else (f"{b} != 0", "Integer division by zero")


def _signed(o: DType) -> bool:
    return o.is_integer and not o.name.startswith("uint")


def _floordiv_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    if o.is_floating:
        return f"np.floor({a} / {b})"
    return f"(-{a} if {b} == -1 else {a} // {b})" if _signed(o) else f"({a} // {b})"


def _floormod_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    if o.is_floating:  # Python's % but for a zero result, which keeps x's sign as fmod's does
        return f"({a} % {b} if {a} % {b} != {lit(0, o)} else {a} * {lit(0, o)})"
    return f"({a} % {b})"


def _truncatediv_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    if o.is_floating:
        return f"(np.floor({a} / {b}) if {a} / {b} >= {lit(0, o)} else np.ceil({a} / {b}))"
    if not _signed(o):
        return f"({a} // {b})"
    return (f"(-{a} if {b} == -1 else {a} // {b} + "
            f"(1 if ({a} % {b} != 0 and ({a} < 0) != ({b} < 0)) else 0))")


def _truncatemod_scalar(at: object, i: Sequence[DType], o: DType, a: str, b: str) -> str:
    if o.is_floating:  # fmod (exact) through Python's %, which equals fmod on magnitudes
        return f"np.copysign(abs({a}) % abs({b}), {a})"  # fmod: the dividend's sign, -0.0 included
    if not _signed(o):
        return f"({a} % {b})"
    return f"({a} % {b} - {b} if ({a} % {b} != 0 and ({a} % {b} < 0) != ({a} < 0)) else {a} % {b})"


def _truncatemod_dtype(dtypes: Sequence[DType], attrs: object) -> list[DType]:
    out = same_dtype(dtypes, attrs)[0]
    if not (out.is_floating or out.name in ("int32", "int64")):
        raise TypeError(f"Value passed to parameter 'x' has DataType {out.name} not in list of allowed "
                        "values: int32, int64, float16, float32, float64 (TruncateMod)")
    return [out]


def _no_truncatemod_gradient(n: Operation, g: Tensor) -> list:
    raise LookupError(f"No gradient defined for operation '{n.name}' (op type: TruncateMod), as in TF1\n"
                      f"  in {n.describe()}")


elementwise(Op.FLOORDIV, _floordiv_ref, _floordiv_scalar, dtype_rule=NUM, no_gradient=True,
            guard=_zero_divisor, graphdef="FloorDiv")
elementwise(Op.MOD, _floormod_ref, _floormod_scalar, _vjp_mod, dtype_rule=NUM, guard=_zero_divisor, graphdef="FloorMod")
elementwise(Op.TRUNCATEDIV, _truncatediv_ref, _truncatediv_scalar, dtype_rule=NUM, no_gradient=True,
            guard=_zero_divisor, graphdef="TruncateDiv")
elementwise(Op.TRUNCATEMOD, _truncatemod_ref, _truncatemod_scalar, _no_truncatemod_gradient,
            dtype_rule=_truncatemod_dtype, guard=_zero_divisor, graphdef="TruncateMod")
elementwise(Op.POW, lambda at, a, b: np.power(a, b), lambda at, i, o, a, b: f"({a} ** {b})",
            _vjp_pow, dtype_rule=NUM, graphdef="Pow", onnx="Pow")
elementwise(Op.MAXIMUM, lambda at, a, b: np.maximum(a, b),
            lambda at, i, o, a, b: f"({a} if ({a} >= {b} or {a} != {a}) else {b})", _vjp_max, dtype_rule=NUM,
            graphdef="Maximum", onnx="Max")
elementwise(Op.MINIMUM, lambda at, a, b: np.minimum(a, b),
            lambda at, i, o, a, b: f"({a} if ({a} <= {b} or {a} != {a}) else {b})", _vjp_min, dtype_rule=NUM,
            graphdef="Minimum", onnx="Min")
for _op, _fn, _sym, _onnx in [(Op.EQUAL, np.equal, "==", "Equal"), (Op.NOT_EQUAL, np.not_equal, "!=", None),
                              (Op.LESS, np.less, "<", "Less"), (Op.LESS_EQUAL, np.less_equal, "<=", "LessOrEqual"),
                              (Op.GREATER, np.greater, ">", "Greater"),
                              (Op.GREATER_EQUAL, np.greater_equal, ">=", "GreaterOrEqual")]:
    elementwise(_op, (lambda f: lambda at, a, b: f(a, b))(_fn),
                (lambda s: lambda at, i, o, a, b: f"({a} {s} {b})")(_sym),
                dtype_rule=bool_result, no_gradient=True, graphdef=_op.value, onnx=_onnx)
elementwise(Op.LOGICAL_AND, lambda at, a, b: np.logical_and(a, b),
            lambda at, i, o, a, b: f"({a} and {b})", dtype_rule=BOOL, no_gradient=True, onnx="And")
elementwise(Op.LOGICAL_OR, lambda at, a, b: np.logical_or(a, b),
            lambda at, i, o, a, b: f"({a} or {b})", dtype_rule=BOOL, no_gradient=True, onnx="Or")


def _select_dtype(dtypes: Sequence[DType], attrs: object) -> list[DType]:
    if not dtypes[0].is_bool:
        raise TypeError(f"the condition of where/select must be bool, got {dtypes[0].name}")
    return same_dtype(dtypes[1:], attrs)


elementwise(Op.SELECT, lambda at, c, a, b: np.where(c, a, b),
            lambda at, i, o, c, a, b: f"({a} if {c} else {b})", _vjp_select, dtype_rule=_select_dtype, onnx="Where")


# ---- public functions ------------------------------------------------------------------------

def _unary(op: Op) -> UnaryFn:
    def fn(x: TensorLike, name: str | None = None) -> Tensor:
        return make(op, [convert_to_tensor(x)], name=name)
    fn.__name__ = op.name.lower()
    fn.__doc__ = f"Elementwise {op.value}. ``gf.{op.name.lower()}(gf.constant([1.0]))``"
    return fn


def _binary(op: Op) -> BinaryFn:
    def fn(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
        a, b = as_tensors(x, y)
        return make(op, [a, b], name=name)
    fn.__name__ = op.name.lower()
    fn.__doc__ = f"Elementwise {op.value} with NumPy broadcasting."
    return fn


identity = _unary(Op.IDENTITY)


def add_name(t: Tensor, name: str | None) -> Tensor:
    """``t`` under the name ``name`` (an identity node), or ``t`` itself when no name is given."""
    return identity(t, name=name) if name else t


stop_gradient = _unary(Op.STOP_GRADIENT)
negative: UnaryFn = _unary(Op.NEG)
neg = negative
abs = _unary(Op.ABS)  # noqa: A001 - the TF1 name
sign: UnaryFn = _unary(Op.SIGN)
exp = _unary(Op.EXP)
log = _unary(Op.LOG)
log1p = _unary(Op.LOG1P)
sqrt: UnaryFn = _unary(Op.SQRT)
rsqrt = _unary(Op.RSQRT)
square = _unary(Op.SQUARE)
reciprocal = _unary(Op.RECIPROCAL)
sin: UnaryFn = _unary(Op.SIN)
cos: UnaryFn = _unary(Op.COS)
tanh = _unary(Op.TANH)
sigmoid = _unary(Op.SIGMOID)
floor = _unary(Op.FLOOR)
ceil = _unary(Op.CEIL)
round = rint = _unary(Op.RINT)  # noqa: A001 - the TF1 name (half to even, as TF1's round)
tan = _unary(Op.TAN)
asin = _unary(Op.ASIN)
acos = _unary(Op.ACOS)
atan = _unary(Op.ATAN)
sinh: UnaryFn = _unary(Op.SINH)
cosh: UnaryFn = _unary(Op.COSH)
asinh = _unary(Op.ASINH)
acosh = _unary(Op.ACOSH)
atanh = _unary(Op.ATANH)
logical_not = _unary(Op.LOGICAL_NOT)

add = _binary(Op.ADD)
subtract = _binary(Op.SUB)
multiply = _binary(Op.MUL)
maximum = _binary(Op.MAXIMUM)
minimum = _binary(Op.MINIMUM)
equal = _binary(Op.EQUAL)
not_equal = _binary(Op.NOT_EQUAL)
less = _binary(Op.LESS)
less_equal = _binary(Op.LESS_EQUAL)
greater: BinaryFn = _binary(Op.GREATER)
greater_equal = _binary(Op.GREATER_EQUAL)
logical_and = _binary(Op.LOGICAL_AND)
logical_or = _binary(Op.LOGICAL_OR)


def pow(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:  # noqa: A001 - the TF1 name
    """``x ** y`` elementwise. ``gf.pow(gf.constant([2.0]), 3.0)``"""
    a, b = as_tensors(x, y)
    return make(Op.POW, [a, b], name=name)


def divide(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """True division (TF1's ``truediv``, the ``/`` operator): integer operands are cast to float64
    first (float32 for int8, int16 and uint8), so ``[7, -7] / 2`` is ``[3.5, -3.5]``.

    >>> import graphflow as gf
    >>> gf.divide(gf.constant([7, -7]), 2).dtype
    gf.float64
    """
    a, b = as_tensors(x, y)
    if a.dtype.is_bool or a.dtype.is_string:
        raise TypeError(f"Invalid dtype {a.dtype.name} in truediv: expected an integer or floating dtype")
    if not a.dtype.is_floating:
        target = _dt.float32 if a.dtype.name in ("int8", "int16", "uint8") else _dt.float64
        a, b = cast(a, target), cast(b, target)
    return make(Op.DIV, [a, b], name=name or "truediv")


truediv = divide


def div(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """TF1's ``tf.div``: floor division for integers (a FloorDiv node, so ``[7, -7] / 2`` is
    ``[3, -4]``), true division for floats. ``gf.div(gf.constant([7, -7]), 2)``"""
    a, b = as_tensors(x, y)
    if a.dtype.is_floating:
        return make(Op.DIV, [a, b], name=name or "div")
    return make(Op.FLOORDIV, [a, b], name=name or "div")


def realdiv(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """Division of floats (TF1's RealDiv op). TF1 has no RealDiv kernel for integers (running one
    fails); graphflow says so when the node is built."""
    a, b = as_tensors(x, y)
    if not a.dtype.is_floating:
        raise TypeError(f"RealDiv takes floating operands; TF1 has no RealDiv kernel for {a.dtype.name}: "
                        "use gf.truediv for a float result or gf.floordiv / gf.truncatediv for an "
                        "integer one")
    return make(Op.DIV, [a, b], name=name or "RealDiv")


def _division(op: Op, default: str, doc: str) -> BinaryFn:
    def fn(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
        a, b = as_tensors(x, y)
        return make(op, [a, b], name=name or default)
    fn.__name__ = default
    fn.__doc__ = doc
    return fn


floordiv = _division(Op.FLOORDIV, "floordiv", """``floor(x / y)`` (TF1's FloorDiv): ``[7, -7] // 2`` is
    ``[3, -4]``; an integer division by zero raises InvalidArgumentError when run.
    ``gf.floordiv(gf.constant([7, -7]), 2)``""")
floor_div = _division(Op.FLOORDIV, "FloorDiv", "TF1's ``floor_div`` (the FloorDiv op): as ``floordiv``.")
floormod = mod = _division(Op.MOD, "FloorMod", """The remainder of floor division, with the sign of ``y``
    (TF1's FloorMod): ``[7, -7] % 2`` is ``[1, 1]``. ``gf.floormod(gf.constant([7, -7]), 2)``""")
truncatediv = _division(Op.TRUNCATEDIV, "TruncateDiv", """Division rounding toward zero (C's ``/``, TF1's
    TruncateDiv): ``[7, -7]`` by 2 is ``[3, -3]``. ``gf.truncatediv(gf.constant([7, -7]), 2)``""")
truncatemod = _division(Op.TRUNCATEMOD, "TruncateMod", """The remainder of truncated division, with the
    sign of ``x`` (C's ``%``, ``fmod``; TF1's TruncateMod): ``[7, -7]`` by 2 gives ``[1, -1]``.
    ``gf.truncatemod(gf.constant([7, -7]), 2)``""")


def cast(x: TensorLike, dtype: DTypeLike, name: str | None = None) -> Tensor:
    """Convert to ``dtype`` (floats truncate toward zero into integers; nonzero is True)."""
    t = convert_to_tensor(x)
    target = _dt.as_dtype(dtype)
    if t.dtype == target:
        return t
    return make(Op.CAST, [t], target, name=name)


def to_float(x: TensorLike, name: str | None = None) -> Tensor:
    return cast(x, _dt.float32, name=name)


def to_double(x: TensorLike, name: str | None = None) -> Tensor:
    return cast(x, _dt.float64, name=name)


def to_int32(x: TensorLike, name: str | None = None) -> Tensor:
    return cast(x, _dt.int32, name=name)


def to_int64(x: TensorLike, name: str | None = None) -> Tensor:
    return cast(x, _dt.int64, name=name)


def squared_difference(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``(x - y) ** 2`` elementwise, with broadcasting."""
    a, b = as_tensors(x, y)
    d = subtract(a, b)
    return multiply(d, d, name=name or "SquaredDifference")


def where(condition: TensorLike, x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """Pick from ``x`` where ``condition`` holds, else from ``y`` (broadcasting, as where_v2).
    ``gf.where`` (math_ops.where) adds the one-argument form, a composite in index_ops."""
    c = convert_to_tensor(condition)
    a, b = as_tensors(x, y)
    return make(Op.SELECT, [c, a, b], name=name)


def clip_by_value(t: TensorLike, clip_value_min: TensorLike, clip_value_max: TensorLike,
                  name: str | None = None) -> Tensor:
    """``min(max(t, lo), hi)``; the gradient passes where t is inside the bounds."""
    t = convert_to_tensor(t)
    return minimum(maximum(t, clip_value_min), clip_value_max, name=name)


def add_n(inputs: Iterable[TensorLike], name: str | None = None) -> Tensor:
    """Sum of a list of same-shaped tensors."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n needs at least one input")
    total = convert_to_tensor(inputs[0])
    for t in inputs[1:]:
        total = add(total, t)
    return identity(total, name=name) if name else total


def scalar_mul(scalar: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    return multiply(scalar, x, name=name)


# ---- operators on Tensor ---------------------------------------------------------------------

def _rev(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, TensorLike], Tensor]:
    return lambda self, other: fn(*as_tensors(other, self))


def _percent(a: TensorLike, b: TensorLike) -> Tensor:
    return floormod(a, b, name="mod")  # TF1 names the ``%`` operator's node "mod"


_OPERATORS = {
    "__add__": add, "__radd__": _rev(add), "__sub__": subtract, "__rsub__": _rev(subtract),
    "__mul__": multiply, "__rmul__": _rev(multiply), "__truediv__": divide,
    "__rtruediv__": _rev(divide), "__floordiv__": floordiv, "__rfloordiv__": _rev(floordiv),
    "__mod__": _percent, "__rmod__": _rev(_percent), "__pow__": pow, "__rpow__": _rev(pow),
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__and__": logical_and, "__rand__": _rev(logical_and), "__or__": logical_or,
    "__ror__": _rev(logical_or),
}
for _name, _method in _OPERATORS.items():
    setattr(Tensor, _name, (lambda f: lambda self, other: f(self, other))(_method))
Tensor.__neg__ = lambda self: negative(self)  # type: ignore[attr-defined, method-assign]
Tensor.__abs__ = lambda self: abs(self)  # type: ignore[attr-defined, method-assign]
Tensor.__invert__ = lambda self: logical_not(self)  # type: ignore[attr-defined, method-assign]
Tensor.__pos__ = lambda self: self  # type: ignore[attr-defined, method-assign]
