"""``tf.strings.ngrams`` of a dense tensor: TF's ``StringNGrams`` over each row of the last axis.

A host op (``Kind.HOST``) as every string op. Every row of a dense tensor has the same length,
so every row has the same number of n-grams and TF returns a dense tensor, as here (graphflow has
no RaggedTensor input).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make
from graphflow.ops.string_ops import _strings


@dataclass(frozen=True)
class NgramAttrs:
    widths: tuple[int, ...]
    separator: bytes = b" "
    left_pad: bytes = b""
    right_pad: bytes = b""
    pad_width: int = 0  # -1: ngram_width - 1 for each width
    preserve_short: bool = False

    def pad_for(self, width: int) -> int:
        return min(width - 1 if self.pad_width < 0 else self.pad_width, width - 1)

    def count(self, width: int, length: int) -> int:
        if length == 0:
            return 0  # TF 2.21 makes no n-grams of padding alone
        return max(0, length + 2 * self.pad_for(width) - width + 1)

    def total(self, length: int) -> int:
        n = sum(self.count(w, length) for w in self.widths)
        return 1 if self.preserve_short and length > 0 and n == 0 else n


def _ngrams(at: NgramAttrs, row: Sequence[bytes], width: int, num: int) -> list[bytes]:
    """TF's ``CreateNgrams``: each n-gram's padding is what its window overhangs the row."""
    out = []
    pad = at.pad_for(width)
    for k in range(num):
        left = max(0, pad - k)
        right = max(0, pad - (num - (k + 1)))
        tokens = width - left - right
        start = 0 if left > 0 else k - pad
        parts = [at.left_pad + at.separator] * left
        parts += [row[start + n] + at.separator for n in range(tokens - 1)]
        if tokens > 0:
            parts.append(row[start + tokens - 1])
        parts += [at.separator + at.right_pad] * right
        out.append(b"".join(parts))
    return out


def _row(at: NgramAttrs, row: Sequence[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for w in at.widths:
        out += _ngrams(at, row, w, at.count(w, len(row)))
    if at.preserve_short and not out and row:
        out = _ngrams(at, row, len(row) + 2 * at.pad_width, 1)
    return out


def _ngram_ref(at: NgramAttrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    rows = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])
    n = at.total(x.shape[-1])
    out = np.empty((rows.shape[0], n), dtype=object)
    for i, r in enumerate(rows):
        out[i, :] = _row(at, [bytes(v) for v in r])
    return out.reshape(x.shape[:-1] + (n,))


def _ngram_shape(shapes: Sequence[TensorShape], at: NgramAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        raise ValueError("Rank of data must be known.")
    if s.rank == 0:
        raise ValueError("Data must have rank>0")
    dims = s.as_list()
    return [TensorShape(dims[:-1] + [None if dims[-1] is None else at.total(dims[-1])])]


def _ngram_dtype(dtypes: Sequence[DType], at: NgramAttrs) -> list[DType]:
    if not dtypes[0].is_string:
        raise TypeError(f"ngrams: data must be a string tensor, given {dtypes[0].name}")
    return [_dt.string]


register(OpDef(Op.STRING_NGRAMS, Kind.HOST, _ngram_shape, _ngram_dtype, _ngram_ref, no_gradient=True))


def _b(v: str | bytes) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def ngrams(data: TensorLike, ngram_width: int | Sequence[int], separator: str = " ",
           pad_values: str | bytes | tuple[str | bytes, str | bytes] | None = None, padding_width: int | None = None,
           preserve_short_sequences: bool = False, name: str | None = None) -> Tensor:
    """The n-grams of each row of ``data``'s last axis, joined by ``separator`` (one width or a
    list of them, in order), padded with ``pad_values`` (left, right) ``padding_width`` times
    (default ``width - 1``).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.ngrams(["A", "B", "C", "D"], 2)).tolist()
    [b'A B', b'B C', b'C D']
    """
    if pad_values is None:
        left, right = b"", b""
    elif isinstance(pad_values, (list, tuple)):
        if not all(isinstance(v, (str, bytes)) for v in pad_values[:2]):
            raise TypeError("pad_values must be a string, tuple of strings, or None.")
        left, right = _b(pad_values[0]), _b(pad_values[1])
    elif isinstance(pad_values, (str, bytes)):
        left = right = _b(pad_values)
    else:
        raise TypeError("pad_values must be a string, tuple of strings, or None.")
    if padding_width is not None and padding_width < 1:
        raise ValueError("padding_width must be greater than 0.")
    if padding_width is not None and pad_values is None:
        raise ValueError("pad_values must be provided if padding_width is set.")
    widths = (int(ngram_width),) if isinstance(ngram_width, (int, np.integer)) else tuple(int(w) for w in ngram_width)
    if any(w < 1 for w in widths):
        raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    pad = 0 if pad_values is None else -1 if padding_width is None else int(padding_width)
    at = NgramAttrs(widths, _b(separator), left, right, pad, bool(preserve_short_sequences))
    return make(Op.STRING_NGRAMS, [_strings(data, "ngrams")], at, name=name or "StringNGrams")
