"""The helpers contrib.layers (and slim) use to name what a layer returned: aliases kept beside
the tensors of an outputs collection, read back as ``{alias: tensor}`` (``end_points``)."""
from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from graphflow.core.ir import Tensor, get_default_graph

__all__ = ["append_tensor_alias", "collect_named_outputs", "convert_collection_to_dict", "get_tensor_aliases",
           "get_variable_collections", "int_list", "last_dimension"]

# Tensor keeps no free attributes (slots); the aliases live here, keyed by the very object the
# collection holds
_ALIASES: weakref.WeakKeyDictionary[Tensor, list[str]] = weakref.WeakKeyDictionary()


def append_tensor_alias(tensor: Tensor, alias: str) -> Tensor:
    """Add ``alias`` (a trailing "/" dropped) to the tensor's aliases; returns the tensor."""
    _ALIASES.setdefault(tensor, []).append(alias[:-1] if alias.endswith("/") else alias)
    return tensor


def get_tensor_aliases(tensor: Tensor) -> list[str]:
    """The tensor's aliases, or its op's name when it has none."""
    if tensor in _ALIASES:
        return list(_ALIASES[tensor])
    return [tensor.name[:-2] if tensor.name.endswith(":0") else tensor.name]


def collect_named_outputs(collections: str | Sequence[str] | None, alias: str, outputs: Tensor) -> Tensor:
    """Tag ``outputs`` with ``alias`` and add it to ``collections`` (nothing when None)."""
    if collections:
        append_tensor_alias(outputs, alias)
        get_default_graph().add_to_collections([collections] if isinstance(collections, str) else
                                               list(collections), outputs)
    return outputs


def convert_collection_to_dict(collection: str, clear_collection: bool = False) -> OrderedDict[str, Any]:
    """``{alias: tensor}`` for the tensors of ``collection`` (a net's end points)."""
    graph = get_default_graph()
    out = OrderedDict((alias, t) for t in graph.get_collection(collection) for alias in get_tensor_aliases(t))
    if clear_collection:
        graph.clear_collection(collection)
    return out


def get_variable_collections(variables_collections: Mapping[str, Sequence[str]] | Sequence[str] | None,
                             name: str) -> list[str] | None:
    """The collections a layer's variable ``name`` joins: ``variables_collections[name]`` for a
    dict, the list itself otherwise."""
    if isinstance(variables_collections, Mapping):
        found = variables_collections.get(name)
        return None if found is None else list(found)
    return None if variables_collections is None else list(variables_collections)


def last_dimension(shape: Any, min_rank: int = 1) -> int:
    """The static size of the last dimension; ValueError when the rank is below ``min_rank`` or the
    size is unknown."""
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    if len(dims) < min_rank:
        raise ValueError(f"rank of shape must be at least {min_rank} not: {len(dims)}")
    if dims[-1] is None:
        raise ValueError("last dimension shape must be known but is None")
    return int(dims[-1])


def int_list(value: int | Sequence[int], n: int, what: str) -> list[int]:
    """A layer's int-or-list argument (kernel size, stride, rate) as ``n`` ints."""
    out = [int(value)] * n if isinstance(value, int) else [int(v) for v in value]
    if len(out) != n:
        raise ValueError(f"{what} must be an int or a list of {n} ints, got {value!r}")
    return out
