"""graphflow beside the real peers: the same TF1-API training code run by graphflow and by
TensorFlow's ``tensorflow.compat.v1`` graph mode (float64, same initial values), and ops against
PyTorch. Each part skips, saying why, where its peer is not installed (CI installs both)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need, tf1


def _train(tf: Any, build: Callable[[Any], tuple[Any, Any, dict, list]], steps: int) -> tuple[list, list]:
    """Losses of ``steps`` training runs and the final variable values, in a fresh graph of ``tf``."""
    g = tf.Graph()
    with g.as_default():
        loss, train, feed, variables = build(tf)
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        losses = [sess.run([loss, train], feed)[0] for _ in range(steps)]
        return losses, sess.run(variables)


# TF1's optimizers turn their hyperparameters into float32 tensors and cast those to a float64
# variable's dtype (0.01 becomes 0.009999999776...), and keep Adam's beta powers in float32
# variables; graphflow keeps them in the variable's dtype (docs/differences.md). Values whose
# first powers a float32 holds exactly make the comparison one of algorithms.
LR, BETA1, BETA2, EPS = 2.0 ** -6, 0.875, 0.75, 2.0 ** -27


def _agree(build: Callable[[Any], tuple[Any, Any, dict, list]], steps: int = 4, rtol: float = 1e-9) -> None:
    ours, theirs = _train(gf, build, steps), _train(tf1(), build, steps)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=1e-12)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def test_tutorial_mlp_with_sgd_matches_tf1() -> None:
    rng = np.random.RandomState(0)
    xv, yv, w1v, w2v = rng.randn(8, 12), rng.randn(8, 3), rng.randn(12, 6) * 0.3, rng.randn(6, 3) * 0.3

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x = tf.placeholder(tf.float64, (None, 12))
        y = tf.placeholder(tf.float64, (None, 3))
        w1, w2 = tf.Variable(w1v), tf.Variable(w2v)
        loss = tf.reduce_sum((tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2) - y) ** 2)
        g1, g2 = tf.gradients(loss, [w1, w2])
        train = [w1.assign(w1 - 1e-3 * g1), w2.assign(w2 - 1e-3 * g2)]
        return loss, train, {x: xv, y: yv}, [w1, w2]
    _agree(build)


def test_cnn_with_adam_matches_tf1() -> None:
    """conv SAME + bias + relu + max pool twice, a dense layer, sparse softmax cross-entropy, Adam."""
    rng = np.random.RandomState(1)
    xv, yv = rng.rand(4, 8, 8, 1), rng.randint(0, 5, 4).astype(np.int64)
    shapes = [(3, 3, 1, 4), (4,), (3, 3, 4, 6), (6,), (2 * 2 * 6, 5), (5,)]
    init = [rng.randn(*s) * 0.3 for s in shapes]

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x = tf.placeholder(tf.float64, (None, 8, 8, 1))
        y = tf.placeholder(tf.int64, (None,))
        w1, b1, w2, b2, w3, b3 = (tf.Variable(v) for v in init)
        pool = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        h = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1)), **pool)
        h = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, w2, [1, 1, 1, 1], "SAME"), b2)), **pool)
        logits = tf.matmul(tf.reshape(h, [-1, 24]), w3) + b3
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(LR, BETA1, BETA2, EPS).minimize(loss)
        return loss, train, {x: xv, y: yv}, [w1, b1, w2, b2, w3, b3]
    _agree(build)


def test_unrolled_lstm_with_adam_matches_tf1() -> None:
    rng = np.random.RandomState(2)
    steps, batch, d, hidden, classes = 3, 4, 5, 6, 3
    xv = rng.randn(batch, steps, d)
    yv = np.eye(classes)[rng.randint(0, classes, batch)]
    wv, wov = rng.randn(d + hidden, 4 * hidden) * 0.3, rng.randn(hidden, classes) * 0.3

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x = tf.placeholder(tf.float64, (None, steps, d))
        y = tf.placeholder(tf.float64, (None, classes))
        w, b = tf.Variable(wv), tf.Variable(np.zeros(4 * hidden))
        wo = tf.Variable(wov)
        h = c = tf.zeros((batch, hidden), tf.float64)
        for t in range(steps):
            i, j, f, o = tf.split(tf.matmul(tf.concat([x[:, t, :], h], 1), w) + b, 4, axis=1)
            c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
            h = tf.tanh(c) * tf.sigmoid(o)
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=tf.matmul(h, wo)))
        return loss, tf.train.AdamOptimizer(LR, BETA1, BETA2, EPS).minimize(loss), {x: xv, y: yv}, [w, b, wo]
    _agree(build)


def test_autoencoder_with_rmsprop_matches_tf1() -> None:
    rng = np.random.RandomState(3)
    xv = rng.rand(6, 10)
    ws = [rng.randn(10, 4) * 0.3, rng.randn(4, 10) * 0.3]

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x = tf.placeholder(tf.float64, (None, 10))
        variables, h = [], x
        for w in ws:
            v, bias = tf.Variable(w), tf.Variable(np.zeros(w.shape[1]))
            variables += [v, bias]
            h = tf.sigmoid(tf.matmul(h, v) + bias)
        loss = tf.reduce_mean(tf.pow(x - h, 2.0))
        return loss, tf.train.RMSPropOptimizer(LR, decay=BETA1, epsilon=EPS).minimize(loss), {x: xv}, variables
    _agree(build)


def _torch() -> Any:
    return need("torch")


def test_conv_and_pool_forward_and_gradients_match_pytorch() -> None:
    torch = _torch()
    rng = np.random.RandomState(4)
    xv, fv = rng.randn(2, 7, 9, 3), rng.randn(3, 3, 3, 5)
    x, f = gf.placeholder(gf.float64, xv.shape), gf.Variable(fv)
    y = gf.nn.max_pool(gf.nn.conv2d(x, f, [1, 2, 1, 1], "SAME"), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    gy = rng.randn(*y.shape.as_list())
    gx, gf_ = gf.gradients(y, [x, f], grad_ys=gy)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        yv, gxv, gfv = sess.run([y, gx, gf_], {x: xv})
    tx = torch.tensor(xv.transpose(0, 3, 1, 2), requires_grad=True)
    tf_ = torch.tensor(fv.transpose(3, 2, 0, 1), requires_grad=True)
    # TF1's SAME for a 3-wide window, stride 2 over 7 rows: 1 row of padding before, 1 after
    ty = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(tx, tf_, stride=(2, 1), padding=1), 2)
    ty.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(yv, ty.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10)
    np.testing.assert_allclose(gxv, tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gfv, tf_.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)


def test_softmax_cross_entropy_and_its_gradient_match_pytorch() -> None:
    torch = _torch()
    rng = np.random.RandomState(5)
    logits_v, labels_v = rng.randn(6, 4) * 3, rng.randint(0, 4, 6)
    logits = gf.placeholder(gf.float64, (None, 4))
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels_v, logits=logits))
    (g,) = gf.gradients(loss, [logits])
    with gf.Session() as sess:
        lv, gv = sess.run([loss, g], {logits: logits_v})
    t = torch.tensor(logits_v, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(labels_v))
    tl.backward()
    np.testing.assert_allclose(lv, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(gv, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_linear_regression_with_shapeless_placeholders_matches_tf1() -> None:
    """The TF1 tutorial's X = tf.placeholder("float"), fed one sample at a time, then the whole set."""
    xs, ys = np.array([3.3, 4.4, 5.5, 6.71, 6.93, 4.168]), np.array([1.7, 2.76, 2.09, 3.19, 1.694, 1.573])

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x, y = tf.placeholder("float64"), tf.placeholder("float64")
        w, b = tf.Variable(np.float64(0.3)), tf.Variable(np.float64(0.1))
        cost = tf.reduce_sum(tf.pow(tf.add(tf.multiply(x, w), b) - y, 2)) / (2 * len(xs))
        return cost, tf.train.GradientDescentOptimizer(0.0078125).minimize(cost), {x: xs, y: ys}, [w, b]
    _agree(build, steps=6)


