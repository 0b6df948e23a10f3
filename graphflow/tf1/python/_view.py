"""A module whose attributes are looked up in graphflow's public namespaces (for TF1's internal
module paths, which expose the same functions under other module names)."""
from __future__ import annotations

import sys
from typing import Any

import graphflow


def view(name: str, *namespaces: str) -> None:
    """Make module ``name`` resolve attributes from ``graphflow.<ns>`` (in order; "" is the package)."""
    mod = sys.modules[name]

    def getattr_(attr: str) -> Any:
        for ns in namespaces:
            target = graphflow
            for part in [p for p in ns.split(".") if p]:
                target = getattr(target, part)
            if hasattr(target, attr):
                return getattr(target, attr)
        where = " or ".join(f"tf.{ns + '.' if ns else ''}{attr}" for ns in namespaces)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}: graphflow does not provide {where}")
    mod.__getattr__ = getattr_  # type: ignore[attr-defined]
