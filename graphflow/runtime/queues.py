"""The queues a session keeps (the resources behind ops/queue_ops.py's nodes), with TF1's
blocking: an enqueue waits while the queue is full, a dequeue while it has too few elements, each
on the queue's own condition, so that a waiting run holds nothing another thread's run needs.

Closing a queue fails later enqueues (CancelledError) and lets dequeues drain it, then fail with
OutOfRangeError; ``cancel_pending_enqueues`` and the session's closing also cancel waiting
enqueues (and, for the session, waiting dequeues), so that queue-runner threads end.
"""
from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core.dtypes import to_strings
from graphflow.core.errors import CancelledError, DeadlineExceededError, InvalidArgumentError, OutOfRangeError
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.ops.queue_ops import QueueAttrs
from graphflow.runtime import session_ops
from graphflow.runtime.state import State

Element = tuple[np.ndarray, ...]
QUEUE_OPS = (Op.FIFO_QUEUE, Op.RANDOM_SHUFFLE_QUEUE, Op.PADDING_FIFO_QUEUE, Op.PRIORITY_QUEUE)


class Queue:
    """One queue of tuples of arrays; every method may be called from any thread."""

    def __init__(self, at: QueueAttrs, name: str) -> None:
        self.at = at
        self.name = name  # as TF1's messages name it: the shared name, or "_<n>_<node name>"
        self.cond = threading.Condition()
        self.closed = False
        self.cancelled = False  # pending enqueues fail (cancel_pending_enqueues)
        self.session_gone = False  # every pending op fails
        self.fifo: deque[Element] = deque()
        self.pool: list[Element] = []  # RandomShuffleQueue's
        self.heap: list[tuple[int, int, Element]] = []  # PriorityQueue's (priority, arrival, element)
        self.arrivals = 0
        self.rng = np.random.default_rng(at.seed)

    def size(self) -> int:
        return len(self.fifo) + len(self.pool) + len(self.heap)

    def _label(self) -> str:
        return f"{self.at.kind} '{self.name}'"

    def _wait(self, node: Operation, what: str) -> None:
        """Wait for a change of the queue (the condition held), until the run's deadline."""
        end = session_ops.deadline()
        if end is None:
            self.cond.wait()
            return
        left = end - time.monotonic()
        if left <= 0 or not self.cond.wait(left) and time.monotonic() >= end:
            raise DeadlineExceededError(node, node, f"Timed out waiting for notification ({what} of "
                                        f"{self._label()})\n  in {node.describe()}")

    def _put(self, e: Element) -> None:
        if self.at.kind == "RandomShuffleQueue":
            self.pool.append(e)
        elif self.at.kind == "PriorityQueue":
            heapq.heappush(self.heap, (int(e[0]), self.arrivals, e))
        else:
            self.fifo.append(e)
        self.arrivals += 1

    def _take(self) -> Element:
        if self.at.kind == "RandomShuffleQueue":
            i = int(self.rng.integers(len(self.pool)))
            self.pool[i], self.pool[-1] = self.pool[-1], self.pool[i]
            return self.pool.pop()
        if self.at.kind == "PriorityQueue":
            return heapq.heappop(self.heap)[2]
        return self.fifo.popleft()

    def enqueue(self, node: Operation, elements: Sequence[Element]) -> None:
        cap = self.at.capacity
        with self.cond:
            if self.closed:
                raise CancelledError(node, node, f"{self._label()} is closed.\n  in {node.describe()}")
            for e in elements:
                while True:
                    if self.session_gone or self.cancelled:
                        raise CancelledError(node, node, f"Enqueue operation was cancelled\n  in {node.describe()}")
                    if self.closed:
                        raise CancelledError(node, node, f"{self._label()} is closed.\n  in {node.describe()}")
                    if cap < 0 or self.size() < cap:
                        break
                    self._wait(node, "an enqueue")
                self._put(e)
                self.cond.notify_all()

    def dequeue(self, node: Operation, n: int, up_to: bool) -> list[Element]:
        """``n`` elements (fewer only when ``up_to`` and the queue is closed)."""
        keep = self.at.min_after_dequeue if self.at.kind == "RandomShuffleQueue" else 0
        with self.cond:
            while True:
                if self.session_gone:
                    raise CancelledError(node, node, f"Dequeue operation was cancelled: the session was closed\n"
                                         f"  in {node.describe()}")
                size = self.size()
                if self.closed:
                    if size >= n or (up_to and size > 0):
                        break
                    raise OutOfRangeError(node, node, f"{self._label()} is closed and has insufficient elements "
                                          f"(requested {n}, current size {size})\n  in {node.describe()}")
                if size - keep >= n:
                    break
                self._wait(node, "a dequeue")
            out = [self._take() for _ in range(min(n, self.size()))]
            self.cond.notify_all()
            return out

    def close(self, cancel_pending_enqueues: bool) -> None:
        with self.cond:
            self.closed = True
            self.cancelled = self.cancelled or cancel_pending_enqueues
            self.cond.notify_all()

    def session_closed(self) -> None:
        with self.cond:
            self.closed = self.cancelled = self.session_gone = True
            self.cond.notify_all()


