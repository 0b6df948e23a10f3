"""Special functions and float classification: erf, lgamma, digamma (and its derivative, which
lgamma's second derivative needs), expm1, is_finite/is_nan/is_inf, and composites over them
(erfc, xlogy, log_sigmoid).

The templates call compiler/special_math.py's float64 versions (both targets') and cast to the op's
dtype; the references are SciPy's.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.special as _sp

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops._build import as_tensors, compute_type, elementwise, make, require
from graphflow.ops.activation_ops import softplus
from graphflow.ops.elementwise_ops import (  # noqa: F401  (primitives now; gf.* imports them here)
    UnaryFn,
    _unary,
    add_name,
    atan,
    equal,
    exp,
    log,
    truncatediv,
    truncatemod,
    where,
    zeros_like_scalar,
)
from graphflow.ops.state_ops import ones_like

F = require("f")
NUM = require("fi")


def _call(fn: str) -> Callable[..., str]:
    return lambda at, i, o, a: f"{compute_type(o)}(gfmath.{fn}({a}))"


def _no_third(n: Operation, g: Tensor) -> list:
    raise LookupError(f"the gradient of {n.op.value} (the third derivative of lgamma) is not "
                      f"implemented\n  in {n.describe()}")


def _bool_of_float(dtypes: Sequence[DType], at: object) -> list[DType]:
    F(dtypes, at)
    return [_dt.bool_]


elementwise(Op.ERF, lambda at, a: _sp.erf(a), _call("erf"),
            lambda n, g: [g * (2 / np.sqrt(np.pi)) * _exp(-n.inputs[0] * n.inputs[0])], dtype_rule=F,
            graphdef="Erf", onnx="Erf")
elementwise(Op.ERFC, lambda at, a: _sp.erfc(a), _call("erfc"),
            lambda n, g: [g * (-2 / np.sqrt(np.pi)) * _exp(-n.inputs[0] * n.inputs[0])], dtype_rule=F,
            graphdef="Erfc")
elementwise(Op.LGAMMA, lambda at, a: _sp.gammaln(a), _call("lgamma"),
            lambda n, g: [g * make(Op.DIGAMMA, [n.inputs[0]])], dtype_rule=F, graphdef="Lgamma")
elementwise(Op.DIGAMMA, lambda at, a: _sp.digamma(a), _call("digamma"),
            lambda n, g: [g * make(Op.TRIGAMMA, [n.inputs[0]])], dtype_rule=F, graphdef="Digamma")
elementwise(Op.TRIGAMMA, lambda at, a: _sp.polygamma(1, a), _call("trigamma"), _no_third, dtype_rule=F)
elementwise(Op.EXPM1, lambda at, a: np.expm1(a), lambda at, i, o, a: f"np.expm1({a})",
            lambda n, g: [g * (n.outputs[0] + 1)], dtype_rule=F, graphdef="Expm1")
elementwise(Op.IS_FINITE, lambda at, a: np.isfinite(a), lambda at, i, o, a: f"np.isfinite({a})",
            no_gradient=True, dtype_rule=_bool_of_float, graphdef="IsFinite")
elementwise(Op.IS_NAN, lambda at, a: np.isnan(a), lambda at, i, o, a: f"np.isnan({a})",
            no_gradient=True, dtype_rule=_bool_of_float, graphdef="IsNan", onnx="IsNaN")
elementwise(Op.IS_INF, lambda at, a: np.isinf(a), lambda at, i, o, a: f"np.isinf({a})",
            no_gradient=True, dtype_rule=_bool_of_float, graphdef="IsInf")


def _exp(x: Tensor) -> Tensor:
    return exp(x)


erf = _unary(Op.ERF)
lgamma = _unary(Op.LGAMMA)
digamma = _unary(Op.DIGAMMA)
expm1 = _unary(Op.EXPM1)
is_finite = _unary(Op.IS_FINITE)
is_nan = _unary(Op.IS_NAN)
is_inf = _unary(Op.IS_INF)


def erfc(x: TensorLike, name: str | None = None) -> Tensor:
    """``1 - erf(x)``, computed as such (its upper tail, where 1 - erf(x) rounds to 0, kept)."""
    return make(Op.ERFC, [convert_to_tensor(x)], name=name or "Erfc")


def xlogy(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``x * log(y)``, 0 where x is 0 (even where y is 0)."""
    a, b = as_tensors(x, y)
    zero = equal(a, zeros_like_scalar(a))
    safe = where(zero, a * 0 + 1, b)
    return where(zero, a * 0, a * log(safe), name=name)


def log_sigmoid(x: TensorLike, name: str | None = None) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large |x|."""
    t = convert_to_tensor(x)
    return -softplus(-t, name=name)


def atan2(y: TensorLike, x: TensorLike, name: str | None = None) -> Tensor:
    """The angle of (x, y) in (-pi, pi], from atan(y / x) with the quadrant restored; its
    gradient is (x dy - y dx) / (x^2 + y^2)."""
    b, a = as_tensors(y, x)
    safe = where(a == 0, ones_like(a), a)
    base = atan(b / safe)
    pi = np.asarray(np.pi, a.dtype.np)
    half = np.asarray(np.pi / 2, a.dtype.np)
    out = where(a > 0, base, where(a < 0, where(b >= 0, base + pi, base - pi),
                                   where(b > 0, half + b * 0, where(b < 0, -half + b * 0, b * 0))))
    return add_name(out, name)
