"""Traced runs (``sess.run(..., options=RunOptions(trace_level=FULL_TRACE), run_metadata=md)``):
the timing of every kernel call (each fused loop, library call and compiled kernel, named by the
graph nodes it computes) and every host step, collected into ``run_metadata.step_stats``.

Traced runs use executables of their own, whose glue reads a nanosecond clock around each call
(``compiler.cpu.lower(trace=True)``); untraced runs never do.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

_active: list[dict[str, Any]] | None = None
_origin = [0]


@contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collect the records of the run inside the block."""
    global _active
    saved, _active = _active, []
    _origin[0] = time.perf_counter_ns()
    try:
        yield _active
    finally:
        _active = saved


def _add(name: str, op: str, nodes: Sequence[str], start_ns: int, end_ns: int, kind: str) -> None:
    if _active is not None:
        _active.append({"name": name, "op": op, "nodes": list(nodes), "kind": kind,
                        "start_us": (start_ns - _origin[0]) / 1000.0, "duration_us": (end_ns - start_ns) / 1000.0})


def record_kernels(labels: Sequence[tuple[str, str, tuple[str, ...]]], calls: Sequence[tuple[int, int, int]]) -> None:
    for i, t0, t1 in calls:
        name, op, nodes = labels[i]
        _add(name, op, nodes, t0, t1, "kernel")


@contextmanager
def host_step(name: str, op: str) -> Iterator[None]:
    """Time one host node (strings, printing, summaries) when a run is traced."""
    if _active is None:
        yield
        return
    t0 = time.perf_counter_ns()
    try:
        yield
    finally:
        _add(name, op, [name], t0, time.perf_counter_ns(), "host")


def active() -> bool:
    return _active is not None
