"""LeNet, PyTorch style: Conv2d 1->6 5x5, 6->16 5x5, Linear 400-120-84-10, SGD with momentum and
CrossEntropyLoss, on scikit-learn's 8x8 digits upsampled 4x to 32x32, fed by a DataLoader.

    python examples/lenet.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as gf
import graphflow.utils.data as data


class LeNet(gf.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = gf.nn.Conv2d(1, 6, 5), gf.nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = gf.nn.Linear(16 * 5 * 5, 120), gf.nn.Linear(120, 84), gf.nn.Linear(84, 10)
        self.pool, self.relu, self.flatten = gf.nn.MaxPool2d(2), gf.nn.ReLU(), gf.nn.Flatten()

    def forward(self, x):  # type: ignore[no-untyped-def]
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = self.relu(self.fc1(self.flatten(x)))
        return self.fc3(self.relu(self.fc2(x)))


def load(seed: int) -> tuple[np.ndarray, ...]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("lenet needs scikit-learn: pip install scikit-learn") from None
    d = load_digits()
    images = np.kron(d.images / 16.0, np.ones((4, 4)))[:, None].astype(np.float32)  # N x 1 x 32 x 32
    order = np.random.RandomState(seed).permutation(len(images))
    n_test = len(images) // 5
    return images[order[n_test:]], d.target[order[n_test:]], images[order[:n_test]], d.target[order[:n_test]]


def main(epochs: int = 4, seed: int = 0, verbose: bool = True) -> dict:
    np.random.seed(seed)
    xtr, ytr, xte, yte = load(seed)
    with gf.Graph().as_default():
        net = LeNet()
        x, y = gf.placeholder(gf.float32, [None, 1, 32, 32]), gf.placeholder(gf.int64, [None])
        logits = net(x)
        loss = gf.nn.CrossEntropyLoss()(logits, y)
        train = gf.optim.SGD(net.parameters(), lr=0.05, momentum=0.9).minimize(loss)
        correct = gf.reduce_sum(gf.cast(gf.equal(gf.argmax(logits, 1), y), gf.float32))
        loader = data.DataLoader(data.TensorDataset(xtr, ytr), batch_size=32, shuffle=True, seed=seed)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for epoch in range(epochs):
                losses = [sess.run([loss, train], {x: bx, y: by})[0] for bx, by in loader]
                if verbose:
                    print(f"epoch {epoch}: loss {np.mean(losses):.3f}")
            acc = float(sess.run(correct, {x: xte, y: yte})) / len(yte)
    if verbose:
        print(f"test accuracy {acc:.3f}")
    return {"accuracy": acc}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    main(p.parse_args().epochs)
