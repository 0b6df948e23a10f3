"""The WHILE primitive: its row (shape, dtype, reference, gradient) and ``make_while``, which
traces a loop's cond and body into FuncGraphs and adds the node.

A WHILE node's inputs are the initial loop values, the iteration limit (when given) and the
tensors its functions capture; its outputs are the final loop values, the per-iteration values
the body emits stacked along a new first dim (what ``scan`` and ``map_fn`` collect), the
iteration count, and (for gradients) each loop value's stack of per-iteration values.

The gradient is a second WHILE that runs the body's gradient backwards. The forward loop stacks
each loop value at the start of every iteration (its last outputs). Iteration k of the gradient
loop reads iteration k's values from those stacks, rebuilds the body on them (a copy of the
body's FuncGraph) and differentiates it: the incoming gradients of the loop values become the
gradients of iteration k's inputs, and the gradients of the captured tensors accumulate. Emitted
values' gradients (``scan``, ``map_fn``) join at their iteration.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.autodiff import gradients, needed_inputs, received_outputs
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops.array_ops import gather
from graphflow.ops.control_flow_grad import no_random
from graphflow.ops.control_flow_saved import fixed_shapes, saved_values, substitute
from graphflow.ops.control_flow_sums import Moved, finish, split
from graphflow.ops.func_graph import FuncGraph, _needed, copy_nodes, evaluate_graph, trace
from graphflow.ops.math_ops import cast
from graphflow.ops.run_time_args import slice as slice_at
from graphflow.ops.state_ops import zeros, zeros_like

# ---- the primitive --------------------------------------------------------------------------------------

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
    # meta["ragged"]: the loop values whose shape may change between iterations (looser shape
    # invariants than their initial values, or a dynamic_size TensorArray's buffer): their
    # recorded stacks are zero-padded to the largest iteration's shape, and a table output (one
    # [iterations, rank] int32 per such value, after the recorded stacks) holds each one's shape
    meta: dict = field(default_factory=dict, compare=False, hash=False)


def _while_shape(shapes: Sequence[TensorShape], at: WhileAttrs) -> list[TensorShape]:
    emits = [TensorShape([None] + (t.shape.as_list() if t.shape.rank is not None else []))
             if t.shape.rank is not None else TensorShape(None) for t in at.body.outputs[at.n_vars:]]
    stacks = [TensorShape([None] + s.as_list()) if s.rank is not None else TensorShape(None) for s in at.shapes]
    tables = [TensorShape([None, at.shapes[i].rank]) for i in at.meta.get("ragged", ())]
    return list(at.shapes) + emits + [TensorShape([])] + stacks + tables


def _while_dtype(dtypes: Sequence[Any], at: WhileAttrs) -> list[Any]:
    body = at.body.outputs
    return [t.dtype for t in body[:at.n_vars]] + [t.dtype for t in body[at.n_vars:]] + [_dt.int32] + \
        [t.dtype for t in body[:at.n_vars]] + [_dt.int32] * len(at.meta.get("ragged", ()))


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

    def stack(items: list[np.ndarray], like: Tensor, emitted: bool = False) -> np.ndarray:
        if items and all(x.shape == items[0].shape for x in items):
            return np.stack(items)
        if items and emitted:  # what scan, map_fn and TensorArray writes collect: one shape, as compiled
            later = next(x.shape for x in items if x.shape != items[0].shape)
            raise ValueError(f"Incompatible shapes: a while_loop emits {like.name} with shape "
                             f"{items[0].shape} in its first iteration and {later} later; "
                             "each iteration must emit the same shape")
        # no values, or values of varying shape (shape_invariants): an empty stack, which any
        # reader (the loop's gradient) rejects as an out-of-range index instead of using it
        shape = [0] + [d or 0 for d in like.shape.as_list()] if like.shape.rank is not None else [0]
        return np.zeros(shape, like.dtype.np)
    emits = [stack(e, t, emitted=True) for e, t in zip(emitted, at.body.outputs[at.n_vars:])]
    ragged = at.meta.get("ragged", ())
    recorded = [padded(s, t) if i in ragged else stack(s, t) for i, (s, t) in enumerate(zip(stacks, at.body.inputs))]
    tables = [np.array([x.shape for x in stacks[i]], np.int32).reshape(len(stacks[i]), at.shapes[i].rank)
              for i in ragged]
    return vals + emits + [np.int32(it)] + recorded + tables


def padded(items: list[np.ndarray], like: Tensor) -> np.ndarray:
    """Values whose shape changes between iterations, stacked zero-padded to the largest
    extent of each dim (the loop's table output keeps each one's shape)."""
    rank = like.shape.rank
    dims = [max((x.shape[d] for x in items), default=0) for d in range(rank)]
    out = np.zeros([len(items)] + dims, like.dtype.np)
    for k, x in enumerate(items):
        out[(k,) + tuple(slice(0, e) for e in x.shape)] = x
    return out


def outer_controls(graphs: Sequence[FuncGraph]) -> list[Operation]:
    out: list[Operation] = []
    for g in graphs:
        out += [c for c in g.outer_controls if c not in out]
    return out


def merge_captures(graphs: Sequence[FuncGraph], first: int) -> tuple[list[Tensor], list[tuple[int, ...]]]:
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
               shapes: list[TensorShape], n_emit_hint: int | None, limit: TensorLike | None, name: str,
               structure: object = None, save: bool = True, carry: bool = False,
               varying: Sequence[int] = ()) -> Operation:
    """Trace cond and body over loop values shaped ``shapes`` and add the WHILE node. ``body_fn``
    takes the flat loop values and returns the flat next values followed by emitted values.
    ``save``: the body also emits the values its gradient reads (control_flow_saved.py); the
    gradient's own loops do not. ``carry``: variables the body assigns become loop values after
    the given ones (``meta["carried"]`` lists them; the caller assigns their final values), so
    each iteration's reads see the previous one's assignments. ``varying``: loop values whose
    shape may change between iterations though their initial value's static shape is no more
    specific than ``shapes`` (shape_invariants given with unknown dims)."""
    outer = get_default_graph()
    specs = [(t.dtype, s) for t, s in zip(init, shapes)]
    gb, _ = trace(body_fn, specs, f"{name}_body", outer, carry_assignments=carry)
    late = list(gb.late_loop_values)
    grows = {len(init) + k for k, (_, _, _, grown) in enumerate(late) if grown} | set(varying)
    if late:
        init, shapes, specs = _late(gb, late, list(init), list(shapes))
    carried = [var for var, _ in gb.carried.values()]
    if carried:
        init, shapes, specs = _carry(gb, carried, list(init), list(shapes))
    n_given = len(init) - len(carried) - len(late)
    gc, _ = trace(lambda *vs: cond_fn(*vs[:n_given]), specs, f"{name}_cond", outer, variables=carried)
    if len(gc.outputs) != 1 or not gc.outputs[0].dtype.is_bool or gc.outputs[0].shape.rank not in (0, None):
        raise TypeError(f"while_loop's cond must return a bool scalar, got "
                        f"{[f'{t.dtype.name} {t.shape}' for t in gc.outputs]}")
    for g in (gc, gb):
        if g.assigned:
            where = "a cond nested in the body" if g is gb and carry else "the loop's cond" if g is gc else "the loop"
            raise NotImplementedError(f"while_loop: assigning variables inside {where} "
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
    live = _needed(gb)
    randoms = [m.outputs[0] for m in gb.get_operations() if id(m) in live and m.op is Op.RANDOM]
    first_random = len(gb.outputs) - n
    grows |= {i for i, (s, t) in enumerate(zip(shapes, init)) if s.rank is not None and _looser(s, t.shape)}
    loosened = bool(grows) or any(_looser(s, t.shape) for s, t in zip(shapes, init))
    saved, shape_only = saved_values(gb, n, first_random, loosened) if save else ([], frozenset())
    gb.outputs = list(gb.outputs) + randoms + saved
    captures, (ci, bi) = merge_captures([gc, gb], len(inputs))
    at = WhileAttrs(gc, gb, n, len(gb.outputs) - n, has_limit, ci, bi, tuple(shapes),
                    {"structure": structure, "randoms": (first_random, randoms),
                     "saved": (first_random + len(randoms), saved), "shape_only": shape_only,
                     "loosened": loosened, "ragged": tuple(sorted(grows))})
    at.meta["carried"] = carried
    at.meta["late"] = len(late)
    return outer.add_node(Op.WHILE, inputs + captures, at, name=name, control_inputs=outer_controls([gc, gb]))


def _late(gb: FuncGraph, late: list[tuple[Tensor, Tensor, TensorShape, bool]], init: list[Tensor],
          shapes: list[TensorShape]) -> tuple[list[Tensor], list[TensorShape], list[tuple[Any, TensorShape]]]:
    """Make values the body asked to carry (``FuncGraph.late_loop_values``: an outer tensor the
    body read, its next value, the shape every iteration keeps, and whether its dims may grow
    between iterations) loop values after the given
    ones: the placeholder the outer tensor was captured as becomes an argument, so what the body
    read from it is the value the previous iteration left (a TensorArray the same loop reads and
    writes, tensor_array.py)."""
    n = len(init)
    nexts = []
    for outer, nxt, shape, _ in late:
        ph = next((p for t, p in gb.captures if t is outer), None)
        if ph is None:
            ph = gb.placeholder_like(outer, "carried_array", shape=shape)
        else:
            gb.captures = [(t, p) for t, p in gb.captures if p is not ph]
        gb.inputs.append(ph)
        nexts.append(nxt)
        init = init + [outer]
        shapes = shapes + [shape]
    gb.outputs = list(gb.outputs[:n]) + nexts + list(gb.outputs[n:])
    return init, shapes, [(t.dtype, s) for t, s in zip(init, shapes)]


def _carry(gb: FuncGraph, carried: list[Tensor], init: list[Tensor],
           shapes: list[TensorShape]) -> tuple[list[Tensor], list[TensorShape], list[tuple[Any, TensorShape]]]:
    """Make the variables a body assigns loop values after the given ones: the placeholder of a
    variable read before its first assignment becomes an argument (else a new one does), its value
    after the last assignment an output after the given next values; each starts from the
    variable's value as the loop starts."""
    n = len(init)
    for var in carried:
        ph = next((p for t, p in gb.captures if t is var), None)
        if ph is None:
            ph = gb.variable_reads.get(id(var))
        if ph is None:
            ph = gb.placeholder_like(var, f"carried_{var.node.name}")
        else:  # read before its first assignment: that placeholder is the iteration's value
            gb.captures = [(t, p) for t, p in gb.captures if p is not ph]
        gb.inputs.append(ph)
    finals = [gb.carried[id(var)][1] for var in carried]
    gb.outputs = list(gb.outputs[:n]) + finals + list(gb.outputs[n:])
    init = init + carried
    shapes = shapes + [var.shape for var in carried]
    return init, shapes, [(t.dtype, s) for t, s in zip(init, shapes)]


