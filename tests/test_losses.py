"""gf.losses against numpy (TF1 weights and reductions) on every target, float64 gradient checks,
and the LOSSES collection."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.losses import Reduction
from tests.harness import TARGETS, check_gradient, check_op, run

rs = np.random.RandomState(1)
LABELS = rs.standard_normal((4, 3)).astype(np.float32)
PRED = rs.standard_normal((4, 3)).astype(np.float32)
W_EX = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)  # per example, one zero
LOGITS = rs.standard_normal((4, 3)).astype(np.float32)
LOGITS[0] = [1000.0, -1000.0, 0.0]
SPARSE = np.array([0, 2, 1, 1], np.int32)
ONEHOT = np.eye(3, dtype=np.float32)[SPARSE]


def reduce(losses, w, reduction):
    """TF1's compute_weighted_loss in numpy."""
    w = np.broadcast_to(np.asarray(w, np.float64), losses.shape)
    weighted = losses * w
    if reduction == Reduction.NONE:
        return weighted.astype(np.float32)
    total = weighted.sum()
    den = {Reduction.SUM: 1.0, Reduction.MEAN: w.sum(), Reduction.SUM_OVER_BATCH_SIZE: losses.size,
           Reduction.SUM_BY_NONZERO_WEIGHTS: np.count_nonzero(w)}[reduction]
    return np.float32(total / den if den else 0.0)


def np_log_softmax(x):
    x = x.astype(np.float64)
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


@pytest.mark.parametrize("device", TARGETS)
def test_regression_losses(device):
    def fn(lb, p, w):
        return [gf.losses.mean_squared_error(lb, p), gf.losses.mean_squared_error(lb, p, weights=w),
                gf.losses.absolute_difference(lb, p, weights=w),
                gf.losses.huber_loss(lb, p, weights=w, delta=0.7),
                gf.losses.mean_squared_error(lb, p, weights=w, reduction=Reduction.NONE),
                gf.losses.absolute_difference(lb, p, weights=w, reduction=Reduction.SUM),
                gf.losses.absolute_difference(lb, p, weights=w, reduction=Reduction.MEAN),
                gf.losses.absolute_difference(lb, p, weights=w, reduction=Reduction.SUM_OVER_BATCH_SIZE),
                gf.losses.mean_squared_error(lb, p, weights=0.0)]

    def want(lb, p, w):
        e = p.astype(np.float64) - lb
        a = np.abs(e)
        q = np.minimum(a, 0.7)
        hub = 0.5 * q ** 2 + 0.7 * (a - q)
        return [reduce(e ** 2, 1.0, Reduction.SUM_BY_NONZERO_WEIGHTS),
                reduce(e ** 2, w, Reduction.SUM_BY_NONZERO_WEIGHTS),
                reduce(a, w, Reduction.SUM_BY_NONZERO_WEIGHTS), reduce(hub, w, Reduction.SUM_BY_NONZERO_WEIGHTS),
                reduce(e ** 2, w, Reduction.NONE), reduce(a, w, Reduction.SUM), reduce(a, w, Reduction.MEAN),
                reduce(a, w, Reduction.SUM_OVER_BATCH_SIZE), np.float32(0.0)]
    check_op(fn, want, [LABELS, PRED, W_EX], device)


@pytest.mark.parametrize("device", TARGETS)
def test_classification_losses(device):
    probs = rs.uniform(0.01, 0.99, (4, 3)).astype(np.float32)
    z = (rs.uniform(size=(4, 3)) > 0.5).astype(np.float32)
    w = W_EX[:, 0]

    def fn(oh, lg, s, probs, z, w):
        return [gf.losses.softmax_cross_entropy(oh, lg), gf.losses.softmax_cross_entropy(oh, lg, weights=w),
                gf.losses.softmax_cross_entropy(oh, lg, label_smoothing=0.1),
                gf.losses.sparse_softmax_cross_entropy(s, lg, weights=w),
                gf.losses.sparse_softmax_cross_entropy(gf.expand_dims(s, -1), lg),
                gf.losses.log_loss(z, probs), gf.losses.log_loss(z, probs, weights=gf.expand_dims(w, -1)),
                gf.losses.sigmoid_cross_entropy(z, lg), gf.losses.sigmoid_cross_entropy(z, lg, label_smoothing=0.2),
                gf.losses.hinge_loss(z, lg)]

    def want(oh, lg, s, probs, z, w):
        lsm = np_log_softmax(lg)
        ce = -(oh * lsm).sum(-1)
        smooth = oh * 0.9 + 0.1 / 3
        x = lg.astype(np.float64)

        def sig(zz):
            return np.maximum(x, 0) - x * zz + np.log1p(np.exp(-np.abs(x)))
        ll = -z * np.log(probs + 1e-7) - (1 - z) * np.log(1 - probs + 1e-7)
        R = Reduction.SUM_BY_NONZERO_WEIGHTS
        return [reduce(ce, 1.0, R), reduce(ce, w, R), reduce(-(smooth * lsm).sum(-1), 1.0, R), reduce(ce, w, R),
                reduce(ce, 1.0, R), reduce(ll, 1.0, R), reduce(ll, w[:, None], R), reduce(sig(z), 1.0, R),
                reduce(sig(z * 0.8 + 0.1), 1.0, R), reduce(np.maximum(0, 1 - (2 * z - 1) * x), 1.0, R)]
    # the 1000-logit row makes losses ~1000: float32 spacing there is 6e-5
    check_op(fn, want, [ONEHOT, LOGITS, SPARSE, probs, z, w], device, tol=dict(rtol=1e-5, atol=1e-4))


