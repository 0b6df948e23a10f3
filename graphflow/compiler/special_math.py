"""Scalar special functions, written once for both targets (float64 inside; the templates cast
the result to the op's dtype). Generated code reaches them as ``gfmath.<name>``: the CPU's
compiler/cpu/fastmath.py compiles each with ``numba.njit`` (cached), and compiler/cuda/special.py
nests their source inside the CUDA kernels that call them.

Why nested source and not a device-function call: numba-cuda 0.30 types a call to another
function (``cuda.jit(device=True)``, ``register_jitable``, an ``overload``) by compiling it for the
current device's compute capability, which needs a GPU driver, so ``cuda.compile_ptx`` fails
without one (``CudaSupportError: Error at driver init``). A function defined inside the kernel is
inlined by numba's closure inliner before typing and compiles anywhere. So the code here keeps to
what both targets compile: ``math``'s functions (numba-cuda has no numpy ufuncs on scalars),
``np.float64()``, loops, early returns, tuples, calls among these functions (``register_jitable``
makes them callable from ``njit`` code) and the module's constants.

- ``erf`` and ``lgamma``: libm's (libdevice's on CUDA); ``digamma`` and ``trigamma``: recurrence,
  reflection and asymptotic series.
- ``ndtri`` / ``erfinv``: an Abramowitz-Stegun 26.2.23 first guess (absolute error below 4.5e-4),
  then Newton steps: on ``erf`` measured from 1/2 in the centre (so values near 0 keep their
  relative precision), on ``log Phi`` in the tails (so probabilities down to 1e-300 converge).
- ``i0e`` / ``i1e``: the power series up to |x| = 20, the asymptotic series beyond (its smallest
  term there is below e^{-40} relative).
- ``igamma`` / ``igammac`` and ``igamma_grad_a``: Cephes' series (x < a or x < 1) and continued
  fraction, the a-derivative carried through both by forward-mode accumulation.
- ``betainc``: the continued fraction (modified Lentz), with the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
- ``zeta``: Hurwitz zeta by Euler-Maclaurin summation, as Cephes (and TF1's Eigen kernel) does.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as _sp
from numba.core.extending import register_jitable

_EPS = 1.1102230246251565e-16
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
# Euler-Maclaurin's coefficients (2k)! / B_2k for k = 1..12
_ZETA_A = np.array([math.factorial(2 * k) / b for k, b in enumerate(_sp.bernoulli(24)[2::2], 1)])

# the functions generated code calls, by name; ``shared`` fills it
FUNCTIONS: dict[str, Callable[..., Any]] = {}
# every function here (helpers too), by name: what a CUDA kernel nests
ALL: dict[str, Callable[..., Any]] = {}


def shared(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn`` (callable from ``njit`` code, unchanged in Python); a name without a
    leading underscore is one generated code calls."""
    ALL[fn.__name__] = fn
    if not fn.__name__.startswith("_"):
        FUNCTIONS[fn.__name__] = fn
    # "contract": multiply-adds may fuse into FMAs on the CPU, as the kernels calling them do
    return register_jitable(error_model="numpy", fastmath={"contract"})(fn)  # type: ignore[no-any-return]


@shared
def _is_whole(v):  # type: ignore[no-untyped-def]
    """floor(v) == v (infinities included) without ``floor``, which is an integer on numba's CPU."""
    return v % 1.0 == 0.0 or abs(v) == math.inf


# ---- erf, lgamma, digamma and trigamma ---------------------------------------------------------

@shared
def erf(x):  # type: ignore[no-untyped-def]
    return math.erf(np.float64(x))


@shared
def erfc(x):  # type: ignore[no-untyped-def]
    return math.erfc(np.float64(x))  # (1 - erf(x) loses the upper tail: erfc(10) is 2e-45)


@shared
def lgamma(x):  # type: ignore[no-untyped-def]
    return math.lgamma(np.float64(x))


@shared
def digamma(x):  # type: ignore[no-untyped-def]
    """psi(x): the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic
    series to its z^-14 term (the first left out is below 1e-17 there); negative x by reflection
    psi(1 - x) - pi / tan(pi x). Poles (0, -1, ...) give NaN."""
    z = np.float64(x)
    if z != z or (z <= 0.0 and _is_whole(z)):
        return math.nan
    shift = 0.0
    if z < 0.0:
        shift = -math.pi / math.tan(math.pi * z)
        z = 1.0 - z
    acc = 0.0
    while z < 10.0:
        acc -= 1.0 / z
        z += 1.0
    f = 1.0 / (z * z)
    series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (
        1.0 / 132 - f * (691.0 / 32760 - f * (1.0 / 12)))))))
    return shift + acc + math.log(z) - 0.5 / z - series


