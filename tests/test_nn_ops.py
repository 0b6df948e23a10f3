"""gf.nn functions (activations, softmax, cross-entropies, dropout, normalisation, embeddings,
norm clipping) and the CHECK primitive against numpy on every target, plus float64 gradient checks."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.nn import nn_ops as F
from graphflow.ops.check_ops import check_finite, check_in_range
from tests.harness import TARGETS, check_gradient, check_op, run

rs = np.random.RandomState(0)
X = (rs.standard_normal((2, 3, 4)) * 3).astype(np.float32)
X[0, 0, :2] = 0.0
LOGITS = rs.standard_normal((4, 5)).astype(np.float32)
LOGITS[1] = [1000.0, -1000.0, 999.0, 0.0, 1000.0]  # must neither overflow nor lose the finite rows
LOGITS[2, 3] = -1000.0
PROBS = rs.dirichlet(np.ones(5), size=4).astype(np.float32)
SPARSE = np.array([0, 2, 3, 4], np.int32)


def away_from(x: np.ndarray, kinks: list[float], gap: float = 1e-2) -> np.ndarray:
    """``x`` nudged away from the kinks, so central differences do not straddle one."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + 2 * gap
    return x


def np_softplus(x):
    return np.logaddexp(0, x)


def np_log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def np_sigmoid_xent(z, x):
    x = x.astype(np.float64)
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTS = [
    (F.relu, lambda x: np.maximum(x, 0)),
    (F.relu6, lambda x: np.clip(x, 0, 6)),
    (F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    (F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0)))),
    (F.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    (lambda x: F.leaky_relu(x, alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    (F.softplus, np_softplus),
    (F.softsign, lambda x: x / (1 + np.abs(x))),
]


# ---- activations -------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_activations(device):
    check_op(lambda x: [f(x) for f, _ in ACTS], lambda x: [w(x).astype(np.float32) for _, w in ACTS],
             [X], device)


def test_activation_gradients():
    x = away_from(X.astype(np.float64), [0.0, 6.0])
    check_gradient(lambda x: gf.stack([f(x) for f, _ in ACTS]), [x])


def test_gradients_at_kinks_follow_tf1():
    x = gf.placeholder(gf.float64, (3,))
    fns = [F.relu, F.relu6, F.leaky_relu, F.softplus, F.elu, F.softsign,
           lambda t: F.sigmoid_cross_entropy_with_logits(labels=gf.zeros_like(t), logits=t)]
    grads = [gf.gradients(f(x), [x])[0] for f in fns]
    got = run(grads, {x: [0.0, 6.0, -1e-300]})
    want = [[0, 1, 0], [0, 0, 0], [0.2, 1, 0.2], [0.5, 1 / (1 + np.exp(-6)), 0.5], [1, 1, 1],
            [1, 1 / 49, 1], [0.5, 1 / (1 + np.exp(-6)), 0.5]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_activation_nan_and_int_features():
    nan = np.array([np.nan, -np.inf, np.inf], np.float32)
    got = run([F.relu(gf.constant(nan)), F.relu6(gf.constant(nan)), F.softplus(gf.constant(nan))])
    np.testing.assert_array_equal(got[0], [np.nan, 0, np.inf])
    np.testing.assert_array_equal(got[1], [np.nan, 0, 6])
    np.testing.assert_array_equal(got[2], [np.nan, 0, np.inf])
    y = F.leaky_relu(gf.constant([-2, 3]))
    assert y.dtype == gf.float32
    np.testing.assert_allclose(run(y), [-0.4, 3.0])


# ---- softmax -----------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_softmax_large_logits(device):
    def want(x):
        return [np.exp(np_log_softmax(x)).astype(np.float32), np_log_softmax(x).astype(np.float32),
                np.exp(np_log_softmax(x, 0)).astype(np.float32), np_log_softmax(x, 0).astype(np.float32)]
    check_op(lambda x: [gf.nn.softmax(x), gf.nn.log_softmax(x), gf.nn.softmax(x, axis=0),
                        gf.nn.log_softmax(x, dim=0)], want, [LOGITS], device)


def test_softmax_gradients():
    x = LOGITS.astype(np.float64).copy()
    x[1] = [3.0, -2.0, 2.5, 0.0, 1.0]
    x[2, 3] = -4.0
    check_gradient(lambda x: gf.stack([gf.nn.softmax(x), gf.nn.log_softmax(x, axis=0)]), [x])


# ---- cross-entropies ---------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_cross_entropies_are_stable(device):
    z = (rs.uniform(size=LOGITS.shape) > 0.5).astype(np.float32)

    def fn(p, lg, s, z):
        return [gf.nn.softmax_cross_entropy_with_logits(labels=p, logits=lg),
                gf.nn.softmax_cross_entropy_with_logits_v2(p, lg),
                gf.nn.softmax_cross_entropy_with_logits_v2(p, lg, axis=0),
                gf.nn.sparse_softmax_cross_entropy_with_logits(labels=s, logits=lg),
                gf.nn.sparse_softmax_cross_entropy_with_logits(labels=gf.cast(s, gf.int64), logits=lg),
                gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=lg),
                gf.nn.weighted_cross_entropy_with_logits(labels=z, logits=lg, pos_weight=3.0)]

    def want(p, lg, s, z):
        lsm = np_log_softmax(lg)
        sparse = -lsm[np.arange(4), s]
        sig = np_sigmoid_xent(z, lg)
        lw = 1 + 2 * z
        weighted = (1 - z) * lg + lw * np_softplus(-lg.astype(np.float64))
        return [x.astype(np.float32) for x in
                [-(p * lsm).sum(-1), -(p * lsm).sum(-1), -(p * np_log_softmax(lg, 0)).sum(0), sparse, sparse,
                 sig, weighted]]
    # large-logit cross-entropies are differences of large numbers: 1e-6 relative of 1000 is 1e-3
    check_op(fn, want, [PROBS, LOGITS, SPARSE, z], device, tol=dict(rtol=1e-5, atol=2e-4))


def test_softmax_cross_entropy_gradient_is_softmax_minus_labels():
    lg = gf.constant(LOGITS)
    p = gf.constant(PROBS)
    for fn in (gf.nn.softmax_cross_entropy_with_logits, gf.nn.softmax_cross_entropy_with_logits_v2):
        (g,) = gf.gradients(fn(labels=p, logits=lg), [lg])
        want = np.exp(np_log_softmax(LOGITS)) - PROBS
        np.testing.assert_allclose(run(g), want, rtol=1e-5, atol=1e-6)
    hot = np.eye(5, dtype=np.float32)[SPARSE]
    (g,) = gf.gradients(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=SPARSE, logits=lg), [lg])
    np.testing.assert_allclose(run(g), np.exp(np_log_softmax(LOGITS)) - hot, rtol=1e-5, atol=1e-6)
    # v1 stops the gradient into labels; v2 lets it through (-log_softmax)
    assert gf.gradients(gf.nn.softmax_cross_entropy_with_logits(labels=p, logits=lg), [p])[0] is None
    (gl,) = gf.gradients(gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg), [p])
    np.testing.assert_allclose(run(gl), -np_log_softmax(LOGITS), rtol=1e-5)


