"""``tf.contrib.framework``'s tensor and graph utilities (TF 1.15): static-or-run-time
conditionals (``smart_cond``, ``smart_case``, ``smart_constant_value``), shape assertions
(``with_shape``, ``with_same_shape``, ``remove_squeezable_dimensions``), name-scope arithmetic,
the placeholders of a graph, and the deprecation decorators.

    y = smart_cond(is_training, lambda: dropout(x), lambda: x)   # a Python bool: no cond op
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import Graph, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import as_shape
from graphflow.core.types import TensorLike
from graphflow.ops.check_ops import assert_scalar
from graphflow.ops.control_flow import case, cond
from graphflow.ops.shape_ops import squeeze
from graphflow.tf1.graph_functions import get_static_value

__all__ = ["assert_scalar_int", "deprecated", "deprecated_arg_values", "deprecated_args", "get_graph_from_inputs",
           "get_placeholders", "prepend_name_scope", "remove_squeezable_dimensions", "smart_case", "smart_cond",
           "smart_constant_value", "strip_name_scope", "with_same_shape", "with_shape"]

F = TypeVar("F", bound=Callable[..., Any])


def smart_constant_value(pred: bool | TensorLike) -> bool | None:
    """The value of ``pred`` when known while building (a Python bool, or a constant), else None."""
    if isinstance(pred, (bool, np.bool_)):
        return bool(pred)
    if isinstance(pred, int) and pred in (0, 1):
        return bool(pred)
    t = convert_to_tensor(pred)
    if not t.dtype.is_bool:
        raise TypeError(f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Found instead: {pred!r}")
    value = get_static_value(t)
    return None if value is None else bool(value)


def smart_cond(pred: bool | TensorLike, true_fn: Callable[[], Any], false_fn: Callable[[], Any],
               name: str | None = None) -> Any:
    """``true_fn()`` or ``false_fn()`` when ``pred`` is known while building, a ``cond`` otherwise."""
    value = smart_constant_value(pred)
    if value is None:
        return cond(pred, true_fn, false_fn, name=name)
    return true_fn() if value else false_fn()


def smart_case(pred_fn_pairs: Sequence[tuple[Any, Callable[[], Any]]], default: Callable[[], Any] | None = None,
               exclusive: bool = False, name: str = "smart_case") -> Any:
    """``case`` that picks the branch while building when every predicate is known."""
    values = [smart_constant_value(p) for p, _ in pred_fn_pairs]
    if all(v is not None for v in values):
        chosen = [fn for v, (_, fn) in zip(values, pred_fn_pairs) if v]
        if exclusive and len(chosen) > 1:
            raise ValueError("More than one condition evaluated as True but exclusive=True.")
        if chosen:
            return chosen[0]()
        if default is None:
            raise ValueError("No condition evaluated as True and no default given.")
        return default()
    return case(list(pred_fn_pairs), default=default, exclusive=exclusive, name=name)


def assert_scalar_int(tensor: TensorLike, name: str | None = None) -> Tensor:
    """``tensor`` checked to be an integer scalar."""
    t = convert_to_tensor(tensor)
    if not t.dtype.is_integer:
        raise ValueError(f"Expected integer type for {t.name}, received type: {t.dtype.name}.")
    assert_scalar(t)
    return t


def with_shape(expected_shape: Sequence[int] | TensorLike, tensor: Tensor) -> Tensor:
    """``tensor`` checked to have ``expected_shape`` (ValueError when the static shapes disagree)."""
    if isinstance(expected_shape, Tensor):  # a run-time shape: nothing to check while building
        return tensor
    want = as_shape(list(expected_shape))  # type: ignore[arg-type]
    if not tensor.shape.is_compatible_with(want):
        raise ValueError(f"Invalid shape for tensor {tensor.name}, expected {want}, got {tensor.shape}.")
    return tensor


def with_same_shape(expected_tensor: Tensor, tensor: Tensor) -> Tensor:
    """``tensor`` checked to have ``expected_tensor``'s static shape."""
    if not tensor.shape.is_compatible_with(expected_tensor.shape):
        raise ValueError(f"Shapes {tensor.shape} of {tensor.name} and {expected_tensor.shape} of "
                         f"{expected_tensor.name} are incompatible")
    return tensor


