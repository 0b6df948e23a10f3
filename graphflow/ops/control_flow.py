"""Control flow: ``tf.cond``, ``tf.case``, ``tf.while_loop`` and ``map_fn``/``scan``/``foldl``/
``foldr`` on top of it.

COND and WHILE are primitives whose bodies are FuncGraphs (func_graph.py). The CPU target
lowers them to an ``if``/``while`` around the bodies' code (compiler/cpu/control_flow.py), so only
the taken branch runs and a loop's code does not grow with its iteration count.

The WHILE primitive and its gradient live in control_flow_while.py, ``map_fn``/``scan``/
``foldl``/``foldr`` in control_flow_fns.py; this module holds COND and the user-facing ``cond``,
``case`` and ``while_loop``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.autodiff import gradients
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import TensorLike
from graphflow.ops.check_ops import Assert
from graphflow.ops.control_flow_fns import foldl, foldr, map_fn, scan  # noqa: F401  (tf.map_fn etc.)
from graphflow.ops.control_flow_grad import no_random
from graphflow.ops.control_flow_while import make_while, merge_captures, outer_controls  # noqa: F401  (make_while: nn.rnn)
from graphflow.ops.elementwise_ops import equal, identity
from graphflow.ops.func_graph import FuncGraph, copy_graph, evaluate_graph, flatten, pack_as, trace
from graphflow.ops.math_ops import cast
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.ops.state_ops import assign, no_op, zeros_like
from graphflow.ops.tensor_array import LoopRecord, TensorArray

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


def _cond_ref(at: CondAttrs, pred: np.ndarray, *ins: np.ndarray) -> list[np.ndarray]:
    k = 0 if bool(np.asarray(pred)) else 1
    g = at.branches[k]
    return evaluate_graph(g, [], [ins[i - 1] for i in at.capture_index[k]])


def _cond_vjp(n: Operation, grads: Tensor | list[Tensor]) -> list:
    at: CondAttrs = n.attrs
    for b in at.branches:
        no_random(b, n)
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


def cond(pred: TensorLike, true_fn: Callable[[], Any] | None = None, false_fn: Callable[[], Any] | None = None,
         strict: bool = False, name: str | None = None, fn1: Callable[[], Any] | None = None,
         fn2: Callable[[], Any] | None = None) -> Any:
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
    carry = bool(getattr(outer, "carry_assignments", False))  # inside a while body: assignments are values
    arrays: dict[int, TensorArray] = {}  # TensorArrays the branches return: their buffers are the outputs
    gt, rt = trace(_arrays_as_buffers(true_fn, arrays), [], "cond_true", outer, carry_assignments=carry)
    gf_, rf = trace(_arrays_as_buffers(false_fn, arrays), [], "cond_false", outer, carry_assignments=carry)
    n_user = len(gt.outputs)
    if len(gt.outputs) != len(gf_.outputs):
        raise ValueError(f"cond branches must return the same structure: the true branch returns "
                         f"{len(gt.outputs)} tensors, the false branch {len(gf_.outputs)}")
    for a, b in zip(gt.outputs, gf_.outputs):
        if a.dtype != b.dtype:
            raise TypeError(f"cond branches return different dtypes: {a.dtype.name} (true) and "
                            f"{b.dtype.name} (false)")
        if a.shape.rank is not None and b.shape.rank is not None and a.shape.rank != b.shape.rank:
            raise ValueError(f"cond branches return different ranks: {a.shape} and {b.shape}")
    carried = _carry_branches(gt, gf_) if carry else []
    captures, index = merge_captures([gt, gf_], 1)
    waits = outer_controls([gt, gf_])
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
    for k, var in enumerate(carried):  # the enclosing body sees, and carries, the branch's value
        value = node.outputs[n_user + k]
        outer._captured[id(var)] = value  # type: ignore[attr-defined]
        outer.carried[id(var)] = (var, value)  # type: ignore[attr-defined]
    if not n_user:
        return no_op() if rt is None else node
    outs: list[Any] = list(node.outputs)[:n_user]
    for k, template in arrays.items():
        outs[k] = template.from_buffer(outs[k])
    if not isinstance(rt, (list, tuple, dict)):
        return outs[0]
    return pack_as(rt, outs)


def _arrays_as_buffers(fn: Callable[[], Any], arrays: dict[int, TensorArray]) -> Callable[[], Any]:
    """``fn`` returning, in place of each TensorArray, its stacked buffer (``arrays`` keeps the
    first branch's array per output position, to rebuild the array from the cond's output)."""
    def run() -> Any:
        result = fn()
        flat = flatten(result)
        if not any(isinstance(v, TensorArray) for v in flat):
            return result
        out = []
        for k, v in enumerate(flat):
            if isinstance(v, TensorArray):
                arrays.setdefault(k, v)
                v = v.stack()
            out.append(v)
        return pack_as(result, out)
    return run


def _carry_branches(*branches: FuncGraph) -> list[Tensor]:
    """The variables the branches of a cond inside a while body assign: each branch also returns
    every such variable's value at its end (assigned there, or as it came in)."""
    carried: list[Tensor] = []
    for g in branches:
        carried += [var for var, _ in g.carried.values() if all(var is not c for c in carried)]
    for g in branches:
        with g.as_default():
            g.outputs = list(g.outputs) + [g.carried[id(var)][1] if id(var) in g.carried else g.capture(var)
                                           for var in carried]
    return carried