@pytest.mark.parametrize("name,domain", [("floor", 2.0), ("ceil", 2.0), ("round", 2.0), ("rint", 2.0), ("tan", 0.9),
                                         ("asin", 0.9), ("acos", 0.9), ("atan", 2.0), ("sinh", 2.0), ("cosh", 2.0),
                                         ("asinh", 2.0), ("atanh", 0.9), ("sin", 2.0), ("square", 2.0)])
def test_elementwise_math_and_its_gradient_match_tf1(name: str, domain: float) -> None:
    """Values (ties of round included: half to even) and gradients (None where TF1 has none)."""
    tf = tf1()
    xv = np.concatenate([np.random.RandomState(6).uniform(-domain, domain, 9), [0.5, 1.5, -2.5] if domain > 1 else []])
    out = {}
    for m in (gf, tf):
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = getattr(m, name)(x)
            (dx,) = m.gradients(m.reduce_sum(y * y), [x])
            with m.Session(graph=g) as sess:
                out[m is gf] = sess.run([y] + ([dx] if dx is not None else []))
    assert len(out[True]) == len(out[False])  # a gradient on both sides, or on neither
    for a, b in zip(out[True], out[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    xacosh = xv * 0 + np.abs(xv) + 1.25  # acosh needs x > 1
    with tf.Graph().as_default():
        ta = tf.Session().run(tf.acosh(tf.constant(xacosh)))
    np.testing.assert_allclose(gf.Session().run(gf.acosh(gf.constant(xacosh))), ta, rtol=1e-12)


def test_cumsum_eye_diag_trace_and_their_gradients_match_tf1() -> None:
    tf = tf1()
    rng = np.random.RandomState(7)
    xv, mv, vv = rng.randn(3, 4), rng.randn(2, 3, 3), rng.randn(3)
    out = {}
    for m in (gf, tf):
        g = m.Graph()
        with g.as_default():
            x, mat, vec = m.constant(xv), m.constant(mv), m.constant(vv)
            diag_part = m.diag_part if m is gf else m.linalg.diag_part
            trace = m.trace if m is gf else m.linalg.trace
            ys = [m.cumsum(x, axis=1), m.cumsum(x, axis=0, exclusive=True, reverse=True), m.eye(2, 3, dtype=m.float64),
                  diag_part(mat), trace(mat), m.diag(vec), m.matrix_transpose(mat)]
            loss = m.add_n([m.reduce_sum(y * y) for y in ys if y.shape.rank])
            grads = m.gradients(loss, [x, mat, vec])
            with m.Session(graph=g) as sess:
                out[m is gf] = sess.run(ys + grads)
    for a, b in zip(out[True], out[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_top_k_in_top_k_and_the_values_gradient_match_tf1() -> None:
    tf = tf1()
    xv = np.random.RandomState(8).randn(4, 6)
    xv[0, 1] = xv[0, 4]  # a tie: the lower index first
    out = {}
    for m in (gf, tf):
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            v, i = m.nn.top_k(x, 3)
            hit = m.nn.in_top_k(m.cast(x, m.float32), m.constant([1, 4, 0, 5]), 2)
            (dx,) = m.gradients(m.reduce_sum(v * v), [x])
            with m.Session(graph=g) as sess:
                out[m is gf] = sess.run([v, i, hit, dx])
    for a, b in zip(out[True], out[False]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# every TF1 optimizer graphflow has, on one float64 model, with hyperparameters a float32 holds
# exactly (see LR above); AdagradDA reads the global step that minimize increments
OPTIMIZERS = {
    "Adadelta": lambda tf, step: tf.train.AdadeltaOptimizer(0.5, rho=0.875, epsilon=2.0 ** -20),
    "Adagrad": lambda tf, step: tf.train.AdagradOptimizer(0.25, initial_accumulator_value=0.5),
    "AdagradDA": lambda tf, step: tf.train.AdagradDAOptimizer(0.25, step, 0.5, l1_regularization_strength=0.0625,
                                                              l2_regularization_strength=0.125),
    "Ftrl": lambda tf, step: tf.train.FtrlOptimizer(0.25, l1_regularization_strength=0.0625,
                                                    l2_regularization_strength=0.125),
    "FtrlShrinkage": lambda tf, step: tf.train.FtrlOptimizer(0.25, learning_rate_power=-0.75,
                                                             initial_accumulator_value=0.5,
                                                             l2_shrinkage_regularization_strength=0.25, beta=0.5),
    "Momentum": lambda tf, step: tf.train.MomentumOptimizer(LR, BETA1, use_nesterov=True),
    # TF1's proximal kernels take hyperparameters of the variable's dtype only
    "ProximalAdagrad": lambda tf, step: tf.train.ProximalAdagradOptimizer(
        *(tf.constant(v, tf.float64) for v in (0.25,)), 0.5, *(tf.constant(v, tf.float64) for v in (0.0625, 0.125))),
    "ProximalGradientDescent": lambda tf, step: tf.train.ProximalGradientDescentOptimizer(
        *(tf.constant(v, tf.float64) for v in (LR, 0.25, 0.5))),
    "RMSPropCentered": lambda tf, step: tf.train.RMSPropOptimizer(LR, BETA1, 0.5, EPS, centered=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_as_tf1(name: str) -> None:
    rng = np.random.RandomState(7)
    xv, yv, wv, bv = rng.randn(6, 4), rng.randn(6, 2), rng.randn(4, 2), rng.randn(2)

    def build(tf: Any) -> tuple[Any, Any, dict, list]:
        x, y = tf.placeholder(tf.float64, (None, 4)), tf.placeholder(tf.float64, (None, 2))
        w, b = tf.Variable(wv, name="w"), tf.Variable(bv, name="b")
        step = tf.train.get_or_create_global_step()
        loss = tf.reduce_mean(tf.square(tf.tanh(tf.matmul(x, w) + b) - y))
        train = OPTIMIZERS[name](tf, step).minimize(loss, global_step=step)
        return loss, train, {x: xv, y: yv}, [w, b, step]
    _agree(build, steps=6)


def test_learning_rate_schedules_match_tf1() -> None:
    tf = tf1()

    def build(lib: Any) -> tuple[Any, list]:
        step = lib.placeholder(lib.int64, ())
        t = lib.train
        return step, [t.cosine_decay(0.1, step, 8, alpha=0.25), t.cosine_decay_restarts(0.1, step, 3),
                      t.cosine_decay_restarts(0.1, step, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
                      t.cosine_decay_restarts(0.1, step, 2, t_mul=3.0, m_mul=0.75),
                      t.linear_cosine_decay(0.1, step, 10, num_periods=2.0, alpha=0.1, beta=0.01),
                      t.polynomial_decay(0.1, step, 4, 0.01, power=0.5, cycle=True),
                      t.exponential_decay(0.1, step, 3, 0.5, staircase=True),
                      t.piecewise_constant_decay(step, [3, 7], [0.5, 0.25, 0.125])]

    values = []
    for lib in (gf, tf):
        g = lib.Graph()
        with g.as_default():
            step, schedules = build(lib)
        with lib.Session(graph=g) as sess:
            values.append([sess.run(schedules, {step: s}) for s in range(30)])
    # float32 schedules of size 0.1: where 1 + cos(...) cancels, a few float32 roundings of 0.1
    np.testing.assert_allclose(values[0], values[1], rtol=1e-6, atol=2e-8)
