"""Convolution/pooling micro-benchmark: the conv and pool layers of the TF1 MNIST-tutorial CNN
(batch 64, 28x28x1 -> conv 5x5x32 SAME -> relu -> max pool 2 -> conv 5x5x64 SAME -> relu -> max
pool 2), forward and backward, graphflow against PyTorch eager on the CPU, side by side in one
process with every BLAS pool and torch pinned to the same thread count.

    python tools/bench_conv.py [--threads 2] [--repeats 5] [--step]

--step also times the whole training step (dense layers and Adam included) from tools/bench.py.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BATCH = 64


def pin_threads(n: int) -> None:
    from bench import pin_threads as pin_blas
    print(pin_blas(n))
    try:
        import numba
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass


def timeit(fn: Callable[[], object], repeats: int, number: int = 5) -> float:
    from bench import timeit as bench_timeit
    return bench_timeit(fn, repeats, number)


def best_of_interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int,
                        rounds: int = 3) -> tuple[float, float]:
    """Best median of ``a`` and of ``b`` over rounds that alternate them (this box is shared:
    alternating keeps both sides under the same background load)."""
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(timeit(a, repeats))
        tb.append(timeit(b, repeats))
    return min(ta), min(tb)


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return (rng.rand(BATCH, 28, 28, 1).astype(np.float32),
            (rng.standard_normal((5, 5, 1, 32)) * 0.1).astype(np.float32),
            (rng.standard_normal((5, 5, 32, 64)) * 0.1).astype(np.float32))


def graphflow_cases() -> dict[str, Callable[[], object]]:
    import graphflow as gf
    images, w1_v, w2_v = data()
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 28, 28, 1])
        w1, w2 = gf.Variable(w1_v), gf.Variable(w2_v)
        pool = dict(ksize=2, strides=2, padding="SAME")
        c1 = gf.nn.conv2d(x, w1, 1, "SAME")
        p1 = gf.nn.max_pool(gf.nn.relu(c1), **pool)
        c2 = gf.nn.conv2d(p1, w2, 1, "SAME")
        p2 = gf.nn.max_pool(gf.nn.relu(c2), **pool)
        loss = gf.reduce_sum(p2)
        grads = gf.gradients(loss, [w1, w2])
        sess = gf.Session()
        sess.run(gf.global_variables_initializer())
        p1_v = sess.run(p1, {x: images})
        p1_ph = gf.placeholder(gf.float32, [None, 14, 14, 32])
        c2_only = gf.nn.conv2d(p1_ph, w2, 1, "SAME")
        dy = gf.placeholder(gf.float32, [None, 14, 14, 64])
        dx2, dw2 = gf.gradients(c2_only, [p1_ph, w2], grad_ys=dy)
        dy_v = np.random.RandomState(1).standard_normal((BATCH, 14, 14, 64)).astype(np.float32)
    return {
        "conv/pool stack forward": lambda: sess.run(p2, {x: images}),
        "conv/pool stack forward+backward": lambda: sess.run([loss, *grads], {x: images}),
        "conv2 forward": lambda: sess.run(c2_only, {p1_ph: p1_v}),
        "conv2 backprop input": lambda: sess.run(dx2, {p1_ph: p1_v, dy: dy_v}),
        "conv2 backprop filter": lambda: sess.run(dw2, {p1_ph: p1_v, dy: dy_v}),
    }


def torch_cases() -> dict[str, Callable[[], object]]:
    import torch
    import torch.nn.functional as F
    images, w1_v, w2_v = data()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    w1 = torch.from_numpy(w1_v).permute(3, 2, 0, 1).contiguous().requires_grad_(True)
    w2 = torch.from_numpy(w2_v).permute(3, 2, 0, 1).contiguous().requires_grad_(True)

    def stack() -> torch.Tensor:
        p1 = F.max_pool2d(F.relu(F.conv2d(x, w1, padding=2)), 2)
        return F.max_pool2d(F.relu(F.conv2d(p1, w2, padding=2)), 2)

    def fwd() -> object:
        with torch.no_grad():
            return stack().numpy()

    def fwd_bwd() -> object:
        loss = stack().sum()
        return [t.numpy() for t in torch.autograd.grad(loss, [w1, w2])]

    with torch.no_grad():
        p1 = F.max_pool2d(F.relu(F.conv2d(x, w1, padding=2)), 2)
    p1 = p1.contiguous().requires_grad_(True)
    dy = torch.from_numpy(np.random.RandomState(1).standard_normal((BATCH, 64, 14, 14)).astype(np.float32))

    def conv2_fwd() -> object:
        with torch.no_grad():
            return F.conv2d(p1, w2, padding=2).numpy()

    def conv2_grad(wrt: torch.Tensor) -> Callable[[], object]:
        return lambda: torch.autograd.grad(F.conv2d(p1, w2, padding=2), [wrt], grad_outputs=dy)[0].numpy()

    return {"conv/pool stack forward": fwd, "conv/pool stack forward+backward": fwd_bwd,
            "conv2 forward": conv2_fwd,
            # torch computes the forward again inside each backward case; its cost is listed above
            "conv2 backprop input": conv2_grad(p1), "conv2 backprop filter": conv2_grad(w2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--step", action="store_true", help="also time the whole CNN training step")
    args = ap.parse_args()
    pin_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    gfc, tc = graphflow_cases(), torch_cases()
    print(f"MNIST CNN conv/pool layers, batch {BATCH}, {args.threads} threads: median ms (best of 3 rounds)")
    print(f"  {'case':36s} {'graphflow':>10s} {'PyTorch':>10s} {'ratio':>7s}")
    for name in gfc:
        g_t, t_t = best_of_interleaved(gfc[name], tc[name], args.repeats)
        print(f"  {name:36s} {g_t * 1e3:10.2f} {t_t * 1e3:10.2f} {g_t / t_t:6.2f}x")
    if args.step:
        import bench
        steps = {"graphflow": bench.graphflow_cnn_step(), "PyTorch": bench.torch_cnn_step()}
        g_t, t_t = best_of_interleaved(steps["graphflow"], steps["PyTorch"], args.repeats)
        best = {"graphflow": g_t, "PyTorch": t_t}
        print(f"  {'whole training step (Adam)':36s} {best['graphflow'] * 1e3:10.2f} "
              f"{best['PyTorch'] * 1e3:10.2f} {best['graphflow'] / best['PyTorch']:6.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
