"""TF 1.0's reading-data tutorial, start to end: a classifier on scikit-learn's iris flowers,
read from CSV files through the queue pipeline.

The data set is written as CSV shards with a header line. Training reads them with
``tf.train.string_input_producer`` (file names shuffled each epoch, ``num_epochs`` counted by a
local variable), ``tf.TextLineReader(skip_header_lines=1)``, ``tf.decode_csv`` and
``tf.train.shuffle_batch``; background threads started by ``tf.train.start_queue_runners`` fill
the queues while the main thread trains, until the producer runs out of epochs and the reader's
``OutOfRangeError`` ends the loop (``Coordinator``). Evaluation reads the test file once, in
order, with ``tf.train.batch(allow_smaller_final_batch=True)``.

    python examples/csv_queue_pipeline.py --epochs 60
"""
from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import graphflow as tf

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def write_csv(out: str, seed: int, shards: int = 3) -> tuple[list[str], str, int]:
    """Iris as ``shards`` training CSV files and one test file; the training rows' count."""
    try:
        from sklearn.datasets import load_iris
    except ImportError:
        raise SystemExit("csv_queue_pipeline needs scikit-learn: pip install scikit-learn") from None
    iris = load_iris()
    order = np.random.RandomState(seed).permutation(len(iris.target))
    test, train = order[:30], order[30:]

    def write(path: str, rows: np.ndarray) -> None:
        with open(path, "w") as f:
            f.write(",".join(COLUMNS) + "\n")
            for i in rows:
                f.write(",".join(f"{v:.1f}" for v in iris.data[i]) + f",{iris.target[i]}\n")
    train_files = []
    for k, part in enumerate(np.array_split(train, shards)):
        train_files.append(os.path.join(out, f"iris_train_{k}.csv"))
        write(train_files[-1], part)
    test_file = os.path.join(out, "iris_test.csv")
    write(test_file, test)
    return train_files, test_file, len(train)


def read_rows(files: list[str], num_epochs: int | None, shuffle: bool, seed: int):  # type: ignore[no-untyped-def]
    """One (features, label) pair per CSV line of ``files``, through a filename queue and a reader."""
    filenames = tf.train.string_input_producer(files, num_epochs=num_epochs, shuffle=shuffle, seed=seed)
    _, line = tf.TextLineReader(skip_header_lines=1).read(filenames)
    *features, label = tf.decode_csv(line, record_defaults=[[0.0]] * 4 + [[0]])
    return tf.stack(features), label


def model(x):  # type: ignore[no-untyped-def]
    with tf.variable_scope("model", reuse=tf.AUTO_REUSE):
        h = tf.layers.dense(x, 16, activation=tf.nn.relu, name="hidden")
        return tf.layers.dense(h, 3, name="logits")


def main(out: str | None = None, epochs: int = 60, batch_size: int = 16, seed: int = 0,
         verbose: bool = True) -> dict:
    out = out or tempfile.mkdtemp(prefix="iris_csv_")
    train_files, test_file, n_train = write_csv(out, seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x, y = read_rows(train_files, epochs, True, seed)
        xb, yb = tf.train.shuffle_batch([x, y], batch_size, capacity=200, min_after_dequeue=50,
                                        num_threads=2, seed=seed)
        loss = tf.losses.sparse_softmax_cross_entropy(yb, model(xb))
        step = tf.train.AdamOptimizer(0.02).minimize(loss)

        tx, ty = read_rows([test_file], 1, False, seed)
        txb, tyb = tf.train.batch([tx, ty], 8, allow_smaller_final_batch=True)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(model(txb), 1, output_type=tf.int32), tyb), tf.int32))

        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            losses = []
            try:
                while not coord.should_stop():
                    losses.append(sess.run([step, loss])[1])
            except tf.errors.OutOfRangeError:
                pass  # the producer's epochs are used up: the queues closed
            right = total = 0
            try:
                while True:
                    c, labels = sess.run([correct, tyb])
                    right, total = right + int(c), total + len(labels)
            except tf.errors.OutOfRangeError:
                pass
            coord.request_stop()
            coord.join(threads)
    accuracy = right / total
    if verbose:
        print(f"{len(losses)} steps of {batch_size} rows over {epochs} epochs of {n_train} rows (a last partial "
              f"batch is dropped); loss {np.mean(losses[:10]):.3f} -> "
              f"{np.mean(losses[-10:]):.3f}; test accuracy {accuracy:.3f} on {total} rows")
    return {"accuracy": accuracy, "test_rows": total, "steps": len(losses),
            "rows_per_epoch": n_train, "epochs": epochs, "batch_size": batch_size,
            "first_loss": float(np.mean(losses[:10])), "last_loss": float(np.mean(losses[-10:]))}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None)
    p.add_argument("--epochs", type=int, default=60)
    a = p.parse_args()
    main(a.out, a.epochs)
