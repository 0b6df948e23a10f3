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
        return self.np.type

    @cached_property
    def np(self) -> np.dtype:
        # strings are numpy object arrays of bytes (what TF1 returns for tf.string)
        return np.dtype(object) if self.name == "string" else np.dtype(self.name)

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
    def is_string(self) -> bool:
        return self.name == "string"

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_numeric(self) -> bool:
        return not (self.is_bool or self.is_string)

    @property
    def size(self) -> int:
        """Bytes per element (TF1's ``DType.size``; 0 for strings, whose size varies)."""
        return 0 if self.is_string else self.np.itemsize

    @property
    def min(self) -> Any:  # a Python int, or the numpy float of this dtype (as TF1's)
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self) -> Any:  # a Python int, or the numpy float of this dtype (as TF1's)
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
string = DType("string")

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_, string)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32, "bool_": bool_})


def as_dtype(value: DType | np.dtype | type | str) -> DType:
    """Convert a DType, numpy dtype/type or name (``"float"`` is float32, as in TF1).

    >>> as_dtype("float")
    gf.float32
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value in (str, bytes, np.str_, np.bytes_, np.object_):
        return string
    try:
        name = np.dtype(value).name
    except TypeError:
        raise TypeError(f"expected a dtype (gf.float32, numpy dtype or name), got {value!r}") from None
    if np.dtype(value).kind in "USO":
        return string
    if name not in _BY_NAME:
        raise TypeError(f"graphflow does not support dtype {name!r}; supported: "
                        + ", ".join(d.name for d in ALL))
    return _BY_NAME[name]


def to_strings(value: object) -> np.ndarray:
    """A user value as a tf.string array: an object array of bytes (str is UTF-8 encoded).

    >>> to_strings(["a", b"b"]).tolist()
    [b'a', b'b']
    """
    arr = np.asarray(value, dtype=object)
    flat = arr.reshape(-1)
    out = np.empty(flat.shape, dtype=object)
    for i, v in enumerate(flat):
        if isinstance(v, (bytes, np.bytes_)):
            out[i] = bytes(v)
        elif isinstance(v, (str, np.str_)):
            out[i] = str(v).encode("utf-8")
        else:
            raise TypeError(f"expected str or bytes values for a tf.string tensor, got {v!r} "
                            f"({type(v).__name__})")
    return out.reshape(arr.shape)


def infer_dtype(value: object) -> DType:
    """The dtype ``convert_to_tensor`` gives a Python or numpy value (TF1's: Python floats are
    float32, Python ints int32; numpy values keep theirs)."""
    if isinstance(value, np.generic):  # numpy scalars keep their dtype (np.float64 is a float)
        return as_dtype(value.dtype)
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (str, bytes)):
        return string
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.integer):
        return int32
    if isinstance(value, float):
        return float32
    arr = np.asarray(value)
    if arr.dtype == np.float64 and not isinstance(value, np.ndarray):
        return float32  # Python floats and lists of them: TF1 makes float32
    if arr.dtype == np.int64 and not isinstance(value, (np.ndarray, np.integer)):
        return int32
    if arr.dtype.kind in "US" or (arr.dtype.kind == "O" and arr.size
                                  and all(isinstance(v, (str, bytes)) for v in arr.reshape(-1))):
        return string
    if arr.dtype.kind == "O":
        raise TypeError(f"cannot convert {value!r} to a graphflow tensor (dtype {arr.dtype})")
    return as_dtype(arr.dtype)


def constant_value(value: object, dtype: DType) -> np.ndarray:
    """``value`` as an array of ``dtype`` (what a CONST node of that dtype holds): a TypeError
    for text where numbers are expected, or for a fraction that an integer dtype would lose."""
    if dtype.is_string:
        arr = to_strings(value)
    else:
        arr = np.asarray(value)
        if arr.dtype.kind in "USO":
            raise TypeError(f"cannot make a {dtype.name} constant from {value!r}: expected numbers")
    if not dtype.is_floating and arr.dtype.kind == "f" and arr.size and not np.all(np.mod(arr, 1) == 0):
        raise TypeError(f"cannot make a {dtype.name} constant from {value!r} without losing the "
                        "fractional part")
    return arr.astype(dtype.np)
