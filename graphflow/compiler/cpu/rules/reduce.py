"""CPU rules for the reduction helpers autodiff emits (KEEP_DIMS, SUM_TO) and ARGMAX/ARGMIN."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit, CpuRule
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops.reduce_ops import norm_axes


@kernel(Op.KEEP_DIMS, "cpu")
def _keep_dims_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    g_t, x_t = n.inputs
    rank = x_t.shape.rank
    if rank is None:
        # only a tensor shaped by a shape tensor of unknown length stays rank-unknown once the
        # program is specialised; the reduction it feeds cannot be lowered either (issue 7)
        raise ValueError(f"the gradient of a reduction needs its input's rank, which is still unknown after "
                         f"specialising for the fed ranks, in {n.describe()}")
    axes = norm_axes(n.attrs.axes, rank)
    gd = iter(em.dims(g_t, ins[0]))
    dims = ["1" if i in axes else next(gd) for i in range(rank)]
    out = em.fresh("o")
    em.line(f"{out} = np.ascontiguousarray({ins[0]}).reshape({em.shape_tuple(dims)})")
    em.define(n.outputs[0], out)


@kernel(Op.SUM_TO, "cpu")
def _sum_to_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    g_t, like_t = n.inputs
    out_t = n.outputs[0]
    gd = em.dims(g_t, ins[0])
    rg, rl = len(gd), like_t.shape.rank
    if rl == 0:
        acc = em.fresh("s")
        em.line(f"{acc} = {em.lit(0, out_t.dtype)}")
        with em.loops(gd) as idx:
            em.line(f"{acc} += {em.index(ins[0], idx)}")
        em.define(out_t, acc)
        return
    ld = em.dims(like_t, ins[1])
    out = em.fresh("o")
    same = " and ".join(f"{a} == {b}" for a, b in zip(gd[rg - rl:], ld)) if rg == rl else "False"
    if rg == rl and em.caps.shortcuts:  # a glue kernel: the glue tests the common case
        em.shortcut = (same, 0)
    with em.block(f"if {same}:"):
        em.line(f"{out} = {ins[0]}")
    with em.block("else:"):
        em.line(f"{out} = np.zeros({em.shape_tuple(ld)}, dtype={em.np_dtype(out_t.dtype)})")
        with em.loops(gd) as idx:
            oidx = []
            for k in range(rl):
                j = rg - rl + k
                oidx.append(f"({idx[j]} if {ld[k]} != 1 else 0)")
            em.line(f"{out}[{', '.join(oidx)}] += {em.index(ins[0], idx)}")
    em.define(out_t, out, fresh=id(g_t) in em.fresh_values)


def _arg_cpu(better: str) -> CpuRule:
    def emit(em: CpuEmit, n: Operation, ins: list[str]) -> None:
        x_t, out_t = n.inputs[0], n.outputs[0]
        dims = em.dims(x_t, ins[0])
        (axis,) = norm_axes((n.attrs.axis,), len(dims))
        kept = [d for j, d in enumerate(dims) if j != axis]
        em.check(f"{dims[axis]} > 0", n, "argmax/argmin over an empty axis")
        out = em.empty(kept or ["1"], out_t.dtype)
        with em.loops(kept) as kidx:
            best, bi = em.fresh("b"), em.fresh("bi")
            full = list(kidx[:axis]) + ["0"] + list(kidx[axis:])
            em.line(f"{best} = {em.index(ins[0], full)}")
            em.line(f"{bi} = 0")
            with em.loops([dims[axis]]) as (r,):
                full = list(kidx[:axis]) + [r] + list(kidx[axis:])
                v = em.fresh("v")
                em.line(f"{v} = {em.index(ins[0], full)}")
                with em.block(f"if {v} {better} {best} or ({v} != {v} and {best} == {best}):"):
                    em.line(f"{best} = {v}")
                    em.line(f"{bi} = {r}")
            em.line(f"{em.index(out, kidx or ['0'])} = {bi}")
        em.define(out_t, out if kept else f"{out}[0]")
    return emit


kernel(Op.ARGMAX, "cpu")(_arg_cpu(">"))
kernel(Op.ARGMIN, "cpu")(_arg_cpu("<"))
