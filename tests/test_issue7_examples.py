"""The failures issue 7 measured, each as a user writes it, forwards and through minimize."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as tf  # as a TF1 script would


def _train(loss: tf.Tensor, feeds: dict, steps: int = 3) -> list[float]:
    opt = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return [float(sess.run([loss, opt], feeds)[0]) for _ in range(steps)]


@pytest.fixture(autouse=True)
def fresh_graph():  # type: ignore[no-untyped-def]
    with tf.Graph().as_default():
        yield


def test_shapeless_placeholders_reach_reductions_and_minimize() -> None:
    x = tf.placeholder("float")
    y = tf.placeholder("float")
    keep_prob = tf.placeholder("float")
    lr = tf.placeholder("float")
    w = tf.Variable(0.3)
    pred = tf.nn.dropout(x * w, keep_prob)
    loss = tf.reduce_mean(tf.square(pred - y)) * lr
    losses = _train(loss, {x: np.arange(1.0, 5.0), y: np.arange(2.0, 6.0), keep_prob: 1.0, lr: 1.0})
    assert losses[2] < losses[0]


def test_batch_sized_states_and_reshapes() -> None:
    x = tf.placeholder(tf.float32, [None, 6])
    w = tf.Variable(np.ones((6, 4), np.float32) * 0.1)
    h = tf.matmul(x, w)
    state = tf.zeros((tf.shape(x)[0], 4))
    r = tf.reshape(h + state, tf.stack([tf.shape(h)[0], 2, 2]))
    r2 = tf.reshape(h, [tf.shape(h)[0] * 4, -1])
    loss = tf.reduce_sum(r * r) + tf.reduce_sum(r2)
    losses = _train(loss, {x: np.ones((3, 6), np.float32)})
    assert losses[2] < losses[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(r, {x: np.ones((5, 6))}).shape == (5, 2, 2)
        assert sess.run(r2, {x: np.ones((5, 6))}).shape == (20, 1)


def test_hello_tensorflow() -> None:
    hello = tf.constant("Hello, TensorFlow!")
    sess = tf.Session()
    assert sess.run(hello) == b"Hello, TensorFlow!"


def test_the_missing_names_exist_and_run() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    v = tf.Variable(np.zeros((4, 3), np.float32))
    ema_op = tf.train.ExponentialMovingAverage(0.9).apply([v])
    labels = tf.placeholder(tf.int64, [None])
    acc, acc_op = tf.metrics.accuracy(labels, tf.argmax(x, 1))
    fetches = [
        tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x),
        tf.case([(tf.reduce_sum(x) > 100.0, lambda: tf.constant(1))], default=lambda: tf.constant(0)),
        tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)]),
        tf.Print(x, [x], "x: "), tf.arg_max(x, 1), tf.arg_min(x, 1), tf.nn.top_k(x, 2).values,
        tf.unique(tf.constant([3, 1, 3]))[0], tf.eye(2), tf.diag([1.0, 2.0]), tf.cumsum(x, 1),
        tf.scatter_update(v, [0], [[1.0, 2.0, 3.0]]), tf.random_shuffle(tf.range(5)),
        tf.multinomial(tf.log([[0.5, 0.5]]), 3), tf.sequence_mask([1, 2], 3),
        tf.segment_sum(tf.constant([1.0, 2.0, 3.0]), [0, 0, 1]), tf.matrix_inverse(tf.eye(2) * 2.0),
        acc_op,
    ]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.local_variables_initializer())
        sess.run(ema_op)
        out = sess.run(fetches, {x: [[1.0, 2.0, 3.0]], labels: [2]})
        tf.print("done", output_stream="stdout")
    assert out[2] == 10 and out[5].tolist() == [0] and out[-1] == 1.0
    np.testing.assert_allclose(out[16], [[0.5, 0.0], [0.0, 0.5]])


def test_what_the_tutorial_trials_hit() -> None:
    """From running public TF1 tutorials: split of a dim known at run time, integer labels in
    softmax cross-entropy, a one_hot depth known at run time, TF1's names of random tensors."""
    x = tf.placeholder(tf.float32, [None, 28])
    parts = tf.split(x, 4, 0)
    n = tf.placeholder(tf.int32, [])
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant([[0, 1]]),
                                                                  logits=tf.constant([[1.0, 2.0]])))
    with tf.Session() as sess:
        got = sess.run(parts, {x: np.arange(8 * 28, dtype=np.float32).reshape(8, 28)})
        assert [g.shape for g in got] == [(2, 28)] * 4 and got[3][0, 0] == 6 * 28
        with pytest.raises(tf.errors.InvalidArgumentError, match="not divisible by 4"):
            sess.run(parts, {x: np.zeros((6, 28))})
        assert sess.run(loss) == pytest.approx(np.log1p(np.exp(-1.0)))
        np.testing.assert_array_equal(sess.run(tf.one_hot([0, 2], n), {n: 3}), [[1, 0, 0], [0, 0, 1]])
    assert tf.random_uniform([2]).name == "random_uniform:0"
    assert tf.random_normal([2]).name == "random_normal:0"
    assert tf.truncated_normal([2]).name == "truncated_normal:0"
