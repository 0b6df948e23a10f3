"""GEMM time against OpenBLAS's thread count, on idle cores and beside a busy process: the
measurement behind ``SMALL_GEMM_FLOPS`` (compiler/cpu/gemm_threads.py) and the step cap
(runtime/threads.py).

    python tools/bench_gemm_threads.py              # sizes from 0.3 to 400 MFLOP, quiet and busy
    python tools/bench_gemm_threads.py --rounds 5

Every product runs through numba's ``np.dot`` on SciPy's OpenBLAS (what compiled code calls),
float32, at one thread and at every core this process may use; each round measures all sizes
quiet, then with one extra process spinning, and a figure is the best (least disturbed) of its
rounds' best-of-15 times. Also the cost of the policy's calls: ``narrow``/``widen`` around a
product inside compiled code, and the per-step ``enter``/``leave`` from Python.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np
from bench_rnn_tutorial import busy

SIZES = [(64, 32, 64), (128, 65, 64), (128, 65, 256), (128, 96, 256), (128, 112, 256), (128, 128, 256),
         (64, 156, 512), (64, 1000, 100), (256, 128, 256), (64, 512, 512), (256, 256, 256), (1280, 156, 512),
         (64, 3136, 1024)]


@numba.njit(cache=False)
def _dots(a, b, c, reps):  # type: ignore[no-untyped-def]
    for _ in range(reps):
        np.dot(a, b, c)


def median_time(a: np.ndarray, b: np.ndarray, c: np.ndarray, tries: int = 15) -> float:
    """Median seconds per product over ``tries`` batches of about 2 ms (a minimum would hide the
    cliff: a spinning process leaves the helper thread its core now and then)."""
    _dots(a, b, c, 2)
    t = time.perf_counter()
    _dots(a, b, c, 1)
    reps = max(1, min(50, int(2e-3 / max(time.perf_counter() - t, 1e-7))))
    times = []
    for _ in range(tries):
        t = time.perf_counter()
        _dots(a, b, c, reps)
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def sweep(rounds: int, threads: tuple[int, ...]) -> dict[tuple[tuple[int, int, int], int, bool], float]:
    from graphflow.compiler.cpu.gemm_threads import LIBRARY
    assert LIBRARY.set_threads is not None and LIBRARY.get_threads is not None
    user = LIBRARY.get_threads()
    rs = np.random.RandomState(0)
    arrays = {s: (rs.rand(s[0], s[1]).astype(np.float32), rs.rand(s[1], s[2]).astype(np.float32),
                  np.empty((s[0], s[2]), np.float32)) for s in SIZES}
    best: dict[tuple[tuple[int, int, int], int, bool], float] = {}
    try:
        for _ in range(rounds):
            for on in (False, True):
                with busy(on):
                    for s, (a, b, c) in arrays.items():
                        for n in threads:
                            LIBRARY.set_threads(n)
                            t = median_time(a, b, c)
                            best[(s, n, on)] = min(best.get((s, n, on), t), t)
    finally:
        LIBRARY.set_threads(user)
    return best


def policy_costs() -> tuple[float, float]:
    """(ns per narrow+widen pair in compiled code, us per enter+leave pair from Python)."""
    from graphflow.compiler.cpu.gemm_threads import narrow, widen
    from graphflow.runtime.threads import POLICY, Policy

    @numba.njit(cache=False)
    def pairs(n):  # type: ignore[no-untyped-def]
        total = 0
        for i in range(n):
            t = narrow(128, 256, 65 + (i & 1))
            total += t
            widen(t)
        return total
    pairs(10)
    n = 200_000
    step = Policy(fixed=64)  # narrow changes the count only inside a step, here on the user's count
    entered = step.enter()
    t = time.perf_counter()
    pairs(n)
    compiled = (time.perf_counter() - t) / n * 1e9
    step.leave(entered)
    t = time.perf_counter()
    for _ in range(20_000):
        POLICY.leave(POLICY.enter())
    return compiled, (time.perf_counter() - t) / 20_000 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = (1, cores) if cores > 1 else (1,)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({cores} cores)")
    best = sweep(args.rounds, threads)
    many = threads[-1]
    print(f"float32 GEMM m x k x n, us (best round's median); '{many}/1' is {many} threads' time over one thread's")
    print(f"  {'m, k, n':>18} {'MFLOP':>7} | {'quiet 1':>8} {f'quiet {many}':>8} {f'{many}/1':>5} | "
          f"{'busy 1':>8} {f'busy {many}':>8} {f'{many}/1':>6}")
    for s in SIZES:
        q1, qn, b1, bn = best[(s, 1, False)], best[(s, many, False)], best[(s, 1, True)], best[(s, many, True)]
        print(f"  {str(s):>18} {2 * s[0] * s[1] * s[2] / 1e6:7.2f} | {q1 * 1e6:8.1f} {qn * 1e6:8.1f} "
              f"{qn / q1:5.2f} | {b1 * 1e6:8.1f} {bn * 1e6:8.1f} {bn / b1:6.2f}")
    compiled, step = policy_costs()
    print(f"policy calls: narrow+widen in compiled code {compiled:.1f} ns per product; "
          f"enter+leave per step {step:.2f} us")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
