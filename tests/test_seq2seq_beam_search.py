"""``tf.contrib.seq2seq``'s beam search (TF 1.15's behaviour): ``tile_batch``, ``gather_tree``
against a numpy trace-back, ``BeamSearchDecoder`` run by ``dynamic_decode`` against a numpy
re-implementation of TF1's beam search step by step, and, with a beam wide enough to hold every
hypothesis, against a brute-force search over all sequences."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops.func_graph import flatten
from graphflow.tf1.contrib.seq2seq.beam_search_decoder import (
    BeamSearchDecoder,
    BeamSearchDecoderState,
    FinalBeamSearchDecoderOutput,
    tile_batch,
)
from graphflow.tf1.contrib.seq2seq.beam_search_ops import gather_tree
from graphflow.tf1.contrib.seq2seq.decoder import dynamic_decode
from tests.harness import TARGETS

F32 = np.float32


# ---- numpy references ----------------------------------------------------------------------------

def np_gather_tree(step_ids: np.ndarray, parent_ids: np.ndarray, lengths: np.ndarray, end: int) -> np.ndarray:
    """TF 1.15's GatherTree kernel, loop for loop."""
    max_time, batch, beam = step_ids.shape
    out = np.full_like(step_ids, end)
    for b in range(batch):
        n = min(max_time, int(lengths[b]))
        for k in range(beam):
            if n <= 0:
                continue
            out[n - 1, b, k] = step_ids[n - 1, b, k]
            parent = parent_ids[n - 1, b, k]
            for t in range(n - 2, -1, -1):
                out[t, b, k] = step_ids[t, b, parent]
                parent = parent_ids[t, b, parent]
            ended = False
            for t in range(n):
                if ended:
                    out[t, b, k] = end
                elif out[t, b, k] == end:
                    ended = True
    return out


def np_log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def np_penalty(lengths: np.ndarray, weight: float) -> np.ndarray:
    """((5 + len) / 6) ** w, in float32 as TF computes it."""
    w = F32(weight)
    return ((F32(5) + lengths.astype(F32)) ** w / F32(6) ** w).astype(np.float64)


def np_beam_search(cell: Callable, emb: np.ndarray, state: dict, start: np.ndarray, end: int, beam: int,
                   max_iter: int, weight: float = 0.0, coverage: float = 0.0) -> dict:
    """TF 1.15's BeamSearchDecoder under dynamic_decode. ``cell(x [n, E], state) -> (logits, state)``
    with state a dict of [batch * beam, ...] arrays (tiled); an ``align`` entry feeds the coverage
    penalty."""
    batch, vocab = len(start), emb.shape[0]
    rows = np.arange(batch)[:, None]
    log_probs = np.where(np.arange(beam) > 0, -np.inf, 0.0)[None].repeat(batch, 0)
    finished = (np.arange(beam) > 0)[None].repeat(batch, 0)
    lengths = np.zeros((batch, beam), np.int64)
    acc = state["align"].reshape(batch, beam, -1) if coverage else None
    x = emb[np.repeat(start, beam)]
    scores_t, words_t, parents_t, history = [], [], [], []
    for _ in range(max_iter):
        logits, state = cell(x, state)
        if "align" in state:
            history.append(state["align"])
        lsm = np_log_softmax(logits.reshape(batch, beam, vocab))
        is_end = np.arange(vocab) == end
        fin = finished[:, :, None]
        lsm = np.where(fin, np.where(is_end, 0.0, np.finfo(np.float64).min), lsm)
        total = log_probs[:, :, None] + lsm
        grown = lengths[:, :, None] + (~fin & ~is_end)
        scores = total / np_penalty(grown, weight)
        if coverage:
            acc = acc + state["align"].reshape(batch, beam, -1) * ~fin
            a = np.where(acc == 0, 1.0, acc)
            scores = scores + (np.log(np.minimum(a, 1.0)).sum(2) * finished * coverage)[:, :, None]
        flat = scores.reshape(batch, -1)
        idx = np.argsort(-flat, axis=1, kind="stable")[:, :beam]  # top_k: equal scores, lower index first
        parent, word = idx // vocab, idx % vocab
        scores_t.append(np.take_along_axis(flat, idx, 1))
        words_t.append(word)
        parents_t.append(parent)
        log_probs = np.take_along_axis(total.reshape(batch, -1), idx, 1)
        prev = finished[rows, parent]
        finished = prev | (word == end)
        lengths = lengths[rows, parent] + ~prev
        if coverage:
            acc = acc[rows, parent]
        state = {key: (v.reshape((batch, beam) + v.shape[1:])[rows, parent].reshape(v.shape) if v.ndim else v)
                 for key, v in state.items()}
        x = emb[np.repeat(start, beam)] if finished.all() else emb[word.reshape(-1)]
        if finished.all():
            break
    words, parents = np.stack(words_t), np.stack(parents_t)
    return {"scores": np.stack(scores_t, 1), "words": words.transpose(1, 0, 2), "parents": parents.transpose(1, 0, 2),
            "lengths": lengths, "finished": finished, "log_probs": log_probs, "state": state, "history": history,
            "predicted": np_gather_tree(words, parents, lengths.max(1), end).transpose(1, 0, 2)}


