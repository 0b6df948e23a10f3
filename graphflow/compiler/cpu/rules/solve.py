"""CPU rules for the per-matrix LAPACK ops: inverse, determinant, Cholesky, solve."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops.solve_ops import FAILURE

_WHAT = {Op.MATRIX_INVERSE: "matrix_inverse", Op.MATRIX_DETERMINANT: "matrix_determinant",
         Op.CHOLESKY: "cholesky", Op.MATRIX_SOLVE: "matrix_solve"}
_CALL = {Op.MATRIX_INVERSE: "np.linalg.inv", Op.MATRIX_DETERMINANT: "np.linalg.det",
         Op.CHOLESKY: "np.linalg.cholesky", Op.MATRIX_SOLVE: "np.linalg.solve"}


def _per_matrix_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    """One np.linalg call per matrix of the batch; a LAPACK failure is the node's error."""
    a_t, out_t = n.inputs[0], n.outputs[0]
    dims = em.dims(a_t, ins[0])
    batch = " * ".join(dims[:-2]) or "1"
    m = dims[-1]
    a3, ok = em.fresh("mat"), em.fresh("ok")
    em.check(f"{dims[-2]} == {dims[-1]}", n, "Input matrix must be square: " + _WHAT[n.op] + " takes square "
             "matrices, given shape {0}", [em.shape_tuple(dims)])
    em.line(f"{a3} = np.ascontiguousarray({ins[0]}).reshape(({batch}, {m}, {m}))")
    solve = n.op is Op.MATRIX_SOLVE
    if solve:
        b_dims = em.dims(n.inputs[1], ins[1])
        em.check(" and ".join(f"{x} == {y}" for x, y in zip(dims[:-1], b_dims[:-1])), n,
                 "Input matrix and rhs are incompatible: matrix_solve takes a matrix of shape {0} and a "
                 "right-hand side of shape {1}", [em.shape_tuple(dims), em.shape_tuple(b_dims)])
        k = b_dims[-1]
        b3 = em.fresh("rhs")
        em.line(f"{b3} = np.ascontiguousarray({ins[1]}).reshape(({batch}, {m}, {k}))")
        out_dims = [batch, m, k]
    elif n.op is Op.MATRIX_DETERMINANT:
        out_dims = [batch]
    else:
        out_dims = [batch, m, m]
    o = em.empty(out_dims, out_t.dtype)
    em.line(f"{ok} = True")
    with em.loops([batch]) as (i,):
        with em.block("try:"):
            if solve:
                mat = f"np.ascontiguousarray({a3}[{i}].T)" if n.attrs.adjoint else f"{a3}[{i}]"
                em.line(f"{o}[{i}] = np.linalg.solve({mat}, {b3}[{i}])")
            else:
                em.line(f"{o}[{i}] = {_CALL[n.op]}({a3}[{i}])")
        with em.block("except Exception:"):
            em.line(f"{ok} = False")
    em.check(ok, n, FAILURE[n.op])
    res = em.fresh("o")
    shape = dims[:-2] + ([m, b_dims[-1]] if solve else [] if n.op is Op.MATRIX_DETERMINANT else [m, m])
    em.line(f"{res} = {o}.reshape({em.shape_tuple(shape)})")
    em.define(out_t, res)


for _op in _CALL:
    kernel(_op, "cpu")(_per_matrix_cpu)
