"""More special functions, TF1's ``tf.math`` ones: erfinv, ndtri, the exponentially scaled
Bessel functions I0e and I1e, the regularized incomplete gamma (igamma, igammac, and igamma's
derivative in a) and beta (betainc) functions, Hurwitz zeta and nextafter, each one registry row;
and composites over them (erfcinv, bessel_i0, bessel_i1, polygamma).

The templates call compiler/special_math.py's float64 versions (as ``gfmath.<name>``) and cast to
the op's dtype; the same functions serve the CPU (compiled by numba.njit) and CUDA kernels (their
source nested in the kernel, compiler/cuda/special.py), except nextafter's, which the CUDA target
refuses by name. The references are SciPy's. Gradients follow
TF1's math_grad: none for betainc's a and b, zeta's x, polygamma's n.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.special as _sp

from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops._build import as_tensors, compute_type, elementwise, make, require
from graphflow.ops.math_extras import xlog1py
from graphflow.ops.special_ops import digamma, lgamma, xlogy

F = require("f")


def _call(fn: str) -> Callable[..., str]:
    return lambda at, i, o, *a: f"{compute_type(o)}(gfmath.{fn}({', '.join(a)}))"


def _scipy(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """SciPy's ``fn`` on the operands, in their dtype (some of its ufuncs compute float32 in float64)."""
    return lambda at, *a: np.asarray(fn(*a)).astype(np.result_type(*a))


def _f32_or_f64(dtypes: Sequence[DType], at: object) -> list[DType]:
    out = F(dtypes, at)
    if out[0].name not in ("float32", "float64"):
        raise TypeError(f"nextafter takes float32 or float64, got {out[0].name}")
    return out


