"""tf.contrib.legacy_seq2seq (TF 1.15's; absent from every TF 2): TF's variable names and scopes,
the decoders and losses against TF 1.15's documented maths in numpy (float64, from the weights
the graph made), feed_previous as a bool and as a tensor, model_with_buckets' shared variables,
and a tiny embedding_attention_seq2seq that learns to copy and decodes greedily."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf

S2S = gf.contrib.legacy_seq2seq
RS = np.random.RandomState(0)
B = 2


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _weights(s: Any) -> dict:
    vs = gf.global_variables()
    return dict(zip([v.name[:-2] for v in vs], s.run(vs)))


def test_rnn_decoder_with_loop_function_and_basic_and_tied_models() -> None:
    n = 3
    xs = RS.standard_normal((3, B, n))
    h0 = RS.standard_normal((B, n))
    with gf.Graph().as_default():
        inputs = [gf.constant(x) for x in xs]
        outs, state = S2S.rnn_decoder(inputs, gf.constant(h0), gf.contrib.rnn.BasicRNNCell(n),
                                      loop_function=lambda prev, i: prev * 2.0)
        basic, _ = S2S.basic_rnn_seq2seq(inputs[:2], inputs, gf.contrib.rnn.BasicRNNCell(n), dtype=gf.float64)
        tied, _ = S2S.tied_rnn_seq2seq(inputs[:2], inputs, gf.contrib.rnn.BasicRNNCell(n), dtype=gf.float64)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights(s)
            got, st, got_basic, got_tied = s.run([outs, state, basic, tied])
    assert sorted(w) == ["basic_rnn_seq2seq/rnn/basic_rnn_cell/bias", "basic_rnn_seq2seq/rnn/basic_rnn_cell/kernel",
                         "basic_rnn_seq2seq/rnn_decoder/basic_rnn_cell/bias",
                         "basic_rnn_seq2seq/rnn_decoder/basic_rnn_cell/kernel",
                         "combined_tied_rnn_seq2seq/tied_rnn_seq2seq/basic_rnn_cell/bias",
                         "combined_tied_rnn_seq2seq/tied_rnn_seq2seq/basic_rnn_cell/kernel",
                         "rnn_decoder/basic_rnn_cell/bias", "rnn_decoder/basic_rnn_cell/kernel"]

    def run(pre: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        return np.tanh(np.concatenate([x, h], 1) @ w[pre + "basic_rnn_cell/kernel"] + w[pre + "basic_rnn_cell/bias"])
    h, prev, ref = h0, None, []
    for x in xs:
        h = run("rnn_decoder/", x if prev is None else prev * 2, h)
        prev = h
        ref.append(h)
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    np.testing.assert_allclose(st, h, rtol=1e-9)
    for pre_enc, pre_dec, result in (("basic_rnn_seq2seq/rnn/", "basic_rnn_seq2seq/rnn_decoder/", got_basic),
                                     ("combined_tied_rnn_seq2seq/tied_rnn_seq2seq/",) * 2 + (got_tied,)):
        h = np.zeros((B, n))
        for x in xs[:2]:
            h = run(pre_enc, x, h)
        ref = []
        for x in xs:
            h = run(pre_dec, x, h)
            ref.append(h)
        np.testing.assert_allclose(result, ref, rtol=1e-9)


@pytest.mark.parametrize("heads,initial_attention", [(1, False), (2, True)])
def test_attention_decoder(heads: int, initial_attention: bool) -> None:
    n, size, length, out = 3, 4, 5, 2
    xs = RS.standard_normal((3, B, 2))
    att_v = RS.standard_normal((B, length, size))
    c0, h0 = RS.standard_normal((B, n)), RS.standard_normal((B, n))
    with gf.Graph().as_default():
        state0 = gf.nn.rnn_cell.LSTMStateTuple(gf.constant(c0), gf.constant(h0))
        outs, state = S2S.attention_decoder([gf.constant(x) for x in xs], state0, gf.constant(att_v),
                                            gf.contrib.rnn.LSTMCell(n), output_size=out, num_heads=heads,
                                            initial_state_attention=initial_attention)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights(s)
            got, (cf, hf) = s.run([outs, state])
    p = "attention_decoder/"
    shapes = {p + "kernel": (2 + heads * size, 2), p + "bias": (2,), p + "lstm_cell/kernel": (2 + n, 4 * n),
              p + "lstm_cell/bias": (4 * n,), p + "AttnOutputProjection/kernel": (n + heads * size, out),
              p + "AttnOutputProjection/bias": (out,)}
    for a in range(heads):
        shapes.update({p + f"AttnW_{a}": (1, 1, size, size), p + f"AttnV_{a}": (size,),
                       p + f"Attention_{a}/kernel": (2 * n, size), p + f"Attention_{a}/bias": (size,)})
    assert {k: v.shape for k, v in w.items()} == shapes

    def attention(c: np.ndarray, h: np.ndarray) -> list:
        reads = []
        for a in range(heads):
            keys = att_v @ w[p + f"AttnW_{a}"].reshape(size, size)
            y = np.concatenate([c, h], 1) @ w[p + f"Attention_{a}/kernel"] + w[p + f"Attention_{a}/bias"]
            weights = softmax((w[p + f"AttnV_{a}"] * np.tanh(keys + y[:, None])).sum(2))
            reads.append((weights[:, :, None] * att_v).sum(1))
        return reads
    c, h = c0, h0
    attns = attention(c, h) if initial_attention else [np.zeros((B, size))] * heads
    ref = []
    for x in xs:
        x = np.concatenate([x] + attns, 1) @ w[p + "kernel"] + w[p + "bias"]
        i, j, f, o = np.split(np.concatenate([x, h], 1) @ w[p + "lstm_cell/kernel"] + w[p + "lstm_cell/bias"], 4, 1)
        c = sig(f + 1) * c + sig(i) * np.tanh(j)
        h = sig(o) * np.tanh(c)
        attns = attention(c, h)
        ref.append(np.concatenate([h] + attns, 1) @ w[p + "AttnOutputProjection/kernel"]
                   + w[p + "AttnOutputProjection/bias"])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cf, c, rtol=1e-9)
    np.testing.assert_allclose(hf, h, rtol=1e-9)


def test_sequence_losses() -> None:
    steps, classes = 3, 4
    logits = RS.standard_normal((steps, B, classes))
    targets = RS.randint(0, classes, (steps, B))
    weights = RS.rand(steps, B)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    xent = -np.take_along_axis(logp, targets[:, :, None], 2)[:, :, 0]
    per_row = (xent * weights).sum(0)
    with gf.Graph().as_default():
        lg = [gf.constant(x) for x in logits]
        tg = [gf.constant(t, dtype=gf.int32) for t in targets]
        wt = [gf.constant(x) for x in weights]
        fetches = [S2S.sequence_loss_by_example(lg, tg, wt), S2S.sequence_loss_by_example(lg, tg, wt, False),
                   S2S.sequence_loss(lg, tg, wt), S2S.sequence_loss(lg, tg, wt, False, False),
                   S2S.sequence_loss(lg, tg, wt, softmax_loss_function=lambda labels, logits:
                                     gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) * 2)]
        with gf.Session() as s:
            got = s.run(fetches)
    avg = per_row / (weights.sum(0) + 1e-12)
    for a, b in zip(got, [avg, per_row, avg.sum() / B, per_row.sum(), 2 * avg.sum() / B]):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    with pytest.raises(ValueError, match="must be the same"):
        S2S.sequence_loss_by_example(lg, tg[:2], wt)


def test_embedding_rnn_seq2seq_feed_previous_tensor_and_buckets() -> None:
    n, symbols, emb = 4, 5, 3
    enc = RS.randint(0, symbols, (2, B))
    dec = RS.randint(0, symbols, (3, B))
    with gf.Graph().as_default():
        enc_ph = [gf.placeholder(gf.int32, [B]) for _ in range(2)]
        dec_ph = [gf.placeholder(gf.int32, [B]) for _ in range(3)]
        feed = gf.placeholder(gf.bool, [])
        cell = gf.contrib.rnn.GRUCell(n)
        outs, state = S2S.embedding_rnn_seq2seq(enc_ph, dec_ph, cell, symbols, symbols, emb, feed_previous=feed,
                                                dtype=gf.float64)
        names = sorted(v.name for v in gf.global_variables())
        feeds = {**dict(zip(enc_ph, enc)), **dict(zip(dec_ph, dec))}
        other = {**feeds, **dict(zip(dec_ph[1:], (dec[1:] + 1) % symbols))}
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            fed_a, fed_b = s.run(outs, {**feeds, feed: True}), s.run(outs, {**other, feed: True})
            free_a, free_b = s.run(outs, {**feeds, feed: False}), s.run(outs, {**other, feed: False})
    p = "embedding_rnn_seq2seq/"
    assert names == sorted([p + "rnn/embedding_wrapper/embedding:0",
                            p + "rnn/embedding_wrapper/gru_cell/gates/kernel:0",
                            p + "rnn/embedding_wrapper/gru_cell/gates/bias:0",
                            p + "rnn/embedding_wrapper/gru_cell/candidate/kernel:0",
                            p + "rnn/embedding_wrapper/gru_cell/candidate/bias:0",
                            p + "embedding_rnn_decoder/embedding:0"]
                           + [p + "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/" + v + ":0"
                              for v in ("kernel", "bias", "gru_cell/gates/kernel", "gru_cell/gates/bias",
                                        "gru_cell/candidate/kernel", "gru_cell/candidate/bias")])
    assert np.asarray(fed_a).shape == (3, B, symbols)
    np.testing.assert_allclose(fed_a, fed_b)  # fed back: the later decoder inputs are not read
    np.testing.assert_allclose(free_a[0], fed_a[0])
    assert not np.allclose(free_a[1:], free_b[1:])

    with gf.Graph().as_default():
        enc_ph = [gf.placeholder(gf.int32, [B]) for _ in range(3)]
        dec_ph = [gf.placeholder(gf.int32, [B]) for _ in range(3)]
        wts = [gf.ones([B], gf.float64) for _ in range(3)]
        cell = gf.contrib.rnn.GRUCell(n)
        outputs, losses = S2S.model_with_buckets(
            enc_ph, dec_ph, dec_ph, wts, [(2, 2), (3, 3)],
            lambda x, y: S2S.embedding_attention_seq2seq(x, y, cell, symbols, symbols, emb, dtype=gf.float64))
        assert [len(o) for o in outputs] == [2, 3] and len(losses) == 2
        assert len(gf.global_variables()) == len(gf.trainable_variables()) == 20  # the buckets share them


def test_embedding_attention_seq2seq_learns_to_copy_and_decodes_greedily() -> None:
    symbols, length, batch, go = 6, 3, 16, 0
    rs = np.random.RandomState(1)

    def sample() -> tuple:
        src = rs.randint(1, symbols, (length, batch))
        return src, np.concatenate([np.full((1, batch), go), src[:-1]]), src
    with gf.Graph().as_default():
        gf.set_random_seed(3)
        enc = [gf.placeholder(gf.int32, [batch]) for _ in range(length)]
        dec = [gf.placeholder(gf.int32, [batch]) for _ in range(length)]
        tgt = [gf.placeholder(gf.int32, [batch]) for _ in range(length)]
        cell = gf.contrib.rnn.GRUCell(16)
        with gf.variable_scope("model"):
            outs, _ = S2S.embedding_attention_seq2seq(enc, dec, cell, symbols, symbols, 8)
        with gf.variable_scope("model", reuse=True):
            greedy, _ = S2S.embedding_attention_seq2seq(enc, dec, cell, symbols, symbols, 8, feed_previous=True)
        loss = S2S.sequence_loss(outs, tgt, [gf.ones([batch]) for _ in range(length)])
        n_vars = len(gf.global_variables())
        train = gf.train.AdamOptimizer(0.05).minimize(loss)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            losses = []
            for _ in range(60):
                src, din, t = sample()
                feed = {**dict(zip(enc, src)), **dict(zip(dec, din)), **dict(zip(tgt, t))}
                losses.append(s.run([loss, train], feed)[0])
            src, din, t = sample()
            blank = np.full((length, batch), go)  # greedy decoding reads only the first (GO) input
            decoded = np.argmax(s.run(greedy, {**dict(zip(enc, src)), **dict(zip(dec, blank))}), -1)
    assert n_vars == 20  # the greedy model reuses the trained one's variables
    assert np.mean(losses[-5:]) < 0.3 * np.mean(losses[:5]), losses
    assert np.mean(decoded == src) > 0.8


def test_embedding_rnn_decoder_feeds_back_the_projected_argmax() -> None:
    n, symbols, emb = 3, 4, 2
    dec = RS.randint(0, symbols, (3, B))
    h0 = RS.standard_normal((B, n))
    pw, pb = RS.standard_normal((n, symbols)), RS.standard_normal(symbols)
    with gf.Graph().as_default():
        outs, _ = S2S.embedding_rnn_decoder([gf.constant(d, dtype=gf.int32) for d in dec], gf.constant(h0),
                                            gf.contrib.rnn.BasicRNNCell(n), symbols, emb,
                                            output_projection=(gf.constant(pw), gf.constant(pb)), feed_previous=True,
                                            dtype=gf.float64)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights(s)
            got = s.run(outs)
    p = "embedding_rnn_decoder/"
    assert sorted(w) == [p + "embedding", p + "rnn_decoder/basic_rnn_cell/bias",
                         p + "rnn_decoder/basic_rnn_cell/kernel"]
    h, x, ref = h0, w[p + "embedding"][dec[0]], []
    for _ in range(3):
        h = np.tanh(np.concatenate([x, h], 1) @ w[p + "rnn_decoder/basic_rnn_cell/kernel"]
                    + w[p + "rnn_decoder/basic_rnn_cell/bias"])
        ref.append(h)
        x = w[p + "embedding"][np.argmax(h @ pw + pb, 1)]
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_embedding_tied_and_one2many_models() -> None:
    n, symbols, emb = 3, 5, 2
    with gf.Graph().as_default():
        enc = [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, symbols, (2, B))]
        dec = [gf.placeholder(gf.int32, [B]) for _ in range(3)]
        outs, state = S2S.embedding_tied_rnn_seq2seq(enc, dec, gf.contrib.rnn.GRUCell(n), symbols, emb,
                                                     feed_previous=True, dtype=gf.float64)
        names = sorted(v.name[:-2] for v in gf.global_variables())
        d1, d2 = RS.randint(0, symbols, (3, B)), RS.randint(0, symbols, (3, B))
        d2[0] = d1[0]
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            a, b = (s.run(outs, dict(zip(dec, d))) for d in (d1, d2))
    p = "embedding_tied_rnn_seq2seq/"
    q = p + "combined_tied_rnn_seq2seq/tied_rnn_seq2seq/output_projection_wrapper/"
    assert names == sorted([p + "embedding", q + "kernel", q + "bias"]
                           + [q + "gru_cell/" + v for v in ("gates/kernel", "gates/bias", "candidate/kernel",
                                                            "candidate/bias")])
    assert np.asarray(a).shape == (3, B, symbols)
    np.testing.assert_allclose(a, b)  # greedy: only the first decoder input is read

    with gf.Graph().as_default():
        enc = [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, symbols, (2, B))]
        decs = {"a": [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, 3, (2, B))],
                "b": [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, 4, (3, B))]}
        outs, states = S2S.one2many_rnn_seq2seq(enc, decs, gf.contrib.rnn.GRUCell(n),
                                                {"a": gf.contrib.rnn.GRUCell(n), "b": gf.contrib.rnn.GRUCell(n)},
                                                symbols, {"a": 3, "b": 4}, emb, dtype=gf.float64)
        names = [v.name for v in gf.global_variables()]
        assert [len(outs["a"]), len(outs["b"])] == [2, 3]
        assert outs["a"][0].shape.as_list() == [B, 3] and outs["b"][0].shape.as_list() == [B, 4]
        assert "one2many_rnn_seq2seq/one2many_decoder_b/embedding_rnn_decoder/rnn_decoder/" \
               "output_projection_wrapper/gru_cell/gates/kernel:0" in names
        assert "one2many_rnn_seq2seq/rnn/embedding_wrapper/embedding:0" in names
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert np.all(np.isfinite(s.run(outs["b"])))


def test_embedding_attention_seq2seq_with_output_projection_and_per_example_bucket_losses() -> None:
    n, symbols, emb = 4, 5, 3
    with gf.Graph().as_default():
        enc = [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, symbols, (2, B))]
        dec = [gf.constant(x, dtype=gf.int32) for x in RS.randint(0, symbols, (3, B))]
        w = gf.get_variable("proj_w", [n, symbols], gf.float64)
        b = gf.get_variable("proj_b", [symbols], gf.float64)
        outs, _ = S2S.embedding_attention_seq2seq(enc, dec, gf.contrib.rnn.GRUCell(n), symbols, symbols, emb,
                                                  num_heads=2, output_projection=(w, b), feed_previous=True,
                                                  dtype=gf.float64, initial_state_attention=True)
        assert [o.shape.as_list() for o in outs] == [[B, n]] * 3  # the caller projects
        names = [v.name for v in gf.global_variables()]
        assert not any("output_projection_wrapper" in v for v in names)
        assert "embedding_attention_seq2seq/embedding_attention_decoder/attention_decoder/AttnW_1:0" in names
        weights = [gf.constant(RS.rand(B)) for _ in range(3)]
        _, losses = S2S.model_with_buckets(
            enc, dec, dec, weights, [(1, 2), (2, 3)],
            lambda x, y: S2S.embedding_rnn_seq2seq(x, y, gf.contrib.rnn.BasicRNNCell(n), symbols, symbols, emb,
                                                   dtype=gf.float64), per_example_loss=True)
        assert [loss.shape.as_list() for loss in losses] == [[B], [B]]
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            got = s.run([outs, losses])
    assert np.all(np.isfinite(got[0])) and np.all(np.asarray(got[1]) > 0)
