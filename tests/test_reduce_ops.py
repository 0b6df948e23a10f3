"""Reductions and argmax/argmin: one record per op over axes (None, int, negative, lists), keepdims,
dtypes and targets against numpy, plus float64 gradient checks."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.test_math_ops import FLOATS, INTS, sample


def _int_mean(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """TF1's integer mean: the sum divided by the count in C++ integer division (toward zero)."""
    s = np.sum(x, axis=axis, keepdims=keepdims)
    n = x.size // max(1, np.asarray(s).size)
    return (np.sign(s) * (np.abs(s) // n)).astype(x.dtype)


def _mean(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    if x.dtype.kind in "iu":
        return _int_mean(x, axis, keepdims)
    return np.mean(x, axis=axis, keepdims=keepdims).astype(x.dtype)


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return (out if keepdims else np.squeeze(out, axis=axis)).astype(x.dtype)


@dataclass(frozen=True)
class Record:
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    domain: str
    dtypes: tuple[str, ...]
    grad: bool = True


def _typed(f: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, axis=None, keepdims=False: np.asarray(f(x, axis=axis, keepdims=keepdims)).astype(x.dtype)


REDUCTIONS = [
    Record("reduce_sum", gf.reduce_sum, _typed(np.sum), "real", FLOATS + INTS),
    Record("reduce_mean", gf.reduce_mean, _mean, "real", FLOATS + INTS),
    Record("reduce_max", gf.reduce_max, _typed(np.max), "real", FLOATS + INTS),
    Record("reduce_min", gf.reduce_min, _typed(np.min), "real", FLOATS + INTS),
    Record("reduce_prod", gf.reduce_prod, _typed(np.prod), "nonzero", FLOATS + INTS),
    Record("reduce_logsumexp", gf.reduce_logsumexp, _logsumexp, "real", FLOATS),
    Record("reduce_any", gf.reduce_any, np.any, "bool", ("bool",), grad=False),
    Record("reduce_all", gf.reduce_all, np.all, "bool", ("bool",), grad=False),
]

AXES = [None, 0, -1, 1, [0, 2], [-1, -3], (1, 2), []]


def _cases() -> list[Any]:
    return [pytest.param(r, d, id=f"{r.name}-{d}") for r in REDUCTIONS for d in r.dtypes]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("rec,dtype", _cases())
def test_reduction_axes_and_keepdims(rec: Record, dtype: str, device: str) -> None:
    """Every axis form, with and without keepdims, fetched from one graph."""
    x = sample(rec.domain, (2, 3, 2), dtype, seed=1)

    def build(t: Any) -> list:
        return [rec.fn(t, axis=ax, keepdims=kd) for ax in AXES for kd in (False, True)]

    def want(a: np.ndarray) -> list:
        return [rec.ref(a, axis=tuple(ax) if isinstance(ax, list) else ax, keepdims=kd)
                for ax in AXES for kd in (False, True)]
    check_op(build, want, [x], device)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("rec", [pytest.param(r, id=r.name) for r in REDUCTIONS])
def test_reduction_unknown_dims(rec: Record, device: str) -> None:
    dtype = rec.dtypes[-1] if rec.name != "reduce_logsumexp" else "float64"
    x = sample(rec.domain, (3, 2, 4), dtype, seed=2)
    check_op(lambda t: [rec.fn(t), rec.fn(t, axis=1), rec.fn(t, axis=[0, -1], keepdims=True)],
             lambda a: [rec.ref(a), rec.ref(a, axis=1), rec.ref(a, axis=(0, 2), keepdims=True)],
             [x], device, feed_shapes=[(None, 2, None)])


@pytest.mark.parametrize("rec", [pytest.param(r, id=r.name) for r in REDUCTIONS if r.grad])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (-1, False), ([0, 2], True)])
def test_reduction_gradient(rec: Record, axis: Any, keepdims: bool) -> None:
    x = sample(rec.domain, (2, 3, 2), "float64", seed=3)
    check_gradient(lambda t: rec.fn(t, axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("device", TARGETS)
def test_reductions_of_fused_broadcast_expressions(device: str) -> None:
    """Reductions fused with the elementwise ops feeding them, over broadcast operands whose sizes are
    only known at run time (including size-1 dims that broadcast)."""
    a = sample("real", (3, 1), "float64", seed=7)
    b = sample("real", (4,), "float64", seed=8)
    check_op(lambda x, y: [gf.reduce_sum(x * y + 1.0, axis=0), gf.reduce_max(gf.exp(x - y), axis=-1, keepdims=True),
                           gf.reduce_mean(x * y), gf.reduce_min(x + y, axis=[0, 1]), gf.reduce_prod(x - y, axis=0)],
             lambda x, y: [np.sum(x * y + 1, axis=0), np.max(np.exp(x - y), axis=-1, keepdims=True),
                           np.mean(x * y), np.min(x + y), np.prod(x - y, axis=0)],
             [a, b], device, feed_shapes=[(None, None), (None,)])


def test_reduce_max_gradient_splits_ties() -> None:
    """Tied maxima share the gradient equally (TF1's rule)."""
    x = gf.placeholder(gf.float64, (2, 3))
    (g,) = gf.gradients(gf.reduce_max(x, axis=1), [x])
    got = run(g, {x: np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])})
    np.testing.assert_allclose(got, [[0, 0.5, 0.5], [1, 0, 0]])


def test_reduce_prod_gradient_with_zero() -> None:
    """d prod / d x_i = prod of the others, also where x_i is the only zero."""
    x = gf.placeholder(gf.float64, (3,))
    (g,) = gf.gradients(gf.reduce_prod(x), [x])
    got = run(g, {x: np.array([2.0, 0.0, 3.0])})
    np.testing.assert_allclose(got, [0.0, 6.0, 0.0])


@pytest.mark.parametrize("device", TARGETS)
def test_integer_mean_truncates_toward_zero(device: str) -> None:
    x = np.array([[-1, -2], [3, 4], [-7, 0]], dtype=np.int32)
    check_op(lambda t: [gf.reduce_mean(t, axis=1), gf.reduce_mean(t)],
             lambda a: [np.array([-1, 3, -3], np.int32), np.int32(-0)], [x], device)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_is_stable(dtype: str, device: str) -> None:
    """Large inputs do not overflow, all -inf rows give -inf, and +inf gives +inf."""
    big = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.5], [-np.inf, -np.inf, -np.inf],
                    [np.inf, 1.0, 2.0]], dtype=dtype)
    hi = np.float64(1000) + np.log(2 + np.exp(-1.0))
    lo = np.float64(-1000) + np.log(1 + np.exp(-1.0) + np.exp(-0.5))
    want = np.array([hi, lo, -np.inf, np.inf], dtype=dtype)
    check_op(lambda t: [gf.reduce_logsumexp(t, axis=1), gf.reduce_logsumexp(t[:2], axis=-1, keepdims=True)],
             lambda a: [want, want[:2, None]], [big], device)


