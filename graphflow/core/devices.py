"""Device strings: TF1's canonical form ("/gpu:1" -> "/device:GPU:1") and what ``Graph.device``
takes besides a string (a ``DeviceSpec``)."""
from __future__ import annotations

from typing import Protocol


class DeviceSpecLike(Protocol):
    """TF1's ``DeviceSpec``, which ``Graph.device`` also takes."""

    def to_string(self) -> str: ...


def spec_string(spec: object) -> str:
    """A DeviceSpec (or anything else) as a device string."""
    to_string = getattr(spec, "to_string", None)
    return str(to_string()) if callable(to_string) else str(spec)


def canonical_device(spec: str) -> str:
    """TF1's canonical form of a device string: "/gpu:1" -> "/device:GPU:1", job parts kept."""
    parts = []
    for part in spec.strip("/").split("/"):
        kind, _, rest = part.partition(":")
        if kind.lower() == "device":
            kind, _, rest = rest.partition(":")
        if kind.lower() in ("cpu", "gpu"):
            part = f"device:{kind.upper()}:{rest or '0'}"
        parts.append(part)
    return "/" + "/".join(p for p in parts if p) if any(parts) else ""
