"""CTC (tf.nn.ctc_loss, ctc_loss_v2, ctc_greedy_decoder, ctc_beam_search_decoder): against the
sum over every alignment enumerated in numpy, float64 gradient checks, and tensorflow.compat.v1
where installed."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import need

T, B, C = 5, 3, 4  # frames, rows, classes (the blank is class 3 for ctc_loss)
RS = np.random.RandomState(0)
X = RS.randn(T, B, C)
ROWS = [[1, 1], [2], [0, 2, 0]]
FRAMES = np.array([5, 4, 5], np.int32)


def _sparse(rows: list[list[int]], lib: Any = gf) -> Any:
    idx = [[b, j] for b, row in enumerate(rows) for j in range(len(row))]
    vals = np.array([v for row in rows for v in row], np.int32)
    return lib.SparseTensor(np.array(idx, np.int64), vals, [len(rows), max(len(r) for r in rows)])


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _emitted(path: tuple[int, ...], blank: int, merge: bool) -> list[int]:
    out, prev = [], None
    for c in path:
        if c != blank and (not merge or c != prev):
            out.append(c)
        prev = c
    return out


def _nll(lp: np.ndarray, labels: list[int], frames: int, blank: int, merge: bool = True) -> float:
    """-log of the summed probability of every alignment of ``frames`` frames emitting ``labels``."""
    total = -np.inf
    for path in itertools.product(range(lp.shape[-1]), repeat=frames):
        if _emitted(path, blank, merge) == labels:
            total = np.logaddexp(total, sum(lp[t, c] for t, c in enumerate(path)))
    return -total


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("device", TARGETS)
def test_loss_is_the_sum_over_every_alignment(device: str, merge: bool) -> None:
    loss = gf.nn.ctc_loss(_sparse(ROWS), gf.constant(X), FRAMES, ctc_merge_repeated=merge)
    collapsed = gf.nn.ctc_loss(_sparse(ROWS), gf.constant(X), FRAMES, preprocess_collapse_repeated=True,
                               ctc_merge_repeated=merge)
    batch_major = gf.nn.ctc_loss(_sparse(ROWS), logits=gf.constant(X.transpose(1, 0, 2).astype(np.float32)),
                                 sequence_length=FRAMES, time_major=False, ctc_merge_repeated=merge)
    assert loss.shape.as_list() == [3] and loss.dtype == gf.float64 and batch_major.dtype == gf.float32
    with gf.Session(device=device) as sess:
        got, got_collapsed, got32 = sess.run([loss, collapsed, batch_major])
    lp = _log_softmax(X)
    want = [_nll(lp[:, b], ROWS[b], FRAMES[b], C - 1, merge) for b in range(B)]
    want_collapsed = [_nll(lp[:, b], [k for i, k in enumerate(r) if i == 0 or k != r[i - 1]], FRAMES[b], C - 1, merge)
                      for b, r in enumerate(ROWS)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got_collapsed, want_collapsed, rtol=1e-12)
    np.testing.assert_allclose(got32, want, rtol=1e-5)


def test_gradient_matches_central_differences() -> None:
    check_gradient(lambda x: gf.nn.ctc_loss(_sparse(ROWS), x, FRAMES), [X])
    check_gradient(lambda x: gf.nn.ctc_loss(_sparse(ROWS), x, FRAMES, ctc_merge_repeated=False), [X])


@pytest.mark.parametrize("device", TARGETS)
def test_too_few_frames_fail_the_run_or_give_zero_loss_and_gradient(device: str) -> None:
    """A row of more labels than frames fails the run (or, ignored, gets loss 0 and no gradient);
    [1, 1] in 2 frames has no path when repeats merge (they need a blank between): its loss is
    infinite and its gradient the softmax of its frames (TF1's)."""
    frames = np.array([1, 4, 5], np.int32)
    x = gf.constant(X)
    fed = gf.placeholder(gf.int32, [None])
    strict = gf.nn.ctc_loss(_sparse(ROWS), x, fed)
    lenient = gf.nn.ctc_loss(_sparse(ROWS), x, fed, ignore_longer_outputs_than_inputs=True)
    (grad,) = gf.gradients(gf.reduce_sum(lenient), [x])
    with pytest.raises(gf.errors.InvalidArgumentError, match="not enough time for the target transition"):
        gf.nn.ctc_loss(_sparse(ROWS), x, frames)  # known when the graph is built: fails there
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="not enough time for the target transition"):
            sess.run(strict, {fed: frames})
        with pytest.raises(gf.errors.InvalidArgumentError, match="sequence_length is longer than the inputs' max_time"):
            sess.run(strict, {fed: [6, 4, 5]})
        got, g = sess.run([lenient, grad], {fed: frames})
        impossible, g_impossible = sess.run([strict, grad], {fed: [2, 4, 5]})
    lp = _log_softmax(X)
    np.testing.assert_allclose(got, [0.0] + [_nll(lp[:, b], ROWS[b], frames[b], C - 1) for b in (1, 2)], rtol=1e-12)
    assert not g[:, 0].any() and g[:, 1:].any()
    assert not g[4, 1].any()  # row 1 reads 4 frames: the fifth gets no gradient
    assert impossible[0] == np.inf and np.isfinite(impossible[1:]).all()
    np.testing.assert_allclose(g_impossible[:2, 0], np.exp(lp[:2, 0]), rtol=1e-12)
    assert not g_impossible[2:, 0].any()
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="a batch row has no labels"):
            sess.run(gf.nn.ctc_loss(_sparse([[1], [], [2]]), x, fed), {fed: frames + 1})


