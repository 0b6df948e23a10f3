"""TFRecord files: a sequence of records, each framed as TF frames it, optionally ZLIB/GZIP-compressed.

A record is ``uint64 length (LE) | masked crc32c of those 8 bytes (uint32 LE) | data |
masked crc32c of data (uint32 LE)`` (tsl/lib/io/record_writer.cc). ZLIB files are one zlib
stream (window bits 15), GZIP files one gzip stream, as TF's ``ZlibCompressionOptions`` make them.
Every length is checked against the bytes that are really there before anything is allocated,
so a corrupt length is a ``DataLossError`` naming the file and the record's offset (in the
uncompressed stream), never a huge allocation.

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "r.tfrecord")
>>> with Writer(p, "GZIP") as w:
...     w.write(b"first"); w.write(b"")
>>> list(iterate(p, "GZIP"))
[b'first', b'']
"""
from __future__ import annotations

import gzip
import os
import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from graphflow.core import errors
from graphflow.formats import crc32c

__all__ = ["iterate", "Writer", "compression_name", "frame"]

_HEADER = 12  # length (8) + its masked crc (4)
_FOOTER = 4
_CHUNK = 1 << 20  # compressed streams do not say how much is left: grow a record by this much at a time
_NAMES = {None: "", "": "", "NONE": "", "ZLIB": "ZLIB", "GZIP": "GZIP", 0: "", 1: "ZLIB", 2: "GZIP"}


def compression_name(compression_type: Any) -> str:
    """``""``, ``"ZLIB"`` or ``"GZIP"`` for TF's spellings of a compression (a string, None, or
    ``TFRecordCompressionType``'s 0/1/2).

    >>> compression_name(None), compression_name("gzip"), compression_name(1)
    ('', 'GZIP', 'ZLIB')
    """
    key = compression_type.upper() if isinstance(compression_type, str) else compression_type
    try:
        return _NAMES[key]
    except (KeyError, TypeError):
        raise errors.InvalidArgumentError(
            None, None, f"compression_type must be '', 'ZLIB' or 'GZIP', got {compression_type!r}") from None


def frame(record: bytes) -> bytes:
    """The bytes one record takes in an uncompressed TFRecord file.

    >>> len(frame(b"abc"))
    19
    """
    length = struct.pack("<Q", len(record))
    return b"".join((length, struct.pack("<I", crc32c.masked(length)), record,
                     struct.pack("<I", crc32c.masked(record))))


class _ZlibReader:
    """A read(n) view of a zlib stream's uncompressed bytes, inflating no more than asked for."""

    def __init__(self, f: BinaryIO) -> None:
        self._f, self._d, self._buf, self._pending = f, zlib.decompressobj(), b"", b""

    def read(self, n: int) -> bytes:
        while len(self._buf) < n and not self._d.eof:
            data = self._pending or self._f.read(_CHUNK)
            if not data:
                break
            self._buf += self._d.decompress(data, n - len(self._buf))
            self._pending = self._d.unconsumed_tail
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _open_read(path: str, kind: str) -> tuple[Any, BinaryIO, int | None]:
    """(the uncompressed byte reader, the raw file, the byte count when it is known)."""
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}: is a directory, not a TFRecord file") from None
    if kind == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw, None
    if kind == "ZLIB":
        return _ZlibReader(raw), raw, None
    return raw, raw, os.fstat(raw.fileno()).st_size


def _read_exact(f: Any, n: int, known_left: int | None, path: str, offset: int, what: str) -> bytes:
    if known_left is not None and n > known_left:
        raise _loss(path, offset, f"truncated record: {what} needs {n} bytes, {known_left} left in the file")
    parts, got = [], 0
    while got < n:
        try:
            chunk = f.read(min(n - got, _CHUNK))
        except (OSError, EOFError, zlib.error) as e:  # a corrupt gzip/zlib stream
            raise _loss(path, offset, f"corrupt compressed data ({e})") from None
        if not chunk:
            raise _loss(path, offset, f"truncated record: {what} needs {n} bytes, {got} left in the file")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _loss(path: str, offset: int, msg: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"{path}: {msg} (record at offset {offset})")