def np_gru(weights: list, out_w: np.ndarray, out_b: np.ndarray) -> Callable:
    """graphflow's GRUCell then a Dense layer, in numpy."""
    gk, gb, ck, cb = weights

    def cell(x: np.ndarray, state: dict) -> tuple[np.ndarray, dict]:
        h = state["h"]
        g = 1 / (1 + np.exp(-(np.concatenate([x, h], 1) @ gk + gb)))
        r, u = np.split(g, 2, 1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ ck + cb)
        h = u * h + (1 - u) * c
        return h @ out_w + out_b, {**state, "h": h}
    return cell


def _weights(seed: int, vocab: int, scale: float, end_bias: float, batch: int = 2) -> dict:
    """A GRU (4 units) and output layer's weights, embeddings (3 wide), initial states and start
    tokens; ``scale`` and the end token's bias (token 0) set how soon beams finish."""
    rs = np.random.RandomState(seed)
    emb, h0 = rs.randn(vocab, 3), rs.randn(batch, 4)
    gru = [rs.randn(7, 8) * scale, rs.randn(8) * 0.5, rs.randn(7, 4) * scale, rs.randn(4) * 0.5]
    out_w, out_b = rs.randn(4, vocab) * scale, np.r_[end_bias, rs.randn(vocab - 1) * 0.5]
    return {"emb": emb, "h0": h0, "gru": gru, "out_w": out_w, "out_b": out_b, "start": rs.randint(1, vocab, batch)}


def _gru_decoder(d: dict, beam: int, max_iter: int) -> tuple[Any, ...]:
    """BeamSearchDecoder over a float64 GRUCell and Dense layer holding ``d``'s weights, run by
    dynamic_decode; the length penalty weight is fed."""
    by_shape = {w.shape: w for w in d["gru"]}
    cell = gf.nn.rnn_cell.GRUCell(4, dtype=gf.float64,
                                  kernel_initializer=lambda shape, dtype=None, **_: gf.constant(by_shape[tuple(shape)]),
                                  bias_initializer=lambda shape, dtype=None, **_: gf.constant(by_shape[tuple(shape)]))
    proj = gf.layers.Dense(d["out_w"].shape[1], kernel_initializer=gf.constant_initializer(d["out_w"]),
                           bias_initializer=gf.constant_initializer(d["out_b"]), dtype=gf.float64)
    weight = gf.placeholder(gf.float32, [])
    decoder = BeamSearchDecoder(cell, gf.constant(d["emb"]), d["start"], 0, tile_batch(gf.constant(d["h0"]), beam),
                                beam, output_layer=proj, length_penalty_weight=weight)
    out, state, lengths = dynamic_decode(decoder, maximum_iterations=max_iter)
    return out, state, lengths, weight


def _check_against_numpy(got: Any, ref: dict) -> None:
    out, state, lengths = got
    np.testing.assert_array_equal(out.beam_search_decoder_output.predicted_ids, ref["words"])
    np.testing.assert_array_equal(out.beam_search_decoder_output.parent_ids, ref["parents"])
    np.testing.assert_allclose(out.beam_search_decoder_output.scores, ref["scores"], rtol=1e-6)
    np.testing.assert_array_equal(out.predicted_ids, ref["predicted"])
    np.testing.assert_array_equal(state.lengths, ref["lengths"])
    np.testing.assert_array_equal(state.finished, ref["finished"])
    np.testing.assert_allclose(state.log_probs, ref["log_probs"], rtol=1e-9)
    assert lengths.shape == ref["lengths"].shape