def remove_squeezable_dimensions(predictions: TensorLike, labels: TensorLike,
                                 name: str | None = None) -> tuple[Tensor, Tensor]:
    """Drop a trailing size-1 axis from whichever of the two has one rank more (static ranks)."""
    p, lab = convert_to_tensor(predictions), convert_to_tensor(labels)
    pr, lr = p.shape.rank, lab.shape.rank
    if pr is None or lr is None:
        raise InvalidArgumentError(None, None, "remove_squeezable_dimensions needs static ranks in graphflow "
                                   f"(got {p.shape} and {lab.shape})")
    if pr == lr + 1 and p.shape.as_list()[-1] == 1:
        p = squeeze(p, [-1])
    elif lr == pr + 1 and lab.shape.as_list()[-1] == 1:
        lab = squeeze(lab, [-1])
    return p, lab


def prepend_name_scope(name: str, import_scope: str | None) -> str:
    """``import_scope/name`` (a control input's "^" kept in front)."""
    if not import_scope:
        return name
    return f"^{import_scope}/{name[1:]}" if name.startswith("^") else f"{import_scope}/{name}"


def strip_name_scope(name: str, export_scope: str | None) -> str:
    """``name`` without the leading ``export_scope/``."""
    if not export_scope:
        return name
    prefix = export_scope.rstrip("/") + "/"
    if name.startswith("^" + prefix):
        return "^" + name[len(prefix) + 1:]
    return name[len(prefix):] if name.startswith(prefix) else name


def get_graph_from_inputs(op_input_list: Iterable[Any], graph: Graph | None = None) -> Graph:
    """The graph the inputs' tensors belong to (the default graph when none is a tensor); a
    ValueError when they come from different graphs."""
    found = graph
    for item in op_input_list:
        owner = getattr(getattr(item, "op", None), "graph", None)
        if owner is None:
            continue
        if found is None:
            found = owner
        elif owner is not found:
            raise ValueError(f"{item} must be from the same graph as {found}.")
    return found or get_default_graph()


def get_placeholders(graph: Graph) -> list[Tensor]:
    """The outputs of the graph's Placeholder ops."""
    return [op.outputs[0] for op in graph.get_operations() if op.type == "Placeholder"]


def _warn(what: str, date: str | None, instructions: str) -> None:
    when = "in a future version" if date is None else f"after {date}"
    warnings.warn(f"{what} is deprecated and will be removed {when}. Instructions for updating: {instructions}",
                  DeprecationWarning, stacklevel=3)


def deprecated(date: str | None, instructions: str, warn_once: bool = True) -> Callable[[F], F]:
    """Mark a function deprecated: calling it warns (once, by default)."""
    def decorate(func: F) -> F:
        warned: list[bool] = []

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not (warn_once and warned):
                warned.append(True)
                _warn(getattr(func, "__qualname__", str(func)), date, instructions)
            return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def deprecated_args(date: str | None, instructions: str, *deprecated_arg_names_or_tuples: Any,
                    warn_once: bool = True) -> Callable[[F], F]:
    """Warn when a call passes one of the named arguments."""
    names = {a[0] if isinstance(a, tuple) else a for a in deprecated_arg_names_or_tuples}

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name in names & set(kwargs):
                _warn(f"Argument {name} of {func.__qualname__}", date, instructions)
            return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def deprecated_arg_values(date: str | None, instructions: str, warn_once: bool = True,
                          **deprecated_kwargs: Any) -> Callable[[F], F]:
    """Warn when a call passes one of the named arguments with the deprecated value."""
    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name, value in deprecated_kwargs.items():
                if name in kwargs and kwargs[name] == value:
                    _warn(f"Argument {name}={value!r} of {func.__qualname__}", date, instructions)
            return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate

