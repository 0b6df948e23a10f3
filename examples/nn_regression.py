"""The study notes' first network, PyTorch style: Net(1, 10, 1) (Linear, ReLU, Linear) fitting
y = x^2 + noise with SGD and MSELoss; plots the fit when matplotlib is installed.

    python examples/nn_regression.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as gf


class Net(gf.nn.Module):
    def __init__(self, n_feature: int, n_hidden: int, n_output: int) -> None:
        super().__init__()
        self.hidden = gf.nn.Linear(n_feature, n_hidden)
        self.predict = gf.nn.Linear(n_hidden, n_output)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.predict(gf.nn.ReLU()(self.hidden(x)))


def main(steps: int = 300, seed: int = 0, plot: str | None = None, verbose: bool = True) -> dict:
    np.random.seed(seed)
    xs = np.linspace(-1, 1, 100, dtype=np.float32)[:, None]
    ys = (xs ** 2 + 0.2 * np.random.rand(*xs.shape)).astype(np.float32)
    with gf.Graph().as_default():
        net = Net(1, 10, 1)
        x, y = gf.placeholder(gf.float32, [None, 1]), gf.placeholder(gf.float32, [None, 1])
        prediction = net(x)
        loss = gf.nn.MSELoss()(prediction, y)
        train = gf.optim.SGD(net.parameters(), lr=0.2).minimize(loss)
        losses = []
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for step in range(steps):
                losses.append(float(sess.run([loss, train], {x: xs, y: ys})[0]))
                if verbose and step % 100 == 0:
                    print(f"step {step}: loss {losses[-1]:.4f}")
            fit = sess.run(prediction, {x: xs})
    if plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            plot = None
        else:
            plt.scatter(xs, ys, s=8)
            plt.plot(xs, fit, "r-")
            plt.savefig(plot)
    return {"first_loss": losses[0], "last_loss": losses[-1]}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plot", default=None)
    main(plot=p.parse_args().plot)
