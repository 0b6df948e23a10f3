"""contrib.layers' regularizers (``l1``, ``l2``, ``l1_l2``, ``sum``, ``apply_regularization``)
and initializers (``xavier_initializer``, ``variance_scaling_initializer`` in contrib's own form:
``factor`` and FAN_IN / FAN_OUT / FAN_AVG, a truncated normal of stddev ``sqrt(1.3 * factor / n)``).

    w = tf.get_variable("w", [784, 10], initializer=xavier_initializer(),
                        regularizer=l2_regularizer(1e-4))
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike
from graphflow.ops import math_ops as M
from graphflow.ops import state_ops
from graphflow.ops.elementwise_ops import add_n
from graphflow.ops.nn_ops import l2_loss
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.ops.variables import GraphKeys, Initializer, ShapeLike, as_shape

__all__ = ["Regularizer", "apply_regularization", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer",
           "sum_regularizer", "variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]

Regularizer = Callable[[Tensor], "Tensor | None"]


def _regularizer(scale: float, what: str, penalty: Callable[[Tensor], Tensor]) -> Regularizer:
    """``scale * penalty(w)``; None (no loss) when scale is 0, as TF1's."""
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise ValueError(f"scale cannot be an integer: {scale}" if isinstance(scale, int)
                         else f"{what} scale must be a number, got {scale!r}")
    if scale < 0.0:
        raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
    if scale == 0.0:
        return lambda w: None
    return lambda w: M.multiply(convert_to_tensor(scale, dtype=w.dtype.base_dtype), penalty(w), name=what)


def l1_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * sum(|w|)``."""
    return _regularizer(scale, "l1_regularizer", lambda w: reduce_sum(M.abs(w)))


def l2_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * sum(w^2) / 2``."""
    return _regularizer(scale, "l2_regularizer", l2_loss)


def sum_regularizer(regularizer_list: Sequence[Regularizer | None], scope: str | None = None) -> Regularizer:
    """The sum of the regularizers' penalties (None when each gives none)."""
    chosen = [r for r in regularizer_list if r is not None]

    def regularize(w: Tensor) -> Tensor | None:
        penalties = [p for p in (r(w) for r in chosen) if p is not None]
        return add_n(penalties, name="sum_regularizer") if penalties else None
    return regularize


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0, scope: str | None = None) -> Regularizer:
    """``l1_regularizer(scale_l1) + l2_regularizer(scale_l2)``."""
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)])


def apply_regularization(regularizer: Regularizer, weights_list: Sequence[Tensor] | None = None) -> Tensor:
    """The summed penalty of ``regularizer`` over ``weights_list`` (the WEIGHTS collection by
    default), added to REGULARIZATION_LOSSES."""
    weights = list(weights_list) if weights_list else get_default_graph().get_collection(GraphKeys.WEIGHTS)
    if not weights:
        raise ValueError("No weights to regularize.")
    penalties = [p for p in (regularizer(w) for w in weights) if p is not None]
    if not penalties:
        total = convert_to_tensor(0.0, dtype=weights[0].dtype.base_dtype)
    else:
        total = add_n(penalties, name="get_regularization_penalty") if len(penalties) > 1 else penalties[0]
    get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, total)
    return total


class variance_scaling_initializer(Initializer):  # noqa: N801
    """contrib's variance scaling: variance ``factor / n`` with n the fan in, out or average;
    uniform in ``±sqrt(3 * factor / n)`` or a truncated normal of stddev ``sqrt(1.3 * factor / n)``."""

    def __init__(self, factor: float = 2.0, mode: str = "FAN_IN", uniform: bool = False, seed: int | None = None,
                 dtype: DTypeLike = _dt.float32) -> None:
        if not _dt.as_dtype(dtype).is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
            raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")
        self.factor, self.mode, self.uniform, self.seed, self.dtype = factor, mode, uniform, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dims = [int(d) for d in as_shape(shape).as_list()]  # type: ignore[arg-type]  # known: variable shapes
        fan_in = float(dims[-2] if len(dims) > 1 else dims[-1]) if dims else 1.0
        fan_out = float(dims[-1]) if dims else 1.0
        for d in dims[:-2]:
            fan_in, fan_out = fan_in * d, fan_out * d
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        dt = dtype or self.dtype
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            return state_ops.random_uniform(dims, -limit, limit, dt, self.seed)
        return state_ops.truncated_normal(dims, 0.0, math.sqrt(1.3 * self.factor / n), dt, self.seed)


def xavier_initializer(uniform: bool = True, seed: int | None = None,
                       dtype: DTypeLike = _dt.float32) -> Initializer:
    """Glorot's initializer in contrib's form: variance scaling with factor 1 over FAN_AVG."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer
