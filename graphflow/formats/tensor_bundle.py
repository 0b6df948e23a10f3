"""TF's tensor bundle: the V2 checkpoint format of TF 1.x's Saver, also SavedModel's variables.

A bundle ``<prefix>`` is two files (tensorflow/core/util/tensor_bundle/tensor_bundle.h):

- ``<prefix>.data-00000-of-00001``: the tensors' bytes back to back, unaligned. A numeric tensor
  is its elements, little-endian, row-major. A string tensor is the varint64 length of each
  element, a masked CRC32C of those lengths (fixed32), then the elements' bytes; the entry's CRC
  covers the lengths as TF sums them (``_lengths_crc``), that checksum and the bytes.
- ``<prefix>.index``: an SSTable (``graphflow.formats.sstable``) whose key ``""`` holds a
  ``BundleHeaderProto`` (shard count, endianness, version) and whose other keys, the tensor names,
  hold a ``BundleEntryProto``: dtype, shape, shard, offset and size in the data file, and the
  masked CRC32C of those bytes.

A partitioned variable's entry holds no bytes but the list of its slices; each slice is an entry
of its own under a key that encodes the name and the slice (TF's ``EncodeTensorNameSlice``, in
``tensor_slice.cc``). ``BundleReader`` assembles the whole tensor from its slices.

Writing replaces both files atomically (data first, so an index never names missing bytes);
reading checks every size against the file before allocating and each tensor's CRC, and raises
``DataLossError`` naming the file for anything malformed.

>>> import tempfile, os, numpy as np
>>> prefix = os.path.join(tempfile.mkdtemp(), "model.ckpt-1")
>>> write_bundle(prefix, {"w": np.arange(3, dtype=np.float32), "s": np.array([b"hi"], dtype=object)})
>>> r = BundleReader(prefix); r.keys(), r.get("w").tolist(), r.get("s").tolist()
(['s', 'w'], [0.0, 1.0, 2.0], [b'hi'])
"""
from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

import numpy as np

from graphflow.core.errors import DataLossError, NotFoundError, UnimplementedError
from graphflow.formats import crc32c, sstable
from graphflow.formats.proto import messages
from graphflow.formats.sstable import get_varint, put_varint
from graphflow.platform.atomic_file import atomic_write

__all__ = ["write_bundle", "BundleReader", "is_bundle", "index_file", "data_file", "DTYPE_ENUMS"]

# TF's DataType numbers (types.proto) for the element types a bundle can hold here.
DTYPE_ENUMS: dict[str, int] = {
    "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
    "complex64": 8, "int64": 9, "bool": 10, "uint16": 17, "complex128": 18, "float16": 19,
    "uint32": 22, "uint64": 23}
_ENUM_NAMES = {v: k for k, v in DTYPE_ENUMS.items()}
_TF_ONLY = {11: "qint8", 12: "quint8", 13: "qint32", 14: "bfloat16", 15: "qint16", 16: "quint16",
            20: "resource", 21: "variant"}
VERSION = 1  # kTensorBundleVersion; this reader is consumer version 1
_READ_LIMIT = 1 << 26  # bytes read at a time when checking a tensor's CRC

_M = messages("graphflow/tensor_bundle.proto", "graphflow.tensor_bundle", {
    "Dim": [("size", 1, "int64"), ("name", 2, "string")],
    "TensorShapeProto": [("dim", 2, "Dim", "repeated"), ("unknown_rank", 3, "bool")],
    "VersionDef": [("producer", 1, "int32"), ("min_consumer", 2, "int32"),
                   ("bad_consumers", 3, "int32", "repeated")],
    # ``length`` is proto3 ``oneof has_length`` in TF: declared repeated so that "absent" (the
    # slice spans the whole dimension) reads apart from 0; parsers accept either encoding
    "Extent": [("start", 1, "int64"), ("length", 2, "int64", "repeated")],
    "TensorSliceProto": [("extent", 1, "Extent", "repeated")],
    "BundleHeaderProto": [("num_shards", 1, "int32"), ("endianness", 2, "int32"), ("version", 3, "VersionDef")],
    "BundleEntryProto": [("dtype", 1, "int32"), ("shape", 2, "TensorShapeProto"), ("shard_id", 3, "int32"),
                         ("offset", 4, "int64"), ("size", 5, "int64"), ("crc32c", 6, "fixed32"),
                         ("slices", 7, "TensorSliceProto", "repeated")]})
BundleHeaderProto = _M["BundleHeaderProto"]
BundleEntryProto = _M["BundleEntryProto"]
TensorSliceProto = _M["TensorSliceProto"]


def index_file(prefix: str) -> str:
    return prefix + ".index"


def data_file(prefix: str, shard: int = 0, num_shards: int = 1) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def is_bundle(prefix: str) -> bool:
    """Whether ``prefix`` names a tensor bundle (its ``.index`` file exists)."""
    return os.path.isfile(index_file(prefix))


