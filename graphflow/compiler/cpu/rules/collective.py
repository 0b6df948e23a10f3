"""CPU rules for the collectives: Python calls into the MPI engine (the glue runs them as Python)."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit, CpuRule
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import collective_ops  # noqa: F401  (registers the rows these rules attach to)

_ENGINE = "graphflow.platform.mpi"  # imported by the generated code


def _cpu(call: str) -> CpuRule:
    def emit(em: CpuEmit, n: Operation, ins: list[str]) -> None:
        engine = em.use(_ENGINE)
        r = em.fresh("r")
        at = n.attrs
        args = {"allreduce": f"{ins[0]}, {at.label!r}", "allgather": f"{ins[0]}, {at.label!r}",
                "broadcast": f"{ins[0]}, {at.root}, {at.label!r}"}[call]
        em.line(f"{r} = {engine}.{call}({args})")
        em.define(n.outputs[0], f"{r}[()]" if n.outputs[0].shape.rank == 0 else r)
    return emit


kernel(Op.ALLREDUCE, "cpu")(_cpu("allreduce"))
kernel(Op.ALLGATHER, "cpu")(_cpu("allgather"))
kernel(Op.BROADCAST, "cpu")(_cpu("broadcast"))
