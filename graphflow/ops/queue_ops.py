"""TF1's queues as graph ops: ``tf.FIFOQueue``, ``tf.RandomShuffleQueue``, ``tf.PaddingFIFOQueue``,
``tf.PriorityQueue`` and their ``QueueBase`` methods.

A queue node outputs a string handle naming the queue; the queue itself is a resource of the
session that runs it (runtime/queues.py), one per session and node (or per ``shared_name``), as
TF1's resource manager keeps one. Enqueue and dequeue nodes read the handle, so that they run
after the queue node in a run's host stage. Every op here is a host op whose numpy reference
cannot run: only a session answers it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.nodes import make_node
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape

__all__ = ["FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "QueueBase", "RandomShuffleQueue"]

@dataclass(frozen=True)
class QueueAttrs:
    kind: str  # "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue", "PriorityQueue" (TF's names)
    capacity: int  # -1: unbounded
    dtypes: tuple[DType, ...]
    shapes: tuple[tuple[int | None, ...] | None, ...]
    shared_name: str
    min_after_dequeue: int = 0
    seed: int | None = None


@dataclass(frozen=True)
class DequeueAttrs:
    dtypes: tuple[DType, ...]
    shapes: tuple[tuple[int | None, ...] | None, ...]
    batch: int | None  # dequeue_many's static count, None: dequeue_up_to's (or unknown)
    many: bool  # a batch dimension leads every output


@dataclass(frozen=True)
class CloseAttrs:
    cancel_pending_enqueues: bool


def _session_only(at: object, *args: np.ndarray) -> list[np.ndarray]:
    raise ValueError("a queue lives in a session: only a session's run evaluates queue ops")


def _dequeue_shapes(s: object, at: DequeueAttrs) -> list[TensorShape]:
    lead = (at.batch,) if at.many else ()
    return [TensorShape(None if sh is None else lead + tuple(sh)) for sh in at.shapes]


_NO_GRAD = {"no_gradient": True, "stateful": True}
for _op in (Op.FIFO_QUEUE, Op.RANDOM_SHUFFLE_QUEUE, Op.PADDING_FIFO_QUEUE, Op.PRIORITY_QUEUE):
    register(OpDef(_op, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.string],
                   _session_only, **_NO_GRAD))
for _op in (Op.QUEUE_ENQUEUE, Op.QUEUE_ENQUEUE_MANY, Op.QUEUE_CLOSE):
    register(OpDef(_op, Kind.HOST, lambda s, at: [], lambda d, at: [], _session_only, **_NO_GRAD))
for _op in (Op.QUEUE_DEQUEUE, Op.QUEUE_DEQUEUE_MANY, Op.QUEUE_DEQUEUE_UP_TO):
    register(OpDef(_op, Kind.HOST, _dequeue_shapes, lambda d, at: list(at.dtypes), _session_only, **_NO_GRAD))
register(OpDef(Op.QUEUE_SIZE, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.int32],
               _session_only, **_NO_GRAD))
register(OpDef(Op.QUEUE_IS_CLOSED, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.bool_],
               _session_only, **_NO_GRAD))


def _as_dtypes(dtypes: object) -> tuple[DType, ...]:
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes]
    return tuple(_dt.as_dtype(d) for d in dtypes)


def _as_shapes(shapes: object, n: int, kind: str) -> tuple[tuple[int | None, ...] | None, ...]:
    if shapes is None:
        return (None,) * n
    if isinstance(shapes, TensorShape) or (isinstance(shapes, (list, tuple)) and shapes and
                                           not isinstance(shapes[0], (list, tuple, TensorShape)) and n == 1):
        shapes = [shapes]
    shapes = list(shapes)
    if len(shapes) != n:
        raise ValueError(f"{kind}: shapes must have the same length as dtypes ({n}), given {len(shapes)}")
    out = []
    for s in shapes:
        ts = s if isinstance(s, TensorShape) else TensorShape(s)
        out.append(None if ts.rank is None else tuple(ts.as_list()))
    return tuple(out)


class QueueBase:
    """A queue of tuples of tensors, kept by the session that runs its ops (TF1's ``tf.QueueBase``).

    >>> import graphflow as gf
    >>> with gf.Graph().as_default():
    ...     q = gf.FIFOQueue(3, [gf.int32], shapes=[[]])
    ...     with gf.Session() as sess:
    ...         sess.run(q.enqueue_many([[1, 2]]))
    ...         int(sess.run(q.dequeue()))
    1
    """

    def __init__(self, dtypes: Sequence[DType], shapes: Sequence[Any], names: Sequence[str] | None,
                 queue_ref: Tensor) -> None:
        self._dtypes = list(dtypes)
        self._shapes = [TensorShape(s) for s in shapes]
        self._names = list(names) if names is not None else None
        self._queue_ref = queue_ref

    @staticmethod
    def _build(op: Op, attrs: QueueAttrs, names: object, name: str | None, default: str) -> Tensor:
        if names is not None:
            names = [names] if isinstance(names, str) else list(names)
            if len(names) != len(attrs.dtypes):
                raise ValueError(f"{attrs.kind}: names must have the same length as dtypes "
                                 f"({len(attrs.dtypes)}), given {len(names)}")
        return make_node(op, [], attrs, name=name or default).outputs[0]

    @property
    def queue_ref(self) -> Tensor:
        return self._queue_ref

    @property
    def name(self) -> str:
        return self._queue_ref.node.name

    @property
    def dtypes(self) -> list[DType]:
        return list(self._dtypes)

    @property
    def shapes(self) -> list[TensorShape]:
        return list(self._shapes)

    @property
    def names(self) -> list[str] | None:
        return list(self._names) if self._names is not None else None

    def _attrs(self) -> QueueAttrs:
        return self._queue_ref.node.attrs

    def _components(self, vals: object, many: bool) -> list[Tensor]:
        if self._names is not None:
            if not isinstance(vals, Mapping):
                raise TypeError(f"Queue {self.name} has names {self._names}: enqueue a dictionary, given "
                                f"{type(vals).__name__}")
            if sorted(vals) != sorted(self._names):
                raise ValueError(f"Keys in dictionary to enqueue {sorted(vals)} do not match names of "
                                 f"Queue {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        elif not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Queue {self.name} expects {len(self._dtypes)} components, given {len(vals)}")
        out = []
        for i, (v, d, s) in enumerate(zip(vals, self._dtypes, self._shapes)):
            t = convert_to_tensor(v, dtype=d, name=f"component_{i}")
            shape = t.shape[1:] if many and t.shape.rank is not None else t.shape
            if many and t.shape.rank == 0:
                raise ValueError(f"enqueue_many of Queue {self.name}: component {i} is a scalar; each "
                                 "component needs a leading batch dimension")
            if not shape.is_compatible_with(s):
                raise ValueError(f"Shapes must be equal rank, or compatible: component {i} of Queue "
                                 f"{self.name} has shape {s}, given {shape}")
            out.append(t)
        return out

    def enqueue(self, vals: object, name: str | None = None) -> Operation:
        """The op that adds one element (blocking while the queue is full)."""
        return make_node(Op.QUEUE_ENQUEUE, [self._queue_ref] + self._components(vals, False), NO_ATTRS,
                         name=name or f"{self.name}_enqueue")

    def enqueue_many(self, vals: object, name: str | None = None) -> Operation:
        """The op that adds the slices along dimension 0 of ``vals``' components as elements."""
        return make_node(Op.QUEUE_ENQUEUE_MANY, [self._queue_ref] + self._components(vals, True), NO_ATTRS,
                         name=name or f"{self.name}_EnqueueMany")

    def _result(self, outs: list[Tensor]) -> Any:
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def _dequeue(self, op: Op, n: object, name: str | None, default: str) -> Any:
        shapes = tuple(None if s.rank is None else tuple(s.as_list()) for s in self._shapes)
        inputs = [self._queue_ref]
        batch = None
        if n is not None:
            count = convert_to_tensor(n, dtype=_dt.int32, name="n")
            inputs.append(count)
            if op is Op.QUEUE_DEQUEUE_MANY and isinstance(n, (int, np.integer)):
                batch = int(n)
        attrs = DequeueAttrs(tuple(self._dtypes), shapes, batch, n is not None)
        node = make_node(op, inputs, attrs, name=name or f"{self.name}_{default}")
        return self._result(list(node.outputs))

    def dequeue(self, name: str | None = None) -> Any:
        """One element (blocking while the queue is empty; OutOfRangeError once closed and empty)."""
        return self._dequeue(Op.QUEUE_DEQUEUE, None, name, "Dequeue")

    def dequeue_many(self, n: object, name: str | None = None) -> Any:
        """``n`` elements stacked along a new dimension 0."""
        return self._dequeue(Op.QUEUE_DEQUEUE_MANY, n, name, "DequeueMany")

    def dequeue_up_to(self, n: object, name: str | None = None) -> Any:
        """As ``dequeue_many``, but a closed queue gives its last, fewer elements."""
        return self._dequeue(Op.QUEUE_DEQUEUE_UP_TO, n, name, "DequeueUpTo")

    def close(self, cancel_pending_enqueues: bool = False, name: str | None = None) -> Operation:
        """The op that closes the queue: later enqueues fail, dequeues drain what is left."""
        return make_node(Op.QUEUE_CLOSE, [self._queue_ref], CloseAttrs(bool(cancel_pending_enqueues)),
                         name=name or f"{self.name}_Close")

    def is_closed(self, name: str | None = None) -> Tensor:
        return make_node(Op.QUEUE_IS_CLOSED, [self._queue_ref], NO_ATTRS,
                         name=name or f"{self.name}_IsClosed").outputs[0]

    def size(self, name: str | None = None) -> Tensor:
        return make_node(Op.QUEUE_SIZE, [self._queue_ref], NO_ATTRS, name=name or f"{self.name}_Size").outputs[0]


def _capacity(capacity: object) -> int:
    return -1 if capacity is None else int(capacity)


class FIFOQueue(QueueBase):
    """A first-in first-out queue (TF1's ``tf.FIFOQueue``).

    >>> import graphflow as gf
    >>> gf.FIFOQueue(2, gf.float32).dtypes
    [gf.float32]
    """

    def __init__(self, capacity: int, dtypes: object, shapes: object = None, names: object = None,
                 shared_name: str | None = None, name: str = "fifo_queue") -> None:
        dts = _as_dtypes(dtypes)
        attrs = QueueAttrs("FIFOQueue", _capacity(capacity), dts, _as_shapes(shapes, len(dts), "FIFOQueue"),
                           shared_name or "")
        ref = self._build(Op.FIFO_QUEUE, attrs, names, name, "fifo_queue")
        super().__init__(dts, [s for s in attrs.shapes], _names(names), ref)


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose ``dequeue_many`` pads each component to the batch's largest shape
    (TF1's ``tf.PaddingFIFOQueue``; ``None`` dimensions in ``shapes`` vary per element)."""

    def __init__(self, capacity: int, dtypes: object, shapes: object, names: object = None,
                 shared_name: str | None = None, name: str = "padding_fifo_queue") -> None:
        dts = _as_dtypes(dtypes)
        if shapes is None:
            raise ValueError("PaddingFIFOQueue needs shapes (use None for dimensions that vary)")
        attrs = QueueAttrs("PaddingFIFOQueue", _capacity(capacity), dts,
                           _as_shapes(shapes, len(dts), "PaddingFIFOQueue"), shared_name or "")
        if any(s is None for s in attrs.shapes):
            raise ValueError("PaddingFIFOQueue needs every component's rank in shapes")
        ref = self._build(Op.PADDING_FIFO_QUEUE, attrs, names, name, "padding_fifo_queue")
        super().__init__(dts, list(attrs.shapes), _names(names), ref)


class RandomShuffleQueue(QueueBase):
    """A queue dequeuing its elements in random order, keeping ``min_after_dequeue`` of them
    until closed (TF1's ``tf.RandomShuffleQueue``)."""

    def __init__(self, capacity: int, min_after_dequeue: int, dtypes: object, shapes: object = None,
                 names: object = None, seed: int | None = None, shared_name: str | None = None,
                 name: str = "random_shuffle_queue") -> None:
        dts = _as_dtypes(dtypes)
        graph = get_default_graph()  # TF1's rule: a graph seed alone also seeds the op
        if graph.seed is not None and seed is None:
            seed = len(graph.get_operations())
        mixed = None if seed is None else (int(graph.seed or 0) * 1000003 + int(seed)) & 0x7FFFFFFF
        attrs = QueueAttrs("RandomShuffleQueue", _capacity(capacity), dts,
                           _as_shapes(shapes, len(dts), "RandomShuffleQueue"), shared_name or "",
                           int(min_after_dequeue), mixed)
        ref = self._build(Op.RANDOM_SHUFFLE_QUEUE, attrs, names, name, "random_shuffle_queue")
        super().__init__(dts, list(attrs.shapes), _names(names), ref)


class PriorityQueue(QueueBase):
    """A queue dequeuing the element of smallest priority first: every element leads with an
    int64 scalar priority, before the components of ``types`` (TF1's ``tf.PriorityQueue``)."""

    def __init__(self, capacity: int, types: object, shapes: object = None, names: object = None,
                 shared_name: str | None = None, name: str = "priority_queue") -> None:
        dts = _as_dtypes(types)
        if shapes is None:
            raise ValueError("PriorityQueue needs shapes for its components")
        comp = _as_shapes(shapes, len(dts), "PriorityQueue")
        attrs = QueueAttrs("PriorityQueue", _capacity(capacity), (_dt.int64,) + dts, ((),) + comp,
                           shared_name or "")
        ref = self._build(Op.PRIORITY_QUEUE, attrs, None, name, "priority_queue")
        super().__init__(attrs.dtypes, list(attrs.shapes), _names(names), ref)


def _names(names: object) -> list[str] | None:
    if names is None:
        return None
    return [names] if isinstance(names, str) else list(names)
