"""tf.string tensors: object arrays of bytes, as TF1 returns them.

String ops are host ops (``Kind.HOST``): compiled code has no strings, so the runtime evaluates
them with their numpy reference beside the compiled call (``runtime/host.py``). ``identity``,
``equal``, ``not_equal``, ``add`` (concatenation) and the data-movement ops accept strings too and
run on the host when they do.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import broadcast_rule, make, same_shape


def _strings(t: TensorLike, what: str) -> Tensor:
    # Python values convert as strings (an empty list too), as TF's wrappers convert them
    x = t if isinstance(t, Tensor) else convert_to_tensor(t, dtype=_dt.string)
    if not x.dtype.is_string:
        raise TypeError(f"{what} needs a string tensor, got {x.name} of dtype {x.dtype.name}")
    return x


def _map(fn: Callable[..., object], *arrays: np.ndarray) -> np.ndarray:
    out = np.frompyfunc(fn, len(arrays), 1)(*arrays)
    return np.asarray(out, dtype=object)


# ---- as_string -----------------------------------------------------------------------------

@dataclass(frozen=True)
class AsStringAttrs:
    precision: int = -1
    scientific: bool = False
    shortest: bool = False
    width: int = -1
    fill: str = ""


def _as_string_dtype(dtypes: Sequence[DType], at: object) -> list[DType]:
    if dtypes[0].is_string:
        raise TypeError("as_string needs a numeric or bool tensor, got a string tensor")
    return [_dt.string]


def _format(at: AsStringAttrs, dtype: np.dtype) -> Callable[[object], bytes]:
    width = "" if at.width < 0 else str(at.width)
    flag = "0" if at.fill == "0" else ""
    if dtype.kind == "f":
        prec = "" if at.precision < 0 else f".{at.precision}"
        conv = "g" if at.shortest else "e" if at.scientific else "f"
        spec = f"%{flag}{width}{prec}{conv}"
        return lambda v: (spec % v).encode()
    if dtype.kind == "b":
        return lambda v: (b"true" if v else b"false").rjust(max(at.width, 0))
    spec = f"%{flag}{width}d"
    return lambda v: (spec % v).encode()


def _as_string_ref(at: AsStringAttrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return _map(_format(at, x.dtype), x)


register(OpDef(Op.AS_STRING, Kind.HOST, same_shape, _as_string_dtype, _as_string_ref, no_gradient=True))


# ---- join ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JoinAttrs:
    separator: bytes = b""
    axis: tuple[int, ...] | None = None  # reduce_join: the axes joined (None: all)
    keepdims: bool = False


def _all_strings(dtypes: Sequence[DType], at: object) -> list[DType]:
    for i, d in enumerate(dtypes):
        if not d.is_string:
            raise TypeError(f"operand {i} has dtype {d.name}, expected string")
    return [_dt.string]


def _join_ref(at: JoinAttrs, *xs: np.ndarray) -> np.ndarray:
    return _map(lambda *v: at.separator.join(v), *[np.asarray(x, dtype=object) for x in xs])


register(OpDef(Op.STRING_JOIN, Kind.HOST, broadcast_rule, _all_strings, _join_ref, no_gradient=True))


def _reduce_join_shape(shapes: Sequence[TensorShape], at: JoinAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    axes = range(s.rank) if at.axis is None else [a % s.rank for a in at.axis]
    dims = [1 if i in axes else d for i, d in enumerate(s.as_list())] if at.keepdims else \
        [d for i, d in enumerate(s.as_list()) if i not in axes]
    return [TensorShape(dims)]


def _reduce_join_ref(at: JoinAttrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    axes = tuple(range(x.ndim)) if at.axis is None else tuple(a % x.ndim for a in at.axis)
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes)).reshape([x.shape[i] for i in rest] + [-1])
    out = np.empty(moved.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = at.separator.join(moved[idx])
    if at.keepdims:
        out = out.reshape([1 if i in axes else x.shape[i] for i in range(x.ndim)])
    return out


register(OpDef(Op.REDUCE_JOIN, Kind.HOST, _reduce_join_shape, _all_strings, _reduce_join_ref,
               no_gradient=True))


# ---- per-element string functions ----------------------------------------------------------------

@dataclass(frozen=True)
class StringMapAttrs:
    fn: str  # "upper", "lower", "strip", "length", "to_number", "substr"
    out: DType = _dt.string
    pos: int = 0
    len: int = 0


def _to_number(at: StringMapAttrs) -> Callable[[bytes], float | int]:
    kind = at.out.np.kind

    def parse(v: bytes) -> float | int:
        try:
            return float(v) if kind == "f" else int(v)
        except ValueError:
            raise ValueError(f"StringToNumberOp could not correctly convert string: {v!r} "
                             f"(expected a {at.out.name} number)") from None
    return parse


def _string_fn(at: StringMapAttrs) -> Callable[[bytes], object]:
    if at.fn == "to_number":
        return _to_number(at)
    fns: dict[str, Callable[[bytes], object]] = {
        "upper": bytes.upper, "lower": bytes.lower, "strip": bytes.strip, "length": len,
        "substr": lambda v: v[at.pos:at.pos + at.len]}
    return fns[at.fn]


def _map_dtype(dtypes: Sequence[DType], at: StringMapAttrs) -> list[DType]:
    _all_strings(dtypes, at)
    return [at.out]


def _map_ref(at: StringMapAttrs, x: np.ndarray) -> np.ndarray:
    out = _map(_string_fn(at), np.asarray(x, dtype=object))
    return out if at.out.is_string else out.astype(at.out.np)


register(OpDef(Op.STRING_MAP, Kind.HOST, same_shape, _map_dtype, _map_ref, no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _sep(separator: str | bytes) -> bytes:
    return separator.encode() if isinstance(separator, str) else bytes(separator)


def as_string(input: TensorLike, precision: int = -1, scientific: bool = False, shortest: bool = False,  # noqa: A002
              width: int = -1, fill: str = "", name: str | None = None) -> Tensor:
    """Each element formatted as bytes: floats as ``%f`` (``precision`` digits, ``%e`` when
    ``scientific``, ``%g`` when ``shortest``), integers as ``%d``, bools as true/false.

    >>> import graphflow as gf
    >>> as_string(gf.constant([1, 2])).dtype
    gf.string
    """
    if fill not in ("", " ", "0"):
        raise ValueError(f"as_string: fill must be '', ' ' or '0', got {fill!r}")
    return make(Op.AS_STRING, [convert_to_tensor(input)],
                AsStringAttrs(int(precision), bool(scientific), bool(shortest), int(width), fill),
                name=name or "AsString")


def string_join(inputs: Sequence[TensorLike], separator: str = "", name: str | None = None) -> Tensor:
    """Element-wise concatenation of string tensors (broadcast), ``separator`` between."""
    xs = [_strings(x, "string_join") for x in inputs]
    return make(Op.STRING_JOIN, xs, JoinAttrs(_sep(separator)), name=name or "StringJoin")


def reduce_join(inputs: TensorLike, axis: int | Sequence[int] | None = None, keep_dims: bool = False,
                separator: str = "", name: str | None = None, reduction_indices: int | Sequence[int] | None = None,
                keepdims: bool | None = None) -> Tensor:
    """Join the strings along ``axis`` (all axes by default)."""
    x = _strings(inputs, "reduce_join")
    ax = axis if axis is not None else reduction_indices
    axes = None if ax is None else tuple(int(a) for a in np.atleast_1d(ax))
    keep = bool(keepdims if keepdims is not None else keep_dims)
    return make(Op.REDUCE_JOIN, [x], JoinAttrs(_sep(separator), axes, keep), name=name or "ReduceJoin")


def _string_map(at: StringMapAttrs, x: TensorLike, name: str | None, default: str) -> Tensor:
    return make(Op.STRING_MAP, [_strings(x, default)], at, name=name or default)


def length(input: TensorLike, name: str | None = None, unit: str = "BYTE") -> Tensor:  # noqa: A002
    """The length of each string in bytes (``unit="UTF8_CHAR"`` is not supported)."""
    if unit != "BYTE":
        raise ValueError(f"strings.length: unit {unit!r} is not supported; expected 'BYTE'")
    return _string_map(StringMapAttrs("length", out=_dt.int32), input, name, "StringLength")


def to_number(string_tensor: TensorLike, out_type: DTypeLike = _dt.float32, name: str | None = None) -> Tensor:
    """Parse each string as a number of ``out_type``; a string that is no number raises at run time."""
    out = _dt.as_dtype(out_type)
    if not out.is_numeric:
        raise TypeError(f"string_to_number: out_type must be numeric, got {out.name}")
    return _string_map(StringMapAttrs("to_number", out=out), string_tensor, name, "StringToNumber")


def upper(input: TensorLike, name: str | None = None, encoding: str = "") -> Tensor:  # noqa: A002
    return _string_map(StringMapAttrs("upper"), input, name, "StringUpper")


def lower(input: TensorLike, name: str | None = None, encoding: str = "") -> Tensor:  # noqa: A002
    return _string_map(StringMapAttrs("lower"), input, name, "StringLower")


def strip(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    return _string_map(StringMapAttrs("strip"), input, name, "StringStrip")


def substr(input: TensorLike, pos: int, len: int, name: str | None = None, unit: str = "BYTE") -> Tensor:  # noqa: A002
    """Bytes ``[pos, pos + len)`` of each string (``pos`` and ``len`` are Python ints)."""
    return _string_map(StringMapAttrs("substr", pos=int(pos), len=int(len)), input, name, "Substr")
