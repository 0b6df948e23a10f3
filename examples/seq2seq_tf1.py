"""Sequence to sequence with attention, written as TF1 tutorials write it (``tf.contrib.seq2seq``):
an embedding, a bidirectional GRU encoder, a GRU decoder wrapped in Bahdanau attention and
trained with a TrainingHelper, then decoded greedily and by beam search.

The toy translation: a sentence of 3 to 8 source words (digits spelled ``zero`` ... ``nine``)
becomes the same number written backwards in target tokens (``0`` ... ``9``), then ``</s>``. The
decoder must attend to the source position mirrored from its own: a model without attention
cannot do it for long inputs.

    python examples/seq2seq_tf1.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

SOURCE = ["<pad>", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TARGET = ["<pad>", "<s>", "</s>"] + [str(d) for d in range(10)]
GO, EOS = 1, 2
MAX_LEN = 8


def batch(rs: np.random.RandomState, size: int) -> tuple[np.ndarray, ...]:
    """Source ids [size, MAX_LEN] and lengths, decoder inputs and targets [size, MAX_LEN + 1]
    (``<s>`` then the reversed digits; the reversed digits then ``</s>``) and their lengths."""
    lengths = rs.randint(3, MAX_LEN + 1, size)
    source = np.zeros((size, MAX_LEN), np.int32)
    dec_in = np.zeros((size, MAX_LEN + 1), np.int32)
    dec_out = np.zeros((size, MAX_LEN + 1), np.int32)
    for i, n in enumerate(lengths):
        digits = rs.randint(0, 10, n)
        source[i, :n] = digits + 1
        dec_in[i, :n + 1] = [GO] + list(digits[::-1] + 3)
        dec_out[i, :n + 1] = list(digits[::-1] + 3) + [EOS]
    return source, lengths.astype(np.int32), dec_in, dec_out, (lengths + 1).astype(np.int32)


def exact(predicted: np.ndarray, targets: np.ndarray, lengths: np.ndarray) -> float:
    """The share of sentences decoded exactly, up to and including ``</s>``."""
    hits = 0
    for p, t, n in zip(predicted, targets, lengths):
        hits += int(p.shape[0] >= n and np.array_equal(p[:n], t[:n]))
    return hits / len(targets)


def _upto_end(ids: np.ndarray) -> list[str]:
    words = [TARGET[i] for i in ids]
    return words[:words.index("</s>") + 1] if "</s>" in words else words


def main(steps: int = 600, batch_size: int = 32, units: int = 48, beam_width: int = 3, seed: int = 0,
         verbose: bool = True) -> dict:
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        source = tf.placeholder(tf.int32, [None, None], name="source")
        source_lengths = tf.placeholder(tf.int32, [None], name="source_lengths")
        decoder_inputs = tf.placeholder(tf.int32, [None, None], name="decoder_inputs")
        decoder_targets = tf.placeholder(tf.int32, [None, None], name="decoder_targets")
        target_lengths = tf.placeholder(tf.int32, [None], name="target_lengths")
        batch_dim = tf.shape(source)[0]

        source_embedding = tf.get_variable("source_embedding", [len(SOURCE), 32])
        target_embedding = tf.get_variable("target_embedding", [len(TARGET), 32])
        encoded, (state_fw, state_bw) = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(units // 2), tf.nn.rnn_cell.GRUCell(units // 2),
            tf.nn.embedding_lookup(source_embedding, source), sequence_length=source_lengths, dtype=tf.float32)
        memory = tf.concat(encoded, 2)
        encoder_state = tf.concat([state_fw, state_bw], 1)

        decoder_cell = tf.nn.rnn_cell.GRUCell(units)
        projection = tf.layers.Dense(len(TARGET), name="projection")

        def attention_cell(memory: tf.Tensor, lengths: tf.Tensor) -> tf.contrib.seq2seq.AttentionWrapper:
            mechanism = tf.contrib.seq2seq.BahdanauAttention(units, memory, memory_sequence_length=lengths)
            return tf.contrib.seq2seq.AttentionWrapper(decoder_cell, mechanism, attention_layer_size=units)

        # training: teacher forcing
        with tf.variable_scope("decode"):
            cell = attention_cell(memory, source_lengths)
            initial = cell.zero_state(batch_dim, tf.float32).clone(cell_state=encoder_state)
            helper = tf.contrib.seq2seq.TrainingHelper(tf.nn.embedding_lookup(target_embedding, decoder_inputs),
                                                       target_lengths)
            decoder = tf.contrib.seq2seq.BasicDecoder(cell, helper, initial, output_layer=projection)
            outputs, _, _ = tf.contrib.seq2seq.dynamic_decode(decoder, impute_finished=True)
        logits = outputs.rnn_output
        weights = tf.sequence_mask(target_lengths, tf.shape(logits)[1], dtype=tf.float32)
        loss = tf.contrib.seq2seq.sequence_loss(logits, decoder_targets[:, :tf.shape(logits)[1]], weights)
        params = tf.trainable_variables()  # clipped, as the NMT tutorials do: Adam spikes without it
        clipped, _ = tf.clip_by_global_norm(tf.gradients(loss, params), 1.0)
        train_op = tf.train.AdamOptimizer(0.005).apply_gradients(zip(clipped, params))

        # inference: the same variables, decoded greedily and by beam search
        start_tokens = tf.fill([batch_dim], GO)
        with tf.variable_scope("decode", reuse=True):
            cell = attention_cell(memory, source_lengths)
            greedy = tf.contrib.seq2seq.BasicDecoder(
                cell, tf.contrib.seq2seq.GreedyEmbeddingHelper(target_embedding, start_tokens, EOS),
                cell.zero_state(batch_dim, tf.float32).clone(cell_state=encoder_state), output_layer=projection)
            greedy_out, _, _ = tf.contrib.seq2seq.dynamic_decode(greedy, maximum_iterations=2 * MAX_LEN)
        with tf.variable_scope("decode", reuse=True):
            tiled_memory = tf.contrib.seq2seq.tile_batch(memory, beam_width)
            tiled_lengths = tf.contrib.seq2seq.tile_batch(source_lengths, beam_width)
            cell = attention_cell(tiled_memory, tiled_lengths)
            initial = cell.zero_state(batch_dim * beam_width, tf.float32).clone(
                cell_state=tf.contrib.seq2seq.tile_batch(encoder_state, beam_width))
            beam = tf.contrib.seq2seq.BeamSearchDecoder(cell, target_embedding, start_tokens, EOS, initial,
                                                        beam_width, output_layer=projection)
            beam_out, _, _ = tf.contrib.seq2seq.dynamic_decode(beam, maximum_iterations=2 * MAX_LEN)

        rs = np.random.RandomState(seed)
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(steps):
                src, src_len, d_in, d_out, d_len = batch(rs, batch_size)
                _, value = sess.run([train_op, loss], {source: src, source_lengths: src_len, decoder_inputs: d_in,
                                                       decoder_targets: d_out, target_lengths: d_len})
                losses.append(value)
                if verbose and step % 100 == 0:
                    print(f"step {step:4d}  loss {value:.4f}")
            src, src_len, _, d_out, d_len = batch(np.random.RandomState(seed + 1), 200)
            greedy_ids, beam_ids = sess.run([greedy_out.sample_id, beam_out.predicted_ids],
                                            {source: src, source_lengths: src_len})
    result = {"first_loss": float(np.mean(losses[:10])), "last_loss": float(np.mean(losses[-10:])),
              "greedy_exact": exact(greedy_ids, d_out, d_len), "beam_exact": exact(beam_ids[:, :, 0], d_out, d_len),
              "example": (" ".join(SOURCE[i] for i in src[0, :src_len[0]]), " ".join(_upto_end(beam_ids[0, :, 0])))}
    if verbose:
        print(f"exact translations: greedy {result['greedy_exact']:.1%}, beam search {result['beam_exact']:.1%}")
        print(f"{result['example'][0]}  ->  {result['example'][1]}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    main(steps=args.steps)
