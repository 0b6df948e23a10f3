"""tf.TensorArray: its methods outside loops, inside while_loop (written and read, also the same
array read and written by one loop), returned by cond branches, dynamic_size, float64 gradients
through loops on every target, errors for bad indices, and TF1's own results: the RNN written the
TF1 way (while_loop + TensorArray) trains with TF1's losses."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import need

RS = np.random.RandomState(3)


@pytest.fixture(params=TARGETS)
def sess(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    with gf.Graph().as_default(), gf.Session(device=request.param) as s:
        yield s


def test_methods_outside_loops(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float64, [None, 2])
    xv = RS.randn(4, 2)
    ta = gf.TensorArray(gf.float64, size=3).write(2, x[0]).write(0, x[1]).write(1, x[2] * 2)
    assert ta.stack().shape.as_list() == [3, 2]
    stacked, one, size = sess.run([ta.stack(), ta.read(1), ta.size()], {x: xv})
    np.testing.assert_allclose(stacked, [xv[1], xv[2] * 2, xv[0]])
    np.testing.assert_allclose(one, xv[2] * 2)
    assert size == 3
    un = gf.TensorArray(gf.float64, size=4).unstack(x)
    got = sess.run([un.read(3), un.gather([2, 0]), un.concat(), un.size()], {x: xv})
    np.testing.assert_allclose(got[0], xv[3])
    np.testing.assert_allclose(got[1], xv[[2, 0]])
    np.testing.assert_allclose(got[2], xv.reshape(-1))
    assert got[3] == 4
    sc = gf.TensorArray(gf.float64, size=4).scatter([3, 1, 0, 2], x)
    np.testing.assert_allclose(sess.run(sc.stack(), {x: xv}), xv[[2, 1, 3, 0]])
    sp = gf.TensorArray(gf.float64, size=2).split(gf.reshape(x, [-1]), [4, 4])
    np.testing.assert_allclose(sess.run(sp.read(1), {x: xv}), xv.reshape(-1)[4:])
    full = gf.TensorArray(gf.float32, size=2, element_shape=[3])  # nothing written: zeros of the element shape
    np.testing.assert_array_equal(sess.run(full.stack()), np.zeros((2, 3), np.float32))


def _rnn(tf: Any, x: Any, w: Any, u: Any, steps: int) -> Any:
    """h_t = tanh(x_t w + h_{t-1} u), written the TF1 way: inputs unstacked into a TensorArray,
    outputs written to another inside while_loop."""
    inputs = tf.TensorArray(x.dtype, size=steps).unstack(x)
    outputs = tf.TensorArray(x.dtype, size=steps)
    h0 = tf.zeros([tf.shape(x)[1], u.shape.as_list()[0]], x.dtype)

    def body(t: Any, h: Any, out: Any) -> Any:
        h = tf.tanh(tf.matmul(inputs.read(t), w) + tf.matmul(h, u))
        return t + 1, h, out.write(t, h)
    _, h, outputs = tf.while_loop(lambda t, h, out: t < steps, body, [tf.constant(0), h0, outputs])
    return outputs.stack(), h


def _rnn_numpy(x: np.ndarray, w: np.ndarray, u: np.ndarray) -> np.ndarray:
    h = np.zeros((x.shape[1], u.shape[0]))
    hs = []
    for xt in x:
        h = np.tanh(xt @ w + h @ u)
        hs.append(h)
    return np.stack(hs)


def test_a_loop_writes_and_reads_arrays(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float64, [5, None, 3])
    w, u = RS.randn(3, 4) * 0.5, RS.randn(4, 4) * 0.5
    ys, h = _rnn(gf, x, gf.constant(w), gf.constant(u), 5)
    assert ys.shape.as_list() == [5, None, 4]
    xv = RS.randn(5, 2, 3)
    got, last = sess.run([ys, h], {x: xv})
    want = _rnn_numpy(xv, w, u)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(last, want[-1], rtol=1e-12)


@pytest.mark.parametrize("device", TARGETS)
def test_gradients_through_a_loop_float64(device: str) -> None:
    x0, w0, u0 = RS.randn(4, 2, 3), RS.randn(3, 2) * 0.5, RS.randn(2, 2) * 0.5

    def fn(x: Any, w: Any, u: Any) -> Any:
        ys, h = _rnn(gf, x, w, u, 4)
        return gf.ensure_shape(ys, [4, 2, 2]) * 2.0 + h
    with gf.Graph().as_default():
        check_gradient(fn, [x0, w0, u0], device=device)


def test_dynamic_size_grows_as_a_decoder_writes(sess: gf.Session) -> None:
    limit = gf.placeholder(gf.int32, [])
    start = gf.placeholder(gf.float64, [2])

    def body(t: Any, v: Any, ta: Any) -> Any:
        return t + 1, v * 0.5, ta.write(t, v)
    _, _, ta = gf.while_loop(lambda t, v, ta: t < limit, body,
                             [gf.constant(0), start, gf.TensorArray(gf.float64, size=0, dynamic_size=True)])
    got, n = sess.run([ta.stack(), ta.size()], {limit: 4, start: [1.0, 8.0]})
    np.testing.assert_allclose(got, [[1.0, 8.0], [0.5, 4.0], [0.25, 2.0], [0.125, 1.0]])
    assert n == 4


def test_bad_indices_raise_when_run(sess: gf.Session) -> None:
    k = gf.placeholder(gf.int32, [])
    ta = gf.TensorArray(gf.float32, size=2).write(k, [1.0]).write(0, [2.0])
    with pytest.raises(gf.errors.InvalidArgumentError, match="index in \\[0, size\\) and each index written once"):
        sess.run(ta.stack(), {k: 2})
    with pytest.raises(gf.errors.InvalidArgumentError, match="each index written once"):
        sess.run(ta.stack(), {k: 0})
    np.testing.assert_array_equal(sess.run(ta.stack(), {k: 1}), [[2.0], [1.0]])


def test_errors_at_build_time_name_the_problem() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="read before anything was written"):
            gf.TensorArray(gf.float32, size=2).read(0)
        with pytest.raises(ValueError, match="holds elements of shape"):
            gf.TensorArray(gf.float32, size=2, element_shape=[3]).write(0, [1.0, 2.0])
        with pytest.raises(TypeError, match="expected float32"):
            gf.TensorArray(gf.float32, size=2).write(0, gf.constant([1, 2]))
        ta = gf.TensorArray(gf.float32, size=3)

        def body(t: Any, ta: Any) -> Any:
            prev = ta.read(gf.maximum(t - 1, 0))
            return t + 1, ta.write(t, prev + 1.0)
        # read before anything was written, with no element shape to start from zeros (TF1 fails
        # when run: index 0 "has not yet been written to")
        with pytest.raises(NotImplementedError, match="needs its element_shape"):
            gf.while_loop(lambda t, ta: t < 3, body, [gf.constant(0), ta])
        parts = gf.TensorArray(gf.float32, size=2).split(gf.zeros([3, 2]), [1, 2])
        with pytest.raises(ValueError, match="split with unequal or run-time lengths"):
            parts.write(0, gf.zeros([1, 2]))


def test_rnn_trains_with_tf1s_losses() -> None:
    tf = need("tensorflow")
    steps, rs = 6, np.random.RandomState(5)
    xv, target = rs.randn(steps, 3, 2), rs.randn(steps, 3, 4)
    w0, u0 = rs.randn(2, 4) * 0.4, rs.randn(4, 4) * 0.4

    def train(m: Any) -> list[float]:
        with m.Graph().as_default():
            x = m.placeholder(m.float64, [steps, None, 2])
            w, u = m.Variable(w0), m.Variable(u0)
            ys, _ = _rnn(m, x, w, u, steps)
            loss = m.reduce_mean((ys - target) ** 2)
            step = m.train.GradientDescentOptimizer(0.5).minimize(loss)
            with m.Session() as s:
                s.run(m.global_variables_initializer())
                return [float(s.run([loss, step], {x: xv})[0]) for _ in range(8)]
    ours, theirs = train(gf), train(tf)
    assert ours[-1] < ours[0] * 0.8  # it learns
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_methods_match_tf1() -> None:
    tf = need("tensorflow")
    xv = RS.randn(4, 3)

    def build(m: Any) -> list[Any]:
        x = m.placeholder(m.float64, [4, 3])
        ta = m.TensorArray(m.float64, size=4).unstack(x)
        other = m.TensorArray(m.float64, size=3).write(0, ta.read(3)).write(2, ta.read(1) * 2).write(1, x[0])
        grown = m.TensorArray(m.float64, size=1, dynamic_size=True).scatter([1, 0], x[:2])
        loss = m.reduce_sum(other.stack() ** 2) + m.reduce_sum(ta.gather([3, 0]))  # TF1 reads an index once
        return [x, other.stack(), grown.stack(), ta.concat(), m.gradients(loss, x)[0]]

    def run(m: Any) -> list[np.ndarray]:
        with m.Graph().as_default():
            x, *outs = build(m)
            with m.Session() as s:
                return s.run(outs, {x: xv})
    for a, b in zip(run(gf), run(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _raw_rnn(m: Any, steps: int, depth: int, units: int) -> tuple[Any, ...]:
    """tf.nn.raw_rnn over a TensorArray of inputs, rows finishing at their lengths; the next input
    is read inside a cond in loop_fn (zeros once every row has finished)."""
    inputs = m.placeholder(m.float64, [steps, None, depth])
    lengths = m.placeholder(m.int32, [None])
    inputs_ta = m.TensorArray(m.float64, size=steps).unstack(inputs)
    cell = m.nn.rnn_cell.BasicRNNCell(units, dtype=m.float64)

    def loop_fn(time: Any, cell_output: Any, cell_state: Any, loop_state: Any) -> tuple:
        state = cell.zero_state(m.shape(inputs)[1], m.float64) if cell_output is None else cell_state
        finished = time >= lengths
        step = m.cond(m.reduce_all(finished), lambda: m.zeros([m.shape(inputs)[1], depth], m.float64),
                      lambda: inputs_ta.read(m.minimum(time, steps - 1)))
        return finished, step, state, cell_output, None
    emit_ta, final, _ = m.nn.raw_rnn(cell, loop_fn)
    out = emit_ta.stack()
    grads = m.gradients(m.reduce_sum(out ** 2) + m.reduce_sum(final), [inputs] + m.trainable_variables())
    return inputs, lengths, out, final, grads


def test_raw_rnn_matches_tf1() -> None:
    tf = need("tf_keras")  # tf.compat.v1's rnn cells come from tf-keras
    rs = np.random.RandomState(0)
    xv, lens = rs.randn(5, 3, 2), np.array([5, 2, 3], np.int32)
    got = []
    weights: list[np.ndarray] = []
    for m in (tf, gf):
        with m.Graph().as_default():
            inputs, lengths, out, final, grads = _raw_rnn(m, 5, 2, 4)
            with m.Session() as s:
                s.run(m.global_variables_initializer())
                if m is tf:
                    weights = s.run(m.trainable_variables())
                else:  # TF1's initial weights, so both compute the same thing
                    s.run([gf.assign(v, w) for v, w in zip(gf.trainable_variables(), weights)])
                got.append(s.run([out, final] + grads, {inputs: xv, lengths: lens}))
    theirs, ours = got
    assert ours[0].shape == (5, 3, 4) and not ours[0][2:, 1].any()  # row 1 finished after 2 steps: zeros
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_nested_loops_size_and_what_is_refused(sess: gf.Session) -> None:
    def outer(i: Any, ta: Any) -> Any:
        def inner(j: Any, ta: Any) -> Any:
            return j + 1, ta.write(i * 2 + j, gf.cast(i * 10 + j, gf.float32))
        _, ta = gf.while_loop(lambda j, ta: j < 2, inner, [gf.constant(0), ta])
        return i + 1, ta
    _, ta = gf.while_loop(lambda i, ta: i < 3, outer, [gf.constant(0), gf.TensorArray(gf.float32, size=6)])
    np.testing.assert_array_equal(sess.run(ta.stack()), [0, 1, 10, 11, 20, 21])

    def sized(k: Any, n: Any, ta: Any) -> Any:
        ta = ta.write(k, gf.cast(k, gf.float32))
        return k + 1, ta.size(), ta
    _, n, ta2 = gf.while_loop(lambda k, n, ta: k < 3, sized,
                              [gf.constant(0), gf.constant(0), gf.TensorArray(gf.float32, size=9)])
    assert sess.run(n) == 9
    chosen = gf.cond(gf.constant(False), lambda: ta2.write(3, 1.0), lambda: ta2.write(3, 2.0))
    np.testing.assert_array_equal(sess.run(chosen.stack())[:4], [0, 1, 2, 2])

    def uneven(k: Any, ta: Any) -> Any:  # a different number of rows each iteration
        return k + 1, ta.scatter(gf.range(k * (k + 1) // 2, (k + 1) * (k + 2) // 2),
                                 gf.cast(gf.range(k * (k + 1) // 2, (k + 1) * (k + 2) // 2), gf.float32))
    _, ta3 = gf.while_loop(lambda k, ta: k < 3, uneven, [gf.constant(0), gf.TensorArray(gf.float32, size=6)])
    with pytest.raises(gf.errors.InvalidArgumentError, match="Incompatible shapes"):
        sess.run(ta3.stack())


def test_raw_rnn_keeps_scalar_state_and_an_unreplaced_loop_state() -> None:
    """TF1's rules: a scalar state component has no rows and always takes the cell's value; a
    loop_fn returning None as the next loop state keeps the previous one."""
    class Counter(gf.nn.rnn_cell.RNNCell):
        @property
        def state_size(self) -> Any:
            return (2, 1)

        @property
        def output_size(self) -> int:
            return 2

        def __call__(self, x: Any, state: Any, scope: Any = None) -> Any:
            h, n = state
            return gf.tanh(x + h), (gf.tanh(x + h), n + 1.0)
    with gf.Graph().as_default():
        lengths = gf.constant([3, 1])
        xs = gf.constant(np.arange(12, dtype=np.float32).reshape(3, 2, 2) / 10)

        def loop_fn(time: Any, out: Any, state: Any, loop_state: Any) -> tuple:
            start = out is None
            state = (gf.zeros([2, 2]), gf.constant(0.0)) if start else state
            step = gf.cond(gf.reduce_all(time >= lengths), lambda: gf.zeros([2, 2]), lambda: xs[gf.minimum(time, 2)])
            return time >= lengths, step, state, None, gf.constant(5.0) if start else None
        ta, final, loop_state = gf.nn.raw_rnn(Counter(), loop_fn)
        with gf.Session() as s:
            outs, count, kept = s.run([ta.stack(), final[1], loop_state])
    assert count == 3.0 and kept == 5.0 and outs.shape == (3, 2, 2) and not outs[1:, 1].any()


def _recurrence(tf: Any, x: Any) -> tuple[Any, Any]:
    """rows 0 and 1 written before the loop; row i = 0.9 row(i-1) + tanh(row(i-2)), read back
    from the array the loop writes; then an array started from zeros (element_shape given) whose
    rows double the previous one (row 0 from x)."""
    ta = tf.TensorArray(tf.float64, size=6, clear_after_read=False).write(0, x).write(1, x * 0.5)

    def body(i: Any, ta: Any) -> Any:
        return i + 1, ta.write(i, ta.read(i - 1) * 0.9 + tf.tanh(ta.read(i - 2)))
    _, ta = tf.while_loop(lambda i, ta: i < 6, body, [tf.constant(2), ta])
    tb = tf.TensorArray(tf.float64, size=4, element_shape=[2], clear_after_read=False)

    def doubling(i: Any, tb: Any) -> Any:
        prev = tf.cond(i > 0, lambda: tb.read(tf.maximum(i - 1, 0)), lambda: x)
        return i + 1, tb.write(i, prev * 2.0)
    _, tb = tf.while_loop(lambda i, tb: i < 4, doubling, [tf.constant(0), tb])
    return ta.stack(), tb.stack()


def _recurrence_numpy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = [x, x * 0.5]
    for _ in range(4):
        rows.append(rows[-1] * 0.9 + np.tanh(rows[-2]))
    return np.array(rows), np.array([x * 2.0 ** (k + 1) for k in range(4)])


@pytest.mark.parametrize("device", TARGETS)
def test_a_loop_reads_the_array_it_writes(device: str) -> None:
    xv = np.array([1.0, 2.0])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        a, b = _recurrence(gf, x)
        with gf.Session(device=device) as sess:
            got_a, got_b = sess.run([a, b], {x: xv})
    want_a, want_b = _recurrence_numpy(xv)
    np.testing.assert_allclose(got_a, want_a, rtol=1e-12)
    np.testing.assert_allclose(got_b, want_b, rtol=1e-12)
    check_gradient(lambda x: gf.reduce_sum(gf.square(_recurrence(gf, x)[0])), [xv], device=device)


def test_a_loop_reading_its_array_and_a_cond_returning_one_match_tf1() -> None:
    tf = need("tensorflow")
    xv = np.array([0.3, -1.2])

    def run(m: Any, device: str | None) -> list[Any]:
        with m.Graph().as_default():
            x = m.Variable(xv)
            a, b = _recurrence(m, x)
            pick = m.placeholder(m.bool, [])
            empty = m.TensorArray(m.float64, size=2)
            chosen = m.cond(pick, lambda: empty.write(0, x).write(1, x * 2.0), lambda: empty.write(0, -x).write(1, x))
            tc = m.TensorArray(m.float64, size=4, element_shape=[2], clear_after_read=False)

            def body(i: Any, tc: Any) -> Any:  # a cond writes the loop's array, another step reads it back
                tc = m.cond(m.equal(i % 2, 0), lambda: tc.write(i, x * m.cast(i + 1, m.float64)),
                            lambda: tc.write(i, tc.read(i - 1) * 3.0))
                return i + 1, tc
            _, tc = m.while_loop(lambda i, tc: i < 4, body, [m.constant(0), tc])
            outs = [a, b, chosen.stack(), tc.stack()]
            grads = m.gradients(m.add_n([m.reduce_sum(m.square(o)) for o in outs]), [x])
            kw = {} if device is None else {"device": device}
            with m.Session(**kw) as s:
                s.run(m.global_variables_initializer())
                return s.run(outs + grads, {pick: True}) + s.run(outs + grads, {pick: False})
    # the numpy oracle: compiling the cond that writes inside the loop takes minutes (its cpu
    # program is checked by the smaller graphs above)
    for ours, theirs in zip(run(gf, "reference"), run(tf, None)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("device", TARGETS)
def test_a_cond_returns_an_array(device: str) -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2])
        pick = gf.placeholder(gf.bool, [])
        ta = gf.TensorArray(gf.float64, size=2)
        chosen = gf.cond(pick, lambda: ta.write(0, x).write(1, x * 2.0), lambda: ta.write(0, -x).write(1, x))
        assert isinstance(chosen, gf.TensorArray) and chosen.stack().shape.as_list() == [2, 2]
        with gf.Session(device=device) as sess:
            xv = np.array([1.0, 3.0])
            np.testing.assert_array_equal(sess.run(chosen.stack(), {x: xv, pick: True}), [xv, 2 * xv])
            np.testing.assert_array_equal(sess.run(chosen.read(0), {x: xv, pick: False}), -xv)


def _split_sums(tf: Any, x: Any, lengths: Any) -> tuple[Any, ...]:
    """Elements of unequal length read one by one, joined back, and read in a loop."""
    ta = tf.TensorArray(tf.float64, size=3, infer_shape=False).split(x, lengths)
    r1, r2 = ta.read(1), ta.read(2)

    def body(i: Any, acc: Any) -> Any:
        return i + 1, acc + tf.reduce_sum(tf.square(ta.read(i))) * tf.cast(i + 1, tf.float64)
    _, looped = tf.while_loop(lambda i, a: i < ta.size(), body, [tf.constant(0), tf.constant(0.0, tf.float64)])
    return r1, r2, ta.concat(), ta.size(), looped


@pytest.mark.parametrize("device", TARGETS)
def test_split_with_unequal_lengths(device: str) -> None:
    xv = np.arange(18.0).reshape(6, 3) / 5
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3])
        lens = gf.placeholder(gf.int32, [None])
        r1, r2, joined, size, looped = _split_sums(gf, x, [1, 3, 2])
        assert r1.shape.as_list() == [None, 3]
        run_time = gf.TensorArray(gf.float64, size=2).split(x, lens)
        with gf.Session(device=device) as sess:
            got = sess.run([r1, r2, joined, size, looped, run_time.read(1)], {x: xv, lens: [2, 4]})
            with pytest.raises(gf.errors.InvalidArgumentError, match="sum to the value's first dim"):
                sess.run(run_time.read(0), {x: xv, lens: [2, 3]})
            with pytest.raises(gf.errors.InvalidArgumentError, match="elements of one shape"):
                sess.run(run_time.stack(), {x: xv, lens: [2, 4]})
            np.testing.assert_allclose(sess.run(run_time.stack(), {x: xv, lens: [3, 3]}), xv.reshape(2, 3, 3))
    np.testing.assert_allclose(got[0], xv[1:4])
    np.testing.assert_allclose(got[1], xv[4:])
    np.testing.assert_allclose(got[2], xv)
    assert got[3] == 3
    want = sum((k + 1) * np.sum(xv[a:b] ** 2) for k, (a, b) in enumerate([(0, 1), (1, 4), (4, 6)]))
    np.testing.assert_allclose(got[4], want, rtol=1e-12)
    np.testing.assert_allclose(got[5], xv[2:])

    def fn(x: Any) -> Any:
        r1, r2, joined, _, looped = _split_sums(gf, x, [1, 3, 2])
        return gf.reduce_sum(r1 * r1) + 3.0 * gf.reduce_sum(r2) + gf.reduce_sum(gf.sin(joined)) + looped
    with gf.Graph().as_default():
        check_gradient(fn, [xv], device=device)


def _grown(tf: Any, x: Any, w: Any) -> Any:
    """h_t = h_(t-1) * w + x_t kept in a dynamic_size TensorArray that the loop reads and writes."""
    ta = tf.TensorArray(tf.float64, size=0, dynamic_size=True, element_shape=x.shape.as_list()[1:]).write(0, x[0])

    def body(i: Any, ta: Any) -> Any:
        return i + 1, ta.write(i, ta.read(i - 1) * w + x[i])
    _, ta = tf.while_loop(lambda i, ta: i < tf.shape(x)[0], body, [tf.constant(1), ta])
    return ta.stack()


@pytest.mark.parametrize("device", TARGETS)
def test_a_dynamic_size_array_read_and_written_in_one_loop(device: str) -> None:
    xv, wv = RS.randn(5, 2), np.array([0.5, -0.3])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 2])
        w = gf.placeholder(gf.float64, [2])
        h = _grown(gf, x, w)
        with gf.Session(device=device) as sess:
            got = sess.run(h, {x: xv, w: wv})
    want = [xv[0]]
    for t in range(1, 5):
        want.append(want[-1] * wv + xv[t])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with gf.Graph().as_default():
        check_gradient(lambda x, w: gf.reduce_sum(gf.square(_grown(gf, x, w))), [xv, wv], device=device)


def test_split_and_a_dynamic_array_in_a_loop_match_tf1() -> None:
    tf = need("tensorflow")
    xv, wv = RS.randn(6, 3), RS.randn(3)
    out = []
    for mod in (tf, gf):
        with mod.Graph().as_default():
            x = mod.placeholder(mod.float64, [None, 3])
            w = mod.placeholder(mod.float64, [3])
            r1, r2, joined, size, looped = _split_sums(mod, x, [1, 3, 2])
            h = _grown(mod, x, w)
            loss = looped + mod.reduce_sum(r2) + mod.reduce_sum(mod.square(h))
            with mod.Session() as sess:
                out.append(sess.run([r1, joined, size, looped, h] + mod.gradients(loss, [x, w]), {x: xv, w: wv}))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-12)
