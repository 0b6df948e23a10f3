"""Elementwise math, comparison/logic, matmul, tensordot and einsum: one record per op, checked
compiled and reference against numpy, plus float64 gradient checks for differentiable ops."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import need

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")


def sample(domain: str, shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    """Random input of ``dtype`` from ``domain``: "real" (either sign), "pos" (> 0, away from 0),
    "nonzero" (either sign, away from 0), "unit" (inside (-1, 1)), "bool"."""
    rs = np.random.RandomState(seed)
    if domain == "bool":
        return rs.rand(*shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        lo, hi = {"real": (-5, 6), "pos": (1, 6), "nonzero": (1, 6), "unit": (0, 1)}[domain]
        x = rs.randint(lo, hi, size=shape)
        if domain == "nonzero":
            x = x * rs.choice([-1, 1], size=shape)
        return x.astype(dtype)
    if domain == "real":
        x = rs.uniform(-2, 2, size=shape)
    elif domain == "unit":
        x = rs.uniform(-0.9, 0.9, size=shape)
    else:
        x = rs.uniform(0.5, 2, size=shape)
        if domain == "nonzero":
            x = x * rs.choice([-1, 1], size=shape)
    return np.asarray(x, dtype=dtype)


@dataclass(frozen=True)
class Record:
    """One public op: graphflow function, numpy reference, input domains, dtypes it accepts."""
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    domains: tuple[str, ...]
    dtypes: tuple[str, ...] = FLOATS
    grad: bool = True


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-x))).astype(x.dtype)


UNARY = [
    Record("negative", gf.negative, np.negative, ("real",), FLOATS + INTS),
    Record("abs", gf.abs, np.abs, ("nonzero",), FLOATS + INTS),
    Record("sign", gf.sign, np.sign, ("nonzero",), FLOATS + INTS),
    Record("square", gf.square, np.square, ("real",), FLOATS + INTS),
    Record("exp", gf.exp, np.exp, ("real",)),
    Record("log", gf.log, np.log, ("pos",)),
    Record("log1p", gf.log1p, np.log1p, ("unit",)),
    Record("sqrt", gf.sqrt, np.sqrt, ("pos",)),
    Record("rsqrt", gf.rsqrt, lambda x: (1 / np.sqrt(x)).astype(x.dtype), ("pos",)),
    Record("reciprocal", gf.reciprocal, np.reciprocal, ("nonzero",)),
    Record("sin", gf.sin, np.sin, ("real",)),
    Record("cos", gf.cos, np.cos, ("real",)),
    Record("tanh", gf.tanh, np.tanh, ("real",)),
    Record("sigmoid", gf.sigmoid, _sigmoid, ("real",)),
    Record("floor", gf.floor, np.floor, ("real",), grad=False),
    Record("ceil", gf.ceil, np.ceil, ("real",), grad=False),
    Record("round", gf.round, np.rint, ("real",), grad=False),  # half to even, as TF1
    Record("tan", gf.tan, np.tan, ("unit",)),
    Record("asin", gf.asin, np.arcsin, ("unit",)),
    Record("acos", gf.acos, np.arccos, ("unit",)),
    Record("atan", gf.atan, np.arctan, ("real",)),
    Record("sinh", gf.sinh, np.sinh, ("real",)),
    Record("cosh", gf.cosh, np.cosh, ("real",)),
    Record("asinh", gf.asinh, np.arcsinh, ("real",)),
    Record("acosh", lambda x: gf.acosh(x + 1.5), lambda x: np.arccosh(x + 1.5).astype(x.dtype), ("pos",)),
    Record("atanh", gf.atanh, np.arctanh, ("unit",)),
]


def _floordiv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b)


BINARY = [
    Record("add", gf.add, np.add, ("real", "real"), FLOATS + INTS),
    Record("subtract", gf.subtract, np.subtract, ("real", "real"), FLOATS + INTS),
    Record("multiply", gf.multiply, np.multiply, ("real", "real"), FLOATS + INTS),
    Record("divide", gf.divide, lambda a, b: np.divide(a, b), ("real", "nonzero"), FLOATS + INTS),
    Record("truediv", gf.truediv, lambda a, b: np.true_divide(a, b), ("real", "nonzero"), FLOATS + INTS),
    Record("floordiv", gf.floordiv, _floordiv, ("real", "nonzero"), FLOATS + INTS, grad=False),
    Record("mod", gf.mod, np.mod, ("real", "nonzero"), FLOATS + INTS),
    Record("pow", gf.pow, np.power, ("pos", "real"), FLOATS),
    Record("maximum", gf.maximum, np.maximum, ("real", "real"), FLOATS + INTS),
    Record("minimum", gf.minimum, np.minimum, ("real", "real"), FLOATS + INTS),
    Record("squared_difference", gf.squared_difference, lambda a, b: np.square(a - b), ("real", "real"),
           FLOATS + INTS),
]

COMPARE = [
    Record(n, getattr(gf, n), getattr(np, n), ("real", "real"), ("float32", "int32", "int64"), grad=False)
    for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
]
LOGIC = [
    Record("logical_and", gf.logical_and, np.logical_and, ("bool", "bool"), ("bool",), grad=False),
    Record("logical_or", gf.logical_or, np.logical_or, ("bool", "bool"), ("bool",), grad=False),
]


def _cases(records: list[Record]) -> list[Any]:
    return [pytest.param(r, d, id=f"{r.name}-{d}") for r in records for d in r.dtypes]


def _grad_cases(records: list[Record]) -> list[Any]:
    return [pytest.param(r, id=r.name) for r in records if r.grad]


# ---- unary ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("rec,dtype", _cases(UNARY))
def test_unary(rec: Record, dtype: str, device: str) -> None:
    x = sample(rec.domains[0], (2, 3), dtype)
    check_op(rec.fn, rec.ref, [x], device)


@pytest.mark.parametrize("rec", _grad_cases(UNARY))
def test_unary_gradient(rec: Record) -> None:
    check_gradient(rec.fn, [sample(rec.domains[0], (2, 3), "float64", seed=1)])


@pytest.mark.parametrize("device", TARGETS)
def test_logical_not(device: str) -> None:
    check_op(gf.logical_not, np.logical_not, [sample("bool", (2, 3), "bool")], device)


@pytest.mark.parametrize("device", TARGETS)
def test_unary_with_unknown_dims(device: str) -> None:
    x = sample("pos", (3, 2), "float32")
    check_op(lambda a: [gf.sqrt(a), gf.log(a), gf.exp(-a)], lambda a: [np.sqrt(a), np.log(a), np.exp(-a)],
             [x], device, feed_shapes=[(None, None)])


# ---- binary with broadcasting ----------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("rec,dtype", _cases(BINARY + COMPARE + LOGIC))
def test_binary_broadcast(rec: Record, dtype: str, device: str) -> None:
    a = sample(rec.domains[0], (2, 1, 3), dtype, seed=2)
    b = sample(rec.domains[1], (4, 3), dtype, seed=3)
    check_op(rec.fn, rec.ref, [a, b], device)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("rec", [pytest.param(r, id=r.name) for r in BINARY + COMPARE])
def test_binary_none_batch_dims(rec: Record, device: str) -> None:
    """Broadcasting where the batch dims are only known when fed."""
    dtype = "float64"
    a = sample(rec.domains[0], (3, 1, 2), dtype, seed=4)
    b = sample(rec.domains[1], (4, 1), dtype, seed=5)
    check_op(rec.fn, rec.ref, [a, b], device, feed_shapes=[(None, 1, 2), (None, None)])


@pytest.mark.parametrize("rec", _grad_cases(BINARY))
def test_binary_gradient(rec: Record) -> None:
    a = sample(rec.domains[0], (2, 1, 3), "float64", seed=6)
    b = sample(rec.domains[1], (4, 3), "float64", seed=7)
    if rec.name == "mod":  # keep a / b away from the integer jumps of the floor
        a = np.array([[[0.3, 1.7, -0.4]], [[2.3, -1.2, 0.9]]])
        b = np.array([[1.0, 2.0, -1.5], [0.7, -0.8, 3.0], [1.1, 1.3, 1.9], [-2.5, 4.0, 0.6]])
    if rec.name in ("maximum", "minimum"):  # no ties
        b = b + 0.05
    check_gradient(rec.fn, [a, b])


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ("int32", "int64", "float32", "float64"))
def test_floordiv_and_mod_signs(dtype: str, device: str) -> None:
    """Python/TF1 semantics: floordiv floors (not truncates); mod takes the divisor's sign."""
    a = np.array([7, -7, 7, -7, 0, 6, -6, 5], dtype=dtype)
    b = np.array([2, 2, -2, -2, 3, 3, 3, -3], dtype=dtype)
    want_div = np.array([3, -4, -4, 3, 0, 2, -2, -2], dtype=dtype)
    want_mod = np.array([1, 1, -1, -1, 0, 0, 0, -1], dtype=dtype)
    check_op(lambda x, y: [gf.floordiv(x, y), gf.mod(x, y), x // y, x % y],
             lambda x, y: [want_div, want_mod, want_div, want_mod], [a, b], device)


@pytest.mark.parametrize("device", TARGETS)
def test_float_floordiv_mod_fractional(device: str) -> None:
    a = np.array([7.5, -7.5, 7.5, -7.5, 0.25], dtype=np.float64)
    b = np.array([2.0, 2.0, -2.0, -2.0, -0.5], dtype=np.float64)
    check_op(lambda x, y: [gf.floordiv(x, y), gf.mod(x, y)],
             lambda x, y: [np.floor(x / y), np.mod(x, y)], [a, b], device)


@pytest.mark.parametrize("device", TARGETS)
def test_pow_int_and_scalar_exponents(device: str) -> None:
    base = np.array([[0, 1, 2], [3, -2, -1]], dtype=np.int32)
    exp = np.array([3, 0, 2], dtype=np.int32)
    check_op(lambda x, e: [gf.pow(x, e), x ** 2, gf.pow(2, e)],
             lambda x, e: [np.power(x, e), x ** 2, np.power(np.int32(2), e)], [base, exp], device)
    xf = sample("pos", (2, 3), "float32")
    check_op(lambda x: [gf.pow(x, 0.5), x ** 3.0, 2.0 ** x],
             lambda x: [x ** np.float32(0.5), x ** np.float32(3), np.float32(2) ** x], [xf], device)


def test_pow_gradient_at_zero_base() -> None:
    """d/dy x**y at x = 0 is taken as 0 (no NaN), d/dx stays finite for y >= 1."""
    x = gf.placeholder(gf.float64, (3,))
    y = gf.placeholder(gf.float64, (3,))
    gx, gy = gf.gradients(gf.reduce_sum(gf.pow(x, y)), [x, y])
    vx, vy = run([gx, gy], {x: np.array([0.0, 2.0, 0.0]), y: np.array([2.0, 3.0, 1.0])})
    np.testing.assert_allclose(vx, [0.0, 12.0, 1.0])
    np.testing.assert_allclose(vy, [0.0, 8.0 * np.log(2.0), 0.0])


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ("int8", "int16", "uint8"))
def test_small_int_dtypes(dtype: str, device: str) -> None:
    """Narrow integer dtypes keep their dtype through arithmetic, comparison and reductions."""
    a, b = sample("pos", (2, 3), dtype, seed=70), sample("pos", (2, 3), dtype, seed=71)
    check_op(lambda x, y: [x + y, x * y, gf.maximum(x, y), gf.minimum(x, y), x < y, gf.equal(x, y),
                           gf.floordiv(x, y), gf.mod(x, y), gf.square(x), gf.reduce_sum(x, 1), gf.argmax(x, 1)],
             lambda x, y: [x + y, x * y, np.maximum(x, y), np.minimum(x, y), x < y, x == y, x // y, x % y,
                           np.square(x), x.sum(1).astype(dtype), np.argmax(x, 1)], [a, b], device)


