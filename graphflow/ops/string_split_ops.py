"""TF1's string splitting and segment joining: ``string_split``, ``strings.split``,
``strings.bytes_split`` and ``strings.unsorted_segment_join``.

Host ops (``Kind.HOST``) as every string op. A split has one output row per input string and a
data-dependent number of tokens, so STRING_SPLIT returns TF1's SparseTensor parts (indices,
values, dense_shape) as three outputs; the splits that return a RaggedTensor in TF
(``bytes_split`` of a vector, ``result_type="RaggedTensor"``) build it from them
(``RaggedTensor.from_sparse``) for a vector of strings; for higher ranks they give the
SparseTensor TF 1.15's ``to_sparse()`` of it would be.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, make_node
from graphflow.ops.ragged_tensor import RaggedTensor
from graphflow.ops.shape_ops import reshape
from graphflow.ops.sparse_ops import SparseTensor
from graphflow.ops.string_ops import _strings

_SPACE = b" \t\n\v\f\r"  # C's isspace, TF's whitespace


@dataclass(frozen=True)
class SplitAttrs:
    mode: str  # "chars": TF1's StringSplit (each byte of sep splits); "sep": StringSplitV2; "bytes"
    skip_empty: bool = True
    maxsplit: int = -1


def _split_chars(s: bytes, sep: bytes, skip_empty: bool) -> list[bytes]:
    if not s:
        return []
    if not sep:
        return [s[i:i + 1] for i in range(len(s))]
    tokens, start = [], 0
    for i, c in enumerate(s):
        if c in sep:
            tokens.append(s[start:i])
            start = i + 1
    tokens.append(s[start:])
    return [t for t in tokens if t] if skip_empty else tokens


def _split_v2(s: bytes, sep: bytes, maxsplit: int) -> list[bytes]:
    """TF's ``SplitV2``: Python's ``bytes.split`` on ``sep``; on whitespace runs when ``sep`` is
    empty, where (unlike Python) the rest after ``maxsplit`` tokens is kept even when empty."""
    if maxsplit == 0:
        return [s]
    if sep:
        return s.split(sep, maxsplit if maxsplit > 0 else -1)
    tokens: list[bytes] = []
    rest = s.lstrip(_SPACE)
    while rest:
        end = next((i for i, c in enumerate(rest) if c in _SPACE), len(rest))
        tokens.append(rest[:end])
        rest = rest[end:].lstrip(_SPACE)
        if 0 < maxsplit == len(tokens):
            tokens.append(rest)
            break
    return tokens


def _split_ref(at: SplitAttrs, x: np.ndarray, sep: np.ndarray | None = None) -> list[np.ndarray]:
    x = np.asarray(x, dtype=object)
    if at.mode == "chars" and x.ndim != 1:  # a feed of a shapeless placeholder, checked when run as TF does
        raise ValueError(f"input must be a vector, got shape: {list(x.shape)}")
    if sep is not None and np.ndim(sep) != 0:
        raise ValueError(f"sep must be a scalar, got shape: {list(np.shape(sep))}")
    d = b"" if sep is None else bytes(np.asarray(sep, dtype=object).reshape(()).item())
    indices: list[tuple[int, ...]] = []
    values: list[bytes] = []
    width = 0
    for idx in np.ndindex(x.shape):
        s = bytes(x[idx])
        if at.mode == "chars":
            tokens = _split_chars(s, d, at.skip_empty)
        elif at.mode == "sep":
            tokens = _split_v2(s, d, at.maxsplit)
        else:
            tokens = [s[i:i + 1] for i in range(len(s))]
        indices.extend(idx + (j,) for j in range(len(tokens)))
        values.extend(tokens)
        width = max(width, len(tokens))
    out_values = np.empty(len(values), dtype=object)
    out_values[:] = values
    return [np.array(indices, dtype=np.int64).reshape(len(values), x.ndim + 1), out_values,
            np.array(list(x.shape) + [width], dtype=np.int64)]


def _split_shape(shapes: Sequence[TensorShape], at: SplitAttrs) -> list[TensorShape]:
    rank = shapes[0].rank
    if at.mode == "chars" and rank not in (None, 1):
        raise ValueError(f"string_split: source must be a vector (rank 1), given shape {shapes[0]}")
    if len(shapes) > 1 and shapes[1].rank not in (None, 0):
        raise ValueError(f"string split: the separator must be a scalar, given shape {shapes[1]}")
    cols = None if rank is None else rank + 1
    return [TensorShape([None, cols]), TensorShape([None]), TensorShape([cols])]


def _split_dtypes(dtypes: Sequence[DType], at: SplitAttrs) -> list[DType]:
    for i, d in enumerate(dtypes):
        if not d.is_string:
            raise TypeError(f"operand {i} has dtype {d.name}, expected string")
    return [_dt.int64, _dt.string, _dt.int64]


register(OpDef(Op.STRING_SPLIT, Kind.HOST, _split_shape, _split_dtypes, _split_ref, no_gradient=True,
               num_outputs=3))


# ---- unsorted_segment_join -----------------------------------------------------------------------

@dataclass(frozen=True)
class SegmentJoinAttrs:
    separator: bytes = b""
    num_segments: int | None = None  # when it is a constant: the output's first dimension


def _segment_join_ref(at: SegmentJoinAttrs, x: np.ndarray, ids: np.ndarray, num: np.ndarray) -> np.ndarray:
    x, ids, n = np.asarray(x, dtype=object), np.asarray(ids), int(num)
    if x.shape[:ids.ndim] != ids.shape:
        raise ValueError(f"segment_ids shape {list(ids.shape)} must be a prefix of the inputs shape "
                         f"{list(x.shape)}")
    inner = x.shape[ids.ndim:]
    parts: list[list[list[bytes]]] = [[[] for _ in range(int(np.prod(inner)))] for _ in range(n)]
    flat = x.reshape((ids.size, -1))
    for j, seg in enumerate(ids.reshape(-1)):
        if not 0 <= seg < n:
            raise ValueError(f"segment_ids[{j}] = {seg} is out of range [0, {n})")
        for k, v in enumerate(flat[j]):
            parts[seg][k].append(v)
    out = np.empty((n, int(np.prod(inner))), dtype=object)
    for i in range(n):
        for k in range(out.shape[1]):
            out[i, k] = at.separator.join(parts[i][k])
    return out.reshape((n,) + inner)


def _segment_join_shape(shapes: Sequence[TensorShape], at: SegmentJoinAttrs) -> list[TensorShape]:
    x, ids = shapes[0], shapes[1]
    if x.rank is None or ids.rank is None:
        return [TensorShape(None)]
    xs, js = x.as_list(), ids.as_list()
    for a, b in zip(xs, js):
        if a is not None and b is not None and a != b:
            raise ValueError(f"unsorted_segment_join: segment_ids shape {ids} must be a prefix of the "
                             f"inputs shape {x}")
    return [TensorShape([at.num_segments] + xs[ids.rank:])]


def _segment_join_dtypes(dtypes: Sequence[DType], at: SegmentJoinAttrs) -> list[DType]:
    if not dtypes[0].is_string:
        raise TypeError(f"unsorted_segment_join: inputs must be strings, given {dtypes[0].name}")
    for d in dtypes[1:]:
        if d not in (_dt.int32, _dt.int64):
            raise TypeError(f"unsorted_segment_join: segment_ids and num_segments must be int32 or int64, "
                            f"given {d.name}")
    return [_dt.string]


register(OpDef(Op.UNSORTED_SEGMENT_JOIN, Kind.HOST, _segment_join_shape, _segment_join_dtypes,
               _segment_join_ref, no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _sparse(x: Tensor, sep: Tensor | None, at: SplitAttrs, name: str) -> SparseTensor:
    node = make_node(Op.STRING_SPLIT, [x] if sep is None else [x, sep], at, name=name)
    return SparseTensor(*node.outputs)


def _sep_tensor(sep: TensorLike | None, default: str) -> Tensor:
    return convert_to_tensor(default if sep is None else sep, dtype=_dt.string)


def _result_type(result_type: str) -> None:
    if result_type not in ("SparseTensor", "RaggedTensor"):
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def _as_result(sp: SparseTensor, result_type: str, x: Tensor) -> SparseTensor | RaggedTensor:
    """The split as TF's ``result_type`` asks: the SparseTensor, or the RaggedTensor of each
    string's pieces (a vector of strings)."""
    if result_type == "SparseTensor":
        return sp
    if x.shape.rank != 1:
        raise NotImplementedError(f"result_type='RaggedTensor' of strings of shape {x.shape}: graphflow's ragged "
                                  "splits take a vector of strings")
    return RaggedTensor.from_sparse(sp)


