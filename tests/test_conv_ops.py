"""Convolution and pooling against straightforward loop-per-output numpy code on every target, plus
float64 gradient checks (first and second order) on tiny shapes."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run

rs = np.random.RandomState(0)
# float32 convolutions sum dozens of products in another order than the float64 loops below
TOL32 = dict(rtol=1e-4, atol=1e-5)


# ---- loop-per-output numpy oracles (TF1 geometry written out independently) ---------------------

def pads_of(padding, size, k, s, d):
    """(before, after) for one spatial dim."""
    if padding == "VALID":
        return 0, 0
    if padding == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        return total // 2, total - total // 2
    return padding


def geometry(x_shape, k, s, d, padding):
    _, h, w, _ = x_shape
    ph = pads_of(padding if isinstance(padding, str) else padding[0], h, k[0], s[0], d[0])
    pw = pads_of(padding if isinstance(padding, str) else padding[1], w, k[1], s[1], d[1])
    oh = (h + ph[0] + ph[1] - (k[0] - 1) * d[0] - 1) // s[0] + 1
    ow = (w + pw[0] + pw[1] - (k[1] - 1) * d[1] - 1) // s[1] + 1
    return oh, ow, ph[0], pw[0]


def taps(x_shape, i, j, k, s, d, pt, pl):
    """In-bounds (y, x, p, q) cells of the window of output (i, j)."""
    _, h, w, _ = x_shape
    for p in range(k[0]):
        for q in range(k[1]):
            y, xx = i * s[0] - pt + p * d[0], j * s[1] - pl + q * d[1]
            if 0 <= y < h and 0 <= xx < w:
                yield y, xx, p, q


def naive_conv(x, f, s=(1, 1), padding="VALID", d=(1, 1)):
    x64, f64 = x.astype(np.float64), f.astype(np.float64)
    oh, ow, pt, pl = geometry(x.shape, f.shape[:2], s, d, padding)
    out = np.zeros((x.shape[0], oh, ow, f.shape[3]))
    for i in range(oh):
        for j in range(ow):
            for y, xx, p, q in taps(x.shape, i, j, f.shape[:2], s, d, pt, pl):
                out[:, i, j] += x64[:, y, xx] @ f64[p, q]
    return out.astype(x.dtype)


def naive_conv_transpose(dy, f, x_shape, s=(1, 1), padding="VALID", d=(1, 1)):
    """The input gradient of naive_conv: every output's gradient scattered back through its window."""
    oh, ow, pt, pl = geometry(x_shape, f.shape[:2], s, d, padding)
    assert (oh, ow) == dy.shape[1:3]
    out = np.zeros(x_shape)
    for i in range(oh):
        for j in range(ow):
            for y, xx, p, q in taps(x_shape, i, j, f.shape[:2], s, d, pt, pl):
                out[:, y, xx] += dy[:, i, j].astype(np.float64) @ f[p, q].T.astype(np.float64)
    return out.astype(dy.dtype)


def naive_filter_grad(x, dy, k, s=(1, 1), padding="VALID", d=(1, 1)):
    oh, ow, pt, pl = geometry(x.shape, k, s, d, padding)
    out = np.zeros(tuple(k) + (x.shape[3], dy.shape[3]))
    for i in range(oh):
        for j in range(ow):
            for y, xx, p, q in taps(x.shape, i, j, k, s, d, pt, pl):
                out[p, q] += x[:, y, xx].astype(np.float64).T @ dy[:, i, j].astype(np.float64)
    return out.astype(x.dtype)


def naive_pool(x, k, s, padding, mode):
    oh, ow, pt, pl = geometry(x.shape, k, s, (1, 1), padding)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    for i in range(oh):
        for j in range(ow):
            cells = np.stack([x[:, y, xx] for y, xx, _, _ in taps(x.shape, i, j, k, s, (1, 1), pt, pl)])
            out[:, i, j] = cells.max(0) if mode == "max" else cells.astype(np.float64).mean(0)
    return out


def nchw(a):
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2))


# ---- forward values ----------------------------------------------------------------------------