def test_cross_entropy_gradients():
    lg = rs.standard_normal((3, 4)) * 2
    p = rs.dirichlet(np.ones(4), size=3)
    z = rs.uniform(size=(3, 4))
    labels = gf.constant(np.array([1, 0, 3], np.int64))
    check_gradient(lambda p, lg, z: gf.stack([
        gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg),
        gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg, axis=0)[:3],
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=lg),
        gf.reduce_sum(gf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=lg), 1),
        gf.reduce_sum(gf.nn.weighted_cross_entropy_with_logits(labels=z, logits=lg, pos_weight=2.5), 1)]),
        [p, lg, z])


def test_softmax_cross_entropy_is_two_primitives_with_second_derivatives():
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.core.registry import Op
    lg = gf.placeholder(gf.float64, (None, 5))
    p = gf.placeholder(gf.float64, (None, 5))
    loss = gf.reduce_mean(gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg))
    (g,) = gf.gradients(loss, [lg])
    ops = [n.op for n in run_passes(build([loss, g], [], [(lg, 2), (p, 2)])).nodes]
    assert Op.SOFTMAX_XENT in ops and Op.SOFTMAX_XENT_GRAD in ops and Op.REDUCE_MAX not in ops
    # the gradient's own gradient (a Hessian-vector product) in all three of its inputs
    w = rs.standard_normal((3, 5))
    check_gradient(lambda p, lg, gy: gf.gradients(gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg),
                                                  [lg], grad_ys=gy)[0] * w,
                   [rs.dirichlet(np.ones(5), size=3), rs.standard_normal((3, 5)) * 2, rs.standard_normal(3)])
    # rank 1 logits: one row, a scalar loss
    check_gradient(lambda p, lg: gf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=lg),
                   [rs.dirichlet(np.ones(4)), rs.standard_normal(4)])