def string_split(source: TensorLike, sep: TensorLike | None = None, skip_empty: bool = True,
                 delimiter: TensorLike | None = None, result_type: str = "SparseTensor",
                 name: str | None = None) -> SparseTensor | RaggedTensor:
    """TF1's ``tf.string_split``: split each string of the vector ``source`` at every byte of
    ``sep`` (default ``" "``; empty: into bytes), into a rank-2 SparseTensor.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.string_split(["a b", "c"])).values.tolist()
    [b'a', b'b', b'c']
    """
    if sep is not None and delimiter is not None:
        raise ValueError("string_split: give sep or its deprecated alias delimiter, not both")
    _result_type(result_type)
    x = _strings(source, "string_split")
    d = _sep_tensor(delimiter if sep is None else sep, " ")
    return _as_result(_sparse(x, d, SplitAttrs("chars", skip_empty=bool(skip_empty)), name or "StringSplit"),
                      result_type, x)


def split(input: TensorLike | None = None, sep: TensorLike | None = None, maxsplit: int = -1,  # noqa: A002
          result_type: str = "SparseTensor", source: TensorLike | None = None,
          name: str | None = None) -> SparseTensor | RaggedTensor:
    """TF1's ``tf.strings.split``: Python's ``str.split`` of every string (on whitespace runs when
    ``sep`` is None), into a SparseTensor of rank ``rank(input) + 1`` (a scalar counts as ``[1]``).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.split(["a  b", "c"])).dense_shape.tolist()
    [2, 2]
    """
    if input is not None and source is not None:
        raise ValueError("strings.split: give input or its alias source, not both")
    _result_type(result_type)
    given = input if input is not None else source
    if given is None:
        raise TypeError("strings.split: needs input (or source), the strings to split")
    x = _strings(given, "strings.split")
    if x.shape.rank == 0:
        x = reshape(x, [1])
    return _as_result(_sparse(x, _sep_tensor(sep, ""), SplitAttrs("sep", maxsplit=int(maxsplit)),
                              name or "StringSplit"), result_type, x)


