"""nn.depthwise_conv2d / separable_conv2d (numpy reference, gradients, TF1), and the sampled
losses nce_loss / sampled_softmax_loss with their candidate samplers (TF1 with the same sampled
classes, the full softmax when every class is sampled, and the samplers' distributions)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op
from tests.optional import tf1

RS = np.random.RandomState(5)


def _depthwise_ref(x: np.ndarray, w: np.ndarray, stride: int, padding: str, rate: int = 1) -> np.ndarray:
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    eh, ew = (kh - 1) * rate + 1, (kw - 1) * rate + 1
    if padding == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph, pw = max((oh - 1) * stride + eh - h, 0), max((ow - 1) * stride + ew - wd, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (h - eh) // stride + 1, (wd - ew) // stride + 1
    out = np.zeros((n, oh, ow, c, m))
    for i in range(oh):
        for j in range(ow):
            for di in range(kh):
                for dj in range(kw):
                    out[:, i, j] += x[:, i * stride + di * rate, j * stride + dj * rate, :, None] * w[di, dj]
    return out.reshape(n, oh, ow, c * m)


DW = [(1, "SAME", 1), (2, "SAME", 1), (1, "VALID", 2), (2, "VALID", 1)]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("stride,padding,rate", DW)
def test_depthwise_conv2d_matches_numpy(device: str, stride: int, padding: str, rate: int) -> None:
    x, w = RS.randn(2, 7, 6, 3), RS.randn(3, 2, 3, 2)
    with gf.Graph().as_default():
        check_op(lambda a, b: gf.nn.depthwise_conv2d(a, b, [1, stride, stride, 1], padding, rate=[rate, rate]),
                 lambda a, b: _depthwise_ref(a, b, stride, padding, rate), [x, w], device=device)


def test_depthwise_and_separable_gradients() -> None:
    x, w, p = RS.randn(1, 5, 5, 2), RS.randn(3, 3, 2, 2), RS.randn(1, 1, 4, 3)
    with gf.Graph().as_default():
        check_gradient(lambda a, b: gf.nn.depthwise_conv2d(a, b, [1, 2, 2, 1], "SAME"), [x, w])
        check_gradient(lambda a, b, c: gf.nn.separable_conv2d(a, b, c, [1, 1, 1, 1], "VALID"), [x, w, p])


def test_depthwise_nchw_and_errors() -> None:
    x, w = RS.randn(1, 6, 6, 2), RS.randn(3, 3, 2, 1)
    with gf.Graph().as_default(), gf.Session() as s:
        nhwc = s.run(gf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"))
        nchw = s.run(gf.nn.depthwise_conv2d(np.transpose(x, (0, 3, 1, 2)), w, [1, 1, 1, 1], "SAME", data_format="NCHW"))
        np.testing.assert_allclose(np.transpose(nchw, (0, 2, 3, 1)), nhwc, rtol=1e-12)
        with pytest.raises(ValueError, match="channels"):
            gf.nn.depthwise_conv2d(x, RS.randn(3, 3, 5, 1), [1, 1, 1, 1], "SAME")


def test_depthwise_and_separable_match_tf1() -> None:
    tf = tf1()
    x, w, p = RS.randn(2, 8, 8, 3), RS.randn(3, 3, 3, 2), RS.randn(1, 1, 6, 4)

    def run(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            xt, wt, pt = m.constant(x), m.constant(w), m.constant(p)
            d = m.nn.depthwise_conv2d(xt, wt, [1, 2, 2, 1], "SAME")
            sep = m.nn.separable_conv2d(xt, wt, pt, [1, 1, 1, 1], "VALID")
            grads = m.gradients(m.reduce_sum(d * d) + m.reduce_sum(sep * sep), [xt, wt, pt])
            with m.Session(graph=g) as s:
                return s.run([d, sep] + grads)
    for a, b in zip(run(gf), run(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


# ---- sampled losses -------------------------------------------------------------------------------

V, D, B = 12, 5, 4
W, BIAS, X = RS.randn(V, D) * 0.5, RS.randn(V) * 0.1, RS.randn(B, D)
LABELS = np.array([[1], [4], [4], [11]])


def _losses(m: Any, sampled: tuple, accidental: bool) -> list:
    g = m.Graph()
    with g.as_default():
        w, b, x = m.constant(W), m.constant(BIAS), m.constant(X)
        vals = (m.constant(sampled[0], dtype=m.int64), m.constant(sampled[1].astype(np.float64)),
                m.constant(sampled[2].astype(np.float64)))
        nce = m.nn.nce_loss(w, b, m.constant(LABELS, dtype=m.int64), x, len(sampled[0]), V, sampled_values=vals,
                            remove_accidental_hits=accidental)
        ssm = m.nn.sampled_softmax_loss(w, b, m.constant(LABELS, dtype=m.int64), x, len(sampled[0]), V,
                                        sampled_values=vals, remove_accidental_hits=accidental)
        grads = [m.convert_to_tensor(d) for d in m.gradients(m.reduce_sum(nce) + m.reduce_sum(ssm), [w, b, x])]
        with m.Session(graph=g) as s:
            return s.run([nce, ssm] + grads)


SAMPLED = (np.array([0, 4, 7, 9]), np.array([[0.2], [0.5], [0.5], [0.1]], np.float32),
           np.array([0.3, 0.5, 0.2, 0.25], np.float32))


@pytest.mark.parametrize("accidental", [False, True])
def test_sampled_losses_match_tf1_given_the_same_samples(accidental: bool) -> None:
    tf = tf1()
    for a, b in zip(_losses(gf, SAMPLED, accidental), _losses(tf, SAMPLED, accidental)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_sampled_softmax_over_every_class_is_the_full_softmax() -> None:
    every = (np.arange(V), np.ones((B, 1), np.float32), np.ones(V, np.float32))  # log q = 0
    got = _losses(gf, every, True)[1]
    logits = X @ W.T + BIAS
    full = -(logits[np.arange(B), LABELS[:, 0]] - np.log(np.exp(logits).sum(1)))
    np.testing.assert_allclose(got, full, rtol=1e-10)


def test_nce_loss_by_hand() -> None:
    got = _losses(gf, SAMPLED, False)[0]
    ids, tq, sq = SAMPLED
    tl = (X * W[LABELS[:, 0]]).sum(1) + BIAS[LABELS[:, 0]] - np.log(tq[:, 0].astype(np.float64))
    sl = X @ W[ids].T + BIAS[ids] - np.log(sq.astype(np.float64))

    def xent(z: np.ndarray, t: float) -> np.ndarray:
        return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(got, xent(tl, 1.0) + xent(sl, 0.0).sum(1), rtol=1e-10)


def test_candidate_samplers_follow_their_distributions() -> None:
    with gf.Graph().as_default(), gf.Session() as s:
        lab = gf.constant(LABELS, dtype=gf.int64)
        ids, tq, sq = gf.nn.log_uniform_candidate_sampler(lab, 1, 8, False, V)
        draws = np.concatenate([s.run(ids) for _ in range(600)])
        p = (np.log(np.arange(V) + 2.0) - np.log(np.arange(V) + 1.0)) / np.log(V + 1.0)
        assert stats.chisquare(np.bincount(draws, minlength=V), p * draws.size).pvalue > 1e-4
        np.testing.assert_allclose(s.run(tq)[:, 0], 8 * p[LABELS[:, 0]], rtol=1e-6)
        uids, _, usq = gf.nn.log_uniform_candidate_sampler(lab, 1, 6, True, V)
        for _ in range(50):
            v = s.run(uids)
            assert len(set(v.tolist())) == 6 and v.min() >= 0 and v.max() < V
        v, q6 = s.run([uids, usq])
        np.testing.assert_allclose(q6, -np.expm1(6 * np.log1p(-p[v])), rtol=1e-5)
        uni, _, q = gf.nn.uniform_candidate_sampler(lab, 1, 5, True, V)
        np.testing.assert_allclose(s.run(q), -np.expm1(5 * np.log1p(-np.full(5, 1.0 / V))), rtol=1e-6)
