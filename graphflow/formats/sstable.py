"""LevelDB's sorted table (SSTable), the layout of a TF tensor bundle's ``.index`` file.

A table is a run of *data blocks* holding the sorted key/value pairs, an empty *metaindex* block,
an *index* block mapping a key at or after each data block's last key to that block's handle, and
a 48-byte *footer*. TF writes it with ``tsl/lib/io/table_builder.cc``, LevelDB's design:

- a block stores each key as (bytes shared with the previous key, the rest), every 16th key (in
  the index block every key) in full (a *restart point*, so a reader could bisect), then the
  restart offsets (fixed32 each) and their count (fixed32);
- each block is followed by a 5-byte trailer: a compression byte (0: none) and the masked CRC32C
  of the block and that byte;
- a block handle is varint64 offset and varint64 size; the footer holds the metaindex's and the
  index's handles, zero-padded to 40 bytes, then the magic number ``0xdb4775248b80fb57``
  (little-endian).

TF cuts a data block once it reaches 256 KiB, and shortens index keys as LevelDB does, so tables
written here are byte-identical to TF's for the same entries. Reading checks every offset, size,
CRC and the key order, and raises ``DataLossError`` naming the file for anything malformed.

>>> data = build_table([(b"a", b"1"), (b"b", b"22")])
>>> read_table(data, "doc.index")
[(b'a', b'1'), (b'b', b'22')]
"""
from __future__ import annotations

import struct
from collections.abc import Iterable

from graphflow.core.errors import DataLossError, UnimplementedError
from graphflow.formats import crc32c

__all__ = ["build_table", "read_table", "MAGIC", "FOOTER_BYTES"]

MAGIC = 0xDB4775248B80FB57
FOOTER_BYTES = 48
BLOCK_BYTES = 256 * 1024  # tsl::table::Options::block_size
RESTART_INTERVAL = 16
_HANDLES_BYTES = 40  # two BlockHandles at their longest (2 x 2 varint64 of 10 bytes)
_TRAILER_BYTES = 5
_NO_COMPRESSION, _SNAPPY = 0, 1
_U32 = struct.Struct("<I")


def put_varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def get_varint(buf: bytes | memoryview, pos: int, end: int, limit_bits: int = 64) -> tuple[int, int]:
    """``(value, position after it)``; ``ValueError`` when truncated or longer than ``limit_bits``."""
    result = shift = 0
    while pos < end and shift < limit_bits:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise ValueError("truncated or overlong varint")


# ---- writing ---------------------------------------------------------------------------------------

