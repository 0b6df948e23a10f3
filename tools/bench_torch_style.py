"""PyTorch-style training steps beside PyTorch CPU in one process: LeNet (Conv2d 1->6 5x5,
6->16 5x5, Linear 400-120-84-10, SGD with momentum, CrossEntropyLoss, batch 64 of 32x32) and an
nn.LSTM (input 28, hidden 128, 20 steps, batch 64, Adam). Median ms per step.

    python tools/bench_torch_style.py
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _median(step: Callable[[], Any], repeats: int = 20) -> float:
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def lenet(nn: Any, F_relu: Any, pool: Any, flatten: Any) -> Any:
    class LeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
            self.pool, self.relu, self.flat = pool, F_relu, flatten

        def forward(self, x: Any) -> Any:
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            x = self.flat(x)
            return self.fc3(self.relu(self.fc2(self.relu(self.fc1(x)))))
    return LeNet()


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LeNet's images, the labels both models use, the LSTM's sequences."""
    rs = np.random.RandomState(0)
    xv, yv = rs.rand(64, 1, 32, 32).astype(np.float32), rs.randint(0, 10, 64)
    return xv, yv, rs.rand(64, 20, 28).astype(np.float32)


def graphflow_lstm_step() -> Callable[[], Any]:
    """The nn.LSTM training step written against graphflow's PyTorch-style API: call it to run one."""
    import graphflow as gf
    _, yv, sv = data()
    with gf.Graph().as_default():
        lstm, head = gf.nn.LSTM(28, 128, batch_first=True), gf.nn.Linear(128, 10)
        x, y = gf.placeholder(gf.float32, [None, None, 28]), gf.placeholder(gf.int64, [None])
        out, _ = lstm(x)
        loss = gf.nn.CrossEntropyLoss()(head(out[:, -1]), y)
        train = gf.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3).minimize(loss)
        s = gf.Session()
        s.run(gf.global_variables_initializer())
    return lambda: s.run([loss, train], {x: sv, y: yv})


def main() -> None:
    import graphflow as gf
    xv, yv, sv = data()
    rows = []
    with gf.Graph().as_default():
        net = lenet(gf.nn, gf.nn.ReLU(), gf.nn.MaxPool2d(2), gf.nn.Flatten())
        x, y = gf.placeholder(gf.float32, [None, 1, 32, 32]), gf.placeholder(gf.int64, [None])
        loss = gf.nn.CrossEntropyLoss()(net(x), y)
        train = gf.optim.SGD(net.parameters(), lr=0.01, momentum=0.9).minimize(loss)
        s = gf.Session()
        s.run(gf.global_variables_initializer())
        rows.append(("LeNet", "graphflow", _median(lambda: s.run([loss, train], {x: xv, y: yv}))))
    rows.append(("LSTM", "graphflow", _median(graphflow_lstm_step())))
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        tnet = lenet(torch.nn, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten())
        opt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.tensor(xv), torch.tensor(yv)

        def tstep() -> None:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(tnet(tx), ty).backward()
            opt.step()
        rows.append(("LeNet", "PyTorch", _median(tstep)))
        tl, th = torch.nn.LSTM(28, 128, batch_first=True), torch.nn.Linear(128, 10)
        topt = torch.optim.Adam(list(tl.parameters()) + list(th.parameters()), lr=1e-3)
        ts = torch.tensor(sv)

        def lstep() -> None:
            topt.zero_grad()
            o, _ = tl(ts)
            torch.nn.functional.cross_entropy(th(o[:, -1]), ty).backward()
            topt.step()
        rows.append(("LSTM", "PyTorch", _median(lstep)))
    for model in ("LeNet", "LSTM"):
        mine = [t for m, who, t in rows if m == model and who == "graphflow"][0]
        line = f"{model:6} graphflow {mine * 1e3:7.2f} ms"
        peer = [t for m, who, t in rows if m == model and who == "PyTorch"]
        if peer:
            line += f"   PyTorch {peer[0] * 1e3:7.2f} ms   ratio {mine / peer[0]:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