@shared
def trigamma(x):  # type: ignore[no-untyped-def]
    """psi'(x), by the same recurrence and asymptotic series; reflection for negative x,
    psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x), without recursion (numba cannot link a function
    calling itself with other argument types: float32 x, float64 1 - x)."""
    z = np.float64(x)
    if z != z or (z <= 0.0 and _is_whole(z)):
        return math.nan
    reflected, sign = 0.0, 1.0
    if z < 0.0:
        s = math.sin(math.pi * z)
        reflected, sign = math.pi * math.pi / (s * s), -1.0
        z = 1.0 - z
    acc = 0.0
    while z < 10.0:  # (as digamma's: the series to its z^-15 term)
        acc += 1.0 / (z * z)
        z += 1.0
    f = 1.0 / (z * z)
    tail = 1.0 / z + 0.5 * f + (f / z) * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * (
        5.0 / 66 - f * (691.0 / 2730 - f * (7.0 / 6)))))))
    return reflected + sign * (acc + tail)


# ---- inverse normal CDF and inverse erf ---------------------------------------------------------

@shared
def _normal_quantile(q, r):  # type: ignore[no-untyped-def]
    """Phi^-1(1/2 + q), given both q and the tail mass r = min(p, 1 - p), each exact."""
    if r == 0.0:
        return math.copysign(math.inf, q)
    if q == 0.0:
        return 0.0
    t = math.sqrt(-2.0 * math.log(r))
    x = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
    if q < 0.0:
        x = -x
    if abs(q) <= 0.425:
        for _ in range(4):
            x -= (0.5 * math.erf(x / _SQRT2) - q) / (math.exp(-0.5 * x * x) / _SQRT2PI)
        return x
    lower = -abs(x)  # the tail below the mean; mirrored back at the end
    for _ in range(4):
        c = 0.5 * math.erfc(-lower / _SQRT2)
        lower -= (math.log(c) - math.log(r)) * c / (math.exp(-0.5 * lower * lower) / _SQRT2PI)
    return -lower if q > 0.0 else lower


@shared
def ndtri(p):  # type: ignore[no-untyped-def]
    """x with Phi(x) = p; -inf / inf at 0 / 1, NaN outside [0, 1]."""
    p = np.float64(p)
    if not (0.0 <= p <= 1.0):
        return math.nan
    return _normal_quantile(p - 0.5, p if p < 0.5 else 1.0 - p)


@shared
def erfinv(y):  # type: ignore[no-untyped-def]
    """z with erf(z) = y, as Phi^-1((1 + y) / 2) / sqrt(2) without forming 1 + y."""
    y = np.float64(y)
    if not (-1.0 <= y <= 1.0):
        return math.nan
    return _normal_quantile(0.5 * y, 0.5 * (1.0 - abs(y))) / _SQRT2


# ---- exponentially scaled modified Bessel functions ---------------------------------------------

@shared
def _bessel_ie(x, order):  # type: ignore[no-untyped-def]
    ax = abs(np.float64(x))
    if ax != ax:
        return math.nan
    if ax <= 20.0:
        q = 0.25 * ax * ax
        term, total, k = 1.0, 1.0, 1
        while term > _EPS * 0.1 * total:
            term *= q / (k * (k + order))
            total += term
            k += 1
        scale = 0.5 * ax if order == 1 else 1.0
        return total * scale * math.exp(-ax)
    if ax == math.inf:
        return 0.0
    mu = 4.0 * order * order
    term, total = 1.0, 1.0
    for k in range(1, 60):
        nxt = -term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * ax)
        if abs(nxt) >= abs(term):  # the asymptotic series starts to diverge
            break
        term = nxt
        total += term
        if abs(term) < _EPS * 0.1 * abs(total):
            break
    return total / math.sqrt(2.0 * math.pi * ax)


@shared
def i0e(x):  # type: ignore[no-untyped-def]
    """exp(-|x|) I0(x)."""
    return _bessel_ie(x, 0)


@shared
def i1e(x):  # type: ignore[no-untyped-def]
    """exp(-|x|) I1(x) (odd in x)."""
    v = _bessel_ie(x, 1)
    return -v if x < 0 else v


# ---- regularized incomplete gamma and its a-derivative ------------------------------------------

@shared
def _igamma_series(a, x):  # type: ignore[no-untyped-def]
    """(P(a, x), dP/da) by the series P = x^a e^-x / Gamma(a + 1) * sum x^n / ((a+1)...(a+n))."""
    log_front = a * math.log(x) - x - math.lgamma(a)
    if log_front < -745.0:
        return 0.0, 0.0
    front = math.exp(log_front)
    term, dterm, total, dtotal, r = 1.0, 0.0, 1.0, 0.0, a
    for _ in range(100000):
        r += 1.0
        dterm = dterm * x / r - term * x / (r * r)
        term *= x / r
        total += term
        dtotal += dterm
        if term <= _EPS * total:
            break
    value = front * total / a
    return value, value * (math.log(x) - digamma(a) - 1.0 / a) + front * dtotal / a


