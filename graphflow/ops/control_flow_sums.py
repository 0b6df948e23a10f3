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
from graphflow.ops.shape_ops import reshape


@dataclass(frozen=True)
class Moved:
    """One contribution computed after the loop: ``kind`` over the stacks of emitted values
    ``emits`` (positions among the gradient loop's emitted values)."""
    kind: str  # "matmul" (P^T Q), "sum_to" (G summed to the capture's shape), "scatter" (G at rows I)
    emits: tuple[int, ...]


def split(d: Tensor, fixed: dict[int, bool], emitted: list[Tensor]) -> tuple[Tensor | None, list[Moved]]:
    """Split iteration k's contribution ``d`` into what stays accumulated in the loop (None when
    nothing) and the contributions moved after it, whose operands are appended to ``emitted``."""
    stay: list[Tensor] = []
    moved: list[Moved] = []
    for t in _terms(d):
        m = _movable(t, fixed)
        if m is None:
            stay.append(t)
            continue
        kind, operands = m
        moved.append(Moved(kind, tuple(_emit(x, emitted) for x in operands)))
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
        ops = [stacks[e] for e in m.emits]
        if m.kind == "matmul":
            p, q = ops
            rows_p = reshape(p, [-1, int(p.shape.dims[-1])])  # type: ignore[arg-type]
            rows_q = reshape(q, [-1, int(q.shape.dims[-1])])  # type: ignore[arg-type]
            part = make(Op.MATMUL, [rows_p, rows_q], MatMulAttrs(True, False), name="MatMulOverSteps")
        elif m.kind == "sum_to":
            part = make(Op.SUM_TO, [ops[0], capture], name="SumToOverSteps")
        else:
            part = make(Op.SCATTER_ADD, [ops[0], ops[1], capture], AxisAttrs(0), name="ScatterOverSteps")
        total = part if total is None else make(Op.ADD, [total, part])
    return total


def _emit(x: Tensor, emitted: list[Tensor]) -> int:
    for i, e in enumerate(emitted):
        if e is x:
            return i
    emitted.append(x)
    return len(emitted) - 1


def _terms(d: Tensor) -> list[Tensor]:
    """The addends of an ADD tree of same-shaped tensors (how autodiff sums contributions)."""
    n = d.node
    if n.op is Op.ADD and d.shape.is_fully_defined() and all(x.shape == d.shape for x in n.inputs):
        return _terms(n.inputs[0]) + _terms(n.inputs[1])
    return [d]


def _movable(t: Tensor, fixed: dict[int, bool]) -> tuple[str, list[Tensor]] | None:
    n = t.node
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
