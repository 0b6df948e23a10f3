"""Vectorisable float32 transcendental functions for the CPU kernels.

Numba calls libm per element for ``np.exp`` / ``np.tanh`` on float32 (no SVML in the PyPI
llvmlite), about 10-15 ns each, and LLVM cannot vectorise a loop around such a call. These
versions are straight-line float32 arithmetic that LLVM inlines and vectorises:

- ``exp``: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two parts so n ln2 is exact), e^r by a
  degree-7 Taylor polynomial (truncation error below 2e-9 relative there), and 2^n built from
  its exponent bits. Inputs above 88.72 give inf, below -103.97 give 0, NaN stays NaN.
- ``tanh``: 1 - 2 / (e^{2|x|} + 1) with the sign restored, except for |x| < 0.55, where that
  form loses relative precision and x + x^3 P(x^2) is used, P of degree 5 fitted by weighted least
  squares on Chebyshev nodes (relative error 3e-11 in float64, before float32 rounding).
- ``sigmoid``: 1 / (1 + e^{-x}).

tests/test_cpu_math.py checks every float32 value on a dense grid (and special values) against
numpy within 2 float32 ulp.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from graphflow.compiler import special_math

_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693145751953125)  # the high bits of ln 2: n * _LN2_HI is exact for |n| < 256
_LN2_LO = np.float32(1.4286068203094172e-06)
# "contract": multiply-adds may fuse into FMAs (one rounding instead of two: never less accurate),
# inlined into the kernels that call these too; 0.89 -> 0.61 ns per exp, 1.71 -> 1.34 per tanh,
# an LSTM step's gate chain 77 -> 62 us (8192 elements, AVX2, 2026-12-06)
_jit = numba.njit(error_model="numpy", nogil=True, cache=True, fastmath={"contract"})

# the special functions (float64 inside; templates cast the result to the op's dtype), written once
# for both targets in compiler/special_math.py; generated kernels reach them here, as ``gfmath.<name>``
betainc, digamma, erf, erfc, erfinv, i0e, i1e, igamma, igamma_grad_a, igammac, lgamma, ndtri, trigamma, zeta = (
    _jit(special_math.FUNCTIONS[name]) for name in (
        "betainc", "digamma", "erf", "erfc", "erfinv", "i0e", "i1e", "igamma", "igamma_grad_a", "igammac",
        "lgamma", "ndtri", "trigamma", "zeta"))


@intrinsic
def _bits_to_float(typingctx, bits):  # type: ignore[no-untyped-def]
    """The float32 whose IEEE bits are the int32 ``bits``."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.FloatType())
    return sig, codegen


@_jit
def exp(x):  # type: ignore[no-untyped-def]
    xc = min(max(x, np.float32(-103.97)), np.float32(88.72))
    n = np.floor(xc * _LOG2E + np.float32(0.5))
    r = (xc - n * _LN2_HI) - n * _LN2_LO
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    ni = np.int32(n)
    # 2^n as two factors, so that n down to -150 (subnormal results) stays representable
    half = ni >> 1
    s1 = _bits_to_float(np.int32((half + 127) << 23))
    s2 = _bits_to_float(np.int32((ni - half + 127) << 23))
    y = p * s1 * s2
    y = np.float32(np.inf) if x > np.float32(88.72) else y
    y = np.float32(0.0) if x < np.float32(-103.97) else y
    return x if x != x else y


@_jit
def tanh(x):  # type: ignore[no-untyped-def]
    a = min(max(x, -x), np.float32(20.0))
    e = exp(a + a)
    big = np.float32(1.0) - np.float32(2.0) / (e + np.float32(1.0))
    a2 = a * a
    q = np.float32(0.00240163)
    q = q * a2 + np.float32(-0.00841936)
    q = q * a2 + np.float32(0.02178471)
    q = q * a2 + np.float32(-0.05395995)
    q = q * a2 + np.float32(0.13333296)
    q = q * a2 + np.float32(-0.33333333)
    small = a + a * a2 * q
    t = small if a < np.float32(0.55) else big
    t = t if x >= np.float32(0.0) else -t
    return x if x != x else t


@_jit
def sigmoid(x):  # type: ignore[no-untyped-def]
    return np.float32(1.0) / (np.float32(1.0) + exp(-x))