# ---- tile_batch -----------------------------------------------------------------------------------

def test_tile_batch_repeats_rows_over_nested_structures() -> None:
    rs = np.random.RandomState(0)
    a, c, h = rs.randn(2, 3), rs.randn(2, 4), rs.randn(2, 4)
    ids = rs.randint(0, 9, (2, 2, 5)).astype(np.int32)
    dyn = gf.placeholder(gf.float64, [None, 2])
    structure = (gf.constant(a), gf.nn.rnn_cell.LSTMStateTuple(gf.constant(c), gf.constant(h)),
                 {"ids": gf.constant(ids), "dyn": dyn})
    tiled = tile_batch(structure, 3)
    assert isinstance(tiled[1], gf.nn.rnn_cell.LSTMStateTuple)
    assert tiled[0].shape.as_list() == [6, 3] and tiled[2]["ids"].shape.as_list() == [6, 2, 5]
    assert tiled[2]["dyn"].shape.as_list() == [None, 2] and tiled[2]["ids"].dtype == gf.int32
    d = rs.randn(3, 2)
    with gf.Session() as sess:
        got = sess.run(tiled, {dyn: d})
    for g, x in zip(flatten(got), [a, c, h, d, ids]):
        np.testing.assert_array_equal(g, np.repeat(x, 3, axis=0))
    with pytest.raises(ValueError, match="rank"):
        tile_batch(gf.constant(1.0), 2)
    with pytest.raises(TypeError, match="TensorArray"):
        tile_batch(gf.TensorArray(gf.float32, size=2), 2)
    with pytest.raises(ValueError, match="multiplier"):
        tile_batch(gf.constant(a), 0)


# ---- gather_tree ----------------------------------------------------------------------------------

def _gather_tree_cases() -> list[tuple[np.ndarray, ...]]:
    rs = np.random.RandomState(3)
    # a hand-made case: end tokens (2) in the middle of beams, a row shorter than max_time
    step = np.array([[[1, 2, 3], [4, 5, 6]], [[2, 1, 1], [7, 2, 8]], [[3, 3, 2], [9, 9, 9]], [[4, 4, 4], [1, 1, 1]]])
    parent = np.array([[[0, 0, 0], [0, 0, 0]], [[2, 1, 0], [0, 2, 1]], [[1, 0, 2], [2, 2, 0]], [[0, 2, 1], [1, 1, 1]]])
    cases = [(step, parent, np.array([4, 3]))]
    for _ in range(6):
        t, b, k = rs.randint(1, 6), rs.randint(1, 4), rs.randint(1, 5)
        cases.append((rs.randint(0, 5, (t, b, k)), rs.randint(0, k, (t, b, k)), rs.randint(0, t + 3, b)))
    return [(s.astype(np.int32), p.astype(np.int32), n.astype(np.int32)) for s, p, n in cases]


@pytest.mark.parametrize("device", TARGETS)
def test_gather_tree_matches_the_numpy_trace_back(device: str) -> None:
    step = gf.placeholder(gf.int32, [None, None, None])
    parent = gf.placeholder(gf.int32, [None, None, None])
    lengths = gf.placeholder(gf.int32, [None])
    beams = gather_tree(step, parent, lengths, 2)
    with gf.Session(device=device) as sess:
        for s, p, n in _gather_tree_cases():
            got = sess.run(beams, {step: s, parent: p, lengths: n})
            np.testing.assert_array_equal(got, np_gather_tree(s, p, n, 2))
        # max_time 0: an empty result of the right shape
        empty = np.zeros((0, 2, 3), np.int32)
        assert sess.run(beams, {step: empty, parent: empty, lengths: [1, 1]}).shape == (0, 2, 3)
        bad = np.zeros((3, 1, 2), np.int32)
        bad[1, 0, 1] = 2  # followed from beam 1 when the trace starts at step 1
        assert sess.run(beams, {step: bad, parent: bad, lengths: [3]}).shape == (3, 1, 2)  # not followed: fine
        with pytest.raises(gf.errors.InvalidArgumentError, match="parent id"):
            sess.run(beams, {step: bad, parent: bad, lengths: [2]})
    with pytest.raises(ValueError, match="3-tensor"):
        gather_tree(gf.zeros([2, 3], gf.int32), gf.zeros([2, 3], gf.int32), [1, 1], 0)
    with pytest.raises(ValueError, match="must match"):
        gather_tree(gf.zeros([2, 3, 2], gf.int32), gf.zeros([2, 3, 2], gf.int32), [1, 1], 0)