X = rs.standard_normal((2, 7, 6, 3)).astype(np.float32)
W = rs.standard_normal((3, 2, 3, 4)).astype(np.float32)
EXPLICIT = ((1, 2), (0, 3))

CONV_CASES = [  # (strides, padding, dilations)
    ((1, 1), "SAME", (1, 1)),
    ((2, 2), "SAME", (1, 1)),
    ((2, 3), "VALID", (1, 1)),
    ((3, 2), "SAME", (1, 1)),
    ((1, 2), EXPLICIT, (2, 1)),
    ((1, 1), "SAME", (2, 2)),
    ((2, 1), "VALID", (1, 2)),
]


def _pad_arg(padding, channels_first=False):
    if isinstance(padding, str):
        return padding
    return [[0, 0], [0, 0], *padding] if channels_first else [[0, 0], *padding, [0, 0]]


@pytest.mark.parametrize("device", TARGETS)
def test_conv2d_forward(device):
    """All stride/padding/dilation cases in one graph, batch and spatial dims fed at run time."""
    def fn(x, w):
        outs = [gf.nn.conv2d(x, w, list(s), _pad_arg(p), dilations=list(d)) for s, p, d in CONV_CASES]
        outs.append(gf.nn.conv2d(x, w, [1, 2, 1, 1], "SAME", dilations=None))
        return outs

    def want(x, w):
        return [naive_conv(x, w, s, p, d) for s, p, d in CONV_CASES] + [naive_conv(x, w, (2, 1), "SAME")]
    check_op(fn, want, [X, W], device, tol=TOL32, feed_shapes=[(None, None, None, 3), W.shape])


@pytest.mark.parametrize("device", TARGETS)
def test_conv2d_nchw_float64_and_int_strides(device):
    x64, w64 = X.astype(np.float64), W.astype(np.float64)

    def fn(x, w):
        return [gf.nn.conv2d(x, w, [1, 1, 2, 2], "SAME", data_format="NCHW"),
                gf.nn.conv2d(x, w, 1, _pad_arg(EXPLICIT, True), data_format="NCHW", dilations=[1, 1, 1, 2])]

    def want(x, w):
        xh = x.transpose(0, 2, 3, 1)
        return [nchw(naive_conv(xh, w, (2, 2), "SAME")), nchw(naive_conv(xh, w, (1, 1), EXPLICIT, (1, 2)))]
    check_op(fn, want, [nchw(x64), w64], device, feed_shapes=[(None, 3, 7, 6), W.shape])


@pytest.mark.parametrize("device", TARGETS)
def test_conv2d_transpose_and_backprop_ops(device):
    dy_same = rs.standard_normal((2, 4, 3, 4)).astype(np.float32)  # conv2d(X, W, 2, SAME) output
    dy_valid = rs.standard_normal((2, 3, 2, 4)).astype(np.float32)  # conv2d(X, W, [2,3], VALID)

    def fn(dy1, dy2, w, x):
        return [gf.nn.conv2d_transpose(dy1, w, [2, 7, 6, 3], [1, 2, 2, 1], "SAME"),
                gf.nn.conv2d_transpose(dy2, w, gf.constant([2, 7, 6, 3]), [2, 3], "VALID"),
                gf.nn.conv2d_transpose(nchw_t(dy1), w, [2, 3, 7, 6], 2, "SAME", data_format="NCHW"),
                gf.nn.conv2d_backprop_filter(x, [3, 2, 3, 4], dy1, [1, 2, 2, 1], "SAME"),
                gf.nn.conv2d_backprop_input(gf.shape(x), w, dy2, [1, 2, 3, 1], "VALID")]

    def want(dy1, dy2, w, x):
        t1 = naive_conv_transpose(dy1, w, X.shape, (2, 2), "SAME")
        t2 = naive_conv_transpose(dy2, w, X.shape, (2, 3), "VALID")
        return [t1, t2, nchw(t1), naive_filter_grad(x, dy1, (3, 2), (2, 2), "SAME"), t2]
    check_op(fn, want, [dy_same, dy_valid, W, X], device, tol=TOL32,
             feed_shapes=[(None, 4, 3, 4), (None, 3, 2, 4), W.shape, (None, 7, 6, 3)])


