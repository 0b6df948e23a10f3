"""CPU rule for MATMUL: BLAS through ``blas.product`` for floats (in a glue kernel, a large 2-D
product through ``gemm_calls``, which splits it between the step's threads), plain loops for
integers."""
from __future__ import annotations

from graphflow.compiler.cpu.gemm_calls import POOL_GEMM_FLOPS
from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops.linalg_ops import MatMulAttrs


def _likely_flops(n: Operation) -> int:
    """A 2-D product's FLOPs, a dim known only at run time counted as 64 (a typical batch): the
    call a kernel makes is fixed when it is generated, and a Python call into ``gemm_calls`` costs
    more than small products gain from it (they stay ``blas.product`` kernels)."""
    at: MatMulAttrs = n.attrs
    (a0, a1), (b0, b1) = (d if d is not None else 64 for d in n.inputs[0].shape.dims), \
        (d if d is not None else 64 for d in n.inputs[1].shape.dims)
    m, k = (a1, a0) if at.transpose_a else (a0, a1)
    return 2 * m * k * (b0 if at.transpose_b else b1)


@kernel(Op.MATMUL, "cpu")
def _matmul_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    """BLAS through ``blas.product`` for floats (transposes become its flags), one BLAS thread for small
    products; batch dims are looped with broadcasting; integer dtypes use plain loops."""
    a_t, b_t = n.inputs
    at: MatMulAttrs = n.attrs
    da, db = em.dims(a_t, ins[0]), em.dims(b_t, ins[1])
    m, ka = (da[-1], da[-2]) if at.transpose_a else (da[-2], da[-1])
    kb, nn = (db[-1], db[-2]) if at.transpose_b else (db[-2], db[-1])
    if ka != kb:
        em.check(f"{ka} == {kb}", n, "matmul inner dimensions differ")
    out_t = n.outputs[0]
    ra, rb, ro = len(da), len(db), out_t.shape.rank
    if em.caps.numpy_copies and out_t.dtype.is_floating and ra == rb == 2 and _likely_flops(n) >= POOL_GEMM_FLOPS:
        out = em.fresh("o")
        em.line(f"{out} = {em.use('graphflow.compiler.cpu.gemm_calls')}.matmul({ins[0]}, {ins[1]}, "
                f"{at.transpose_a}, {at.transpose_b})")
        em.define(out_t, out)
        return
    batch = []
    for j in range(ro - 2):
        cands = []
        for dims, r in ((da, ra), (db, rb)):
            k = j - (ro - r)
            if k >= 0:
                cands.append(dims[k])
        static = out_t.shape.dims[j]
        if static is not None:
            batch.append(str(static))
        else:
            d = em.fresh("d")
            em.line(f"{d} = {cands[0]}")
            for c in cands[1:]:
                em.line(f"{d} = {c} if {d} == 1 else {d}")
            batch.append(d)
    out = em.empty(batch + [m, nn], out_t.dtype)
    floating = out_t.dtype.is_floating  # float16 is held as float32 on the CPU
    if floating and not batch:  # one call, which runs small products on one BLAS thread
        em.line(f"{em.use('graphflow.compiler.cpu.blas')}.gemm({ins[0]}, {at.transpose_a}, {ins[1]}, "
                f"{at.transpose_b}, {out}, 1.0, 0.0)")
        em.define(out_t, out)
        return
    K = None if floating else em.use("graphflow.compiler.cpu.shared_kernels")
    if floating:  # small products on one BLAS thread (compiler/cpu/gemm_threads.py)
        G = em.use("graphflow.compiler.cpu.gemm_threads")
        threads = em.fresh("threads")
        em.line(f"{threads} = {G}.narrow({m}, {nn}, {ka})")

    def operand(name: str, dims: list[str], r: int, bidx: list[str], transpose: bool) -> str:
        idx = []
        for k in range(r - 2):
            j = k + (ro - r)
            idx.append(f"({bidx[j]} if {dims[k]} != 1 else 0)")
        v = f"{name}[{', '.join(idx)}]" if idx else name
        if transpose and not floating:  # the BLAS takes floats' transposes as flags
            v = f"np.ascontiguousarray({v}.T)"
        return v

    with em.loops(batch) as bidx:
        a = operand(ins[0], da, ra, bidx, at.transpose_a)
        b = operand(ins[1], db, rb, bidx, at.transpose_b)
        dst = f"{out}[{', '.join(bidx)}]" if bidx else out
        if floating:
            em.line(f"{em.use('graphflow.compiler.cpu.blas')}.product({a}, {at.transpose_a}, {b}, "
                    f"{at.transpose_b}, {dst})")
        else:
            em.line(f"{K}.matmul_loops({a}, {b}, {dst})")
    if floating:
        em.line(f"{G}.widen({threads})")
    em.define(out_t, out)