@pytest.mark.parametrize("dtype,want", [("int8", "float32"), ("int16", "float32"), ("uint8", "float32"),
                                        ("int32", "float64"), ("int64", "float64")])
def test_divide_of_ints_result_dtype(dtype: str, want: str) -> None:
    """TF1 truediv: narrow ints divide in float32, int32/int64 in float64."""
    x = gf.placeholder(gf.as_dtype(dtype), (3,))
    q = gf.divide(x, x + 1)
    assert q.dtype == gf.as_dtype(want)
    v = np.array([1, 2, 3], dtype=dtype)
    np.testing.assert_allclose(run(q, {x: v}), v / (v + 1), rtol=1e-6)


# ---- where, clip_by_value, add_n ----------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ("float32", "float64", "int32", "int64"))
def test_where_broadcast(dtype: str, device: str) -> None:
    c = sample("bool", (2, 1, 3), "bool", seed=8)
    x = sample("real", (4, 3), dtype, seed=9)
    y = sample("real", (3,), dtype, seed=10)
    check_op(gf.where, np.where, [c, x, y], device)


@pytest.mark.parametrize("device", TARGETS)
def test_where_unknown_dims(device: str) -> None:
    c = sample("bool", (3, 2), "bool", seed=11)
    x = sample("real", (3, 2), "float32", seed=12)
    check_op(lambda cc, xx: gf.where(cc, xx, -xx), lambda cc, xx: np.where(cc, xx, -xx), [c, x], device,
             feed_shapes=[(None, 2), (None, 2)])


