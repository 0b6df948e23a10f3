"""Which tests CI's glue pass runs: enough of them to lower every kind of CPU program the suite
lowers to glue once.

GRAPHFLOW_GLUE=1 changes only how a CPU program is lowered (compiler/cpu/lower.py: Python glue
over shared kernels instead of one inline entry); rerunning the whole suite with it costs as much
as the suite itself. So the passes before it record, for each test, what its programs are made of:
every node's (op, output dtype) and every edge (producer op -> consumer op), loop and branch
bodies included (fusion and grouping, the glue's choices, follow the edges), and how long it took.
The glue pass then keeps a set of tests that covers every recorded key (greedily, the most new
keys per second first), and every test the record does not know (new since it was made); a test
whose programs are all made of what the kept ones cover, or that lowered no CPU program in its
own process (one that runs a script in a child process is left out too: the programs of those
scripts, examples and training runs, are mostly above glue's size threshold and take glue anyway), is left
out. Without a record (a run of the glue pass alone), it keeps everything.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

import pytest

KEYS = "graphflow/glue-keys"  # pytest's cache: node id -> [seconds, the keys its programs were made of]
PROPERTY = "glue_keys"
_seen: set[str] = set()  # this process's keys since the current test began
_recorded: dict[str, list[Any]] = {}  # (on the controller) what this run's tests reported


def _bodies(attrs: object) -> Iterable[Any]:
    """The function graphs (loop and branch bodies) a node's attributes hold."""
    values = vars(attrs).values() if hasattr(attrs, "__dict__") else \
        [getattr(attrs, s) for s in getattr(type(attrs), "__slots__", ()) if hasattr(attrs, s)]
    for v in values:
        for x in (v if isinstance(v, (tuple, list)) else (v,)):
            if hasattr(x, "get_operations"):
                yield x


def _keys(nodes: Iterable[Any], into: set[str], depth: int = 0) -> None:
    for n in nodes:
        into.add(f"{n.op.name}:{n.dtypes[0].name if n.dtypes else '-'}")
        into.update(f"{t.node.op.name}>{n.op.name}" for t in n.inputs)
        body = getattr(n.attrs, "body", None)
        if n.op.name == "FUSED" and isinstance(body, tuple):  # an elementwise chain: its ops, its loop
            into.update(f"fused {ins.op.name}:{ins.dtype.name}" for ins in body)
            reduce = n.attrs.reduce
            into.add(f"fused loop of rank {n.attrs.loop_shape.rank}, "
                     f"{'reduced by ' + reduce.op.name if reduce else 'elementwise'}")
        if depth < 4 and n.attrs is not None:
            for g in _bodies(n.attrs):
                _keys(g.get_operations(), into, depth + 1)


def install() -> None:
    """Record the keys of every CPU program this process lowers (through the module attribute the
    runtime calls)."""
    from graphflow.compiler.cpu import lower as module
    real = module.lower
    if getattr(real, "_records_glue_keys", False):
        return

    def lower(program, sched, glue=None, trace=False):  # type: ignore[no-untyped-def]
        _keys(program.nodes, _seen)
        return real(program, sched, glue=glue, trace=trace)
    lower._records_glue_keys = True  # type: ignore[attr-defined]
    module.lower = lower


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):  # type: ignore[no-untyped-def]
    _seen.clear()
    yield
    item.user_properties.append((PROPERTY, sorted(_seen)))


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.when == "call":
        for name, value in report.user_properties:
            if name == PROPERTY:
                _recorded[report.nodeid] = [round(report.duration, 3), list(value)]


def save(config) -> None:  # type: ignore[no-untyped-def]
    """Merge this run's record into the cache (the extras pass adds the tests the README pass skipped)."""
    if not _recorded:
        return
    merged = dict(config.cache.get(KEYS, {}))
    merged.update(_recorded)
    config.cache.set(KEYS, merged)


def select(config, items: list) -> list:  # type: ignore[type-arg, no-untyped-def]
    """The tests the glue pass keeps (see the module's text)."""
    record: dict[str, list[Any]] = config.cache.get(KEYS, None) or {}
    if not record:
        return items
    keep = {item.nodeid for item in items if item.nodeid not in record}
    keys = {item.nodeid: set(record[item.nodeid][1]) for item in items if item.nodeid in record}
    cost = {nodeid: max(float(record[nodeid][0]), 0.01) for nodeid in keys}
    covered: set[str] = set()
    # lazy greedy set cover: a test's gain only falls as others are kept, so a stale entry
    # whose recomputed gain still tops the heap is the best
    heap = [(-len(k) / cost[n], n) for n, k in keys.items() if k]
    heapq.heapify(heap)
    while heap:
        _, nodeid = heapq.heappop(heap)
        new = keys[nodeid] - covered
        if not new:
            continue
        rate = len(new) / cost[nodeid]
        if heap and rate < -heap[0][0]:
            heapq.heappush(heap, (-rate, nodeid))
            continue
        keep.add(nodeid)
        covered |= new
    return [item for item in items if item.nodeid in keep]