def case(pred_fn_pairs: Mapping[Tensor, Callable[[], Any]] | Sequence[tuple[TensorLike, Callable[[], Any]]],
         default: Callable[[], Any] | None = None, exclusive: bool = False,
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


def switch_case(branch_index: Tensor, branch_fns: Mapping[int, Callable[[], Any]] | Sequence[Any],
                default: Callable[[], Any] | None = None, name: str = "switch_case") -> Any:
    """The result of ``branch_fns[branch_index]()`` (a list of fns, or int keys 0..n-1 to fns);
    an index out of range runs ``default``, or the last branch when there is none, as TF1. Only
    the taken branch runs (nested conds).

    >>> import graphflow as gf
    >>> gf.switch_case(gf.constant(1), [lambda: gf.constant(10), lambda: gf.constant(20)]).shape.as_list()
    []
    """
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"'branch_index' must be a Tensor, got {type(branch_index)}")
    if not branch_index.dtype.is_integer:
        raise TypeError(f"'branch_index' must be an integer Tensor, got {branch_index.dtype}")
    if not branch_fns:
        raise ValueError("Must provide at least one item in 'branch_fns'")
    if not isinstance(branch_fns, (list, tuple, dict)):
        raise TypeError("'branch_fns' must be a list, tuple, or dict")
    pairs: list[Any] = list(branch_fns.items()) if isinstance(branch_fns, dict) else list(branch_fns)
    if all(callable(fn) for fn in pairs):
        pairs = list(enumerate(pairs))
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'branch_fns' must be a 2-tuple. Received {pair}.")
        if not isinstance(pair[0], int):
            raise TypeError(f"key must be a Python `int`, got {type(pair[0])}")
        if not callable(pair[1]):
            raise TypeError(f"fn for key {pair[0]} must be callable.")
    keys = sorted(k for k, _ in pairs)
    if keys != list(range(len(keys))):
        raise ValueError(f"branch indices (keys) must form contiguous range of [0 to {len(keys)}) but found "
                         "{" + ",".join(map(str, keys)) + "}")
    actions = [fn for _, fn in sorted(pairs, key=lambda p: p[0])] + ([default] if default is not None else [])

    def chain(k: int) -> Any:
        if k == len(actions) - 1:
            return actions[k]()
        return cond(equal(branch_index, k), actions[k], lambda: chain(k + 1), name=f"{name}_{k}")
    return chain(0)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: object,
               shape_invariants: object = None, parallel_iterations: int = 10, back_prop: bool = True,
               swap_memory: bool = False, name: str | None = None, maximum_iterations: TensorLike | None = None,
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
    given = flatten(loop_vars)
    arrays = {j: v for j, v in enumerate(given) if isinstance(v, TensorArray)}  # these record writes instead
    flat = [convert_to_tensor(v) for j, v in enumerate(given) if j not in arrays]
    if not flat:
        raise ValueError("while_loop needs at least one loop variable that is a tensor")
    if shape_invariants is None:
        shapes = [t.shape for t in flat]
    else:
        inv = flatten(shape_invariants)
        if len(inv) != len(given):
            raise ValueError(f"shape_invariants has {len(inv)} entries for {len(given)} loop variables")
        shapes = []
        for t, s in zip(flat, [s for j, s in enumerate(inv) if j not in arrays]):
            s = as_shape(s)
            if not s.is_compatible_with(t.shape):
                raise ValueError(f"shape_invariants entry {s} is not compatible with the shape "
                                 f"{t.shape} of loop variable {t.name}")
            shapes.append(s)
    single = not isinstance(loop_vars, (list, tuple, dict))
    bases = {j: ta.before_loop() for j, ta in arrays.items()}
    here = get_default_graph()

    def call(fn: Callable[..., Any], vs: Sequence[Tensor]) -> tuple[Any, list[Any]]:  # the loop values as seen
        it = iter(vs)
        args_flat = [arrays[j].loop_view(bases[j], LoopRecord(outer=here)) if j in arrays else next(it)
                     for j in range(len(given))]
        args = pack_as(loop_vars, args_flat)
        return (fn(args) if single else fn(*args) if isinstance(loop_vars, (list, tuple)) else fn(args)), args_flat

    def c(*vs: Tensor) -> Any:
        return call(cond, vs)[0]

    returned: dict[int, TensorArray] = {}
    written: dict[int, int] = {}  # TensorArray position -> how many emitted values its writes take (0 or 2)

    def b(*vs: Tensor) -> Any:
        out, _ = call(body, vs)
        res = flatten(out)
        if len(res) != len(given):
            raise ValueError(f"while_loop's body must return the structure of loop_vars "
                             f"({len(given)} values), got {len(res)}")
        nxt, emits = [], []
        for j, (r, g) in enumerate(zip(res, given)):
            if j in arrays:
                w = arrays[j].loop_writes(r)
                returned[j], written[j] = r, len(w)
                emits += w
            else:
                nxt.append(convert_to_tensor(r, dtype=g.dtype) if not isinstance(r, Tensor) else r)
        return nxt + emits
    # values given shape invariants with unknown dims may change shape (a growing concat's result)
    varying = [k for k, s in enumerate(shapes) if s.rank is not None and not s.is_fully_defined()] \
        if shape_invariants is not None else []
    node = make_while(c, b, flat, shapes, 0, maximum_iterations, name or "while", loop_vars, save=bool(back_prop),
                      carry=True, varying=varying)
    carried = node.attrs.meta["carried"]
    n_late = node.attrs.meta["late"]  # the buffers of arrays the body reads and writes
    outs = list(node.outputs[:len(flat)])
    for o, s in zip(outs, shapes):
        o.set_shape(s)
    buffers = list(node.outputs[len(flat):len(flat) + n_late])
    first = len(flat) + n_late
    emits = list(node.outputs[first + len(carried):first + len(carried) + sum(written.values())])
    if carried:  # the variables the body assigns take their final values before the loop's results are seen
        finals = node.outputs[first:first + len(carried)]
        writes = [assign(var, v) for var, v in zip(carried, finals)]
        with get_default_graph().control_dependencies(writes):
            outs = [identity(o) for o in outs]
            emits = [identity(e) for e in emits]  # what TensorArrays read after the loop, too
            buffers = [identity(b) for b in buffers]
    emitted = iter(emits)
    tensors = iter(outs)
    whole = iter(buffers)
    final = []
    for j in range(len(given)):
        if j in arrays:
            carried_buffer = next(whole) if returned[j]._state.loop.carried else None
            final.append(arrays[j].after_loop(returned[j], [next(emitted) for _ in range(written[j])],
                                              carried_buffer))
        else:
            final.append(next(tensors))
    if single:
        return final[0]
    packed = pack_as(loop_vars, final)
    if not return_same_structure and isinstance(packed, (list, tuple)) and len(packed) == 1:
        return packed[0]
    return packed