@shared
def _igammac_fraction(a, x):  # type: ignore[no-untyped-def]
    """(Q(a, x), dQ/da) by Cephes' continued fraction, differentiated alongside in a."""
    log_front = a * math.log(x) - x - math.lgamma(a)
    if log_front < -745.0:
        return 0.0, 0.0
    front = math.exp(log_front)
    y, z, c = 1.0 - a, x + 2.0 - a, 0.0
    pkm2, qkm2, pkm1, qkm1 = 1.0, x, x + 1.0, z * x
    dpkm2, dqkm2, dpkm1, dqkm1 = 0.0, 0.0, 0.0, -x
    ans, dans = pkm1 / qkm1, (dpkm1 * qkm1 - pkm1 * dqkm1) / (qkm1 * qkm1)
    for _ in range(100000):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c  # dz/da = -1, d(yc)/da = -c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        done = False
        if qk != 0.0:
            r = pk / qk
            dr = (dpk * qk - pk * dqk) / (qk * qk)
            done = abs(ans - r) <= _EPS * abs(r) and abs(dans - dr) <= 1e-14 * abs(dr) + 1e-300
            ans, dans = r, dr
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
        if abs(pk) > 4503599627370496.0:  # rescale before the convergents overflow
            s = 1.0 / 4503599627370496.0
            pkm2, pkm1, qkm2, qkm1 = pkm2 * s, pkm1 * s, qkm2 * s, qkm1 * s
            dpkm2, dpkm1, dqkm2, dqkm1 = dpkm2 * s, dpkm1 * s, dqkm2 * s, dqkm1 * s
        if done:
            break
    value = ans * front
    return value, value * (math.log(x) - digamma(a)) + dans * front


@shared
def _igamma_both(a, x):  # type: ignore[no-untyped-def]
    """(P, dP/da, use_q): P from whichever expansion converges at (a, x)."""
    if x <= 1.0 or x <= a:
        p, dp = _igamma_series(a, x)
        return p, dp, False
    q, dq = _igammac_fraction(a, x)
    return q, dq, True


@shared
def igamma(a, x):  # type: ignore[no-untyped-def]
    """P(a, x), the regularized lower incomplete gamma function; NaN for a <= 0 or x < 0."""
    a, x = np.float64(a), np.float64(x)
    if not (a > 0.0 and x >= 0.0):
        return math.nan
    if x == 0.0:
        return 0.0
    if x == math.inf:
        return 1.0
    v, _, is_q = _igamma_both(a, x)
    return 1.0 - v if is_q else v


@shared
def igammac(a, x):  # type: ignore[no-untyped-def]
    """Q(a, x) = 1 - P(a, x)."""
    a, x = np.float64(a), np.float64(x)
    if not (a > 0.0 and x >= 0.0):
        return math.nan
    if x == 0.0:
        return 1.0
    if x == math.inf:
        return 0.0
    v, _, is_q = _igamma_both(a, x)
    return v if is_q else 1.0 - v


@shared
def igamma_grad_a(a, x):  # type: ignore[no-untyped-def]
    """dP(a, x)/da."""
    a, x = np.float64(a), np.float64(x)
    if not (a > 0.0 and x >= 0.0):
        return math.nan
    if x == 0.0 or x == math.inf:
        return 0.0
    _, d, is_q = _igamma_both(a, x)
    return -d if is_q else d


# ---- regularized incomplete beta ----------------------------------------------------------------

@shared
def _beta_fraction(a, b, x):  # type: ignore[no-untyped-def]
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100000):
        for aa in (m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)),
                   -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) <= _EPS:
            break
    return h


@shared
def betainc(a, b, x):  # type: ignore[no-untyped-def]
    """I_x(a, b), the regularized incomplete beta function; NaN for a, b <= 0 or x outside [0, 1]."""
    a, b, x = np.float64(a), np.float64(b), np.float64(x)
    if not (a > 0.0 and b > 0.0 and 0.0 <= x <= 1.0):
        return math.nan
    if x == 0.0 or x == 1.0:
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


# ---- Hurwitz zeta ------------------------------------------------------------------------------

@shared
def zeta(x, q):  # type: ignore[no-untyped-def]
    """sum over k >= 0 of (k + q)^-x; inf at x = 1; NaN for x < 1."""
    x, q = np.float64(x), np.float64(q)
    if x != x or q != q:
        return math.nan
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if _is_whole(q):  # a pole: TF1's (Eigen's) inf for even integer x, NaN otherwise
            return math.inf if _is_whole(0.5 * x) else math.nan
        if not _is_whole(x):
            return math.nan  # (negative q)^-x is not real
    s = q ** -x
    a, i, b = q, 0, 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a ** -x
        s += b
        if abs(b / s) < _EPS:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    fac, k = 1.0, 0.0
    for j in range(12):
        fac *= x + k
        b /= w
        t = fac * b / _ZETA_A[j]
        s += t
        if abs(t / s) < _EPS:
            return s
        k += 1.0
        fac *= x + k
        b /= w
        k += 1.0
    return s
