"""CRC32C (Castagnoli), the checksum of TFRecord files and tensor bundles, from google-crc32c.

TF stores a *masked* CRC in files (``masked``): a CRC of data that itself holds CRCs would
otherwise be weak, so TF rotates it right by 15 bits and adds a constant (tsl/lib/hash/crc32c.h).
"""
from __future__ import annotations

from typing import Any

_MASK_DELTA = 0xA282EAD8


def _module() -> Any:
    try:
        import google_crc32c
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("TFRecord files and TF checkpoints carry CRC32C checksums, computed by "
                          "google-crc32c: pip install google-crc32c (or graphflow's 'io' extra)") from e
    return google_crc32c


def value(data: bytes | bytearray | memoryview) -> int:
    """The CRC32C of ``data``.

    >>> value(b"123456789") == 0xE3069283
    True
    """
    return int(_module().value(bytes(data)))


def extend(crc: int, data: bytes | bytearray | memoryview) -> int:
    """The CRC32C of the bytes ``crc`` covered followed by ``data``."""
    return int(_module().extend(crc, bytes(data)))


def mask(crc: int) -> int:
    """TF's masked form of ``crc``, the one files hold."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def masked(data: bytes | bytearray | memoryview) -> int:
    """The masked CRC32C of ``data``."""
    return mask(value(data))
