"""Data-parallel training over MPI (Horovod's recipe) of the digits MLP or CNN:

    mpirun -n 2 python examples/distributed_digits.py --model cnn
    python examples/distributed_digits.py --model mlp          # one rank: the same script

Every rank builds the same graph, trains on its shard of the training set (a DistributedSampler)
with the gradients averaged over the ranks by ``hvd.DistributedOptimizer`` and the learning rate
scaled by the number of ranks (the batch over all ranks grows with them), starts from rank 0's
weights (``hvd.broadcast_global_variables``); rank 0 saves the checkpoint and reports the test
accuracy. Needs mpi4py and an MPI (pip install "graphflow[mpi]") and scikit-learn for the data.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

import numpy as np

import graphflow as tf
import graphflow.distributed as hvd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_cnn import load_digits  # noqa: E402


def build(model: str, optimizer: str = "sgd", lr: float = 0.1, dropout: bool = False) -> dict[str, Any]:
    """The model, its loss and its data-parallel train op in the default graph."""
    rs = np.random.RandomState(1)  # the same initial weights on every rank (broadcast makes sure)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    y = tf.placeholder(tf.int64, [None], name="labels")
    keep = tf.placeholder_with_default(np.float32(1.0), [], name="keep_prob")

    def var(*shape: int, scale: float = 0.1) -> Any:
        return tf.Variable((rs.randn(*shape) * scale).astype(np.float32))
    if model == "mlp":
        h = tf.nn.relu(tf.matmul(tf.reshape(x, [-1, 64]), var(64, 128)) + var(128, scale=0.0))
    elif model == "cnn":
        h = tf.nn.relu(tf.nn.conv2d(x, var(3, 3, 1, 16), [1, 1, 1, 1], "SAME") + var(16, scale=0.0))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")                     # 4x4x16
        h = tf.nn.relu(tf.nn.conv2d(h, var(3, 3, 16, 32), [1, 1, 1, 1], "SAME") + var(32, scale=0.0))
        h = tf.reshape(tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"), [-1, 128])  # 2x2x32
        h = tf.nn.relu(tf.matmul(h, var(128, 128)) + var(128, scale=0.0))
    else:
        raise SystemExit(f"--model must be mlp or cnn, got {model!r}")
    if dropout:
        h = tf.nn.dropout(h, keep_prob=keep)
    logits = tf.matmul(h, var(128, 10)) + var(10, scale=0.0)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    opt = tf.train.GradientDescentOptimizer(lr) if optimizer == "sgd" else tf.train.AdamOptimizer(lr)
    train = hvd.DistributedOptimizer(opt).minimize(loss)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    return {"images": x, "labels": y, "keep_prob": keep, "loss": loss, "train": train, "accuracy": accuracy}


def main(model: str = "cnn", epochs: int = 10, batch_size: int = 32, optimizer: str = "sgd", lr: float = 0.1,
         checkpoint: str | None = None, verbose: bool = True) -> dict[str, float]:
    hvd.init()
    x_train, y_train, x_test, y_test = load_digits(0)
    loader = hvd.shard(tf.utils.data.DataLoader(tf.utils.data.TensorDataset(x_train, y_train),
                                                batch_size=batch_size, shuffle=True, drop_last=True))
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        m = build(model, optimizer, lr * hvd.size(), dropout=True)  # Horovod's recipe: the rate scales with the ranks
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(hvd.broadcast_global_variables(0))
            start, steps = None, 0
            for epoch in range(epochs):
                loader.sampler.set_epoch(epoch)  # the same shuffle on every rank, a different one each epoch
                for xb, yb in loader:
                    sess.run(m["train"], {m["images"]: xb, m["labels"]: yb, m["keep_prob"]: 0.8})
                    if start is None:  # timed from the second step: the first one compiles
                        start = time.perf_counter()
                    else:
                        steps += 1
            seconds = time.perf_counter() - (start or time.perf_counter())
            acc = float(sess.run(m["accuracy"], {m["images"]: x_test, m["labels"]: y_test}))
            path = saver.save(sess, checkpoint or os.path.join(tempfile.mkdtemp(), "digits"))  # rank 0 writes
    if verbose and hvd.rank() == 0:
        print(f"{hvd.size()} rank(s), {model}, {optimizer}: {steps} steps of {batch_size} per rank in {seconds:.2f} s "
              f"({steps * batch_size * hvd.size() / seconds:.0f} samples/s), test accuracy {acc:.3f}; saved {path}")
    return {"accuracy": acc, "seconds": seconds, "steps": steps}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cnn", choices=["mlp", "cnn"])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--lr", type=float, default=0.1)
    a = p.parse_args()
    main(a.model, a.epochs, a.batch_size, a.optimizer, a.lr if a.optimizer == "sgd" or a.lr != 0.1 else 1e-3)
