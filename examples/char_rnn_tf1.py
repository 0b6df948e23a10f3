"""A character-level language model in TF1 style: embeddings, a two-layer MultiRNNCell of
BasicLSTMCells run by dynamic_rnn, and tf.contrib.seq2seq.sequence_loss, trained on a short
text; then a few characters sampled from it.

    python examples/char_rnn_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

TEXT = ("the quick brown fox jumps over the lazy dog. " * 4 +
        "a graph is built once and run many times; the compiler turns it into native code. " * 3)


def main(steps: int = 250, seq_len: int = 24, batch_size: int = 16, hidden: int = 64, seed: int = 0,
         verbose: bool = True) -> dict:
    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    data = np.array([index[c] for c in TEXT], np.int32)
    vocab = len(chars)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.int32, [None, None])
        targets = tf.placeholder(tf.int32, [None, None])
        embedding = tf.get_variable("embedding", [vocab, 32])
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(hidden) for _ in range(2)])
        outputs, state = tf.nn.dynamic_rnn(cell, tf.nn.embedding_lookup(embedding, inputs), dtype=tf.float32)
        logits = tf.layers.dense(outputs, vocab)
        loss = tf.contrib.seq2seq.sequence_loss(logits, targets, tf.ones_like(targets, dtype=tf.float32))
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
        rs = np.random.RandomState(seed)
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                starts = rs.randint(0, len(data) - seq_len - 1, batch_size)
                x = np.stack([data[s:s + seq_len] for s in starts])
                y = np.stack([data[s + 1:s + seq_len + 1] for s in starts])
                l, _ = sess.run([loss, train_op], {inputs: x, targets: y})
                losses.append(float(l))
                if verbose and step % 50 == 0:
                    print(f"step {step}: loss {l:.3f}")
            # sample greedily from a prompt (sequence lengths differ from training: one program)
            text = "the quick "
            for _ in range(30):
                ids = np.array([[index[c] for c in text]], np.int32)
                nxt = sess.run(logits, {inputs: ids})[0, -1].argmax()
                text += chars[nxt]
    if verbose:
        print(f"sample: {text!r}")
    return {"first_loss": float(np.mean(losses[:10])), "last_loss": float(np.mean(losses[-10:])), "sample": text}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=250)
    main(p.parse_args().steps)
