"""Function graphs: the bodies of control flow, traced from Python functions.

A FuncGraph is a Graph whose placeholders stand for a function's arguments. Tensors of enclosing
graphs that the function uses are captured: each becomes a placeholder of the FuncGraph, and the
control-flow node that owns the FuncGraph takes the outer tensor as an input. While a FuncGraph
is the default graph every op is built in it, even one whose inputs all come from outside.

``evaluate_graph`` runs a FuncGraph with the numpy references (the reference executor and
build-time evaluation use it; compiled code lowers FuncGraphs as sub-programs).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.registry import Op
from graphflow.shapes import TensorShape


class FuncGraph(Graph):
    """A traced function: ``inputs`` (argument placeholders), ``outputs``, and ``captures``
    (outer tensor, its placeholder here) in order of first use."""

    is_func_graph = True

    def __init__(self, outer: Graph, name: str) -> None:
        super().__init__()
        self.outer = outer
        self.name = name
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: list[tuple[Tensor, Tensor]] = []
        self._captured: dict[int, Tensor] = {}
        self.seed = outer.seed
        self._scope = ""

    def encloses(self, g: Graph) -> bool:
        """``g`` is this graph or one it is nested in."""
        cur: Graph | None = self
        while cur is not None:
            if cur is g:
                return True
            cur = getattr(cur, "outer", None)
        return False

    def capture(self, t: Tensor) -> Tensor:
        """The placeholder standing for outer tensor ``t`` (made on first use)."""
        if t.graph is self:
            return t
        if not self.encloses(t.graph):
            raise ValueError(f"Tensor {t.name} is from a graph that does not enclose the function "
                             f"{self.name!r} being traced")
        if isinstance(self.outer, FuncGraph) and t.graph is not self.outer:
            t = self.outer.capture(t)  # nested functions capture through their parents
        hit = self._captured.get(id(t))
        if hit is None:
            hit = self.placeholder_like(t, f"capture_{len(self.captures)}")
            self._captured[id(t)] = hit
            self.captures.append((t, hit))
        return hit

    def placeholder_like(self, t: Tensor | None, name: str, dtype: Any = None,
                         shape: TensorShape | None = None) -> Tensor:
        from graphflow.ops.state_ops import SourceAttrs, _next_uid
        d = dtype if dtype is not None else t.dtype  # type: ignore[union-attr]
        s = shape if shape is not None else t.shape  # type: ignore[union-attr]
        with self.control_dependencies(None):
            return super().add_node(Op.PLACEHOLDER, [], SourceAttrs(d, s, _next_uid()), name=name).outputs[0]

    def add_node(self, op: Op, inputs: Sequence[Tensor] = (), attrs: Any = None, name: str | None = None,
                 output_type: type | None = None, control_inputs: Sequence[Operation] = (),
                 site: str | None = None) -> Operation:
        if op is Op.VARIABLE:
            raise ValueError(f"variables cannot be created inside a control-flow function ({self.name}); "
                             "create them outside tf.cond / tf.while_loop and use them inside")
        ins = [self.capture(t) if isinstance(t, Tensor) else t for t in inputs]
        ctl = [c for c in control_inputs if c.graph is self]
        return super().add_node(op, ins, attrs, name, output_type, ctl, site)


def trace(fn: Callable[..., Any], args: Sequence[Tensor | tuple[Any, TensorShape]], name: str,
          outer: Graph | None = None) -> tuple[FuncGraph, Any]:
    """Trace ``fn`` on placeholders: each arg is a tensor (its dtype and shape are used) or a
    (dtype, shape) pair. Returns the FuncGraph (``outputs`` flattened) and fn's raw result."""
    g = FuncGraph(outer or get_default_graph(), name)
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            g.inputs.append(g.placeholder_like(a, f"arg_{i}"))
        else:
            g.inputs.append(g.placeholder_like(None, f"arg_{i}", a[0], a[1]))
    with g.as_default():
        result = fn(*g.inputs)
        flat = [convert_to_tensor(r) if not isinstance(r, Operation) else r for r in flatten(result)]
        outs = []
        for r in flat:
            if isinstance(r, Operation):
                from graphflow.ops.math_ops import identity
                from graphflow.ops.state_ops import constant
                with g.control_dependencies([r]):
                    r = identity(constant(True))  # an op result: a token that orders it
            outs.append(g.capture(r))
        g.outputs = outs
    return g, result


# ---- nested structures (tuples, lists, dicts, namedtuples) ---------------------------------------

def flatten(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flatten(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flatten(item)]
    return [x]


def pack_as(structure: Any, flat: Sequence[Any]) -> Any:
    """``flat`` rebuilt in the nesting of ``structure``."""
    it = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, dict):
            return type(s)((k, build(s[k])) for k in sorted(s))
        if isinstance(s, tuple) and hasattr(s, "_fields"):
            return type(s)(*[build(v) for v in s])
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s)
        return next(it)
    out = build(structure)
    rest = list(it)
    if rest:
        raise ValueError(f"{len(rest)} values left over packing into {structure!r}")
    return out


# ---- numpy evaluation ---------------------------------------------------------------------------

def evaluate_graph(g: FuncGraph, inputs: Sequence[np.ndarray], captured: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The outputs of ``g`` for argument values ``inputs`` and capture values ``captured``."""
    from graphflow.evaluate import evaluate
    values: dict[int, Any] = {}
    for ph, v in zip(g.inputs, inputs):
        values[id(ph)] = np.asarray(v)
    for (_, ph), v in zip(g.captures, captured):
        values[id(ph)] = np.asarray(v)
    needed = _needed(g)
    for n in g.get_operations():
        if id(n) not in needed or n.op is Op.PLACEHOLDER:
            continue
        if n.op is Op.RANDOM:
            raise NotImplementedError(f"random ops inside control flow run only in compiled code "
                                      f"({n.describe()})")
        outs = evaluate(n, [values[id(t)] for t in n.inputs])
        for t, v in zip(n.outputs, outs):
            values[id(t)] = v
    return [values[id(t)] for t in g.outputs]


def _needed(g: FuncGraph) -> set[int]:
    seen: set[int] = set()
    stack = [t.node for t in g.outputs]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(t.node for t in n.inputs)
        stack.extend(n.control_inputs)
    return seen


def copy_graph(g: FuncGraph, mapping: dict[int, Tensor]) -> list[Tensor]:
    """Rebuild ``g``'s nodes in the default graph, its placeholders replaced by ``mapping``
    (id(placeholder) -> tensor); returns the copies of ``g.outputs``."""
    target = get_default_graph()
    new: dict[int, Tensor] = dict(mapping)
    needed = _needed(g)
    for n in g.get_operations():
        if id(n) not in needed:
            continue
        if n.op is Op.PLACEHOLDER:
            if id(n.outputs[0]) not in new:
                raise AssertionError(f"placeholder {n.name} of {g.name} has no value in the copy")
            continue
        node = target.add_node(n.op, [new[id(t)] for t in n.inputs], n.attrs, name=n.name.rsplit("/", 1)[-1],
                               site=n.site)
        for t, o in zip(n.outputs, node.outputs):
            new[id(t)] = o
    return [new[id(t)] for t in g.outputs]
