"""``tf.debugging``: assert_proper_iterable, assert_shapes (static and run-time checks, sparse
tensors), the check-numerics mode, device placement logging and traceback filtering; against TF1
where TensorFlow is installed."""
from __future__ import annotations

import os

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def test_assert_proper_iterable() -> None:
    for ok in ([1, 2], (gf.constant(1.0),), {1: 2}, iter([1])):
        gf.debugging.assert_proper_iterable(ok)
    gf.assert_proper_iterable([1])
    for bad in (np.zeros(2), gf.constant([1.0]), "ab", b"ab"):
        with pytest.raises(TypeError, match="proper"):
            gf.debugging.assert_proper_iterable(bad)
    with pytest.raises(TypeError, match="iterable"):
        gf.debugging.assert_proper_iterable(3)


def test_assert_proper_iterable_against_tf1() -> None:
    tf = tf1()
    with tf.Graph().as_default():
        cases = [[1, 2], (3,), np.zeros(2), "ab", b"ab", 3, {1: 2}]
        for value in cases:
            outcomes = []
            for check in (gf.debugging.assert_proper_iterable, tf.debugging.assert_proper_iterable):
                try:
                    check(value)
                    outcomes.append(None)
                except TypeError:
                    outcomes.append(TypeError)
            assert outcomes[0] == outcomes[1], value


def test_assert_shapes_static_and_at_run_time() -> None:
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    y = gf.placeholder(gf.float32, [None], name="y")
    z = gf.placeholder(gf.float32, name="z")  # rank unknown until run time
    op = gf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N",)), (z, ("*", "Q"))])
    with gf.Session() as sess:
        sess.run(op, {x: np.zeros((2, 3)), y: np.zeros(2), z: np.zeros((5, 4, 3))})
        with pytest.raises(gf.errors.InvalidArgumentError, match="Tensor y:0 dimension"):
            sess.run(op, {x: np.zeros((2, 3)), y: np.zeros(4), z: np.zeros(3)})
        with pytest.raises(gf.errors.InvalidArgumentError, match="Tensor z:0"):
            sess.run(op, {x: np.zeros((2, 3)), y: np.zeros(2), z: np.zeros((3, 2))})
    ranked = gf.debugging.assert_shapes([(z, ("N", "Q")), (x, ("N", "Q"))])
    with gf.Session() as sess:
        sess.run(ranked, {x: np.zeros((2, 3)), z: np.zeros((2, 3))})
        with pytest.raises(gf.errors.InvalidArgumentError, match="Tensor z:0 must have rank 2"):
            sess.run(ranked, {x: np.zeros((2, 3)), z: np.zeros((2, 3, 1))})
    a, b = gf.zeros([2, 3], name="a"), gf.zeros([4], name="b")
    with pytest.raises(ValueError, match=r"Specified by tensor a:0 dimension 1\.  Tensor b:0 dimension 0 must have "
                                         r"size 3\.  Received size 4"):
        gf.debugging.assert_shapes({a: ("N", "Q"), b: ("Q",)})
    with pytest.raises(ValueError, match="Specified explicitly"):
        gf.debugging.assert_shapes([(a, (2, 4))])
    with pytest.raises(ValueError, match="a:0 must have rank 3"):
        gf.debugging.assert_shapes([(a, ("N", "Q", "R"))])
    with pytest.raises(ValueError, match="only allowed as the first entry"):
        gf.debugging.assert_shapes([(a, ("N", "*"))])
    with pytest.raises(ValueError, match="must be an iterable"):
        gf.debugging.assert_shapes([(a, 3)])
    ok = gf.debugging.assert_shapes([(a, (2, ".")), (gf.zeros([]), ()), (a, (..., 3)), (b, None)])
    with gf.Session() as sess:
        sess.run(ok)


def test_assert_shapes_against_tf1() -> None:
    tf = tf1()
    cases = [([2, 3], ("N", "Q"), [3], ("Q",)), ([2, 3], ("N", "Q"), [2], ("N",)), ([2, 3], (2, 3), [5], (".",)),
             ([4, 2, 3], ("*", "Q"), [3], ("Q",)), ([], (), [1], ("N",)), ([2, 3], ("N", "Q"), [3, 2], ("Q", "N"))]
    for sa, spa, sb, spb in cases:
        outcomes = []
        for lib in (gf, tf):
            with lib.Graph().as_default():
                a, b = lib.zeros(sa), lib.zeros(sb)
                try:
                    lib.debugging.assert_shapes([(a, spa), (b, spb)])
                    outcomes.append("ok")
                except ValueError:
                    outcomes.append("ValueError")
        assert outcomes[0] == outcomes[1], (sa, spa, sb, spb, outcomes)