@pytest.mark.parametrize("device", TARGETS)
def test_tf1_where_with_a_vector_condition_picks_rows(device: str) -> None:
    """TF1's tf.where (Select) picks x's rows by a vector condition; where_v2 broadcasts it along
    the last dim instead. Square inputs tell the two apart."""
    c = np.array([True, False, True])
    x = sample("real", (3, 3, 2), "float32", seed=16)
    rows = lambda cc, xx: np.where(cc[:, None, None], xx, -xx)  # noqa: E731
    check_op(lambda cc, xx: gf.where(cc, xx, -xx), rows, [c, x], device, feed_shapes=[(None,), (None, 3, 2)])
    square = sample("real", (3, 3), "float32", seed=17)
    check_op(lambda cc, xx: gf.where_v2(cc, xx, -xx), lambda cc, xx: np.where(cc, xx, -xx), [c, square], device)
    with pytest.raises(ValueError, match="picks rows.*first dim"):
        gf.where(gf.constant([True, False]), gf.ones([3, 2]), gf.zeros([3, 2]))


def test_tf1_where_matches_tf1() -> None:
    tf = need("tensorflow")
    c, x = np.array([True, False, True]), sample("real", (3, 3), "float64", seed=18)

    def run_in(m: Any) -> list[np.ndarray]:
        with m.Graph().as_default():
            xx = m.placeholder(m.float64, [None, 3])
            out = m.where(m.constant(c), xx, -2 * xx)
            with m.Session() as s:
                return s.run([out, m.gradients(m.reduce_sum(out * out), xx)[0]], {xx: x})
    for a, b in zip(run_in(gf), run_in(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_where_gradient() -> None:
    mask = sample("bool", (2, 3), "bool", seed=13)
    check_gradient(lambda x, y: gf.where(gf.constant(mask), x, y),
                   [sample("real", (2, 3), "float64", 14), sample("real", (3,), "float64", 15)])


def test_where_rejects_non_bool_condition() -> None:
    with pytest.raises(TypeError):
        gf.where(gf.constant([1.0]), gf.constant([1.0]), gf.constant([2.0]))


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ("float32", "float64", "int32"))
def test_clip_by_value(dtype: str, device: str) -> None:
    x = sample("real", (3, 4), dtype, seed=16) * 2
    lo = np.array([-1, -2, 0, -3], dtype=dtype)
    check_op(lambda t, low: [gf.clip_by_value(t, -1, 2), gf.clip_by_value(t, low, 1)],
             lambda t, low: [np.clip(t, -1, 2).astype(dtype), np.minimum(np.maximum(t, low), 1).astype(dtype)],
             [x, lo], device)


def test_clip_by_value_gradient() -> None:
    x = np.array([[-1.7, -0.3, 0.4], [0.9, 1.3, -0.8]])
    check_gradient(lambda t: gf.clip_by_value(t, -0.5, 1.0), [x])
    check_gradient(lambda t, lo, hi: gf.clip_by_value(t, lo, hi),
                   [x, np.array([-0.5, -0.6, 0.5]), np.array([1.0, 0.0, 1.2])])


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ("float32", "float64", "int32", "int64"))
def test_add_n(dtype: str, device: str) -> None:
    xs = [sample("real", (2, 3), dtype, seed=s) for s in (17, 18, 19)]
    check_op(lambda a, b, c: [gf.add_n([a, b, c]), gf.add_n([a])], lambda a, b, c: [a + b + c, a], xs, device)