def nchw_t(t):
    return gf.transpose(t, [0, 3, 1, 2])


@pytest.mark.parametrize("device", TARGETS)
def test_conv1d(device):
    x = rs.standard_normal((2, 9, 3)).astype(np.float32)
    f = rs.standard_normal((3, 3, 2)).astype(np.float32)

    def fn(x, f):
        return [gf.nn.conv1d(x, f, 1, "SAME", dilations=None), gf.nn.conv1d(x, f, 2, "VALID", dilations=2),
                gf.nn.conv1d(gf.transpose(x, [0, 2, 1]), f, 2, "SAME", data_format="NCW"),
                gf.nn.conv1d(x, f, [1, 1, 1], [[0, 0], [2, 1], [0, 0]])]

    def want(x, f):
        x4, f4 = x[:, None], f[None]
        return [naive_conv(x4, f4, (1, 1), "SAME")[:, 0], naive_conv(x4, f4, (1, 2), "VALID", (1, 2))[:, 0],
                naive_conv(x4, f4, (1, 2), "SAME")[:, 0].transpose(0, 2, 1),
                naive_conv(x4, f4, (1, 1), ((0, 0), (2, 1)))[:, 0]]
    check_op(fn, want, [x, f], device, tol=TOL32, feed_shapes=[(None, 9, 3), f.shape])


POOL_CASES = [  # (ksize, strides, padding)
    ((2, 2), (2, 2), "SAME"),
    ((3, 3), (2, 2), "SAME"),
    ((2, 3), (1, 2), "VALID"),
    ((3, 2), (3, 1), "SAME"),
]


@pytest.mark.parametrize("device", TARGETS)
def test_pools(device):
    def fn(x):
        outs = []
        for k, s, p in POOL_CASES:
            outs += [gf.nn.max_pool(x, [1, *k, 1], [1, *s, 1], p), gf.nn.avg_pool2d(x, list(k), list(s), p)]
        outs.append(gf.transpose(gf.nn.max_pool2d(nchw_t(x), 3, 2, "SAME", data_format="NCHW"), [0, 2, 3, 1]))
        outs.append(gf.transpose(gf.nn.avg_pool(nchw_t(x), [1, 1, 3, 3], [1, 1, 2, 2], "SAME",
                                                data_format="NCHW"), [0, 2, 3, 1]))
        return outs

    def want(x):
        outs = []
        for k, s, p in POOL_CASES:
            outs += [naive_pool(x, k, s, p, "max"), naive_pool(x, k, s, p, "avg")]
        return outs + [naive_pool(x, (3, 3), (2, 2), "SAME", "max"), naive_pool(x, (3, 3), (2, 2), "SAME", "avg")]
    check_op(fn, want, [X], device, feed_shapes=[(None, None, None, 3)])


@pytest.mark.parametrize("device", TARGETS)
def test_pool1d(device):
    x = rs.standard_normal((2, 9, 3)).astype(np.float32)

    def fn(x):
        return [gf.nn.max_pool1d(x, 3, 2, "SAME"), gf.nn.avg_pool1d(x, 2, 2, "VALID"),
                gf.nn.max_pool1d(gf.transpose(x, [0, 2, 1]), 2, 1, "VALID", data_format="NCW")]

    def want(x):
        x4 = x[:, None]
        return [naive_pool(x4, (1, 3), (1, 2), "SAME", "max")[:, 0],
                naive_pool(x4, (1, 2), (1, 2), "VALID", "avg")[:, 0],
                naive_pool(x4, (1, 2), (1, 1), "VALID", "max")[:, 0].transpose(0, 2, 1)]
    check_op(fn, want, [x], device)