def iterate(path: str, compression_type: str | None = "") -> Iterator[bytes]:
    """The records of the TFRecord file ``path``, in order.

    Raises ``NotFoundError`` for a missing file and ``DataLossError`` (naming the file and the
    record's offset) for a truncated record or a checksum that does not match.
    """
    path = os.fspath(path)
    kind = compression_name(compression_type)
    f, raw, size = _open_read(path, kind)
    offset = 0
    try:
        while True:
            try:
                head = f.read(_HEADER)
            except (OSError, EOFError, zlib.error) as e:
                raise _loss(path, offset, f"corrupt compressed data ({e})") from None
            if not head:
                return
            if len(head) < _HEADER:
                head += _read_exact(f, _HEADER - len(head), None, path, offset, "the record header")
            length_bytes = head[:8]
            (length,) = struct.unpack("<Q", length_bytes)
            (length_crc,) = struct.unpack("<I", head[8:])
            if crc32c.masked(length_bytes) != length_crc:
                raise _loss(path, offset, "corrupted record: the checksum of the length does not match")
            left = None if size is None else size - offset - _HEADER
            body = _read_exact(f, length + _FOOTER, left, path, offset, f"a {length}-byte record")
            data = body[:length]
            (data_crc,) = struct.unpack("<I", body[length:])
            if crc32c.masked(data) != data_crc:
                raise _loss(path, offset, "corrupted record: the checksum of the data does not match")
            yield data
            offset += _HEADER + length + _FOOTER
    finally:
        if f is not raw:
            close = getattr(f, "close", None)
            if close is not None:
                close()
        raw.close()


class Writer:
    """Writes a TFRecord file: ``write(record)``, ``flush()``, ``close()``; a context manager.

    The records go to a temporary file in ``path``'s folder that ``close`` renames over
    ``path``, so a reader never sees a half-written file (nor a writer that died midway).
    """

    def __init__(self, path: str, compression_type: str | None = "") -> None:
        self.path = os.fspath(path)
        self._kind = compression_name(compression_type)
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise errors.NotFoundError(None, None, f"{self.path}: folder {folder} does not exist")
        self._tmp = f"{self.path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        self._raw: BinaryIO | None = open(self._tmp, "wb")
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb", mtime=0) if self._kind == "GZIP" else None
        self._zlib = zlib.compressobj() if self._kind == "ZLIB" else None

    def write(self, record: bytes) -> None:
        if self._raw is None:
            raise errors.FailedPreconditionError(None, None, f"{self.path}: the TFRecord writer is closed")
        data = frame(bytes(record))
        if self._gzip is not None:
            self._gzip.write(data)
        elif self._zlib is not None:
            self._raw.write(self._zlib.compress(data))
        else:
            self._raw.write(data)

    def flush(self) -> None:
        """Push the written records to the temporary file (``path`` itself appears at ``close``)."""
        if self._raw is None:
            return
        if self._gzip is not None:
            self._gzip.flush(zlib.Z_SYNC_FLUSH)
        elif self._zlib is not None:
            self._raw.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        self._raw.flush()

    def close(self) -> None:
        if self._raw is None:
            return
        raw, self._raw = self._raw, None
        try:
            if self._gzip is not None:
                self._gzip.close()
            elif self._zlib is not None:
                raw.write(self._zlib.flush())
            raw.flush()
            os.fsync(raw.fileno())
            raw.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            raw.close()
            try:
                os.remove(self._tmp)
            except OSError:
                pass
            raise

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_raw", None) is not None:
            try:
                self.close()
            except Exception:  # noqa: BLE001 - nothing to report to at interpreter shutdown
                pass
