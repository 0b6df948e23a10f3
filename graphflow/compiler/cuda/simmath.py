"""IEEE results for CUDA's ``math`` under Numba's simulator.

On a GPU, ``math.log(0.0)`` is ``-inf`` and ``math.sqrt(-1.0)`` is NaN (libdevice follows IEEE 754
and C99). Under ``NUMBA_ENABLE_CUDASIM=1`` a kernel is plain Python, so the same calls raise
``ValueError: math domain error`` or ``OverflowError``, and ``math.floor`` returns an int that
NaN and infinities cannot be. The simulator's kernels see this module as ``math`` instead
(``cuda.load``): each function is Python's where Python has an answer, and numpy's (the same
IEEE values libdevice gives) where Python raises; each returns a numpy float64, so that the
arithmetic after it is IEEE's too (``pi / (s * s)`` is inf where ``s * s`` underflows to 0, not
ZeroDivisionError).
"""
from __future__ import annotations

import math as _m
from typing import Any

import numpy as _np

pi, e, inf, nan = _m.pi, _m.e, _m.inf, _m.nan
isnan, isinf, isfinite = _m.isnan, _m.isinf, _m.isfinite


def _ieee(python: Any, numpy: Any) -> Any:
    def f(*args: Any) -> _np.float64:
        try:
            return _np.float64(python(*args))
        except (ValueError, OverflowError, ZeroDivisionError):
            with _np.errstate(all="ignore"):
                return _np.float64(numpy(*[_np.float64(a) for a in args]))
    f.__name__ = python.__name__
    return f


fabs, copysign = _ieee(_m.fabs, _np.fabs), _ieee(_m.copysign, _np.copysign)
erf, erfc = _ieee(_m.erf, None), _ieee(_m.erfc, None)  # Python's never raise
atan, atan2, tanh = _ieee(_m.atan, _np.arctan), _ieee(_m.atan2, _np.arctan2), _ieee(_m.tanh, _np.tanh)
sin, cos = _ieee(_m.sin, _np.sin), _ieee(_m.cos, _np.cos)  # Python's raise at infinities

exp, expm1 = _ieee(_m.exp, _np.exp), _ieee(_m.expm1, _np.expm1)
log, log1p, log2, log10 = (_ieee(_m.log, _np.log), _ieee(_m.log1p, _np.log1p), _ieee(_m.log2, _np.log2),
                           _ieee(_m.log10, _np.log10))
sqrt, pow, fmod = _ieee(_m.sqrt, _np.sqrt), _ieee(_m.pow, _np.power), _ieee(_m.fmod, _np.fmod)  # noqa: A001 - CUDA math names
tan, asin, acos = _ieee(_m.tan, _np.tan), _ieee(_m.asin, _np.arcsin), _ieee(_m.acos, _np.arccos)
sinh, cosh = _ieee(_m.sinh, _np.sinh), _ieee(_m.cosh, _np.cosh)
asinh, acosh, atanh = _ieee(_m.asinh, _np.arcsinh), _ieee(_m.acosh, _np.arccosh), _ieee(_m.atanh, _np.arctanh)
lgamma = _ieee(_m.lgamma, lambda x: _np.inf if x <= 0 and x == _np.floor(x) else _np.nan)


def floor(x: Any) -> _np.float64:  # CUDA's floor is a float: NaN and infinities pass through
    return _np.float64(x) if not _m.isfinite(x) else _np.float64(_m.floor(x))


def ceil(x: Any) -> _np.float64:
    return _np.float64(x) if not _m.isfinite(x) else _np.float64(_m.ceil(x))