@pytest.mark.parametrize("device", TARGETS)
def test_max_pool_gradient_goes_to_first_max_and_avg_pool_counts_valid_cells(device):
    x = np.zeros((1, 3, 3, 1), np.float64)  # every window is a tie
    x[0, 2, 2, 0] = -1.0
    xp = gf.placeholder(gf.float64, x.shape)
    (g_max,) = gf.gradients(gf.reduce_sum(gf.nn.max_pool(xp, 2, 1, "SAME")), [xp])
    (g_avg,) = gf.gradients(gf.reduce_sum(gf.nn.avg_pool(xp, 2, 2, "SAME")), [xp])
    got_max, got_avg = run([g_max, g_avg], {xp: x}, device)
    # SAME 2x2 stride 1 on 3x3: windows start at (i, j); the first (row-major) max is their corner,
    # except the last window, whose only cell is -1
    want_max = np.array([[1, 1, 1], [1, 1, 1], [1, 1, 1]], np.float64)
    np.testing.assert_array_equal(got_max[0, :, :, 0], want_max)
    # SAME 2x2 stride 2 on 3x3: windows of 4, 2, 2 and 1 valid cells
    want_avg = np.array([[1 / 4, 1 / 4, 1 / 2], [1 / 4, 1 / 4, 1 / 2], [1 / 2, 1 / 2, 1]])
    np.testing.assert_allclose(got_avg[0, :, :, 0], want_avg, rtol=1e-12)


# ---- gradients ------------------------------------------------------------------------------------

def flat_concat(ts):
    return gf.concat([gf.reshape(t, [-1]) for t in ts], 0)


def test_conv2d_gradient():
    x = rs.standard_normal((1, 5, 4, 2))
    w = rs.standard_normal((2, 2, 2, 2))
    check_gradient(lambda x, w: flat_concat([
        gf.nn.conv2d(x, w, 2, "SAME"), gf.nn.conv2d(x, w, 1, "VALID", dilations=2),
        gf.nn.conv2d(x, w, [1, 2], _pad_arg(((1, 0), (0, 2)))),
        gf.nn.conv2d(nchw_t(x), w, 1, "SAME", data_format="NCHW")]), [x, w])


def test_conv2d_transpose_and_conv1d_gradient():
    v = rs.standard_normal((1, 2, 3, 2))
    f = rs.standard_normal((3, 2, 3, 2))
    x1 = rs.standard_normal((1, 6, 3))
    check_gradient(lambda v, f, x1: flat_concat([
        gf.nn.conv2d_transpose(v, f, [1, 4, 5, 3], 2, "SAME"),
        gf.nn.conv1d(x1, f[0], 2, "SAME"), gf.nn.conv1d(x1, f[1], 1, "VALID", dilations=2)]), [v, f, x1])


def test_pool_gradients():
    x = rs.standard_normal((1, 5, 5, 2))
    check_gradient(lambda x: flat_concat([
        gf.nn.max_pool(x, 3, 2, "SAME"), gf.nn.max_pool(x, 2, 2, "VALID"),
        gf.nn.avg_pool(x, 3, 2, "SAME"), gf.nn.avg_pool(x, [2, 3], 1, "VALID"),
        gf.nn.max_pool1d(x[:, 0], 2, 1, "SAME")]), [x])


@pytest.mark.parametrize("device", TARGETS)
def test_second_derivatives(device):
    """Gradients of gradients: the backprop ops' own gradient rules, checked numerically."""
    x = rs.standard_normal((1, 4, 4, 2))
    w = rs.standard_normal((2, 2, 2, 2))

    def fn(x, w):
        y = gf.nn.conv2d(x, w, [2, 1], "SAME")
        loss = gf.reduce_sum(y * y) + gf.reduce_sum(gf.nn.avg_pool(x * x, 2, 1, "SAME")) \
            + gf.reduce_sum(gf.nn.max_pool(y, 2, 1, "VALID") ** 2)
        gx, gw = gf.gradients(loss, [x, w])
        return flat_concat([gx, gw])
    check_gradient(fn, [x, w], device=device)


# ---- errors -----------------------------------------------------------------------------------------

