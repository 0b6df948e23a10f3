"""TF1's readers as graph ops: ``tf.TextLineReader``, ``tf.WholeFileReader``,
``tf.FixedLengthRecordReader``, ``tf.TFRecordReader``, ``tf.IdentityReader`` (``tf.ReaderBase``).

A reader node outputs a string handle naming the reader, a resource of the session that runs it
(runtime/readers.py) as its queues are. ``read(queue)`` takes the next record of the current
work unit (a file name), dequeuing the next work unit from ``queue`` when the current one ends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.nodes import make_node
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape

__all__ = ["FixedLengthRecordReader", "IdentityReader", "ReaderBase", "TFRecordReader", "TextLineReader",
           "WholeFileReader"]


@dataclass(frozen=True)
class ReaderAttrs:
    kind: str  # TF's class name
    skip_header_lines: int = 0
    record_bytes: int = 0
    header_bytes: int = 0
    footer_bytes: int = 0
    hop_bytes: int = 0
    compression: str = ""  # TFRecordReader's compression type; FixedLengthRecordReader's encoding
    shared_name: str = ""


def _session_only(at: object, *args: np.ndarray) -> list[np.ndarray]:
    raise ValueError("a reader lives in a session: only a session's run evaluates reader ops")


_FLAGS = {"no_gradient": True, "stateful": True}
_SCALAR = lambda s, at: [TensorShape([])]  # noqa: E731
for _op in (Op.TEXT_LINE_READER, Op.WHOLE_FILE_READER, Op.FIXED_LENGTH_RECORD_READER, Op.TFRECORD_READER,
            Op.IDENTITY_READER):
    register(OpDef(_op, Kind.HOST, _SCALAR, lambda d, at: [_dt.string], _session_only, **_FLAGS))
register(OpDef(Op.READER_READ, Kind.HOST, lambda s, at: [TensorShape([])] * 2,
               lambda d, at: [_dt.string, _dt.string], _session_only, **_FLAGS))
register(OpDef(Op.READER_READ_UP_TO, Kind.HOST, lambda s, at: [TensorShape([None])] * 2,
               lambda d, at: [_dt.string, _dt.string], _session_only, **_FLAGS))
register(OpDef(Op.READER_NUM_RECORDS_PRODUCED, Kind.HOST, _SCALAR, lambda d, at: [_dt.int64], _session_only,
               **_FLAGS))
register(OpDef(Op.READER_NUM_WORK_UNITS_COMPLETED, Kind.HOST, _SCALAR, lambda d, at: [_dt.int64], _session_only,
               **_FLAGS))
register(OpDef(Op.READER_RESET, Kind.HOST, lambda s, at: [], lambda d, at: [], _session_only, **_FLAGS))


def _queue_ref(queue: Any) -> Tensor:
    if isinstance(queue, Tensor):
        return queue
    ref = getattr(queue, "queue_ref", None)
    if not isinstance(ref, Tensor):
        raise TypeError(f"read needs a queue (tf.FIFOQueue...) or its queue_ref, given {type(queue).__name__}")
    return ref


class ReaderBase:
    """A reader of records from the work units (file names) a queue gives (TF1's ``tf.ReaderBase``).

    >>> import graphflow as gf
    >>> key, value = gf.TextLineReader().read(gf.FIFOQueue(2, gf.string))
    >>> key.dtype, value.dtype
    (gf.string, gf.string)
    """

    def __init__(self, reader_ref: Tensor, supports_serialize: bool = False) -> None:
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @staticmethod
    def _build(op: Op, attrs: ReaderAttrs, name: str | None, default: str) -> Tensor:
        return make_node(op, [], attrs, name=name or default).outputs[0]

    @property
    def reader_ref(self) -> Tensor:
        return self._reader_ref

    @property
    def supports_serialize(self) -> bool:
        return self._supports_serialize

    def read(self, queue: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
        """(key, value): the next record, dequeuing a work unit from ``queue`` when needed."""
        node = make_node(Op.READER_READ, [self._reader_ref, _queue_ref(queue)], NO_ATTRS, name=name or "ReaderReadV2")
        return node.outputs[0], node.outputs[1]

    def read_up_to(self, queue: Any, num_records: object, name: str | None = None) -> tuple[Tensor, Tensor]:
        """(keys, values): up to ``num_records`` records (fewer only at the end of the input)."""
        n = convert_to_tensor(num_records, dtype=_dt.int64)
        node = make_node(Op.READER_READ_UP_TO, [self._reader_ref, _queue_ref(queue), n], NO_ATTRS,
                         name=name or "ReaderReadUpToV2")
        return node.outputs[0], node.outputs[1]

    def num_records_produced(self, name: str | None = None) -> Tensor:
        return make_node(Op.READER_NUM_RECORDS_PRODUCED, [self._reader_ref], NO_ATTRS,
                         name=name or "ReaderNumRecordsProducedV2").outputs[0]

    def num_work_units_completed(self, name: str | None = None) -> Tensor:
        return make_node(Op.READER_NUM_WORK_UNITS_COMPLETED, [self._reader_ref], NO_ATTRS,
                         name=name or "ReaderNumWorkUnitsCompletedV2").outputs[0]

    def reset(self, name: str | None = None) -> Operation:
        """The op that forgets the current work unit and zeroes the counts."""
        return make_node(Op.READER_RESET, [self._reader_ref], NO_ATTRS, name=name or "ReaderResetV2")

    def serialize_state(self, name: str | None = None) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not support serializing its state (as in TF1)")

    def restore_state(self, state: object, name: str | None = None) -> Operation:
        raise NotImplementedError(f"{type(self).__name__} does not support restoring its state (as in TF1)")


class TextLineReader(ReaderBase):
    """Lines of text files, without their line ends; keys are ``"file:line"`` (1-based)."""

    def __init__(self, skip_header_lines: int | None = None, name: str | None = None) -> None:
        at = ReaderAttrs("TextLineReader", skip_header_lines=int(skip_header_lines or 0))
        super().__init__(self._build(Op.TEXT_LINE_READER, at, name, "TextLineReaderV2"))


class WholeFileReader(ReaderBase):
    """Each file's whole contents as one record, keyed by its name."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(self._build(Op.WHOLE_FILE_READER, ReaderAttrs("WholeFileReader"), name, "WholeFileReaderV2"))


class IdentityReader(ReaderBase):
    """Each work unit as its own key and value."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(self._build(Op.IDENTITY_READER, ReaderAttrs("IdentityReader"), name, "IdentityReaderV2"))


class FixedLengthRecordReader(ReaderBase):
    """Records of ``record_bytes`` bytes between a header and a footer, every ``hop_bytes``
    bytes when given (else back to back); keys are ``"file:record"`` (0-based)."""

    def __init__(self, record_bytes: int, header_bytes: int | None = None, footer_bytes: int | None = None,
                 hop_bytes: int | None = None, name: str | None = None, encoding: str | None = None) -> None:
        if int(record_bytes) <= 0:
            raise ValueError(f"FixedLengthRecordReader: record_bytes must be positive, given {record_bytes}")
        at = ReaderAttrs("FixedLengthRecordReader", record_bytes=int(record_bytes),
                         header_bytes=int(header_bytes or 0), footer_bytes=int(footer_bytes or 0),
                         hop_bytes=int(hop_bytes or 0), compression=(encoding or "").upper())
        if at.compression not in ("", "GZIP", "ZLIB"):
            raise ValueError(f"FixedLengthRecordReader: encoding must be '', 'GZIP' or 'ZLIB', given {encoding!r}")
        super().__init__(self._build(Op.FIXED_LENGTH_RECORD_READER, at, name, "FixedLengthRecordReaderV2"))


class TFRecordReader(ReaderBase):
    """The records of TFRecord files; keys are ``"file:offset"`` (the record's byte offset)."""

    def __init__(self, name: str | None = None, options: Any = None) -> None:
        kind = options if isinstance(options, str) or options is None else getattr(options, "compression_type", "")
        if kind is not None and not isinstance(kind, str):  # an enum (TFRecordCompressionType): its name
            kind = {0: "", 1: "ZLIB", 2: "GZIP"}.get(int(kind), str(kind))
        super().__init__(self._build(Op.TFRECORD_READER, ReaderAttrs("TFRecordReader", compression=kind or ""),
                                     name, "TFRecordReaderV2"))
