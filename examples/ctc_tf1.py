"""Speech-style sequence labelling with CTC, written as TF1 tutorials write it: a bidirectional
LSTM over feature frames, ``tf.nn.ctc_loss`` against sparse label sequences, then greedy and
beam search decoding scored by ``tf.edit_distance`` (the label error rate). The beam search
decoder runs on the host, so its result is fetched and fed to the edit distance.

The toy "speech": an utterance says 2 to 5 digits; each digit sounds as 2 to 4 noisy frames near
the digit's own 12-dimensional pattern, with silence frames sometimes between digits (always
between two equal digits, which CTC can only tell apart across a gap). Nothing says where a digit
starts: CTC learns the alignment.

    python examples/ctc_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

DIGITS, FEATURES = 10, 12
BLANK = DIGITS  # ctc_loss: the last class is the blank


def batch(rs: np.random.RandomState, patterns: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """Frames [size, max_frames, FEATURES] with their counts, and the spoken digits as a
    SparseTensorValue's (indices, values, dense_shape)."""
    utterances, labels = [], []
    for _ in range(size):
        digits = rs.randint(0, DIGITS, rs.randint(2, 6))
        frames = []
        for k, d in enumerate(digits):
            if k and (d == digits[k - 1] or rs.rand() < 0.3):
                frames += [0.3 * rs.randn(FEATURES) for _ in range(rs.randint(1, 3))]  # silence
            frames += [patterns[d] + 0.3 * rs.randn(FEATURES) for _ in range(rs.randint(2, 5))]
        utterances.append(np.array(frames, np.float32))
        labels.append(digits)
    lengths = np.array([len(u) for u in utterances], np.int32)
    x = np.zeros((size, lengths.max(), FEATURES), np.float32)
    for i, u in enumerate(utterances):
        x[i, :len(u)] = u
    indices = np.array([[i, j] for i, d in enumerate(labels) for j in range(len(d))], np.int64)
    values = np.concatenate(labels).astype(np.int32)
    return x, lengths, (indices, values, np.array([size, max(len(d) for d in labels)], np.int64))


def main(steps: int = 300, batch_size: int = 32, units: int = 32, seed: int = 0, verbose: bool = True) -> dict:
    rs = np.random.RandomState(seed)
    patterns = rs.randn(DIGITS, FEATURES).astype(np.float32)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        inputs = tf.placeholder(tf.float32, [None, None, FEATURES], name="inputs")
        seq_len = tf.placeholder(tf.int32, [None], name="seq_len")
        targets = tf.sparse_placeholder(tf.int32, name="targets")

        fw, bw = tf.nn.rnn_cell.LSTMCell(units), tf.nn.rnn_cell.LSTMCell(units)
        (out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(fw, bw, inputs, sequence_length=seq_len,
                                                              dtype=tf.float32)
        outputs = tf.concat([out_fw, out_bw], 2)
        logits = tf.layers.dense(outputs, DIGITS + 1)  # [batch, time, classes]
        logits = tf.transpose(logits, [1, 0, 2])  # time-major, as ctc_loss takes it

        loss = tf.reduce_mean(tf.nn.ctc_loss(targets, logits, seq_len))
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        greedy, _ = tf.nn.ctc_greedy_decoder(logits, seq_len)
        # merge_repeated=False: the default would also merge equal digits the search kept apart
        beams, _ = tf.nn.ctc_beam_search_decoder(logits, seq_len, beam_width=8, merge_repeated=False)
        greedy_ler = tf.reduce_mean(tf.edit_distance(tf.cast(greedy[0], tf.int32), targets))
        # the beam search runs on the host (py_func): its result is fetched, then fed back
        hypothesis = tf.sparse_placeholder(tf.int64, [None, None], name="hypothesis")
        beam_ler = tf.reduce_mean(tf.edit_distance(hypothesis, tf.cast(targets, tf.int64)))

        test_x, test_len, test_y = batch(np.random.RandomState(seed + 1), patterns, 200)
        test = {inputs: test_x, seq_len: test_len, targets: test_y}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = None
            for step in range(steps):
                x, n, y = batch(rs, patterns, batch_size)
                cost, _ = sess.run([loss, train], {inputs: x, seq_len: n, targets: y})
                first = cost if first is None else first
                if verbose and step % 50 == 0:
                    print(f"step {step:4d}  ctc loss {cost:8.4f}")
            last, g_ler, decoded, beam = sess.run([loss, greedy_ler, greedy[0], beams[0]], test)
            b_ler = sess.run(beam_ler, {hypothesis: beam, targets: test_y})
    if verbose:
        said = test_y[1][test_y[0][:, 0] == 0]
        heard = decoded.values[decoded.indices[:, 0] == 0]
        print(f"test: ctc loss {last:.4f}, label error rate {g_ler:.3f} greedy, {b_ler:.3f} beam search")
        print(f"first utterance: said {said.tolist()}, heard {heard.tolist()}")
    return {"first_loss": float(first), "last_loss": float(last), "greedy_ler": float(g_ler),
            "beam_ler": float(b_ler)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    main(steps=args.steps)
