"""TF1's gradient registry: ``tf.RegisterGradient``, ``tf.NotDifferentiable`` (``no_gradient``,
``NoGradient``), used through ``Graph.gradient_override_map``, and the gradient wrappers
``tf.grad_pass_through`` and ``tf.recompute_grad``.

graphflow's op set is closed and each op's gradient is its registry row's, so a name registered
here serves the nodes a ``gradient_override_map`` scope maps to it (the way TF1 scripts override
``Identity``'s or ``Sign``'s gradient); registering the name of one of graphflow's op types is
refused as TF1 refuses a second registration.

    >>> import graphflow as gf
    >>> @gf.RegisterGradient("DoubledSquare")
    ... def _doubled(op, grad):
    ...     return 4.0 * op.inputs[0] * grad
    >>> x = gf.constant(3.0)
    >>> with gf.get_default_graph().gradient_override_map({"Square": "DoubledSquare"}):
    ...     y = gf.square(x)
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from graphflow.core.autodiff import gradients, registered_gradients
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.ops.variables import Variable, get_variable_scope, variable_scope
from graphflow.tf1.custom_gradient import custom_gradient

__all__ = ["RegisterGradient", "NotDifferentiable", "no_gradient", "NoGradient", "grad_pass_through",
           "recompute_grad"]

F = TypeVar("F", bound=Callable[..., Any])
_OP_TYPES = {op.value for op in Op}


def _claim(op_type: str) -> None:
    if not isinstance(op_type, str):
        raise TypeError(f"op_type must be a string, got {type(op_type).__name__}")
    if op_type in registered_gradients or op_type in _OP_TYPES:
        where = "graphflow's op of that type has its own" if op_type in _OP_TYPES else "one is registered"
        raise KeyError(f"Registering two gradient with name '{op_type}'! ({where})")


class RegisterGradient:
    """Decorator registering ``fn(op, *output_grads) -> input gradients`` under ``op_type``."""

    def __init__(self, op_type: str) -> None:
        _claim(op_type)
        self._op_type = op_type

    def __call__(self, fn: F) -> F:
        _claim(self._op_type)
        registered_gradients[self._op_type] = fn
        return fn


def NotDifferentiable(op_type: str) -> None:  # noqa: N802
    """Mark ``op_type`` as having no gradient: nodes mapped to it pass none back."""
    _claim(op_type)
    registered_gradients[op_type] = None


no_gradient = NotDifferentiable
NoGradient = NotDifferentiable


def grad_pass_through(f: F) -> F:
    """``f`` whose gradient is the identity: the output's gradient is passed to each input
    unchanged (a straight-through estimator).

    >>> import graphflow as gf
    >>> x = gf.constant(1.4)
    >>> y = gf.grad_pass_through(gf.round)(x)
    """
    @functools.wraps(f)
    def wrapped(*args: Any) -> Tensor:
        def forward(*xs: Tensor) -> tuple[Tensor, Callable[[Tensor], list[Tensor]]]:
            return f(*xs), lambda dy: [dy] * len(xs)
        return custom_gradient(forward)(*args)
    return wrapped  # type: ignore[return-value]


def _variables_read(y: Tensor, xs: list[Tensor]) -> list[Variable]:
    """The float variables ``y`` depends on other than through ``xs``."""
    stop = {id(x) for x in xs}
    seen: set[int] = set()
    found: list[Variable] = []
    stack = [y]
    while stack:
        t = stack.pop()
        if id(t) in stop or id(t.node) in seen:
            continue
        seen.add(id(t.node))
        if isinstance(t, Variable) and t.dtype.is_floating:
            found.append(t)
        stack.extend(t.node.inputs)
    return sorted(found, key=lambda v: v.node.uid)


def recompute_grad(f: F) -> F:
    """``f`` whose activations are not kept for its gradient: the gradient builds ``f`` again
    (a second copy of its nodes, run during the backward pass) and differentiates that copy,
    for the inputs and for the variables ``f`` reads. ``f`` returns one tensor.

    >>> import graphflow as gf
    >>> block = gf.recompute_grad(lambda x: gf.tanh(x) * x)
    >>> x = gf.constant([0.5, 1.0])
    >>> (g,) = gf.gradients(gf.reduce_sum(block(x)), [x])
    """
    @functools.wraps(f)
    def wrapped(*args: Any) -> Tensor:
        xs = [convert_to_tensor(a) for a in args]
        scope = get_variable_scope()
        y = convert_to_tensor(f(*xs))
        variables = _variables_read(y, xs)

        def forward(*inputs: Tensor) -> tuple[Tensor, Callable[[Tensor], list[Tensor | None]]]:
            def grad(dy: Tensor) -> list[Tensor | None]:
                with variable_scope(scope, reuse=True):  # f's get_variable calls find the forward's variables
                    again = convert_to_tensor(f(*xs))  # the recomputation, read by the gradient only
                return gradients(again, [*xs, *variables], grad_ys=dy)
            return y, grad
        return custom_gradient(forward)(*xs, *variables)
    return wrapped  # type: ignore[return-value]
