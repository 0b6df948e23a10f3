"""Matrix products as the Python glue runs them: a product large enough to gain from a second
core (``POOL_GEMM_FLOPS``) is split into blocks of its result, one per thread the step may use
(``split.py``), each a single-threaded BLAS call (``blas.gemm_block``) with OpenBLAS's own count at
one meanwhile; smaller ones are one ``blas.gemm`` call, as compiled code makes them.

OpenBLAS splitting a product itself is as fast, but its helpers then spin for about 0.1 s, taking
the core the glue's next split kernel (a convolution, the next product) needs; the pool's threads
wait on a lock. The count is lowered to one and put back as compiled code does it
(``gemm_threads``: only 1 or the step's count is ever written), so the runtime's thread policy
holds.

The result is split along its longer side: rows (op(a)'s rows) or columns in multiples of 16
(op(b)'s columns), each block a contiguous run of a C-ordered operand or one addressed through
BLAS's leading dimension.
"""
from __future__ import annotations

import numpy as np

from graphflow.compiler.cpu import split
from graphflow.compiler.cpu.blas import gemm as _gemm
from graphflow.compiler.cpu.blas import gemm_block
from graphflow.compiler.cpu.gemm_threads import LIBRARY, STEP_THREADS

# FLOPs from which a product is split on the pool. Below, ``blas.gemm`` runs it as compiled code
# does (one thread under SMALL_GEMM_FLOPS, OpenBLAS's own threads above): handing parts to the
# pool costs tens of microseconds, which an LSTM step's 10-MFLOP products in its loop body did
# not earn back (dynamic_rnn T=20 on two threads: 13.9 ms split from 5 MFLOP up, 12.6-14.1 ms
# from 20-64 MFLOP up, one process each, 2026-12-06); the CNN's are 400 MFLOP and more
POOL_GEMM_FLOPS = 32e6


def _narrowed(fn: object) -> None:
    """Run ``fn()`` with OpenBLAS's count at one, then the step's count back."""
    setter = LIBRARY.set_threads
    if setter is None:
        fn()  # type: ignore[operator]
        return
    setter(1)
    try:
        fn()  # type: ignore[operator]
    finally:
        count = STEP_THREADS.value
        if count > 0:
            setter(count)


def gemm(a: np.ndarray, ta: bool, b: np.ndarray, tb: bool, c: np.ndarray, alpha: float, beta: float) -> None:
    """``c = alpha * op(a) @ op(b) + beta * c`` in place, as ``blas.gemm`` (C-contiguous 2-D
    operands of one float dtype), split between the step's threads when it is large."""
    m, n = c.shape
    k = a.shape[0] if ta else a.shape[1]
    threads = split.step_threads()
    if threads <= 1 or 2.0 * m * n * k < POOL_GEMM_FLOPS or LIBRARY.set_threads is None:
        _gemm(a, ta, b, tb, c, alpha, beta)
        return
    if (a.shape[1] if ta else a.shape[0]) != m or (b.shape[0] if tb else b.shape[1]) != n or \
            (b.shape[1] if tb else b.shape[0]) != k:
        raise ValueError("gemm: operand shapes do not agree")
    if m >= n:
        def part(_: int, lo: int, hi: int) -> None:
            gemm_block(a, ta, b, tb, c, lo, hi, 0, n, alpha, beta)
        _narrowed(lambda: split.run(m, threads, part))
    else:
        def cols(_: int, lo: int, hi: int) -> None:
            gemm_block(a, ta, b, tb, c, 0, m, lo, hi, alpha, beta)
        _narrowed(lambda: split.run(n, threads, cols, align=16))


def matmul(a: np.ndarray, b: np.ndarray, ta: bool, tb: bool) -> np.ndarray:
    """``op(a) @ op(b)`` for 2-D float operands of one dtype (``op`` transposes where ``ta``/``tb``)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    m = a.shape[1] if ta else a.shape[0]
    n = b.shape[0] if tb else b.shape[1]
    out = np.empty((m, n), dtype=a.dtype)
    gemm(a, ta, b, tb, out, 1.0, 0.0)
    return out