@pytest.mark.parametrize("device", TARGETS)
def test_sparse_cross_entropy_out_of_range_label_raises(device):
    lg = gf.placeholder(gf.float32, (None, None))  # class count known only at run time
    lb = gf.placeholder(gf.int32, (None,))
    y = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=lb, logits=lg, name="my_xent")
    with gf.Session(device=device) as sess:
        np.testing.assert_allclose(sess.run(y, {lg: LOGITS, lb: SPARSE}), -np_log_softmax(LOGITS)[np.arange(4), SPARSE],
                                   rtol=1e-5, atol=2e-4)
        for bad in ([0, 1, 2, 5], [-1, 0, 0, 0]):
            with pytest.raises(gf.errors.InvalidArgumentError, match="my_xent"):
                sess.run(y, {lg: LOGITS, lb: bad})
    static = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=lb, logits=gf.constant(LOGITS), name="static_xent")
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="static_xent.*label"):
            sess.run(static, {lb: [0, 0, 0, 5]})


def test_cross_entropy_shape_errors():
    with pytest.raises(ValueError, match="rank of labels"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=gf.zeros((4, 5), gf.int32), logits=gf.zeros((4, 5)))
    with pytest.raises(ValueError, match="shape"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=gf.zeros((3,), gf.int32), logits=gf.zeros((4, 5)))
    with pytest.raises(TypeError, match="int32 or int64"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=gf.zeros((4,)), logits=gf.zeros((4, 5)))
    with pytest.raises(ValueError, match="must be equal"):
        gf.nn.softmax_cross_entropy_with_logits_v2(labels=gf.zeros((4, 4)), logits=gf.zeros((4, 5)))
    with pytest.raises(ValueError, match="must be equal"):
        gf.nn.sigmoid_cross_entropy_with_logits(labels=gf.zeros((4,)), logits=gf.zeros((4, 5)))


# ---- the CHECK primitive -----------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_check_primitive(device):
    i = gf.placeholder(gf.int64, (None,))
    f = gf.placeholder(gf.float32, (2,))
    hi = gf.placeholder(gf.int32, ())
    ci = check_in_range(i, 1, 4, "class id", name="ids_check")
    cd = check_in_range(i, 0, gf.cast(hi, gf.int64), "class id", name="dyn_check")
    cf = check_finite(f * 2.0, "activations", name="finite_check")
    with gf.Session(device=device) as sess:
        a, b, c = sess.run([ci, cd, cf], {i: [1, 3], f: [1.0, -2.0], hi: 4})
        np.testing.assert_array_equal(a, [1, 3])
        np.testing.assert_array_equal(b, [1, 3])
        np.testing.assert_array_equal(c, [2.0, -4.0])
        with pytest.raises(gf.errors.InvalidArgumentError, match="ids_check"):
            sess.run(ci, {i: [1, 4]})
        with pytest.raises(gf.errors.InvalidArgumentError, match="dyn_check"):
            sess.run(cd, {i: [1, 3], hi: 3})
        for bad in (np.nan, np.inf):
            with pytest.raises(gf.errors.InvalidArgumentError, match="(?s)activations.*finite_check"):
                sess.run(cf, {f: [1.0, bad]})
    with pytest.raises(TypeError):
        check_in_range(gf.zeros((2,)), 0, 1, "x")
    with pytest.raises(TypeError):
        check_finite(gf.zeros((2,), gf.int32), "x")


def test_check_gradient_passes_through():
    check_gradient(lambda x: check_finite(x * x, "square"), [rs.standard_normal((3,))])


