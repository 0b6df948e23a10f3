"""Convolution kernels against this machine's limit: the MNIST-tutorial CNN's two convolutions
(batch 64; conv1 28x28x1 -> 32, conv2 14x14x32 -> 64, 5x5 SAME), forward, input gradient and
filter gradient (conv1's input gradient is never computed in training, and is left out), NHWC
float32, kernel calls only (no graph, no session), side by side in one process:

- the generated direct kernels the glue runs (``compiler/cpu/simd/conv.py``, on ``--threads``
  threads of their own),
- the im2col kernels the inline entries and the fallback run (``conv_calls.im2col_*``: their GEMMs
  on SciPy's OpenBLAS, pinned to ``--threads``),
- PyTorch's oneDNN (NCHW; ``torch.set_num_threads(--threads)``): ``F.conv2d`` and, for the
  gradients, ``aten.convolution_backward`` asked for the one gradient.

Each with GFLOP/s and the fraction of the FMA peak measured at start-up: one thread running
independent vector FMAs (12 accumulators at the host's width) in a loop.

    python tools/bench_conv_kernels.py [--threads 1] [--repeats 7]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from graphflow.compiler.cpu.simd.vector import host_lanes, vadd, vfma, vsplat, vsum  # noqa: E402
from graphflow.runtime import cache  # noqa: E402

conv_calls = cache.library("graphflow.compiler.cpu.conv_calls")  # cached as generated code caches them
simd_conv = cache.library("graphflow.compiler.cpu.simd.conv")


@numba.njit(nogil=True)
def _fma_loop(a, h, q, n):  # type: ignore[no-untyped-def]
    """12 independent 8-lane FMA chains (the host's width is printed beside the figure)."""
    b = vsplat(a, 8)
    c = vsplat(h, 8)
    acc0 = acc1 = acc2 = acc3 = acc4 = acc5 = vsplat(q, 8)
    acc6 = acc7 = acc8 = acc9 = acc10 = acc11 = vsplat(h, 8)
    for _ in range(n):
        acc0 = vfma(acc0, b, c)
        acc1 = vfma(acc1, b, c)
        acc2 = vfma(acc2, b, c)
        acc3 = vfma(acc3, b, c)
        acc4 = vfma(acc4, b, c)
        acc5 = vfma(acc5, b, c)
        acc6 = vfma(acc6, b, c)
        acc7 = vfma(acc7, b, c)
        acc8 = vfma(acc8, b, c)
        acc9 = vfma(acc9, b, c)
        acc10 = vfma(acc10, b, c)
        acc11 = vfma(acc11, b, c)
    s = vadd(vadd(vadd(acc0, acc1), vadd(acc2, acc3)), vadd(vadd(acc4, acc5), vadd(acc6, acc7)))
    return vsum(vadd(s, vadd(vadd(acc8, acc9), vadd(acc10, acc11))))


def fma_peak() -> float:
    """GFLOP/s of one thread's 8-lane float32 FMAs (2 flops per lane)."""
    a, h, q = np.float32(0.999999), np.float32(0.5), np.float32(0.25)
    _fma_loop(a, h, q, 10)
    n = 20_000_000
    best = min(_timed(lambda: _fma_loop(a, h, q, n)) for _ in range(3))
    return 12 * 8 * 2 * n / best / 1e9


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def best(fn: Callable[[], object], repeats: int) -> float:
    fn()
    return min(_timed(fn) for _ in range(repeats))


def _torch_cases(x: np.ndarray, f: np.ndarray, dy: np.ndarray) -> dict[str, Callable[[], object]]:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return {}
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    ft = torch.from_numpy(f).permute(3, 2, 0, 1).contiguous()
    dyt = torch.from_numpy(dy).permute(0, 3, 1, 2).contiguous()
    pad = f.shape[0] // 2

    def backward(mask: list[bool]) -> Callable[[], object]:
        return lambda: torch.ops.aten.convolution_backward(dyt, xt, ft, None, [1, 1], [pad, pad], [1, 1], False,
                                                           [0, 0], 1, mask)
    return {"forward": lambda: F.conv2d(xt, ft, padding=pad), "input gradient": backward([True, False, False]),
            "filter gradient": backward([False, True, False])}


def section(threads: int, repeats: int) -> dict[str, float]:
    """Print the table (the caller has pinned BLAS to ``threads``); return ms per kernel."""
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass
    peak = fma_peak()
    print(f"  FMA peak, one thread, 8-lane float32: {peak:.0f} GFLOP/s (host vector: {host_lanes(np.float32)} "
          f"float32 lanes); {threads} thread(s) for every contender; 'of peak' is of {threads} x that")
    rng = np.random.RandomState(0)
    print(f"  {'kernel':40s} {'ms':>8s} {'GFLOP/s':>8s} {'of peak':>8s} {'/ oneDNN':>9s}")
    out: dict[str, float] = {}
    for name, (h, c, o) in {"conv1 28x28x1->32": (28, 1, 32), "conv2 14x14x32->64": (14, 32, 64)}.items():
        x = rng.rand(64, h, h, c).astype(np.float32)
        f = (rng.standard_normal((5, 5, c, o)) * 0.1).astype(np.float32)
        dy = rng.standard_normal((64, h, h, o)).astype(np.float32)
        flops = 2 * 64 * h * h * o * 25 * c
        geo = (1, 1, 1, 1, 2, 2)
        ours = {"forward": (lambda: simd_conv.conv2d(x, f, *geo, h, h, threads=threads),
                            lambda: conv_calls.im2col_conv2d(x, f, *geo, h, h)),
                "input gradient": (lambda: simd_conv.conv2d_backprop_input(dy, f, 64, h, h, *geo, threads=threads),
                                   lambda: conv_calls.im2col_backprop_input(dy, f, 64, h, h, *geo)),
                "filter gradient": (lambda: simd_conv.conv2d_backprop_filter(x, dy, 5, 5, *geo, threads=threads),
                                    lambda: conv_calls.im2col_backprop_filter(x, dy, 5, 5, *geo))}
        if c == 1:
            del ours["input gradient"]
        for kind, (direct, im2col) in ours.items():
            np.testing.assert_allclose(direct(), im2col(), rtol=1e-3, atol=1e-3, err_msg=f"{name} {kind}")
        peers = _torch_cases(x, f, dy)
        print(f"  {name}")
        for kind, (direct, im2col) in ours.items():
            cases = {"generated direct": direct, "im2col + OpenBLAS": im2col}
            if kind in peers:
                cases["PyTorch (oneDNN)"] = peers[kind]
            times: dict[str, list[float]] = {k: [] for k in cases}
            for _ in range(3):  # interleaved rounds: the same background for each
                for k, fn in cases.items():
                    times[k].append(best(fn, repeats))
            ref = min(times["PyTorch (oneDNN)"]) if "PyTorch (oneDNN)" in times else None
            for k in cases:
                t = min(times[k])
                out[f"{name.split()[0]} {kind} {k}"] = t * 1e3
                rel = f"{t / ref:8.2f}x" if ref else ""
                print(f"    {kind + ', ' + k:38s} {t * 1e3:8.2f} {flops / t / 1e9:8.1f} "
                      f"{flops / t / 1e9 / peak / threads:7.0%} {rel:>9s}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    from bench import pin_threads
    print(pin_threads(args.threads))
    section(args.threads, args.repeats)


if __name__ == "__main__":
    main()
