"""TF1's ``nest`` (``tf.nest``, ``tensorflow.python.util.nest``, ``tf.contrib.framework.nest``):
nested structures of lists, tuples, namedtuples and dicts (keys in sorted order), whose leaves are
anything else (tensors, TensorArrays, numbers, None). The same order ``while_loop`` and ``cond``
flatten their values in.

>>> flatten({"b": [1, 2], "a": (3,)})
[3, 1, 2]
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.ops.func_graph import flatten as _flatten
from graphflow.ops.func_graph import pack_as

__all__ = ["assert_same_structure", "flatten", "is_nested", "is_sequence", "map_structure", "pack_sequence_as"]


def is_nested(seq: object) -> bool:
    """Whether ``seq`` is a list, tuple (namedtuples included) or dict, rather than a leaf."""
    return isinstance(seq, (list, tuple, dict))


is_sequence = is_nested  # TF1's older name


def flatten(structure: object, expand_composites: bool = False) -> list[Any]:
    """The leaves of ``structure`` in order (a leaf alone: a one-element list)."""
    return _flatten(structure)


def pack_sequence_as(structure: object, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """``flat_sequence`` in the nesting of ``structure``."""
    flat = list(flat_sequence)
    if len(flat) != len(_flatten(structure)):
        raise ValueError(f"pack_sequence_as: the structure has {len(_flatten(structure))} leaves, the flat "
                         f"sequence {len(flat)}")
    return pack_as(structure, flat)


def _shape(structure: object) -> object:
    if isinstance(structure, dict):
        return (type(structure).__name__, tuple((k, _shape(structure[k])) for k in sorted(structure)))
    if isinstance(structure, (list, tuple)):
        kind = type(structure).__name__ if hasattr(structure, "_fields") else "seq"
        return (kind, tuple(_shape(s) for s in structure))
    return None


def assert_same_structure(nest1: object, nest2: object, check_types: bool = True,
                          expand_composites: bool = False) -> None:
    """Raise ValueError unless the two structures nest alike (same lengths, keys, namedtuple types)."""
    if _shape(nest1) != _shape(nest2):
        raise ValueError(f"The two structures don't have the same nested structure: {nest1!r} and {nest2!r}")
    if check_types:
        def kinds(s: object) -> object:
            if isinstance(s, dict):
                return (type(s), tuple(kinds(s[k]) for k in sorted(s)))
            if isinstance(s, (list, tuple)):
                return (type(s), tuple(kinds(v) for v in s))
            return None
        if kinds(nest1) != kinds(nest2):
            raise TypeError(f"The two structures don't have the same sequence types: {nest1!r} and {nest2!r}")


def map_structure(func: Callable[..., Any], *structure: object, **kwargs: Any) -> Any:
    """``func`` applied to the corresponding leaves of the structures, in the first's nesting."""
    if not structure:
        raise ValueError("map_structure needs at least one structure")
    check = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError(f"map_structure: unexpected keyword arguments {sorted(kwargs)}")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check)
    leaves = [_flatten(s) for s in structure]
    return pack_as(structure[0], [func(*xs) for xs in zip(*leaves)])
