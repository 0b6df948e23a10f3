"""Execution order for one program, and the variable-read rule every executor shares.

Assignments run as late as their dependencies allow. A read of a variable that is not ordered
against an assignment of it (by data or control edges) sees the value from before the run: if
such a reader still ends up after the assignment, it reads a snapshot taken just before it.

``plan`` is the walk every executor follows (the reference executor, the CUDA driver): per
scheduled node, the snapshots to take before it and where each of its inputs is read from.
"""
from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass

from graphflow.compiler.program import Program
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op


@dataclass(frozen=True)
class Schedule:
    order: tuple[Operation, ...]
    # snapshot id -> (variable node, position in order before which it is taken)
    snapshots: dict[int, tuple[Operation, int]]
    # (id(consumer node), input index) -> snapshot id
    reads: dict[tuple[int, int], int]
    # variables read before any assignment in this run sets them (they must be initialized)
    needs_init: tuple[Operation, ...]
    # variables this run writes
    writes: tuple[Operation, ...]


def is_read(node: Operation, index: int) -> bool:
    """Input ``index`` of ``node`` reads a variable's value (an assignment's target does not)."""
    return not (node.op is Op.ASSIGN and index == 0)


def schedule(program: Program) -> Schedule:
    nodes = program.nodes
    index = {id(n): i for i, n in enumerate(nodes)}
    preds: list[set[int]] = [set() for _ in nodes]
    for i, n in enumerate(nodes):
        for t in n.inputs:
            if id(t.node) in index:
                preds[i].add(index[id(t.node)])
        for c in n.control_inputs:
            if id(c) in index:
                preds[i].add(index[id(c)])
    succs: list[list[int]] = [[] for _ in nodes]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    remaining = [len(ps) for ps in preds]
    ready: list[tuple[tuple[int, int], int]] = []  # (priority, node index)
    # collectives (MPI) run in the order they were created, whatever else the graphs of the ranks
    # hold, so every rank meets them in the same order: a ready collective waits for the earlier
    # ones (which never depend on it: their inputs were all created before it)
    collectives = sorted((i for i, n in enumerate(nodes) if n.op in _COLLECTIVES), key=lambda i: nodes[i].uid)
    turn, held = 0, set[int]()
    for i, r in enumerate(remaining):
        if r == 0:
            heapq.heappush(ready, (_priority(nodes[i]), i))
    order: list[int] = []
    while ready:
        _, i = heapq.heappop(ready)
        if nodes[i].op in _COLLECTIVES and collectives[turn] != i:
            held.add(i)
            continue
        order.append(i)
        if nodes[i].op in _COLLECTIVES:
            turn += 1
            if turn < len(collectives) and collectives[turn] in held:
                held.discard(collectives[turn])
                heapq.heappush(ready, (_priority(nodes[collectives[turn]]), collectives[turn]))
        for s in succs[i]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, (_priority(nodes[s]), s))
    if len(order) != len(nodes):
        raise ValueError("the graph has a cycle")

    # "is this read ordered after that assignment?": the descendants of each assignment, one
    # walk per assignment (linear in the graph for a fixed number of variables)
    pos = {i: k for k, i in enumerate(order)}
    assigns_of: dict[int, list[int]] = {}
    after: dict[int, set[int]] = {}
    for i, n in enumerate(nodes):
        if n.op is Op.ASSIGN:
            assigns_of.setdefault(id(n.inputs[0].node), []).append(i)
            seen: set[int] = set()
            stack = list(succs[i])
            while stack:
                j = stack.pop()
                if j not in seen:
                    seen.add(j)
                    stack.extend(succs[j])
            after[i] = seen
    snapshots: dict[int, tuple[Operation, int]] = {}
    snap_at: dict[tuple[int, int], int] = {}
    reads: dict[tuple[int, int], int] = {}
    for i, n in enumerate(nodes):
        for j, t in enumerate(n.inputs):
            if t.node.op is not Op.VARIABLE or not is_read(n, j):
                continue
            writers = assigns_of.get(id(t.node), [])
            unordered = [w for w in writers if w != i and pos[w] < pos[i] and i not in after[w]]
            if not unordered:
                continue
            first = min(pos[w] for w in unordered)
            key = (id(t.node), first)
            if key not in snap_at:
                snap_at[key] = len(snapshots)
                snapshots[len(snapshots)] = (t.node, first)
            reads[(id(n), j)] = snap_at[key]

    needs_init: dict[int, Operation] = {}
    readers: list[tuple[int, Operation]] = [(i, n) for i, n in enumerate(nodes) if n.op is Op.VARIABLE
                                            and any(t is n.outputs[0] for t in program.outputs)]
    for i, n in enumerate(nodes):
        for j, t in enumerate(n.inputs):
            if t.node.op is Op.VARIABLE and (is_read(n, j) or n.attrs.mode != "set"):
                readers.append((i, t.node))
    for i, var in readers:
        setters = [w for w in assigns_of.get(id(var), []) if nodes[w].attrs.mode == "set"]
        if not any(i in after[w] for w in setters):
            needs_init[id(var)] = var
    writes = {id(nodes[w].inputs[0].node): nodes[w].inputs[0].node for ws in assigns_of.values() for w in ws}
    for n in nodes:  # a cond's branches may assign: its last inputs are those variables
        written = n.attrs.writes if n.op is Op.COND else ()
        for t in n.inputs[len(n.inputs) - len(written):] if written else ():
            writes[id(t.node)] = t.node
    return Schedule(tuple(nodes[i] for i in order), snapshots, reads, tuple(needs_init.values()),
                    tuple(writes.values()))


_COLLECTIVES = frozenset({Op.ALLREDUCE, Op.ALLGATHER, Op.BROADCAST})


def _priority(n: Operation) -> tuple[int, int]:
    return (1 if n.op is Op.ASSIGN else 0, n.uid)


class Read(enum.Enum):
    """Where a node's input comes from."""

    VALUE = "value"  # the value an earlier node (or a feed, a constant) produced
    VARIABLE = "variable"  # the variable's current value
    SNAPSHOT = "snapshot"  # the variable's value before an assignment this node is not ordered after
    TARGET = "target"  # an assignment's target: not read


@dataclass(frozen=True)
class Input:
    read: Read
    tensor: Tensor
    snapshot: int = -1  # the snapshot id, for ``Read.SNAPSHOT``


@dataclass(frozen=True)
class Step:
    """One scheduled node: the snapshots (id, variable) to take just before it, and its inputs."""

    node: Operation
    snapshots: tuple[tuple[int, Operation], ...]
    inputs: tuple[Input, ...]


def plan(sched: Schedule) -> list[Step]:
    """The walk over ``sched``: the variable-read rule resolved for every input."""
    before: dict[int, list[tuple[int, Operation]]] = {}
    for sid, (var, at) in sorted(sched.snapshots.items(), key=lambda kv: kv[1][1]):
        before.setdefault(at, []).append((sid, var))
    steps = []
    for k, n in enumerate(sched.order):
        steps.append(Step(n, tuple(before.get(k, ())), tuple(_input(sched, n, j, t) for j, t in enumerate(n.inputs))))
    return steps


def _input(sched: Schedule, n: Operation, j: int, t: Tensor) -> Input:
    if t.node.op is not Op.VARIABLE:
        return Input(Read.VALUE, t)
    if not is_read(n, j):
        return Input(Read.TARGET, t)
    sid = sched.reads.get((id(n), j))
    return Input(Read.VARIABLE, t) if sid is None else Input(Read.SNAPSHOT, t, sid)