# ---- bias_add ----------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_bias_add(device):
    v = rs.standard_normal((2, 3, 4, 5)).astype(np.float32)
    b5, b3 = rs.standard_normal(5).astype(np.float32), rs.standard_normal(3).astype(np.float32)
    check_op(lambda v, b5, b3: [gf.nn.bias_add(v, b5), gf.nn.bias_add(v, b3, data_format="NCHW"),
                                gf.nn.xw_plus_b(v[0, 0], gf.constant(np.eye(5, dtype=np.float32)), b5)],
             lambda v, b5, b3: [v + b5, v + b3[:, None, None], v[0, 0] + b5], [v, b5, b3], device)


def test_bias_add_gradient_and_errors():
    check_gradient(lambda v, b: gf.nn.bias_add(v, b, data_format="NCHW"),
                   [rs.standard_normal((2, 3, 2)), rs.standard_normal(3)])
    with pytest.raises(ValueError, match="4 elements"):
        gf.nn.bias_add(gf.zeros((2, 3)), gf.zeros((4,)))
    with pytest.raises(ValueError, match="1-D bias"):
        gf.nn.bias_add(gf.zeros((2, 3)), gf.zeros((1, 3)))
    with pytest.raises(ValueError, match="data_format"):
        gf.nn.bias_add(gf.zeros((2, 3)), gf.zeros((3,)), data_format="HWCN")


# ---- normalisation -----------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_norms_and_moments(device):
    x = rs.standard_normal((4, 3, 2)).astype(np.float32)
    sc = rs.uniform(0.5, 2, 2).astype(np.float32)
    of = rs.standard_normal(2).astype(np.float32)
    x4 = rs.standard_normal((3, 2, 2, 2)).astype(np.float32)

    def fn(x, sc, of, x4):
        m, v = gf.nn.moments(x, axes=[0, 1])
        mk, vk = gf.nn.moments(x, axes=[0], keepdims=True)
        y, bm, bv = gf.nn.fused_batch_norm(x4, sc, of, epsilon=1e-3)
        yn, _, _ = gf.nn.fused_batch_norm(x4, sc, of, mean=of, variance=sc, is_training=False,
                                          data_format="NCHW")
        return [gf.nn.l2_loss(x), m, v, mk, vk, gf.nn.batch_normalization(x, m, v, of, sc, 1e-3),
                gf.nn.batch_normalization(x, m, v, None, None, 1e-3), gf.nn.l2_normalize(x, axis=-1),
                gf.nn.l2_normalize(x), y, bm, bv, yn]

    def want(x, sc, of, x4):
        m, v = x.mean((0, 1)), x.var((0, 1))
        bm, bv = x4.mean((0, 1, 2)), x4.var((0, 1, 2))
        sh = (1, 2, 1, 1)
        return [np.float32((x.astype(np.float64) ** 2).sum() / 2), m, v, x.mean(0, keepdims=True),
                x.var(0, keepdims=True), (x - m) / np.sqrt(v + 1e-3) * sc + of, (x - m) / np.sqrt(v + 1e-3),
                x / np.sqrt((x ** 2).sum(-1, keepdims=True)), x / np.sqrt((x ** 2).sum()),
                (x4 - bm) / np.sqrt(bv + 1e-3) * sc + of, bm, bv * 12 / 11,
                (x4 - of.reshape(sh)) / np.sqrt(sc.reshape(sh) + 1e-3) * sc.reshape(sh) + of.reshape(sh)]
    check_op(fn, want, [x, sc, of, x4], device, tol=dict(rtol=2e-5, atol=2e-6))  # sums of 24 terms


def test_norm_gradients():
    x = rs.standard_normal((3, 2))
    check_gradient(lambda x, s, o: gf.concat([
        gf.reshape(gf.nn.l2_loss(x), [1]), gf.concat(gf.nn.moments(x, [0]), 0),
        gf.reshape(gf.nn.batch_normalization(x, *gf.nn.moments(x, [0]), o, s, 1e-3), [-1]),
        gf.reshape(gf.nn.l2_normalize(x, axis=0), [-1])], 0),
        [x, rs.uniform(0.5, 2, 2), rs.standard_normal(2)])


