"""``tf.compat``: TF's string and number helpers and its forward-compatibility window, beside
``tf.compat.v1`` (graphflow itself; the package ``__init__`` builds the namespace).

    >>> import graphflow as gf
    >>> gf.compat.as_bytes("héllo"), gf.compat.as_str(b"abc")
    (b'h\\xc3\\xa9llo', 'abc')
"""
from __future__ import annotations

import contextlib
import datetime
import numbers
import os
from collections.abc import Iterator

import numpy as np

from graphflow.tf1.graph_functions import dimension_at_index, dimension_value

__all__ = ["as_bytes", "as_str", "as_str_any", "as_text", "path_to_str", "bytes_or_text_types", "integral_types",
           "real_types", "complex_types", "dimension_at_index", "dimension_value", "forward_compatible",
           "forward_compatibility_horizon"]

bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)
complex_types = (numbers.Complex, np.number)


def as_bytes(bytes_or_text: bytes | bytearray | str, encoding: str = "utf-8") -> bytes:
    """``bytes_or_text`` as bytes (text encoded with ``encoding``); TypeError for anything else."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text: bytes | str, encoding: str = "utf-8") -> str:
    """``bytes_or_text`` as str (bytes decoded with ``encoding``); TypeError for anything else."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value: object, encoding: str = "utf-8") -> str:
    """``str(value)``, except that bytes are decoded with ``encoding``."""
    if isinstance(value, bytes):
        return as_str(value, encoding)
    return str(value)


def path_to_str(path: object) -> object:
    """A path-like object as str; anything else unchanged."""
    if isinstance(path, os.PathLike):
        return as_str_any(os.fspath(path))
    return path


# TF 2.21's window: what its forward_compatible answers, graphflow answers
_HORIZON = datetime.date(2026, 1, 16)
_DELTA_DAYS_VAR = "TF_FORWARD_COMPATIBILITY_DELTA_DAYS"


def _date_number(year: int, month: int, day: int) -> int:
    return (year << 9) | (month << 5) | day


def _horizon_number(date: datetime.date | None = None) -> int:
    if date is None:
        date = _HORIZON
        delta = os.getenv(_DELTA_DAYS_VAR)
        if delta:
            date += datetime.timedelta(days=int(delta))
    return _date_number(date.year, date.month, date.day)


_window = [_horizon_number()]


def forward_compatible(year: int, month: int, day: int) -> bool:
    """Whether the forward-compatibility window has passed the given date (graphs produced now may
    use what became available then)."""
    return _window[0] > _date_number(year, month, day)


@contextlib.contextmanager
def forward_compatibility_horizon(year: int, month: int, day: int) -> Iterator[None]:
    """Within the block, ``forward_compatible`` answers as if the horizon were this date (dates
    before the built-in horizon are ignored, as TF ignores them)."""
    date = datetime.date(year, month, day)
    saved = _window[0]
    if date >= _HORIZON:
        _window[0] = _horizon_number(date)
    try:
        yield
    finally:
        _window[0] = saved