@pytest.mark.parametrize("device", TARGETS)
def test_ctc_loss_v2_dense_and_sparse_labels_and_blank_index(device: str) -> None:
    dense = np.array([[1, 1, 0], [2, 0, 0], [3, 2, 1]], np.int32)  # blank 0: labels are 1..3
    lengths = np.array([2, 1, 3], np.int32)
    v2 = gf.nn.ctc_loss_v2(dense, gf.constant(X), lengths, FRAMES)
    v2_last = gf.nn.ctc_loss_v2(dense - 1, gf.constant(X), lengths, FRAMES, blank_index=-1)
    v2_sparse = gf.nn.ctc_loss_v2(_sparse(ROWS), gf.constant(X), None, FRAMES, blank_index=3)
    with pytest.raises(ValueError, match="blank_index must be given"):
        gf.nn.ctc_loss_v2(_sparse(ROWS), gf.constant(X), None, FRAMES)
    with gf.Session(device=device) as sess:
        got, got_last, got_sparse = sess.run([v2, v2_last, v2_sparse])
    lp = _log_softmax(X)
    rows = [list(dense[b, :lengths[b]]) for b in range(B)]
    np.testing.assert_allclose(got, [_nll(lp[:, b], rows[b], FRAMES[b], 0) for b in range(B)], rtol=1e-12)
    np.testing.assert_allclose(got_last, [_nll(lp[:, b], [k - 1 for k in rows[b]], FRAMES[b], C - 1)
                                          for b in range(B)], rtol=1e-12)
    np.testing.assert_allclose(got_sparse, [_nll(lp[:, b], ROWS[b], FRAMES[b], C - 1) for b in range(B)], rtol=1e-12)


def _greedy(x: np.ndarray, frames: np.ndarray, merge: bool, blank: int) -> tuple[list[list[int]], np.ndarray]:
    rows = [_emitted(tuple(x[:frames[b], b].argmax(-1)), blank, merge) for b in range(x.shape[1])]
    return rows, np.array([[-x[:frames[b], b].max(-1).sum()] for b in range(x.shape[1])])


def _rows(sp: Any) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(sp.dense_shape[0])]
    for (b, j), v in zip(sp.indices.tolist(), sp.values.tolist()):
        assert j == len(out[b])
        out[b].append(v)
    assert sp.dense_shape[1] == max(len(r) for r in out)
    return out


@pytest.mark.parametrize("device", TARGETS)
def test_greedy_decoder(device: str) -> None:
    x = RS.randn(6, 3, 3)
    x[1:3, 0] = [5.0, -5.0, -5.0]  # a repeat in row 0
    frames = np.array([6, 3, 0], np.int32)
    runs = {(merge, blank): gf.nn.ctc_greedy_decoder(gf.constant(x), frames, merge_repeated=merge,
                                                      blank_index=blank)
            for merge in (True, False) for blank in (None, 0)}
    with gf.Session(device=device) as sess:
        got = sess.run(runs)
    for (merge, blank), ((decoded,), score) in got.items():
        rows, want_score = _greedy(x, frames, merge, 2 if blank is None else blank)
        assert decoded.values.dtype == np.int64 and decoded.indices.dtype == np.int64
        assert _rows(decoded) == rows, (merge, blank)
        np.testing.assert_allclose(score, want_score, rtol=1e-12)


