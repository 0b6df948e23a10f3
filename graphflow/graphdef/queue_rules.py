"""TF1's queues and readers in GraphDef (export only): ``FIFOQueueV2``, ``RandomShuffleQueueV2``,
``PaddingFIFOQueueV2``, ``PriorityQueueV2`` and their enqueue / dequeue / close / size ops, the
``*ReaderV2`` readers and ``ReaderReadV2`` and friends, with TF1's attributes, so a graph holding an
input pipeline writes its ``.meta`` and TensorBoard graph. graphflow's handles are string scalars
naming a session resource; TF's V2 ops take ``DT_RESOURCE`` handles, which is what the exported
queue and reader nodes output (the edge types agree within the file)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape
from graphflow.graphdef.display import shape_proto, tf_type
from graphflow.graphdef.export import Exporter
from graphflow.graphdef.export import _rule as _export


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
