"""CPU rules for TOP_K_INDICES and UNIQUE."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import index_ops, sort_ops  # noqa: F401  (register the rows these rules attach to)


@kernel(Op.TOP_K_INDICES, "cpu")
def _top_k_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x_t = n.inputs[0]
    dims = em.dims(x_t, ins[0])
    k = n.attrs.k
    if k is None:
        k = dims[-1]
    else:
        em.check(f"{dims[-1]} >= {k}", n, f"top_k needs at least k={k} entries in the last dim")
    rows = " * ".join(dims[:-1]) or "1"
    flat, out = em.fresh("xf"), em.fresh("o")
    em.line(f"{flat} = np.ascontiguousarray({ins[0]}).reshape(({rows}, {dims[-1]}))")
    em.line(f"{out} = np.empty(({rows}, {k}), dtype=np.int32)")
    with em.loops([rows]) as (r,):
        order = em.fresh("ord")
        em.line(f"{order} = np.argsort(-{flat}[{r}], kind='mergesort')")
        with em.loops([str(k)]) as (j,):
            em.line(f"{out}[{r}, {j}] = {order}[{j}]")
    res = em.fresh("o")
    em.line(f"{res} = {out}.reshape({em.shape_tuple(dims[:-1] + [str(k)])})")
    em.define(n.outputs[0], res)


@kernel(Op.UNIQUE, "cpu")
def _unique_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    """A stable sort groups equal values; each group's first sorted entry is its first
    occurrence; groups are then numbered by first occurrence."""
    x_t = n.inputs[0]
    (size,) = em.dims(x_t, ins[0])
    idx_type = em.np_dtype(n.outputs[1].dtype)
    order, gid, first, ngroups = em.fresh("ord"), em.fresh("gid"), em.fresh("first"), em.fresh("ng")
    em.line(f"{order} = np.argsort({ins[0]}, kind='mergesort')")
    em.line(f"{gid} = np.empty({size}, dtype=np.int64)")
    em.line(f"{first} = np.empty({size}, dtype=np.int64)")
    em.line(f"{ngroups} = 0")
    with em.loops([size]) as (p,):
        with em.block(f"if {p} == 0 or {ins[0]}[{order}[{p}]] != {ins[0]}[{order}[{p} - 1]]:"):
            em.line(f"{first}[{ngroups}] = {order}[{p}]")
            em.line(f"{ngroups} += 1")
        em.line(f"{gid}[{p}] = {ngroups} - 1")
    by_first, rank = em.fresh("byfirst"), em.fresh("rank")
    em.line(f"{by_first} = np.argsort({first}[:{ngroups}], kind='mergesort')")
    em.line(f"{rank} = np.empty({ngroups}, dtype=np.int64)")
    y = em.empty([ngroups], x_t.dtype, "uy")
    with em.loops([ngroups]) as (k,):
        em.line(f"{rank}[{by_first}[{k}]] = {k}")
        em.line(f"{y}[{k}] = {ins[0]}[{first}[{by_first}[{k}]]]")
    idx = em.fresh("uidx")
    em.line(f"{idx} = np.empty({size}, dtype={idx_type})")
    with em.loops([size]) as (p,):
        em.line(f"{idx}[{order}[{p}]] = {rank}[{gid}[{p}]]")
    em.define(n.outputs[0], y)
    em.define(n.outputs[1], idx)
