"""CPU rules for the array primitives: CONCAT, PAD, TILE, GATHER, SCATTER_ADD, GATHER_ND,
SCATTER_ND_ADD, ONE_HOT and BOOLEAN_MASK."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.compiler.cpu.rules.slices import at_index, bind_result, result_buffer
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, kernel
from graphflow.ops.array_ops import OneHotAttrs


@kernel(Op.CONCAT, "cpu")
def _concat_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    axis = n.attrs.axis
    all_dims = [em.dims(t, e) for t, e in zip(n.inputs, ins)]
    sizes = [d[axis] for d in all_dims]
    static = all(x.isdigit() for x in sizes)  # offsets known when the graph was built
    total = str(sum(int(x) for x in sizes)) if static else "(" + " + ".join(sizes) + ")"
    out_dims = list(all_dims[0])
    out_dims[axis] = total
    for k, d in enumerate(all_dims[1:], 1):
        cond = " and ".join(f"{a} == {b}" for j, (a, b) in enumerate(zip(d, all_dims[0]))
                            if j != axis and a != b)
        if cond:
            em.check(cond, n, f"concat input {k} differs from input 0 outside the concat axis")
    out = em.empty(out_dims, n.dtypes[0])
    off = em.fresh("off")
    if not static:
        em.line(f"{off} = 0")
    at = 0
    for e, d in zip(ins, all_dims):
        start = str(at) if static else off
        if em.caps.numpy_copies:  # a glue kernel: one numpy copy per input
            dst = [":"] * len(d)
            dst[axis] = f"{start}:{start} + {d[axis]}"
            em.line(f"{out}[{', '.join(dst)}] = {e}")
        else:
            with em.loops(d) as idx:
                dst = list(idx)
                dst[axis] = f"{start} + {idx[axis]}"
                em.line(f"{out}[{', '.join(dst)}] = {e}[{', '.join(idx)}]")
        if static:
            at += int(d[axis])
        else:
            em.line(f"{off} += {d[axis]}")
    em.define(n.outputs[0], out)


@kernel(Op.PAD, "cpu")
def _pad_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x, t = n.inputs[0], n.outputs[0]
    dims = em.dims(x, ins[0])
    pads = n.attrs.paddings
    out_dims = [f"{d} + {b + a}" for d, (b, a) in zip(dims, pads)]
    if not dims:
        em.define(t, ins[0], fresh=False)
        return
    out = em.fresh("o")
    em.line(f"{out} = np.full({em.shape_tuple(out_dims)}, {em.lit(n.attrs.constant, t.dtype)}, "
            f"dtype={em.np_dtype(t.dtype)})")
    with em.loops(dims) as idx:
        dst = [f"{i} + {b}" if b else i for i, (b, _) in zip(idx, pads)]
        em.line(f"{out}[{', '.join(dst)}] = {ins[0]}[{', '.join(idx)}]")
    em.define(t, out)


@kernel(Op.TILE, "cpu")
def _tile_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x, t = n.inputs[0], n.outputs[0]
    dims = em.dims(x, ins[0])
    if not dims:
        em.define(t, ins[0], fresh=False)
        return
    out_dims = [f"{d} * {m}" for d, m in zip(dims, n.attrs.multiples)]
    em.check_allocation(n, out_dims, t.dtype, factors=dims + [str(m) for m in n.attrs.multiples],
                        note=f" (an input of shape {{1}} tiled [{','.join(map(str, n.attrs.multiples))}])",
                        values=[em.shape_tuple(dims)])
    out = em.empty(out_dims, t.dtype)
    with em.loops(out_dims) as idx:
        src = [f"{i} % {d}" for i, d in zip(idx, dims)]
        em.line(f"{out}[{', '.join(idx)}] = {ins[0]}[{', '.join(src)}]")
    em.define(t, out)


def _check_indices(em: CpuEmit, n: Operation, idx_t: Tensor, idx_e: str, size: str, what: str,
                   component: int | None = None) -> None:
    """A pre-check loop: every index in [0, size)."""
    dims = em.dims(idx_t, idx_e)
    loop = dims if component is None else dims[:-1]
    with em.loops(loop) as idx:
        full = list(idx) if component is None else list(idx) + [str(component)]
        v = em.index(idx_e, full)
        em.check(f"0 <= {v} < {size}", n, f"{what} is out of range [0, size of the indexed dim)")


def _gather_like(em: CpuEmit, n: Operation, src: str, src_dims: list[str], idx_t: Tensor, idx_e: str,
                 out_t: Tensor, scatter_from: str | None) -> None:
    """GATHER (scatter_from None) and SCATTER_ADD share the index walk."""
    axis = n.attrs.axis
    i_dims = em.dims(idx_t, idx_e)
    _check_indices(em, n, idx_t, idx_e, src_dims[axis], "gather index")
    loop = src_dims[:axis] + i_dims + src_dims[axis + 1:]
    if scatter_from is None:
        out, r0 = result_buffer(em, loop, out_t.dtype)
    else:
        em.check_shape(scatter_from, loop, n, "the updates against the indices")
        out, r0 = result_buffer(em, src_dims, out_t.dtype, zeros=True)
    with em.loops(loop) as idx:
        q = len(i_dims)
        k = em.index(idx_e, idx[axis:axis + q])
        inner = list(idx[:axis]) + [k] + list(idx[axis + q:])
        if scatter_from is None:
            em.line(f"{at_index(out, idx, r0)} = {em.index(src, inner)}")
        else:
            em.line(f"{out}[{', '.join(inner)}] += {em.index(scatter_from, idx)}")
    bind_result(em, out_t, out, r0)


@kernel(Op.GATHER, "cpu")
def _gather_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x, i = n.inputs
    in_function = getattr(x.graph, "is_func_graph", False) and not getattr(x.graph, "assigned", None)
    if em.caps.numpy_copies and n.attrs.axis == 0 and i.shape.rank == 0 and \
            (in_function or x.node.op not in (Op.VARIABLE, Op.CONST, Op.PLACEHOLDER)):
        # a glue kernel taking one row (a loop's step of a stacked sequence): a view, neither
        # copied nor compiled. Not of a variable an update may overwrite, nor of a constant or the
        # caller's fed array, which a fetched view would expose; inside a loop body or a branch
        # that assigns nothing anything goes, since its results are copied on the way out.
        _check_indices(em, n, i, ins[1], em.dims(x, ins[0])[0], "gather index")
        em.define(n.outputs[0], f"{ins[0]}[{ins[1]}]", fresh=False)
        return
    _gather_like(em, n, ins[0], em.dims(n.inputs[0], ins[0]), n.inputs[1], ins[1], n.outputs[0], None)


@kernel(Op.SCATTER_ADD, "cpu")
def _scatter_add_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    _gather_like(em, n, "", em.dims(n.inputs[2], ins[2]), n.inputs[1], ins[1], n.outputs[0], ins[0])


def _gather_nd_like(em: CpuEmit, n: Operation, p_dims: list[str], idx_t: Tensor, idx_e: str, out_t: Tensor,
                    src: str, scatter: bool) -> None:
    i_dims = em.dims(idx_t, idx_e)
    k = int(idx_t.shape.dims[-1])  # type: ignore[index, arg-type]
    for c in range(k):
        _check_indices(em, n, idx_t, idx_e, p_dims[c], f"gather_nd index (component {c})", c)
    loop = i_dims[:-1] + p_dims[k:]
    if scatter:
        em.check_shape(src, loop, n, "the updates against the indices")
        out, r0 = result_buffer(em, p_dims, out_t.dtype, zeros=True)
    else:
        out, r0 = result_buffer(em, loop, out_t.dtype)
    with em.loops(loop) as idx:
        outer = list(idx[:len(i_dims) - 1])
        pidx = [em.index(idx_e, outer + [str(c)]) for c in range(k)] + list(idx[len(i_dims) - 1:])
        if scatter:
            em.line(f"{out}[{', '.join(pidx)}] += {em.index(src, idx)}")
        else:
            em.line(f"{at_index(out, idx, r0)} = {src}[{', '.join(pidx)}]")
    bind_result(em, out_t, out, r0)


@kernel(Op.GATHER_ND, "cpu")
def _gather_nd_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    _gather_nd_like(em, n, em.dims(n.inputs[0], ins[0]), n.inputs[1], ins[1], n.outputs[0], ins[0], False)


@kernel(Op.SCATTER_ND_ADD, "cpu")
def _scatter_nd_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    _gather_nd_like(em, n, em.dims(n.inputs[2], ins[2]), n.inputs[1], ins[1], n.outputs[0], ins[0], True)


@kernel(Op.ONE_HOT, "cpu")
def _one_hot_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: OneHotAttrs = n.attrs
    t = n.outputs[0]
    i_dims = em.dims(n.inputs[0], ins[0])
    out_dims = list(i_dims)
    out_dims.insert(at.axis, str(at.depth))
    out = em.empty(out_dims, t.dtype)
    on, off = em.lit(at.on, t.dtype), em.lit(at.off, t.dtype)
    with em.loops(out_dims) as idx:
        src = list(idx[:at.axis]) + list(idx[at.axis + 1:])
        em.line(f"{out}[{', '.join(idx)}] = {on} if {em.index(ins[0], src)} == {idx[at.axis]} else {off}")
    em.define(t, out)


@kernel(Op.BOOLEAN_MASK, "cpu")
def _boolean_mask_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    m_t, t = n.inputs[1], n.outputs[0]
    m_dims = em.dims(m_t, ins[1])
    k = len(m_dims)
    pos = em.fresh("pos")
    if n.attrs.scatter:  # the gradient: rows of g go back to the masked positions of zeros
        full = em.dims(n.inputs[2], ins[2])
        out, _ = result_buffer(em, full, t.dtype, zeros=True)
        src_e, dst_rows = ins[0], True
    else:
        full = em.dims(n.inputs[0], ins[0])
        cond = " and ".join(f"{a} == {b}" for a, b in zip(m_dims, full) if a != b)
        if cond:
            em.check(cond, n, "mask shape does not match the leading dims of the tensor")
        count = em.fresh("cnt")
        em.line(f"{count} = 0")
        with em.loops(m_dims) as idx:
            with em.block(f"if {ins[1]}[{', '.join(idx)}]:"):
                em.line(f"{count} += 1")
        out = em.empty([count] + full[k:], t.dtype)
        src_e, dst_rows = ins[0], False
    em.line(f"{pos} = 0")
    with em.loops(m_dims) as idx:
        with em.block(f"if {ins[1]}[{', '.join(idx)}]:"):
            with em.loops(full[k:]) as rest:
                row = [pos] + list(rest)
                cell = list(idx) + list(rest)
                if dst_rows:
                    em.line(f"{out}[{', '.join(cell)}] = {src_e}[{', '.join(row)}]")
                else:
                    em.line(f"{out}[{', '.join(row)}] = {src_e}[{', '.join(cell)}]")
            em.line(f"{pos} += 1")
    em.define(t, out)
