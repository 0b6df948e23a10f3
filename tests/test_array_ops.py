"""Data movement ops against numpy on every target, plus float64 gradient checks."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run

rs = np.random.RandomState(0)
A = rs.standard_normal((2, 3)).astype(np.float32)
B = rs.standard_normal((2, 2)).astype(np.float32)
C = rs.standard_normal((3, 4, 2)).astype(np.float32)


@pytest.mark.parametrize("device", TARGETS)
def test_concat(device):
    check_op(lambda a, b: [gf.concat([a, b], 1), gf.concat([a, a], -2)],
             lambda a, b: [np.concatenate([a, b], 1), np.concatenate([a, a], 0)], [A, B], device)


@pytest.mark.parametrize("device", TARGETS)
def test_concat_dynamic_dims(device):
    check_op(lambda a, b: gf.concat([a, b], 0),
             lambda a, b: np.concatenate([a, b], 0), [A, A[:1]], device, feed_shapes=[(None, 3), (None, 3)])


def test_concat_shape_errors():
    with pytest.raises(ValueError):
        gf.concat([gf.zeros((2, 3)), gf.zeros((3, 3))], 1)
    with pytest.raises(ValueError):
        gf.concat([gf.zeros((2, 3)), gf.zeros((2, 3))], 2)


@pytest.mark.parametrize("device", TARGETS)
def test_stack_unstack_split(device):
    def fn(c):
        parts = gf.unstack(c, axis=1)
        s = gf.split(c, [1, -1], axis=0)
        e = gf.split(c, 2, axis=-1)
        return [gf.stack([c[0], c[1]], axis=1), gf.stack(parts, axis=-1), *parts[:2], *s, *e]

    def want(c):
        parts = [c[:, i] for i in range(4)]
        return [np.stack([c[0], c[1]], 1), np.stack(parts, -1), *parts[:2], c[:1], c[1:], c[..., :1], c[..., 1:]]
    check_op(fn, want, [C], device)


def test_stack_scalars_and_errors():
    got = run(gf.stack([gf.constant(1.0), gf.constant(2.0)]), device="reference")
    np.testing.assert_array_equal(got, [1.0, 2.0])
    with pytest.raises(ValueError):
        gf.split(gf.zeros((5,)), 2)
    with pytest.raises(ValueError):
        gf.unstack(gf.zeros((3,)), num=2)


@pytest.mark.parametrize("device", TARGETS)
def test_tile_pad(device):
    check_op(lambda a: [gf.tile(a, [2, 3]), gf.pad(a, [[1, 0], [2, 1]], constant_values=5)],
             lambda a: [np.tile(a, (2, 3)), np.pad(a, [(1, 0), (2, 1)], constant_values=5)], [A], device)


@pytest.mark.parametrize("device", TARGETS)
def test_gather(device):
    idx = np.array([[1, 0], [0, 1]], np.int32)
    check_op(lambda c, i: [gf.gather(c, i), gf.gather(c, i, axis=-1), gf.gather(c, i[0, 0], axis=1)],
             lambda c, i: [np.take(c, i, 0), np.take(c, i, -1), np.take(c, i[0, 0], 1)], [C, idx], device)


@pytest.mark.parametrize("device", TARGETS)
def test_gather_out_of_range_raises(device):
    p = gf.placeholder(gf.float32, (3, 2))
    i = gf.placeholder(gf.int32, (None,))
    y = gf.gather(p, i, name="my_gather")
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_gather"):
            sess.run(y, {p: np.zeros((3, 2)), i: [0, 3]})
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_gather"):
            sess.run(y, {p: np.zeros((3, 2)), i: [-1]})


@pytest.mark.parametrize("device", TARGETS)
def test_gather_nd(device):
    idx = np.array([[2, 0], [1, 3], [0, 1]], np.int64)
    full = np.array([[0, 1, 1], [2, 3, 0]], np.int32)
    check_op(lambda c, i, f: [gf.gather_nd(c, i), gf.gather_nd(c, f)],
             lambda c, i, f: [c[i[:, 0], i[:, 1]], c[f[:, 0], f[:, 1], f[:, 2]]], [C, idx, full], device)


@pytest.mark.parametrize("device", TARGETS)
def test_one_hot(device):
    idx = np.array([[0, 2, 5], [-1, 1, 3]], np.int32)  # 5 and -1 are out of range: all off

    def want(i, axis, on, off, dtype):
        h = np.expand_dims(i, axis) == np.arange(4).reshape([-1 if j == axis % 3 else 1 for j in range(3)])
        return np.where(h, on, off).astype(dtype)
    check_op(lambda i: [gf.one_hot(i, 4), gf.one_hot(i, 4, on_value=7, off_value=-1, axis=0, dtype=gf.int32)],
             lambda i: [want(i, -1, 1, 0, np.float32), want(i, 0, 7, -1, np.int32)], [idx], device)


@pytest.mark.parametrize("device", TARGETS)
def test_boolean_mask(device):
    m1 = np.array([True, False, True])
    m2 = np.array([[True, False, False, True]] * 2 + [[False] * 4])
    check_op(lambda c, a, b: [gf.boolean_mask(c, a), gf.boolean_mask(c, b)],
             lambda c, a, b: [c[a], c[b]], [C, m1, m2], device)


def test_boolean_mask_empty_cpu():
    check_op(lambda c, a: gf.boolean_mask(c, a), lambda c, a: c[a], [C, np.zeros(3, bool)], "cpu")


@pytest.mark.parametrize("device", TARGETS)
def test_getitem(device):
    def fn(c):
        return [c[1], c[-1, 1:3], c[::-1, ::2], c[..., 0], c[:, None, -2::-2, gf.newaxis],
                c[1:, ..., 1], c[-5:10:1, 3:0:-1], c[0, 0, 1], c[None]]

    def want(c):
        return [c[1], c[-1, 1:3], c[::-1, ::2], c[..., 0], c[:, None, -2::-2, None],
                c[1:, ..., 1], c[-5:10:1, 3:0:-1], c[0, 0, 1], c[None]]
    check_op(fn, want, [C], device)


@pytest.mark.parametrize("device", TARGETS)
def test_getitem_dynamic(device):
    check_op(lambda c: [c[1:, ::-2], c[-1]], lambda c: [c[1:, ::-2], c[-1]], [C], device,
             feed_shapes=[(None, None, 2)])


def test_getitem_errors():
    x = gf.zeros((3, 4))
    with pytest.raises(ValueError):
        x[3]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(ValueError):
        x[::0]


# ---- gradients (float64) --------------------------------------------------------------------------

G = rs.standard_normal((3, 4)).astype(np.float64)


def test_grad_concat_stack_split():
    check_gradient(lambda a, b: gf.concat([a, b * 2.0, a], 1), [G, G[:, :2]])
    check_gradient(lambda a: gf.concat(gf.split(a, [1, 3], axis=1)[::-1], 1), [G])
    check_gradient(lambda a: gf.stack(gf.unstack(a)[::-1], 1), [G])


def test_grad_slice_pad_tile():
    check_gradient(lambda a: a[::-2, 1:] * 3.0, [G])
    check_gradient(lambda a: gf.pad(a, [[1, 2], [0, 1]], constant_values=1.0), [G])
    check_gradient(lambda a: gf.tile(a, [2, 1]), [G])


def test_grad_gather():
    idx = np.array([[0, 2], [2, 2]], np.int32)
    check_gradient(lambda a: gf.gather(a, idx, axis=0), [G])
    check_gradient(lambda a: gf.gather(a, idx, axis=1), [G])
    check_gradient(lambda a: gf.gather_nd(a, np.array([[0, 1], [2, 3], [0, 1]], np.int32)), [G])


def test_grad_boolean_mask():
    m = np.array([True, False, True])

    def fn(a):
        y = gf.boolean_mask(a, m) * 2.0
        y.set_shape([2, 4])  # the masked count is data-dependent; the check needs a static shape
        return y
    check_gradient(fn, [G])


@pytest.mark.parametrize("device", TARGETS)
def test_grad_concat_dynamic_axis(device):
    # sizes along the concat axis known only at run time: the gradient slices use run-time offsets
    a = gf.placeholder(gf.float64, (None, 3))
    b = gf.placeholder(gf.float64, (None, 3))
    w = gf.constant(np.arange(15.0).reshape(5, 3))
    ga, gb = gf.gradients(gf.reduce_sum(gf.concat([a, b], 0) * w), [a, b])
    got = run([ga, gb], {a: np.ones((2, 3)), b: np.ones((3, 3))}, device)
    np.testing.assert_array_equal(got[0], w.node.attrs.value[:2])
    np.testing.assert_array_equal(got[1], w.node.attrs.value[2:])


@pytest.mark.parametrize("device", TARGETS)
def test_int_bool_and_variables(device):
    v = gf.Variable(np.arange(6, dtype=np.int32).reshape(2, 3))
    m = gf.constant([True, False])
    x = gf.constant([[True, False], [False, True]])
    outs = run([v[:, ::-1], gf.concat([v, v], 0), gf.boolean_mask(v, m), gf.tile(x, [1, 2]),
                gf.pad(x, [[0, 1], [0, 0]]), gf.gather(v, [1, 0]), [t for t in v.value()]], device=device)
    ref = np.arange(6).reshape(2, 3)
    xb = np.array([[True, False], [False, True]])
    for g, w in zip(outs[:6], [ref[:, ::-1], np.concatenate([ref, ref]), ref[[True, False]],
                                np.tile(xb, (1, 2)), np.pad(xb, [(0, 1), (0, 0)]), ref[[1, 0]]]):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(outs[6], list(ref))


@pytest.mark.parametrize("device", TARGETS)
def test_run_time_errors_name_the_node(device):
    p = gf.placeholder(gf.float32, (3, 2))
    i = gf.placeholder(gf.int32, (None, 2))
    m = gf.placeholder(gf.bool, (None,))
    nd = gf.gather_nd(p, i, name="my_gather_nd")
    bm = gf.boolean_mask(p, m, name="my_mask")
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_gather_nd"):
            sess.run(nd, {p: np.zeros((3, 2)), i: [[0, 2]]})
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_mask"):
            sess.run(bm, {p: np.zeros((3, 2)), m: [True, False]})


@pytest.mark.parametrize("device", TARGETS)
def test_getitem_tensor_indices(device):
    c = gf.placeholder(gf.float64, (3, 4, 2))
    i = gf.placeholder(gf.int32, ())
    j = gf.placeholder(gf.int64, ())
    y = c[i, j:, 1]
    (g,) = gf.gradients(gf.reduce_sum(y * 2.0), [c])
    cv = C.astype(np.float64)
    with gf.Session(device=device) as sess:
        for iv, jv in [(1, 2), (-1, -3), (0, 5)]:
            got, gv = sess.run([y, g], {c: cv, i: iv, j: jv})
            np.testing.assert_array_equal(got, cv[iv, jv:, 1])
            want = np.zeros_like(cv)
            want[iv, jv:, 1] = 2.0
            np.testing.assert_array_equal(gv, want)
        with pytest.raises(gf.errors.InvalidArgumentError, match="strided_slice"):
            sess.run(y, {c: cv, i: 3, j: 0})


def test_defaults_follow_tf1():
    assert gf.one_hot([1], 3, on_value=5).dtype == gf.int32
    assert gf.one_hot([1], 3).dtype == gf.float32
    assert gf.one_hot([1], 3, on_value=1.0, off_value=0.0, dtype=gf.float64).dtype == gf.float64
    assert gf.gather(gf.zeros((4, 2)), [1], axis=None).shape.as_list() == [1, 2]
    with pytest.raises(TypeError):
        gf.gather(gf.zeros((4, 2)), [1.0])
    with pytest.raises(TypeError):
        gf.boolean_mask(gf.zeros((4, 2)), gf.constant([1, 0, 1, 0]))


def _np_cumsum(x: np.ndarray, axis: int, exclusive: bool, reverse: bool) -> np.ndarray:
    xx = np.flip(x, axis) if reverse else x
    c = np.cumsum(xx, axis=axis)
    c = c - xx if exclusive else c
    return (np.flip(c, axis) if reverse else c).astype(x.dtype)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("axis,exclusive,reverse", [(0, False, False), (1, True, False), (-1, False, True),
                                                    (1, True, True)])
def test_cumsum(axis: int, exclusive: bool, reverse: bool, device: str) -> None:
    x = np.random.RandomState(0).randn(3, 4, 2).astype(np.float32)
    check_op(lambda a: gf.cumsum(a, axis=axis, exclusive=exclusive, reverse=reverse),
             lambda a: _np_cumsum(a, axis, exclusive, reverse), [x], device)
    check_gradient(lambda a: gf.cumsum(a, axis=axis, exclusive=exclusive, reverse=reverse), [x])


@pytest.mark.parametrize("device", TARGETS)
def test_eye_diag_diag_part_trace_and_matrix_transpose(device: str) -> None:
    m = np.random.RandomState(1).randn(2, 3, 3)
    v = np.array([1.5, -2.0, 0.5])
    check_op(lambda a, b: [gf.diag_part(a), gf.trace(a), gf.matrix_transpose(a), gf.diag(b),
                           gf.eye(2, 3, dtype=gf.float64) + 0 * b[0], gf.eye(2, batch_shape=[2]) + 0],
             lambda a, b: [np.diagonal(a, axis1=-2, axis2=-1), np.trace(a, axis1=-2, axis2=-1),
                           np.swapaxes(a, -1, -2), np.diag(b), np.eye(2, 3),
                           np.broadcast_to(np.eye(2, dtype=np.float32), (2, 2, 2))], [m, v], device)
    check_gradient(lambda a: gf.diag_part(a), [m])
    check_gradient(lambda a: gf.trace(a) * 2.0, [m])
    check_gradient(lambda b: gf.diag(b), [v])
    with pytest.raises(ValueError, match="last two dims"):
        gf.trace(gf.placeholder(gf.float32, (None, 3)))


@pytest.mark.parametrize("device", TARGETS)
def test_top_k_and_in_top_k(device: str) -> None:
    """Values and indices of the k largest (ties: lower index first), over leading dims; in_top_k
    counts classes tied with the target as in (TF1)."""
    x = np.array([[[1, 3, 2, 3, 0], [5, 4, 3, 2, 6]], [[0, 0, 0, 1, 0], [2, 2, 2, 2, 2]]], np.float32)

    def want(a: np.ndarray) -> list[np.ndarray]:
        idx = np.argsort(-a, axis=-1, kind="stable")[..., :3].astype(np.int32)
        return [np.take_along_axis(a, idx, -1), idx]
    check_op(lambda a: list(gf.nn.top_k(a, 3)), want, [x], device)
    check_gradient(lambda a: gf.nn.top_k(a, 2)[0] * 1.5, [np.random.RandomState(2).randn(3, 4)])
    p = np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.0, 0.3, 0.3]], np.float32)
    got = run(gf.nn.in_top_k(gf.constant(p), gf.constant([2, 3]), 1), device=device)
    np.testing.assert_array_equal(got, [True, False])  # 0.5 ties the top; 0.3 has 0.9 above it
    with pytest.raises(ValueError, match="k=6"):
        gf.nn.top_k(gf.constant(x), 6)
    # infinities in a row (beam search's -inf scores) are values like any other: none reads NaN
    big = np.finfo(np.float32).max
    inf = np.array([[-np.inf, 1, -np.inf, -big, np.inf], [2, -np.inf, 0, 1, -1]], np.float32)
    values, indices = run(list(gf.nn.top_k(gf.constant(inf), 4)), device=device)
    np.testing.assert_array_equal(values, [[np.inf, 1, -big, -np.inf], [2, 1, 0, -1]])
    np.testing.assert_array_equal(indices, [[4, 1, 3, 0], [0, 3, 2, 4]])
