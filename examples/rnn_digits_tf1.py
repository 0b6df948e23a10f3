"""The TF1 RNN tutorial on scikit-learn's handwritten digits: each 8x8 image read row by row
(8 steps of 8 pixels) by a BasicLSTMCell, its last output classified. Trained twice: with
``tf.contrib.rnn.static_rnn`` (one cell call per step) and with ``tf.nn.dynamic_rnn`` (a native
loop). Needs scikit-learn for the data set (pip install scikit-learn).

    python examples/rnn_digits_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf
from graphflow.contrib import rnn


def load_digits(seed: int) -> tuple[np.ndarray, ...]:
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        raise SystemExit("rnn_digits_tf1 needs scikit-learn: pip install scikit-learn") from None
    d = sk_load()
    images = (d.images / 16.0).astype(np.float32)  # N x 8 rows x 8 pixels
    labels = np.eye(10, dtype=np.float32)[d.target]
    order = np.random.RandomState(seed).permutation(len(images))
    n_test = len(images) // 5
    return images[order[n_test:]], labels[order[n_test:]], images[order[:n_test]], labels[order[:n_test]]


def train(runner: str, steps: int = 400, batch_size: int = 64, hidden: int = 64, seed: int = 0,
          verbose: bool = True) -> float:
    x_train, y_train, x_test, y_test = load_digits(seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 8, 8])
        y = tf.placeholder(tf.float32, [None, 10])
        weights = tf.Variable(tf.random_normal([hidden, 10], stddev=0.1))
        biases = tf.Variable(tf.zeros([10]))
        cell = rnn.BasicLSTMCell(hidden, forget_bias=1.0)
        if runner == "static":
            outputs, _ = rnn.static_rnn(cell, tf.unstack(x, 8, 1), dtype=tf.float32)
            last = outputs[-1]
        else:
            outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            last = outputs[:, -1]
        logits = tf.matmul(last, weights) + biases
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
        correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        rs = np.random.RandomState(seed)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                idx = rs.randint(0, len(x_train), batch_size)
                l, _ = sess.run([loss, train_op], {x: x_train[idx], y: y_train[idx]})
                if verbose and step % 100 == 0:
                    print(f"{runner} step {step}: loss {l:.3f}")
            acc = float(sess.run(accuracy, {x: x_test, y: y_test}))
    if verbose:
        print(f"{runner}: test accuracy {acc:.3f}")
    return acc


def main(steps: int = 400, verbose: bool = True) -> dict:
    return {"static": train("static", steps, verbose=verbose), "dynamic": train("dynamic", steps, verbose=verbose)}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=400)
    main(p.parse_args().steps)
