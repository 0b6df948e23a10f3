"""``tf.train.QueueRunner``: threads that run a queue's enqueue ops in a loop, and
``tf.train.start_queue_runners``, which starts those of the graph's ``QUEUE_RUNNERS``.

Each thread runs one enqueue op until its input runs out (OutOfRangeError) or the queue closes
(CancelledError); the last of them closes the queue, so that dequeues drain it and then raise
OutOfRangeError. With a ``Coordinator`` the threads stop when it asks, another thread cancels
the queue's pending enqueues then, and an unexpected error stops the coordinator (``join``
raises it).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from graphflow.core.errors import CancelledError, OutOfRangeError
from graphflow.core.ir import Operation, get_default_graph
from graphflow.core.runtime_hook import session_for
from graphflow.ops.variables import GraphKeys

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]

_log = logging.getLogger("graphflow")


class QueueRunner:
    """Runs ``enqueue_ops`` of ``queue`` from one thread each.

    >>> import graphflow as gf
    >>> with gf.Graph().as_default():
    ...     q = gf.FIFOQueue(4, gf.int32, shapes=[[]])
    ...     qr = gf.train.QueueRunner(q, [q.enqueue(1)])
    ...     with gf.Session() as sess:
    ...         coord = gf.train.Coordinator()
    ...         threads = qr.create_threads(sess, coord=coord, start=True)
    ...         got = int(sess.run(q.dequeue()))
    ...         coord.request_stop()
    ...         coord.join(threads)
    >>> got
    1
    """

    def __init__(self, queue: Any = None, enqueue_ops: Sequence[Operation] | None = None,
                 close_op: Operation | None = None, cancel_op: Operation | None = None,
                 queue_closed_exception_types: Sequence[type[BaseException]] | None = None,
                 queue_runner_def: object = None, import_scope: str | None = None) -> None:
        if queue_runner_def is not None:
            raise NotImplementedError("QueueRunner from a QueueRunnerDef is not supported in graphflow")
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner needs a queue and at least one enqueue op")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        types = tuple(queue_closed_exception_types or (OutOfRangeError, CancelledError))
        if not all(isinstance(t, type) and issubclass(t, BaseException) for t in types):
            raise TypeError(f"queue_closed_exception_types must be exception classes, given {types}")
        self._queue_closed_exception_types = types
        self._lock = threading.Lock()
        self._runs_per_session: dict[int, int] = {}  # by id(session): enqueue threads still running
        self._exceptions_raised: list[BaseException] = []

    @property
    def queue(self) -> Any:
        return self._queue

    @property
    def enqueue_ops(self) -> list[Operation]:
        return list(self._enqueue_ops)

    @property
    def close_op(self) -> Operation:
        return self._close_op

    @property
    def cancel_op(self) -> Operation:
        return self._cancel_op

    @property
    def queue_closed_exception_types(self) -> tuple[type[BaseException], ...]:
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self) -> list[BaseException]:
        return list(self._exceptions_raised)

    @property
    def name(self) -> str:
        return self._queue.name

    def _run(self, sess: Any, enqueue_op: Operation, coord: Any) -> None:
        done = False
        try:
            while not (coord is not None and coord.should_stop()):
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:  # the last thread whose input ended closes the queue
                        self._runs_per_session[id(sess)] -= 1
                        done = True
                        last = self._runs_per_session[id(sess)] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except Exception as e:  # (the session may be closed already)
                            _log.debug("QueueRunner %s: closing the queue failed: %s", self.name, e)
                    return
        except Exception as e:
            if coord is not None:
                coord.request_stop(e)
            else:
                _log.error("Exception in QueueRunner %s: %s", self.name, e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not done:
                with self._lock:
                    self._runs_per_session[id(sess)] -= 1

    def _close_on_stop(self, sess: Any, coord: Any) -> None:
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception as e:  # (the session may be closed already)
            _log.debug("QueueRunner %s: cancelling the queue failed: %s", self.name, e)

    def create_threads(self, sess: Any, coord: Any = None, daemon: bool = False,
                       start: bool = False) -> list[threading.Thread]:
        """One thread per enqueue op (and, with ``coord``, one that cancels the queue when it
        stops), registered with ``coord``; none when this runner's threads still run for ``sess``."""
        with self._lock:
            if self._runs_per_session.get(id(sess), 0) > 0:
                return []
            self._runs_per_session[id(sess)] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), name=f"QueueRunner-{self.name}")
                   for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord),
                                            name=f"QueueRunnerThread-{self.name}"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr: QueueRunner, collection: str = GraphKeys.QUEUE_RUNNERS) -> None:
    """Add ``qr`` to the default graph's ``collection`` (what ``start_queue_runners`` starts)."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess: Any = None, coord: Any = None, daemon: bool = True, start: bool = True,
                        collection: str = GraphKeys.QUEUE_RUNNERS) -> list[threading.Thread]:
    """Start the threads of every queue runner in the graph's ``collection``; their list."""
    if sess is None:
        try:
            sess = session_for(None, None)  # the default session, through the runtime's hook
        except ValueError:
            raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to tf.start_queue_runners(sess=sess)"
                             ) from None
    if type(sess).__name__ in ("MonitoredSession", "SingularMonitoredSession"):
        return []  # (they start their own, as TF1's)
    graph = getattr(sess, "graph", None) or get_default_graph()
    threads: list[threading.Thread] = []
    for qr in graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