# ---- writing ---------------------------------------------------------------------------------------

def _dtype_name(name: str, a: np.ndarray) -> str:
    if a.dtype == object or a.dtype.kind in "SU":
        return "string"
    if a.dtype.name not in DTYPE_ENUMS:
        raise TypeError(f"tensor {name!r}: dtype {a.dtype} has no tensor-bundle equivalent; expected one of "
                        f"{sorted(DTYPE_ENUMS)}")
    return a.dtype.name


def _string_bytes(name: str, a: np.ndarray) -> list[bytes]:
    out = []
    for v in a.reshape(-1):
        if isinstance(v, str):
            v = v.encode("utf-8")
        if not isinstance(v, (bytes, bytearray, np.bytes_)):
            raise TypeError(f"string tensor {name!r}: elements must be bytes or str, got {type(v).__name__}")
        out.append(bytes(v))
    return out


def _lengths_crc(lengths: Iterable[int]) -> int:
    """The CRC32C TF keeps of string lengths: of each as a little-endian uint32 (uint64 past 4 GiB),
    not of their varint bytes, as older checkpoints stored them that way."""
    return crc32c.value(b"".join(struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n) for n in lengths))


def _write_tensor(f: BinaryIO, name: str, a: np.ndarray, offset: int) -> Any:
    dtype = _dtype_name(name, a)
    entry = BundleEntryProto(dtype=DTYPE_ENUMS[dtype], offset=offset)
    entry.shape.SetInParent()
    for d in a.shape:
        entry.shape.dim.add(size=d)
    if dtype == "string":
        elems = _string_bytes(name, a)
        lengths = bytearray()
        for e in elems:
            put_varint(lengths, len(e))
        crc = _lengths_crc(len(e) for e in elems)
        length_crc = struct.pack("<I", crc32c.mask(crc))
        crc = crc32c.extend(crc, length_crc)
        f.write(lengths)
        f.write(length_crc)
        size = len(lengths) + 4
        for e in elems:
            f.write(e)
            crc = crc32c.extend(crc, e)
            size += len(e)
    else:
        flat = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).reshape(-1)
        data = memoryview(flat.view(np.uint8))  # type: ignore[arg-type]
        crc = 0
        for start in range(0, data.nbytes, _READ_LIMIT):
            chunk = data[start:start + _READ_LIMIT]
            f.write(chunk)
            crc = crc32c.extend(crc, chunk)
        size = data.nbytes
    entry.size = size
    entry.crc32c = crc32c.mask(crc)
    return entry


def write_bundle(prefix: str, tensors: Mapping[str, np.ndarray]) -> None:
    """Write ``tensors`` (name -> array; strings as object arrays of bytes) as the bundle ``prefix``."""
    named = []
    for name, value in tensors.items():
        if not name:
            raise ValueError("a tensor bundle reserves the empty name for its header")
        named.append((name.encode("utf-8"), name, np.asarray(value)))
    named.sort(key=lambda t: t[0])  # TF orders entries bytewise
    entries: list[tuple[bytes, bytes]] = []

    def write_data(f: BinaryIO) -> None:
        offset = 0
        for key, name, a in named:
            entry = _write_tensor(f, name, a, offset)
            offset += entry.size
            entries.append((key, entry.SerializeToString()))

    atomic_write(data_file(prefix), write_data)
    header = BundleHeaderProto(num_shards=1)
    header.version.producer = VERSION
    table = sstable.build_table([(b"", header.SerializeToString())] + entries)
    atomic_write(index_file(prefix), lambda f: f.write(table))


# ---- reading ---------------------------------------------------------------------------------------

