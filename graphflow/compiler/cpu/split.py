"""Work split between the threads a step may use, for the glue's own kernels: the direct
convolutions (``simd/conv.py``) and large GEMMs (``gemm_calls.py``) run their parts on this
module's pool, each part a jitted loop or one single-threaded BLAS call that releases the GIL.

Why not BLAS's threads: OpenBLAS's helpers spin for about 0.1 s after each multithreaded call
(``runtime/threads.py``), so a kernel that splits its own work right after a GEMM finds the other
core taken by a spinning helper and runs at one core's speed (measured: the MNIST CNN step's
convolutions took 14.6-16.5 ms each on two threads after the dense layer's GEMMs, 8-11 ms with the
helpers told to sleep at once). The pool's idle threads wait on a lock instead, so a glue program
that splits its GEMMs here too never leaves a thread spinning.

The thread count is the step's (``gemm_threads.STEP_THREADS``: the runtime's load policy, never
above the user's BLAS limit; 0 outside a step, which counts as one).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from graphflow.compiler.cpu.gemm_threads import STEP_THREADS

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def step_threads() -> int:
    """The threads the running step may use (1 outside a step)."""
    return max(1, STEP_THREADS.value)


def _submit(parts: list[tuple[Callable[[int, int, int], None], int, int, int]]) -> list[Future[None]]:
    """Hand ``parts`` to the pool, grown first where it has fewer threads; under the lock, so a
    pool another thread replaces is never one this submits to (replaced pools finish what they
    hold and end)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < len(parts):
            old, _pool, _pool_size = _pool, ThreadPoolExecutor(max_workers=len(parts),
                                                               thread_name_prefix="graphflow"), len(parts)
            if old is not None:
                old.shutdown(wait=False)
        return [_pool.submit(fn, k, lo, hi) for fn, k, lo, hi in parts]


def bounds(n: int, parts: int, align: int = 1) -> list[int]:
    """``parts`` + 1 cut points of 0..n, as even as multiples of ``align`` allow.

    >>> bounds(10, 2), bounds(100, 3, align=16)
    ([0, 5, 10], [0, 32, 64, 100])
    """
    cuts = [min(n, (n * k // parts + align // 2) // align * align) for k in range(parts)]
    return [0] + cuts[1:] + [n]


def run(n: int, parts: int, part: Callable[[int, int, int], None], align: int = 1) -> int:
    """``part(k, lo, hi)`` over ``parts`` ranges of 0..n-1 (``bounds``), the calling thread taking
    the first; returns the number of parts run (fewer where ``n`` has fewer items)."""
    parts = max(1, min(parts, -(-n // max(1, align))))
    if parts == 1:
        part(0, 0, n)
        return 1
    cuts = bounds(n, parts, align)
    futures = _submit([(part, k, cuts[k], cuts[k + 1]) for k in range(1, parts)])
    try:
        part(0, cuts[0], cuts[1])
    finally:
        for f in futures:
            f.result()
    return parts


# Elements from which the glue splits a flat in-place kernel (a fused optimizer update): the CNN's
# 3.2M-parameter Adam update took 2.3 ms on one thread
FLAT_SPLIT = 1 << 18


def flat(kernel: Callable[..., None], args: tuple[object, ...], sliced: tuple[bool, ...]) -> None:
    """``kernel(*args)`` for a flat kernel that writes in place and returns nothing, split between
    the step's threads: each part gets the same range of every ``sliced`` argument (the flat
    arrays, all of one length; contiguous views, so the compiled kernel is the same) and the
    others whole (scalars)."""
    n = next(a.size for a, s in zip(args, sliced) if s)  # type: ignore[attr-defined]
    threads = step_threads() if n >= FLAT_SPLIT else 1
    if threads == 1:
        kernel(*args)
        return
    run(n, threads, lambda _, lo, hi: kernel(*[a[lo:hi] if s else a for a, s in zip(args, sliced)]),  # type: ignore[index]
        align=64)
