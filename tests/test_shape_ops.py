"""Shape ops (reshape, transpose, expand_dims, squeeze, shape, size) and cast, identity,
stop_gradient: compiled and reference against numpy, static shapes, and float64 gradient checks."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.test_math_ops import sample

ALL_DTYPES = ("float32", "float64", "int32", "int64", "bool")


# ---- reshape -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_reshape(dtype: str, device: str) -> None:
    x = sample("bool" if dtype == "bool" else "real", (2, 3, 4), dtype)
    shapes = [[6, 4], [-1], [4, -1], [2, 3, 2, 2], [24, 1], (3, 8)]
    check_op(lambda t: [gf.reshape(t, s) for s in shapes], lambda a: [a.reshape(s) for s in shapes], [x], device)


@pytest.mark.parametrize("device", TARGETS)
def test_reshape_unknown_dims(device: str) -> None:
    x = sample("real", (3, 2, 4), "float32")
    y = sample("real", (6, 4), "float32", seed=1)
    check_op(lambda t, u: [gf.reshape(t, [-1, 4]), gf.reshape(t, [-1]), gf.reshape(u, gf.shape(t)),
                           gf.reshape(t, [-1, 2, 2])],
             lambda a, b: [a.reshape(-1, 4), a.reshape(-1), b.reshape(a.shape), a.reshape(-1, 2, 2)],
             [x, y], device, feed_shapes=[(None, 2, None), (None, 4)])


def test_reshape_static_shapes() -> None:
    x = gf.placeholder(gf.float32, (None, 3, 4))
    assert gf.reshape(x, [-1, 12]).shape.as_list() == [None, 12]
    assert gf.reshape(gf.zeros((2, 3, 4)), [4, -1]).shape.as_list() == [4, 6]
    assert gf.reshape(gf.zeros((1, 1)), []).shape.as_list() == []
    assert gf.reshape(x, gf.constant([-1, 6])).shape.as_list() == [None, 6]
    assert gf.reshape(x, gf.shape(gf.zeros((4, 3))) * [1, 1]).shape.as_list() == [4, 3]
    assert gf.reshape(x, gf.placeholder(gf.int32, (2,))).shape.as_list() == [None, None]
    with pytest.raises(TypeError, match="static length"):
        gf.reshape(x, gf.placeholder(gf.int32, (None,)))
    with pytest.raises(ValueError, match="more than one -1"):
        gf.reshape(x, [-1, -1])
    with pytest.raises(ValueError, match="6 elements"):
        gf.reshape(gf.zeros((2, 3)), [4, -1])
    with pytest.raises(ValueError):
        gf.reshape(gf.zeros((2, 3)), [5])


@pytest.mark.parametrize("device", TARGETS)
def test_reshape_to_shapes_computed_at_run_time(device: str) -> None:
    """TF1's batch-sized reshapes: entries computed from shape tensors, whole shape tensors, a
    fed shape, a run-time -1; static where TF1 knows the dim; gradients flow to x."""
    x = gf.placeholder(gf.float64, (None, 6))
    shp = gf.placeholder(gf.int32, (3,))
    a = gf.reshape(x, [gf.shape(x)[0] * 2, -1])
    b = gf.reshape(x, gf.stack([gf.shape(x)[0] * 3, 2]))
    c = gf.reshape(x, gf.shape(x)[::-1])
    d = gf.reshape(x, shp)
    assert b.shape.as_list() == [None, 2] and d.shape.as_list() == [None, None, None]
    v = np.arange(12.0).reshape(2, 6)
    got = run([a, b, c, d], {x: v, shp: [-1, 3, 2]}, device)
    for g, want in zip(got, [v.reshape(4, 3), v.reshape(6, 2), v.reshape(6, 2), v.reshape(2, 3, 2)]):
        np.testing.assert_array_equal(g, want)
    with pytest.raises(gf.errors.InvalidArgumentError, match="-1|elements"):
        run(d, {x: v, shp: [-1, -1, 2]}, device)
    (g,) = gf.gradients(gf.reduce_sum(a * a) + gf.reduce_sum(d), [x])
    np.testing.assert_allclose(run(g, {x: v, shp: [3, 2, 2]}, device), 2 * v + 1)


@pytest.mark.parametrize("device", TARGETS)
def test_ops_on_unknown_rank_inputs_are_built_for_the_fed_rank(device: str) -> None:
    """A shapeless placeholder through ops that need a rank (transpose without perm, indexing,
    concat, squeeze, cross-entropies, moments...) trains like a shaped one (DEFERRED nodes)."""
    x = gf.placeholder(gf.float32)
    lab = gf.placeholder(gf.float32)
    ilab = gf.placeholder(gf.int32)
    w = gf.Variable(1.5)
    z = x * w
    loss = (gf.reduce_sum(gf.transpose(z)[1:] * 2.0)
            + gf.reduce_mean(gf.nn.softmax_cross_entropy_with_logits_v2(labels=lab, logits=z))
            + gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=ilab, logits=z))
            + gf.reduce_sum(gf.squeeze(gf.expand_dims(z, 0))) + gf.reduce_sum(gf.concat([z, z[:1]], 0))
            + gf.reduce_sum(gf.nn.moments(z, [0])[1]) + gf.reduce_sum(gf.tile(z, [1, 2]))
            + gf.reduce_sum(gf.gather(z, [0, 2])))
    (gw,) = gf.gradients(loss, [w])
    xv = np.random.RandomState(0).rand(3, 4).astype(np.float32)
    lv = np.eye(4, dtype=np.float32)[[0, 1, 2]]
    feeds = {x: xv, lab: lv, ilab: [0, 1, 2]}
    with gf.Graph().as_default():  # the same computation with static shapes
        xs, ls, ils = gf.constant(xv), gf.constant(lv), gf.constant([0, 1, 2])
        ws = gf.Variable(1.5)
        zs = xs * ws
        ref = (gf.reduce_sum(gf.transpose(zs)[1:] * 2.0)
               + gf.reduce_mean(gf.nn.softmax_cross_entropy_with_logits_v2(labels=ls, logits=zs))
               + gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=ils, logits=zs))
               + gf.reduce_sum(gf.squeeze(gf.expand_dims(zs, 0))) + gf.reduce_sum(gf.concat([zs, zs[:1]], 0))
               + gf.reduce_sum(gf.nn.moments(zs, [0])[1]) + gf.reduce_sum(gf.tile(zs, [1, 2]))
               + gf.reduce_sum(gf.gather(zs, [0, 2])))
        want = run([ref, gf.gradients(ref, [ws])[0]], None, device)
    got = run([loss, gw], feeds, device)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert loss.shape.rank == 0 or loss.shape.rank is None


def test_reshape_runtime_mismatch_raises() -> None:
    x = gf.placeholder(gf.float32, (None, 3))
    with pytest.raises(gf.errors.InvalidArgumentError):
        run(gf.reshape(x, [4, 2]), {x: np.zeros((3, 3), np.float32)})


@pytest.mark.parametrize("device", TARGETS)
def test_reshape_scalar_roundtrip(device: str) -> None:
    s = np.array(2.5, dtype=np.float64)
    check_op(lambda t: [gf.reshape(t, [1, 1]), gf.reshape(gf.reshape(t, [1]), [])],
             lambda a: [a.reshape(1, 1), a.reshape(())], [s], device)


# ---- transpose, expand_dims, squeeze ------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_transpose(dtype: str, device: str) -> None:
    x = sample("bool" if dtype == "bool" else "real", (2, 3, 4), dtype)
    perms = [None, [0, 2, 1], [2, 0, 1], [1, 0, 2], [0, 1, 2]]
    check_op(lambda t: [gf.transpose(t, p) for p in perms], lambda a: [np.transpose(a, p) for p in perms],
             [x], device)


@pytest.mark.parametrize("device", TARGETS)
def test_transpose_unknown_dims(device: str) -> None:
    x = sample("real", (3, 2, 4), "float32")
    check_op(lambda t: [gf.transpose(t), gf.transpose(t, [1, 2, 0])],
             lambda a: [a.T, np.transpose(a, [1, 2, 0])], [x], device, feed_shapes=[(None, 2, None)])
    assert gf.transpose(gf.placeholder(gf.float32, (None, 2, 5)), [2, 0, 1]).shape.as_list() == [5, None, 2]
    with pytest.raises(ValueError, match="permutation"):
        gf.transpose(gf.zeros((2, 3)), [0, 0])


@pytest.mark.parametrize("device", TARGETS)
def test_expand_dims_and_squeeze(device: str) -> None:
    x = sample("real", (2, 1, 3), "float32")
    check_op(lambda t: [gf.expand_dims(t, 0), gf.expand_dims(t, -1), gf.expand_dims(t, 2), gf.expand_dims(t, -4),
                        gf.squeeze(t), gf.squeeze(t, 1), gf.squeeze(t, [-2]), gf.squeeze(gf.expand_dims(t, 0))],
             lambda a: [a[None], a[..., None], np.expand_dims(a, 2), np.expand_dims(a, -4),
                        np.squeeze(a), np.squeeze(a, 1), np.squeeze(a, -2), np.squeeze(a)],
             [x], device)


@pytest.mark.parametrize("device", TARGETS)
def test_expand_dims_and_squeeze_unknown_dims(device: str) -> None:
    x = sample("real", (4, 1, 3), "int32")
    check_op(lambda t: [gf.expand_dims(t, 1), gf.squeeze(t, axis=1), gf.squeeze(t, squeeze_dims=[1])],
             lambda a: [a[:, None], a[:, 0], a[:, 0]], [x], device, feed_shapes=[(None, 1, None)])


def test_expand_dims_and_squeeze_errors() -> None:
    x = gf.zeros((2, 3))
    with pytest.raises(ValueError, match="out of range"):
        gf.expand_dims(x, 3)
    with pytest.raises(ValueError, match="not 1"):
        gf.squeeze(x, 0)
    with pytest.raises(ValueError, match="out of range"):
        gf.squeeze(x, 2)


def test_squeeze_unknown_dim_fed_wrong_raises() -> None:
    x = gf.placeholder(gf.float32, (None, 3))
    with pytest.raises(gf.errors.InvalidArgumentError):
        run(gf.squeeze(x, 0), {x: np.zeros((2, 3), np.float32)})


RELAYOUTS = [  # differentiable pure re-layouts: (name, fn, input shape)
    pytest.param(lambda t: gf.reshape(t, [3, -1]), (2, 3, 2), id="reshape"),
    pytest.param(lambda t: gf.transpose(t, [2, 0, 1]), (2, 3, 2), id="transpose"),
    pytest.param(lambda t: gf.transpose(t), (2, 3), id="transpose_default"),
    pytest.param(lambda t: gf.expand_dims(t, -2), (2, 3), id="expand_dims"),
    pytest.param(lambda t: gf.squeeze(t, [0, 2]), (1, 3, 1, 2), id="squeeze"),
    pytest.param(lambda t: gf.identity(t) * t, (2, 3), id="identity"),
]


@pytest.mark.parametrize("fn,shape", RELAYOUTS)
def test_relayout_gradient(fn: Any, shape: tuple) -> None:
    check_gradient(fn, [sample("real", shape, "float64", seed=2)])


def test_reshape_gradient_with_unknown_dims() -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    w = np.arange(6.0).reshape(3, 2)
    (g,) = gf.gradients(gf.reduce_sum(gf.reshape(x, [-1, 2]) * w), [x])
    np.testing.assert_allclose(run(g, {x: np.ones((2, 3))}), w.reshape(2, 3))


# ---- shape and size ------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_shape_and_size(device: str) -> None:
    x = sample("real", (3, 2, 4), "float32")
    check_op(lambda t: [gf.shape(t), gf.size(t), gf.shape(t, out_type=gf.int64), gf.size(t, out_type=gf.int64),
                        gf.shape(gf.reduce_sum(t)), gf.size(gf.reduce_sum(t))],
             lambda a: [np.array(a.shape, np.int32), np.int32(a.size), np.array(a.shape, np.int64),
                        np.int64(a.size), np.zeros(0, np.int32), np.int32(1)],
             [x], device, feed_shapes=[(None, 2, None)])


def test_shape_and_size_static_info() -> None:
    x = gf.placeholder(gf.float32, (None, 3))
    assert gf.shape(x).dtype == gf.int32 and gf.shape(x).shape.as_list() == [2]
    assert gf.size(x).dtype == gf.int32 and gf.size(x).shape.as_list() == []


# ---- cast, identity, stop_gradient ---------------------------------------------------------------------

CASTS = [("float32", "int32"), ("float64", "int64"), ("float32", "float64"), ("float64", "float32"),
         ("int32", "float32"), ("int64", "int32"), ("int32", "bool"), ("float32", "bool"), ("bool", "float32"),
         ("bool", "int32"), ("int32", "int64")]


@pytest.mark.parametrize("device", TARGETS)
def test_cast(device: str) -> None:
    """Floats truncate toward zero into ints; nonzero is True; True is 1."""
    xs = [sample("bool" if src == "bool" else "real", (2, 3), src, seed=k) * (1 if src == "bool" else 3)
          for k, (src, _) in enumerate(CASTS)]
    xs = [x.astype(src) for x, (src, _) in zip(xs, CASTS, strict=True)]
    check_op(lambda *ts: [gf.cast(t, dst) for t, (_, dst) in zip(ts, CASTS, strict=True)],
             lambda *arrs: [a.astype(dst) for a, (_, dst) in zip(arrs, CASTS, strict=True)], xs, device)


@pytest.mark.parametrize("device", TARGETS)
def test_cast_names_and_exact_truncation(device: str) -> None:
    x = np.array([-2.7, -0.5, 0.0, 0.5, 2.7, 1e-30], dtype=np.float32)
    check_op(lambda t: [gf.cast(t, "int32"), gf.cast(t, np.int64), gf.cast(t, "float"), gf.cast(t, gf.bool),
                        gf.to_float(gf.cast(t, gf.int32))],
             lambda a: [np.array([-2, 0, 0, 0, 2, 0], np.int32), np.array([-2, 0, 0, 0, 2, 0], np.int64), a,
                        a != 0, np.array([-2, 0, 0, 0, 2, 0], np.float32)], [x], device)
    t = gf.constant([1.0])
    assert gf.cast(t, gf.float32) is t


def test_cast_gradient() -> None:
    """float64 -> float32 -> float64 would break central differences, so check the rule exactly: the
    gradient is cast back to the source dtype, and integer sources get none."""
    x = gf.placeholder(gf.float32, (3,))
    w = np.array([1.5, -2.0, 0.25])
    (g,) = gf.gradients(gf.reduce_sum(gf.cast(x, gf.float64) * w), [x])
    got = run(g, {x: np.ones(3, np.float32)})
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, w.astype(np.float32))
    check_gradient(lambda t: gf.cast(t, gf.float64) * t, [sample("real", (2, 3), "float64")])
    i = gf.placeholder(gf.int32, (3,))
    assert gf.gradients(gf.reduce_sum(gf.cast(i, gf.float64)), [i]) == [None]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_identity_and_stop_gradient_values(dtype: str, device: str) -> None:
    x = sample("bool" if dtype == "bool" else "real", (2, 3), dtype)
    check_op(lambda t: [gf.identity(t), gf.stop_gradient(t)], lambda a: [a, a], [x], device)


def test_stop_gradient_blocks_gradient() -> None:
    x = gf.placeholder(gf.float64, (2,))
    y = gf.reduce_sum(x * gf.stop_gradient(x))
    (g,) = gf.gradients(y, [x])
    np.testing.assert_allclose(run(g, {x: np.array([2.0, -3.0])}), [2.0, -3.0])
    assert gf.gradients(gf.reduce_sum(gf.stop_gradient(x)), [x]) == [None]


def test_identity_name() -> None:
    with gf.name_scope("scope"):
        t = gf.identity(gf.constant([1.0]), name="out")
    assert t.name == "scope/out:0"


def test_zeros_ones_fill_and_random_take_shapes_mixing_ints_and_scalar_tensors() -> None:
    """tf.zeros((tf.shape(x)[0], 5)), as TF1 code sizes batch-shaped states: the static shape
    keeps the ints, the run-time one follows the feed, and such states train like any other."""
    x = gf.placeholder(gf.float32, (None, 3))
    n = gf.shape(x)[0]
    z, o, f = gf.zeros((n, 5)), gf.ones([n, 2], dtype=gf.int32), gf.fill([2, n], 7.0)
    r = gf.random_normal([n, 4], seed=1)
    assert [t.shape.as_list() for t in (z, o, f, r)] == [[None, 5], [None, 2], [2, None], [None, 4]]
    w = gf.Variable(np.ones((3, 5), np.float32))
    h = gf.tanh(gf.matmul(x, w) + z)
    train = gf.train.GradientDescentOptimizer(0.1).minimize(gf.reduce_sum(h))
    xv = np.full((4, 3), 0.1, np.float32)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        zv, ov, fv, rv = sess.run([z, o, f, r], {x: xv})
        sess.run(train, {x: xv})
        assert sess.run(w)[0, 0] < 1.0
    np.testing.assert_array_equal(zv, np.zeros((4, 5), np.float32))
    np.testing.assert_array_equal(ov, np.ones((4, 2), np.int32))
    np.testing.assert_array_equal(fv, np.full((2, 4), 7.0, np.float32))
    assert rv.shape == (4, 4) and rv.dtype == np.float32 and 0.2 < rv.std() < 3
    with pytest.raises(ValueError, match="scalars"):
        gf.zeros([gf.shape(x), 2])


@pytest.mark.parametrize("device", ["cpu", "reference"])
def test_reshape_to_dims_of_tensors_known_at_run_time(device: str) -> None:
    """tf.reshape(h, tf.stack([tf.shape(h)[0], 3, 1])), [tf.shape(h)[0], -1], another tensor's
    dims and negative indices: values as numpy's, gradients through them; an entry computed from
    a dim (tf.shape(h)[0] * 4) is refused with a message saying what works."""
    x = gf.placeholder(gf.float64, (None, 3))
    h = gf.placeholder(gf.float64, (None, 4, 2))
    w = gf.Variable(np.arange(3.0))
    ys = [gf.reshape(x * w, gf.stack([gf.shape(x)[0], 3, 1])), gf.reshape(h, [gf.shape(h)[0], -1]),
          gf.reshape(h, [gf.shape(x)[0], -1, 2]), gf.reshape(h, [-1, gf.shape(h)[-1]])]
    assert ys[0].shape.as_list() == [None, 3, 1] and ys[3].shape.as_list() == [None, 2]
    (gw,) = gf.gradients(gf.reduce_sum(ys[0] * ys[0]), [w])
    xv, hv = np.arange(15.0).reshape(5, 3), np.arange(40.0).reshape(5, 4, 2)
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        got = sess.run(ys + [gw], {x: xv, h: hv})
    wv = np.arange(3.0)
    for g, want in zip(got, [(xv * wv).reshape(5, 3, 1), hv.reshape(5, -1), hv.reshape(5, -1, 2), hv.reshape(-1, 2)]):
        np.testing.assert_array_equal(g, want)
    np.testing.assert_allclose(got[-1], (2 * xv * xv * wv).sum(0), rtol=1e-12)
    with pytest.raises(TypeError, match="int scalars"):
        gf.reshape(h, [gf.shape(h)[0] * 4, gf.placeholder(gf.float32, [])])


@pytest.mark.parametrize("device", TARGETS)
def test_ensure_shape_states_the_shape_and_checks_it_when_run(device: str) -> None:
    """TF1's ensure_shape: the stated dims join the static shape (and survive the compiler: a
    fill sized by a sparse placeholder's dense_shape compiles), and a fed value of another shape
    fails the run naming the tensor and the expected shape."""
    x = gf.placeholder(gf.float32, [None, None])
    y = gf.ensure_shape(x, [None, 3])
    free = gf.placeholder(gf.float32)
    z = gf.ensure_shape(free, [2, None])
    sp = gf.sparse_placeholder(gf.int32)
    filled = gf.fill(gf.ensure_shape(sp.dense_shape, [2]), 7)
    assert y.shape.as_list() == [None, 3] and z.shape.as_list() == [2, None]
    with pytest.raises(ValueError, match="not compatible"):
        gf.ensure_shape(gf.zeros([2, 3]), [2, 4])
    with gf.Session(device=device) as sess:
        np.testing.assert_array_equal(sess.run(y * 2, {x: np.ones((2, 3))}), np.full((2, 3), 2.0))
        assert sess.run(z, {free: np.ones((2, 5))}).shape == (2, 5)
        np.testing.assert_array_equal(sess.run(filled, {sp: gf.SparseTensorValue([[0, 0]], [1], [2, 3])}),
                                      np.full((2, 3), 7))
        with pytest.raises(gf.errors.InvalidArgumentError, match=r"Shape of tensor Placeholder:0 is not compatible "
                                                                  r"with expected shape \(\?, 3\)"):
            sess.run(y, {x: np.ones((2, 4))})
        with pytest.raises(gf.errors.InvalidArgumentError, match="expected shape"):
            sess.run(z, {free: np.ones((3, 5))})
        with pytest.raises(gf.errors.InvalidArgumentError):
            sess.run(z, {free: np.ones(2)})  # another rank