def test_add_n_gradient() -> None:
    check_gradient(lambda a, b, c: gf.add_n([a, b, c]) * b,
                   [sample("real", (2, 3), "float64", seed=s) for s in (20, 21, 22)])


def test_add_n_empty_raises() -> None:
    with pytest.raises(ValueError):
        gf.add_n([])


# ---- operators on tensors ------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_operators(device: str) -> None:
    a = sample("real", (2, 3), "float32", seed=23)
    b = sample("nonzero", (2, 3), "float32", seed=24)
    m = sample("real", (3, 2), "float32", seed=25)
    check_op(lambda x, y, z: [x + y, x - y, x * y, x / y, x // y, x % y, abs(x) ** 2.0, -x, x @ z,
                              2.0 + x, 2.0 - x, 2.0 * x, 2.0 / y, x < y, x <= y, x > y, x >= y,
                              (x < y) & (x > 0.0), (x < y) | (x > 0.0), ~(x < y)],
             lambda x, y, z: [x + y, x - y, x * y, x / y, np.floor_divide(x, y), np.mod(x, y), np.abs(x) ** 2,
                              -x, x @ z, 2 + x, 2 - x, 2 * x, np.float32(2) / y, x < y, x <= y, x > y, x >= y,
                              (x < y) & (x > 0), (x < y) | (x > 0), ~(x < y)],
             [a, b, m], device)


