"""What a WHILE keeps for its gradient: the body's intermediate values the gradient reads.

Without them, the gradient loop would rebuild the body on iteration k's loop values and compute
every matmul and activation of the forward pass a second time. TF1 pushes such values onto
stacks inside the forward loop instead; so does graphflow. When a loop is built, ``saved_values``
differentiates a scratch copy of its body (the gradient the loop's vjp will build) and lists the
body values that gradient reads. The body emits them after its other outputs; the compiled loop
stacks them only when a gradient reads those outputs (and computes them as outputs only then),
and the gradient loop reads iteration k's values from the stacks (``substitute``).

A stack holds one shape, so only values whose shape cannot change between iterations are saved:
a value whose static shape is fully known, or whose op's output shape follows its inputs' shapes
(elementwise ops, reductions, matmul, concat, gather, convolutions...), or whose shape comes from
integer operands that do not change between iterations (constants, captures), provided its inputs
are fixed-shape too. The loop's arguments are fixed-shape unless ``shape_invariants`` loosened
them. Anything else the gradient still recomputes from the loop values.
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.ops.func_graph import FuncGraph, copy_nodes, rebuild

# ops whose output shape is a function of their inputs' shapes (and attributes) alone
_FOLLOWS_SHAPES = frozenset({
    Op.MATMUL, Op.TRANSPOSE, Op.CONCAT, Op.GATHER, Op.GATHER_ND, Op.ONE_HOT, Op.CONV2D, Op.MAX_POOL,
    Op.AVG_POOL, Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD, Op.ARGMAX, Op.ARGMIN, Op.KEEP_DIMS, Op.SELECT,
    Op.IDENTITY, Op.STOP_GRADIENT, Op.CAST})
# ops whose output shape comes from the values of their integer operands (or attributes)
_SHAPED_BY_OPERANDS = frozenset({
    Op.RESHAPE, Op.SLICE, Op.SLICE_GRAD, Op.PAD, Op.TILE, Op.BROADCAST_TO, Op.SUM_TO, Op.FILL,
    Op.CONV2D_BACKPROP_INPUT, Op.CONV2D_BACKPROP_FILTER, Op.MAX_POOL_GRAD, Op.AVG_POOL_GRAD,
    Op.TOP_K_INDICES})


# (op, input) positions whose tensor an op reads for its shape alone: a gradient's ``like``
_SHAPE_READS = frozenset({(Op.SUM_TO, 1), (Op.BROADCAST_TO, 1), (Op.SLICE_GRAD, 1), (Op.KEEP_DIMS, 1)})


def saved_values(body: FuncGraph, n_vars: int, n_emit: int, loosened: bool) -> tuple[list[Tensor], frozenset[int]]:
    """The values of ``body`` (a loop body whose first ``n_vars`` outputs are the next loop values
    and the following ``n_emit`` the emitted ones) that its gradient reads and a stack can hold,
    and the positions among them of those it reads for their shape alone (the ``like`` of an
    autodiff ``SumTo`` whose operands' batch dim is known only at run time): a target may keep
    one shape for those instead of every iteration's values, since a saved value's shape is the
    same in every iteration."""
    read = _gradient_reads(body, n_vars, n_emit)
    if not read:
        return [], frozenset()
    fixed = fixed_shapes(body, loosened)
    kept = [(t, data) for t, data in read if t.node.op not in (Op.PLACEHOLDER, Op.CONST, Op.RANDOM)
            and t.shape.rank is not None and fixed.get(id(t), False)]
    return [t for t, _ in kept], frozenset(j for j, (_, data) in enumerate(kept) if not data)


def substitute(grad_ops: Sequence[Operation], copies: dict[int, Tensor],
               saved: Sequence[tuple[Tensor, Tensor]]) -> dict[int, Tensor]:
    """Rebuild the gradient's nodes ``grad_ops`` reading, for each (body value, its value this
    iteration) in ``saved``, that value instead of the body copy's recomputation of it (``copies``:
    body tensor id -> copy). Returns the map from each replaced tensor to its replacement."""
    subst = {id(copies[id(t)]): v for t, v in saved if id(t) in copies}
    return rebuild(grad_ops, subst) if subst else {}


def _gradient_reads(body: FuncGraph, n_vars: int, n_emit: int) -> list[tuple[Tensor, bool]]:
    """Differentiate a scratch copy of ``body`` as the loop's vjp does (every float loop value and
    capture, weighted by every float next value and emitted value) and return the body values its
    nodes read, each with whether any node reads its data (not its shape alone); [] when the body
    has no gradient (an op without one, say)."""
    phs = list(body.inputs) + [ph for _, ph in body.captures]
    outs = body.outputs
    ys_of = [t for t in list(outs[:n_vars]) + list(outs[n_vars:n_vars + n_emit]) if t.dtype.is_floating]
    if not ys_of or not any(ph.dtype.is_floating for ph in phs):
        return []
    scratch = FuncGraph(body.outer, f"{body.name}_probe")
    try:
        with scratch.as_default():
            mapping = {id(ph): scratch.placeholder_like(ph, f"arg_{i}") for i, ph in enumerate(phs)}
            copies = copy_nodes(body, mapping)
            first = len(scratch.get_operations())
            ys = [copies[id(t)] for t in ys_of]
            gys = [scratch.placeholder_like(y, f"grad_{i}") for i, y in enumerate(ys)]
            xs = [mapping[id(ph)] for ph in phs if ph.dtype.is_floating]
            gradients(ys, xs, grad_ys=gys)
    except Exception:  # noqa: BLE001  (any failure: the loop keeps nothing and its vjp, if ever
        return []      # built, recomputes or raises as it would without saved values)
    original = {id(copies[id(t)]): t for n in body.get_operations() for t in n.outputs if id(t) in copies}
    read: dict[int, Tensor] = {}
    data: set[int] = set()
    for n in scratch.get_operations()[first:]:
        for j, t in enumerate(n.inputs):
            o = original.get(id(t))
            if o is not None:
                read.setdefault(id(o), o)
                if not _shape_read(n, j):
                    data.add(id(o))
    return [(t, id(t) in data) for t in read.values()]


def _shape_read(n: Operation, j: int) -> bool:
    """Whether ``n`` reads its input ``j`` for the shape alone."""
    if n.op is Op.RESHAPE:  # a dim of a reference, unless the spec reads one of its values
        return j > 0 and not any(isinstance(i, tuple) and len(i) == 3 and i[1] == j for i in n.attrs.spec)
    return (n.op, j) in _SHAPE_READS


def fixed_shapes(body: FuncGraph, loosened: bool) -> dict[int, bool]:
    """Per tensor of ``body`` (a loop body, or one being traced): True where its shape is the same
    in every iteration. ``loosened``: shape_invariants let the loop's arguments change shape."""
    fixed: dict[int, bool] = {}
    invariant: dict[int, bool] = {}  # the value itself is the same in every iteration
    args = {id(t) for t in body.inputs}
    for n in body.get_operations():
        ins_fixed = all(fixed.get(id(t), False) for t in n.inputs)
        ins_invariant = all(invariant.get(id(t), False) for t in n.inputs)
        if n.op is Op.PLACEHOLDER:
            is_arg = id(n.outputs[0]) in args
            f, v = not (is_arg and loosened), not is_arg
        elif n.op is Op.RANDOM:
            f, v = ins_fixed, False
        else:
            kind = get(n.op).kind
            v = ins_invariant and not get(n.op).stateful
            if kind in (Kind.ELEMENTWISE, Kind.REDUCE) or n.op in _FOLLOWS_SHAPES:
                f = ins_fixed
            elif n.op in _SHAPED_BY_OPERANDS:
                f = ins_fixed and all(invariant.get(id(t), False) for t in n.inputs if not t.dtype.is_floating)
            else:
                f = v
        for t in n.outputs:
            fixed[id(t)] = f or t.shape.is_fully_defined()
            invariant[id(t)] = v
    return fixed
