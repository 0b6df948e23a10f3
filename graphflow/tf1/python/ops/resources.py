"""``from tensorflow.python.ops import resources``: TF1's resource collections (lookup tables,
tree ensembles). graphflow has no resources of that kind, so the collections are whatever the
graph holds under TF1's keys, and initializing them groups their initializers."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core.ir import Operation
from graphflow.ops.constant_ops import group
from graphflow.ops.variables import get_collection

__all__ = ["initialize_resources", "local_resources", "shared_resources"]

_SHARED, _LOCAL = "resources", "local_resources"  # TF1's GraphKeys.RESOURCES, LOCAL_RESOURCES


def shared_resources() -> list[object]:
    """The graph's ``GraphKeys.RESOURCES`` collection."""
    return get_collection(_SHARED)


def local_resources() -> list[object]:
    """The graph's ``GraphKeys.LOCAL_RESOURCES`` collection."""
    return get_collection(_LOCAL)


def initialize_resources(resource_list: Sequence[Any], name: str = "init") -> Operation:
    """One op that runs the ``initializer`` of every resource listed (a no-op for none).

    >>> from graphflow.python.ops import resources
    >>> init = resources.initialize_resources(resources.shared_resources())
    """
    return group(*[getattr(r, "initializer", r) for r in resource_list], name=name)
