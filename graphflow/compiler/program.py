"""The compiler's unit of work: the part of a graph one ``sess.run`` signature needs, with fed
tensors replaced by fresh placeholders and shapes re-inferred for the fed ranks."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import UID_STRIDE, Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.ops.func_graph import FuncGraph
from graphflow.ops.state_ops import SourceAttrs


@dataclass(frozen=True)
class Program:
    """Nodes in topological order; ``outputs`` are the fetched tensors, ``targets`` run-only ops,
    ``feeds`` the placeholders whose values arrive per run (in argument order)."""

    nodes: tuple[Operation, ...]
    outputs: tuple[Tensor, ...]
    targets: tuple[Operation, ...]
    feeds: tuple[Operation, ...]
    notes: dict = field(default_factory=dict, compare=False)

    def consumers(self) -> dict[int, list[tuple[Operation, int]]]:
        """id(tensor) -> [(node, input index)] (fetches are not included)."""
        out: dict[int, list[tuple[Operation, int]]] = {}
        for n in self.nodes:
            for i, t in enumerate(n.inputs):
                out.setdefault(id(t), []).append((n, i))
        return out

    def replace(self, nodes: Sequence[Operation], mapping: dict[int, Tensor] | None = None,
                node_map: dict[int, Operation] | None = None) -> Program:
        mapping = mapping or {}
        node_map = node_map or {}
        outs = tuple(mapping.get(id(t), t) for t in self.outputs)
        targets = tuple(node_map.get(id(n), n) for n in self.targets)
        return Program(tuple(nodes), outs, targets, self.feeds, self.notes)


def rebuild(node: Operation, inputs: Sequence[Tensor], controls: Sequence[Operation],
            op: Op | None = None, attrs: object = ..., shapes: Sequence[TensorShape] | None = None) -> Operation:
    """A copy of ``node`` over new inputs, with dtypes and shapes re-inferred."""
    op = op or node.op
    attrs = node.attrs if attrs is ... else attrs
    row = get(op)
    dtypes = tuple(row.dtype_rule([t.dtype for t in inputs], attrs)) if inputs or op is not node.op \
        else node.dtypes
    if shapes is None:
        try:
            shapes = [as_shape(s) for s in row.shape_rule([t.shape for t in inputs], attrs)]
        except ValueError as e:
            raise InvalidArgumentError(node, node, f"{e}\n  in {node.describe()}") from None
    return Operation(op, tuple(inputs), attrs, dtypes, tuple(shapes), tuple(controls), node.name,
                     node.site, node.graph, node.uid)


def _past_prints(t: Tensor) -> Tensor:
    """A ``tf.Print`` output is its input in compiled code (the runtime prints on the host)."""
    while t.node.op is Op.PRINT and t.node.attrs.passthrough:
        t = t.node.inputs[0]
    return t


def build(fetch_tensors: Sequence[Tensor], targets: Sequence[Operation],
          feeds: Sequence[tuple[Tensor, int]]) -> Program:
    """Prune the graph to what the fetches need and specialise it for the fed ranks.

    ``feeds`` pairs each fed tensor with the rank of the fed value.
    """
    fed = {id(t): (t, r) for t, r in feeds}
    needed: dict[int, Operation] = {}
    stack: list[Operation] = [t.node for t in fetch_tensors if id(t) not in fed] + list(targets)
    while stack:
        n = stack.pop()
        if id(n) in needed:
            continue
        needed[id(n)] = n
        for t in n.inputs:
            t = _past_prints(t)
            if id(t) not in fed:
                stack.append(t.node)
        stack.extend(c for c in n.control_inputs if get(c.op).kind is not Kind.HOST)
    # a control-flow function's program may take variables of the enclosing graph (whose uids
    # are not comparable with its own): sources from other graphs go first
    home = fetch_tensors[0].graph if fetch_tensors else (targets[0].graph if targets else None)
    order = sorted(needed.values(), key=lambda n: (n.graph is home, n.uid))

    new: dict[int, Tensor] = {}
    new_nodes: dict[int, Operation] = {}
    feed_nodes = []
    for t, rank in feeds:
        static = t.shape
        shape = static if static.rank is not None else TensorShape([None] * rank)
        attrs = SourceAttrs(t.dtype, shape, t.node.uid * 1000 + t.index)
        ph = Operation(Op.PLACEHOLDER, (), attrs, (t.dtype,), (shape,), (), t.name.rsplit(":", 1)[0]
                       if t.index == 0 else t.name, t.node.site, t.graph, -1)
        feed_nodes.append(ph)
        new[id(t)] = ph.outputs[0]
    nodes: list[Operation] = list(feed_nodes)
    for n in order:
        inputs = [new[id(t)] if id(t) in new else new_nodes[id(t.node)].outputs[t.index]
                  for t in map(_past_prints, n.inputs)]
        controls = [new_nodes[id(c)] for c in n.control_inputs if id(c) in new_nodes]
        if n.op is Op.DEFERRED:  # built now that the fed ranks are known
            made, outs = expand_deferred(n, inputs)
            nodes.extend(made)
            new_nodes[id(n)] = made[-1] if made else n
            for t, o in zip(n.outputs, outs):
                if id(t) not in new:
                    new[id(t)] = o
            continue
        if n.op in (Op.VARIABLE, Op.CONST, Op.PLACEHOLDER):
            m = Operation(n.op, (), n.attrs, n.dtypes, n.shapes, tuple(controls), n.name, n.site, n.graph,
                          n.uid)
        elif n.op is Op.PLACEHOLDER_WITH_DEFAULT:  # not fed: it is its default, of the default's shape
            m = rebuild(n, inputs, controls, shapes=[n.shapes[0].merge_with(inputs[0].shape)])
        else:
            m = rebuild(n, inputs, controls)
        new_nodes[id(n)] = m
        nodes.append(m)
        for t, o in zip(n.outputs, m.outputs):
            if id(t) not in new:
                new[id(t)] = o
    outputs = tuple(new[id(t)] for t in fetch_tensors)
    return Program(tuple(nodes), outputs, tuple(new_nodes[id(n)] for n in targets), tuple(feed_nodes))


def expand_deferred(n: Operation, inputs: Sequence[Tensor], base: Operation | None = None,
                    count: list[int] | None = None) -> tuple[list[Operation], list[Tensor]]:
    """The nodes a DEFERRED node's call builds on ``inputs`` (whose ranks are known), as program
    nodes (nested DEFERRED nodes expanded too), and the tensors standing for its outputs. They
    take the integer uids just above the DEFERRED node's, in build order (passes order nodes by
    uid): graph nodes' uids are ``UID_STRIDE`` apart, so these stay below the next graph node's."""
    base = base or n
    count = count if count is not None else [0]
    for t in inputs:
        if t.shape.rank is None:
            raise InvalidArgumentError(n, n, f"{n.attrs.what} needs the rank of {t.name}, which is not "
                                       f"known even for this feed signature\n  in {n.describe()}")
    assert n.graph is not None, "a deferred node belongs to the graph it was built in"
    fg = FuncGraph(n.graph, n.attrs.what)
    phs = [fg.placeholder_like(t, f"in{i}") for i, t in enumerate(inputs)]
    with fg.as_default():
        outs = n.attrs.build(phs)
    if fg.captures:
        raise AssertionError(f"{n.describe()}: a deferred call used tensors it was not given")
    mapping: dict[int, Tensor] = {id(ph): t for ph, t in zip(phs, inputs)}
    made: list[Operation] = []
    for m in fg.get_operations():
        if m.op is Op.PLACEHOLDER and id(m.outputs[0]) in mapping:
            continue
        ins = [mapping[id(t)] for t in m.inputs]
        if m.op is Op.DEFERRED:
            sub, sub_outs = expand_deferred(m, ins, base, count)
            made.extend(sub)
            for t, o in zip(m.outputs, sub_outs):
                mapping[id(t)] = o
            continue
        uid = _next_uid(base, count)
        if m.op is Op.CONST:
            node = Operation(m.op, (), m.attrs, m.dtypes, m.shapes, (), m.name, n.site, n.graph, uid)
        else:
            row = get(m.op)
            dtypes = tuple(row.dtype_rule([t.dtype for t in ins], m.attrs))
            shapes = tuple(as_shape(x) for x in row.shape_rule([t.shape for t in ins], m.attrs))
            node = Operation(m.op, tuple(ins), m.attrs, dtypes, shapes, (), f"{n.name}/{m.name}",
                             m.site if m.site else n.site, n.graph, uid)
        made.append(node)
        for t, o in zip(m.outputs, node.outputs):
            mapping[id(t)] = o
    return made, [mapping[id(t)] for t in outs]


def _next_uid(base: Operation, count: list[int]) -> int:
    """The uid of the next node built in place of ``base`` (counted in ``count``)."""
    count[0] += 1
    if count[0] >= UID_STRIDE:
        raise AssertionError(f"{base.describe()} expands to more than {UID_STRIDE - 1} nodes")
    return base.uid + count[0]
