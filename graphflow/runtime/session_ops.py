"""Host ops the session answers: ops whose values or state live in the session that runs them
(session tensors, queues, readers), not in the graph.

A module of runtime/ registers a handler per op (``register``); ``host.HostExecutable`` calls it
with the node, its input values and the session's ``State`` instead of the op's numpy reference.
Stateful objects such as queues are the session's *resources* (``State.resource``): made once per
session and key, as TF1's resource manager makes one queue per session and op, and closed when
the session closes, so that threads blocked on them end.

A blocking handler waits at most until the run's deadline (``deadline()``): ``RunOptions(
timeout_in_ms=...)`` or the session config's ``operation_timeout_in_ms``, set by ``Session.run``
for the calling thread.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.runtime.state import State

Handler = Callable[[Operation, Sequence[Any], "State | None"], list[Any]]
_HANDLERS: dict[Op, Handler] = {}
_run_deadline = threading.local()


def register(ops: Sequence[Op], handler: Handler) -> None:
    """``handler(node, input values, state)`` answers ``ops`` (their outputs, a list)."""
    for op in ops:
        if op in _HANDLERS:
            raise ValueError(f"session op {op.name} registered twice")
        _HANDLERS[op] = handler


def handler(op: Op) -> Handler | None:
    return _HANDLERS.get(op)


@contextmanager
def deadline_of(timeout_ms: int) -> Iterator[None]:
    """This thread's runs inside the block end blocking ops after ``timeout_ms`` (0: never)."""
    before = getattr(_run_deadline, "at", None)
    _run_deadline.at = time.monotonic() + timeout_ms / 1000.0 if timeout_ms and timeout_ms > 0 else None
    try:
        yield
    finally:
        _run_deadline.at = before


def deadline() -> float | None:
    """The ``time.monotonic()`` at which this thread's run gives up waiting, or None."""
    return getattr(_run_deadline, "at", None)
