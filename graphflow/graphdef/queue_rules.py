"""TF1's queues and readers in GraphDef, both ways: ``FIFOQueueV2``, ``RandomShuffleQueueV2``,
``PaddingFIFOQueueV2``, ``PriorityQueueV2`` and their enqueue / dequeue / close / size ops, the
``*ReaderV2`` readers and ``ReaderReadV2`` and friends, with TF1's attributes, so a graph holding an
input pipeline writes its ``.meta`` and TensorBoard graph. graphflow's handles are string scalars
naming a session resource; TF's V2 ops take ``DT_RESOURCE`` handles, which is what the exported
queue and reader nodes output (the edge types agree within the file). Imported back they are
graphflow's queue and reader nodes again (TF's ``container`` and ``timeout_ms`` are not kept)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation
from graphflow.core.nodes import make_node
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape
from graphflow.graphdef.display import shape_proto, tf_type
from graphflow.graphdef.export import Exporter
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import GraphDefError, Node
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.ops.queue_ops import CloseAttrs, DequeueAttrs, QueueAttrs
from graphflow.ops.reader_ops import ReaderAttrs


def set_list(ex: Exporter, name: str, key: str, values: Sequence[Any], kind: str) -> None:
    """A list attribute (``kind`` "type", "shape" or "int") on the exported node ``name``."""
    nd = next(nd for nd in reversed(ex.gd.node) if nd.name == name)
    lst = nd.attr[key].list
    lst.SetInParent()  # an empty list is still a list value, as TF writes it
    if kind == "type":
        lst.type.extend([tf_type(d) for d in values])
    elif kind == "shape":
        lst.shape.extend([shape_proto(TensorShape(s)) for s in values])
    else:
        lst.i.extend([int(v) for v in values])


def _types(ex: Exporter, name: str, key: str, dtypes: Sequence[DType]) -> str:
    set_list(ex, name, key, dtypes, "type")
    return name


_I64 = _dt.int64
_QUEUES = {Op.FIFO_QUEUE: "FIFOQueueV2", Op.RANDOM_SHUFFLE_QUEUE: "RandomShuffleQueueV2",
           Op.PADDING_FIFO_QUEUE: "PaddingFIFOQueueV2", Op.PRIORITY_QUEUE: "PriorityQueueV2"}


@_export(*_QUEUES)
def _queue(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    dtypes, shapes = list(at.dtypes), list(at.shapes)
    if n.op is Op.PRIORITY_QUEUE:  # TF lists the components only, the int64 priority is implied
        dtypes, shapes = dtypes[1:], shapes[1:]
    extra: dict[str, Any] = {}
    if n.op is Op.RANDOM_SHUFFLE_QUEUE:
        extra = {"min_after_dequeue": int(at.min_after_dequeue), "seed": 0 if at.seed is None else 1,
                 "seed2": int(at.seed or 0)}
    name = ex.node(n.name, _QUEUES[n.op], capacity=int(at.capacity), container="", shared_name=at.shared_name,
                   **extra)
    _types(ex, name, "component_types", dtypes)
    # TF keeps the shapes only when every component's is known
    set_list(ex, name, "shapes", shapes if all(s is not None for s in shapes) else [], "shape")
    return name


@_export(Op.QUEUE_ENQUEUE, Op.QUEUE_ENQUEUE_MANY)
def _enqueue(ex: Exporter, n: Operation, ins: list[str]) -> str:
    op = "QueueEnqueueV2" if n.op is Op.QUEUE_ENQUEUE else "QueueEnqueueManyV2"
    return _types(ex, ex.node(n.name, op, ins, timeout_ms=-1), "Tcomponents", [t.dtype for t in n.inputs[1:]])


@_export(Op.QUEUE_DEQUEUE, Op.QUEUE_DEQUEUE_MANY, Op.QUEUE_DEQUEUE_UP_TO)
def _dequeue(ex: Exporter, n: Operation, ins: list[str]) -> str:
    op = {Op.QUEUE_DEQUEUE: "QueueDequeueV2", Op.QUEUE_DEQUEUE_MANY: "QueueDequeueManyV2",
          Op.QUEUE_DEQUEUE_UP_TO: "QueueDequeueUpToV2"}[n.op]
    return _types(ex, ex.node(n.name, op, ins, timeout_ms=-1), "component_types", list(n.attrs.dtypes))


@_export(Op.QUEUE_CLOSE)
def _close(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "QueueCloseV2", ins, cancel_pending_enqueues=bool(n.attrs.cancel_pending_enqueues))


@_export(Op.QUEUE_SIZE, Op.QUEUE_IS_CLOSED)
def _queue_state(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "QueueSizeV2" if n.op is Op.QUEUE_SIZE else "QueueIsClosedV2", ins)


@_export(Op.TEXT_LINE_READER, Op.WHOLE_FILE_READER, Op.FIXED_LENGTH_RECORD_READER, Op.TFRECORD_READER,
         Op.IDENTITY_READER)
def _reader(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    extra: dict[str, Any] = {}
    if n.op is Op.TEXT_LINE_READER:
        extra = {"skip_header_lines": int(at.skip_header_lines)}
    elif n.op is Op.FIXED_LENGTH_RECORD_READER:
        extra = {"header_bytes": int(at.header_bytes), "record_bytes": int(at.record_bytes),
                 "footer_bytes": int(at.footer_bytes), "hop_bytes": int(at.hop_bytes), "encoding": at.compression}
    elif n.op is Op.TFRECORD_READER:
        extra = {"compression_type": at.compression}
    return ex.node(n.name, f"{at.kind}V2", container="", shared_name=at.shared_name, **extra)


_READER_OPS = {Op.READER_READ: "ReaderReadV2", Op.READER_READ_UP_TO: "ReaderReadUpToV2",
               Op.READER_NUM_RECORDS_PRODUCED: "ReaderNumRecordsProducedV2",
               Op.READER_NUM_WORK_UNITS_COMPLETED: "ReaderNumWorkUnitsCompletedV2", Op.READER_RESET: "ReaderResetV2"}


@_export(*_READER_OPS)
def _reader_op(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, _READER_OPS[n.op], ins)


# ---- imports --------------------------------------------------------------------------------------

_QUEUE_IN = {v: k for k, v in _QUEUES.items()}
_READER_IN = {"TextLineReaderV2": Op.TEXT_LINE_READER, "WholeFileReaderV2": Op.WHOLE_FILE_READER,
              "FixedLengthRecordReaderV2": Op.FIXED_LENGTH_RECORD_READER, "TFRecordReaderV2": Op.TFRECORD_READER,
              "IdentityReaderV2": Op.IDENTITY_READER}


def _shapes(n: Node, key: str) -> list[tuple[int | None, ...]]:
    if key not in n.nd.attr:
        return []
    return [tuple(None if d.size < 0 else int(d.size) for d in sh.dim) for sh in n.nd.attr[key].list.shape]


def _types_in(n: Node, key: str) -> list[DType]:
    types = n.attr(key, []) or []
    if any(t is None for t in types):
        raise GraphDefError(f"node {n.name!r} ({n.op}): a component dtype graphflow does not support")
    return types


@_import(*_QUEUE_IN)
def _queue_in(n: Node) -> Any:
    op = _QUEUE_IN[n.op]
    dtypes, shapes = _types_in(n, "component_types"), _shapes(n, "shapes")
    if op is Op.PRIORITY_QUEUE:
        dtypes, shapes = [_I64] + dtypes, [()] + shapes
    full: tuple[Any, ...] = tuple(shapes) if len(shapes) == len(dtypes) else (None,) * len(dtypes)
    seed = int(n.attr("seed2", 0)) or int(n.attr("seed", 0)) or None
    at = QueueAttrs(n.op[:-2], int(n.attr("capacity", -1)), tuple(dtypes), full, n.attr("shared_name", ""),
                    int(n.attr("min_after_dequeue", 0)), seed)
    return make_node(op, [], at, name=n.name)


@_import("QueueEnqueueV2", "QueueEnqueueManyV2")
def _enqueue_in(n: Node) -> Any:
    op = Op.QUEUE_ENQUEUE if n.op == "QueueEnqueueV2" else Op.QUEUE_ENQUEUE_MANY
    return make_node(op, list(n.inputs), NO_ATTRS, name=n.name)


@_import("QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2")
def _dequeue_in(n: Node) -> Any:
    op = {"QueueDequeueV2": Op.QUEUE_DEQUEUE, "QueueDequeueManyV2": Op.QUEUE_DEQUEUE_MANY,
          "QueueDequeueUpToV2": Op.QUEUE_DEQUEUE_UP_TO}[n.op]
    dtypes = tuple(_types_in(n, "component_types"))
    queue = n.inputs[0].node.attrs
    shapes = queue.shapes if isinstance(queue, QueueAttrs) and len(queue.shapes) == len(dtypes) else \
        (None,) * len(dtypes)
    count = static_value(n.inputs[1]) if op is Op.QUEUE_DEQUEUE_MANY else None
    at = DequeueAttrs(dtypes, shapes, None if count is None else int(np.asarray(count)), op is not Op.QUEUE_DEQUEUE)
    return make_node(op, list(n.inputs), at, name=n.name)


@_import("QueueCloseV2")
def _close_in(n: Node) -> Any:
    return make_node(Op.QUEUE_CLOSE, list(n.inputs), CloseAttrs(bool(n.attr("cancel_pending_enqueues", False))),
                     name=n.name)


@_import("QueueSizeV2", "QueueIsClosedV2")
def _queue_state_in(n: Node) -> Any:
    return make_node(Op.QUEUE_SIZE if n.op == "QueueSizeV2" else Op.QUEUE_IS_CLOSED, list(n.inputs), NO_ATTRS,
                     name=n.name)


@_import(*_READER_IN)
def _reader_in(n: Node) -> Any:
    compression = n.attr("encoding", "") if n.op == "FixedLengthRecordReaderV2" else n.attr("compression_type", "")
    at = ReaderAttrs(n.op[:-2], int(n.attr("skip_header_lines", 0)), int(n.attr("record_bytes", 0)),
                     int(n.attr("header_bytes", 0)), int(n.attr("footer_bytes", 0)), int(n.attr("hop_bytes", 0)),
                     compression.upper(), n.attr("shared_name", ""))
    return make_node(_READER_IN[n.op], [], at, name=n.name)


@_import(*_READER_OPS.values())
def _reader_op_in(n: Node) -> Any:
    return make_node({v: k for k, v in _READER_OPS.items()}[n.op], list(n.inputs), NO_ATTRS, name=n.name)
