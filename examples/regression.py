"""Regression: fit y = x^2 + noise with a one-hidden-layer network (MSE loss, plain SGD).

    python examples/regression.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf


def add_layer(inputs, in_size, out_size, activation=None):  # type: ignore[no-untyped-def]
    weights = tf.Variable(tf.random_normal([in_size, out_size]))
    biases = tf.Variable(tf.zeros([1, out_size]) + 0.1)
    out = tf.matmul(inputs, weights) + biases
    return out if activation is None else activation(out)


def main(steps: int = 1000, seed: int = 1, verbose: bool = True) -> dict:
    rng = np.random.RandomState(seed)
    x_data = np.linspace(-1, 1, 300, dtype=np.float32)[:, np.newaxis]
    noise = rng.normal(0, 0.05, x_data.shape).astype(np.float32)
    y_data = np.square(x_data) - 0.5 + noise

    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        xs = tf.placeholder(tf.float32, [None, 1])
        ys = tf.placeholder(tf.float32, [None, 1])
        hidden = add_layer(xs, 1, 10, activation=tf.nn.relu)
        prediction = add_layer(hidden, 10, 1)
        loss = tf.reduce_mean(tf.reduce_sum(tf.square(ys - prediction), axis=[1]))
        train_step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss, {xs: x_data, ys: y_data})
            for i in range(steps):
                sess.run(train_step, feed_dict={xs: x_data, ys: y_data})
                if verbose and i % 100 == 0:
                    print(i, sess.run(loss, feed_dict={xs: x_data, ys: y_data}))
            final = sess.run(loss, {xs: x_data, ys: y_data})
    if verbose:
        print(f"loss: {first:.4f} -> {final:.5f} (noise variance {0.05 ** 2:.5f})")
    return {"initial_loss": float(first), "final_loss": float(final)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    main(p.parse_args().steps)