def queue_of(n: Operation, handle: Any, state: State | None) -> Queue:
    if state is None:
        raise InvalidArgumentError(n, n, f"{n.op.value} needs a session to keep its queue\n  in {n.describe()}")
    key = _text(handle)
    q = state.resources.get(key)
    if not isinstance(q, Queue):
        raise InvalidArgumentError(n, n, f"no queue named '{key}' in this session\n  in {n.describe()}")
    return q


def _text(v: Any) -> str:
    raw = to_strings(v).item()
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _make_queue(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    if state is None:
        raise InvalidArgumentError(n, n, f"{n.op.value} needs a session to keep its queue\n  in {n.describe()}")
    at: QueueAttrs = n.attrs
    key = "queue:" + (at.shared_name or n.name)
    state.resource(key, lambda k: Queue(at, at.shared_name or f"_{k}_{n.name}"))
    return [np.asarray(key.encode(), dtype=object)]


def _check_component(n: Operation, q: Queue, i: int, v: np.ndarray, many: bool) -> None:
    want = q.at.shapes[i]
    have = v.shape[1:] if many else v.shape
    if want is not None and (len(want) != len(have) or any(w is not None and w != h for w, h in zip(want, have))):
        shown = "[" + ",".join("?" if w is None else str(w) for w in want) + "]"
        raise InvalidArgumentError(n, n, f"Shape mismatch in tuple component {i}. Expected {shown}, got "
                                   f"[{','.join(str(d) for d in have)}]\n  in {n.describe()}")


def _enqueue(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    q = queue_of(n, args[0], state)
    many = n.op is Op.QUEUE_ENQUEUE_MANY
    comps = [np.array(v, dtype=d.np, copy=True) if not d.is_string else to_strings(v).copy()
             for v, d in zip(args[1:], q.at.dtypes)]
    for i, v in enumerate(comps):
        if many and v.ndim == 0:
            raise InvalidArgumentError(n, n, f"EnqueueMany of {q._label()}: component {i} is a scalar, "
                                       f"expected a leading batch dimension\n  in {n.describe()}")
        _check_component(n, q, i, v, many)
    if many:
        count = comps[0].shape[0]
        if any(v.shape[0] != count for v in comps):
            raise InvalidArgumentError(n, n, "EnqueueMany: every component must have the same size in dimension 0, "
                                       f"given {[v.shape[0] for v in comps]}\n  in {n.describe()}")
        elements = [tuple(v[k:k + 1].reshape(v.shape[1:]) for v in comps) for k in range(count)]
    else:
        elements = [tuple(comps)]
    q.enqueue(n, elements)
    return []


def _stack(n: Operation, q: Queue, parts: list[np.ndarray], i: int) -> np.ndarray:
    if not parts:
        want = q.at.shapes[i] or ()
        return np.zeros((0,) + tuple(d or 0 for d in want), dtype=q.at.dtypes[i].np)
    if q.at.kind == "PaddingFIFOQueue":
        shape = tuple(max(p.shape[a] for p in parts) for a in range(parts[0].ndim))
        fill = b"" if q.at.dtypes[i].is_string else 0
        out = np.full((len(parts),) + shape, fill, dtype=parts[0].dtype)
        for k, p in enumerate(parts):
            out[(k,) + tuple(slice(0, d) for d in p.shape)] = p
        return out
    return np.stack(parts)


def _dequeue(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    q = queue_of(n, args[0], state)
    if n.op is Op.QUEUE_DEQUEUE:
        return list(q.dequeue(n, 1, False)[0])
    count = int(args[1])
    if count < 0:
        raise InvalidArgumentError(n, n, f"Dequeue: n must be non-negative, given {count}\n  in {n.describe()}")
    if q.at.kind != "PaddingFIFOQueue" and any(s is None for s in q.at.shapes):
        raise InvalidArgumentError(n, n, f"{q.at.kind}'s DequeueMany and DequeueUpTo require the components to "
                                   f"have specified shapes.\n  in {n.describe()}")
    got = q.dequeue(n, count, n.op is Op.QUEUE_DEQUEUE_UP_TO)
    return [_stack(n, q, [e[i] for e in got], i) for i in range(len(q.at.dtypes))]


def _close(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    queue_of(n, args[0], state).close(n.attrs.cancel_pending_enqueues)
    return []


def _size(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    q = queue_of(n, args[0], state)
    if n.op is Op.QUEUE_IS_CLOSED:
        return [np.bool_(q.closed)]
    return [np.int32(q.size())]


session_ops.register(QUEUE_OPS, _make_queue)
session_ops.register((Op.QUEUE_ENQUEUE, Op.QUEUE_ENQUEUE_MANY), _enqueue)
session_ops.register((Op.QUEUE_DEQUEUE, Op.QUEUE_DEQUEUE_MANY, Op.QUEUE_DEQUEUE_UP_TO), _dequeue)
session_ops.register((Op.QUEUE_CLOSE,), _close)
session_ops.register((Op.QUEUE_SIZE, Op.QUEUE_IS_CLOSED), _size)
