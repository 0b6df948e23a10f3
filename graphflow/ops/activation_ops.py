"""Activations (TF1's ``tf.nn`` names): relu, the primitive, and the composites built from
elementwise ops, with the helpers the nn ops share for naming and checking their arguments.

Below ``graphflow.nn`` so the op layer's own composites (``log_sigmoid``) can use them.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops._build import elementwise, lit, make, require
from graphflow.ops.elementwise_ops import abs as absolute
from graphflow.ops.elementwise_ops import (
    add,
    cast,
    divide,
    exp,
    greater,
    greater_equal,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    square,
    where,
)
from graphflow.ops.state_ops import constant


def _c(value: TensorLike, like: Tensor) -> Tensor:
    """A scalar constant in the dtype of ``like``."""
    return constant(value, dtype=like.dtype)


@contextlib.contextmanager
def _scope(name: str | None, default: str) -> Iterator[str]:
    """Name the helper nodes ``<name>/...``; the caller names the result node ``<name>`` after the
    block (TF1's op names), so the scope is entered without reserving that name."""
    g = get_default_graph()
    full = g.unique_name(name or default, mark_as_used=False)
    with g.name_scope(full + "/"):
        yield name or default


def _floats(x: TensorLike, what: str) -> Tensor:
    t = convert_to_tensor(x)
    if not t.dtype.is_floating:
        raise TypeError(f"{what} needs a floating tensor, got {t.name} of dtype {t.dtype.name}")
    return t


def relu(features: TensorLike, name: str | None = None) -> Tensor:
    """``max(features, 0)``; the gradient is 0 at 0 (TF1) and NaN passes through.

    >>> import graphflow as gf
    >>> gf.nn.relu(gf.constant([-1.0, 2.0])).shape.as_list()
    [2]
    """
    x = convert_to_tensor(features)
    return make(Op.RELU, [x], name=name or "Relu")


def relu6(features: TensorLike, name: str | None = None) -> Tensor:
    """``min(max(features, 0), 6)``; the gradient is 1 strictly inside (0, 6)."""
    x = convert_to_tensor(features)
    return minimum(_c(6, x), maximum(_c(0, x), x), name=name or "Relu6")


def elu(features: TensorLike, name: str | None = None) -> Tensor:
    """``x`` for x > 0 else ``exp(x) - 1``."""
    x = _floats(features, "elu")
    neg = exp(minimum(x, _c(0, x))) - _c(1, x)  # clamped so the unused branch never overflows
    return where(greater(x, _c(0, x)), x, neg, name=name or "Elu")


def selu(features: TensorLike, name: str | None = None) -> Tensor:
    """Scaled elu with the self-normalising constants (Klambauer et al. 2017)."""
    x = _floats(features, "selu")
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    neg = (exp(minimum(x, _c(0, x))) - _c(1, x)) * _c(alpha, x)
    return multiply(_c(scale, x), where(greater(x, _c(0, x)), x, neg), name=name or "Selu")


def leaky_relu(features: TensorLike, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``x`` for x > 0 else ``alpha * x`` (integer features are cast to float32, as TF1)."""
    x = convert_to_tensor(features)
    if not x.dtype.is_floating:
        x = cast(x, _dt.float32)
    return where(greater(x, _c(0, x)), x, x * _c(alpha, x), name=name or "LeakyRelu")


def softplus(features: TensorLike, name: str | None = None) -> Tensor:
    """``log(1 + exp(x))`` computed as ``max(x, 0) + log1p(exp(-|x|))`` (no overflow); both
    pieces split on the same condition so the gradient is exactly sigmoid(x), 0.5 at 0."""
    x = _floats(features, "softplus")
    with _scope(name, "Softplus") as final:
        pos = greater_equal(x, _c(0, x))
        zero = _c(0, x)
        relu_x = where(pos, x, zero)
        neg_abs = where(pos, negative(x), x)
        tail = log1p(exp(neg_abs))
    return add(relu_x, tail, name=final)


def _softsign_vjp(n: Operation, g: Tensor) -> list[Tensor]:
    x = n.inputs[0]
    return [divide(g, square(_c(1, x) + absolute(x)))]


elementwise(Op.SOFTSIGN, lambda at, a: a / (1 + np.abs(a)), lambda at, i, o, a: f"({a} / ({lit(1, o)} + abs({a})))",
            _softsign_vjp, dtype_rule=require("f"), graphdef="Softsign", onnx="Softsign")


def softsign(features: TensorLike, name: str | None = None) -> Tensor:
    """``x / (1 + |x|)``; the gradient is ``1 / (1 + |x|)^2``."""
    x = _floats(features, "softsign")
    return make(Op.SOFTSIGN, [x], name=name or "Softsign")
