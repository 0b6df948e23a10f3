"""The special functions are written once (graphflow/compiler/special_math.py): the CPU compiles
them with numba.njit, CUDA kernels nest their source (compiler/cuda/special.py). On the CUDA
target (GRAPHFLOW_TEST_CUDA=1: the simulator, or a GPU) each must give the CPU's values over its
whole domain: a grid with its poles, edges, infinities, NaN and the points where the algorithms
switch branches. (Their accuracy against SciPy is test_math_extras.py's.)"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.special as sp

import graphflow as gf
from graphflow.compiler import special_math
from graphflow.compiler.cpu import fastmath
from graphflow.compiler.cuda import special
from tests.harness import TARGETS

EDGES = [0.0, -0.0, -1.0, -2.0, -2.5, 1e-300, -1e-300, 1e300, np.inf, -np.inf, np.nan, 0.5, 1.0, 6.0, 19.999, 20.0,
         20.001, 1e-8]
LINE = np.concatenate([np.linspace(-30, 30, 241), EDGES])
PROB = np.concatenate([np.linspace(0, 1, 81), [1e-300, 1e-20, 1 - 1e-12, -0.1, 1.1, np.nan, 0.425, 0.075, 0.925]])
POSITIVE = np.concatenate([np.linspace(0.05, 30, 14), [1e-3, 1e3, 0.0, -1.0, np.nan, np.inf]])


def _pairs(first: np.ndarray, second: np.ndarray) -> list[np.ndarray]:
    return [v.ravel() for v in np.meshgrid(first, second)]


def _igamma_grad_a(a: Any, x: Any) -> Any:
    return gf.gradients(gf.igamma(a, x), a)[0]


# name -> (graph builder, inputs)
CASES: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "erf": (gf.erf, [LINE / 5]), "erfc": (gf.erfc, [LINE / 5]), "lgamma": (gf.lgamma, [LINE]),
    "digamma": (gf.digamma, [LINE]), "trigamma": (lambda x: gf.gradients(gf.digamma(x), x)[0], [LINE]),
    "ndtri": (gf.math.ndtri, [PROB]), "erfinv": (gf.math.erfinv, [PROB * 2 - 1]),
    "i0e": (gf.math.bessel_i0e, [LINE * 3]), "i1e": (gf.math.bessel_i1e, [LINE * 3]),
    "igamma": (gf.igamma, _pairs(POSITIVE, POSITIVE)), "igammac": (gf.igammac, _pairs(POSITIVE, POSITIVE)),
    "igamma_grad_a": (_igamma_grad_a, _pairs(POSITIVE, POSITIVE)),
    "betainc": (gf.betainc, [v.ravel() for v in np.meshgrid(POSITIVE[::2], POSITIVE[::3], PROB[::4])]),
    "zeta": (gf.zeta, _pairs(np.concatenate([np.linspace(0.5, 20, 14), [1.0, 2.0, 4.0, np.nan]]),
                             np.concatenate([np.linspace(-5, 20, 26), [1e-3, 1e6, np.nan]]))),
}


def test_every_shared_function_has_a_case_and_a_cpu_version() -> None:
    assert set(CASES) == set(special_math.FUNCTIONS)
    for name, fn in special_math.FUNCTIONS.items():
        assert getattr(fastmath, name).py_func is fn  # generated CPU code's ``gfmath.<name>``


def _values(name: str, dtype: str, device: str) -> np.ndarray:
    fn, inputs = CASES[name]
    with gf.Graph().as_default():
        xs = [gf.placeholder(getattr(gf, dtype), [None]) for _ in inputs]
        y = fn(*xs)
        with gf.Session(device=device) as sess, np.errstate(all="ignore"):
            return np.asarray(sess.run(y, {x: v.astype(dtype) for x, v in zip(xs, inputs)}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("device", ["cuda"])
def test_cuda_gives_the_cpus_values(name: str, dtype: str, device: str) -> None:
    want = _values(name, dtype, "cpu")
    got = _values(name, dtype, device)
    # the same arithmetic; only the math library differs (libdevice or, in the simulator, Python's,
    # against the CPU's libm): an ulp or two of a float64 erf, lgamma or log, and what follows
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == "float64" else 2e-7, atol=1e-300,
                               err_msg=f"{name} {dtype}")


def test_a_kernel_nests_the_shared_source() -> None:
    """``gfmath.igamma_grad_a(a, x)`` in a kernel line calls the definitions nested at the top of
    the kernel: the function, what it calls (digamma among them), the constants they read."""
    lines = ["import math", "", "", "@cuda.jit", "def kernel(p0, p1, r0):",
             "    r0[0] = " + special.calls("gfmath.igamma_grad_a(p0[0], p1[0])")]
    src = "\n".join(special.nest(lines))
    assert "gfmath" not in src and "r0[0] = igamma_grad_a(p0[0], p1[0])" in src
    for name in ("igamma_grad_a", "_igamma_both", "_igamma_series", "_igammac_fraction", "digamma"):
        assert f"\n    def {name}(" in src
    assert "\n_EPS = 1.1102230246251565e-16\n" in src
    assert src.index("def digamma(") < src.index("def _igamma_series(")  # callees first
    compile(src, "<kernel>", "exec")


@pytest.mark.parametrize("device", TARGETS)
def test_erfc_keeps_its_upper_tail(device: str) -> None:
    """erfc is its own function, not 1 - erf (which is 0 past x = 6 in float64 and loses digits
    long before): TF's values there, and its gradient."""
    xv = np.array([-2.0, 0.5, 5.0, 10.0, 20.0, 26.0])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        y = gf.erfc(x)
        with gf.Session(device=device) as sess:
            got, grad = sess.run([y, gf.gradients(y, x)[0]], {x: xv})
    np.testing.assert_allclose(got, sp.erfc(xv), rtol=1e-13)
    np.testing.assert_allclose(grad, -2 / np.sqrt(np.pi) * np.exp(-xv * xv), rtol=1e-13)


@pytest.mark.parametrize("device", TARGETS)
def test_digamma_and_trigamma_are_accurate_to_float64(device: str) -> None:
    """The asymptotic series starts at x >= 10 with terms to z^-14 (from x >= 6 with five terms
    digamma was off by 4e-11 and trigamma by 1e-9, which made central differences of entropies
    rough)."""
    xv = np.concatenate([np.linspace(0.05, 40, 4001), np.geomspace(1e-3, 1e6, 400)])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        d = gf.digamma(x)
        with gf.Session(device=device) as sess:
            dv, tv = sess.run([d, gf.gradients(d, x)[0]], {x: xv})
    away = np.abs(sp.digamma(xv)) > 0.1  # (relative error means nothing at digamma's root, 1.4616)
    np.testing.assert_allclose(dv[away], sp.digamma(xv)[away], rtol=2e-14)
    np.testing.assert_allclose(tv, sp.polygamma(1, xv), rtol=2e-14)
