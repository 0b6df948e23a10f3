"""The attributes of the primitives the core builds itself: a constant (``convert_to_tensor``)
and the few nodes the autodiff driver adds (a fill of ones, the run-time shape it needs, the
attribute-less sums). They are plain frozen dataclasses, as every op's attributes are; the op
modules that own these primitives' rows import them from here."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphflow.core.dtypes import DType


@dataclass(frozen=True)
class NoAttrs:
    """The attributes of an op that has none."""


NO_ATTRS = NoAttrs()


@dataclass(frozen=True, eq=False)
class ConstAttrs:
    """A constant's value (read-only); equal when dtype, shape and bytes are."""

    value: np.ndarray

    def key(self) -> tuple[str, tuple[int, ...], bytes]:
        return (self.value.dtype.str, self.value.shape, self.value.tobytes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConstAttrs) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


@dataclass(frozen=True)
class FillAttrs:
    shape: tuple[int, ...] | None  # static dims, or None when given by the second input
    dtype: DType


@dataclass(frozen=True)
class ShapeAttrs:
    out_type: DType