def test_check_numerics_mode_checks_every_float_value() -> None:
    x = gf.placeholder(gf.float32, [None, 3])
    before = gf.log(x)  # built before enabling: not checked
    gf.debugging.enable_check_numerics()
    try:
        w = gf.Variable(np.ones((3, 2), np.float32))
        hidden = gf.log(x)
        loss = gf.reduce_sum(gf.matmul(hidden, w))
        train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        fetched = gf.sqrt(x)
    finally:
        gf.debugging.disable_check_numerics()
    plain = gf.log(x) * 2.0  # built after disabling: not checked
    later = hidden * 2.0  # built after disabling, but reads a checked node's output: through its check
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        value, _ = sess.run([loss, train], {x: np.full((2, 3), np.e)})
        assert value == pytest.approx(12.0)
        with pytest.raises(gf.errors.InvalidArgumentError, match='graph op "Log" .* op name: Log_1'):
            sess.run(loss, {x: -np.ones((2, 3))})
        assert np.isnan(sess.run(before, {x: -np.ones((1, 3))})).all()
        assert np.isnan(sess.run(plain, {x: -np.ones((1, 3))})).all()
        with pytest.raises(gf.errors.InvalidArgumentError, match='graph op "Log" .* op name: Log_1'):
            sess.run(later, {x: -np.ones((1, 3))})
        # a value no node reads is checked where it is fetched
        with pytest.raises(gf.errors.InvalidArgumentError, match="Detected NaN in fetched tensor Sqrt"):
            sess.run(fetched, {x: -np.ones((1, 3))})
        np.testing.assert_allclose(sess.run(fetched, {x: np.full((1, 3), 4.0)}), np.full((1, 3), 2.0))


def test_check_numerics_mode_reaches_values_control_flow_returns() -> None:
    x = gf.placeholder(gf.float32, [])
    gf.debugging.enable_check_numerics()
    try:
        c = gf.cond(x > 0, lambda: gf.log(x), lambda: gf.sqrt(x))
        _, r = gf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, v * x), [0, gf.constant(1.0)])
    finally:
        gf.debugging.disable_check_numerics()
    with gf.Session() as sess:
        assert sess.run([c, r], {x: 4.0}) == [pytest.approx(np.log(4.0)), 16.0]
        with pytest.raises(gf.errors.InvalidArgumentError, match="Detected NaN"):
            sess.run(c, {x: -1.0})
        with pytest.raises(gf.errors.InvalidArgumentError, match="Detected Infinity"):
            sess.run(r, {x: np.float32(3e38)})


def _small_training_run(checked: bool) -> tuple[list[float], int]:
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(1)
        if checked:
            gf.debugging.enable_check_numerics()
        try:
            x, y = gf.placeholder(gf.float32, [None, 4]), gf.placeholder(gf.int32, [None])
            h = gf.layers.batch_normalization(gf.layers.dense(x, 8, activation=gf.nn.relu), training=True)
            h = gf.layers.dropout(h, 0.1, training=True)
            out, _ = gf.nn.dynamic_rnn(gf.nn.rnn_cell.GRUCell(5), gf.reshape(h, [-1, 2, 4]), dtype=gf.float32)
            loss = gf.losses.sparse_softmax_cross_entropy(y, gf.layers.dense(out[:, -1], 3))
            train = gf.train.AdamOptimizer(0.01).minimize(loss)
        finally:
            gf.debugging.disable_check_numerics()
        checks = sum(1 for n in g.get_operations() if n.type == "Check")
        with gf.Session(graph=g) as sess:
            sess.run(gf.global_variables_initializer())
            rng = np.random.RandomState(0)
            losses = [float(sess.run([loss, train], {x: rng.randn(8, 4), y: rng.randint(0, 3, 8)})[0])
                      for _ in range(3)]
    return losses, checks


def test_check_numerics_mode_leaves_training_unchanged() -> None:
    plain, plain_checks = _small_training_run(False)
    checked, checks = _small_training_run(True)
    assert checks > plain_checks + 100  # dense, batch norm, dropout, a GRU loop, Adam: all read checked values
    assert plain == checked


def test_log_device_placement(capfd: pytest.CaptureFixture[str]) -> None:
    assert gf.debugging.get_log_device_placement() is False
    x = gf.constant([1.0, 2.0], name="xs")
    y = gf.multiply(x, 2.0, name="doubled")
    gf.debugging.set_log_device_placement(True)
    try:
        assert gf.debugging.get_log_device_placement() is True
        with gf.Session() as sess:
            sess.run(y)
    finally:
        gf.debugging.set_log_device_placement(False)
    err = capfd.readouterr().err
    assert "doubled: (Mul): /job:localhost/replica:0/task:0/device:CPU:0" in err
    with gf.Session(config=gf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y + 1.0)
    assert "(Mul): /job:localhost" in capfd.readouterr().err
    with gf.Session() as sess:
        sess.run(y - 1.0)
    assert "/job:localhost" not in capfd.readouterr().err


def _frames(e: BaseException) -> list[str]:
    out, tb = [], e.__traceback__
    while tb is not None:
        out.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return out


def test_traceback_filtering() -> None:
    package = os.path.dirname(gf.__file__)
    p = gf.placeholder(gf.float32, [2])
    assert gf.debugging.is_traceback_filtering_enabled()
    with gf.Session() as sess:
        with pytest.raises(gf.errors.InvalidArgumentError) as filtered:
            sess.run(p * 2.0, {p: np.zeros(3)})
        inner = [f for f in _frames(filtered.value) if f.startswith(package)]
        assert len(inner) <= 1  # Session.run's own frame, where it re-raises
        gf.debugging.disable_traceback_filtering()
        try:
            assert not gf.debugging.is_traceback_filtering_enabled()
            with pytest.raises(gf.errors.InvalidArgumentError) as full:
                sess.run(p * 2.0, {p: np.zeros(3)})
        finally:
            gf.debugging.enable_traceback_filtering()
        assert len([f for f in _frames(full.value) if f.startswith(package)]) > 1
