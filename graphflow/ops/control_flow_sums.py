"""Sums over a loop's iterations moved after the loop: the gradient of a captured tensor.

A loop's gradient adds, in every iteration, that iteration's contribution to each captured
tensor's gradient. Some contributions are sums over rows already: the weight gradient of a
matmul ``P_k^T Q_k``, a bias gradient ``sum_to(G_k, bias)``, the gradient of a gathered row
``scatter_add(G_k, I_k, x)``. Summed over iterations, each is the same op applied once to the
per-iteration operands stacked: ``P^T Q`` over all T x B rows (one large GEMM instead of T skinny
ones and T accumulations), ``sum_to(G, bias)``, ``scatter_add(G, I, x)`` (a sequence's gradient
written once instead of a dense [T, ...] tensor accumulated in every iteration, which costs
T^2). The gradient loop then emits the operands instead of accumulating (``split``), and
``finish`` computes the sums from their stacks.

Operands are emitted only where their shape is the same in every iteration (a stack holds one
shape; ``control_flow_saved.fixed_shapes``); other contributions stay accumulated in the loop.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphflow.core.ir import Tensor
from graphflow.core.nodes import make
from graphflow.core.registry import Op
from graphflow.ops.concat_ops import AxisAttrs
from graphflow.ops.linalg_ops import MatMulAttrs
from graphflow.ops.shape_ops import reshape, reshape_spec


@dataclass(frozen=True)
class Moved:
    """One contribution computed after the loop: ``kind`` over the stacks of emitted values
    ``emits`` (positions among the gradient loop's emitted values). ``guards``: per operand, where
    it was autodiff's ``SumTo(g, like)`` guard over a run-time dim, the position of ``like``
    (emitted for its shape alone; ``g`` is the one in ``emits``), else None: the guard is applied
    to the stacks after the loop, so a gradient two sums read is stacked once."""
    kind: str  # "matmul" (P^T Q), "sum_to" (G summed to the capture's shape), "scatter" (G at rows I)
    emits: tuple[int, ...]
    guards: tuple[int | None, ...] = ()


def split(d: Tensor, fixed: dict[int, bool], emitted: list[Tensor],
          reads: dict[int, bool] | None = None) -> tuple[Tensor | None, list[Moved]]:
    """Split iteration k's contribution ``d`` into what stays accumulated in the loop (None when
    nothing) and the contributions moved after it, whose operands are appended to ``emitted``
    (``reads``: per emitted position, whether a sum reads its values, not its shape alone)."""
    stay: list[Tensor] = []
    moved: list[Moved] = []
    for t in _terms(d):
        m = _movable(t, fixed)
        if m is None:
            stay.append(t)
            continue
        kind, operands = m
        emits, guards = [], []
        for x in operands:
            g, like = _guarded(x, fixed)
            emits.append(_emit(g, emitted))
            guards.append(None if like is None else _emit(like, emitted))
            if reads is not None:
                reads[emits[-1]] = True
                if guards[-1] is not None:
                    reads.setdefault(guards[-1], False)  # type: ignore[arg-type]
        moved.append(Moved(kind, tuple(emits), tuple(guards)))
    if not stay:
        return None, moved
    total = stay[0]
    for t in stay[1:]:
        total = make(Op.ADD, [total, t])
    return total, moved


def finish(capture: Tensor, moved: Sequence[Moved], stacks: Sequence[Tensor]) -> Tensor | None:
    """The sum of the moved contributions to ``capture``'s gradient, from the gradient loop's
    stacks of emitted values (``stacks``, by emitted position); None when there are none."""
    total: Tensor | None = None
    for m in moved:
        ops = [stacks[e] if not m.guards or m.guards[i] is None else
               make(Op.SUM_TO, [stacks[e], stacks[m.guards[i]]], name="SumTo")  # type: ignore[index]
               for i, e in enumerate(m.emits)]
        if m.kind == "matmul":
            p, q = ops
            rows_p = reshape(p, [-1, int(p.shape.dims[-1])])  # type: ignore[arg-type]
            rows_q = reshape(q, [-1, int(q.shape.dims[-1])])  # type: ignore[arg-type]
            part = make(Op.MATMUL, [rows_p, rows_q], MatMulAttrs(True, False), name="MatMulOverSteps")
        elif m.kind == "sum_to":
            part = make(Op.SUM_TO, [ops[0], capture], name="SumToOverSteps")
        else:
            updates = ops[0]
            if ops[1].shape.rank == 1 and capture.shape.rank is not None:
                # one row a step: the rows take the capture's trailing dims, which a stack left
                # empty by a loop that never ran cannot know where the graph does not (0 there);
                # the row count is the indices' (no -1: a trailing dim may be 0, an empty batch)
                updates = reshape_spec(updates, ((2, 0),) + tuple((1, j) for j in range(1, capture.shape.rank)),
                                       [capture, ops[1]])
            part = make(Op.SCATTER_ADD, [updates, ops[1], capture], AxisAttrs(0), name="ScatterOverSteps")
        total = part if total is None else make(Op.ADD, [total, part])
    return total


def _emit(x: Tensor, emitted: list[Tensor]) -> int:
    for i, e in enumerate(emitted):
        if e is x:
            return i
    emitted.append(x)
    return len(emitted) - 1


def _guarded(x: Tensor, fixed: dict[int, bool]) -> tuple[Tensor, Tensor | None]:
    """``(g, like)`` where ``x`` is autodiff's ``SumTo(g, like)`` over same-rank fixed-shape values
    (stacked, the guard applies row by row), else ``(x, None)``."""
    n = x.node
    if n.op is Op.SUM_TO:
        g, like = n.inputs
        if g.shape.rank is not None and g.shape.rank == like.shape.rank and \
                fixed.get(id(g), False) and fixed.get(id(like), False):
            return g, like
    return x, None


def _terms(d: Tensor) -> list[Tensor]:
    """The addends of an ADD tree of same-shaped tensors (how autodiff sums contributions)."""
    n = d.node
    if n.op is Op.ADD and d.shape.is_fully_defined() and all(x.shape == d.shape for x in n.inputs):
        return _terms(n.inputs[0]) + _terms(n.inputs[1])
    return [d]


def _movable(t: Tensor, fixed: dict[int, bool]) -> tuple[str, list[Tensor]] | None:
    n = t.node
    if n.op is Op.SUM_TO and n.inputs[0].node.op is Op.SCATTER_ADD and n.inputs[0].node.inputs[2] is n.inputs[1]:
        # autodiff's guard over a run-time shape: a scatter into x already has x's shape
        n = n.inputs[0].node
    if n.op is Op.MATMUL and n.attrs.transpose_a and not n.attrs.transpose_b and \
            all(x.shape.rank == 2 and x.shape.dims[-1] is not None for x in n.inputs):
        kind, operands = "matmul", list(n.inputs)
    elif n.op is Op.SUM_TO and t.shape.is_fully_defined():
        kind, operands = "sum_to", [n.inputs[0]]
    elif n.op is Op.SCATTER_ADD and n.attrs.axis == 0:
        kind, operands = "scatter", [n.inputs[0], n.inputs[1]]
    else:
        return None
    if not all(fixed.get(id(x), False) for x in operands):
        return None
    return kind, operands
