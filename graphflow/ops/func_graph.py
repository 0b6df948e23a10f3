"""Function graphs: the bodies of control flow, traced from Python functions.

A FuncGraph is a Graph whose placeholders stand for a function's arguments. Tensors of enclosing
graphs that the function uses are captured: each becomes a placeholder of the FuncGraph, and the
control-flow node that owns the FuncGraph takes the outer tensor as an input. While a FuncGraph
is the default graph every op is built in it, even one whose inputs all come from outside.

``evaluate_graph`` runs a FuncGraph with the numpy references (the reference executor and
build-time evaluation use it; compiled code lowers FuncGraphs as sub-programs).

The DEFERRED row is here too: its reference traces the deferred call (ops/deferred.py) into a
FuncGraph and evaluates it, and its gradient differentiates the call.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.autodiff import gradients
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.ops.constant_ops import SourceAttrs, _next_uid, constant
from graphflow.ops.deferred import DeferredAttrs, deferred
from graphflow.ops.elementwise_ops import identity
from graphflow.ops.state_ops import zeros_like


class FuncGraph(Graph):
    """A traced function: ``inputs`` (argument placeholders), ``outputs``, and ``captures``
    (outer tensor, its placeholder here) in order of first use."""

    is_func_graph = True

    def __init__(self, outer: Graph, name: str) -> None:
        super().__init__()
        self.outer = outer
        self.name = name
        self._gradient_map = outer._gradient_map[-1:]  # a gradient_override_map scope reaches into the function
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: list[tuple[Tensor, Tensor]] = []
        self._captured: dict[int, Tensor] = {}
        # ops of enclosing graphs that ops here must wait for (control_dependencies inside the
        # function on ops built outside it): the control-flow node waits for them instead
        self.outer_controls: list[Operation] = []
        # variables of the root graph assigned here (the assignment targets them directly)
        self.assigned: list[Tensor] = []
        # a while body's assignments are loop values instead (``carry_assignments``): per
        # variable assigned, the variable and its value after the function's last assignment
        self.carry_assignments = False
        self.carried: dict[int, tuple[Tensor, Tensor]] = {}
        # a while body's values to carry besides its loop variables (outer tensor read, next
        # value, shape invariant): control_flow_while._late
        self.late_loop_values: list[tuple[Tensor, Tensor, TensorShape, bool]] = []
        # per root variable read through enclosing functions: the placeholder its value came in as
        self.variable_reads: dict[int, Tensor] = {}
        self.seed = outer.seed
        self._scope = ""
        # variables belong to the enclosing real graph: the function shares its variable scopes,
        # variable store and collections, so get_variable(reuse=...) finds them
        self.root: Graph = getattr(outer, "root", outer)
        self._var_scope_store = self.root._var_scope_store
        self._var_scope = self.root._var_scope
        self._collections = self.root._collections

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
        given = t
        if id(given) in self._captured:  # seen here (a variable: its value here, assigned or not)
            return self._captured[id(given)]
        if isinstance(self.outer, FuncGraph) and t.graph is not self.outer:
            t = self.outer.capture(t)  # nested functions capture through their parents
        hit = self._captured.get(id(t))
        if hit is None:
            hit = self.placeholder_like(t, f"capture_{len(self.captures)}")
            self._captured[id(t)] = hit
            self.captures.append((t, hit))
        if given is not t and given.node.op is Op.VARIABLE:  # a variable read through the parents
            self._captured[id(given)] = hit
            self.variable_reads[id(given)] = hit
        return hit

    def placeholder_like(self, t: Tensor | None, name: str, dtype: DType | None = None,
                         shape: TensorShape | None = None) -> Tensor:
        d = dtype if dtype is not None else t.dtype  # type: ignore[union-attr]
        s = shape if shape is not None else t.shape  # type: ignore[union-attr]
        with self.control_dependencies(None):
            return super().add_node(Op.PLACEHOLDER, [], SourceAttrs(d, s, _next_uid()), name=name).outputs[0]

    def _takes_outer(self, op: Op, t: Tensor) -> bool:
        return op is Op.ASSIGN and t.node.op is Op.VARIABLE and t.graph is self.root

    def lift(self, t: Tensor) -> Tensor:
        """``t`` rebuilt in the root graph (a variable's initial value made inside the function):
        its nodes are copied there, captures replaced by the outer tensors they stand for; a value
        computed from the function's arguments cannot be lifted."""
        if t.graph is self.root:
            return t
        g = t.graph
        if not isinstance(g, FuncGraph):
            raise ValueError(f"{t.name} is not from this function's graphs")
        outer_of = {id(ph): outer for outer, ph in g.captures}
        new: dict[int, Tensor] = {}

        def build(x: Tensor) -> Tensor:
            if id(x) in new:
                return new[id(x)]
            n = x.node
            if n.op is Op.PLACEHOLDER:
                if id(x) not in outer_of:
                    raise ValueError(f"a variable's initial value cannot depend on the arguments of "
                                     f"the control-flow function {g.name!r} ({x.name})")
                src = outer_of[id(x)]
                out = src if src.graph is self.root else src.graph.lift(src)  # type: ignore[attr-defined]
            else:
                node = self.root.add_node(n.op, [build(i) for i in n.inputs], n.attrs,
                                          name=n.name.rsplit("/", 1)[-1], site=n.site)
                out = node.outputs[x.index]
            new[id(x)] = out
            return out
        return build(t)

    def add_node(self, op: Op, inputs: Sequence[Tensor] = (), attrs: object = None, name: str | None = None,
                 output_type: type | None = None, control_inputs: Sequence[Operation] = (),
                 site: str | None = None) -> Operation:
        if op is Op.VARIABLE:
            raise AssertionError("variables are made in the root graph (Variable lifts them)")
        var = None
        if op is Op.ASSIGN and inputs and isinstance(inputs[0], Tensor) and inputs[0].graph is not self:
            var = inputs[0]  # the variable itself, not its value at entry
            if self.carry_assignments:
                return self._carry(var, inputs[1], attrs, name)
            if all(v is not var for v in self.assigned):
                self.assigned.append(var)
            ins = [var] + [self.capture(t) if isinstance(t, Tensor) else t for t in inputs[1:]]
        else:
            ins = [self.capture(t) if isinstance(t, Tensor) else t for t in inputs]
        frames = self._control
        outer = [c for c in list(control_inputs) + [c for f in frames for c in f] if c.graph is not self]
        for c in outer:
            self._wait_for(c)
        self._control = [[c for c in f if c.graph is self] for f in frames]
        try:
            node = super().add_node(op, ins, attrs, name, output_type,
                                    [c for c in control_inputs if c.graph is self], site)
        finally:
            self._control = frames
        if var is not None:  # later reads of the variable in this function see the value assigned
            self._captured[id(var)] = node.outputs[0]
        return node

    def _carry(self, var: Tensor, value: Tensor, attrs: Any, name: str | None) -> Operation:
        """An assignment in a while body as a loop value: the variable's value after it (an
        Identity named as the assignment), which later reads here see and the loop carries."""
        current = self.capture(var)
        v = self.capture(value)
        mode = getattr(attrs, "mode", "set")
        new = v if mode == "set" else self.add_node(Op.ADD if mode == "add" else Op.SUB, [current, v]).outputs[0]
        node = self.add_node(Op.IDENTITY, [new], None, name=name)
        self._captured[id(var)] = node.outputs[0]
        self.carried[id(var)] = (var, node.outputs[0])
        return node

    def _wait_for(self, c: Operation) -> None:
        """Outer op ``c`` orders ops here: the owning node (or, when ``c`` is further out, the
        enclosing function's owning node) waits for it."""
        if not self.encloses(c.graph):
            raise ValueError(f"control input {c.name} is from a graph that does not enclose {self.name!r}")
        if isinstance(self.outer, FuncGraph) and c.graph is not self.outer:
            self.outer._wait_for(c)
        elif c not in self.outer_controls:
            self.outer_controls.append(c)


def trace(fn: Callable[..., Any], args: Sequence[Tensor | tuple[Any, TensorShape]], name: str,
          outer: Graph | None = None, carry_assignments: bool = False,
          variables: Sequence[Tensor] = ()) -> tuple[FuncGraph, Any]:
    """Trace ``fn`` on placeholders: each arg is a tensor (its dtype and shape are used) or a
    (dtype, shape) pair. Returns the FuncGraph (``outputs`` flattened) and fn's raw result.
    ``carry_assignments``: assignments become values (FuncGraph.carried); ``variables``: the
    variables whose values are the last ``len(variables)`` args (reads of them read those; fn
    is called without them)."""
    g = FuncGraph(outer or get_default_graph(), name)
    g.carry_assignments = carry_assignments
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            g.inputs.append(g.placeholder_like(a, f"arg_{i}"))
        else:
            g.inputs.append(g.placeholder_like(None, f"arg_{i}", a[0], a[1]))
    own = len(g.inputs) - len(variables)
    for var, ph in zip(variables, g.inputs[own:]):
        g._captured[id(var)] = ph
    with g.as_default():
        result = fn(*g.inputs[:own])
        flat = [_output(r, name) for r in flatten(result)]
        outs = []
        for r in flat:
            if isinstance(r, Operation):
                with g.control_dependencies([r]):
                    r = identity(constant(True))  # an op result: a token that orders it
            outs.append(g.capture(r))
        g.outputs = outs
    return g, result


def _output(r: object, name: str) -> Tensor | Operation:
    if isinstance(r, Operation):
        return r
    if type(r).__name__ == "TensorArray":  # only while_loop's loop variables may be TensorArrays
        raise TypeError(f"{name}: returning a TensorArray from a cond branch or map_fn/scan function is not "
                        "supported yet; return its stacked value (ta.stack()) or write to it outside")
    return convert_to_tensor(r)


# ---- nested structures (tuples, lists, dicts, namedtuples) ---------------------------------------

def flatten(x: object) -> list[Any]:
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flatten(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flatten(item)]
    return [x]


def pack_as(structure: object, flat: Sequence[object]) -> Any:
    """``flat`` rebuilt in the nesting of ``structure``."""
    it = iter(flat)

    def build(s: object) -> Any:
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
    values: dict[int, Any] = {}
    for ph, v in zip(g.inputs, inputs):
        values[id(ph)] = np.asarray(v)
    for (_, ph), v in zip(g.captures, captured):
        values[id(ph)] = np.asarray(v)
    needed = _needed(g)
    for n in g.get_operations():
        if id(n) not in needed or n.op is Op.PLACEHOLDER:
            continue
        if n.op in (Op.RANDOM, Op.ASSIGN):
            raise NotImplementedError(f"{'random ops' if n.op is Op.RANDOM else 'assignments'} inside "
                                      f"control flow run only in compiled code ({n.describe()})")
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
    new = copy_nodes(g, mapping)
    return [new[id(t)] for t in g.outputs]


def copy_nodes(g: FuncGraph, mapping: dict[int, Tensor]) -> dict[int, Tensor]:
    """``copy_graph``'s whole map: id of each tensor of ``g`` the outputs need -> its copy. A node
    whose outputs ``mapping`` all gives (a loop's recorded random draws) is not copied."""
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
        if all(id(t) in new for t in n.outputs):
            continue
        node = target.add_node(n.op, [new.get(id(t), t) for t in n.inputs], n.attrs,
                               name=n.name.rsplit("/", 1)[-1], site=n.site)
        keep_gradient_override(n, node)
        for t, o in zip(n.outputs, node.outputs):
            new[id(t)] = o
    return new


def keep_gradient_override(original: Operation, copy: Operation) -> None:
    """A copy of a node takes the gradient a ``gradient_override_map`` scope gave the original."""
    source = original.graph
    name = source.gradient_overrides.get(original.uid) if source is not None else None
    if name is not None and copy.graph is not None:
        copy.graph.gradient_overrides[copy.uid] = name


def rebuild(ops: Sequence[Operation], subst: dict[int, Tensor]) -> dict[int, Tensor]:
    """Rebuild, in order, those of ``ops`` (nodes of the default graph, in build order) that read
    a tensor ``subst`` replaces (id -> replacement) or a rebuilt one; returns the map extended by
    each rebuilt output. The originals stay, unread."""
    new: dict[int, Tensor] = dict(subst)
    target = get_default_graph()
    for n in ops:
        if not any(id(t) in new for t in n.inputs):
            continue
        node = target.add_node(n.op, [new.get(id(t), t) for t in n.inputs], n.attrs,
                               name=n.name.rsplit("/", 1)[-1], site=n.site,
                               control_inputs=[c for c in n.control_inputs if c.graph is target])
        keep_gradient_override(n, node)
        for t, o in zip(n.outputs, node.outputs):
            if t.shape != o.shape and o.shape.is_compatible_with(t.shape):
                o.set_shape(t.shape)  # the original's set_shape refinement
            new[id(t)] = o
    return new


# ---- the DEFERRED row: calls built once the fed ranks are known (ops/deferred.py) ------------

def _deferred_ref(at: DeferredAttrs, *xs: np.ndarray) -> list[np.ndarray]:
    g, _ = trace(lambda *ts: at.build(list(ts)), [(_dtype_of(x), TensorShape(np.shape(x))) for x in xs],
                 at.what, get_default_graph())
    return evaluate_graph(g, list(xs), [])


def _dtype_of(x: np.ndarray) -> DType:
    return _dt.as_dtype(np.asarray(x).dtype)


def _deferred_vjp(n: Operation, grads: Tensor | list[Tensor]) -> list:
    at: DeferredAttrs = n.attrs
    gs = grads if isinstance(grads, list) else [grads]
    ins = list(n.inputs)
    wrt = [i for i, t in enumerate(ins) if t.dtype.is_floating]
    floats = [k for k, d in enumerate(at.dtypes) if d.is_floating]

    def grad_build(ts: list[Tensor]) -> list[Tensor]:
        xs, gys = ts[:len(ins)], ts[len(ins):]
        ys = at.build(xs)
        got = gradients([ys[k] for k in floats], [xs[i] for i in wrt], grad_ys=gys) if floats else [None] * len(wrt)
        return [g if g is not None else zeros_like(xs[i]) for g, i in zip(got, wrt)]
    out = deferred(grad_build, ins + [gs[k] for k in floats], [ins[i].dtype for i in wrt], at.what + "_grad")
    result: list[Any] = [None] * len(ins)
    for i, g in zip(wrt, out):
        result[i] = g
    return result


register(OpDef(Op.DEFERRED, Kind.OTHER, lambda s, at: [TensorShape(None)] * len(at.dtypes),
               lambda d, at: list(at.dtypes), _deferred_ref, vjp=_deferred_vjp))
