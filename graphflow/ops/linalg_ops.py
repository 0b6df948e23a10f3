"""Matrix multiplication (batched over leading dims) and the composites built on it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.ir import Tensor
from graphflow.ops._build import as_tensors, make, require
from graphflow.registry import Kind, Op, OpDef, register
from graphflow.shapes import TensorShape, broadcast_dims, broadcast_shapes


@dataclass(frozen=True)
class MatMulAttrs:
    transpose_a: bool
    transpose_b: bool


def _mm_shape(shapes: Sequence[TensorShape], at: MatMulAttrs) -> list[TensorShape]:
    a, b = shapes
    if a.rank is None or b.rank is None:
        return [TensorShape(None)]
    if a.rank < 2 or b.rank < 2:
        raise ValueError(f"matmul needs operands of rank >= 2, got shapes {a} and {b}")
    m, ka = (a[-1], a[-2]) if at.transpose_a else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if at.transpose_b else (b[-2], b[-1])
    if broadcast_dims(ka, kb) == "error" or (ka is not None and kb is not None and ka != kb):
        raise ValueError(f"Dimensions must be equal, but are {ka} and {kb} (matmul of shapes {a} and {b}"
                         f"{', transpose_a' if at.transpose_a else ''}{', transpose_b' if at.transpose_b else ''})")
    batch = broadcast_shapes([TensorShape(a.dims[:-2]), TensorShape(b.dims[:-2])])  # type: ignore[index]
    if batch is None:
        raise ValueError(f"matmul batch dims of {a} and {b} do not broadcast")
    return [TensorShape(list(batch.dims) + [m, n])]  # type: ignore[arg-type]


def _mm_ref(at: MatMulAttrs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if at.transpose_a:
        a = np.swapaxes(a, -1, -2)
    if at.transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _mm_vjp(n: Any, g: Tensor) -> list:
    a, b = n.inputs
    ta, tb = n.attrs.transpose_a, n.attrs.transpose_b
    if not ta and not tb:
        return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    if not ta and tb:
        return [matmul(g, b), matmul(g, a, transpose_a=True)]
    return [matmul(b, g, transpose_a=True, transpose_b=True), matmul(g, a, transpose_a=True, transpose_b=True)]


register(OpDef(Op.MATMUL, Kind.OTHER, _mm_shape, require("fi"), _mm_ref, vjp=_mm_vjp))


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, name: str | None = None) -> Tensor:
    """Matrix product over the last two dims, batched (with broadcasting) over the others.

    >>> import graphflow as gf
    >>> gf.matmul(gf.ones((2, 3)), gf.ones((3, 4))).shape.as_list()
    [2, 4]
    """
    x, y = as_tensors(a, b)
    return make(Op.MATMUL, [x, y], MatMulAttrs(bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)),
                name=name or "MatMul")


# ---- CPU kernel ------------------------------------------------------------------------------------
from graphflow.registry import kernel as _kernel  # noqa: E402


@_kernel(Op.MATMUL, "cpu")
def _matmul_cpu(em: Any, n: Any, ins: list[str]) -> None:
    """BLAS through np.dot for floats (transposes become .T views); batch dims are looped with
    broadcasting; integer dtypes use plain loops."""
    a_t, b_t = n.inputs
    at: MatMulAttrs = n.attrs
    da, db = em.dims(a_t, ins[0]), em.dims(b_t, ins[1])
    m, ka = (da[-1], da[-2]) if at.transpose_a else (da[-2], da[-1])
    kb, nn = (db[-1], db[-2]) if at.transpose_b else (db[-2], db[-1])
    if ka != kb:
        em.check(f"{ka} == {kb}", n, "matmul inner dimensions differ")
    out_t = n.outputs[0]
    ra, rb, ro = len(da), len(db), out_t.shape.rank
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
    floating = out_t.dtype.is_floating and out_t.dtype.name != "float16"
    K = None if floating else em.use("graphflow.compiler.cpu_kernels")

    def operand(name: str, dims: list[str], r: int, bidx: list[str], transpose: bool) -> str:
        idx = []
        for k in range(r - 2):
            j = k + (ro - r)
            idx.append(f"({bidx[j]} if {dims[k]} != 1 else 0)")
        v = f"{name}[{', '.join(idx)}]" if idx else name
        if transpose:
            v = f"{v}.T" if floating else f"np.ascontiguousarray({v}.T)"
        return v

    with em.loops(batch) as bidx:
        a = operand(ins[0], da, ra, bidx, at.transpose_a)
        b = operand(ins[1], db, rb, bidx, at.transpose_b)
        dst = f"{out}[{', '.join(bidx)}]" if bidx else out
        if floating:
            em.line(f"np.dot({a}, {b}, {dst})")
        else:
            em.line(f"{K}.matmul_loops({a}, {b}, {dst})")
    em.define(out_t, out)