# ---- the decoder ----------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_beam_search_decoder_matches_numpy_step_by_step(device: str) -> None:
    batch, beam, max_iter = 2, 3, 6
    d = _weights(seed=4, vocab=5, scale=1.5, end_bias=0.0)
    out, state, lengths, weight = _gru_decoder(d, beam, max_iter)
    assert isinstance(out, FinalBeamSearchDecoderOutput) and isinstance(state, BeamSearchDecoderState)
    assert out.predicted_ids.shape.as_list() == [batch, None, beam] and out.predicted_ids.dtype == gf.int32
    assert out.beam_search_decoder_output.scores.dtype == gf.float64 and state.lengths.dtype == gf.int64
    cell = np_gru(d["gru"], d["out_w"], d["out_b"])
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        results = []
        for w in (0.0, 0.8):
            got = sess.run((out, state, lengths), {weight: w})
            ref = np_beam_search(cell, d["emb"], {"h": np.repeat(d["h0"], beam, 0)}, d["start"], 0, beam, max_iter,
                                 weight=w)
            _check_against_numpy(got, ref)
            # the final cell state stays split: [batch, beam, ...]
            np.testing.assert_allclose(got[1].cell_state, ref["state"]["h"].reshape(batch, beam, 4), rtol=1e-9)
            results.append(got[0].predicted_ids)
    # beams of several lengths; without the penalty all finish after 5 steps, with it the longest runs 6
    np.testing.assert_array_equal(ref["lengths"], [[4, 5, 6], [1, 2, 3]])
    assert results[0].shape[1] == 5 and results[1].shape[1] == 6
    assert not np.array_equal(results[0][:, :5, 0], results[1][:, :5, 0])


def _brute_force(cell: Callable, emb: np.ndarray, h0: np.ndarray, start: int, end: int, steps: int,
                 weight: float) -> tuple[list[int], float]:
    """The best of all sequences of at most ``steps`` tokens (ending at end_token or cut at
    ``steps``), scored as TF's beam search ranks its final beams: log probability over the
    length penalty, where a beam that ended before the last step counts its end_token too."""
    vocab = emb.shape[0]
    best: tuple[float, list[int]] = (-np.inf, [])

    def walk(seq: list[int], state: dict, x: np.ndarray, log_prob: float) -> None:
        nonlocal best
        logits, state = cell(x[None], state)
        lsm = np_log_softmax(logits)[0]
        for w in range(vocab):
            s, lp = seq + [w], log_prob + lsm[w]
            if w == end or len(s) == steps:
                words = len(s) - (w == end) + (w == end and len(s) < steps)
                score = lp / np_penalty(np.array(words), weight)
                if score > best[0]:
                    best = (score, s)
            else:
                walk(s, state, emb[w], lp)
    walk([], {"h": h0[None]}, emb[start], 0.0)
    return best[1], best[0]


def test_wide_beam_search_equals_brute_force_search() -> None:
    batch, vocab, steps = 2, 3, 4
    # every live or finished hypothesis fits: (vocab - 1) ** steps live, sum of (vocab - 1) ** s finished
    beam = (vocab - 1) ** steps + sum((vocab - 1) ** s for s in range(steps))
    d = _weights(seed=9, vocab=vocab, scale=1.0, end_bias=-1.0)
    out, state, lengths, weight = _gru_decoder(d, beam, steps)
    cell = np_gru(d["gru"], d["out_w"], d["out_b"])
    best, misses = {}, 0
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for w in (0.0, 1.5):
            got = sess.run((out, state, lengths), {weight: w})
            ref = np_beam_search(cell, d["emb"], {"h": np.repeat(d["h0"], beam, 0)}, d["start"], 0, beam, steps,
                                 weight=w)
            _check_against_numpy(got, ref)
            narrow = np_beam_search(cell, d["emb"], {"h": np.repeat(d["h0"], 2, 0)}, d["start"], 0, 2, steps, weight=w)
            for b in range(batch):
                seq, score = _brute_force(cell, d["emb"], d["h0"][b], d["start"][b], 0, steps, w)
                found = got[0].predicted_ids[b, :, 0]
                np.testing.assert_array_equal(found[:len(seq)], seq)
                assert (found[len(seq):] == 0).all()
                np.testing.assert_allclose(got[0].beam_search_decoder_output.scores[b, -1, 0], score, rtol=1e-6)
                best[w, b] = seq
                misses += list(narrow["predicted"][b, :len(seq), 0]) != seq
    assert best == {(0.0, 0): [2, 0], (0.0, 1): [1, 0], (1.5, 0): [2, 2, 0], (1.5, 1): [1, 1, 2, 1]}
    assert misses >= 2  # a beam of 2 misses the best sequence here: the case needs the wide search


