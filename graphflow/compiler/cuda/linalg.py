"""CUDA kernels of batched matmul and of the dense linear algebra on batches of square matrices:
one LU kernel for solve, inverse (a solve against the identity) and determinant, and Cholesky.

Batched matmul is the 2-D kernel's 16x16 shared-memory tiling with the batch on the grid's z
axis; broadcast batch dims arrive as per-batch element offsets (``aoff``, ``boff``), computed
once per shape on the host. The factorisations run one thread per matrix with partial pivoting
in a float64 workspace (the matrices of TF1 graphs are small; a blocked solver per matrix is
cuSOLVER's job, not yet bound); a singular or non-positive-definite matrix is counted into
``bad[0]`` and the host raises the CPU's message.
"""
from __future__ import annotations

from graphflow.compiler.cuda.templates import TILE

# c[z] = op(a[z]) @ op(b[z]) for the z-th batch element; a[z] starts at aoff[z], b[z] at boff[z]
BATCH_MATMUL = """
from numba import cuda, float64
from numba.core.types import {dtype} as elem

TILE = {tile}


@cuda.jit
def kernel(a, b, c, aoff, boff, m, n, k, ta, tb):
    z = cuda.blockIdx.z
    sa = cuda.shared.array(shape=(TILE, TILE), dtype=elem)
    sb = cuda.shared.array(shape=(TILE, TILE), dtype=elem)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    a0, b0 = aoff[z], boff[z]
    acc = float64(0.0)
    for t in range((k + TILE - 1) // TILE):
        ka = t * TILE + tx
        kb = t * TILE + ty
        if row < m and ka < k:
            sa[ty, tx] = a[a0 + ka * m + row] if ta else a[a0 + row * k + ka]
        else:
            sa[ty, tx] = 0
        if col < n and kb < k:
            sb[ty, tx] = b[b0 + col * k + kb] if tb else b[b0 + kb * n + col]
        else:
            sb[ty, tx] = 0
        cuda.syncthreads()
        for j in range(TILE):
            acc += float64(sa[ty, j]) * float64(sb[j, tx])
        cuda.syncthreads()
    if row < m and col < n:
        c[(z * m + row) * n + col] = elem(acc)
"""

# out[z] = the lower Cholesky factor of the z-th matrix (its lower triangle is read)
CHOLESKY = """
import math
from numba import cuda, float64


@cuda.jit
def kernel(a, out, n, bad):
    z = cuda.grid(1)
    if z < a.shape[0] // max(n * n, 1):
        o = z * n * n
        for j in range(n):
            s = float64(a[o + j * n + j])
            for k in range(j):
                s -= float64(out[o + j * n + k]) * float64(out[o + j * n + k])
            if not s > 0.0:
                cuda.atomic.add(bad, 0, 1)
                return
            d = math.sqrt(s)
            out[o + j * n + j] = d
            for i in range(j + 1, n):
                s = float64(a[o + i * n + j])
                for k in range(j):
                    s -= float64(out[o + i * n + k]) * float64(out[o + j * n + k])
                out[o + i * n + j] = s / d
            for i in range(j):
                out[o + i * n + j] = 0.0
"""

# LU with partial pivoting of the z-th n x n matrix in ``work`` (a float64 copy, transposed for
# an adjoint solve), applied to the z-th right-hand side ``rhs`` [n, r] (a float64 copy of b; the
# identity for an inverse), then back substitution into out[z]; det[z] = the determinant (the
# product of the pivots, its sign flipped by each row swap; 0 when singular). A singular matrix
# counts into bad[0] when ``check`` (solve, inverse; a determinant of 0 is an answer).
LU = """
import math
from numba import cuda


@cuda.jit
def kernel(work, rhs, out, det, n, r, bad, check):
    z = cuda.grid(1)
    if z < det.shape[0]:
        o = z * n * n
        q = z * n * r
        d = 1.0
        for c in range(n):
            p = c
            for i in range(c + 1, n):
                if math.fabs(work[o + i * n + c]) > math.fabs(work[o + p * n + c]):
                    p = i
            pivot = work[o + p * n + c]
            if pivot == 0.0 or pivot != pivot:
                det[z] = 0.0 if pivot == 0.0 else pivot
                if check:
                    cuda.atomic.add(bad, 0, 1)
                return
            if p != c:
                d = -d
                for j in range(n):
                    w = work[o + c * n + j]
                    work[o + c * n + j] = work[o + p * n + j]
                    work[o + p * n + j] = w
                for j in range(r):
                    w = rhs[q + c * r + j]
                    rhs[q + c * r + j] = rhs[q + p * r + j]
                    rhs[q + p * r + j] = w
            d *= pivot
            for i in range(c + 1, n):
                f = work[o + i * n + c] / pivot
                if f != 0.0:
                    for j in range(c, n):
                        work[o + i * n + j] = work[o + i * n + j] - f * work[o + c * n + j]
                    for j in range(r):
                        rhs[q + i * r + j] = rhs[q + i * r + j] - f * rhs[q + c * r + j]
        det[z] = d
        for j in range(r):
            for i in range(n - 1, -1, -1):
                s = rhs[q + i * r + j]
                for k in range(i + 1, n):
                    s -= work[o + i * n + k] * rhs[q + k * r + j]
                rhs[q + i * r + j] = s / work[o + i * n + i]
                out[q + i * r + j] = rhs[q + i * r + j]
"""


def batch_matmul_source(dtype: str) -> str:
    return BATCH_MATMUL.format(dtype=dtype, tile=TILE)
