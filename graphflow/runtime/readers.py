"""The readers a session keeps (the resources behind ops/reader_ops.py's nodes): each holds its
current work unit's records as an iterator and dequeues the next work unit from a session queue
when it ends. One read at a time per reader (its lock), as TF1's; the wait for a work unit is the
queue's, which the session's closing ends."""
from __future__ import annotations

import gzip
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from graphflow.core.errors import DataLossError, InvalidArgumentError, NotFoundError, OutOfRangeError
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.ops.reader_ops import ReaderAttrs
from graphflow.runtime import session_ops
from graphflow.runtime.queues import queue_of
from graphflow.runtime.state import State

READER_OPS = (Op.TEXT_LINE_READER, Op.WHOLE_FILE_READER, Op.FIXED_LENGTH_RECORD_READER, Op.TFRECORD_READER,
              Op.IDENTITY_READER)
Record = tuple[bytes, bytes]


def _open(node: Operation, path: str) -> Any:
    try:
        return open(path, "rb")  # noqa: SIM115 - the records' iterator closes it
    except FileNotFoundError:
        raise NotFoundError(node, node, f"{path}; No such file or directory\n  in {node.describe()}") from None
    except IsADirectoryError:
        raise InvalidArgumentError(node, node, f"{path} is a directory, expected a file\n  in {node.describe()}") \
            from None


def _text_lines(node: Operation, at: ReaderAttrs, work: str) -> Iterator[Record]:
    with _open(node, work) as f:
        for number, line in enumerate(f, start=1):
            if number <= at.skip_header_lines:
                continue
            line = line[:-1] if line.endswith(b"\n") else line
            line = line[:-1] if line.endswith(b"\r") else line
            yield f"{work}:{number}".encode(), line


def _whole_file(node: Operation, at: ReaderAttrs, work: str) -> Iterator[Record]:
    with _open(node, work) as f:
        yield work.encode(), f.read()


def _identity(node: Operation, at: ReaderAttrs, work: str) -> Iterator[Record]:
    yield work.encode(), work.encode()


def _fixed_length(node: Operation, at: ReaderAttrs, work: str) -> Iterator[Record]:
    with _open(node, work) as f:
        data = f.read()
    try:
        if at.compression == "GZIP":
            data = gzip.decompress(data)
        elif at.compression == "ZLIB":
            data = zlib.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise DataLossError(node, node, f"{work}: corrupt {at.compression} data ({e})\n  in {node.describe()}") \
            from None
    end = len(data) - at.footer_bytes
    step = at.hop_bytes or at.record_bytes
    index, start = 0, at.header_bytes
    while start + at.record_bytes <= end:
        yield f"{work}:{index}".encode(), data[start:start + at.record_bytes]
        index += 1
        start += step


def _tfrecords(node: Operation, at: ReaderAttrs, work: str) -> Iterator[Record]:
    from graphflow.formats import tfrecord  # noqa: PLC0415 - only TFRecordReader's sessions need it
    offset = 0
    try:
        for record in tfrecord.iterate(work, at.compression):
            yield f"{work}:{offset}".encode(), record
            offset += len(record) + 16  # a record's frame: length, its CRC, the data, its CRC
    except (DataLossError, NotFoundError) as e:
        raise type(e)(node, node, f"{e.message}\n  in {node.describe()}") from None


_RECORDS = {"TextLineReader": _text_lines, "WholeFileReader": _whole_file, "IdentityReader": _identity,
            "FixedLengthRecordReader": _fixed_length, "TFRecordReader": _tfrecords}


class Reader:
    def __init__(self, at: ReaderAttrs) -> None:
        self.at = at
        self.lock = threading.Lock()
        self.records: Iterator[Record] | None = None
        self.produced = 0
        self.completed = 0

    def _next(self, node: Operation, queue: Any) -> Record:
        """The next record, moving to the queue's next work unit as each one ends (the caller
        holds the lock)."""
        while True:
            if self.records is None:
                work = queue.dequeue(node, 1, False)[0][0]
                raw = work.item() if isinstance(work, np.ndarray) else work
                text = raw.decode() if isinstance(raw, bytes) else str(raw)
                self.records = _RECORDS[self.at.kind](node, self.at, os.fspath(text))
            rec = next(self.records, None)
            if rec is not None:
                self.produced += 1
                return rec
            self.records = None
            self.completed += 1

    def read(self, node: Operation, queue: Any, n: int | None) -> list[Record]:
        with self.lock:
            if n is None:
                return [self._next(node, queue)]
            out: list[Record] = []
            while len(out) < n:
                try:
                    out.append(self._next(node, queue))
                except OutOfRangeError:
                    if not out:
                        raise
                    break
            return out

    def reset(self) -> None:
        with self.lock:
            self.records = None
            self.produced = self.completed = 0


def _make_reader(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    if state is None:
        raise InvalidArgumentError(n, n, f"{n.op.value} needs a session to keep its reader\n  in {n.describe()}")
    key = "reader:" + n.name
    state.resource(key, lambda k: Reader(n.attrs))
    return [np.asarray(key.encode(), dtype=object)]


def _reader_of(n: Operation, handle: Any, state: State | None) -> Reader:
    raw = np.asarray(handle, dtype=object).item()
    key = raw.decode() if isinstance(raw, bytes) else str(raw)
    r = state.resources.get(key) if state is not None else None
    if not isinstance(r, Reader):
        raise InvalidArgumentError(n, n, f"no reader named '{key}' in this session\n  in {n.describe()}")
    return r


def _read(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    r = _reader_of(n, args[0], state)
    q = queue_of(n, args[1], state)
    if n.op is Op.READER_READ:
        key, value = r.read(n, q, None)[0]
        return [np.asarray(key, dtype=object), np.asarray(value, dtype=object)]
    count = int(args[2])
    if count <= 0:
        raise InvalidArgumentError(n, n, f"num_records must be positive, given {count}\n  in {n.describe()}")
    recs = r.read(n, q, count)
    keys, values = np.empty(len(recs), dtype=object), np.empty(len(recs), dtype=object)
    for i, (k, v) in enumerate(recs):
        keys[i], values[i] = k, v
    return [keys, values]


def _counts(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    r = _reader_of(n, args[0], state)
    if n.op is Op.READER_RESET:
        r.reset()
        return []
    return [np.int64(r.produced if n.op is Op.READER_NUM_RECORDS_PRODUCED else r.completed)]


session_ops.register(READER_OPS, _make_reader)
session_ops.register((Op.READER_READ, Op.READER_READ_UP_TO), _read)
session_ops.register((Op.READER_NUM_RECORDS_PRODUCED, Op.READER_NUM_WORK_UNITS_COMPLETED, Op.READER_RESET),
                     _counts)
