"""The study notes' classifier, PyTorch style: two Gaussian clouds around (2, 2) and (-2, -2),
Net(2, 10, 2) with ``F.relu``, CrossEntropyLoss and SGD; the predicted class is the argmax of the
logits. Plots the decision when matplotlib is installed.

    python examples/nn_classification.py [--plot classes.png]
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as gf
import graphflow.nn.functional as F


class Net(gf.nn.Module):
    def __init__(self, n_feature: int, n_hidden: int, n_output: int) -> None:
        super().__init__()
        self.hidden = gf.nn.Linear(n_feature, n_hidden)
        self.out = gf.nn.Linear(n_hidden, n_output)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.out(F.relu(self.hidden(x)))


def main(epochs: int = 100, seed: int = 0, plot: str | None = None, verbose: bool = True) -> dict:
    rs = np.random.RandomState(seed)
    np.random.seed(seed)  # the modules' initialisation
    xs = np.concatenate([rs.normal(2, 1, (100, 2)), rs.normal(-2, 1, (100, 2))]).astype(np.float32)
    ys = np.concatenate([np.zeros(100), np.ones(100)]).astype(np.int64)
    with gf.Graph().as_default():
        net = Net(n_feature=2, n_hidden=10, n_output=2)
        if verbose:
            print(net)
        x, y = gf.placeholder(gf.float32, [None, 2]), gf.placeholder(gf.int64, [None])
        out = net(x)
        loss = gf.nn.CrossEntropyLoss()(out, y)
        train = gf.optim.SGD(net.parameters(), lr=0.02).minimize(loss)
        prediction = gf.argmax(F.softmax(out, dim=1), 1)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for t in range(epochs):
                lv, _ = sess.run([loss, train], {x: xs, y: ys})
                if verbose and t % 20 == 0:
                    print(f"epoch {t}: loss {lv:.4f}")
            pred = sess.run(prediction, {x: xs})
    accuracy = float((pred == ys).mean())
    if verbose:
        print(f"accuracy {accuracy:.2f}")
    if plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
        else:
            plt.scatter(xs[:, 0], xs[:, 1], c=pred, s=40, lw=0, cmap="RdYlGn")
            plt.text(1.5, -4, f"Accuracy={accuracy:.2f}", fontdict={"size": 14, "color": "red"})
            plt.savefig(plot)
    return {"accuracy": accuracy, "last_loss": float(lv)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--plot", default=None)
    main(plot=p.parse_args().plot)
