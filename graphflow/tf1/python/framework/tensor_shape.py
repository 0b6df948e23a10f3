"""``from tensorflow.python.framework import tensor_shape``: static shapes as TF1's internal
module names them."""
from __future__ import annotations

from typing import Any

from graphflow.core.shapes import TensorShape, as_shape

__all__ = ["Dimension", "TensorShape", "as_shape", "dimension_value", "unknown_shape"]

Dimension = int  # graphflow's dims are ints or None


def unknown_shape(rank: int | None = None, **kwargs: Any) -> TensorShape:
    """A shape of unknown rank, or of ``rank`` unknown dims."""
    return TensorShape(None if rank is None else [None] * rank)


def dimension_value(dimension: Any) -> int | None:
    """A dim as an int or None (TF1's Dimension objects give their ``value``)."""
    return getattr(dimension, "value", dimension)
