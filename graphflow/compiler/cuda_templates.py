"""CUDA kernels of the primitives that are not fused loops: the tiled shared-memory matmul, the
sum of a tensor down to a broadcast shape (SumTo), and the variable updates (Assign). Sources
are text, loaded and compiled like the generated ones (``compiler/cuda.py``)."""
from __future__ import annotations

TILE = 16

# c[m, n] = sum_k a[m, k] b[k, n] over 16x16 tiles staged in shared memory; ``ta`` / ``tb`` read
# a or b transposed (a: [k, m], b: [n, k]); the accumulator is float64 for float32 inputs, as the
# CPU's reductions
MATMUL = """
import numpy as np
from numba import cuda, float64, {dtype} as elem

TILE = {tile}


@cuda.jit
def kernel(a, b, c, ta, tb):
    m, n = c.shape
    k = a.shape[0] if ta else a.shape[1]
    sa = cuda.shared.array(shape=(TILE, TILE), dtype=elem)
    sb = cuda.shared.array(shape=(TILE, TILE), dtype=elem)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    acc = float64(0.0)
    for t in range((k + TILE - 1) // TILE):
        ka = t * TILE + tx
        kb = t * TILE + ty
        if row < m and ka < k:
            sa[ty, tx] = a[ka, row] if ta else a[row, ka]
        else:
            sa[ty, tx] = 0
        if col < n and kb < k:
            sb[ty, tx] = b[col, kb] if tb else b[kb, col]
        else:
            sb[ty, tx] = 0
        cuda.syncthreads()
        for j in range(TILE):
            acc += float64(sa[ty, j]) * float64(sb[j, tx])
        cuda.syncthreads()
    if row < m and col < n:
        c[row, col] = elem(acc)
"""

# out (flat, the kept dims row-major) = x summed over the dims whose flag is 1; x padded to rank 4
SUM_TO = """
import numpy as np
from numba import cuda, float64, {dtype} as elem


@cuda.jit
def kernel(x, out, f0, f1, f2, f3):
    d0, d1, d2, d3 = x.shape
    t = cuda.grid(1)
    if t < out.shape[0]:
        rest = t
        k3 = 0
        k2 = 0
        k1 = 0
        k0 = 0
        if f3 == 0:
            k3 = rest % d3
            rest = rest // d3
        if f2 == 0:
            k2 = rest % d2
            rest = rest // d2
        if f1 == 0:
            k1 = rest % d1
            rest = rest // d1
        if f0 == 0:
            k0 = rest % d0
        acc = float64(0.0)
        for i0 in range(d0 if f0 else 1):
            for i1 in range(d1 if f1 else 1):
                for i2 in range(d2 if f2 else 1):
                    for i3 in range(d3 if f3 else 1):
                        acc += float64(x[i0 if f0 else k0, i1 if f1 else k1, i2 if f2 else k2, i3 if f3 else k3])
        out[t] = elem(acc)
"""

# a variable's flat buffer updated from a flat value: mode 0 set, 1 add, 2 subtract
ASSIGN = """
from numba import cuda


@cuda.jit
def kernel(dst, value, mode):
    t = cuda.grid(1)
    if t < dst.shape[0]:
        v = value[t if value.shape[0] > 1 else 0]
        if mode == 0:
            dst[t] = v
        elif mode == 1:
            dst[t] = dst[t] + v
        else:
            dst[t] = dst[t] - v
"""


def matmul_source(dtype: str) -> str:
    return MATMUL.format(dtype=dtype, tile=TILE)


def sum_to_source(dtype: str) -> str:
    return SUM_TO.format(dtype=dtype)
