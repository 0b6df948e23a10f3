"""Mini-batch training the PyTorch way: a TensorDataset of the notes' x = linspace(1, 10) and
y = linspace(10, 1), a shuffling DataLoader with a tqdm progress bar (when tqdm is installed),
and a Sequential net trained with SGD on each batch. Every batch feeds the same compiled step.

    python examples/batching.py [--no-progress]
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as gf
from graphflow.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 5


def main(epochs: int = 30, seed: int = 1, progress: bool = True, verbose: bool = True) -> dict:
    np.random.seed(seed)
    xs = np.linspace(1, 10, 100, dtype=np.float32)[:, None]
    ys = np.linspace(10, 1, 100, dtype=np.float32)[:, None]
    loader = DataLoader(dataset=TensorDataset(xs / 10, ys / 10), batch_size=BATCH_SIZE, shuffle=True, seed=seed,
                        progress=progress)
    with gf.Graph().as_default():
        net = gf.nn.Sequential(gf.nn.Linear(1, 10), gf.nn.ReLU(), gf.nn.Linear(10, 1))
        x, y = gf.placeholder(gf.float32, [None, 1]), gf.placeholder(gf.float32, [None, 1])
        loss = gf.nn.MSELoss()(net(x), y)
        train = gf.optim.SGD(net.parameters(), lr=0.1).minimize(loss)
        seen, epoch_losses = [], []
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for epoch in range(epochs):
                batch_losses = []
                for batch_x, batch_y in loader:
                    batch_losses.append(sess.run([loss, train], {x: batch_x, y: batch_y})[0])
                    if epoch == 0:
                        seen.extend(batch_x[:, 0].tolist())
                epoch_losses.append(float(np.mean(batch_losses)))
                if verbose and epoch % 10 == 0:
                    print(f"epoch {epoch}: {len(batch_losses)} batches, mean loss {epoch_losses[-1]:.5f}")
            full = float(sess.run(loss, {x: xs / 10, y: ys / 10}))
            programs = len(sess._cache)
    if verbose:
        print(f"loss on all the data {full:.6f}")
    return {"first_epoch": epoch_losses[0], "last_epoch": epoch_losses[-1], "full_loss": full,
            "first_epoch_order": seen, "batches": len(loader), "programs": programs}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-progress", action="store_true")
    main(progress=not p.parse_args().no_progress)
