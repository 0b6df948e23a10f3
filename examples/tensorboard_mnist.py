"""Watching training in TensorBoard, the TF1 tutorial way, on scikit-learn's 8x8 digits: name
scopes for the layers, tf.summary.scalar / histogram / image, merge_all, one FileWriter for the
training run (with the graph) and one for the test run.

    python examples/tensorboard_mnist.py --logdir /tmp/digits_logs
    tensorboard --logdir /tmp/digits_logs
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

import graphflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_cnn import load_digits  # noqa: E402


def variable_summaries(var):  # type: ignore[no-untyped-def]
    """Mean, standard deviation, extremes and a histogram of a tensor (the tutorial's helper)."""
    with tf.name_scope("summaries"):
        mean = tf.reduce_mean(var)
        tf.summary.scalar("mean", mean)
        with tf.name_scope("stddev"):
            stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
        tf.summary.scalar("stddev", stddev)
        tf.summary.scalar("max", tf.reduce_max(var))
        tf.summary.scalar("min", tf.reduce_min(var))
        tf.summary.histogram("histogram", var)


def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):  # type: ignore[no-untyped-def]
    with tf.name_scope(layer_name):
        with tf.name_scope("weights"):
            weights = tf.Variable(tf.truncated_normal([input_dim, output_dim], stddev=0.1))
            variable_summaries(weights)
        with tf.name_scope("biases"):
            biases = tf.Variable(tf.constant(0.1, shape=[output_dim]))
            variable_summaries(biases)
        with tf.name_scope("Wx_plus_b"):
            preactivate = tf.matmul(input_tensor, weights) + biases
            tf.summary.histogram("pre_activations", preactivate)
        activations = act(preactivate, name="activation")
        tf.summary.histogram("activations", activations)
        return activations


def main(logdir: str | None = None, steps: int = 300, seed: int = 0, verbose: bool = True) -> dict:
    logdir = logdir or tempfile.mkdtemp(prefix="digits_logs_")
    x_train, y_train, x_test, y_test = load_digits(seed)
    x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        with tf.name_scope("input"):
            x = tf.placeholder(tf.float32, [None, 64], name="x-input")
            y_ = tf.placeholder(tf.int64, [None], name="y-input")
        with tf.name_scope("input_reshape"):
            tf.summary.image("input", tf.reshape(x, [-1, 8, 8, 1]), 4)
        hidden = nn_layer(x, 64, 128, "layer1")
        with tf.name_scope("dropout"):
            keep_prob = tf.placeholder(tf.float32)
            tf.summary.scalar("dropout_keep_probability", keep_prob)
            dropped = tf.nn.dropout(hidden, keep_prob)
        y = nn_layer(dropped, 128, 10, "layer2", act=tf.identity)
        with tf.name_scope("cross_entropy"):
            cross_entropy = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=y))
        tf.summary.scalar("cross_entropy", cross_entropy)
        with tf.name_scope("train"):
            train_step = tf.train.AdamOptimizer(0.001).minimize(cross_entropy)
        with tf.name_scope("accuracy"):
            accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y, 1), y_), tf.float32))
        tf.summary.scalar("accuracy", accuracy)
        merged = tf.summary.merge_all()
        rng = np.random.RandomState(seed)
        with tf.Session() as sess:
            train_writer = tf.summary.FileWriter(os.path.join(logdir, "train"), sess.graph)
            test_writer = tf.summary.FileWriter(os.path.join(logdir, "test"))
            sess.run(tf.global_variables_initializer())
            for i in range(steps):
                if i % 10 == 0:  # the test run's summaries
                    summary, acc = sess.run([merged, accuracy], {x: x_test, y_: y_test, keep_prob: 1.0})
                    test_writer.add_summary(summary, i)
                    if verbose and i % 100 == 0:
                        print(f"accuracy at step {i}: {acc:.3f}")
                idx = rng.randint(0, len(x_train), 100)
                summary, _ = sess.run([merged, train_step], {x: x_train[idx], y_: y_train[idx], keep_prob: 0.9})
                train_writer.add_summary(summary, i)
            final = float(sess.run(accuracy, {x: x_test, y_: y_test, keep_prob: 1.0}))
            train_writer.close()
            test_writer.close()
    if verbose:
        print(f"final test accuracy {final:.3f}; run: tensorboard --logdir {logdir}")
    return {"logdir": logdir, "accuracy": final, "steps": steps}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--logdir", default=None)
    p.add_argument("--steps", type=int, default=300)
    a = p.parse_args()
    main(a.logdir, a.steps)