def _looser(declared: TensorShape, given: TensorShape) -> bool:
    """``shape_invariants`` leave a dim (or the rank) open that the initial value fixes."""
    if declared.rank is None:
        return given.rank is not None
    return given.rank is not None and any(a is None and b is not None for a, b in zip(declared.dims, given.dims))


def _cast_int32(t: Tensor) -> Tensor:
    return t if t.dtype == _dt.int32 else cast(t, _dt.int32)

# ---- the gradient -------------------------------------------------------------------------------

def _while_vjp(n: Operation, grads: Tensor | list[Tensor]) -> list:
    at = n.attrs
    no_random(at.body, n, top=False)  # the body's own draws are recorded; nested functions' are not
    gs = grads if isinstance(grads, list) else [grads]
    nv, ne = at.n_vars, at.n_emit
    first_random, randoms = at.meta.get("randoms", (ne, []))
    first_saved, saved = at.meta.get("saved", (ne, []))
    outs = n.outputs
    count = outs[nv + ne]
    stacks = list(outs[nv + ne + 1:nv + ne + 1 + nv])
    ragged = list(at.meta.get("ragged", ()))
    tables = list(outs[nv + ne + 1 + nv:])
    first_cap = nv + (1 if at.has_limit else 0)
    caps = list(n.inputs[first_cap:])
    need = needed_inputs(n)
    fvars = [i for i in range(nv) if outs[i].dtype.is_floating]
    received = received_outputs(n)
    # emitted values' gradients join at their iteration; so do those of saved values, which reach
    # them only when this loop's gradient is itself differentiated (its loop read the stacks)
    femits = [e for e in range(first_random) if outs[nv + e].dtype.is_floating] + \
        [first_saved + j for j, t in enumerate(saved) if t.dtype.is_floating and received[nv + first_saved + j]]
    # only the captures the gradient is asked for: a loop's gradient with respect to a captured
    # sequence it reads one step at a time is a dense tensor per iteration
    fcaps = [j for j, t in enumerate(caps) if t.dtype.is_floating and need[first_cap + j]]
    body_caps = [(ph, n.inputs[i]) for (_, ph), i in zip(at.body.captures, at.body_index)]

    def gcond(k: Tensor, *rest: Tensor) -> Tensor:
        return k >= 0

    def gbody(k: Tensor, *rest: Tensor) -> list[Tensor]:
        g = get_default_graph()
        gv = rest[:len(fvars)]
        acc = rest[len(fvars):]
        vals = []
        for i in range(nv):
            v = gather(stacks[i], k)
            if i in ragged:  # its stack is zero-padded: iteration k's value is its table row's extent
                v = slice_at(v, zeros([at.shapes[i].rank], _dt.int32), gather(tables[ragged.index(i)], k))
            v.set_shape(at.shapes[i])
            vals.append(v)
        cap_in = {id(t): g.capture(t) for t in caps}
        mapping = {id(ph): v for ph, v in zip(at.body.inputs, vals)}
        mapping.update({id(ph): cap_in[id(t)] for ph, t in body_caps})
        for r, drawn in enumerate(randoms):  # iteration k's draws, as the forward loop made them
            d = gather(outs[nv + first_random + r], k)
            d.set_shape(drawn.shape)
            mapping[id(drawn)] = d
        copies = copy_nodes(at.body, mapping)
        body_outs = at.body.outputs
        ys = [copies[id(body_outs[i])] for i in fvars] + [copies[id(body_outs[nv + e])] for e in femits]
        gys = list(gv) + [gather(gs[nv + e], k) for e in femits]
        xs = [vals[i] for i in fvars] + [cap_in[id(caps[j])] for j in fcaps]
        start = len(g.get_operations())
        dx = gradients(ys, xs, grad_ys=gys) if ys else [None] * len(xs)
        if saved and ys:
            # the gradient reads iteration k's saved values instead of the copy's recomputation
            grad_ops = g.get_operations()[start:]
            now = []
            for j, t in enumerate(saved):
                v = gather(outs[nv + first_saved + j], k)
                v.set_shape(t.shape)
                now.append((t, v))
            new = substitute(grad_ops, copies, now)
            dx = [new.get(id(d), d) if d is not None else None for d in dx]
        new_gv = [d if d is not None else zeros_like(x) for d, x in zip(dx[:len(fvars)], xs)]
        for a, i in enumerate(fvars):  # iteration k's loop values were stacked: their gradients join here
            if received[nv + ne + 1 + i]:
                row = gather(gs[nv + ne + 1 + i], k)
                if i in ragged:  # the gradient of a zero-padded row: its table row's extent
                    row = slice_at(row, zeros([at.shapes[i].rank], _dt.int32), gather(tables[ragged.index(i)], k))
                new_gv[a] = new_gv[a] + row
        # contributions that are sums over rows are summed over iterations after the loop
        # (only where the loop's values keep their shapes: with shape_invariants nothing is moved)
        fixed = {} if at.meta.get("loosened", True) else fixed_shapes(g, False)
        new_acc = []
        for b, (a, d) in enumerate(zip(acc, dx[len(fvars):])):
            if d is None:
                new_acc.append(a)
                continue
            stay, moved[b] = split(d, fixed, emitted, reads)
            new_acc.append(a + stay if stay is not None else a)
            if stay is None:
                all_moved.add(b)
        return [k - 1] + new_gv + new_acc + emitted

    moved: dict[int, list[Moved]] = {}  # per float capture: its contributions summed after the loop
    all_moved: set[int] = set()  # captures whose accumulator the loop never adds to
    emitted: list[Tensor] = []
    reads: dict[int, bool] = {}  # per emitted value: whether a sum after the loop reads its data
    init = [count - 1] + [gs[i] for i in fvars] + [zeros_like(caps[j]) for j in fcaps]
    shapes = [count.shape] + [at.shapes[i] for i in fvars] + [caps[j].shape for j in fcaps]
    back = make_while(gcond, gbody, init, shapes, None, None, "while_grad", save=False,
                      varying=[1 + a for a, i in enumerate(fvars) if i in ragged])  # their gradients vary too
    back.attrs.meta["shape_only_emits"] = frozenset(e for e, data in reads.items() if not data)
    finals = back.outputs[:len(init)]
    result: list[Any] = [None] * len(n.inputs)
    for a, i in enumerate(fvars):
        result[i] = finals[1 + a]
    emit_stacks = [back.outputs[len(init) + e] for e in range(len(emitted))]
    for b, j in enumerate(fcaps):
        after = finish(caps[j], moved.get(b, []), emit_stacks)
        acc = finals[1 + len(fvars) + b]
        result[first_cap + j] = acc if after is None else after if b in all_moved else acc + after
    return result


register(OpDef(Op.WHILE, Kind.OTHER, _while_shape, _while_dtype, _while_ref, stateful=True, vjp=_while_vjp))
