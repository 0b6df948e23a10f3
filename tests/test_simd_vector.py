"""The SIMD vocabulary of generated CPU kernels (``compiler/cpu/simd/vector.py``): every operation
against numpy, in float32 and float64, at the host's width and at narrower and wider ones (LLVM
splits a vector wider than the registers), tails included."""
from __future__ import annotations

from fractions import Fraction

import numba
import numpy as np
import pytest

from graphflow.compiler.cpu.simd import vector as V
from graphflow.compiler.cpu.simd.vector import (
    vadd,
    vfma,
    vload,
    vload_n,
    vmax,
    vmaxreduce,
    vmul,
    vselect_eq,
    vselect_gt,
    vsplat,
    vstore,
    vstore_n,
    vsum,
    vzero,
)


def _axpy(lanes: int) -> numba.core.registry.CPUDispatcher:
    """y += a * x, ``lanes`` at a time, the tail through the first-n-lanes forms (``lanes`` is a
    constant of the compiled function, as in generated kernels)."""
    @numba.njit
    def axpy(a, x, y):
        va = vsplat(a, lanes)
        n = x.size
        i = 0
        while i + lanes <= n:
            vstore(y, i, vfma(va, vload(x, i, lanes), vload(y, i, lanes)))
            i += lanes
        if i < n:
            vstore_n(y, i, vfma(va, vload_n(x, i, n - i, lanes), vload_n(y, i, n - i, lanes)), n - i)
    return axpy


_AXPY = {lanes: _axpy(lanes) for lanes in (4, 8, 16)}


@numba.njit
def _reduce_8(x):
    s = vzero(x, 8)
    m = vload(x, 0, 8)
    p = vload(x, 0, 8)
    for i in range(8, x.size - 7, 8):
        v = vload(x, i, 8)
        s = vadd(s, v)
        m = vmax(m, v)
        p = vmul(p, v)
    return vsum(vadd(s, vload(x, 0, 8))), vmaxreduce(m), vsum(p)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lanes", sorted(_AXPY))
@pytest.mark.parametrize("n", [0, 1, 3, 8, 15, 16, 17, 40, 63])
def test_loads_stores_and_fma_with_tails(dtype: type, lanes: int, n: int) -> None:
    rng = np.random.RandomState(n)
    x = rng.randn(n + 5).astype(dtype)
    y = rng.randn(n + 5).astype(dtype)
    want = y.copy()
    # a fused multiply-add rounds once: the exact value, rounded (to float64, then to float32: at
    # most one ulp from the single rounding)
    want[:n] = [float(Fraction(1.5) * Fraction(float(a)) + Fraction(float(b))) for a, b in zip(x[:n], y[:n])]
    _AXPY[lanes](dtype(1.5), x[:n], y[:n])
    np.testing.assert_array_max_ulp(y[:n], want[:n], maxulp=0 if dtype == np.float64 else 1)
    assert (y[n:] == want[n:]).all(), "a tail store wrote past the array's end"


def test_masked_load_reads_nothing_past_the_end() -> None:
    """A tail load at the very end of a page-sized array's memory does not fault, and the lanes
    past ``n`` are zero."""
    @numba.njit
    def tail_sum(x, i, n):
        return vsum(vload_n(x, i, n, 8))
    big = np.arange(1 << 14, dtype=np.float32)
    assert tail_sum(big, big.size - 3, 3) == big[-3:].sum()
    assert tail_sum(big, 0, 0) == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reductions(dtype: type) -> None:
    x = np.random.RandomState(0).uniform(0.5, 1.5, 64).astype(dtype)
    total, best, prod = _reduce_8(x)
    lanes = x.reshape(-1, 8)
    np.testing.assert_allclose(total, x.astype(np.float64).sum(), rtol=1e-5)
    assert best == x.max()
    np.testing.assert_allclose(prod, np.prod(lanes, axis=0).astype(np.float64).sum(), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_selects_compare_lanes_and_are_false_on_nan(dtype: type) -> None:
    @numba.njit
    def selects(a, b, x, y, gt, eq):
        va, vb, vx, vy = vload(a, 0, 8), vload(b, 0, 8), vload(x, 0, 8), vload(y, 0, 8)
        vstore(gt, 0, vselect_gt(va, vb, vx, vy))
        vstore(eq, 0, vselect_eq(va, vb, vx, vy))
    a = np.array([1, 2, 3, np.nan, 5, -np.inf, 0, np.nan], dtype)
    b = np.array([0, 2, 4, 1, np.nan, -np.inf, -0.0, np.nan], dtype)
    x, y = np.arange(8).astype(dtype), -np.arange(1, 9).astype(dtype)
    gt, eq = np.empty(8, dtype), np.empty(8, dtype)
    selects(a, b, x, y, gt, eq)
    np.testing.assert_array_equal(gt, np.where(a > b, x, y))
    np.testing.assert_array_equal(eq, np.where(a == b, x, y))


def test_types_are_checked() -> None:
    @numba.njit
    def mixed(a, b):
        return vsum(vadd(vload(a, 0, 8), vload(b, 0, 8)))
    with pytest.raises(numba.core.errors.TypingError, match="vectors of one type"):
        mixed(np.zeros(8, np.float32), np.zeros(8, np.float64))

    @numba.njit
    def runtime_lanes(a, k):
        return vsum(vload(a, 0, k))
    with pytest.raises(numba.core.errors.TypingError, match="positive literal int"):
        runtime_lanes(np.zeros(8, np.float32), 8)

    @numba.njit
    def ints(a):
        return vload(a, 0, 4)
    with pytest.raises(numba.core.errors.TypingError, match="float array"):
        ints(np.zeros(8, np.int64))


def test_host_lanes_follow_the_cpu_features(monkeypatch: pytest.MonkeyPatch) -> None:
    for feats, f32, f64 in [({"avx512f", "avx2", "avx"}, 16, 8), ({"avx2", "avx", "fma"}, 8, 4),
                            ({"sse2"}, 4, 2), (set(), 0, 0)]:
        monkeypatch.setattr(V, "host_features", lambda feats=feats: frozenset(feats))
        assert (V.host_lanes(np.float32), V.host_lanes(np.float64)) == (f32, f64)
