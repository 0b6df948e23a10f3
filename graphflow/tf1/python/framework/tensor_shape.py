"""``from tensorflow.python.framework import tensor_shape``: static shapes as TF1's internal
module names them."""
from __future__ import annotations

from typing import Any

from graphflow.core.shapes import TensorShape, as_shape

__all__ = ["Dimension", "TensorShape", "as_dimension", "as_shape", "dimension_at_index", "dimension_value",
           "matrix", "scalar", "unknown_shape", "vector"]

Dimension = int  # graphflow's dims are ints or None


def unknown_shape(rank: int | None = None, **kwargs: Any) -> TensorShape:
    """A shape of unknown rank, or of ``rank`` unknown dims."""
    return TensorShape(None if rank is None else [None] * rank)


def scalar() -> TensorShape:
    """The shape of a scalar, ``()``."""
    return TensorShape([])


def vector(length: int | None) -> TensorShape:
    """The shape of a vector of ``length`` (None: unknown)."""
    return TensorShape([dimension_value(length)])


def matrix(rows: int | None, cols: int | None) -> TensorShape:
    """The shape of a ``rows`` x ``cols`` matrix.

    >>> from graphflow.python.framework import tensor_shape
    >>> tensor_shape.matrix(2, None).as_list()
    [2, None]
    """
    return TensorShape([dimension_value(rows), dimension_value(cols)])


def dimension_value(dimension: Any) -> int | None:
    """A dim as an int or None (TF1's Dimension objects give their ``value``)."""
    return getattr(dimension, "value", dimension)


def as_dimension(value: Any) -> int | None:
    """``value`` as a dim: an int, or None for an unknown one (graphflow's dims are plain ints)."""
    v = dimension_value(value)
    return None if v is None else int(v)


def dimension_at_index(shape: Any, index: int) -> int | None:
    """Dim ``index`` of ``shape``; None where the rank is unknown."""
    s = as_shape(shape)
    return None if s.rank is None else s.as_list()[index]
