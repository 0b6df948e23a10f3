"""A module whose attributes are looked up in graphflow's public namespaces (for TF1's internal
module paths, which expose the same functions under other module names)."""
from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import graphflow


def _lookup(dotted: str) -> Any:
    target: Any = graphflow
    for part in [p for p in dotted.split(".") if p]:
        target = getattr(target, part)
    return target


def view(name: str, *namespaces: str, aliases: Mapping[str, str] | None = None) -> None:
    """Make module ``name`` resolve attributes from ``graphflow.<ns>`` (in order; "" is the package);
    ``aliases`` maps a name of TF1's module to another public name (``"TensorFlowTestCase":
    "test.TestCase"``)."""
    mod = sys.modules[name]
    renamed = dict(aliases or {})

    def getattr_(attr: str) -> Any:
        if attr in renamed:
            return _lookup(renamed[attr])
        for ns in namespaces:
            target = _lookup(ns)
            if hasattr(target, attr):
                return getattr(target, attr)
        where = " or ".join(f"tf.{ns + '.' if ns else ''}{attr}" for ns in namespaces)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}: graphflow does not provide {where}")
    setattr(mod, "__getattr__", getattr_)  # noqa: B010 - a module's __getattr__ (PEP 562)
