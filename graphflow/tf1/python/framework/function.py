"""``from tensorflow.python.framework import function``: TF1's ``@function.Defun`` decorator.

TF1 turns the decorated Python function into a ``FunctionDef`` in the graph's library and each
call into one op that runs it; graphflow has no function library, so a ``Defun`` is traced inline:
each call builds the function's ops in the caller's graph, under a name scope of the function's
name, with its inputs converted to the declared dtypes. A ``grad_func(*inputs, *output_grads)``
or ``python_grad_func(op, *output_grads)`` replaces the traced body's gradient (functions with one
output), as ``tf.custom_gradient`` does. What differs from TF1 (no ``FunctionDef`` in exported
graphs, ``shape_func`` and the compile options unused, a body built once per call) is in
docs/differences.md.

    @function.Defun(tf.float32, python_grad_func=lambda op, dy: tf.clip_by_value(dy, -1., 1.))
    def clip_gradient(x):
        return tf.identity(x)
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core.dtypes import DType, as_dtype
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.types import DTypeLike
from graphflow.ops._build import make
from graphflow.ops.gradient_ops import CustomGradAttrs

__all__ = ["Defun"]


class _CallOp:
    """What ``python_grad_func`` receives as ``op``: the call's inputs and outputs (TF1 passes the
    call op)."""

    def __init__(self, name: str, inputs: Sequence[Tensor], outputs: Sequence[Tensor]) -> None:
        self.name, self.type = name, name
        self.inputs, self.outputs = list(inputs), list(outputs)


class _DefinedFunction:
    """A ``Defun``-decorated function: calling it on tensors builds its body in the default graph."""

    def __init__(self, func: Callable[..., Any], input_types: Sequence[DType], name: str,
                 grad_func: Callable[..., Any] | None, python_grad_func: Callable[..., Any] | None) -> None:
        self._func, self._input_types, self._name = func, list(input_types), name
        self._grad_func, self._python_grad_func = grad_func, python_grad_func
        functools.update_wrapper(self, func)

    @property
    def name(self) -> str:
        return self._name

    @property
    def declared_input_types(self) -> tuple[DType, ...]:
        return tuple(self._input_types)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._input_types and len(args) != len(self._input_types):
            raise ValueError(f"Defun {self._name} declares {len(self._input_types)} inputs "
                             f"({', '.join(t.name for t in self._input_types)}), called with {len(args)}")
        types: list[DType | None] = list(self._input_types) or [None] * len(args)
        xs = [convert_to_tensor(a, dtype=t) for a, t in zip(args, types)]
        with get_default_graph().name_scope(kwargs.pop("name", None) or self._name):
            outputs = self._func(*xs, **kwargs)
            if self._grad_func is None and self._python_grad_func is None:
                return outputs
            if isinstance(outputs, (list, tuple)):
                raise NotImplementedError(
                    f"Defun {self._name}: a gradient function for a Defun of {len(outputs)} outputs; graphflow "
                    "supports grad_func / python_grad_func for functions of one output")
            y = convert_to_tensor(outputs)
            return make(Op.CUSTOM_GRADIENT, [y, *xs], CustomGradAttrs(self._gradient(xs, y), len(xs)),
                        name="CustomGradient")

    def _gradient(self, xs: list[Tensor], y: Tensor) -> Callable[[Tensor], list[Tensor | None]]:
        def grad(dy: Tensor) -> list[Tensor | None]:
            if self._python_grad_func is not None:
                out = self._python_grad_func(_CallOp(self._name, xs, [y]), dy)
            else:
                assert self._grad_func is not None
                out = self._grad_func(*xs, dy)
            return list(out) if isinstance(out, (list, tuple)) else [out]
        return grad


class Defun:
    """Decorator: ``@Defun(*input_types, func_name=None, grad_func=None, python_grad_func=None,
    **options)``. Input types are dtypes (or none, for a function typed by its call's arguments).

    >>> import graphflow as gf
    >>> from graphflow.python.framework import function
    >>> @function.Defun(gf.float32, gf.float32)
    ... def plus_one(a, b):
    ...     return a + b + 1.0
    >>> y = plus_one(gf.constant(1.0), gf.constant(2.0))
    """

    def __init__(self, *input_types: DTypeLike, func_name: str | None = None,
                 grad_func: Callable[..., Any] | None = None, python_grad_func: Callable[..., Any] | None = None,
                 out_names: Sequence[str] | None = None, **options: Any) -> None:
        if grad_func is not None and python_grad_func is not None:
            raise ValueError("Defun: give grad_func or python_grad_func, not both")
        # shape_func, compiled, noinline, separate_compiled_gradients...: TF1's function-library
        # options, which an inline body has no use for
        self._input_types = [as_dtype(t) for t in input_types]
        self._func_name, self._grad_func, self._python_grad_func = func_name, grad_func, python_grad_func

    def __call__(self, func: Callable[..., Any]) -> _DefinedFunction:
        return _DefinedFunction(func, self._input_types, self._func_name or func.__name__, self._grad_func,
                                self._python_grad_func)