def test_static_shape_mismatch_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3\)|2, 3"):
        gf.add(gf.zeros((2, 3)), gf.zeros((4,)))


# ---- matmul ----------------------------------------------------------------------------------------------

MATMUL_CASES = [  # (a shape, b shape, transpose_a, transpose_b)
    pytest.param((2, 3), (3, 4), False, False, id="plain"),
    pytest.param((3, 2), (3, 4), True, False, id="ta"),
    pytest.param((2, 3), (4, 3), False, True, id="tb"),
    pytest.param((3, 2), (4, 3), True, True, id="ta_tb"),
    pytest.param((2, 2, 3), (2, 3, 4), False, False, id="batched"),
    pytest.param((2, 1, 3, 2), (3, 3, 4), True, False, id="broadcast_batch"),
    pytest.param((2, 3), (2, 4, 3), False, True, id="rank2_with_batch"),
]


def _np_matmul(ta: bool, tb: bool) -> Callable[..., np.ndarray]:
    return lambda a, b: np.matmul(np.swapaxes(a, -1, -2) if ta else a, np.swapaxes(b, -1, -2) if tb else b)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("sa,sb,ta,tb", MATMUL_CASES)
def test_matmul(sa: tuple, sb: tuple, ta: bool, tb: bool, dtype: str, device: str) -> None:
    a, b = sample("real", sa, dtype, seed=26), sample("real", sb, dtype, seed=27)
    check_op(lambda x, y: gf.matmul(x, y, transpose_a=ta, transpose_b=tb), _np_matmul(ta, tb), [a, b], device)


