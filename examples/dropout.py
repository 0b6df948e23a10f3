"""Dropout against over-fitting: the same over-sized net trained with and without dropout.

keep_prob is a placeholder: 0.5 while training, 1.0 when evaluating.

    python examples/dropout.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

N_SAMPLES = 20
N_HIDDEN = 300


def main(steps: int = 500, seed: int = 1, verbose: bool = True) -> dict:
    rng = np.random.RandomState(seed)
    x_train = np.linspace(-1, 1, N_SAMPLES, dtype=np.float32)[:, None]
    y_train = (x_train + 0.3 * rng.normal(0, 1, x_train.shape)).astype(np.float32)
    x_test = x_train.copy()
    y_test = (x_test + 0.3 * rng.normal(0, 1, x_test.shape)).astype(np.float32)

    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 1])
        y = tf.placeholder(tf.float32, [None, 1])
        keep_prob = tf.placeholder(tf.float32, [])

        def net(use_dropout: bool):  # type: ignore[no-untyped-def]
            h = x
            for n_in, n_out in ((1, N_HIDDEN), (N_HIDDEN, N_HIDDEN)):
                w = tf.Variable(tf.random_normal([n_in, n_out], stddev=0.1))
                b = tf.Variable(tf.constant(0.1, shape=[n_out]))
                h = tf.nn.relu(tf.matmul(h, w) + b)
                if use_dropout:
                    h = tf.nn.dropout(h, keep_prob=keep_prob)
            w = tf.Variable(tf.random_normal([N_HIDDEN, 1], stddev=0.1))
            return tf.matmul(h, w)

        plain, dropped = net(False), net(True)
        loss_plain = tf.losses.mean_squared_error(y, plain)
        loss_drop = tf.losses.mean_squared_error(y, dropped)
        train = tf.group(tf.train.AdamOptimizer(0.01).minimize(loss_plain),
                         tf.train.AdamOptimizer(0.01).minimize(loss_drop))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                sess.run(train, {x: x_train, y: y_train, keep_prob: 0.5})
                if verbose and step % 100 == 0:
                    lp, ld = sess.run([loss_plain, loss_drop], {x: x_test, y: y_test, keep_prob: 1.0})
                    print(f"{step}: test loss without dropout {lp:.4f}, with dropout {ld:.4f}")
            train_plain = sess.run(loss_plain, {x: x_train, y: y_train, keep_prob: 1.0})
            lp, ld = sess.run([loss_plain, loss_drop], {x: x_test, y: y_test, keep_prob: 1.0})
    if verbose:
        print(f"test loss without dropout: {lp:.4f}")
        print(f"test loss with dropout:    {ld:.4f}")
    return {"test_loss_plain": float(lp), "test_loss_dropout": float(ld), "train_loss_plain": float(train_plain)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=500)
    main(p.parse_args().steps)
