"""Element types: a thin, hashable wrapper around numpy dtypes with TF1 names."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DType:
    """A graphflow element type (``gf.float32``...); ``as_numpy_dtype`` gives numpy's."""

    name: str

    @cached_property
    def as_numpy_dtype(self) -> type:
        return np.dtype(self.name).type

    @cached_property
    def np(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def is_floating(self) -> bool:
        return self.name.startswith("float")

    @property
    def is_integer(self) -> bool:
        return self.name.startswith(("int", "uint"))

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def min(self) -> Any:
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self) -> Any:
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    def __repr__(self) -> str:
        return f"gf.{self.name}"


float16 = DType("float16")
float32 = DType("float32")
float64 = DType("float64")
int8 = DType("int8")
int16 = DType("int16")
int32 = DType("int32")
int64 = DType("int64")
uint8 = DType("uint8")
bool_ = DType("bool")

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32, "bool_": bool_})


def as_dtype(value: Any) -> DType:
    """Convert a DType, numpy dtype/type or name (``"float"`` is float32, as in TF1).

    >>> as_dtype("float")
    gf.float32
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    try:
        name = np.dtype(value).name
    except TypeError:
        raise TypeError(f"expected a dtype (gf.float32, numpy dtype or name), got {value!r}") from None
    if name not in _BY_NAME:
        raise TypeError(f"graphflow does not support dtype {name!r}; supported: "
                        + ", ".join(d.name for d in ALL))
    return _BY_NAME[name]