@pytest.mark.parametrize("sa,sb,ta,tb", MATMUL_CASES)
def test_matmul_gradient(sa: tuple, sb: tuple, ta: bool, tb: bool) -> None:
    check_gradient(lambda x, y: gf.matmul(x, y, transpose_a=ta, transpose_b=tb),
                   [sample("real", sa, "float64", seed=28), sample("real", sb, "float64", seed=29)])


@pytest.mark.parametrize("device", TARGETS)
def test_matmul_none_batch_dims(device: str) -> None:
    a, b = sample("real", (2, 1, 3, 4), "float32", 30), sample("real", (3, 4, 2), "float32", 31)
    check_op(lambda x, y: [gf.matmul(x, y), gf.matmul(y, x, transpose_a=True, transpose_b=True)],
             lambda x, y: [x @ y, np.swapaxes(y, -1, -2) @ np.swapaxes(x, -1, -2)], [a, b], device,
             feed_shapes=[(None, None, 3, 4), (None, 4, None)])


def test_matmul_runtime_inner_dim_mismatch_raises() -> None:
    x = gf.placeholder(gf.float32, (None, None))
    y = gf.placeholder(gf.float32, (None, 2))
    with pytest.raises(gf.errors.InvalidArgumentError):
        run(gf.matmul(x, y), {x: np.ones((2, 3), np.float32), y: np.ones((4, 2), np.float32)})


def test_matmul_static_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="3 and 4"):
        gf.matmul(gf.zeros((2, 3)), gf.zeros((4, 5)))
    with pytest.raises(ValueError, match="rank >= 2"):
        gf.matmul(gf.zeros((3,)), gf.zeros((3, 2)))


# ---- tensordot and einsum --------------------------------------------------------------------------------

TENSORDOT_CASES = [  # (a shape, b shape, axes)
    pytest.param((2, 3, 4), (3, 4, 5), 2, id="int2"),
    pytest.param((2, 3), (4, 5), 0, id="outer"),
    pytest.param((3, 2, 4), (2, 5, 3), [[1, 0], [0, 2]], id="pairs"),
    pytest.param((3, 4), (4, 2), [[-1], [0]], id="negative_axis"),
    pytest.param((2, 3), (3,), 1, id="matvec"),
]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("sa,sb,axes", TENSORDOT_CASES)
def test_tensordot(sa: tuple, sb: tuple, axes: Any, device: str) -> None:
    a, b = sample("real", sa, "float64", 33), sample("real", sb, "float64", 34)
    check_op(lambda x, y: gf.tensordot(x, y, axes), lambda x, y: np.tensordot(x, y, axes), [a, b], device)


@pytest.mark.parametrize("sa,sb,axes", TENSORDOT_CASES)
def test_tensordot_gradient(sa: tuple, sb: tuple, axes: Any) -> None:
    check_gradient(lambda x, y: gf.tensordot(x, y, axes),
                   [sample("real", sa, "float64", 35), sample("real", sb, "float64", 36)])


