"""Numba kernels for the softmax cross-entropy rows (ops/xent_ops.py): one pass per row over the
last axis, exponentials and sums in float64 as every float32 reduction here."""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


@_jit
def _row_shift(x, r):  # type: ignore[no-untyped-def]
    """(max, log of the sum of exp(x - max)) of row r."""
    c = x.shape[1]
    m = np.float64(x[r, 0]) if c else 0.0
    for j in range(1, c):
        v = np.float64(x[r, j])
        m = v if (v > m or v != v) else m
    s = 0.0
    for j in range(c):
        s += np.exp(np.float64(x[r, j]) - m)
    return m, np.log(s)


@_jit
def softmax_xent(labels, logits, out):  # type: ignore[no-untyped-def]
    """out[r] = -sum_j labels[r, j] * log_softmax(logits[r])_j."""
    for r in range(logits.shape[0]):
        m, lse = _row_shift(logits, r)
        acc = 0.0
        for j in range(logits.shape[1]):
            acc += np.float64(labels[r, j]) * (lse - (np.float64(logits[r, j]) - m))
        out[r] = acc


@_jit
def softmax_xent_grad(g, labels, logits, out):  # type: ignore[no-untyped-def]
    """out[r, j] = g[r] * (softmax(logits[r])_j * sum(labels[r]) - labels[r, j])."""
    for r in range(logits.shape[0]):
        m, lse = _row_shift(logits, r)
        total = 0.0
        for j in range(logits.shape[1]):
            total += np.float64(labels[r, j])
        gr = np.float64(g[r])
        for j in range(logits.shape[1]):
            p = np.exp(np.float64(logits[r, j]) - m - lse)
            out[r, j] = gr * (p * total - np.float64(labels[r, j]))
