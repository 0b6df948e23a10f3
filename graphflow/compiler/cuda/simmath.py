"""IEEE results for CUDA's ``math`` under Numba's simulator.

On a GPU, ``math.log(0.0)`` is ``-inf`` and ``math.sqrt(-1.0)`` is NaN (libdevice follows IEEE 754
and C99). Under ``NUMBA_ENABLE_CUDASIM=1`` a kernel is plain Python, so the same calls raise
``ValueError: math domain error`` or ``OverflowError``, and ``math.floor`` returns an int that
NaN and infinities cannot be. The simulator's kernels see this module as ``math`` instead
(``cuda.load``): each function is Python's where Python has an answer, and numpy's (the same
IEEE values libdevice gives) where Python raises.
"""
from __future__ import annotations

import math as _m
from typing import Any

import numpy as _np

pi, e, inf, nan = _m.pi, _m.e, _m.inf, _m.nan
isnan, isinf, isfinite, fabs, copysign = _m.isnan, _m.isinf, _m.isfinite, _m.fabs, _m.copysign
erf, erfc, atan, atan2, sin, cos, tanh = _m.erf, _m.erfc, _m.atan, _m.atan2, _m.sin, _m.cos, _m.tanh


def _ieee(python: Any, numpy: Any) -> Any:
    def f(*args: Any) -> float:
        try:
            return python(*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            with _np.errstate(all="ignore"):
                return float(numpy(*[_np.float64(a) for a in args]))
    f.__name__ = python.__name__
    return f


exp, expm1 = _ieee(_m.exp, _np.exp), _ieee(_m.expm1, _np.expm1)
log, log1p, log2, log10 = (_ieee(_m.log, _np.log), _ieee(_m.log1p, _np.log1p), _ieee(_m.log2, _np.log2),
                           _ieee(_m.log10, _np.log10))
sqrt, pow, fmod = _ieee(_m.sqrt, _np.sqrt), _ieee(_m.pow, _np.power), _ieee(_m.fmod, _np.fmod)  # noqa: A001 - CUDA math names
tan, asin, acos = _ieee(_m.tan, _np.tan), _ieee(_m.asin, _np.arcsin), _ieee(_m.acos, _np.arccos)
sinh, cosh = _ieee(_m.sinh, _np.sinh), _ieee(_m.cosh, _np.cosh)
asinh, acosh, atanh = _ieee(_m.asinh, _np.arcsinh), _ieee(_m.acosh, _np.arccosh), _ieee(_m.atanh, _np.arctanh)
lgamma = _ieee(_m.lgamma, lambda x: _np.inf if x <= 0 and x == _np.floor(x) else _np.nan)


def floor(x: Any) -> float:  # CUDA's floor is a float: NaN and infinities pass through
    return float(x) if not _m.isfinite(x) else float(_m.floor(x))


def ceil(x: Any) -> float:
    return float(x) if not _m.isfinite(x) else float(_m.ceil(x))