@pytest.mark.parametrize("device", TARGETS)
def test_tensordot_int_and_unknown_dims(device: str) -> None:
    a, b = sample("real", (2, 3, 4), "int32", 37), sample("real", (3, 4, 2), "int32", 38)
    check_op(lambda x, y: gf.tensordot(x, y, 2), lambda x, y: np.tensordot(x, y, 2).astype(np.int32), [a, b],
             device, feed_shapes=[(None, 3, 4), (3, 4, None)])


def test_tensordot_size_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="size"):
        gf.tensordot(gf.zeros((2, 3)), gf.zeros((4, 5)), 1)


EINSUM_CASES = [  # (equation, operand shapes)
    pytest.param("ij,jk->ik", [(2, 3), (3, 4)], id="matmul"),
    pytest.param("ij,kj->ik", [(2, 3), (4, 3)], id="matmul_tb"),
    pytest.param("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)], id="batched"),
    pytest.param("i,j->ij", [(3,), (4,)], id="outer"),
    pytest.param("ij,ij->", [(2, 3), (2, 3)], id="full_contraction"),
    pytest.param("ij,ij->ij", [(2, 3), (2, 3)], id="hadamard"),
    pytest.param("ij,jk", [(2, 3), (3, 4)], id="implicit_output"),
    pytest.param("...ij,jk->...ik", [(2, 2, 3), (3, 4)], id="ellipsis"),
    pytest.param("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)], id="attention"),
    pytest.param("ijk,jl->lk", [(2, 3, 2), (3, 2)], id="sum_out_and_permute"),
    pytest.param("ab,cd->ca", [(2, 3), (4, 2)], id="independent_sums"),
    pytest.param("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)], id="ellipsis_broadcast"),
    pytest.param("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], id="three_operands"),
    pytest.param("bi,bi,b->b", [(3, 2), (3, 2), (3,)], id="three_batch"),
]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum(eq: str, shapes: list, device: str) -> None:
    xs = [sample("real", s, "float64", 40 + k) for k, s in enumerate(shapes)]
    check_op(lambda *p: gf.einsum(eq, *p), lambda *a: np.einsum(eq, *a), xs, device)


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum_gradient(eq: str, shapes: list) -> None:
    check_gradient(lambda *p: gf.einsum(eq, *p),
                   [sample("real", s, "float64", 50 + k) for k, s in enumerate(shapes)])


@pytest.mark.parametrize("device", TARGETS)
def test_einsum_float32_and_unknown_dims(device: str) -> None:
    a = sample("real", (2, 3, 4), "float32", 60)
    b = sample("real", (4, 5), "float32", 61)
    check_op(lambda x, y: gf.einsum("bij,jk->bik", x, y), lambda x, y: np.einsum("bij,jk->bik", x, y),
             [a, b], device, feed_shapes=[(None, None, 4), (4, None)])


@pytest.mark.parametrize("device", TARGETS)
def test_einsum_unknown_dims_without_matmul_layout(device: str) -> None:
    """Two unknown free dims and two unknown summed dims: no single reshape per operand exists, so
    the broadcasting multiply + reduce_sum path runs."""
    a = sample("real", (2, 3, 2, 4), "float64", 62)
    b = sample("real", (2, 4, 3), "float64", 63)
    check_op(lambda x, y: gf.einsum("ijkl,klm->ijm", x, y), lambda x, y: np.einsum("ijkl,klm->ijm", x, y),
             [a, b], device, feed_shapes=[(None, None, None, None), (None, None, None)])


def test_einsum_errors() -> None:
    a, b = gf.zeros((2, 3)), gf.zeros((3, 4))
    with pytest.raises(ValueError, match="operands"):
        gf.einsum("ij,jk,kl->il", a, b)
    with pytest.raises(ValueError, match="rank"):
        gf.einsum("ijk,jk->i", a, b)
    with pytest.raises(ValueError, match="size"):
        gf.einsum("ij,ik->jk", a, b)
    with pytest.raises(ValueError, match="repeated"):
        gf.einsum("ii,ij->j", gf.zeros((3, 3)), b)
