"""``tf.strings.format``: tensors formatted into a template, as TF's ``StringFormat`` op.

A host op (``Kind.HOST``) as every string op. Each tensor is written as TF's
``SummarizeValue(summarize, print_v2=true)`` writes it: nested brackets, the first and last
``summarize`` entries of each dimension around ``...``, floats in the shortest of ``%.6g`` /
``%.9g`` (``%.15g`` / ``%.17g`` for float64) that reads back exactly, bools as 1/0, strings quoted
and C-escaped.
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
from graphflow.core.types import TensorLike
from graphflow.ops._build import make

_ESCAPES = {ord("\n"): b"\\n", ord("\r"): b"\\r", ord("\t"): b"\\t", ord('"'): b'\\"', ord("'"): b"\\'",
            ord("\\"): b"\\\\"}


def _c_escape(s: bytes) -> bytes:
    """absl's ``Utf8SafeCEscape``: bytes 0x80 and up stay as they are."""
    out = bytearray()
    for c in s:
        if c in _ESCAPES:
            out += _ESCAPES[c]
        elif c < 0x20 or c == 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out)


def _float(v: float, short: int, full: int, kind: type) -> bytes:
    text = f"{v:.{short}g}"
    if not np.isfinite(v) or kind(text) == kind(v):
        return text.encode()
    return f"{v:.{full}g}".encode()


def _element(dtype: np.dtype) -> Callable[[object], bytes]:
    if dtype.kind == "O":
        return lambda v: b'"' + _c_escape(bytes(v)) + b'"'  # type: ignore[call-overload]
    if dtype.kind == "b":
        return lambda v: b"1" if v else b"0"
    if dtype == np.float64:
        return lambda v: _float(float(v), 15, 17, np.float64)  # type: ignore[arg-type]
    if dtype.kind == "f":
        return lambda v: _float(float(np.float32(v)), 6, 9, np.float32)  # type: ignore[arg-type]
    return lambda v: str(int(v)).encode()  # type: ignore[call-overload]


def summarize(x: np.ndarray, entries: int) -> bytes:
    """TF's ``SummarizeValue(entries, print_v2=true)`` of ``x``.

    >>> summarize(np.arange(10), 3)
    b'[0 1 2 ... 7 8 9]'
    """
    fmt = _element(x.dtype)
    ends = x.size if entries < 0 else min(entries, x.size)
    if ends == 0 and x.dtype.kind == "b":
        return b""  # TF's bool case writes nothing where the summary keeps no element
    if x.ndim == 0:  # and other scalars "..."
        return b"..." if ends == 0 else fmt(x[()])
    out: list[bytes] = []

    def spacing(dim: int) -> None:
        out.append(b" " if dim == x.ndim - 1 else b"\n" * (x.ndim - dim - 1) + b" " * (dim + 1))

    def one_dim(dim: int, index: tuple[int, ...]) -> None:
        if dim == x.ndim:
            out.append(fmt(x[index]))
            return
        out.append(b"[")
        count = x.shape[dim]
        for i in range(min(ends, count)):
            if i > 0:
                spacing(dim)
            one_dim(dim + 1, index + (i,))
        if count > 2 * ends:
            spacing(dim)
            out.append(b"...")
        for i in range(max(ends, count - ends), count):
            spacing(dim)
            one_dim(dim + 1, index + (i,))
        out.append(b"]")
    one_dim(0, ())
    return b"".join(out)


@dataclass(frozen=True)
class FormatAttrs:
    pieces: tuple[bytes, ...]  # the template split at its placeholders
    summarize: int = 3


def _format_ref(at: FormatAttrs, *xs: np.ndarray) -> np.ndarray:
    parts = [at.pieces[0]]
    for x, piece in zip(xs, at.pieces[1:]):
        parts += [summarize(np.asarray(x), at.summarize), piece]
    return np.array(b"".join(parts), dtype=object)


def _format_dtype(dtypes: Sequence[DType], at: FormatAttrs) -> list[DType]:
    return [_dt.string]


register(OpDef(Op.STRING_FORMAT, Kind.HOST, lambda s, at: [TensorShape([])], _format_dtype, _format_ref,
               no_gradient=True))


def string_format(template: str, inputs: TensorLike | Sequence[TensorLike], placeholder: str = "{}",
                  summarize: int = 3, name: str | None = None) -> Tensor:
    """A scalar string: ``template`` with each ``placeholder`` replaced by the next tensor of
    ``inputs``, summarized to its first and last ``summarize`` entries per dimension (-1: all).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.format("x: {}", gf.range(5)))
    b'x: [0 1 2 3 4]'
    """
    xs = [inputs] if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)) else list(inputs)
    tensors = [convert_to_tensor(x) for x in xs]
    if template.count(placeholder) != len(tensors):
        raise ValueError(f"The template expects {template.count(placeholder)} tensors, but the inputs only has "
                         f"{len(tensors)}. Please ensure the number of placeholders in template matches inputs length.")
    pieces = tuple(p.encode() for p in template.split(placeholder))
    return make(Op.STRING_FORMAT, tensors, FormatAttrs(pieces, int(summarize)), name=name or "StringFormat")
