"""``from tensorflow.python.util import tf_inspect``: TF1's thin layer over ``inspect`` that sees
through decorators (``functools.wraps``' ``__wrapped__``), as graphflow's decorators all use it."""
from __future__ import annotations

import inspect
from collections import namedtuple
from collections.abc import Callable
from typing import Any

__all__ = ["ArgSpec", "FullArgSpec", "getargspec", "getcallargs", "getdoc", "getfile", "getfullargspec",
           "getmembers", "getmodule", "getsource", "isbuiltin", "isclass", "isfunction", "ismethod",
           "ismodule", "isroutine", "signature", "unwrap", "Parameter"]

ArgSpec = namedtuple("ArgSpec", ["args", "varargs", "keywords", "defaults"])
FullArgSpec = inspect.FullArgSpec
Parameter = inspect.Parameter


def unwrap(obj: Any) -> Any:
    """``obj`` with its decorators peeled off (``inspect.unwrap``)."""
    return inspect.unwrap(obj)


def getfullargspec(obj: Callable[..., Any]) -> inspect.FullArgSpec:
    """``inspect.getfullargspec`` of the undecorated function.

    >>> from graphflow.python.util import tf_inspect
    >>> tf_inspect.getfullargspec(lambda a, b=1: a).args
    ['a', 'b']
    """
    return inspect.getfullargspec(unwrap(obj))


def getargspec(obj: Callable[..., Any]) -> ArgSpec:
    """TF1's (Python 2's) ``ArgSpec(args, varargs, keywords, defaults)`` of the undecorated function;
    keyword-only arguments raise ValueError, as ``inspect.getargspec`` did."""
    spec = getfullargspec(obj)
    if spec.kwonlyargs:
        raise ValueError(f"{obj!r} has keyword-only arguments; use getfullargspec")
    return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


def signature(obj: Callable[..., Any], *, follow_wrapped: bool = True) -> inspect.Signature:
    """``inspect.signature``."""
    return inspect.signature(obj, follow_wrapped=follow_wrapped)


def getcallargs(func: Callable[..., Any], *positional: Any, **named: Any) -> dict[str, Any]:
    """The arguments a call would bind, by name (``inspect.getcallargs`` of the undecorated function)."""
    return inspect.getcallargs(unwrap(func), *positional, **named)


def getdoc(obj: Any) -> str | None:
    return inspect.getdoc(obj)


def getfile(obj: Any) -> str:
    return inspect.getfile(unwrap(obj))


def getmembers(obj: Any, predicate: Callable[[Any], bool] | None = None) -> list[tuple[str, Any]]:
    return inspect.getmembers(obj, predicate)


def getmodule(obj: Any) -> Any:
    return inspect.getmodule(obj)


def getsource(obj: Any) -> str:
    return inspect.getsource(unwrap(obj))


def isbuiltin(obj: Any) -> bool:
    return inspect.isbuiltin(unwrap(obj))


def isclass(obj: Any) -> bool:
    return inspect.isclass(unwrap(obj))


def isfunction(obj: Any) -> bool:
    return inspect.isfunction(unwrap(obj))


def ismethod(obj: Any) -> bool:
    return inspect.ismethod(unwrap(obj))


def ismodule(obj: Any) -> bool:
    return inspect.ismodule(obj)


def isroutine(obj: Any) -> bool:
    return inspect.isroutine(unwrap(obj))
