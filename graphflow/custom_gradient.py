"""``@gf.custom_gradient``: a function that supplies its own gradient."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, kernel, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make


@dataclass(frozen=True, eq=False)
class CustomGradAttrs:
    grad_fn: Callable[..., Any]
    num_inputs: int


def _vjp(n: Operation, g: Tensor) -> list:
    grads = n.attrs.grad_fn(g)
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    if len(grads) != n.attrs.num_inputs:
        raise ValueError(f"custom gradient of {n.describe()} returned {len(grads)} gradients for "
                         f"{n.attrs.num_inputs} inputs")
    return [None] + [None if g is None else convert_to_tensor(g) for g in grads]


def _shape(shapes: Sequence[TensorShape], at: CustomGradAttrs) -> list[TensorShape]:
    return [shapes[0]]


register(OpDef(Op.CUSTOM_GRADIENT, Kind.OTHER, _shape, lambda d, at: [d[0]],
               lambda at, y, *xs: y.copy(), vjp=_vjp))


@kernel(Op.CUSTOM_GRADIENT, "cpu")
def _identity_cpu(em: Any, n: Operation, ins: list[str]) -> None:
    em.define(n.outputs[0], ins[0], fresh=id(n.inputs[0]) in em.fresh_values)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f(*xs) -> (y, grad)`` where ``grad(dy)`` returns one gradient per x.

    >>> import graphflow as gf
    >>> @gf.custom_gradient
    ... def clip_grad(x):
    ...     return gf.identity(x), lambda dy: gf.clip_by_value(dy, -1.0, 1.0)
    """
    @functools.wraps(f)
    def wrapped(*args: TensorLike) -> Tensor:
        xs = [convert_to_tensor(a) for a in args]
        y, grad_fn = f(*xs)
        y = convert_to_tensor(y)
        return make(Op.CUSTOM_GRADIENT, [y, *xs], CustomGradAttrs(grad_fn, len(xs)), name="CustomGradient")
    return wrapped


