"""Compiler passes: each a named pure function from Program to Program."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.compiler.fused import FusedAttrs, Instr, ReduceSpec
from graphflow.compiler.program import Program, rebuild
from graphflow.core.attrs import ConstAttrs
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.ops.reduce_ops import norm_axes

_FOLD_LIMIT = 1 << 16  # elements: larger results stay computed at run time
MAX_FUSED = 8  # ops in one fused loop
_NEVER_FOLD = {Op.PLACEHOLDER, Op.VARIABLE, Op.CONST, Op.ASSIGN, Op.NO_OP, Op.RANDOM}


class Rewriter:
    """Rebuilds a program node by node, following replacements of tensors."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.tmap: dict[int, Tensor] = {}
        self.nmap: dict[int, Operation] = {}
        self.nodes: list[Operation] = []

    def t(self, x: Tensor) -> Tensor:
        return self.tmap.get(id(x), x)

    def inputs(self, n: Operation) -> list[Tensor]:
        return [self.t(x) for x in n.inputs]

    def controls(self, n: Operation) -> list[Operation]:
        return [self.nmap.get(id(c), c) for c in n.control_inputs]

    def keep(self, n: Operation) -> Operation:
        ins, ctl = self.inputs(n), self.controls(n)
        if all(a is b for a, b in zip(ins, n.inputs)) and all(a is b for a, b in zip(ctl, n.control_inputs)):
            m = n
        else:
            m = Operation(n.op, tuple(ins), n.attrs, n.dtypes, n.shapes, tuple(ctl), n.name, n.site,
                          n.graph, n.uid)
        self.add(n, m)
        return m

    def add(self, old: Operation, new: Operation) -> None:
        self.nmap[id(old)] = new
        self.nodes.append(new)
        for a, b in zip(old.outputs, new.outputs):
            if a is not b:
                self.tmap[id(a)] = b

    def alias(self, old: Operation, tensor: Tensor) -> None:
        self.tmap[id(old.outputs[0])] = tensor

    def done(self) -> Program:
        p = self.program
        outs = tuple(self.t(x) for x in p.outputs)
        targets = tuple(self.nmap.get(id(n), n) for n in p.targets)
        return Program(tuple(self.nodes), outs, targets, p.feeds, p.notes)


def _const(n: Operation, value: np.ndarray) -> Operation:
    value = np.array(value, order="C")
    value.setflags(write=False)
    return Operation(Op.CONST, (), ConstAttrs(value), n.dtypes, n.shapes, (), n.name, n.site, n.graph, n.uid)


def fold_constants(program: Program) -> Program:
    """Evaluate nodes whose inputs are all constants (and shapes that are fully known)."""
    rw = Rewriter(program)
    for n in program.nodes:
        ins = rw.inputs(n)
        row = get(n.op)
        small = all((size := s.num_elements()) is not None and size <= _FOLD_LIMIT for s in n.shapes)
        if n.op is Op.SHAPE and ins[0].shape.is_fully_defined():
            rw.add(n, _const(n, np.array(ins[0].shape.as_list(), dtype=n.dtypes[0].np)))
        elif (n.op not in _NEVER_FOLD and not row.stateful and len(n.outputs) == 1 and small
              and not n.control_inputs and all(x.node.op is Op.CONST for x in ins)):
            try:
                rw.add(n, _const(n, evaluate(n, [x.node.attrs.value for x in ins])[0]))
            except InvalidArgumentError:  # 1 // 0: left to raise when (and if) it runs, as in TF1
                rw.keep(n)
        else:
            rw.keep(n)
    return rw.done()


def eliminate_common_subexpressions(program: Program) -> Program:
    """Merge nodes with the same op, attrs and inputs (stateful ops are never merged)."""
    rw = Rewriter(program)
    seen: dict[Any, Operation] = {}
    for n in program.nodes:
        ins = rw.inputs(n)
        if get(n.op).stateful or n.op in (Op.PLACEHOLDER, Op.NO_OP) or n.control_inputs:
            rw.keep(n)
            continue
        try:
            key = (n.op, tuple(id(x) for x in ins), n.attrs)
            hash(key)
        except TypeError:
            rw.keep(n)
            continue
        prev = seen.get(key)
        if prev is None:
            seen[key] = rw.keep(n)
        else:
            rw.nmap[id(n)] = prev
            for a, b in zip(n.outputs, prev.outputs):
                rw.tmap[id(a)] = b
    return rw.done()


def use_counts(program: Program) -> dict[int, int]:
    """id(tensor) -> its uses as an input; a fetched tensor counts two more (it is never private
    to one consumer)."""
    uses: dict[int, int] = {}
    for n in program.nodes:
        for x in n.inputs:
            uses[id(x)] = uses.get(id(x), 0) + 1
    for x in program.outputs:
        uses[id(x)] = uses.get(id(x), 0) + 2
    return uses


def ordering_targets(program: Program) -> set[int]:
    return {id(c) for n in program.nodes for c in n.control_inputs} | {id(t) for t in program.targets}


