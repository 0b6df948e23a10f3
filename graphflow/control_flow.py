"""Control flow: ``tf.cond``, ``tf.case``, ``tf.while_loop`` and ``map_fn``/``scan``/``foldl``/
``foldr`` on top of it.

COND and WHILE are primitives whose bodies are FuncGraphs (func_graph.py). The CPU target
lowers them to an ``if``/``while`` around the bodies' code (compiler/cpu/control_flow.py), so only
the taken branch runs and a loop's code does not grow with its iteration count.

A WHILE node's inputs are the initial loop values, the iteration limit (when given) and the
tensors its functions capture; its outputs are the final loop values, the per-iteration values
the body emits stacked along a new first dim (what ``scan`` and ``map_fn`` collect), the
iteration count, and (for gradients) each loop value's stack of per-iteration values. The
gradient is a second WHILE running the body's gradient backwards over those stacks.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.ops.func_graph import FuncGraph, copy_graph, evaluate_graph, flatten, pack_as, trace

# ---- COND ---------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CondAttrs:
    branches: tuple[FuncGraph, FuncGraph]  # true, false
    # per branch: for each of its captures, the index of the node input holding the value
    capture_index: tuple[tuple[int, ...], tuple[int, ...]]
    # variables a branch assigns: also node inputs (after the captures), so the enclosing
    # program orders and initialises them; the branch writes their buffers
    writes: tuple[Tensor, ...] = ()


def _cond_shape(shapes: Sequence[TensorShape], at: CondAttrs) -> list[TensorShape]:
    t, f = at.branches
    return [_most_specific(a.shape, b.shape) for a, b in zip(t.outputs, f.outputs)]


def _most_specific(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])  # type: ignore[arg-type]


def _cond_ref(at: CondAttrs, pred: Any, *ins: np.ndarray) -> list[np.ndarray]:
    k = 0 if bool(np.asarray(pred)) else 1
    g = at.branches[k]
    return evaluate_graph(g, [], [ins[i - 1] for i in at.capture_index[k]])


def _cond_vjp(n: Operation, grads: Any) -> list:
    from graphflow.control_flow_grad import _no_random
    at: CondAttrs = n.attrs
    for b in at.branches:
        _no_random(b, n)
    gs = grads if isinstance(grads, list) else [grads]
    ins = n.inputs[1:]
    wrt = [i for i, t in enumerate(ins) if t.dtype.is_floating]
    outs = [o for o in n.outputs]
    pieces = []
    for k in (0, 1):
        g = at.branches[k]
        pieces.append(_branch_grad_fn(g, at.capture_index[k], wrt, ins, outs))
    grad_outs = cond(n.inputs[0], lambda: pieces[0](gs), lambda: pieces[1](gs), name="cond_grad")
    grad_outs = grad_outs if isinstance(grad_outs, (list, tuple)) else [grad_outs]
    result: list[Any] = [None] * len(n.inputs)
    for i, gval in zip(wrt, grad_outs):
        result[1 + i] = gval
    return result


def _branch_grad_fn(g: FuncGraph, cap_idx: tuple[int, ...], wrt: list[int], ins: Sequence[Tensor],
                    outs: Sequence[Tensor]) -> Callable[[list[Tensor]], list[Tensor]]:
    """A function building, inside the gradient COND's branch, the gradients of this branch's
    outputs with respect to the node inputs ``wrt`` (zeros for those the branch does not use)."""
    from graphflow.core.autodiff import gradients
    from graphflow.ops.state_ops import zeros_like

    def fn(gs: list[Tensor]) -> list[Tensor]:
        here = get_default_graph()
        inner = {id(t): here.capture(t) for t in ins}  # the gradient branch's own placeholders
        mapping = {id(ph): inner[id(ins[i - 1])] for (_, ph), i in zip(g.captures, cap_idx)}
        copies = copy_graph(g, mapping)
        ys = [c for c, o in zip(copies, outs) if o.dtype.is_floating]
        gys = [here.capture(gv) for gv, o in zip(gs, outs) if o.dtype.is_floating]
        xs = [inner[id(ins[i])] for i in wrt]
        grads = gradients(ys, xs, grad_ys=gys) if ys else [None] * len(xs)
        return [gr if gr is not None else zeros_like(x) for gr, x in zip(grads, xs)]
    return fn


register(OpDef(Op.COND, Kind.OTHER, _cond_shape,
               lambda d, at: [t.dtype for t in at.branches[0].outputs], _cond_ref, vjp=_cond_vjp,
               stateful=True))


def cond(pred: Any, true_fn: Callable[[], Any] | None = None, false_fn: Callable[[], Any] | None = None,
         strict: bool = False, name: str | None = None, fn1: Any = None, fn2: Any = None) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``: only the taken branch runs. Both must return
    the same structure of tensors with equal dtypes.

    >>> import graphflow as gf
    >>> x = gf.constant(2.0)
    >>> gf.cond(x > 1.0, lambda: x * 10.0, lambda: x).shape.as_list()
    []
    """
    true_fn = true_fn or fn1
    false_fn = false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond needs callable true_fn and false_fn")
    p = convert_to_tensor(pred)
    if not p.dtype.is_bool or p.shape.rank not in (0, None):
        raise TypeError(f"cond's pred must be a bool scalar, got {p.name} of dtype {p.dtype.name} "
                        f"and shape {p.shape}")
    outer = get_default_graph()
    gt, rt = trace(true_fn, [], "cond_true", outer)
    gf_, rf = trace(false_fn, [], "cond_false", outer)
    if len(gt.outputs) != len(gf_.outputs):
        raise ValueError(f"cond branches must return the same structure: the true branch returns "
                         f"{len(gt.outputs)} tensors, the false branch {len(gf_.outputs)}")
    for a, b in zip(gt.outputs, gf_.outputs):
        if a.dtype != b.dtype:
            raise TypeError(f"cond branches return different dtypes: {a.dtype.name} (true) and "
                            f"{b.dtype.name} (false)")
        if a.shape.rank is not None and b.shape.rank is not None and a.shape.rank != b.shape.rank:
            raise ValueError(f"cond branches return different ranks: {a.shape} and {b.shape}")
    captures, index = _merge_captures([gt, gf_], 1)
    waits = _outer_controls([gt, gf_])
    writes: list[Tensor] = []
    for g in (gt, gf_):
        writes += [v for v in g.assigned if all(v is not w for w in writes)]
    at = CondAttrs((gt, gf_), (index[0], index[1]), tuple(writes))
    if isinstance(outer, FuncGraph):  # a nested cond's assignments are its function's too
        for v in writes:
            if all(v is not w for w in outer.assigned):
                outer.assigned.append(v)
    inputs = [p, *captures, *writes]
    node = outer.add_node(Op.COND, inputs, at, name=name or "cond", control_inputs=waits)
    if not gt.outputs:
        from graphflow.ops.state_ops import no_op
        return no_op() if rt is None else node
    outs = list(node.outputs)
    if not isinstance(rt, (list, tuple, dict)):
        return outs[0]
    return pack_as(rt, outs)


