"""API.md section 4: gf.gradients (grad_ys, stop_gradients, unconnected xs, list and non-scalar
ys, second derivatives), missing gradient rules, gf.custom_gradient and gf.test's checkers."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import graphflow as gf
from graphflow.core import registry
from graphflow.core.registry import Op
from tests.harness import line_of
from tests.tolerances import GRAD, value_tol

F32 = value_tol(np.float32)
F64 = value_tol(np.float64)


def _line_of(marker: str) -> int:
    return line_of(__file__, marker)


def _run(fetches: object, feeds: dict | None = None, device: str = "reference") -> object:
    with gf.Session(device=device) as sess:
        return sess.run(fetches, feeds)


def test_gradients_basic_grad_ys_and_unconnected() -> None:
    x_np = np.array([1.0, -2.0, 3.0])
    x = gf.placeholder(gf.float64, [3], name="x")
    w = gf.placeholder(gf.float64, [3], name="w")
    unrelated = gf.placeholder(gf.float64, [3], name="unrelated")
    y = x * x * w  # non-scalar ys: grad_ys defaults to ones
    gx, gw, gu = gf.gradients(y, [x, w, unrelated])
    assert gu is None
    dy = gf.placeholder(gf.float64, [3], name="dy")
    (gx_dy,) = gf.gradients(y, [x], grad_ys=dy)
    (gx_const,) = gf.gradients(y, x, grad_ys=np.array([1.0, 0.0, 2.0]))
    w_np, dy_np = np.array([0.5, 1.0, -1.0]), np.array([3.0, -1.0, 0.5])
    feeds = {x: x_np, w: w_np, dy: dy_np}
    for device in ("reference", "cpu"):
        a, b, c, d = _run([gx, gw, gx_dy, gx_const], feeds, device)
        np.testing.assert_allclose(a, 2 * x_np * w_np, **F64)
        np.testing.assert_allclose(b, x_np * x_np, **F64)
        np.testing.assert_allclose(c, 2 * x_np * w_np * dy_np, **F64)
        np.testing.assert_allclose(d, 2 * x_np * w_np * [1.0, 0.0, 2.0], **F64)
    with pytest.raises(ValueError, match="grad_ys"):
        gf.gradients([y, y], [x], grad_ys=[dy])


def test_gradients_list_ys_are_summed_and_broadcast_undone() -> None:
    x = gf.placeholder(gf.float64, [2, 3], name="x")
    b = gf.placeholder(gf.float64, [3], name="b")
    y1 = gf.reduce_sum(x * b)
    y2 = gf.reduce_sum(gf.exp(b))
    gx, gb = gf.gradients([y1, y2], [x, b])
    assert gx.shape.as_list() == [2, 3] and gb.shape.as_list() == [3]
    x_np = np.arange(6.0).reshape(2, 3)
    b_np = np.array([0.1, 0.2, 0.3])
    vx, vb = _run([gx, gb], {x: x_np, b: b_np})
    np.testing.assert_allclose(vx, np.broadcast_to(b_np, (2, 3)), **F64)
    np.testing.assert_allclose(vb, x_np.sum(0) + np.exp(b_np), **F64)


def test_a_run_time_batch_dim_needs_no_sum_where_nothing_can_broadcast_it() -> None:
    """x [None, 3] + b [3]: x alone sets the batch dim, so its gradient is the incoming one (no
    SumTo node, which would keep the bias add out of the activation's loop); x + z with z also
    [None, 3] may broadcast either, so their gradients keep their SumTo, and sum when it happens."""
    x = gf.placeholder(gf.float64, [None, 3])
    z = gf.placeholder(gf.float64, [None, 3])
    b = gf.placeholder(gf.float64, [3])
    (gx,) = gf.gradients(gf.reduce_sum(gf.sigmoid(x + b)), [x])
    assert gx.op.type != "SumTo" and gx.op.inputs[0].op.type != "SumTo"

    def sums(t: gf.Tensor) -> int:
        seen, todo, n = set(), [t.op], 0
        while todo:
            op = todo.pop()
            if id(op) not in seen:
                seen.add(id(op))
                n += op.type == "SumTo"
                todo += [i.op for i in op.inputs]
        return n
    gx2, gz = gf.gradients(gf.reduce_sum((x + z) * b), [x, z])
    assert sums(gx) == 0 and sums(gx2) == 1 and sums(gz) == 1
    xv, zv, bv = np.ones((1, 3)), np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])
    vx, vz = _run([gx2, gz], {x: xv, z: zv, b: bv})
    np.testing.assert_allclose(vx, [[2.0, 4.0, 6.0]], **F64)
    np.testing.assert_allclose(vz, np.broadcast_to(bv, (2, 3)), **F64)
    s = 1 / (1 + np.exp(-(zv + bv)))
    np.testing.assert_allclose(_run(gx, {x: zv, b: bv}), s * (1 - s), **F64)


def test_stop_gradients_and_stop_gradient_op() -> None:
    x = gf.placeholder(gf.float64, [], name="x")
    a = x * 2.0
    b = a * x  # 2 x^2
    (g_all,) = gf.gradients(b, [x])
    (g_stop,) = gf.gradients(b, [x], stop_gradients=[a])  # a treated as a constant: d/dx = a
    (g_op,) = gf.gradients(gf.stop_gradient(a) * x, [x])
    assert gf.gradients(gf.stop_gradient(x) * 3.0, [x]) == [None]
    vals = _run([g_all, g_stop, g_op], {x: 3.0})
    np.testing.assert_allclose(vals, [12.0, 6.0, 6.0], **F64)


def test_gradients_of_gradients() -> None:
    x = gf.placeholder(gf.float64, [2], name="x")
    y = gf.reduce_sum(x ** 3 + gf.sin(x))
    (g,) = gf.gradients(y, [x])
    (h,) = gf.gradients(g, [x])  # diagonal of the Hessian (summed over g's entries)
    (t,) = gf.gradients(gf.reduce_sum(h), [x])
    (hess,) = gf.hessians(y, [x])
    x_np = np.array([0.5, -1.5])
    vg, vh, vt, vhess = _run([g, h, t, hess], {x: x_np}, device="cpu")
    np.testing.assert_allclose(vg, 3 * x_np ** 2 + np.cos(x_np), **F64)
    np.testing.assert_allclose(vh, 6 * x_np - np.sin(x_np), **F64)
    np.testing.assert_allclose(vt, 6 - np.cos(x_np), **F64)
    np.testing.assert_allclose(vhess, np.diag(6 * x_np - np.sin(x_np)), **F64)


def test_no_gradient_ops_give_none_and_integer_inputs_are_skipped() -> None:
    x = gf.placeholder(gf.float32, [3], name="x")
    assert gf.gradients(gf.cast(gf.argmax(x, 0), gf.float32), [x]) == [None]
    assert gf.gradients(gf.cast(x > 0.0, gf.float32), [x]) == [None]


def test_op_without_gradient_rule_raises_lookup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # a test-only copy of SIN's row without its gradient rule
    monkeypatch.setitem(registry._ROWS, Op.SIN, dataclasses.replace(registry.get(Op.SIN), vjp=None))
    x = gf.placeholder(gf.float32, [2], name="x")
    y = gf.sin(x, name="no_grad_here")  # MARK_NO_GRAD
    loss = gf.reduce_sum(y * 2.0)
    with pytest.raises(LookupError) as e:
        gf.gradients(loss, [x])
    msg = str(e.value)
    assert "Sin" in msg and "no_grad_here" in msg, msg
    assert f"test_gradients_api.py:{_line_of('MARK_NO_GRAD')}" in msg, msg
    # the op off the path between ys and xs does not matter; stop_gradient avoids it
    assert gf.gradients(gf.reduce_sum(gf.stop_gradient(y) + x), [x])[0] is not None


def test_custom_gradient() -> None:
    @gf.custom_gradient
    def clipped_identity(v: gf.Tensor) -> tuple[gf.Tensor, object]:
        def grad(dy: gf.Tensor) -> gf.Tensor:
            return gf.clip_by_value(dy, -1.0, 1.0)
        return gf.identity(v), grad

    @gf.custom_gradient
    def scaled_product(a: gf.Tensor, b: gf.Tensor) -> tuple[gf.Tensor, object]:
        def grad(dy: gf.Tensor) -> tuple[gf.Tensor, gf.Tensor]:
            return dy * b * 10.0, dy * a * 100.0
        return a * b, grad

    x = gf.placeholder(gf.float64, [3], name="x")
    z = gf.placeholder(gf.float64, [3], name="z")
    y = clipped_identity(x)
    (gx,) = gf.gradients(gf.reduce_sum(y * 5.0), [x])
    ga, gb = gf.gradients(gf.reduce_sum(scaled_product(x, z)), [x, z])
    x_np, z_np = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    for device in ("reference", "cpu"):
        vy, vgx, vga, vgb = _run([y, gx, ga, gb], {x: x_np, z: z_np}, device)
        np.testing.assert_allclose(vy, x_np, **F64)
        np.testing.assert_allclose(vgx, np.ones(3), **F64)  # 5 clipped to 1
        np.testing.assert_allclose(vga, 10 * z_np, **F64)
        np.testing.assert_allclose(vgb, 100 * x_np, **F64)


def test_compute_gradient_and_error() -> None:
    x = gf.placeholder(gf.float64, [2, 3], name="x")
    y = gf.reduce_sum(gf.tanh(x) * x, axis=1)
    x0 = np.array([[0.1, -0.4, 0.7], [1.0, 0.3, -0.2]])
    with gf.Session(device="reference"):
        theoretical, numerical = gf.test.compute_gradient(x, [2, 3], y, [2], x_init_value=x0, delta=1e-6)
        err = gf.test.compute_gradient_error(x, [2, 3], y, [2], x_init_value=x0, delta=1e-6)
    assert theoretical.shape == numerical.shape == (6, 2)
    d = (np.tanh(x0) + x0 * (1 - np.tanh(x0) ** 2)).reshape(-1)
    expected = np.zeros((6, 2))
    expected[:3, 0] = d[:3]
    expected[3:, 1] = d[3:]
    np.testing.assert_allclose(theoretical, expected, **F64)
    np.testing.assert_allclose(numerical, expected, **GRAD)
    assert err < 1e-6
    # a wrong gradient is caught
    @gf.custom_gradient
    def bad(v: gf.Tensor) -> tuple[gf.Tensor, object]:
        return v * v, lambda dy: dy * v  # should be 2 v dy

    p = gf.placeholder(gf.float64, [3], name="p")
    with gf.Session(device="reference"):
        assert gf.test.compute_gradient_error(p, [3], bad(p), [3], x_init_value=np.array([1.0, 2.0, 3.0])) > 0.5


def test_a_reduction_over_every_dim_of_an_unknown_rank_input_has_a_gradient() -> None:
    """x = tf.placeholder("float") (no shape), as TF1's linear-regression tutorial writes it:
    reduce_sum / reduce_mean / reduce_max over every dim differentiate and train, fed a scalar
    or a vector."""
    x = gf.placeholder(gf.float64)
    y = gf.placeholder(gf.float64)
    w = gf.Variable(0.3, dtype=gf.float64)
    err = x * w - y
    losses = [gf.reduce_sum(gf.square(err)), gf.reduce_mean(gf.square(err)), gf.reduce_max(gf.abs(err))]
    grads = [gf.gradients(loss, [w])[0] for loss in losses]
    xs, ys = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 2.0])
    for xv, yv in ((xs, ys), (2.0, 1.0)):
        e = np.asarray(xv) * 0.3 - yv
        want = [np.sum(2 * e * xv), np.mean(2 * e * np.asarray(xv)),
                np.sign(e.flat[np.argmax(np.abs(e))]) * np.asarray(xv).flat[np.argmax(np.abs(e))]]
        for device in ("cpu", "reference"):
            with gf.Session(device=device) as sess:
                sess.run(gf.global_variables_initializer())
                np.testing.assert_allclose(sess.run(grads, {x: xv, y: yv}), want, **F64)
    train = gf.train.GradientDescentOptimizer(0.1).minimize(losses[1])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        for _ in range(200):
            sess.run(train, {x: xs, y: xs * 0.7})
        np.testing.assert_allclose(sess.run(w), 0.7, rtol=1e-6)


def test_a_reduction_over_chosen_axes_of_an_unknown_rank_input_has_a_gradient() -> None:
    """reduce_mean(..., axis=1) and reduce_max(..., axis=0) of a shapeless placeholder's values:
    the gradient's keepdims form is resolved when the program is specialised for the fed rank, so
    feeds of rank 2 and 3 both differentiate, on both executors."""
    x = gf.placeholder(gf.float64)
    w = gf.Variable(np.float64(0.5))
    y = x * w
    losses = [gf.reduce_sum(gf.reduce_mean(gf.square(y), axis=1)), gf.reduce_sum(gf.reduce_max(y, axis=0)),
              gf.reduce_sum(gf.reduce_sum(y, axis=[0, -1], keepdims=False) * 3.0)]
    grads = [gf.gradients(loss, [w, x]) for loss in losses]
    for xv in (np.arange(6.0).reshape(2, 3) - 2, np.arange(24.0).reshape(2, 3, 4) - 7):
        yv = xv * 0.5
        am = np.argmax(yv, axis=0)
        onehot = (np.arange(xv.shape[0]).reshape((-1,) + (1,) * (xv.ndim - 1)) == am).astype(float)
        want = [(np.sum(2 * yv * xv / xv.shape[1]), 2 * yv * 0.5 / xv.shape[1]),
                (np.sum(onehot * xv), onehot * 0.5),
                (3.0 * xv.sum(), np.full(xv.shape, 1.5))]
        for device in ("cpu", "reference"):
            with gf.Session(device=device) as sess:
                sess.run(gf.global_variables_initializer())
                got = sess.run(grads, {x: xv})
            for (gw, gx), (ww, wx) in zip(got, want):
                np.testing.assert_allclose(gw, ww, **F64)
                np.testing.assert_allclose(gx, wx, **F64)
