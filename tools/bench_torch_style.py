"""PyTorch-style training steps beside PyTorch CPU in one process: LeNet (Conv2d 1->6 5x5,
6->16 5x5, Linear 400-120-84-10, SGD with momentum, CrossEntropyLoss, batch 64 of 32x32) and an
nn.LSTM (input 28, hidden 128, 20 steps, batch 64, Adam). Median ms per step, at 1 thread and at 2
threads for both (BLAS pools pinned, ``torch.set_num_threads``; the two timed alternately, best
median of 3 rounds).

    python tools/bench_torch_style.py [--threads 1 2]
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


def steps() -> list[tuple[str, str, Callable[[], Any]]]:
    """(model, framework, step) for both models in graphflow and, where installed, PyTorch."""
    import graphflow as gf
    xv, yv, sv = data()
    out: list[tuple[str, str, Callable[[], Any]]] = []
    with gf.Graph().as_default():
        net = lenet(gf.nn, gf.nn.ReLU(), gf.nn.MaxPool2d(2), gf.nn.Flatten())
        x, y = gf.placeholder(gf.float32, [None, 1, 32, 32]), gf.placeholder(gf.int64, [None])
        loss = gf.nn.CrossEntropyLoss()(net(x), y)
        train = gf.optim.SGD(net.parameters(), lr=0.01, momentum=0.9).minimize(loss)
        s = gf.Session()
        s.run(gf.global_variables_initializer())
        out.append(("LeNet", "graphflow", lambda: s.run([loss, train], {x: xv, y: yv})))
    out.append(("LSTM", "graphflow", graphflow_lstm_step()))
    try:
        import torch
    except ImportError:
        return out
    tnet = lenet(torch.nn, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten())
    opt = torch.optim.SGD(tnet.parameters(), lr=0.01, momentum=0.9)
    tx, ty = torch.tensor(xv), torch.tensor(yv)

    def tstep() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(tnet(tx), ty).backward()
        opt.step()
    tl, th = torch.nn.LSTM(28, 128, batch_first=True), torch.nn.Linear(128, 10)
    topt = torch.optim.Adam(list(tl.parameters()) + list(th.parameters()), lr=1e-3)
    ts = torch.tensor(sv)

    def lstep() -> None:
        topt.zero_grad()
        o, _ = tl(ts)
        torch.nn.functional.cross_entropy(th(o[:, -1]), ty).backward()
        topt.step()
    return out + [("LeNet", "PyTorch", tstep), ("LSTM", "PyTorch", lstep)]


def main() -> None:
    import argparse

    from bench import pin_threads
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    runs = steps()
    for threads in args.threads:
        print(pin_threads(threads))
        try:
            import torch
            torch.set_num_threads(threads)
        except ImportError:
            pass
        best: dict[tuple[str, str], float] = {}
        for _ in range(3):  # alternately, so that drift on a shared machine hits both
            for model, who, step in runs:
                t = _median(step)
                best[(model, who)] = min(best.get((model, who), t), t)
        for model in ("LeNet", "LSTM"):
            mine = best[(model, "graphflow")]
            line = f"{model:6} {threads} thread(s)  graphflow {mine * 1e3:7.2f} ms"
            peer = best.get((model, "PyTorch"))
            if peer:
                target = 0.8 if model == "LeNet" else 1.0
                line += f"   PyTorch {peer * 1e3:7.2f} ms   ratio {mine / peer:.2f}x (target <= {target}x)"
            print(line)


if __name__ == "__main__":
    main()