def remove_identities(program: Program) -> Program:
    """Drop identity-like nodes and broadcasts/reductions between statically equal shapes.

    Identities of variables stay: they are reads with copy semantics.
    """
    ctl = ordering_targets(program)
    rw = Rewriter(program)
    for n in program.nodes:
        ins = rw.inputs(n)
        removable = not n.control_inputs and id(n) not in ctl
        if removable and n.op in (Op.IDENTITY, Op.STOP_GRADIENT, Op.PLACEHOLDER_WITH_DEFAULT) \
                and ins[0].node.op is not Op.VARIABLE:
            rw.alias(n, ins[0])
        elif removable and n.op in (Op.SUM_TO, Op.BROADCAST_TO) and ins[0].shape.is_fully_defined() \
                and ins[0].shape == n.shapes[0]:
            rw.alias(n, ins[0])
        elif removable and n.op is Op.RESHAPE and ins[0].shape.is_fully_defined() \
                and ins[0].shape == n.shapes[0] and ins[0].node.op is not Op.VARIABLE:
            rw.alias(n, ins[0])
        else:
            rw.keep(n)
    return rw.done()


def eliminate_dead_code(program: Program) -> Program:
    """Drop nodes nothing needs: not fetched, not run as targets, not ordered on, not stateful
    (assignments and random draws stay, so every executor advances the same state), and with no
    consumer left after earlier rewrites."""
    live: set[int] = {id(t.node) for t in program.outputs} | {id(n) for n in program.targets}
    for n in reversed(program.nodes):
        if id(n) in live or get(n.op).stateful or n.op in (Op.PLACEHOLDER, Op.ASSIGN):
            live.add(id(n))
            live.update(id(t.node) for t in n.inputs)
            live.update(id(c) for c in n.control_inputs)
    kept = [n for n in program.nodes if id(n) in live]
    if len(kept) == len(program.nodes):
        return program
    return Program(tuple(kept), program.outputs, program.targets, program.feeds, program.notes)


def fuse_elementwise(program: Program) -> Program:
    """Group elementwise chains (and an elementwise producer of a reduction) into FUSED nodes.

    A producer joins its consumer's group when all its uses are members' (one consumer, or several
    in the group: the loop body is a straight-line program, so a value is computed once and read
    by several instructions) and nothing orders on it, and while the group has fewer than
    MAX_FUSED members: a long chain (the sum of T gradient
    contributions of an unrolled RNN) becomes a few loops of bounded size that are the same
    kernel for every T, instead of one loop per length. Every elementwise or reduction node ends
    up in exactly one FUSED node.
    """
    uses = use_counts(program)
    ctl = ordering_targets(program)
    kind = {id(n): get(n.op).kind for n in program.nodes}

    def absorbable(t: Tensor) -> bool:
        n = t.node
        return (kind.get(id(n)) is Kind.ELEMENTWISE and id(n) not in ctl
                and not n.control_inputs and len(n.outputs) == 1)

    absorbed: dict[int, Operation] = {}  # member id -> root
    groups: dict[int, list[Operation]] = {}
    for n in reversed(program.nodes):
        if id(n) in absorbed or kind[id(n)] not in (Kind.ELEMENTWISE, Kind.REDUCE):
            continue
        members = [n]
        absorbed[id(n)] = n
        inner: dict[int, int] = {}  # per tensor: its uses by members
        stack = list(n.inputs)
        while stack:
            t = stack.pop()
            inner[id(t)] = inner.get(id(t), 0) + 1
            # a producer joins once every use of its value is a member's: a value the group
            # reads twice (x * x, or a product two gradients share) is computed once inside it
            if inner[id(t)] == uses.get(id(t), 0) and absorbable(t) and id(t.node) not in absorbed \
                    and len(members) < MAX_FUSED:
                absorbed[id(t.node)] = n
                members.append(t.node)
                stack.extend(t.node.inputs)
        groups[id(n)] = members

    rw = Rewriter(program)
    for n in program.nodes:
        root = absorbed.get(id(n))
        if root is None:
            rw.keep(n)
        elif root is n:
            rw.add(n, _fuse(n, sorted(groups[id(n)], key=lambda m: m.uid), rw))
    return rw.done()


def _fuse(root: Operation, members: list[Operation], rw: Rewriter) -> Operation:
    body_nodes = [m for m in members if m is not root or get(root.op).kind is Kind.ELEMENTWISE]
    index = {id(m): i for i, m in enumerate(body_nodes)}
    leaves: list[Tensor] = []
    leaf_pos: dict[int, int] = {}

    def arg(t: Tensor) -> tuple[str, int]:
        if id(t.node) in index:
            return ("t", index[id(t.node)])
        t = rw.t(t)
        if id(t) not in leaf_pos:
            leaf_pos[id(t)] = len(leaves)
            leaves.append(t)
        return ("in", leaf_pos[id(t)])

    body = tuple(Instr(m.op, m.attrs, tuple(arg(x) for x in m.inputs), m.dtypes[0],
                       tuple(x.dtype for x in m.inputs)) for m in body_nodes)
    if get(root.op).kind is Kind.REDUCE:
        x = root.inputs[0]
        result = arg(x)
        rank = x.shape.rank
        assert rank is not None, f"reduction input rank unknown after specialisation in {root.describe()}"
        red = ReduceSpec(root.op, norm_axes(root.attrs.axes, rank), root.attrs.keepdims)
        loop_shape = x.shape
    else:
        result = ("t", index[id(root)])
        red = None
        loop_shape = root.shapes[0]
    controls: list[Operation] = []
    for m in members:
        controls.extend(rw.nmap.get(id(c), c) for c in m.control_inputs)
    attrs = FusedAttrs(body, result, loop_shape, red, tuple(m.name for m in members))
    return Operation(Op.FUSED, tuple(leaves), attrs, root.dtypes, root.shapes, tuple(controls), root.name,
                     root.site, root.graph, root.uid)


__all__ = ["eliminate_dead_code", "fold_constants", "eliminate_common_subexpressions", "remove_identities",
           "fuse_elementwise", "rebuild"]