# ---- embeddings --------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_embedding_lookup(device):
    table = rs.standard_normal((7, 3)).astype(np.float32)
    ids = np.array([[0, 6], [3, 3]], np.int32)
    shards_mod = [table[0::3], table[1::3], table[2::3]]  # id i lives in shard i % 3, row i // 3
    shards_div = [table[:3], table[3:5], table[5:]]

    def fn(t, i):
        return [gf.nn.embedding_lookup(t, i), gf.nn.embedding_lookup(shards_mod, i),
                gf.nn.embedding_lookup(shards_div, i, partition_strategy="div"),
                gf.nn.embedding_lookup([t], i, max_norm=1.0)]

    def want(t, i):
        rows = t[i]
        norms = np.sqrt((rows ** 2).sum(-1, keepdims=True))
        return [rows, rows, rows, rows / np.maximum(norms, 1.0)]
    check_op(fn, want, [table, ids], device)


def test_embedding_gradient_scatter_adds():
    ids = gf.constant(np.array([[0, 2], [2, 2]], np.int32))
    check_gradient(lambda t: gf.nn.embedding_lookup(t, ids), [rs.standard_normal((4, 3))])
    t = gf.placeholder(gf.float32, (4, 3))
    (g,) = gf.gradients(gf.reduce_sum(gf.nn.embedding_lookup(t, ids)), [t])
    np.testing.assert_array_equal(run(g, {t: np.zeros((4, 3))}), [[1] * 3, [0] * 3, [3] * 3, [0] * 3])
    with gf.Session() as sess:
        with pytest.raises(gf.errors.InvalidArgumentError):
            sess.run(gf.nn.embedding_lookup(t, [4]), {t: np.zeros((4, 3))})


# ---- dropout -----------------------------------------------------------------------------------

def test_dropout_statistics_and_feeds():
    x = gf.ones((200, 500), dtype=gf.float64)
    kp = gf.placeholder(gf.float64, ())
    fixed = gf.nn.dropout(x, keep_prob=0.3, seed=5)
    fed = gf.nn.dropout(x, keep_prob=kp)
    by_rate = gf.nn.dropout(x, rate=0.75)
    rows = gf.nn.dropout(x, keep_prob=0.5, noise_shape=[200, 1])
    with gf.Session() as sess:
        a, b, c, d = sess.run([fixed, fed, by_rate, rows], {kp: 0.5})
        a2 = sess.run(fixed)
        one = sess.run(fed, {kp: 1.0})
    for y, keep in ((a, 0.3), (b, 0.5), (c, 0.25)):
        frac = np.mean(y != 0)
        assert abs(frac - keep) < 0.01, (frac, keep)
        np.testing.assert_allclose(np.unique(y[y != 0]), [1 / keep])
        assert abs(y.mean() - 1.0) < 0.04
    assert not np.array_equal(a, a2), "dropout must draw new numbers on every run"
    np.testing.assert_array_equal(one, np.ones((200, 500)))
    assert all(len(np.unique(r)) == 1 for r in d), "noise_shape [200, 1] drops whole rows"
    assert gf.nn.dropout(x, keep_prob=1) is x


@pytest.mark.parametrize("device", TARGETS)
def test_dropout_seeds_reproducible(device):
    def draw(op_seed):
        with gf.Graph().as_default():
            gf.set_random_seed(7)
            x = gf.placeholder(gf.float32, (None, 50))  # run-time noise shape
            y = gf.nn.dropout(x, keep_prob=0.5, seed=op_seed)
            return run(y, {x: np.ones((4, 50), np.float32)}, device)
    first = draw(None)
    np.testing.assert_array_equal(first, draw(None))
    assert not np.array_equal(first, draw(11))
    np.testing.assert_array_equal(draw(11), draw(11))


def test_dropout_gradient_and_errors():
    x = gf.placeholder(gf.float64, (50,))
    y = gf.nn.dropout(x, keep_prob=0.5, seed=3)
    (g,) = gf.gradients(gf.reduce_sum(y * 1.0), [x])
    with gf.Session() as sess:
        yv, gv = sess.run([y, g], {x: np.ones(50)})
    np.testing.assert_array_equal(gv, yv)  # d(x * mask / keep) / dx = mask / keep, and x = 1
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="keep_prob"):
            gf.nn.dropout(x, keep_prob=bad)
    with pytest.raises(ValueError):
        gf.nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="must be a scalar"):
        gf.nn.dropout(x, keep_prob=gf.placeholder(gf.float64, (2,)))


