"""``tf.register_tensor_conversion_function``: user classes that ``convert_to_tensor`` turns into
tensors, tried in TF1's order (smaller priority first, then registration order).

TF1 registers its own constant conversion for ``(list, tuple)`` at priority 100 and for ``object``
at 200; ``BUILTIN`` holds those places here, so a function registered at 200 or later for a class
that is not a constant-convertible value is only reached where TF1 reaches it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from graphflow.core import dtypes as _dt

__all__ = ["BUILTIN", "register_tensor_conversion_function", "conversion_functions", "convert_registered",
           "has_registered_conversion"]

ConversionFunc = Callable[..., Any]


class _Builtin:
    """The place of the constant conversion among the registered functions."""

    def __repr__(self) -> str:
        return "<constant conversion>"


BUILTIN = _Builtin()
_lock = threading.Lock()
# priority -> [(base_type, func)], registration order within a priority
_registry: dict[int, list[tuple[type | tuple[type, ...], Any]]] = {100: [((list, tuple), BUILTIN)],
                                                                   200: [(object, BUILTIN)]}
_cache: dict[type, list[tuple[type | tuple[type, ...], Any]]] = {}
_user_count = 0


def register_tensor_conversion_function(base_type: type | tuple[type, ...], conversion_func: ConversionFunc,
                                        priority: int = 100) -> None:
    """Make ``convert_to_tensor`` (and so every op) accept instances of ``base_type``:
    ``conversion_func(value, dtype=None, name=None, as_ref=False)`` returns a tensor, or
    ``NotImplemented`` to let the next function try.

    >>> import graphflow as gf
    >>> class Meters:
    ...     def __init__(self, v: float) -> None:
    ...         self.v = v
    >>> gf.register_tensor_conversion_function(Meters, lambda m, dtype=None, name=None, as_ref=False:
    ...                                        gf.constant(m.v, dtype=dtype, name=name))
    >>> (gf.constant(1.0) + Meters(2.0)).shape.as_list()
    []
    """
    global _user_count
    types_ = base_type if isinstance(base_type, tuple) else (base_type,)
    if any(not isinstance(t, type) for t in types_):
        raise TypeError(f"Argument `base_type` must be a type or a tuple of types. Obtained: {base_type}")
    if not callable(conversion_func):
        raise TypeError(f"Argument `conversion_func` must be callable. Received {conversion_func}.")
    with _lock:
        _registry.setdefault(int(priority), []).append((base_type, conversion_func))
        _cache.clear()
        _user_count += 1


def conversion_functions(cls: type) -> list[tuple[type | tuple[type, ...], Any]]:
    """The ``(base_type, func)`` pairs that apply to ``cls``, in the order they are tried
    (``BUILTIN`` marks the constant conversion's places)."""
    found = _cache.get(cls)
    if found is None:
        with _lock:
            found = [(base, fn) for _, entries in sorted(_registry.items()) for base, fn in entries
                     if issubclass(cls, base)]
            _cache[cls] = found
    return found


def has_registered_conversion(value: object) -> bool:
    """Whether a user-registered function comes before the constant conversion for ``value``'s
    class (operand conversion then leaves the value to ``convert_to_tensor``)."""
    if not _user_count:
        return False
    entries = conversion_functions(type(value))
    return bool(entries) and entries[0][1] is not BUILTIN


def convert_registered(value: object, dtype: _dt.DType | None, name: str | None, as_ref: bool,
                       preferred_dtype: _dt.DType | None, accepted: type) -> Any:
    """``value`` converted by the first registered function that does not return
    ``NotImplemented``, or ``BUILTIN`` when the constant conversion's place comes first."""
    for base, fn in conversion_functions(type(value)):
        if fn is BUILTIN:
            return BUILTIN
        ret: Any = None
        if dtype is None and preferred_dtype is not None:
            try:
                ret = fn(value, dtype=preferred_dtype, name=name, as_ref=as_ref)
            except (TypeError, ValueError):
                ret = None
            else:
                if ret is not NotImplemented and getattr(ret, "dtype", None) != preferred_dtype:
                    raise RuntimeError(f"Conversion function {fn!r} for type {base} returned incompatible dtype: "
                                       f"requested = {preferred_dtype.name}, actual = {ret.dtype.name}")
        if ret is None:
            ret = fn(value, dtype=dtype, name=name, as_ref=as_ref)
        if ret is NotImplemented:
            continue
        if not isinstance(ret, accepted):
            raise RuntimeError(f"Conversion function {fn!r} for type {base} returned non-Tensor: {ret!r}")
        tensor: Any = ret
        if dtype is not None and tensor.dtype != dtype:
            raise RuntimeError(f"Conversion function {fn!r} for type {base} returned incompatible dtype: "
                               f"requested = {dtype.name}, actual = {tensor.dtype.name}")
        return tensor
    return BUILTIN
