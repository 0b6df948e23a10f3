"""Optimizers compared: SGD, Momentum, RMSProp and Adam on the same regression.

Plots the four loss curves to optimizers.png when matplotlib is installed.

    python examples/optimizers.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

LR = 0.01
BATCH = 32


def train(make_optimizer, x_data, y_data, steps: int, seed: int) -> list[float]:  # type: ignore[no-untyped-def]
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 1])
        y = tf.placeholder(tf.float32, [None, 1])
        w1 = tf.Variable(tf.random_normal([1, 20], stddev=0.5))
        b1 = tf.Variable(tf.zeros([20]))
        w2 = tf.Variable(tf.random_normal([20, 1], stddev=0.5))
        b2 = tf.Variable(tf.zeros([1]))
        pred = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
        loss = tf.losses.mean_squared_error(y, pred)
        train_op = make_optimizer().minimize(loss)
        losses = []
        rng = np.random.RandomState(seed)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                idx = rng.randint(0, len(x_data), BATCH)
                _, l = sess.run([train_op, loss], {x: x_data[idx], y: y_data[idx]})
                losses.append(float(l))
    return losses


def main(steps: int = 300, seed: int = 1, plot: str | None = "optimizers.png", verbose: bool = True) -> dict:
    rng = np.random.RandomState(seed)
    x_data = np.linspace(-1, 1, 1000, dtype=np.float32)[:, None]
    y_data = (x_data ** 2 + rng.normal(0, 0.1, x_data.shape)).astype(np.float32)
    optimizers = {
        "SGD": lambda: tf.train.GradientDescentOptimizer(LR),
        "Momentum": lambda: tf.train.MomentumOptimizer(LR, momentum=0.9),
        "RMSProp": lambda: tf.train.RMSPropOptimizer(LR, decay=0.99),
        "Adam": lambda: tf.train.AdamOptimizer(LR, beta1=0.9, beta2=0.99),
    }
    curves = {name: train(make, x_data, y_data, steps, seed) for name, make in optimizers.items()}
    if verbose:
        for name, c in curves.items():
            print(f"{name:9s} loss {np.mean(c[:10]):.4f} -> {np.mean(c[-20:]):.4f}")
    if plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            if verbose:
                print("matplotlib is not installed: no plot")
        else:
            for name, c in curves.items():
                plt.plot(c, label=name)
            plt.legend(loc="best")
            plt.xlabel("step")
            plt.ylabel("loss")
            plt.ylim((0, 0.3))
            plt.savefig(plot)
            plt.close()
            if verbose:
                print(f"wrote {plot}")
    return {"curves": curves}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--plot", default="optimizers.png")
    a = p.parse_args()
    main(a.steps, plot=a.plot)
