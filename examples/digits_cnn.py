"""A TF1-tutorial convolutional network on scikit-learn's handwritten digits (8x8 images).

conv 3x3x32 + bias + relu + 2x2 max-pool, twice; a dense layer with dropout; softmax
cross-entropy; Adam. Needs scikit-learn for the bundled data set (pip install scikit-learn).

    python examples/digits_cnn.py
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import graphflow as tf


def load_digits(seed: int) -> tuple[np.ndarray, ...]:
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        raise SystemExit("digits_cnn needs scikit-learn: pip install scikit-learn") from None
    digits = sk_load()
    images = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # N x 8 x 8 x 1
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(images))
    n_test = len(images) // 5
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]


def weight_variable(shape: list[int]):  # type: ignore[no-untyped-def]
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def bias_variable(shape: list[int]):  # type: ignore[no-untyped-def]
    return tf.Variable(tf.constant(0.1, shape=shape))


def conv2d(x, w):  # type: ignore[no-untyped-def]
    return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2x2(x):  # type: ignore[no-untyped-def]
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def build() -> dict:
    """The tutorial's network in the default graph: two conv + max-pool layers, a dense layer with
    dropout, logits; its loss, Adam train step and accuracy."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    y = tf.placeholder(tf.int64, [None], name="labels")
    keep_prob = tf.placeholder(tf.float32, [], name="keep_prob")

    w_conv1, b_conv1 = weight_variable([3, 3, 1, 32]), bias_variable([32])
    h_pool1 = max_pool_2x2(tf.nn.relu(tf.nn.bias_add(conv2d(x, w_conv1), b_conv1)))      # 4x4x32
    w_conv2, b_conv2 = weight_variable([3, 3, 32, 64]), bias_variable([64])
    h_pool2 = max_pool_2x2(tf.nn.relu(tf.nn.bias_add(conv2d(h_pool1, w_conv2), b_conv2)))  # 2x2x64
    flat = tf.reshape(h_pool2, [-1, 2 * 2 * 64])
    w_fc1, b_fc1 = weight_variable([2 * 2 * 64, 256]), bias_variable([256])
    h_fc1 = tf.nn.dropout(tf.nn.relu(tf.matmul(flat, w_fc1) + b_fc1), keep_prob=keep_prob)
    w_fc2, b_fc2 = weight_variable([256, 10]), bias_variable([10])
    logits = tf.add(tf.matmul(h_fc1, w_fc2), b_fc2, name="logits")

    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train_step = tf.train.AdamOptimizer(1e-3).minimize(loss)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    return {"images": x, "labels": y, "keep_prob": keep_prob, "logits": logits, "loss": loss,
            "train_step": train_step, "accuracy": accuracy}


def main(epochs: int = 30, batch_size: int = 64, seed: int = 0, verbose: bool = True) -> dict:
    x_train, y_train, x_test, y_test = load_digits(seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        m = build()
        x, y, keep_prob = m["images"], m["labels"], m["keep_prob"]
        train_step, accuracy = m["train_step"], m["accuracy"]

        rng = np.random.RandomState(seed)
        start = time.perf_counter()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for epoch in range(epochs):
                order = rng.permutation(len(x_train))
                for i in range(0, len(order), batch_size):
                    idx = order[i:i + batch_size]
                    sess.run(train_step, {x: x_train[idx], y: y_train[idx], keep_prob: 0.5})
                if verbose and (epoch % 5 == 4 or epoch == epochs - 1):
                    acc = sess.run(accuracy, {x: x_test, y: y_test, keep_prob: 1.0})
                    print(f"epoch {epoch + 1}: test accuracy {acc:.4f}")
            test_acc = sess.run(accuracy, {x: x_test, y: y_test, keep_prob: 1.0})
    seconds = time.perf_counter() - start
    if verbose:
        print(f"test accuracy {test_acc:.4f} on {len(x_test)} images ({seconds:.1f} s)")
    return {"accuracy": float(test_acc), "seconds": seconds}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    main(p.parse_args().epochs)