def test_shape_errors():
    x = gf.placeholder(gf.float32, (2, 7, 6, 3))
    with pytest.raises(ValueError, match="in_channels"):
        gf.nn.conv2d(x, gf.zeros((3, 3, 4, 8)), 1, "SAME")
    with pytest.raises(ValueError, match="larger than the padded input"):
        gf.nn.conv2d(x, gf.zeros((9, 3, 3, 8)), 1, "VALID")
    with pytest.raises(ValueError, match="padding"):
        gf.nn.conv2d(x, gf.zeros((3, 3, 3, 8)), 1, "FULL")
    with pytest.raises(ValueError, match="strides"):
        gf.nn.max_pool(x, 2, [2, 2, 2, 2], "SAME")
    with pytest.raises(ValueError, match="rank 4"):
        gf.nn.conv2d(gf.zeros((7, 6, 3)), gf.zeros((3, 3, 3, 8)), 1, "SAME")
    with pytest.raises(ValueError, match="data_format"):
        gf.nn.avg_pool(x, 2, 2, "SAME", data_format="NHCW")
    with pytest.raises(TypeError, match="floating"):
        gf.nn.conv2d(gf.zeros((1, 4, 4, 3), gf.int32), gf.zeros((3, 3, 3, 8), gf.int32), 1, "SAME")
    with pytest.raises(ValueError, match="out_backprop"):
        gf.nn.conv2d_transpose(gf.zeros((2, 3, 3, 8)), gf.zeros((3, 3, 3, 8)), [2, 7, 6, 3], 2, "SAME")


@pytest.mark.parametrize("device", TARGETS)
def test_run_time_shape_errors(device):
    x = gf.placeholder(gf.float32, (None, None, None, None))
    y = gf.nn.conv2d(x, gf.zeros((3, 3, 3, 2)), 1, "VALID", name="my_conv")
    with gf.Session(device=device) as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_conv"):
            sess.run(y, {x: np.zeros((1, 5, 5, 2), np.float32)})
        with pytest.raises(gf.errors.InvalidArgumentError, match="my_conv"):
            sess.run(y, {x: np.zeros((1, 2, 5, 3), np.float32)})
        assert sess.run(y, {x: np.ones((1, 4, 5, 3), np.float32)}).shape == (1, 2, 3, 2)


def test_the_output_size_rule_exists_once() -> None:
    """The op layer's ``conv_geometry.window`` is the rule the shape rules, the references, the CUDA
    steps and (compiled) the CPU target's generated code all use; it agrees with the independent
    oracle above on every size, window, stride, dilation and padding of a small grid."""
    from graphflow.compiler.cpu import conv_calls, conv_kernels
    from graphflow.ops import conv_geometry

    assert conv_kernels.geometry.py_func is conv_geometry.window
    assert conv_calls.geometry is conv_geometry.window
    for size in range(1, 9):
        for k in range(1, 5):
            for s in (1, 2, 3):
                for d in (1, 2):
                    for pad in ("SAME", "VALID", ((1, 2), (0, 3))):
                        same, (pt, pb), (pl, pr) = conv_geometry.pads(pad)
                        want = geometry((1, size, size, 1), (k, k), (s, s), (d, d), pad)
                        for axis, before, after, out, pad_before in ((0, pt, pb, want[0], want[2]),
                                                                      (1, pl, pr, want[1], want[3])):
                            got = conv_kernels.geometry(size, k, s, d, same, before, after)
                            assert got == conv_geometry.window(size, k, s, d, same, before, after)
                            assert got == ((out, pad_before) if out > 0 else (-1, before)), (size, k, s, d, pad, axis)


def test_conv2d_transpose_keeps_the_static_part_of_a_run_time_output_shape() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 4, 4, 3])
        w = gf.ones([3, 3, 2, 3])
        y = gf.nn.conv2d_transpose(x, w, [gf.shape(x)[0], 8, 8, 2], strides=[1, 2, 2, 1], padding="SAME")
        assert y.shape.as_list() == [None, 8, 8, 2]
        with gf.Session() as s:
            assert s.run(y, {x: np.ones((2, 4, 4, 3), np.float32)}).shape == (2, 8, 8, 2)
