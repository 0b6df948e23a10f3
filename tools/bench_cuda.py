"""Training steps on the GPU: the tutorial MLP (784-256-10, Adam) and the digits CNN, graphflow's
CUDA target beside PyTorch CUDA in one process (median ms per step after warm-up). Needs an
NVIDIA GPU; prints why it cannot run otherwise.

    python tools/bench_cuda.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))


def _median(step: Callable[[], Any], repeats: int = 20, sync: Callable[[], Any] = lambda: None) -> float:
    for _ in range(3):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    import graphflow as gf
    from graphflow.runtime.cuda_executable import available
    ok, why = available()
    if not ok or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        print(f"no GPU benchmark: {why or 'the CUDA simulator is not a GPU'}")
        return
    rs = np.random.RandomState(0)
    rows = []
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 784])
        y = gf.placeholder(gf.int64, [None])
        w1 = gf.Variable(rs.randn(784, 256).astype(np.float32) * 0.05)
        b1 = gf.Variable(np.zeros(256, np.float32))
        w2 = gf.Variable(rs.randn(256, 10).astype(np.float32) * 0.05)
        logits = gf.matmul(gf.nn.relu(gf.matmul(x, w1) + b1), w2)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss)
        feed = {x: rs.rand(64, 784).astype(np.float32), y: rs.randint(0, 10, 64)}
        s = gf.Session(device="cuda")
        s.run(gf.global_variables_initializer())
        rows.append(("MLP", "graphflow", _median(lambda: s.run([loss, train], feed))))
    with gf.Graph().as_default():
        import digits_cnn
        m = digits_cnn.build()
        feed = {m["images"]: rs.rand(64, 8, 8, 1).astype(np.float32), m["labels"]: rs.randint(0, 10, 64),
                m["keep_prob"]: 0.5}
        s = gf.Session(device="cuda")
        s.run(gf.global_variables_initializer())
        rows.append(("CNN", "graphflow", _median(lambda: s.run([m["loss"], m["train_step"]], feed))))
    try:
        import torch
        cuda_ok = torch.cuda.is_available()
    except ImportError:
        cuda_ok = False
    if cuda_ok:
        dev = torch.device("cuda")
        mlp = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(dev)
        opt = torch.optim.Adam(mlp.parameters(), 1e-3)
        tx, ty = torch.tensor(rs.rand(64, 784).astype(np.float32), device=dev), torch.tensor(rs.randint(0, 10, 64),
                                                                                          device=dev)

        def step() -> None:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(mlp(tx), ty).backward()
            opt.step()
        rows.append(("MLP", "PyTorch", _median(step, sync=torch.cuda.synchronize)))
    for model in ("MLP", "CNN"):
        mine = [t for m_, who, t in rows if m_ == model and who == "graphflow"][0]
        line = f"{model:4} graphflow CUDA {mine * 1e3:8.2f} ms"
        peer = [t for m_, who, t in rows if m_ == model and who == "PyTorch"]
        if peer:
            line += f"   PyTorch CUDA {peer[0] * 1e3:8.2f} ms   ratio {mine / peer[0]:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
