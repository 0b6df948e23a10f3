"""Classification: two Gaussian clusters separated by softmax regression.

    python examples/classification.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    x0 = rng.normal(2, 1, (n, 2))
    x1 = rng.normal(-2, 1, (n, 2))
    x = np.vstack([x0, x1]).astype(np.float32)
    labels = np.hstack([np.zeros(n), np.ones(n)]).astype(np.int64)
    return x, np.eye(2, dtype=np.float32)[labels]


def main(steps: int = 200, seed: int = 0, verbose: bool = True) -> dict:
    x_train, y_train = make_data(100, seed)
    x_test, y_test = make_data(100, seed + 1)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        y = tf.placeholder(tf.float32, [None, 2], name="y")
        w = tf.Variable(tf.truncated_normal([2, 2], stddev=0.1))
        b = tf.Variable(tf.zeros([2]))
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                _, l = sess.run([train, loss], {x: x_train, y: y_train})
                if verbose and step % 50 == 0:
                    print(step, l)
            acc = sess.run(accuracy, {x: x_test, y: y_test})
    if verbose:
        print(f"test accuracy: {acc:.3f}")
    return {"accuracy": float(acc)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    main(p.parse_args().steps)