def test_loss_gradients():
    lb = rs.standard_normal((3, 2))
    p = rs.standard_normal((3, 2))
    w = np.array([[1.0], [0.0], [2.0]])
    probs = rs.uniform(0.1, 0.9, (3, 2))
    z = rs.uniform(size=(3, 2))
    oh = np.eye(2)[[0, 1, 1]]
    s = gf.constant(np.array([1, 0, 1], np.int32))
    check_gradient(lambda lb, p, probs, z: gf.stack([
        gf.losses.mean_squared_error(lb, p, weights=w), gf.losses.absolute_difference(lb, p),
        gf.losses.huber_loss(lb, p, delta=0.5), gf.losses.log_loss(z, probs),
        gf.losses.sigmoid_cross_entropy(z, p), gf.losses.softmax_cross_entropy(oh, p, label_smoothing=0.1),
        gf.losses.sparse_softmax_cross_entropy(s, p, weights=w[:, 0])]), [lb, p, probs, z])


def test_collection_total_loss_and_errors():
    a = gf.losses.mean_squared_error(gf.zeros((2,)), gf.ones((2,)))
    b = gf.losses.absolute_difference(gf.zeros((2,)), gf.ones((2,)) * 3.0, loss_collection=None)
    c = gf.losses.softmax_cross_entropy(gf.constant(ONEHOT), gf.constant(LOGITS), scope="head")
    assert gf.losses.get_losses() == [a, c]
    assert gf.losses.get_losses(scope="head") == [c]
    assert a.name.startswith("mean_squared_error/") and c.name.startswith("head/")
    gf.add_to_collection(gf.GraphKeys.REGULARIZATION_LOSSES, gf.constant(0.25))
    total, no_reg = gf.losses.get_total_loss(), gf.losses.get_total_loss(add_regularization_losses=False)
    av, bv, cv, tv, nv = run([a, b, c, total, no_reg])
    assert bv == 3.0
    np.testing.assert_allclose([tv, nv], [av + cv + 0.25, av + cv], rtol=1e-6)
    gf.losses.add_loss(b)
    assert gf.losses.get_losses()[-1] is b
    with pytest.raises(ValueError, match="reduction"):
        gf.losses.mean_squared_error(gf.zeros((2,)), gf.ones((2,)), reduction="bogus")
    with pytest.raises(ValueError, match="cannot be broadcast"):
        gf.losses.mean_squared_error(gf.zeros((2, 3)), gf.ones((2, 3)), weights=gf.ones((2,)))
    with pytest.raises(ValueError, match="same shape"):
        gf.losses.mean_squared_error(gf.zeros((2, 3)), gf.ones((3, 2)))
    assert gf.losses.compute_weighted_loss(gf.ones((2, 2)), weights=[[1.0], [0.0]]) in gf.losses.get_losses()


def test_float64_losses_keep_their_dtype():
    y = gf.losses.mean_squared_error(np.zeros(3), gf.constant(np.ones(3)), weights=np.array([1.0, 0.0, 1.0]))
    assert y.dtype == gf.float64
    assert run(y) == 1.0
    h = gf.losses.log_loss(gf.constant([1.0], gf.float16), gf.constant([0.5], gf.float16))
    assert h.dtype == gf.float16
    np.testing.assert_allclose(run(h), np.log(2), rtol=1e-3)
