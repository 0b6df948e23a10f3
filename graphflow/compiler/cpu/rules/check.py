"""CPU rule for CHECK: a loop over the tensor that raises the node's error."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops.check_ops import CheckAttrs


@kernel(Op.CHECK, "cpu")
def _check_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: CheckAttrs = n.attrs
    x_t = n.inputs[0]
    hi = ins[1] if len(ins) > 1 else str(at.hi)
    shown = "the upper bound" if len(ins) > 1 else str(at.hi)
    with em.loops(em.dims(x_t, ins[0])) as idx:
        v = em.fresh("v")
        em.line(f"{v} = {em.index(ins[0], idx)}")
        if at.kind == "range":
            em.check(f"{at.lo} <= {v} < {hi}", n,
                     f"{at.message}: a value is outside the valid range [{at.lo}, {shown})")
        elif at.kind == "true":
            em.check(v, n, at.message)
        else:
            em.check(f"{v} - {v} == 0", n, f"{at.message}: Tensor had NaN or Inf values")
    em.define(n.outputs[0], ins[0], fresh=id(x_t) in em.fresh_values)
