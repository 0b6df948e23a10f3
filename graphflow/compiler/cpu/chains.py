"""Chains of elementwise loops in a loop body, run by glue as one kernel call.

Glue calls one kernel per compute node, for about a microsecond of Python each (the call, its
buffer, its shape test). Inside a loop body that cost repeats every iteration: an LSTM step's gate
arithmetic is about a dozen elementwise loops over [batch, hidden] each way, whose values several
consumers read, so fusion leaves them apart. A **chain** is a set of such FUSED loops of one loop
shape, every array leaf of the loop's rank (so all have one shape unless a run-time dim
broadcasts), each reading only values computed before the first one's place in the schedule or by
earlier members (nothing that reads a member moves). The glue compares the chain's array leaves'
shapes once and calls one kernel: a flat loop computing every member's element in turn, handing
values to later members in registers and storing only those read outside the chain. When the
shapes differ it runs the members one by one as before (those kernels are compiled only if that
ever happens).

Chains are formed in loop and branch bodies only: there every iteration pays for each call, and
no assignment can sit between two members (loops refuse them), so moving a member up to the
chain's place cannot change what it reads.
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.compiler.fused import FusedAttrs
from graphflow.compiler.fused_loops import element_value
from graphflow.compiler.kernels import KernelEmitter
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Schedule
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape

MAX_CHAIN = 24  # members of one chain (bounds the kernel's size and compile time)


def chains(prog: Program, sched: Schedule) -> dict[int, list[list[Operation]]]:
    """Schedule position -> the chains (members in schedule order) the glue emits there, before
    the node at that position (or, at ``len(sched.order)``, after the last). A chain's place
    follows every value its members read from outside it and precedes every outside reader of
    its members' values."""
    order = list(sched.order)
    pos = {id(n): i for i, n in enumerate(order)}
    end = len(order)
    readers: dict[int, list[int]] = {}
    for i, n in enumerate(order):
        for t in n.inputs:
            readers.setdefault(id(t), []).append(i)
    for t in prog.outputs:
        readers.setdefault(id(t), []).append(end)
    ordered = {id(c) for n in prog.nodes for c in n.control_inputs}
    ok = {id(n) for n in order if _candidate(n) and id(n) not in ordered}

    placed: dict[int, int] = {}  # a member of a chain formed already -> that chain's place

    def after(m: Operation, members: set[int]) -> int:  # the place must follow these producers
        # (a producer in an earlier chain is emitted at its chain's place: at that same place,
        # this chain comes after it, since chains are emitted in the order they were formed)
        return max([placed[id(t.node)] - 1 if id(t.node) in placed else pos[id(t.node)] for t in m.inputs
                    if id(t.node) in pos and id(t.node) not in members], default=-1)

    def before(group: list[Operation], members: set[int]) -> int:  # ... and precede these readers
        # (a reader in an earlier chain is emitted at its chain's place, before this chain there)
        return min([r if r == end or id(order[r]) not in placed else placed[id(order[r])] - 1
                    for m in group for r in readers.get(id(m.outputs[0]), [])
                    if r == end or id(order[r]) not in members], default=end)

    out: dict[int, list[list[Operation]]] = {}
    taken: set[int] = set()
    for i, n in enumerate(order):
        if id(n) not in ok or id(n) in taken:
            continue
        shape = n.attrs.loop_shape
        group, members, lo = [n], {id(n)}, max(i, after(n, {id(n)}) + 1)
        for m in order[i + 1:]:
            if len(group) == MAX_CHAIN:
                break
            if id(m) in taken or not (id(m) in ok and m.attrs.loop_shape == shape or _identity_sum(m, shape)):
                continue
            grown = members | {id(m)}
            place = max(lo, after(m, grown) + 1)
            if place <= before(group + [m], grown):
                group.append(m)
                members, lo = grown, place
        if len(group) > 1:
            taken.update(members)
            placed.update((m, lo) for m in members)
            out.setdefault(lo, []).append(group)
    return out


def _identity_sum(n: Operation, shape: TensorShape) -> bool:
    """A SUM_TO (autodiff's guard where a broadcast is possible) of a value shaped like the chain's
    loop to a shape like it: where the glue found every array of the chain of one shape (the
    target included, as a leaf), it sums nothing and the chain passes the value on."""
    return n.op is Op.SUM_TO and not n.control_inputs and n.shapes[0] == shape and \
        all(_fits(t.shape, shape) for t in n.inputs)


def _fits(s: TensorShape, loop: TensorShape) -> bool:
    return s.rank == loop.rank and all(d is None or d == e for d, e in zip(s.as_list(), loop.as_list()))


def _candidate(n: Operation) -> bool:
    """An elementwise FUSED loop whose array leaves all have the loop's rank, each dim the loop's
    or unknown: a flat loop computes it when their run-time shapes agree."""
    if n.op is not Op.FUSED or n.control_inputs:
        return False
    at: FusedAttrs = n.attrs
    if at.reduce is not None or not at.loop_shape.rank:
        return False
    return all(t.shape.rank == 0 or _fits(t.shape, at.loop_shape) for t in n.inputs)


def chain_kernel(sub: KernelEmitter, group: Sequence[Operation], leaf: dict[tuple[int, int], int],
                 n_params: int, stored: Sequence[Operation]) -> str:
    """Emit the chain's flat loop into ``sub`` (``leaf``: (member index, input) -> parameter for
    inputs from outside the chain); returns the kernel's result: the tuple of ``stored`` members'
    buffers."""
    sub.flattened = True
    params = [f"p{k}" for k in range(n_params)]
    first = next(leaf[(g, j)] for g, m in enumerate(group) for j, t in enumerate(m.inputs)
                 if (g, j) in leaf and t.shape.rank)
    size = f"{params[first]}.shape[0]"
    # (the glue called this kernel only after finding every array leaf of one shape)
    bufs = {id(m): sub.empty([size], m.dtypes[0]) for m in stored}
    made = {id(m.outputs[0]): g for g, m in enumerate(group)}
    with sub.loops([size]) as idx:
        values: dict[int, str] = {}
        for g, m in enumerate(group):
            leaves, preset = [], {}
            for j, t in enumerate(m.inputs):
                if id(t) in made:
                    leaves.append("")
                    preset[j] = values[id(t)]
                else:
                    leaves.append(params[leaf[(g, j)]])
            if m.op is Op.SUM_TO:  # the identity here (_identity_sum); its target is only a leaf
                v = preset.get(0) or sub.fresh("x")
                if 0 not in preset:
                    sub.line(f"{v} = {leaves[0]}[{idx[0]}]")
            else:
                v = element_value(sub, m, leaves, idx, True, True, preset)
            values[id(m.outputs[0])] = v
            if id(m) in bufs:
                sub.line(f"{bufs[id(m)]}[{idx[0]}] = {v}")
    return "(" + "".join(f"{bufs[id(m)]}, " for m in stored) + ")"