def case(pred_fn_pairs: Any, default: Callable[[], Any] | None = None, exclusive: bool = False,
         strict: bool = False, name: str = "case") -> Any:
    """The fn of the first true predicate (``default`` when none is), as nested conds; with
    ``exclusive`` a run where several predicates hold fails."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    if not pairs:
        if default is None:
            raise ValueError("case needs at least one (pred, fn) pair or a default")
        return default()
    if default is None:
        default = pairs[-1][1]
        pairs = pairs[:-1]
        if not pairs:
            return default()
    if exclusive:
        from graphflow.ops.check_ops import Assert
        from graphflow.ops.math_ops import cast
        from graphflow.ops.reduce_ops import reduce_sum
        count = reduce_sum([cast(p, _dt.int32) for p, _ in pairs])
        check = Assert(count <= 1, [f"{name}: more than one condition is true"])
        with get_default_graph().control_dependencies([check]):
            pairs = [(p & True, f) for p, f in pairs]

    def chain(k: int) -> Any:
        if k == len(pairs):
            return default()
        p, f = pairs[k]
        return cond(p, f, lambda: chain(k + 1))
    return chain(0)


# ---- WHILE --------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class WhileAttrs:
    cond: FuncGraph
    body: FuncGraph  # outputs: next loop values, then the per-iteration emitted values
    n_vars: int
    n_emit: int
    has_limit: bool
    cond_index: tuple[int, ...]  # node input holding each of cond's captures
    body_index: tuple[int, ...]
    shapes: tuple[TensorShape, ...]  # the loop values' shapes (shape_invariants)
    meta: dict = field(default_factory=dict, compare=False, hash=False)


def _while_shape(shapes: Sequence[TensorShape], at: WhileAttrs) -> list[TensorShape]:
    emits = [TensorShape([None] + (t.shape.as_list() if t.shape.rank is not None else []))
             if t.shape.rank is not None else TensorShape(None) for t in at.body.outputs[at.n_vars:]]
    stacks = [TensorShape([None] + s.as_list()) if s.rank is not None else TensorShape(None) for s in at.shapes]
    return list(at.shapes) + emits + [TensorShape([])] + stacks


def _while_dtype(dtypes: Sequence[Any], at: WhileAttrs) -> list[Any]:
    body = at.body.outputs
    return [t.dtype for t in body[:at.n_vars]] + [t.dtype for t in body[at.n_vars:]] + [_dt.int32] + \
        [t.dtype for t in body[:at.n_vars]]


def _while_ref(at: WhileAttrs, *ins: np.ndarray) -> list[np.ndarray]:
    vals = [np.asarray(v) for v in ins[:at.n_vars]]
    limit = int(ins[at.n_vars]) if at.has_limit else None
    cond_caps = [ins[i] for i in at.cond_index]
    body_caps = [ins[i] for i in at.body_index]
    emitted: list[list[np.ndarray]] = [[] for _ in range(at.n_emit)]
    stacks: list[list[np.ndarray]] = [[] for _ in range(at.n_vars)]
    it = 0
    while (limit is None or it < limit) and bool(evaluate_graph(at.cond, vals, cond_caps)[0]):
        for s, v in zip(stacks, vals):
            s.append(v)
        outs = evaluate_graph(at.body, vals, body_caps)
        vals = [np.asarray(o).astype(v.dtype) for o, v in zip(outs[:at.n_vars], vals)]
        for e, o in zip(emitted, outs[at.n_vars:]):
            e.append(np.asarray(o))
        it += 1

    def stack(items: list[np.ndarray], like: Tensor) -> np.ndarray:
        if items and all(x.shape == items[0].shape for x in items):
            return np.stack(items)
        # no values, or values of varying shape (shape_invariants): an empty stack, which any
        # reader (the loop's gradient) rejects as an out-of-range index instead of using it
        shape = [0] + [d or 0 for d in like.shape.as_list()] if like.shape.rank is not None else [0]
        return np.zeros(shape, like.dtype.np)
    emits = [stack(e, t) for e, t in zip(emitted, at.body.outputs[at.n_vars:])]
    recorded = [stack(s, t) for s, t in zip(stacks, at.body.inputs)]
    return vals + emits + [np.int32(it)] + recorded


register(OpDef(Op.WHILE, Kind.OTHER, _while_shape, _while_dtype, _while_ref, stateful=True,
               vjp=lambda n, g: _while_vjp(n, g)))


def _outer_controls(graphs: Sequence[FuncGraph]) -> list[Operation]:
    out: list[Operation] = []
    for g in graphs:
        out += [c for c in g.outer_controls if c not in out]
    return out


def _merge_captures(graphs: Sequence[FuncGraph], first: int) -> tuple[list[Tensor], list[tuple[int, ...]]]:
    """The outer tensors ``graphs`` capture, each once, and per graph the node input (numbered
    from ``first``) holding each of its captures."""
    captures: list[Tensor] = []
    index = []
    for g in graphs:
        idx = []
        for t, _ in g.captures:
            pos = next((i for i, u in enumerate(captures) if u is t), None)
            if pos is None:
                captures.append(t)
                pos = len(captures) - 1
            idx.append(first + pos)
        index.append(tuple(idx))
    return captures, index


def make_while(cond_fn: Callable[..., Any], body_fn: Callable[..., Any], init: list[Tensor],
               shapes: list[TensorShape], n_emit_hint: int | None, limit: Any, name: str,
               structure: Any = None) -> Operation:
    """Trace cond and body over loop values shaped ``shapes`` and add the WHILE node. ``body_fn``
    takes the flat loop values and returns the flat next values followed by emitted values."""
    outer = get_default_graph()
    specs = [(t.dtype, s) for t, s in zip(init, shapes)]
    gc, _ = trace(cond_fn, specs, f"{name}_cond", outer)
    if len(gc.outputs) != 1 or not gc.outputs[0].dtype.is_bool or gc.outputs[0].shape.rank not in (0, None):
        raise TypeError(f"while_loop's cond must return a bool scalar, got "
                        f"{[f'{t.dtype.name} {t.shape}' for t in gc.outputs]}")
    gb, _ = trace(body_fn, specs, f"{name}_body", outer)
    for g in (gc, gb):
        if g.assigned:
            raise NotImplementedError(f"while_loop: assigning variables inside the loop "
                                      f"({', '.join(v.name for v in g.assigned)}) is not supported; "
                                      "carry the values as loop variables and assign after the loop")
    n = len(init)
    if len(gb.outputs) < n:
        raise ValueError(f"while_loop's body returned {len(gb.outputs)} values for {n} loop variables")
    for k, (t, o, s) in enumerate(zip(init, gb.outputs, shapes)):
        if o.dtype != t.dtype:
            raise TypeError(f"loop variable {k} enters the loop as {t.dtype.name} but the body "
                            f"returns {o.dtype.name}")
        loosened = s.rank is not None and o.shape.rank is not None and \
            any(a is not None and b is None for a, b in zip(s.dims, o.shape.dims))
        if not s.is_compatible_with(o.shape) or loosened:
            raise ValueError(f"Input tensor '{t.name}' enters the loop with shape {s}, but has shape "
                             f"{o.shape} after one iteration. To allow the shape to vary across "
                             "iterations, use the `shape_invariants` argument of tf.while_loop to "
                             "specify a less-specific shape.")
    inputs = list(init)
    has_limit = limit is not None
    if has_limit:
        inputs.append(convert_to_tensor(limit, dtype=_dt.int32) if not isinstance(limit, Tensor)
                      else _cast_int32(limit))
    # the body's random draws become emitted values too: the loop's gradient reads iteration k's
    # draws from their stacks (recorded only when a gradient asks) instead of drawing anew
    from graphflow.ops.func_graph import _needed
    live = _needed(gb)
    randoms = [m.outputs[0] for m in gb.get_operations() if id(m) in live and m.op is Op.RANDOM]
    first_random = len(gb.outputs) - n
    gb.outputs = list(gb.outputs) + randoms
    captures, (ci, bi) = _merge_captures([gc, gb], len(inputs))
    at = WhileAttrs(gc, gb, n, len(gb.outputs) - n, has_limit, ci, bi, tuple(shapes),
                    {"structure": structure, "randoms": (first_random, randoms)})
    return outer.add_node(Op.WHILE, inputs + captures, at, name=name, control_inputs=_outer_controls([gc, gb]))


def _cast_int32(t: Tensor) -> Tensor:
    from graphflow.ops.math_ops import cast
    return t if t.dtype == _dt.int32 else cast(t, _dt.int32)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               shape_invariants: Any = None, parallel_iterations: int = 10, back_prop: bool = True,
               swap_memory: bool = False, name: str | None = None, maximum_iterations: Any = None,
               return_same_structure: bool = False) -> Any:
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``, at most
    ``maximum_iterations`` times; loop_vars may be any nesting of tensors. A loop variable's
    shape may change between iterations only as its ``shape_invariants`` entry allows.

    >>> import graphflow as gf
    >>> i = gf.while_loop(lambda i: i < 10, lambda i: i + 1, [gf.constant(0)])
    >>> i.dtype
    gf.int32
    """
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop needs callable cond and body")
    flat = [convert_to_tensor(v) for v in flatten(loop_vars)]
    if not flat:
        raise ValueError("while_loop needs at least one loop variable")
    if shape_invariants is None:
        shapes = [t.shape for t in flat]
    else:
        inv = flatten(shape_invariants)
        if len(inv) != len(flat):
            raise ValueError(f"shape_invariants has {len(inv)} entries for {len(flat)} loop variables")
        shapes = []
        for t, s in zip(flat, inv):
            s = as_shape(s)
            if not s.is_compatible_with(t.shape):
                raise ValueError(f"shape_invariants entry {s} is not compatible with the shape "
                                 f"{t.shape} of loop variable {t.name}")
            shapes.append(s)
    single = not isinstance(loop_vars, (list, tuple, dict))

    def c(*vs: Tensor) -> Any:
        args = pack_as(loop_vars, list(vs))
        return cond(args) if single else cond(*args) if isinstance(loop_vars, (list, tuple)) else cond(args)

    def b(*vs: Tensor) -> Any:
        args = pack_as(loop_vars, list(vs))
        out = body(args) if single else body(*args) if isinstance(loop_vars, (list, tuple)) else body(args)
        res = flatten(out)
        if len(res) != len(flat):
            raise ValueError(f"while_loop's body must return the structure of loop_vars "
                             f"({len(flat)} tensors), got {len(res)}")
        return [convert_to_tensor(r, dtype=t.dtype) if not isinstance(r, Tensor) else r
                for r, t in zip(res, flat)]
    node = make_while(c, b, flat, shapes, 0, maximum_iterations, name or "while", loop_vars)
    outs = list(node.outputs[:len(flat)])
    for o, s in zip(outs, shapes):
        o.set_shape(s)
    if single:
        return outs[0]
    packed = pack_as(loop_vars, outs)
    if not return_same_structure and isinstance(packed, (list, tuple)) and len(packed) == 1:
        return packed[0]
    return packed


from graphflow.control_flow_fns import foldl, foldr, map_fn, scan  # noqa: E402,F401
from graphflow.control_flow_grad import _while_vjp  # noqa: E402