def test_beam_search_finds_the_most_probable_labellings() -> None:
    """A beam wide enough to keep every prefix is exact: its top paths are the labellings with
    the largest summed alignment probability, enumerated here."""
    x = RS.randn(4, 2, 3) * 2
    frames = np.array([4, 3], np.int32)
    decoded, scores = gf.nn.ctc_beam_search_decoder_v2(gf.constant(x), frames, beam_width=40, top_paths=3)
    merged, _ = gf.nn.ctc_beam_search_decoder(gf.constant(x), frames, beam_width=40, top_paths=3)
    with gf.Session() as sess:
        got, got_scores, got_merged = sess.run([decoded, scores, merged])
    lp = _log_softmax(x)
    for b in range(2):
        probs: dict[tuple[int, ...], float] = {}
        for path in itertools.product(range(3), repeat=int(frames[b])):
            key = tuple(_emitted(path, 2, True))
            probs[key] = np.logaddexp(probs.get(key, -np.inf), sum(lp[t, b, c] for t, c in enumerate(path)))
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:3]
        for k, (labels, logp) in enumerate(best):
            assert _rows(got[k])[b] == list(labels)
            assert _rows(got_merged[k])[b] == [c for i, c in enumerate(labels) if i == 0 or c != labels[i - 1]]
            np.testing.assert_allclose(got_scores[b, k], logp, rtol=1e-10)


def test_matches_tf1() -> None:
    tf = need("tensorflow").compat.v1
    tf.disable_eager_execution()
    x = RS.randn(T, B, C).astype(np.float32)  # TF's dense CTC loss takes float32 only
    dense = np.array([[1, 1, 0], [2, 0, 0], [3, 2, 1]], np.int32)
    lengths = np.array([2, 1, 3], np.int32)

    def build(lib: Any) -> dict[str, Any]:
        xs = lib.constant(x)
        out = {}
        for merge in (True, False):
            for collapse in (True, False):
                loss = lib.nn.ctc_loss(_sparse(ROWS, lib), xs, FRAMES, preprocess_collapse_repeated=collapse,
                                       ctc_merge_repeated=merge)
                out[f"loss-{merge}-{collapse}"] = loss
                weighted = lib.reduce_sum(loss * np.array([1.0, 2.0, 3.0], np.float32))
                out[f"grad-{merge}-{collapse}"] = lib.gradients(weighted, [xs])[0]
        v2 = lib.nn.ctc_loss_v2(dense, xs, lengths, FRAMES)
        out["v2"], out["v2-grad"] = v2, lib.gradients(lib.reduce_sum(v2), [xs])[0]
        ignored = lib.nn.ctc_loss(_sparse(ROWS, lib), xs, np.array([2, 4, 5], np.int32),
                                  ignore_longer_outputs_than_inputs=True)
        out["ignored"], out["ignored-grad"] = ignored, lib.gradients(lib.reduce_sum(ignored), [xs])[0]
        for merge in (True, False):
            (dec,), score = lib.nn.ctc_greedy_decoder(xs, FRAMES, merge_repeated=merge)
            out[f"greedy-{merge}"] = (dec, score)
            beams, logp = lib.nn.ctc_beam_search_decoder(xs, FRAMES, beam_width=8, top_paths=2, merge_repeated=merge)
            out[f"beam-{merge}"] = (beams, logp)
        return out

    with tf.Graph().as_default(), tf.Session() as sess:
        want = sess.run(build(tf))
    with gf.Graph().as_default(), gf.Session() as sess:
        got = sess.run(build(gf))
    for key, w in want.items():
        if key.startswith("greedy") or key.startswith("beam"):
            decs, score = got[key]
            wdecs, wscore = w
            decs, wdecs = (decs, wdecs) if isinstance(decs, list) else ([decs], [wdecs])
            for d, wd in zip(decs, wdecs):
                assert _rows(d) == _rows(wd), key
            np.testing.assert_allclose(score, wscore, rtol=1e-5, err_msg=key)
        else:
            np.testing.assert_allclose(got[key], w, rtol=1e-5, atol=1e-6, err_msg=key)