class _Block:
    def __init__(self, restart_interval: int = RESTART_INTERVAL) -> None:
        self.interval = restart_interval
        self.buf = bytearray()
        self.restarts = [0]
        self.count = 0  # keys since the last restart point
        self.last = b""
        self.empty = True

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.count < self.interval:
            limit = min(len(key), len(self.last))
            while shared < limit and key[shared] == self.last[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.count = 0
        put_varint(self.buf, shared)
        put_varint(self.buf, len(key) - shared)
        put_varint(self.buf, len(value))
        self.buf += key[shared:]
        self.buf += value
        self.last, self.count, self.empty = key, self.count + 1, False

    def estimate(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        return bytes(self.buf) + b"".join(_U32.pack(r) for r in self.restarts) + _U32.pack(len(self.restarts))


def _shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key ``k`` with ``start <= k < limit`` (LevelDB's bytewise comparator)."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start


def _short_successor(key: bytes) -> bytes:
    """A short key ``k >= key``."""
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


def _handle(offset: int, size: int) -> bytes:
    out = bytearray()
    put_varint(out, offset)
    put_varint(out, size)
    return bytes(out)


def build_table(items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The table holding ``items``, which must come in strictly increasing key order."""
    out = bytearray()
    index = _Block(restart_interval=1)  # every index key in full, as LevelDB writes them
    data = _Block()
    pending: bytes | None = None  # the handle of the last data block, waiting for its index key
    last: bytes | None = None

    def write_block(block: _Block) -> bytes:
        contents = block.finish()
        handle = _handle(len(out), len(contents))
        out.extend(contents)
        out.append(_NO_COMPRESSION)
        out.extend(_U32.pack(crc32c.masked(contents + bytes([_NO_COMPRESSION]))))
        return handle

    for key, value in items:
        if last is not None and key <= last:
            raise ValueError(f"table keys must be strictly increasing: {key!r} after {last!r}")
        if pending is not None:
            index.add(_shortest_separator(last or b"", key), pending)
            pending = None
        data.add(key, value)
        last = key
        if data.estimate() >= BLOCK_BYTES:
            pending, data = write_block(data), _Block()
    if not data.empty:
        pending = write_block(data)
    metaindex = write_block(_Block())
    if pending is not None:
        index.add(_short_successor(last or b""), pending)
    index_handle = write_block(index)
    footer = metaindex + index_handle
    out += footer + bytes(_HANDLES_BYTES - len(footer)) + struct.pack("<Q", MAGIC)
    return bytes(out)


# ---- reading ---------------------------------------------------------------------------------------

def _block(data: bytes, handle: bytes, end: int, filename: str, what: str) -> memoryview:
    try:
        offset, pos = get_varint(handle, 0, len(handle))
        size, pos = get_varint(handle, pos, len(handle))
    except ValueError:
        raise DataLossError(None, None, f"{filename}: the {what}'s block handle is malformed") from None
    if offset + size + _TRAILER_BYTES > end:
        raise DataLossError(None, None, f"{filename}: the {what} at offset {offset}, {size} bytes, runs past "
                            f"the table's {end} bytes (truncated or corrupt file)")
    kind = data[offset + size]
    stored = _U32.unpack_from(data, offset + size + 1)[0]
    if crc32c.unmask(stored) != crc32c.value(memoryview(data)[offset:offset + size + 1]):
        raise DataLossError(None, None, f"{filename}: the {what} at offset {offset} fails its CRC32C check "
                            "(corrupt file)")
    if kind == _SNAPPY:
        raise UnimplementedError(None, None, f"{filename}: the {what} is snappy-compressed; graphflow reads "
                                 "uncompressed tables only (TF writes tensor bundles uncompressed)")
    if kind != _NO_COMPRESSION:
        raise DataLossError(None, None, f"{filename}: the {what} has unknown compression type {kind}")
    return memoryview(data)[offset:offset + size]


def _entries(block: memoryview, filename: str, what: str) -> list[tuple[bytes, bytes]]:
    n = len(block)
    if n < 4:
        raise DataLossError(None, None, f"{filename}: the {what} has {n} bytes, fewer than its restart count")
    restarts = _U32.unpack_from(block, n - 4)[0]
    if restarts < 1 or 4 * restarts + 4 > n:
        raise DataLossError(None, None, f"{filename}: the {what} claims {restarts} restart points in {n} bytes")
    end = n - 4 - 4 * restarts
    points = [_U32.unpack_from(block, end + 4 * i)[0] for i in range(restarts)]
    if points[0] != 0 or any(p >= max(end, 1) for p in points[1:]) or points != sorted(points):
        raise DataLossError(None, None, f"{filename}: the {what}'s restart points are out of range")
    out: list[tuple[bytes, bytes]] = []
    last = b""
    pos = 0
    try:
        while pos < end:
            shared, pos = get_varint(block, pos, end, 32)
            fresh, pos = get_varint(block, pos, end, 32)
            size, pos = get_varint(block, pos, end, 32)
            if shared > len(last) or pos + fresh + size > end:
                raise ValueError("entry runs past its block")
            key = last[:shared] + bytes(block[pos:pos + fresh])
            pos += fresh
            out.append((key, bytes(block[pos:pos + size])))
            pos += size
            last = key
    except ValueError as e:
        raise DataLossError(None, None, f"{filename}: malformed entry in the {what}: {e}") from None
    return out


def read_table(data: bytes, filename: str) -> list[tuple[bytes, bytes]]:
    """Every ``(key, value)`` of the table ``data`` (the bytes of ``filename``), in key order."""
    if len(data) < FOOTER_BYTES:
        raise DataLossError(None, None, f"{filename}: {len(data)} bytes, too short for a table's "
                            f"{FOOTER_BYTES}-byte footer (truncated file?)")
    end = len(data) - FOOTER_BYTES
    if struct.unpack_from("<Q", data, len(data) - 8)[0] != MAGIC:
        raise DataLossError(None, None, f"{filename}: not a table (bad magic number; truncated or not a "
                            "tensor bundle index)")
    footer = data[end:len(data) - 8]
    try:
        _, pos = get_varint(footer, 0, len(footer))
        _, pos = get_varint(footer, pos, len(footer))
    except ValueError:
        raise DataLossError(None, None, f"{filename}: malformed table footer") from None
    _block(data, footer[:pos], end, filename, "metaindex block")
    items: list[tuple[bytes, bytes]] = []
    for i, (_, handle) in enumerate(_entries(_block(data, footer[pos:], end, filename, "index block"),
                                             filename, "index block")):
        what = f"data block {i}"
        for key, value in _entries(_block(data, handle, end, filename, what), filename, what):
            if items and key <= items[-1][0]:
                raise DataLossError(None, None, f"{filename}: key {key!r} out of order after {items[-1][0]!r}")
            items.append((key, value))
    return items
