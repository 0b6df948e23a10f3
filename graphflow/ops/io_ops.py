"""Bytes in and out of the graph: ``decode_raw``, ``read_file`` / ``write_file`` and
``serialize_tensor`` / ``parse_tensor`` (TF's ``TensorProto``).

Host ops (``Kind.HOST``). ``read_file`` and ``write_file`` are stateful: a file may change
between runs, so they are never folded into constants. ``write_file`` replaces the file
atomically (a reader sees the old file or the new one) and creates its folder, as TF's does.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core import errors
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make, make_node
from graphflow.platform.atomic_file import atomic_write

__all__ = ["decode_raw", "read_file", "write_file", "serialize_tensor", "parse_tensor"]


def _need_string(dtypes: Sequence[DType], what: str, which: Sequence[int] = (0,)) -> None:
    for i in which:
        if not dtypes[i].is_string:
            raise TypeError(f"{what}: input {i} must be a string tensor, given {dtypes[i].name}")


# ---- decode_raw -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecodeRawAttrs:
    out_type: DType
    little_endian: bool = True


def _decode_raw_ref(at: DecodeRawAttrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    flat = [bytes(v) for v in x.reshape(-1)]
    size = at.out_type.size
    width = len(flat[0]) if flat else 0
    if width % size:
        raise ValueError(f"Input to DecodeRaw has length {width} that is not a multiple of {size}, the size of "
                         f"{at.out_type.name}")
    for i, b in enumerate(flat):
        if len(b) != width:
            raise ValueError(f"DecodeRaw requires input strings to all be the same size, but element {i} has size "
                             f"{len(b)} != {width}")
    dt = at.out_type.np.newbyteorder("<" if at.little_endian else ">") if size > 1 else at.out_type.np
    out = np.frombuffer(b"".join(flat), dtype=dt).astype(at.out_type.np)
    return out.reshape(x.shape + (width // size,))


def _decode_raw_shape(shapes: Sequence[TensorShape], at: DecodeRawAttrs) -> list[TensorShape]:
    s = shapes[0]
    return [TensorShape(None) if s.rank is None else TensorShape(s.as_list() + [None])]


def _decode_raw_dtypes(dtypes: Sequence[DType], at: DecodeRawAttrs) -> list[DType]:
    _need_string(dtypes, "decode_raw")
    return [at.out_type]


register(OpDef(Op.DECODE_RAW, Kind.HOST, _decode_raw_shape, _decode_raw_dtypes, _decode_raw_ref, no_gradient=True))


def decode_raw(input_bytes: TensorLike = None, out_type: DTypeLike = None, little_endian: bool = True,
               name: str | None = None, bytes: TensorLike = None) -> Tensor:  # noqa: A002 - TF1's keyword
    """Reinterpret each string's bytes as a vector of ``out_type``: shape ``input.shape + [n]``;
    all strings must have the same length.

    >>> import graphflow as gf
    >>> with gf.Session() as s:
    ...     s.run(gf.decode_raw(gf.constant([b"\\x01\\x00\\x02\\x00"]), gf.int16)).tolist()
    [[1, 2]]
    """
    x = input_bytes if input_bytes is not None else bytes
    if x is None or out_type is None:
        raise ValueError("decode_raw: input_bytes and out_type are required")
    d = _dt.as_dtype(out_type)
    if d.is_string:
        raise TypeError("decode_raw: out_type must be a numeric or bool dtype, given string")
    return make(Op.DECODE_RAW, [convert_to_tensor(x, dtype=_dt.string)], DecodeRawAttrs(d, bool(little_endian)),
                name=name or "DecodeRaw")


# ---- read_file / write_file -----------------------------------------------------------------------

def _path(v: Any, what: str) -> str:
    a = np.asarray(v, dtype=object)
    if a.ndim != 0:
        raise ValueError(f"{what}: filename must be a scalar, got shape {list(a.shape)}")
    item = a.item()
    return item.decode("utf-8") if isinstance(item, (bytes, bytearray)) else str(item)


def _read_file_ref(at: object, filename: np.ndarray) -> np.ndarray:
    path = _path(filename, "read_file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None
    except PermissionError:
        raise errors.PermissionDeniedError(None, None, f"{path}; Permission denied") from None
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def _write_file_ref(at: object, filename: np.ndarray, contents: np.ndarray) -> list[np.ndarray]:
    path = _path(filename, "write_file")
    data = np.asarray(contents, dtype=object)
    if data.ndim != 0:
        raise ValueError(f"write_file: contents must be a scalar, got shape {list(data.shape)}")
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    payload = data.item()
    atomic_write(path, lambda f: f.write(payload.encode() if isinstance(payload, str) else bytes(payload)))
    return []


def _scalar_rule(what: str, n: int) -> Any:
    def rule(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
        for i, s in enumerate(shapes[:n]):
            if s.rank not in (None, 0):
                raise ValueError(f"{what}: input {i} must be a scalar, given shape {s}")
        return [TensorShape([])] if what == "read_file" else []
    return rule


register(OpDef(Op.READ_FILE, Kind.HOST, _scalar_rule("read_file", 1),
               lambda d, at: _need_string(d, "read_file") or [_dt.string], _read_file_ref, stateful=True))
register(OpDef(Op.WRITE_FILE, Kind.HOST, _scalar_rule("write_file", 2),
               lambda d, at: _need_string(d, "write_file", (0, 1)) or [], _write_file_ref, stateful=True))


def read_file(filename: TensorLike, name: str | None = None) -> Tensor:
    """The whole contents of the file ``filename`` (a scalar string), read each time it runs."""
    return make(Op.READ_FILE, [convert_to_tensor(filename, dtype=_dt.string)], name=name or "ReadFile")


def write_file(filename: TensorLike, contents: TensorLike, name: str | None = None) -> Operation:
    """An op that writes ``contents`` to ``filename`` (replacing it atomically) each time it runs."""
    return make_node(Op.WRITE_FILE, [convert_to_tensor(filename, dtype=_dt.string),
                                     convert_to_tensor(contents, dtype=_dt.string)], name=name or "WriteFile")


# ---- serialize_tensor / parse_tensor --------------------------------------------------------------

_TF_TYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7, "int64": 9,
             "bool": 10, "float16": 19}
_BY_ENUM = {v: k for k, v in _TF_TYPES.items()}
# the typed repeated field each dtype falls back to when a proto has no tensor_content
_VAL_FIELD = {"float32": "float_val", "float64": "double_val", "int32": "int_val", "uint8": "int_val",
              "int16": "int_val", "int8": "int_val", "int64": "int64_val", "bool": "bool_val",
              "float16": "half_val", "string": "string_val"}


def _tensor_pb2() -> Any:
    try:
        from tensorboard.compat.proto import tensor_pb2
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("serialize_tensor/parse_tensor use TF's TensorProto, shipped by TensorBoard: "
                          "pip install tensorboard") from e
    return tensor_pb2


def _serialize_ref(at: object, x: np.ndarray) -> np.ndarray:
    a = np.asarray(x)
    name = "string" if a.dtype == object or a.dtype.kind in "SU" else a.dtype.name
    proto = _tensor_pb2().TensorProto(dtype=_TF_TYPES[name])
    for d in a.shape:
        proto.tensor_shape.dim.add(size=d)
    if name == "string":
        proto.string_val.extend(v.encode() if isinstance(v, str) else bytes(v) for v in a.reshape(-1))
    else:
        proto.tensor_content = a.astype(a.dtype.newbyteorder("<")).tobytes()
    out = np.empty((), dtype=object)
    out[()] = proto.SerializeToString()
    return out


@dataclass(frozen=True)
class ParseTensorAttrs:
    out_type: DType


def _parse_tensor_ref(at: ParseTensorAttrs, serialized: np.ndarray) -> np.ndarray:
    from google.protobuf.message import DecodeError
    blob = np.asarray(serialized, dtype=object)
    if blob.ndim != 0:
        raise ValueError(f"parse_tensor: serialized must be a scalar, got shape {list(blob.shape)}")
    try:
        proto = _tensor_pb2().TensorProto.FromString(bytes(blob.item()))
    except DecodeError:
        raise ValueError("Could not parse `serialized` as TensorProto") from None
    given = _BY_ENUM.get(proto.dtype)
    if given != at.out_type.name:
        raise ValueError(f"Type mismatch between parsed tensor ({given or f'enum {proto.dtype}'}) and dtype "
                         f"({at.out_type.name})")
    shape = tuple(int(d.size) for d in proto.tensor_shape.dim)
    if any(d < 0 for d in shape):
        raise ValueError(f"parse_tensor: the proto's shape {list(shape)} is not fully defined")
    n = int(np.prod(shape, dtype=np.int64))
    d = at.out_type
    if d.is_string:
        vals = list(proto.string_val)
        if len(vals) != n:
            raise ValueError(f"parse_tensor: {len(vals)} strings for a tensor of shape {list(shape)}")
        out = np.empty(n, dtype=object)
        out[:] = vals
        return out.reshape(shape)
    if proto.tensor_content:
        if len(proto.tensor_content) != n * d.size:
            raise ValueError(f"parse_tensor: {len(proto.tensor_content)} content bytes for a {d.name} tensor of "
                             f"shape {list(shape)} ({n * d.size} expected)")
        return np.frombuffer(proto.tensor_content, dtype=d.np.newbyteorder("<")).astype(d.np).reshape(shape)
    vals = list(getattr(proto, _VAL_FIELD[d.name]))
    if len(vals) > n:
        raise ValueError(f"parse_tensor: {len(vals)} values for a tensor of shape {list(shape)}")
    if d.name == "float16":
        arr = np.asarray(vals, dtype=np.uint16).view(np.float16)
    else:
        arr = np.asarray(vals, dtype=d.np)
    full = np.zeros(n, dtype=d.np)
    if arr.size:  # TF repeats the last value to fill the tensor
        full[:arr.size] = arr
        full[arr.size:] = arr[-1]
    return full.reshape(shape)


register(OpDef(Op.SERIALIZE_TENSOR, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.string],
               _serialize_ref, no_gradient=True))
register(OpDef(Op.PARSE_TENSOR, Kind.HOST, lambda s, at: [TensorShape(None)],
               lambda d, at: _need_string(d, "parse_tensor") or [at.out_type], _parse_tensor_ref, no_gradient=True))


def serialize_tensor(tensor: TensorLike, name: str | None = None) -> Tensor:
    """``tensor`` as the bytes of TF's ``TensorProto`` (a scalar string)."""
    return make(Op.SERIALIZE_TENSOR, [convert_to_tensor(tensor)], name=name or "SerializeTensor")


def parse_tensor(serialized: TensorLike, out_type: DTypeLike, name: str | None = None) -> Tensor:
    """The tensor a serialized ``TensorProto`` holds (its shape known only when run)."""
    return make(Op.PARSE_TENSOR, [convert_to_tensor(serialized, dtype=_dt.string)],
                ParseTensorAttrs(_dt.as_dtype(out_type)), name=name or "ParseTensor")
