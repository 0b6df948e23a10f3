"""The vectorisable float32 exp / tanh / sigmoid of compiler/cpu/fastmath.py, on dense grids and at
special values, against numpy in float64 rounded to float32 (errors in float32 ulp)."""
from __future__ import annotations

import numba
import numpy as np
import pytest

from graphflow.compiler.cpu import fastmath as cpu_math


def _loop(fn):  # type: ignore[no-untyped-def]
    @numba.njit(error_model="numpy")
    def run(a):  # type: ignore[no-untyped-def]
        out = np.empty_like(a)
        for i in range(a.size):
            out[i] = fn(a[i])
        return out
    return run


_RUN = {name: _loop(getattr(cpu_math, name)) for name in ("exp", "tanh", "sigmoid")}
_REF = {"exp": np.exp, "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x))}


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    step = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / np.maximum(step, float(np.finfo(np.float32).smallest_subnormal))


# (function, grid, ulp bound): sigmoid's bound is 3 because the division adds its own rounding
# to exp's below -16, where 1 + e^{-x} is e^{-x}
@pytest.mark.parametrize("name, lo, hi, bound", [("exp", -103.0, 88.7, 2.0), ("tanh", -12.0, 12.0, 2.0),
                                                  ("tanh", -0.7, 0.7, 2.0), ("sigmoid", -80.0, 80.0, 3.0)])
def test_within_float32_rounding_on_a_dense_grid(name: str, lo: float, hi: float, bound: float) -> None:
    x = np.linspace(lo, hi, 1_000_003, dtype=np.float32)
    err = _ulps(_RUN[name](x), _REF[name](x.astype(np.float64)))
    assert err.max() <= bound, f"{name}: {err.max():.2f} ulp at x={x[err.argmax()]!r}"


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid"])
def test_special_values(name: str) -> None:
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 89.0, -105.0, 1e-30, -1e-30, 1e-45], np.float32)
    with np.errstate(over="ignore"):
        want = _REF[name](x.astype(np.float64)).astype(np.float32)
    got = _RUN[name](x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-7, atol=0)


def test_float32_graphs_use_them_and_float64_graphs_keep_libm() -> None:
    from graphflow.core import dtypes
    from graphflow.core.registry import Op, get
    f32, f64 = dtypes.float32, dtypes.float64
    for op in (Op.EXP, Op.TANH, Op.SIGMOID):
        row = get(op)
        assert "gfmath." in row.scalar(None, (f32,), f32, "x")
        assert "gfmath." not in row.scalar(None, (f64,), f64, "x")