def test_logsumexp_gradient_large_inputs() -> None:
    """The gradient is softmax, also for inputs whose exp overflows."""
    x = np.array([[1000.0, 1001.0, 999.5], [-1000.0, -999.0, -1002.0]])
    check_gradient(lambda t: gf.reduce_logsumexp(t, axis=1), [x])


@pytest.mark.parametrize("device", TARGETS)
def test_reduction_axes_given_as_tensors(device: str) -> None:
    x = sample("real", (2, 3, 4), "float32", seed=6)
    check_op(lambda t: [gf.reduce_sum(t, axis=gf.constant([0, -1])), gf.reduce_max(t, gf.rank(t) - 1),
                        gf.reduce_mean(t, reduction_indices=[1], keep_dims=True)],
             lambda a: [a.sum(axis=(0, 2)), a.max(axis=2), a.mean(axis=1, keepdims=True)], [x], device)
    axis = gf.placeholder(gf.int32, ())  # known only when run (tests/test_run_time_args.py has more)
    with gf.Session(device=device) as s:
        np.testing.assert_allclose(s.run(gf.reduce_sum(x, axis=axis), {axis: 1}), x.sum(axis=1), rtol=1e-6)


def test_reduction_axis_out_of_range_raises() -> None:
    with pytest.raises(ValueError, match="out of range"):
        gf.reduce_sum(gf.zeros((2, 3)), axis=2)


# ---- argmax / argmin --------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_argmax_argmin(dtype: str, device: str) -> None:
    x = sample("real", (3, 4, 2), dtype, seed=4)  # small ints: ties pick the first index, as numpy
    check_op(lambda t: [gf.argmax(t, axis=ax) for ax in (0, 1, -1)] + [gf.argmin(t, axis=ax) for ax in (0, 1, -1)]
             + [gf.argmax(t, 1, output_type=gf.int32), gf.argmin(t, 2, output_type=gf.int32)],
             lambda a: [np.argmax(a, axis=ax) for ax in (0, 1, -1)] + [np.argmin(a, axis=ax) for ax in (0, 1, -1)]
             + [np.argmax(a, 1).astype(np.int32), np.argmin(a, 2).astype(np.int32)],
             [x], device)


@pytest.mark.parametrize("device", TARGETS)
def test_argmax_rank1_unknown_dims_and_dtype(device: str) -> None:
    v = np.array([1.0, 5.0, 5.0, -2.0], dtype=np.float32)
    m = sample("real", (3, 5), "float32", seed=5)
    check_op(lambda a, b: [gf.argmax(a, 0), gf.argmin(a, 0), gf.argmax(b, axis=1), gf.argmin(b, axis=0)],
             lambda a, b: [np.argmax(a), np.argmin(a), np.argmax(b, axis=1), np.argmin(b, axis=0)],
             [v, m], device, feed_shapes=[(None,), (None, None)])
    x = gf.constant([[1.0, 2.0]])
    assert gf.argmax(x, 1).dtype == gf.int64
    assert gf.argmin(x, 1, output_type=gf.int32).dtype == gf.int32


def test_argmax_is_not_differentiable() -> None:
    """As TF1 (NotDifferentiable): the gradient through an index is None, not an error."""
    x = gf.placeholder(gf.float64, (3,))
    assert gf.gradients(gf.cast(gf.argmax(x, 0), gf.float64), [x]) == [None]


@pytest.mark.parametrize("device", TARGETS)
def test_max_and_min_over_no_elements_are_the_identities(device: str) -> None:
    """TF1: reduce_max of nothing is -inf (an int dtype's min), reduce_min inf (its max)."""
    x = gf.placeholder(gf.float32, [None])
    rows = gf.placeholder(gf.float64, [2, None])
    ints = gf.placeholder(gf.int32, [None])
    got = run([gf.reduce_max(x), gf.reduce_min(x), gf.reduce_max(ints), gf.reduce_min(ints), gf.reduce_min(rows, 1)],
              {x: np.zeros(0, np.float32), ints: np.zeros(0, np.int32), rows: np.zeros((2, 0))}, device)
    assert got[0] == -np.inf and got[1] == np.inf
    assert got[2] == np.iinfo(np.int32).min and got[3] == np.iinfo(np.int32).max
    np.testing.assert_array_equal(got[4], [np.inf, np.inf])