# ---- an attentional cell: coverage penalty, TensorArray reordering, unknown batch --------------------

AttentionWrapperState = namedtuple("AttentionWrapperState", ["cell_state", "time", "alignments", "alignment_history"])


class _ToyAttentionCell(gf.nn.rnn_cell.RNNCell):
    """h = tanh([x, h] W); alignments = softmax(h U) over a memory of ``U.shape[1]`` steps; the
    alignments also go to a TensorArray, as AttentionWrapper's alignment_history."""

    def __init__(self, w: np.ndarray, u: np.ndarray, out: np.ndarray) -> None:
        super().__init__()
        self._w, self._u, self._out = gf.constant(w), gf.constant(u), gf.constant(out)

    state_size = property(lambda self: AttentionWrapperState(4, (), 5, ()))
    output_size = property(lambda self: 5)

    def __call__(self, inputs: Any, state: AttentionWrapperState, scope: Any = None) -> tuple[Any, Any]:
        h = gf.tanh(gf.matmul(gf.concat([inputs, state.cell_state], 1), self._w))
        align = gf.nn.softmax(gf.matmul(h, self._u))
        history = state.alignment_history.write(state.time, align)
        return gf.matmul(h, self._out), AttentionWrapperState(h, state.time + 1, align, history)


def test_coverage_penalty_and_tensor_array_reordering_with_unknown_batch() -> None:
    batch, beam, vocab, memory, max_iter, weight = 2, 3, 5, 4, 5, 0.7
    rs = np.random.RandomState(11)
    w, u, out_w = rs.randn(7, 4), rs.randn(4, memory) * 2, rs.randn(4, vocab)
    out_w[:, 1] -= 1.0
    emb, h0 = rs.randn(vocab, 3), rs.randn(batch, 4)
    first_align = np.abs(rs.randn(batch, memory))
    start = np.array([2, 3], np.int32)
    tokens = gf.placeholder(gf.int32, [None])
    h_in = gf.placeholder(gf.float64, [None, 4])
    a_in = gf.placeholder(gf.float64, [None, memory])
    init = AttentionWrapperState(tile_batch(h_in, beam), gf.constant(0), tile_batch(a_in, beam),
                                 gf.TensorArray(gf.float64, size=0, dynamic_size=True, element_shape=[None, memory]))
    decoder = BeamSearchDecoder(_ToyAttentionCell(w, u, out_w), lambda ids: gf.nn.embedding_lookup(emb, ids), tokens,
                                1, init, beam, coverage_penalty_weight=weight)
    out, state, _ = dynamic_decode(decoder, maximum_iterations=max_iter)
    assert out.predicted_ids.shape.as_list() == [None, None, beam]
    with gf.Session() as sess:
        got, fin = sess.run((out, state), {tokens: start, h_in: h0, a_in: first_align})

    def cell(x: np.ndarray, s: dict) -> tuple[np.ndarray, dict]:
        h = np.tanh(np.concatenate([x, s["h"]], 1) @ w)
        z = h @ u
        a = np.exp(z - z.max(1, keepdims=True))
        return h @ out_w, {"h": h, "align": a / a.sum(1, keepdims=True)}
    ref = np_beam_search(cell, emb, {"h": np.repeat(h0, beam, 0), "align": np.repeat(first_align, beam, 0)}, start, 1,
                         beam, max_iter, coverage=weight)
    _check_against_numpy((got, fin, fin.lengths), ref)
    plain = np_beam_search(cell, emb, {"h": np.repeat(h0, beam, 0), "align": np.repeat(first_align, beam, 0)}, start,
                           1, beam, max_iter)
    assert not np.array_equal(plain["predicted"], ref["predicted"])  # the penalty changes the search here
    np.testing.assert_allclose(fin.cell_state.alignments, ref["state"]["align"].reshape(batch, beam, memory),
                               rtol=1e-9)
    # the alignment history, reordered as TF 1.15's gather_tree_from_array does
    history = np.stack(ref["history"])  # [time, batch * beam, memory]
    steps = history.shape[0]
    parents = ref["parents"].transpose(1, 0, 2)
    own = np.broadcast_to(np.arange(beam), parents.shape).astype(np.int32)
    order = np_gather_tree(own, parents.astype(np.int32), ref["lengths"].max(1), beam + 1)
    order = np.where(np.arange(steps)[:, None, None] < ref["lengths"][None], order, own)
    want = history.reshape(steps, batch, beam, memory)[np.arange(steps)[:, None, None], np.arange(batch)[:, None],
                                                          order].reshape(history.shape)
    assert (order != own).any()
    np.testing.assert_allclose(fin.cell_state.alignment_history, want, rtol=1e-9)
    assert fin.accumulated_attention_probs.shape == (batch, beam, memory)


