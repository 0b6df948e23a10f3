"""Training steps on the GPU: the tutorial MLP (784-256-10, Adam), the digits CNN and the TF1 RNN
tutorial's LSTM (28 steps, 128 units), graphflow's CUDA target beside PyTorch CUDA in one process
(median ms per step after warm-up, batch 64). Needs an NVIDIA GPU; says why it cannot run
otherwise. ``tools/bench.py`` runs it as its GPU section.

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

from graphflow.platform.cuda import capability

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


def _graphflow_rows(rs: Any, device: str = "cuda") -> list[tuple[str, str, float]]:
    import graphflow as gf
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
        s = gf.Session(device=device)
        s.run(gf.global_variables_initializer())
        rows.append(("MLP", "graphflow", _median(lambda: s.run([loss, train], feed))))
    with gf.Graph().as_default():
        import digits_cnn
        m = digits_cnn.build()
        feed = {m["images"]: rs.rand(64, 8, 8, 1).astype(np.float32), m["labels"]: rs.randint(0, 10, 64),
                m["keep_prob"]: 0.5}
        s = gf.Session(device=device)
        s.run(gf.global_variables_initializer())
        rows.append(("CNN", "graphflow", _median(lambda: s.run([m["loss"], m["train_step"]], feed))))
    with gf.Graph().as_default():  # the TF1 RNN tutorial's LSTM: 28 rows of 28 pixels, 128 units
        x = gf.placeholder(gf.float32, [None, 28, 28])
        y = gf.placeholder(gf.int64, [None])
        cell = gf.nn.rnn_cell.BasicLSTMCell(128)
        outputs, _ = gf.nn.dynamic_rnn(cell, x, dtype=gf.float32)
        logits = gf.layers.dense(outputs[:, -1], 10)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss)
        feed = {x: rs.rand(64, 28, 28).astype(np.float32), y: rs.randint(0, 10, 64)}
        s = gf.Session(device=device)
        s.run(gf.global_variables_initializer())
        rows.append(("LSTM", "graphflow", _median(lambda: s.run([loss, train], feed), repeats=10)))
    return rows


def _torch_rows(rs: Any) -> list[tuple[str, str, float]]:
    try:
        import torch
    except ImportError:
        return []
    if not torch.cuda.is_available():
        return []
    dev = torch.device("cuda")
    nn = torch.nn

    class Cnn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1)
            self.f1, self.f2 = nn.Linear(256, 256), nn.Linear(256, 10)

        def forward(self, x: Any) -> Any:
            x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
            x = torch.max_pool2d(torch.relu(self.c2(x)), 2)
            return self.f2(torch.dropout(torch.relu(self.f1(x.flatten(1))), 0.5, True))

    class Lstm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.out = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            return self.out(self.rnn(x)[0][:, -1])

    rows = []
    for name, model, shape in (("MLP", nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), (64, 784)),
                               ("CNN", Cnn(), (64, 1, 8, 8)), ("LSTM", Lstm(), (64, 28, 28))):
        model = model.to(dev)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        tx = torch.tensor(rs.rand(*shape).astype(np.float32), device=dev)
        ty = torch.tensor(rs.randint(0, 10, 64), device=dev)

        def step(model: Any = model, opt: Any = opt, tx: Any = tx, ty: Any = ty) -> float:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(tx), ty)
            loss.backward()
            opt.step()
            return float(loss)  # graphflow's step fetches its loss to the host: so does this one
        rows.append((name, "PyTorch", _median(step, sync=torch.cuda.synchronize)))
    return rows


def main() -> dict[str, float]:
    """Print the GPU figures (graphflow, PyTorch CUDA, their ratio) and return them by name."""
    gpu = capability("gpu")
    if not gpu.ok:
        print(f"  no GPU benchmark: {gpu.why}")
        return {}
    rs = np.random.RandomState(0)
    rows = _graphflow_rows(rs) + _torch_rows(rs)
    figures = {}
    for model in ("MLP", "CNN", "LSTM"):
        mine = [t for m_, who, t in rows if m_ == model and who == "graphflow"][0]
        figures[f"gpu_step_ms/{model}/graphflow"] = mine * 1e3
        line = f"  {model:4} graphflow CUDA {mine * 1e3:8.2f} ms"
        peer = [t for m_, who, t in rows if m_ == model and who == "PyTorch"]
        if peer:
            figures[f"gpu_step_ms/{model}/PyTorch"] = peer[0] * 1e3
            line += f"   PyTorch CUDA {peer[0] * 1e3:8.2f} ms   ratio {mine / peer[0]:.2f}x"
        else:
            line += "   (PyTorch CUDA not available)"
        print(line)
    return figures


if __name__ == "__main__":
    main()
