"""The runtime's hook point: the one place the core reaches up the pipeline.

``Tensor.eval``, ``Operation.run`` and ``Variable.load`` run graphs, and front-end code such as
``Dataset.map`` opens sessions of its own, but neither the core nor the front end imports the
runtime: the runtime registers itself here when it is imported (``graphflow.runtime.session``
calls ``register_runtime`` once), and these functions reach it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Runtime:
    """What the core asks of the runtime: ``session_for(graph, session)`` is ``session`` or the
    default session, checked to run ``graph``; ``new_session(graph, config)`` opens a session on
    a graph; ``on_reset()`` forgets what belonged to the default graph when it is reset."""

    # (graphs and sessions are typed loosely here: naming graphflow.core.ir.Graph would make an
    # import circle, and the session class belongs to the runtime)
    session_for: Callable[..., Any]
    new_session: Callable[..., Any]
    on_reset: Callable[[], None]


_runtime: list[Runtime] = []  # the registered runtime, once graphflow.runtime is imported


def register_runtime(runtime: Runtime) -> None:
    """Called once, by ``graphflow.runtime.session``."""
    _runtime[:] = [runtime]


def _the_runtime() -> Runtime:
    if not _runtime:
        raise RuntimeError("no graphflow runtime is loaded: import graphflow, not graphflow.core alone")
    return _runtime[0]


def session_for(graph: object, session: object) -> Any:
    """``session`` or the default session, checked to run ``graph``."""
    return _the_runtime().session_for(graph, session)


def new_session(graph: object, config: object = None) -> Any:
    """A session on ``graph`` (for front-end code that runs graphs of its own, as Dataset.map)."""
    return _the_runtime().new_session(graph, config)


def default_graph_reset() -> None:
    """``reset_default_graph`` was called: the runtime, when loaded, forgets the default session."""
    for runtime in _runtime:
        runtime.on_reset()