def test_coverage_penalty_reads_attention_wrapper_alignments() -> None:
    """Graph building only: the coverage penalty finds AttentionWrapper's alignments and the
    alignment history comes back stacked and reordered."""
    from graphflow.tf1.contrib.seq2seq import attention_wrapper as seq2seq_aw
    batch, beam, memory, units = 2, 3, 7, 5
    mem = gf.constant(np.zeros((batch, memory, units)))
    lengths = tile_batch(gf.constant([7, 4]), beam)
    mech = seq2seq_aw.LuongAttention(units, tile_batch(mem, beam), memory_sequence_length=lengths, dtype=gf.float64)
    cell = seq2seq_aw.AttentionWrapper(gf.nn.rnn_cell.GRUCell(units, dtype=gf.float64), mech, alignment_history=True)
    init = cell.zero_state(batch * beam, gf.float64)
    decoder = BeamSearchDecoder(cell, gf.constant(np.ones((6, 4))), [1, 1], 0, init, beam,
                                output_layer=gf.layers.Dense(6, dtype=gf.float64), coverage_penalty_weight=0.3)
    assert decoder.initialize()[2].accumulated_attention_probs.shape.as_list() == [batch, beam, memory]
    _, state, _ = dynamic_decode(decoder, maximum_iterations=3)
    assert state.accumulated_attention_probs.shape.as_list() == [batch, beam, memory]
    assert state.cell_state.alignment_history.shape.as_list() == [None, batch * beam, memory]


# ---- errors -----------------------------------------------------------------------------------------

def test_clear_errors_for_untiled_state_and_bad_arguments() -> None:
    cell = gf.nn.rnn_cell.GRUCell(4, dtype=gf.float64)
    emb = gf.constant(np.ones((5, 3)))
    state = gf.zeros([2, 4], gf.float64)
    with pytest.raises(ValueError, match="tile_batch"):
        BeamSearchDecoder(cell, emb, [1, 1], 0, state, 3)
    for bad in (0, -2, 2.5, True, None):
        with pytest.raises(ValueError, match="beam_width"):
            BeamSearchDecoder(cell, emb, [1, 1], 0, tile_batch(state, 3), bad)
    with pytest.raises(ValueError, match="start_tokens"):
        BeamSearchDecoder(cell, emb, [[1, 1]], 0, tile_batch(state, 3), 3)
    with pytest.raises(ValueError, match="end_token"):
        BeamSearchDecoder(cell, emb, [1, 1], [0], tile_batch(state, 3), 3)
    with pytest.raises(TypeError, match="output_layer"):
        BeamSearchDecoder(cell, emb, [1, 1], 0, tile_batch(state, 3), 3, output_layer=3)
    with pytest.raises(ValueError, match="attentional"):
        BeamSearchDecoder(cell, emb, [1, 1], 0, tile_batch(state, 3), 3, coverage_penalty_weight=0.5).initialize()
