"""CPU rules for RESHAPE, TRANSPOSE, SHAPE and BITCAST."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import shape_ops  # noqa: F401  (registers the rows these rules attach to)
from graphflow.ops.bitcast_ops import last_dim_message

_HALF = "graphflow.compiler.cpu.half_bits"


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


@kernel(Op.BITCAST, "cpu")
def _bitcast_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    """The bytes, flat and contiguous, viewed as the new dtype (a copy: the result is its own buffer);
    float16, carried as float32, goes through its bits (``cpu/half_bits.py``)."""
    x = n.inputs[0]
    src, dst = n.attrs.src, n.attrs.type
    dims = em.dims(x, ins[0])
    a, b = src.np.itemsize, dst.np.itemsize
    if a < b:
        em.check(f"{dims[-1]} == {b // a}", n, last_dim_message(src, dst, "{0}"), [dims[-1]])
    flat = em.fresh("bits")
    if x.shape.rank == 0:
        em.line(f"{flat} = np.full((1,), {ins[0]}, dtype={em.np_dtype(src)})")
    else:
        em.line(f"{flat} = np.ascontiguousarray({ins[0]}).reshape(-1)")
    if src.name == "float16":
        em.line(f"{flat} = {em.use(_HALF)}.half_bits({flat})")
    if dst.name == "float16":
        em.line(f"{flat} = {em.use(_HALF)}.half_values({flat}.view(np.uint16))")
    else:
        em.line(f"{flat} = {flat}.view({em.np_dtype(dst)}).copy()")
    dims = dims + [str(a // b)] if a > b else dims[:-1] if a < b else dims
    if not dims:
        em.define(n.outputs[0], f"{flat}[0]")
        return
    out = em.fresh("o")
    em.line(f"{out} = {flat}.reshape({em.shape_tuple(dims)})")
    em.define(n.outputs[0], out, fresh=True)