def test_dropout_with_a_shapeless_keep_prob_keeps_its_input_shape_through_minimize():
    """keep_prob = tf.placeholder(tf.float32), as TF1 tutorials write it: the result keeps x's
    static shape (TF1 sets it too), so a loss reducing it can be minimized."""
    x = gf.placeholder(gf.float64, (None, 6))
    keep = gf.placeholder(gf.float64)
    w = gf.Variable(np.linspace(-1, 1, 18).reshape(6, 3))
    h = gf.nn.dropout(gf.matmul(x, w), keep)
    assert h.shape.as_list() == [None, 3]
    loss = gf.reduce_mean(gf.square(h))
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    xv = np.random.RandomState(0).randn(4, 6)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        full = sess.run(loss, {x: xv, keep: 1.0})  # keep_prob 1 keeps everything
        np.testing.assert_allclose(full, np.mean((xv @ np.linspace(-1, 1, 18).reshape(6, 3)) ** 2), rtol=1e-12)
        sess.run(train, {x: xv, keep: 1.0})
        assert sess.run(loss, {x: xv, keep: 1.0}) < full


# ---- clipping and the rest ---------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_clipping(device):
    a = rs.standard_normal((3, 2)).astype(np.float32)
    b = rs.standard_normal(4).astype(np.float32)

    def fn(a, b):
        clipped, norm = F.clip_by_global_norm([a, None, b], 1.5)
        loose, _ = F.clip_by_global_norm([a], 100.0)
        return [*clipped[::2], norm, loose[0], F.global_norm([a, b]), F.clip_by_norm(a, 0.5),
                F.clip_by_norm(a, 0.5, axes=[1]), F.clip_by_norm(a * 0.0, 0.5)]

    def want(a, b):
        n = np.sqrt((a ** 2).sum() + (b ** 2).sum())
        rown = np.sqrt((a ** 2).sum(1, keepdims=True))
        return [a * 1.5 / n, b * 1.5 / n, n, a, n, a * 0.5 / np.sqrt((a ** 2).sum()),
                a * 0.5 / np.maximum(rown, 0.5), a * 0]
    check_op(fn, want, [a, b], device)


def test_clipping_nan_norm_and_gradients():
    clipped, norm = F.clip_by_global_norm([gf.constant([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(run(clipped[0])))
    with pytest.raises(TypeError):
        F.clip_by_global_norm(gf.zeros((2,)), 1.0)
    t = gf.placeholder(gf.float64, (2,))
    (g,) = gf.gradients(F.clip_by_norm(t, 1.0), [t])
    assert np.all(np.isfinite(run(g, {t: [0.0, 0.0]})))
    check_gradient(lambda a: F.clip_by_norm(a, 0.5, axes=[1]), [rs.standard_normal((2, 3))])


@pytest.mark.parametrize("device", TARGETS)
def test_in_top_k_and_log_poisson(device):
    p = np.array([[0.1, 0.5, 0.5, 0.2], [1.0, 2.0, 3.0, 4.0], [np.nan, 1.0, 0.0, 0.0]], np.float32)
    t = np.array([2, 1, 0], np.int32)
    tg = np.array([0.0, 0.5, 3.0, 7.0], np.float32)
    li = rs.standard_normal(4).astype(np.float32)

    def fn(p, t, tg, li):
        return [gf.nn.in_top_k(p, t, 1), gf.nn.in_top_k(p, t, 3), gf.nn.log_poisson_loss(tg, li),
                gf.nn.log_poisson_loss(tg, li, compute_full_loss=True)]

    def want(p, t, tg, li):
        base = np.exp(li) - li * tg
        with np.errstate(all="ignore"):
            stirling = tg * np.log(tg) - tg + 0.5 * np.log(2 * np.pi * tg)
        return [np.array([True, False, False]), np.array([True, True, False]), base,
                base + np.where((tg >= 0) & (tg <= 1), 0, stirling)]
    check_op(fn, want, [p, t, tg, li], device)


def test_result_names_follow_tf1():
    x = gf.zeros((2, 3))
    assert gf.nn.relu(x).name == "Relu:0"
    assert gf.nn.softmax(x, name="probs").name == "probs:0"
    assert gf.nn.softmax(x, name="probs").name == "probs_1:0"
    y = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1], logits=x, name="xent")
    assert y.name == "xent:0"
    assert gf.get_default_graph().get_operation_by_name("xent/check_labels") is not None