def bytes_split(input: TensorLike, name: str | None = None) -> Tensor | SparseTensor | RaggedTensor:  # noqa: A002
    """Each string split into one-byte strings: a vector for a scalar, a RaggedTensor for a vector
    (as TF), and for higher ranks the SparseTensor form of TF's RaggedTensor.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.bytes_split("ab")).tolist()
    [b'a', b'b']
    """
    x = _strings(input, "bytes_split")
    if x.shape.rank == 0:
        return _sparse(reshape(x, [1]), None, SplitAttrs("bytes"), name or "BytesSplit").values
    sp = _sparse(x, None, SplitAttrs("bytes"), name or "BytesSplit")
    return RaggedTensor.from_sparse(sp) if x.shape.rank == 1 else sp


def unsorted_segment_join(inputs: TensorLike, segment_ids: TensorLike, num_segments: TensorLike,
                          separator: str = "", name: str | None = None) -> Tensor:
    """Join the strings of ``inputs`` whose ``segment_ids`` (a prefix of its shape) are equal, in
    row-major order: ``output[i, ...]`` joins every ``inputs[j..., ...]`` with ``segment_ids[j...] == i``.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2)).tolist()
    [b'b', b'ac']
    """
    x = _strings(inputs, "unsorted_segment_join")
    ids = convert_to_tensor(segment_ids)
    num = convert_to_tensor(num_segments)
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    known = static_value(num)
    at = SegmentJoinAttrs(sep, None if known is None else int(known))
    return make(Op.UNSORTED_SEGMENT_JOIN, [x, ids, num], at, name=name or "UnsortedSegmentJoin")
