"""CPU rules for the decompositions (SVD, QR, eigh) and the factor ops (sign/log-determinant, LU,
matrix exponential and square root): the batch flattened to [batch, M, N], one call of a kernel in
``cpu/decomposition_kernels.py``, the outputs reshaped back; a kernel's failure is the node's error."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import decomposition_ops as D
from graphflow.ops import factor_ops as FO

_KERNELS = "graphflow.compiler.cpu.decomposition_kernels"
_WHAT = {Op.SVD: "svd", Op.QR: "qr", Op.SELF_ADJOINT_EIG: "self_adjoint_eig", Op.LOG_MATRIX_DETERMINANT:
         "log_matrix_determinant", Op.LU: "lu", Op.MATRIX_EXPONENTIAL: "expm",
         Op.MATRIX_SQUARE_ROOT: "sqrtm"}
_FAILURE = {**D.FAILURE, **FO.FAILURE}


def _flat(em: CpuEmit, n: Operation, x: str) -> tuple[list[str], str, str]:
    """(dims, batch expression, the input as a contiguous [batch, M, N] array)."""
    dims = em.dims(n.inputs[0], x)
    batch = " * ".join(dims[:-2]) or "1"
    a3 = em.fresh("mat")
    em.line(f"{a3} = np.ascontiguousarray({x}).reshape(({batch}, {dims[-2]}, {dims[-1]}))")
    return dims, batch, a3


def _square(em: CpuEmit, n: Operation, dims: list[str]) -> None:
    em.check(f"{dims[-2]} == {dims[-1]}", n, "Input matrix must be square: " + _WHAT[n.op] + " takes square "
             "matrices, given shape {0}", [em.shape_tuple(dims)])


def _finish(em: CpuEmit, n: Operation, ok: str, outs: list[tuple[str, list[str]]]) -> None:
    """Raise the node's error unless ``ok``; bind each output (a flat array and its dims)."""
    if n.op in _FAILURE:
        em.check(ok, n, _FAILURE[n.op])
    for t, (flat, dims) in zip(n.outputs, outs):
        res = em.fresh("o")
        em.line(f"{res} = {flat}.reshape({em.shape_tuple(dims)})")
        em.define(t, res)


@kernel(Op.SVD, "cpu")
def _svd_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    m, c = dims[-2], dims[-1]
    k = em.fresh("k")
    em.line(f"{k} = min({m}, {c})")
    full, uv = n.attrs.full_matrices, n.attrs.compute_uv
    ucols, vcols = (m, c) if full else (k, k)
    s = em.empty([batch, k], n.dtypes[0])
    u = em.empty([batch, m, ucols] if uv else ["1", "1", "1"], n.dtypes[0])
    v = em.empty([batch, c, vcols] if uv else ["1", "1", "1"], n.dtypes[0])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.svd({a3}, {s}, {u}, {v}, {full}, {uv})")
    outs = [(s, dims[:-2] + [k])]
    if uv:
        outs += [(u, dims[:-2] + [m, ucols]), (v, dims[:-2] + [c, vcols])]
    _finish(em, n, ok, outs)


@kernel(Op.QR, "cpu")
def _qr_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    m, c = dims[-2], dims[-1]
    k = em.fresh("k")
    em.line(f"{k} = {m} if {n.attrs.full_matrices} else min({m}, {c})")
    q = em.empty([batch, m, k], n.dtypes[0])
    r = em.empty([batch, k, c], n.dtypes[0])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.qr({a3}, {q}, {r}, {n.attrs.full_matrices})")
    _finish(em, n, ok, [(q, dims[:-2] + [m, k]), (r, dims[:-2] + [k, c])])


@kernel(Op.SELF_ADJOINT_EIG, "cpu")
def _eigh_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    _square(em, n, dims)
    size = dims[-1]
    cv = n.attrs.compute_v
    e = em.empty([batch, size], n.dtypes[0])
    v = em.empty([batch, size, size] if cv else ["1", "1", "1"], n.dtypes[0])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.eigh({a3}, {e}, {v}, {cv})")
    _finish(em, n, ok, [(e, dims[:-1])] + ([(v, dims)] if cv else []))


@kernel(Op.LOG_MATRIX_DETERMINANT, "cpu")
def _slogdet_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    _square(em, n, dims)
    sign = em.empty([batch], n.dtypes[0])
    logdet = em.empty([batch], n.dtypes[1])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.slogdet({a3}, {sign}, {logdet})")
    _finish(em, n, ok, [(sign, dims[:-2]), (logdet, dims[:-2])])


@kernel(Op.LU, "cpu")
def _lu_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    _square(em, n, dims)
    size = dims[-1]
    out = em.empty([batch, size, size], n.dtypes[0])
    perm = em.empty([batch, size], n.dtypes[1])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.lu({a3}, {out}, {perm})")
    _finish(em, n, ok, [(out, dims), (perm, dims[:-1])])


@kernel(Op.MATRIX_EXPONENTIAL, "cpu")
def _expm_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    _square(em, n, dims)
    out = em.empty([batch, dims[-1], dims[-1]], n.dtypes[0])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.expm({a3}, {out})")
    _finish(em, n, ok, [(out, dims)])


@kernel(Op.MATRIX_SQUARE_ROOT, "cpu")
def _sqrtm_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    dims, batch, a3 = _flat(em, n, ins[0])
    _square(em, n, dims)
    out = em.empty([batch, dims[-1], dims[-1]], n.dtypes[0])
    ok = em.fresh("ok")
    em.line(f"{ok} = {em.use(_KERNELS)}.sqrtm({a3}, {out})")
    _finish(em, n, ok, [(out, dims)])
