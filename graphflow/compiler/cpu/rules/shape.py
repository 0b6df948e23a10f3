"""CPU rules for RESHAPE, TRANSPOSE and SHAPE."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import shape_ops  # noqa: F401  (registers the rows these rules attach to)


@kernel(Op.RESHAPE, "cpu")
def _reshape_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x = n.inputs[0]
    t = n.outputs[0]
    src_dims = [em.dims(inp, ins[k]) for k, inp in enumerate(n.inputs)]
    size = " * ".join(src_dims[0]) or "1"
    dims: list[str] = []
    values: list[str] = []  # run-time entries: each may be -1 (inferred)
    for item in n.attrs.spec:
        if isinstance(item, tuple) and len(item) == 3:
            v = em.fresh("rv")
            em.line(f"{v} = int({ins[item[1]]})" if item[2] < 0 else f"{v} = int({ins[item[1]]}[{item[2]}])")
            values.append(v)
            dims.append(v)
        elif isinstance(item, tuple):
            dims.append(src_dims[item[0]][item[1]])
        else:
            dims.append(str(item))
    if values:
        em.check(" + ".join(f"({d} == -1)" for d in dims if d == "-1" or d in values) + " <= 1", n,
                 "reshape: the shape has more than one -1")
        known = " * ".join(f"({d} if {d} != -1 else 1)" if d in values else d for d in dims if d != "-1") or "1"
        inferred = em.fresh("d")
        em.line(f"{inferred} = ({size}) // max(1, {known})")
        dims = [inferred if d == "-1" else f"({inferred} if {d} == -1 else {d})" if d in values else d
                for d in dims]
    elif "-1" in dims:
        known = " * ".join(d for d in dims if d != "-1") or "1"
        inferred = em.fresh("d")
        em.line(f"{inferred} = ({size}) // max(1, {known})")
        dims = [inferred if d == "-1" else d for d in dims]
    em.check(f"{' * '.join(dims) or '1'} == {size}", n, "cannot reshape: the number of elements differs")
    if x.shape.rank == 0:
        arr = em.fresh("o")
        em.line(f"{arr} = np.full({em.shape_tuple(dims)}, {ins[0]}, dtype={em.np_dtype(x.dtype)})")
        em.define(t, arr)
        return
    src = ins[0]
    # variable buffers are copied so later assignments cannot show through the view
    fresh = x.node.op is not Op.VARIABLE and id(x) in em.fresh_values
    if x.node.op is Op.VARIABLE:
        src = f"{src}.copy()"
    if not dims:
        em.define(t, f"{src}.reshape(-1)[0]")
        return
    out = em.fresh("o")
    em.line(f"{out} = {src}.reshape({em.shape_tuple(dims)})")
    em.define(t, out, fresh=fresh or x.node.op is Op.VARIABLE)


@kernel(Op.TRANSPOSE, "cpu")
def _transpose_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x, t = n.inputs[0], n.outputs[0]
    perm = n.attrs.perm
    in_dims = em.dims(x, ins[0])
    out_dims = [in_dims[p] for p in perm]
    out = em.empty(out_dims, t.dtype)
    with em.loops(out_dims) as idx:
        src = [""] * len(perm)
        for j, p in enumerate(perm):
            src[p] = idx[j]
        em.line(f"{out}[{', '.join(idx)}] = {ins[0]}[{', '.join(src)}]")
    em.define(t, out)


@kernel(Op.SHAPE, "cpu")
def _shape_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims = em.dims(n.inputs[0], ins[0])
    out = em.empty([str(len(dims))], n.dtypes[0])
    for j, d in enumerate(dims):
        em.line(f"{out}[{j}] = {d}")
    em.define(n.outputs[0], out)
