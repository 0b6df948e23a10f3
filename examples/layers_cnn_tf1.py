"""A tf.layers CNN on scikit-learn's handwritten digits, with batch normalization and dropout
switched by a fed ``training`` flag and the moving statistics updated through UPDATE_OPS; the
data come through tf.data (from_tensor_slices of fed placeholders, shuffle, batch). Needs
scikit-learn for the data set.

    python examples/layers_cnn_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf


def load_digits(seed: int) -> tuple[np.ndarray, ...]:
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError:
        raise SystemExit("layers_cnn_tf1 needs scikit-learn: pip install scikit-learn") from None
    d = sk_load()
    images = (d.images / 16.0).astype(np.float32)[..., None]
    labels = d.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(images))
    n_test = len(images) // 5
    return images[order[n_test:]], labels[order[n_test:]], images[order[:n_test]], labels[order[:n_test]]


def main(epochs: int = 12, batch_size: int = 64, seed: int = 0, verbose: bool = True) -> dict:
    x_train, y_train, x_test, y_test = load_digits(seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        xs = tf.placeholder(tf.float32, [None, 8, 8, 1])
        ys = tf.placeholder(tf.int64, [None])
        it = tf.data.Dataset.from_tensor_slices((xs, ys)).shuffle(2000, seed=seed).batch(batch_size) \
            .make_initializable_iterator()
        x, y = it.get_next()
        training = tf.placeholder_with_default(False, [])
        h = tf.layers.conv2d(x, 32, 3, padding="same", use_bias=False)
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=training))
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.conv2d(h, 64, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.dropout(tf.layers.flatten(h), rate=0.3, training=training)
        logits = tf.layers.dense(tf.layers.dense(h, 64, activation=tf.nn.relu), 10)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(0.003).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for epoch in range(epochs):
                sess.run(it.initializer, {xs: x_train, ys: y_train})
                losses = []
                while True:
                    try:
                        losses.append(sess.run([loss, train_op], {training: True})[0])
                    except tf.errors.OutOfRangeError:
                        break
                if verbose:
                    print(f"epoch {epoch}: loss {np.mean(losses):.3f}")
            sess.run(it.initializer, {xs: x_test, ys: y_test})
            accs = []
            while True:
                try:
                    accs.append(sess.run(accuracy))
                except tf.errors.OutOfRangeError:
                    break
            moving = sess.run([v for v in tf.global_variables() if "moving_mean" in v.name][0])
    acc = float(np.mean(accs))
    if verbose:
        print(f"test accuracy {acc:.3f}")
    return {"accuracy": acc, "moving_mean_moved": bool(np.any(moving != 0))}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=12)
    main(p.parse_args().epochs)
