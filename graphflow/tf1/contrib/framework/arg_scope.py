"""``tf.contrib.framework.arg_scope``: default keyword arguments for the layer functions named in a
``with`` block, as TF 1.15 (and slim) define them.

    with arg_scope([layers.conv2d], padding="VALID", activation_fn=None):
        net = layers.conv2d(images, 32, 3)      # padding="VALID", no activation
        net = layers.conv2d(net, 64, 3, padding="SAME")   # a call's own arguments win

Only functions decorated with ``add_arg_scope`` take part; naming another is a ValueError, as in
TF1. Scopes nest: an inner scope updates the outer one's arguments for the same function.
``arg_scope(scope_dict)`` re-enters a scope saved from ``with arg_scope(...) as sc``.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["add_arg_scope", "arg_scope", "arg_scope_func_key", "arg_scoped_arguments", "current_arg_scope",
           "has_arg_scope"]

F = TypeVar("F", bound=Callable[..., Any])
ArgScope = dict[str, dict[str, Any]]

_stack = threading.local()  # each thread builds with its own scopes, as TF1's per-thread stack
_DECORATED: dict[str, list[str]] = {}  # key -> the decorated function's argument names


def _scopes() -> list[ArgScope]:
    if not hasattr(_stack, "scopes"):
        _stack.scopes = []
    return _stack.scopes


def current_arg_scope() -> ArgScope:
    """The innermost scope: ``{function key: {argument: value}}`` (empty outside every scope)."""
    scopes = _scopes()
    return scopes[-1] if scopes else {}


def arg_scope_func_key(op: Callable[..., Any]) -> str:
    """The key a function's defaults are stored under (its module and qualified name)."""
    return getattr(op, "_key_op", f"{getattr(op, '__module__', '')}.{getattr(op, '__qualname__', op)}")


def has_arg_scope(func: Callable[..., Any]) -> bool:
    """Whether ``func`` was decorated with ``add_arg_scope``."""
    return arg_scope_func_key(func) in _DECORATED


def arg_scoped_arguments(func: Callable[..., Any]) -> list[str]:
    """The argument names an arg_scope may set for ``func``."""
    if not has_arg_scope(func):
        raise ValueError(f"{getattr(func, '__name__', func)} is not decorated with @add_arg_scope")
    return list(_DECORATED[arg_scope_func_key(func)])


@contextlib.contextmanager
def arg_scope(list_ops_or_scope: Sequence[Callable[..., Any]] | ArgScope | Any,
              **kwargs: Any) -> Iterator[ArgScope]:
    """Set ``kwargs`` as the default arguments of each function in ``list_ops_or_scope`` inside the
    block; yields the new scope (a dict that ``arg_scope(sc)`` re-enters)."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a dictionary, kwargs must be empty.")
        scope = list_ops_or_scope
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict), got "
                            f"{type(list_ops_or_scope).__name__}")
        scope = {key: dict(value) for key, value in current_arg_scope().items()}
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError(f"{getattr(op, '__name__', op)} is not decorated with @add_arg_scope")
            scope.setdefault(arg_scope_func_key(op), {}).update(kwargs)
    _scopes().append(scope)
    try:
        yield scope
    finally:
        _scopes().pop()


def add_arg_scope(func: F) -> F:
    """Let ``arg_scope`` set ``func``'s keyword arguments; arguments the call gives win."""
    key = arg_scope_func_key(func)
    _DECORATED[key] = [name for name, p in inspect.signature(func).parameters.items()
                       if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    @functools.wraps(func)
    def func_with_args(*args: Any, **kwargs: Any) -> Any:
        defaults = current_arg_scope().get(key)
        if defaults:
            kwargs = {**defaults, **kwargs}
        return func(*args, **kwargs)

    func_with_args._key_op = key  # type: ignore[attr-defined]
    return func_with_args  # type: ignore[return-value]
