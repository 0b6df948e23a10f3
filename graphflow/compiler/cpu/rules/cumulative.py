"""CPU rule for CUMPROD."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops.cumulative_ops import CumAttrs


@kernel(Op.CUMPROD, "cpu")
def _cumprod_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: CumAttrs = n.attrs
    x_t = n.inputs[0]
    dims = em.dims(x_t, ins[0])
    outer = " * ".join(dims[:at.axis]) or "1"
    inner = " * ".join(dims[at.axis + 1:]) or "1"
    length = dims[at.axis]
    x3 = em.fresh("cpx")
    em.line(f"{x3} = np.ascontiguousarray({ins[0]}).reshape(({outer}, {length}, {inner}))")
    o = em.empty([outer, length, inner], x_t.dtype)
    one = em.lit(1, x_t.dtype)
    with em.loops([outer, inner]) as (a, b):
        acc = em.fresh("acc")
        em.line(f"{acc} = {one}")
        with em.loops([length]) as (k,):
            j = em.fresh("j")
            em.line(f"{j} = {length} - 1 - {k}" if at.reverse else f"{j} = {k}")
            if at.exclusive:
                em.line(f"{o}[{a}, {j}, {b}] = {acc}")
                em.line(f"{acc} = {acc} * {x3}[{a}, {j}, {b}]")
            else:
                em.line(f"{acc} = {acc} * {x3}[{a}, {j}, {b}]")
                em.line(f"{o}[{a}, {j}, {b}] = {acc}")
    res = em.fresh("o")
    em.line(f"{res} = {o}.reshape({em.shape_tuple(dims)})")
    em.define(n.outputs[0], res)
