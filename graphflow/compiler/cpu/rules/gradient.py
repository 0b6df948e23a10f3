"""CPU rule for CUSTOM_GRADIENT (``@gf.custom_gradient``): its value is its first input; the
gradient, the user's function, is autodiff's business, not the target's."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import gradient_ops  # noqa: F401  (registers the row this rule attaches to)


@kernel(Op.CUSTOM_GRADIENT, "cpu")
def _identity_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    em.define(n.outputs[0], ins[0], fresh=id(n.inputs[0]) in em.fresh_values)