def _in_gamma_domain(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """SciPy's P or Q, NaN for a <= 0 or x < 0 as TF1's (SciPy gives a = 0 a value)."""
    def ref(a: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.where((np.asarray(a) > 0) & (np.asarray(x) >= 0), fn(a, x), np.nan)
    return ref


def _betainc_reference(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """SciPy's I_x(a, b), NaN for a <= 0 or b <= 0 as TF1's (SciPy gives a or b = 0 a value)."""
    ok = (np.asarray(a) > 0) & (np.asarray(b) > 0) & (np.asarray(x) >= 0) & (np.asarray(x) <= 1)
    return np.where(ok, _sp.betainc(a, b, x), np.nan)


def _zeta_reference(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """SciPy's zeta, with TF1's value at the poles q = 0, -1, ...: inf for even integer x, else NaN."""
    x64, q64 = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    pole = (q64 <= 0) & (q64 == np.floor(q64)) & (x64 > 1)
    even = (x64 == np.floor(x64)) & (np.fmod(x64, 2) == 0)
    return np.where(pole, np.where(even, np.inf, np.nan), _sp.zeta(x64, q64))


def _igamma_grad_a_reference(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dP(a, x)/da from SciPy (which has no derivative in a): P (or -Q, the smaller of the two)
    times a fourth-order central difference of its logarithm, which is smooth where P and Q are
    tiny; within about 1e-10 relative for a in [0.01, 300] (graph constants fold with it)."""
    a64, x64 = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    upper = _sp.gammainc(a64, x64) > 0.5
    h = 1e-3 * np.minimum(a64, np.sqrt(a64))
    with np.errstate(divide="ignore", invalid="ignore"):
        def log_tail(s: np.ndarray) -> np.ndarray:
            return np.log(np.where(upper, _sp.gammaincc(s, x64), _sp.gammainc(s, x64)))
        near, far = log_tail(a64 + h) - log_tail(a64 - h), log_tail(a64 + 2 * h) - log_tail(a64 - 2 * h)
        slope = (8 * near - far) / (12 * h)
        tail = np.where(upper, -_sp.gammaincc(a64, x64), _sp.gammainc(a64, x64))
        out = np.where(tail == 0, 0.0, tail * slope)
    return np.where((a64 > 0) & (x64 >= 0), np.where(np.isinf(x64), 0.0, out), np.nan)


def _c(value: float, like: Tensor) -> np.ndarray:
    return np.asarray(value, like.dtype.np)


def _igamma_partials(n: Operation) -> tuple[Tensor, Tensor]:
    a, x = n.inputs
    # in log space: Gamma(a) and x^(a-1) overflow long before their ratio does
    return make(Op.IGAMMA_GRAD_A, [a, x]), M.exp(-x + (a - 1) * M.log(x) - lgamma(a))


def _vjp_igamma(n: Operation, g: Tensor) -> list:
    da, dx = _igamma_partials(n)
    return [g * da, g * dx]


def _vjp_igammac(n: Operation, g: Tensor) -> list:
    da, dx = _igamma_partials(n)
    return [-(g * da), -(g * dx)]


def _no_second_in_a(n: Operation, g: Tensor) -> list:
    raise LookupError(f"the gradient of IgammaGradA (igamma's second derivative) is not defined, "
                      f"as in TF1\n  in {n.describe()}")


def _vjp_betainc(n: Operation, g: Tensor) -> list:
    a, b, x = n.inputs
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    # xlogy / xlog1py: the derivative tends to 0 at one end when a or b is 1
    return [None, None, g * M.exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) - log_beta)]


def _vjp_bessel_i1e(n: Operation, g: Tensor) -> list:
    x, y = n.inputs[0], n.outputs[0]
    zero = M.equal(x, M.zeros_like_scalar(x))
    safe = M.where(zero, ST.ones_like(x), x)
    slope = make(Op.BESSEL_I0E, [x]) - y * (M.sign(x) + M.reciprocal(safe))
    return [g * M.where(zero, _c(0.5, x), slope)]


elementwise(Op.ERFINV, _scipy(_sp.erfinv), _call("erfinv"),
            lambda n, g: [g * _c(np.sqrt(np.pi) / 2, g) * M.exp(M.square(n.outputs[0]))],
            dtype_rule=F, graphdef="Erfinv")
elementwise(Op.NDTRI, _scipy(_sp.ndtri), _call("ndtri"),
            lambda n, g: [g * _c(np.sqrt(2 * np.pi), g) * M.exp(M.square(n.outputs[0]) / 2)],
            dtype_rule=F, graphdef="Ndtri")
elementwise(Op.BESSEL_I0E, _scipy(_sp.i0e), _call("i0e"),
            lambda n, g: [g * (make(Op.BESSEL_I1E, [n.inputs[0]]) - M.sign(n.inputs[0]) * n.outputs[0])],
            dtype_rule=F, graphdef="BesselI0e")
elementwise(Op.BESSEL_I1E, _scipy(_sp.i1e), _call("i1e"), _vjp_bessel_i1e, dtype_rule=F, graphdef="BesselI1e")
elementwise(Op.IGAMMA, _scipy(_in_gamma_domain(_sp.gammainc)), _call("igamma"), _vjp_igamma, dtype_rule=F,
            graphdef="Igamma")
elementwise(Op.IGAMMAC, _scipy(_in_gamma_domain(_sp.gammaincc)), _call("igammac"), _vjp_igammac, dtype_rule=F,
            graphdef="Igammac")
elementwise(Op.IGAMMA_GRAD_A, _scipy(_igamma_grad_a_reference), _call("igamma_grad_a"), _no_second_in_a,
            dtype_rule=F, graphdef="IgammaGradA")
elementwise(Op.BETAINC, _scipy(_betainc_reference), _call("betainc"), _vjp_betainc, dtype_rule=F, graphdef="Betainc")
elementwise(Op.ZETA, _scipy(_zeta_reference), _call("zeta"),
            lambda n, g: [None, g * -n.inputs[0] * make(Op.ZETA, [n.inputs[0] + 1, n.inputs[1]])],
            dtype_rule=F, graphdef="Zeta")
elementwise(Op.NEXTAFTER, lambda at, a, b: np.nextafter(a, b),
            lambda at, i, o, a, b: f"{compute_type(o)}(np.nextafter({a}, {b}))",
            lambda n, g: [g, ST.zeros_like(g)], dtype_rule=_f32_or_f64, graphdef="NextAfter")


def erfinv(x: TensorLike, name: str | None = None) -> Tensor:
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside). ``gf.math.erfinv([0.0, 0.5])``."""
    return make(Op.ERFINV, [convert_to_tensor(x)], name=name)


def ndtri(x: TensorLike, name: str | None = None) -> Tensor:
    """The inverse of the standard normal CDF on [0, 1]. ``gf.math.ndtri([0.5, 0.975])``."""
    return make(Op.NDTRI, [convert_to_tensor(x)], name=name)


def erfcinv(x: TensorLike, name: str | None = None) -> Tensor:
    """The inverse of erfc on [0, 2]: ``-ndtri(x / 2) / sqrt(2)``. ``gf.math.erfcinv([1.0, 0.1])``."""
    t = convert_to_tensor(x)
    return M.multiply(-ndtri(t * _c(0.5, t)), _c(np.sqrt(0.5), t), name=name or "erfcinv")


def bessel_i0e(x: TensorLike, name: str | None = None) -> Tensor:
    """``exp(-|x|) I0(x)``. ``gf.math.bessel_i0e([0.0, 1.0])``."""
    return make(Op.BESSEL_I0E, [convert_to_tensor(x)], name=name)


def bessel_i1e(x: TensorLike, name: str | None = None) -> Tensor:
    """``exp(-|x|) I1(x)``. ``gf.math.bessel_i1e([0.0, 1.0])``."""
    return make(Op.BESSEL_I1E, [convert_to_tensor(x)], name=name)


def bessel_i0(x: TensorLike, name: str | None = None) -> Tensor:
    """The modified Bessel function I0, as ``bessel_i0e(x) * exp(|x|)``. ``gf.math.bessel_i0([1.0])``."""
    t = convert_to_tensor(x)
    return M.multiply(bessel_i0e(t), M.exp(M.abs(t)), name=name or "bessel_i0")


def bessel_i1(x: TensorLike, name: str | None = None) -> Tensor:
    """The modified Bessel function I1, as ``bessel_i1e(x) * exp(|x|)``. ``gf.math.bessel_i1([1.0])``."""
    t = convert_to_tensor(x)
    return M.multiply(bessel_i1e(t), M.exp(M.abs(t)), name=name or "bessel_i1")


def igamma(a: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    """P(a, x), the regularized lower incomplete gamma function. ``gf.igamma(2.0, [1.0, 3.0])``."""
    return make(Op.IGAMMA, as_tensors(a, x), name=name)


def igammac(a: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    """Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function."""
    return make(Op.IGAMMAC, as_tensors(a, x), name=name)


def betainc(a: TensorLike, b: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    """I_x(a, b), the regularized incomplete beta function. ``gf.betainc(2.0, 3.0, [0.2, 0.5])``."""
    return make(Op.BETAINC, as_tensors(a, b, x), name=name)


def zeta(x: TensorLike, q: TensorLike, name: str | None = None) -> Tensor:
    """The Hurwitz zeta function, sum over k >= 0 of (k + q)^-x. ``gf.zeta(2.0, [1.0, 2.0])``."""
    return make(Op.ZETA, as_tensors(x, q), name=name)


def polygamma(a: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    """psi^(a)(x), the a-th derivative of digamma: digamma for a = 0, else
    ``(-1)^(a+1) a! zeta(a + 1, x)``; NaN where a is not a non-negative integer.
    ``gf.polygamma(1.0, [1.0, 2.0])``."""
    n, t = as_tensors(a, x)
    n = M.stop_gradient(n)  # TF1 has no derivative in a
    nplus = n + 1
    sign = M.where(M.equal(M.floormod(nplus, _c(2, n)), M.zeros_like_scalar(n)), _c(1, n), _c(-1, n))
    higher = sign * M.exp(lgamma(nplus)) * zeta(nplus, t)
    value = M.where(M.equal(n, M.zeros_like_scalar(n)), digamma(t), higher)
    whole = M.logical_and(M.equal(M.floor(n), n), M.greater_equal(n, M.zeros_like_scalar(n)))
    return M.where(whole, value, _c(np.nan, n), name=name or "polygamma")


def nextafter(x1: TensorLike, x2: TensorLike, name: str | None = None) -> Tensor:
    """The next representable value after ``x1`` towards ``x2`` (float32 or float64).
    ``gf.math.nextafter(1.0, 2.0)``."""
    return make(Op.NEXTAFTER, as_tensors(x1, x2), name=name)