class BundleReader:
    """The tensors of the bundle ``prefix``, read on demand.

    >>> import tempfile, os, numpy as np
    >>> p = os.path.join(tempfile.mkdtemp(), "ckpt"); write_bundle(p, {"b": np.zeros((2, 3), np.int64)})
    >>> r = BundleReader(p); ("b" in r, r.dtype("b"), r.shape("b"))
    (True, 'int64', [2, 3])
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._index = index_file(prefix)
        try:
            with open(self._index, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise NotFoundError(None, None, f"no tensor bundle at {prefix!r}: {self._index} does not exist") from None
        items = sstable.read_table(raw, self._index)
        if not items or items[0][0] != b"":
            raise DataLossError(None, None, f"{self._index}: the bundle header (key '') is missing")
        header = self._parse(BundleHeaderProto, items[0][1], "the bundle header")
        if header.num_shards < 1:
            raise DataLossError(None, None, f"{self._index}: header claims {header.num_shards} shards")
        if header.version.min_consumer > VERSION or VERSION in header.version.bad_consumers:
            raise UnimplementedError(None, None, f"{self._index}: written for tensor-bundle readers of version "
                                     f">= {header.version.min_consumer}; graphflow reads version {VERSION}")
        if header.endianness not in (0, 1):
            raise DataLossError(None, None, f"{self._index}: unknown endianness {header.endianness}")
        self._order = "<" if header.endianness == 0 else ">"
        self._num_shards = header.num_shards
        self._entries: dict[str, Any] = {}
        self._slices: dict[bytes, Any] = {}  # encoded (name, slice) keys of partitioned variables
        for key, value in items[1:]:
            if key[:1] == b"\x00":  # EncodeTensorNameSlice keys start with the number 0
                self._slices[key] = value
                continue
            try:
                name = key.decode("utf-8")
            except UnicodeDecodeError:
                raise DataLossError(None, None, f"{self._index}: tensor name {key!r} is not UTF-8") from None
            self._entries[name] = value

    def _parse(self, cls: Any, value: bytes, what: str) -> Any:
        try:
            return cls.FromString(value)
        except Exception as e:  # protobuf's DecodeError and friends: the bytes are not that message
            raise DataLossError(None, None, f"{self._index}: {what} is not a valid {cls.__name__}: {e}") from None

    def _entry(self, key: str) -> Any:
        if key not in self._entries:
            raise NotFoundError(None, None, f"Key {key} not found in checkpoint {self.prefix}")
        entry = self._entries[key]
        if isinstance(entry, bytes):
            entry = self._entries[key] = self._parse(BundleEntryProto, entry, f"the entry of {key!r}")
            if entry.dtype not in _ENUM_NAMES:
                kind = _TF_ONLY.get(entry.dtype, f"DataType {entry.dtype}")
                raise UnimplementedError(None, None, f"{self._index}: tensor {key!r} has dtype {kind}, which "
                                         "graphflow does not hold")
            if entry.shape.unknown_rank or any(d.size < 0 for d in entry.shape.dim):
                raise DataLossError(None, None, f"{self._index}: tensor {key!r} has a shape that is not fully "
                                    "known")
        return entry

    def keys(self) -> list[str]:
        """The tensor names, sorted."""
        return sorted(self._entries)

    def has(self, key: str) -> bool:
        return key in self._entries

    __contains__ = has

    def dtype(self, key: str) -> str:
        """The graphflow dtype name (``"float32"``, ``"string"``...) of ``key``."""
        return _ENUM_NAMES[self._entry(key).dtype]

    def shape(self, key: str) -> list[int]:
        return [d.size for d in self._entry(key).shape.dim]

    def get(self, key: str) -> np.ndarray:
        """The tensor ``key`` (strings as an object array of bytes)."""
        entry = self._entry(key)
        if entry.slices:
            return self._assemble(key, entry)
        return self._read(key, entry, self.shape(key))

    # ---- one stored tensor

    def _read(self, key: str, entry: Any, shape: list[int]) -> np.ndarray:
        dtype = _ENUM_NAMES[entry.dtype]
        if not 0 <= entry.shard_id < self._num_shards:
            raise DataLossError(None, None, f"{self._index}: tensor {key!r} is in shard {entry.shard_id} of "
                                f"{self._num_shards}")
        path = data_file(self.prefix, entry.shard_id, self._num_shards)
        count = int(np.prod(shape, dtype=object))
        if dtype != "string" and entry.size != count * np.dtype(dtype).itemsize:
            raise DataLossError(None, None, f"{path}: tensor {key!r} of shape {shape} and dtype {dtype} needs "
                                f"{count * np.dtype(dtype).itemsize} bytes, its entry says {entry.size}")
        try:
            with open(path, "rb") as f:
                length = os.fstat(f.fileno()).st_size
                if entry.offset < 0 or entry.size < 0 or entry.offset + entry.size > length:
                    raise DataLossError(None, None, f"{path}: tensor {key!r} at offset {entry.offset}, "
                                        f"{entry.size} bytes, runs past the file's {length} bytes (truncated?)")
                f.seek(entry.offset)
                raw = f.read(entry.size)
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{path}, the data of checkpoint {self.prefix}, does not exist") from None
        if len(raw) != entry.size:
            raise DataLossError(None, None, f"{path}: short read of tensor {key!r}")
        if dtype == "string":
            return self._strings(path, key, raw, count, crc32c.unmask(entry.crc32c)).reshape(shape)
        if crc32c.value(raw) != crc32c.unmask(entry.crc32c):
            raise DataLossError(None, None, f"{path}: tensor {key!r} fails its CRC32C check (corrupt file)")
        stored = np.dtype(dtype).newbyteorder(self._order)
        return np.frombuffer(raw, dtype=stored).astype(np.dtype(dtype), copy=True).reshape(shape)

    def _strings(self, path: str, key: str, raw: bytes, count: int, expected_crc: int) -> np.ndarray:
        if count > len(raw):  # each length takes at least one byte
            raise DataLossError(None, None, f"{path}: string tensor {key!r} of {count} elements in {len(raw)} bytes")
        lengths = []
        pos = 0
        try:
            for _ in range(count):
                n, pos = get_varint(raw, pos, len(raw))
                lengths.append(n)
        except ValueError:
            raise DataLossError(None, None, f"{path}: string tensor {key!r}: truncated element lengths") from None
        if pos + 4 + sum(lengths) != len(raw):
            raise DataLossError(None, None, f"{path}: string tensor {key!r}: its lengths add up to "
                                f"{pos + 4 + sum(lengths)} bytes, its entry says {len(raw)}")
        crc = _lengths_crc(lengths)
        if crc32c.unmask(struct.unpack_from("<I", raw, pos)[0]) != crc:
            raise DataLossError(None, None, f"{path}: string tensor {key!r}: its lengths fail their CRC32C check")
        if crc32c.extend(crc, raw[pos:]) != expected_crc:  # the lengths' CRC, then the checksum and bytes
            raise DataLossError(None, None, f"{path}: tensor {key!r} fails its CRC32C check (corrupt file)")
        pos += 4
        out = np.empty(count, dtype=object)
        for i, n in enumerate(lengths):
            out[i] = raw[pos:pos + n]
            pos += n
        return out

    # ---- partitioned variables

    def _assemble(self, key: str, entry: Any) -> np.ndarray:
        shape = self.shape(key)
        dtype = _ENUM_NAMES[entry.dtype]
        out = np.empty(shape, dtype=object if dtype == "string" else dtype)
        covered = 0
        for s in entry.slices:
            if len(s.extent) != len(shape):
                raise DataLossError(None, None, f"{self._index}: a slice of {key!r} has {len(s.extent)} "
                                    f"dimensions, the tensor {len(shape)}")
            spans = []
            for dim, e in zip(shape, s.extent):
                length = e.length[0] if e.length else dim - e.start
                if e.start < 0 or length < 0 or e.start + length > dim:
                    raise DataLossError(None, None, f"{self._index}: a slice of {key!r} lies outside its shape "
                                        f"{shape}")
                spans.append((e.start, length))
            skey = encode_name_slice(key, [(st, ln if e.length else -1) for (st, ln), e in zip(spans, s.extent)])
            if skey not in self._slices:
                raise DataLossError(None, None, f"{self._index}: the slice {spans} of {key!r} is missing")
            sentry = self._parse(BundleEntryProto, self._slices[skey], f"a slice entry of {key!r}")
            if sentry.dtype != entry.dtype:
                raise DataLossError(None, None, f"{self._index}: a slice of {key!r} has another dtype")
            piece = self._read(key, sentry, [ln for _, ln in spans])
            out[tuple(slice(st, st + ln) for st, ln in spans)] = piece
            covered += piece.size
        if covered != out.size:
            raise DataLossError(None, None, f"{self._index}: the slices of {key!r} cover {covered} of its "
                                f"{out.size} elements")
        return out


def _ordered_string(out: bytearray, s: bytes) -> None:
    # OrderedCode::WriteString: 0x00 -> 00 ff, 0xff -> ff 00, then the terminator 00 01
    out += b"".join(b"\x00\xff" if c == 0 else b"\xff\x00" if c == 0xFF else bytes([c]) for c in s)
    out += b"\x00\x01"


def _ordered_unsigned(out: bytearray, n: int) -> None:
    # OrderedCode::WriteNumIncreasing: the byte count, then the number big-endian
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    out.append(len(body))
    out += body


def _ordered_signed(out: bytearray, n: int) -> None:
    # OrderedCode::WriteSignedNumIncreasing: the two's complement in the fewest bytes L that hold
    # 7L-1 bits of magnitude, its first L bits flipped to ones (the length) followed by a zero
    magnitude = ~n if n < 0 else n
    length = 1
    while magnitude >= 1 << (7 * length - 1):
        length += 1
    body = bytearray((n & ((1 << (8 * length)) - 1)).to_bytes(length, "big"))
    header = ((1 << (length + 1)) - 2) << (8 * length - length - 1)  # ``length`` ones then a zero
    out += bytes(b ^ h for b, h in zip(body, header.to_bytes(length, "big")))


def encode_name_slice(name: str, spans: list[tuple[int, int]]) -> bytes:
    """TF's ``EncodeTensorNameSlice``: the table key of the slice ``spans`` ((start, length or -1
    for the whole dimension) per dimension) of tensor ``name``."""
    out = bytearray()
    _ordered_unsigned(out, 0)
    _ordered_string(out, name.encode("utf-8"))
    _ordered_unsigned(out, len(spans))
    for start, length in spans:
        _ordered_signed(out, start)
        _ordered_signed(out, length)
    return bytes(out)
