"""tf.initializers and the breadth of tf.nn: every name against a numpy reference, float64
gradient checks of the differentiable ones (several ops share one checked graph, since each
distinct graph compiles), and the same calls in tf.compat.v1 where TensorFlow is installed."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, run
from tests.optional import need
from tests.tolerances import value_tol

F64 = value_tol("float64")
# the gradient checks run the reference executor: what they check is the gradient graphs these
# compositions build (every primitive's compiled gradient kernel has its own tests), and the
# hundreds of finite-difference runs of several large graphs would otherwise each compile first
GRAD_DEVICE = "reference"
RS = np.random.RandomState(7)


# ---- numpy references ----------------------------------------------------------------------------

def same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int, int]:
    """(output size, pad before, pad after) of TF1's SAME rule."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2, total - total // 2


def geometry(sizes: tuple[int, ...], ks: tuple[int, ...], ss: tuple[int, ...], ds: tuple[int, ...],
             padding: str) -> list[tuple[int, int, int]]:
    if padding == "SAME":
        return [same_pads(n, k, s, d) for n, k, s, d in zip(sizes, ks, ss, ds)]
    return [((n - ((k - 1) * d + 1)) // s + 1, 0, 0) for n, k, s, d in zip(sizes, ks, ss, ds)]


def conv_ref(x: np.ndarray, f: np.ndarray, ss: tuple[int, ...], ds: tuple[int, ...], padding: str) -> np.ndarray:
    """Channels-last N-D cross-correlation, filter [*k, C, O]."""
    n = x.ndim - 2
    geo = geometry(x.shape[1:-1], f.shape[:n], ss, ds, padding)
    xp = np.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)])
    out = np.zeros((x.shape[0], *[g[0] for g in geo], f.shape[-1]))
    for o in itertools.product(*[range(g[0]) for g in geo]):
        for k in itertools.product(*[range(kk) for kk in f.shape[:n]]):
            i = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, ss, ds))
            out[(slice(None), *o)] += xp[(slice(None), *i)] @ f[k]
    return out


def conv_transpose_ref(dy: np.ndarray, f: np.ndarray, out_shape: list[int], ss: tuple[int, ...],
                       ds: tuple[int, ...], padding: str) -> np.ndarray:
    """The adjoint of conv_ref with respect to x; f is [*k, O_out, C_in] (TF1's transpose layout)."""
    n = dy.ndim - 2
    geo = geometry(tuple(out_shape[1:-1]), f.shape[:n], ss, ds, padding)
    xp = np.zeros([out_shape[0]] + [s + b + a for s, (_, b, a) in zip(out_shape[1:-1], geo)] + [out_shape[-1]])
    for o in itertools.product(*[range(g[0]) for g in geo]):
        for k in itertools.product(*[range(kk) for kk in f.shape[:n]]):
            i = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, ss, ds))
            xp[(slice(None), *i)] += dy[(slice(None), *o)] @ f[k].T
    return xp[(slice(None), *[slice(b, b + s) for s, (_, b, _) in zip(out_shape[1:-1], geo)])]


def pool_ref(x: np.ndarray, ks: tuple[int, ...], ss: tuple[int, ...], padding: str, kind: str,
             ds: tuple[int, ...] | None = None) -> np.ndarray:
    """Channels-last N-D max / average pooling; padding cells never count."""
    n = x.ndim - 2
    ds = ds or (1,) * n
    geo = geometry(x.shape[1:-1], ks, ss, ds, padding)
    xp = np.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)], constant_values=np.nan)
    out = np.zeros((x.shape[0], *[g[0] for g in geo], x.shape[-1]))
    for o in itertools.product(*[range(g[0]) for g in geo]):
        cells = [xp[(slice(None), *[oi * s + ki * d for oi, ki, s, d in zip(o, k, ss, ds)])]
                 for k in itertools.product(*[range(kk) for kk in ks])]
        stack = np.stack(cells)
        out[(slice(None), *o)] = np.nanmax(stack, 0) if kind == "MAX" else np.nanmean(stack, 0)
    return out


def dilation_ref(x: np.ndarray, f: np.ndarray, s: tuple[int, int], r: tuple[int, int], padding: str) -> np.ndarray:
    kh, kw, _ = f.shape
    geo = geometry(x.shape[1:3], (kh, kw), s, r, padding)
    xp = np.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)], constant_values=-np.inf)
    out = np.full((x.shape[0], geo[0][0], geo[1][0], x.shape[3]), -np.inf)
    for oy, ox, i, j in itertools.product(range(geo[0][0]), range(geo[1][0]), range(kh), range(kw)):
        out[:, oy, ox] = np.maximum(out[:, oy, ox], xp[:, oy * s[0] + i * r[0], ox * s[1] + j * r[1]] + f[i, j])
    return out


def argmax_ref(x: np.ndarray, k: int, s: int, padding: str) -> tuple[np.ndarray, np.ndarray]:
    b, h, w, c = x.shape
    geo = geometry((h, w), (k, k), (s, s), (1, 1), padding)
    out = np.zeros((b, geo[0][0], geo[1][0], c))
    idx = np.zeros(out.shape, np.int64)
    for n, oy, ox, ch in itertools.product(range(b), range(geo[0][0]), range(geo[1][0]), range(c)):
        best = None
        for i, j in itertools.product(range(k), range(k)):
            y, xx = oy * s + i - geo[0][1], ox * s + j - geo[1][1]
            if 0 <= y < h and 0 <= xx < w and (best is None or x[n, y, xx, ch] > best):
                best, idx[n, oy, ox, ch] = x[n, y, xx, ch], (y * w + xx) * c + ch
        out[n, oy, ox, ch] = best
    return out, idx


def lrn_ref(x: np.ndarray, r: int, bias: float, alpha: float, beta: float) -> np.ndarray:
    c = x.shape[-1]
    sq = np.stack([np.sum(x[..., max(0, d - r): d + r + 1] ** 2, -1) for d in range(c)], -1)
    return x / (bias + alpha * sq) ** beta


def s2b_ref(x: np.ndarray, block: list[int], pads: list[list[int]]) -> np.ndarray:
    """space_to_batch_nd by its definition: out[(offsets) * B + b, i...] = padded[b, i*block + offset...]."""
    xp = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - len(block)))
    parts = [xp[(slice(None), *[slice(o, None, bk) for o, bk in zip(off, block)])]
             for off in itertools.product(*[range(bk) for bk in block])]
    return np.concatenate(parts, 0)


# ---- tf.initializers --------------------------------------------------------------------------------

INIT_NAMES = ["constant", "global_variables", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
              "identity", "lecun_normal", "lecun_uniform", "local_variables", "ones", "orthogonal",
              "random_normal", "random_uniform", "tables_initializer", "truncated_normal",
              "uniform_unit_scaling", "variables", "variance_scaling", "zeros"]


def test_initializers_namespace_has_every_tf1_name() -> None:
    assert [n for n in INIT_NAMES if not hasattr(gf.initializers, n)] == []
    import graphflow.initializers as inits
    assert inits is gf.initializers
    assert gf.initializers.variables is gf.variables_initializer
    assert gf.initializers.orthogonal is gf.orthogonal_initializer


def initializer_values() -> dict:
    """Every initializer of gf.initializers drawn once (one graph; the TF1 test rebuilds it from the cache)."""
    with gf.Graph().as_default():
        I = gf.initializers  # noqa: E741, N806
        shape = [40, 30]
        fetch = {"constant": I.constant(2.5)([2, 3]), "zeros": I.zeros()([2, 2], gf.int32),
                 "ones": I.ones(gf.float64)([3]), "identity": I.identity(2.0)([2, 3]),
                 "orth": I.orthogonal(1.5, seed=3)(shape), "orth_wide": I.orthogonal(seed=4)([3, 2, 5]),
                 "uus": I.uniform_unit_scaling(2.0, seed=1)([20, 50]),
                 "he_u": I.he_uniform(seed=2)(shape), "he_n": I.he_normal(seed=2)(shape),
                 "lecun_u": I.lecun_uniform(seed=2)(shape), "lecun_n": I.lecun_normal(seed=2)(shape),
                 "rn": I.random_normal(1.0, 2.0, seed=5)([2000]), "tn": I.truncated_normal(0.0, 1.0, seed=5)([2000]),
                 "glorot": I.glorot_uniform(seed=6)(shape)}
        v = gf.get_variable("v", [2], initializer=I.constant(3.0))
        lv = gf.Variable([1.0], collections=[gf.GraphKeys.LOCAL_VARIABLES], name="lv")
        ops = [I.global_variables(), I.local_variables(), I.variables([v]), I.tables_initializer()]
        with gf.Session() as sess:
            sess.run(ops)
            return sess.run({**fetch, "v": v, "lv": lv})


def test_initializers_values() -> None:
    got = initializer_values()
    assert got["v"].tolist() == [3.0, 3.0] and got["lv"].tolist() == [1.0]
    np.testing.assert_array_equal(got["constant"], np.full((2, 3), 2.5, np.float32))
    assert got["zeros"].dtype == np.int32 and got["ones"].dtype == np.float64
    np.testing.assert_array_equal(got["identity"], 2.0 * np.eye(2, 3, dtype=np.float32))
    o = got["orth"].astype(np.float64) / 1.5
    np.testing.assert_allclose(o.T @ o, np.eye(30), atol=1e-5)
    ow = got["orth_wide"].reshape(6, 5).astype(np.float64)
    np.testing.assert_allclose(ow.T @ ow, np.eye(5), atol=1e-5)
    limit = 2.0 * np.sqrt(3.0 / 20)
    assert np.abs(got["uus"]).max() <= limit and np.abs(got["uus"]).max() > 0.9 * limit
    for key, bound in [("he_u", np.sqrt(6.0 / 40)), ("lecun_u", np.sqrt(3.0 / 40)), ("glorot", np.sqrt(6.0 / 70))]:
        assert np.abs(got[key]).max() <= bound and np.abs(got[key]).max() > 0.9 * bound, key
    np.testing.assert_allclose(got["he_n"].std(), np.sqrt(2.0 / 40), rtol=0.1)
    np.testing.assert_allclose(got["lecun_n"].std(), np.sqrt(1.0 / 40), rtol=0.1)
    assert np.abs(got["tn"]).max() <= 2.0 and abs(got["rn"].mean() - 1.0) < 0.2


def test_initializers_against_tf1() -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default():
        want = tf.Session().run([tf.initializers.constant(2.5)([2, 3]), tf.initializers.identity(2.0)([2, 3]),
                                 tf.initializers.ones(tf.float64)([3])])
    got = initializer_values()
    for g, w in zip([got["constant"], got["identity"], got["ones"]], want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    # the random ones: TF1's and graphflow's draws differ, their scale does not
    with tf.Graph().as_default():
        t = tf.Session().run([tf.initializers.he_uniform(seed=1)([40, 30]),
                              tf.initializers.lecun_normal(seed=1)([40, 30]),
                              tf.initializers.uniform_unit_scaling(2.0, seed=1)([20, 50])])
    np.testing.assert_allclose(np.abs(got["he_u"]).max(), np.abs(t[0]).max(), rtol=0.05)
    np.testing.assert_allclose(got["lecun_n"].std(), t[1].std(), rtol=0.15)
    np.testing.assert_allclose(np.abs(got["uus"]).max(), np.abs(t[2]).max(), rtol=0.05)


# ---- tf.nn: elementwise and statistics --------------------------------------------------------------

X4 = RS.standard_normal((2, 3, 2, 5))
W = RS.standard_normal((5, 4))
B = RS.standard_normal(4)
FREQ = RS.uniform(0.5, 2.0, (2, 3, 1, 5))


def stats_ops(nn: Any, x: Any, w: Any, b: Any, freq: Any) -> dict:
    """The same calls against graphflow's or TF1's tf.nn."""
    c, m_ss, v_ss, _ = nn.sufficient_statistics(x, [0, 1, 2])
    mean, var = nn.normalize_moments(c, m_ss, v_ss, None)
    c2, m2, v2, sh = nn.sufficient_statistics(x, [1], shift=np.float64(0.5), keepdims=True)
    mean2, var2 = nn.normalize_moments(c2, m2, v2, sh)
    wm, wv = nn.weighted_moments(x, [1, 3], freq)
    return {"crelu": nn.crelu(x), "swish": nn.swish(x), "silu": nn.silu(x, beta=np.float64(0.7)),
            "relu_layer": nn.relu_layer(x[:, 0, 0], w, b),
            "count": c, "mean": mean, "var": var, "mean2": mean2, "var2": var2, "wmean": wm, "wvar": wv,
            "bn": nn.batch_norm_with_global_normalization(x, mean, var, b[:1] * 0 + 0.2, b[:1] * 0 + 1.5,
                                                          1e-3, True),
            "avg_loss": nn.compute_average_loss(x[:, 0, 0, 0], sample_weight=np.float64(2.0)),
            "avg_loss_g": nn.compute_average_loss(x[:, 0, 0, 0], global_batch_size=8),
            "scale_reg": nn.scale_regularization_loss(x[0, 0, 0]),
            }


def stats_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, freq: np.ndarray) -> dict:
    sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    fw = freq * np.ones_like(x)
    wm = (fw * x).sum((1, 3), keepdims=True) / fw.sum((1, 3), keepdims=True)
    wv = (fw * (x - wm) ** 2).sum((1, 3), keepdims=True) / fw.sum((1, 3), keepdims=True)
    return {"crelu": np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], -1), "swish": x * sig(x),
            "silu": x * sig(0.7 * x), "relu_layer": np.maximum(x[:, 0, 0] @ w + b, 0),
            "lrn": lrn_ref(x, 2, 1.5, 0.3, 0.75), "lrn_default": lrn_ref(x, 5, 1.0, 1.0, 0.5),
            "count": np.float64(12), "mean": mean, "var": var,
            "mean2": x.mean(1, keepdims=True), "var2": x.var(1, keepdims=True),
            "wmean": wm.squeeze((1, 3)), "wvar": wv.squeeze((1, 3)),
            "bn": (x - mean) / np.sqrt(var + 1e-3) * 1.5 + 0.2,
            "avg_loss": np.float64(2 * x[:, 0, 0, 0].sum() / 2), "avg_loss_g": np.float64(x[:, 0, 0, 0].sum() / 8),
            "scale_reg": np.float64(x[0, 0, 0].sum())}


def stats_values() -> tuple[dict, list]:
    """graphflow's stats_ops plus lrn, zero_fraction and the approx top-k, in one graph."""
    with gf.Graph().as_default():
        phs = [gf.placeholder(gf.float64, a.shape) for a in (X4, W, B, FREQ)]
        ops = stats_ops(gf.nn, *phs)
        ops.update(lrn=gf.nn.lrn(phs[0], 2, 1.5, 0.3, 0.75), lrn_default=gf.nn.local_response_normalization(phs[0]))
        zf = gf.nn.zero_fraction(gf.nn.relu(phs[0]))
        vals, idx = gf.nn.approx_max_k(phs[0], 2, reduction_dimension=1)
        mvals, midx = gf.nn.approx_min_k(phs[0], 3)
        return run([ops, [zf, vals, idx, mvals, midx]], dict(zip(phs, (X4, W, B, FREQ))))


def test_nn_statistics_and_activations() -> None:
    got, extra = stats_values()
    want = stats_ref(X4, W, B, FREQ)
    for k in want:
        assert np.shape(got[k]) == np.shape(want[k]), k
        np.testing.assert_allclose(got[k], want[k], **F64, err_msg=k)
    assert extra[0].dtype == np.float32 and extra[0] == np.float32(np.mean(X4 <= 0))
    order = np.argsort(-X4, 1, kind="stable")[:, :2]
    np.testing.assert_array_equal(extra[2], order)
    np.testing.assert_allclose(extra[1], np.take_along_axis(X4, order, 1))
    morder = np.argsort(X4, -1, kind="stable")[..., :3]
    np.testing.assert_array_equal(extra[4], morder)
    np.testing.assert_allclose(extra[3], np.take_along_axis(X4, morder, -1))


def test_nn_statistics_against_tf1() -> None:
    tf = need("tensorflow")
    x32 = X4.astype(np.float32)  # TF1's LRN kernel takes float32 only
    with tf.Graph().as_default():
        want = tf.Session().run(stats_ops(tf.nn, *(tf.constant(a) for a in (X4, W, B, FREQ))))
        want_lrn = tf.Session().run([tf.nn.lrn(x32, 2, 1.5, 0.3, 0.75), tf.nn.local_response_normalization(x32)])
    got, _ = stats_values()
    for g, w in zip([got["lrn"], got["lrn_default"]], want_lrn):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    for k in want:
        # TF1 rounds weighted per-example losses through float32 (its losses utility casts them)
        tol = dict(rtol=1e-7, atol=0) if k == "avg_loss" else dict(rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[k], want[k], **tol, err_msg=k)


def test_nn_statistics_gradients() -> None:
    x = RS.standard_normal((2, 2, 1, 4))
    freq = RS.uniform(0.5, 2.0, (2, 2, 1, 4))

    def fn(packed: gf.Tensor) -> gf.Tensor:  # one checked input: each input compiles graphs of its own
        x, freq = gf.reshape(packed[:16], [2, 2, 1, 4]), gf.reshape(packed[16:], [2, 2, 1, 4])
        c, m_ss, v_ss, sh = gf.nn.sufficient_statistics(x, [0, 1], shift=0.3)
        mean, var = gf.nn.normalize_moments(c, m_ss, v_ss, sh)
        parts = [gf.nn.crelu(x), gf.nn.swish(x, 1.3), gf.nn.lrn(x, 1, 1.0, 0.5, 0.75),
                 *gf.nn.weighted_moments(x, [1], freq),
                 gf.nn.batch_norm_with_global_normalization(x, mean, var, 0.1, 2.0, 1e-3, True), mean, var]
        return gf.concat([gf.reshape(p, [-1]) for p in parts], 0)
    with gf.Graph().as_default():
        check_gradient(fn, [np.concatenate([x.ravel(), freq.ravel()])], device=GRAD_DEVICE)


# ---- tf.nn: convolutions ----------------------------------------------------------------------------

X5 = RS.standard_normal((2, 5, 4, 4, 2))
F5 = RS.standard_normal((2, 3, 2, 2, 3))
DY5 = RS.standard_normal((2, 3, 2, 2, 3))  # conv3d(X5, F5, strides 2, SAME) shape
X3 = RS.standard_normal((2, 7, 3))
F3T = RS.standard_normal((3, 2, 3))  # conv1d_transpose: [w, out, in]
X4C = RS.standard_normal((1, 6, 6, 2))
F4 = RS.standard_normal((3, 3, 2, 3))
FD = RS.standard_normal((2, 2, 2, 2))  # depthwise [kh, kw, C, M]
DYD = RS.standard_normal((1, 3, 3, 4))
RS_F5T = RS.standard_normal((2, 3, 2, 2, 3))  # conv3d_transpose filter [kd, kh, kw, out=2, in=3]
RS_F4T = RS.standard_normal((3, 3, 2, 3))  # atrous transpose filter [h, w, out=2, in=3]


def conv_ops(nn: Any, x5: Any, f5: Any, dy5: Any, x3: Any, f3t: Any, x4: Any, f4: Any, fd: Any, dyd: Any,
             dilated_3d: bool = True) -> dict:
    """The same calls against graphflow's or TF1's tf.nn (whose CPU conv3d has no dilations)."""
    one = [1, 1, 1, 1, 1]
    return {
        "c3_same": nn.conv3d(x5, f5, [1, 2, 2, 2, 1], "SAME"),
        "c3_valid_dil": nn.conv3d(x5, f5, one, "VALID", dilations=[1, 2, 1, 1, 1] if dilated_3d else one),
        "c3_one": nn.conv3d(x5, f5, one, "SAME"),
        "c3t": nn.conv3d_transpose(dy5, RS_F5T, [2, 5, 4, 4, 2], [1, 2, 2, 2, 1], "SAME"),
        "c3_bf": nn.conv3d_backprop_filter_v2(x5, [2, 3, 2, 2, 3], dy5, [1, 2, 2, 2, 1], "SAME"),
        "c1t": nn.conv1d_transpose(x3, f3t, [2, 14, 2], 2, "SAME"),
        "atrous": nn.atrous_conv2d(x4, f4, 2, "SAME"),
        "atrous_t": nn.atrous_conv2d_transpose(nn.atrous_conv2d(x4, f4, 2, "VALID"), RS_F4T,
                                               [1, 6, 6, 2], 2, "VALID"),
        "conv_nd3": nn.convolution(x5, f5, "VALID", strides=[1, 1, 2], dilation_rate=None),
        "conv_nd2": nn.convolution(x4, f4, "SAME", dilation_rate=[2, 1]),
        "conv_t3": nn.conv_transpose(x3, f3t, [2, 14, 2], 2, "SAME"),
        "dw_native": nn.depthwise_conv2d_native(x4, fd, [1, 2, 2, 1], "SAME"),
        "dw_bi": nn.depthwise_conv2d_native_backprop_input([1, 6, 6, 2], fd, dyd, [1, 2, 2, 1], "SAME"),
        "dw_bf": nn.depthwise_conv2d_backprop_filter(x4, [2, 2, 2, 2], dyd, [1, 2, 2, 1], "SAME"),
    }


def conv_refs() -> dict:
    x5, f5, dy5 = X5, F5, DY5
    dw_full = np.zeros((2, 2, 2, 4))  # the depthwise filter as a full [kh, kw, C, C * M] one
    for c in range(2):
        dw_full[:, :, c, c * 2:(c + 1) * 2] = FD[:, :, c, :]
    return {
        "c3_same": conv_ref(x5, f5, (2, 2, 2), (1, 1, 1), "SAME"),
        "c3_valid_dil": conv_ref(x5, f5, (1, 1, 1), (2, 1, 1), "VALID"),
        "c3_one": conv_ref(x5, f5, (1, 1, 1), (1, 1, 1), "SAME"),
        "c3t": conv_transpose_ref(dy5, RS_F5T, [2, 5, 4, 4, 2], (2, 2, 2), (1, 1, 1), "SAME"),
        "c3_bf": _filter_grad(x5, dy5, f5.shape, (2, 2, 2), (1, 1, 1), "SAME"),
        "c1t": conv_transpose_ref(X3, F3T, [2, 14, 2], (2,), (1,), "SAME"),
        "atrous": conv_ref(X4C, F4, (1, 1), (2, 2), "SAME"),
        "atrous_t": conv_transpose_ref(conv_ref(X4C, F4, (1, 1), (2, 2), "VALID"), RS_F4T, [1, 6, 6, 2], (1, 1),
                                       (2, 2), "VALID"),
        "conv_nd3": conv_ref(x5, f5, (1, 1, 2), (1, 1, 1), "VALID"),
        "conv_nd2": conv_ref(X4C, F4, (1, 1), (2, 1), "SAME"),
        "conv_t3": conv_transpose_ref(X3, F3T, [2, 14, 2], (2,), (1,), "SAME"),
        "dw_native": conv_ref(X4C, dw_full, (2, 2), (1, 1), "SAME"),
        "dw_bi": conv_transpose_ref(DYD, dw_full, [1, 6, 6, 2], (2, 2), (1, 1), "SAME"),
        "dw_bf": np.stack([_filter_grad(X4C, DYD, (2, 2, 2, 4), (2, 2), (1, 1), "SAME")[:, :, c, c * 2:(c + 1) * 2]
                           for c in range(2)], 2),
    }


def _filter_grad(x: np.ndarray, dy: np.ndarray, fshape: tuple[int, ...], ss: tuple[int, ...],
                 ds: tuple[int, ...], padding: str) -> np.ndarray:
    """d <conv_ref(x, f), dy> / d f, by linearity: one basis filter at a time."""
    out = np.zeros(fshape)
    for idx in itertools.product(*[range(n) for n in fshape]):
        basis = np.zeros(fshape)
        basis[idx] = 1.0
        out[idx] = np.sum(conv_ref(x, basis, ss, ds, padding) * dy)
    return out


CONV_INPUTS = (X5, F5, DY5, X3, F3T, X4C, F4, FD, DYD)


def conv_values() -> tuple[dict, np.ndarray]:
    with gf.Graph().as_default():
        phs = [gf.placeholder(gf.float64, a.shape) for a in CONV_INPUTS]
        ops = conv_ops(gf.nn, *phs)
        ncdhw = gf.nn.conv3d(gf.transpose(phs[0], [0, 4, 1, 2, 3]), phs[1], 1, "SAME", data_format="NCDHW")
        return run([ops, ncdhw], dict(zip(phs, CONV_INPUTS)))


def test_nn_convolutions() -> None:
    got, first = conv_values()
    want = conv_refs()
    np.testing.assert_allclose(first, want["c3_one"].transpose(0, 4, 1, 2, 3), rtol=1e-9, atol=1e-10)
    for k in want:
        assert got[k].shape == want[k].shape, (k, got[k].shape, want[k].shape)
        np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-10, err_msg=k)


def test_nn_convolutions_against_tf1() -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default():
        want = tf.Session().run(conv_ops(tf.nn, *(tf.constant(a) for a in CONV_INPUTS), dilated_3d=False))
    got, _ = conv_values()
    del want["c3_valid_dil"]
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-10, err_msg=k)


# ---- tf.nn: pooling, morphology, space-to-batch ----------------------------------------------------------

P5 = RS.standard_normal((2, 5, 4, 3, 2))
P4 = RS.standard_normal((2, 5, 6, 3))
P3 = RS.standard_normal((2, 7, 3))
KM = RS.standard_normal((2, 3, 3)) * 0.5


def pool_ops(nn: Any, p5: Any, p4: Any, p3: Any, km: Any) -> dict:
    """The same calls against graphflow's or TF1's tf.nn."""
    return {
        "max3_same": nn.max_pool3d(p5, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], "SAME"),
        "avg3_same": nn.avg_pool3d(p5, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], "SAME"),
        "avg3_valid": nn.avg_pool3d(p5, 2, 1, "VALID"),
        "max_v2_1d": nn.max_pool_v2(p3, 3, 2, "SAME"),
        "avg_v2_2d": nn.avg_pool_v2(p4, [2, 3], [2, 1], "SAME"),
        "max_v2_3d": nn.max_pool_v2(p5, 2, 2, "VALID"),
        "pool_avg": nn.pool(p4, [2, 2], "AVG", "SAME", strides=[2, 1]),
        "pool_dil_max": nn.pool(p4, [2, 2], "MAX", "VALID", dilation_rate=[2, 2]),
        "pool_dil_avg": nn.pool(p4, [2, 3], "AVG", "VALID", dilation_rate=[1, 2]),
        "argmax": nn.max_pool_with_argmax(p4, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        "dil_same": nn.dilation2d(p4, km, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        "dil_valid": nn.dilation2d(p4, km, [1, 2, 2, 1], [1, 1, 2, 1], "VALID"),
        "ero_same": nn.erosion2d(p4, km, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
        "s2b": nn.space_to_batch(p4[:, :4, :6], [[1, 1], [0, 2]], 2),
        "d2s": nn.depth_to_space(nn.space_to_depth(p4[:, :4], 2), 2),
    }


def pool_refs() -> dict:
    erosion = -dilation_ref(-P4, KM[::-1, ::-1], (1, 1), (1, 1), "SAME")
    return {
        "max3_same": pool_ref(P5, (2, 3, 2), (2, 2, 1), "SAME", "MAX"),
        "avg3_same": pool_ref(P5, (2, 3, 2), (2, 2, 1), "SAME", "AVG"),
        "avg3_valid": pool_ref(P5, (2, 2, 2), (1, 1, 1), "VALID", "AVG"),
        "max_v2_1d": pool_ref(P3, (3,), (2,), "SAME", "MAX"),
        "avg_v2_2d": pool_ref(P4, (2, 3), (2, 1), "SAME", "AVG"),
        "max_v2_3d": pool_ref(P5, (2, 2, 2), (2, 2, 2), "VALID", "MAX"),
        "pool_avg": pool_ref(P4, (2, 2), (2, 1), "SAME", "AVG"),
        "pool_dil_max": pool_ref(P4, (2, 2), (1, 1), "VALID", "MAX", (2, 2)),
        "pool_dil_avg": pool_ref(P4, (2, 3), (1, 1), "VALID", "AVG", (1, 2)),
        "argmax": argmax_ref(P4, 3, 2, "SAME"),
        "dil_same": dilation_ref(P4, KM, (1, 1), (1, 1), "SAME"),
        "dil_valid": dilation_ref(P4, KM, (2, 2), (1, 2), "VALID"),
        "ero_same": erosion,
        "s2b": s2b_ref(P4[:, :4, :6], [2, 2], [[1, 1], [0, 2]]),
        "d2s": P4[:, :4],
    }


POOL_INPUTS = (P5, P4, P3, KM)


def pool_values(inputs: tuple[np.ndarray, ...], device: str = "cpu") -> dict:
    with gf.Graph().as_default():
        phs = [gf.placeholder(gf.float64, a.shape) for a in POOL_INPUTS]
        return run(pool_ops(gf.nn, *phs), dict(zip(phs, inputs)), device)


@pytest.mark.parametrize("device", TARGETS)
def test_nn_pooling_and_morphology(device: str) -> None:
    got = pool_values(POOL_INPUTS, device)
    want = pool_refs()
    for k in want:
        for g, w in zip(got[k] if isinstance(want[k], tuple) else [got[k]],
                        want[k] if isinstance(want[k], tuple) else [want[k]]):
            assert g.shape == w.shape, (k, g.shape, w.shape)
            assert g.dtype.kind == w.dtype.kind, (k, g.dtype)
            np.testing.assert_allclose(g, w, **F64, err_msg=k)


def test_nn_pooling_against_tf1() -> None:
    tf = need("tensorflow")
    inputs = [a.astype(np.float32) for a in POOL_INPUTS]  # TF1's argmax pool and morphology take no float64
    with tf.Graph().as_default():
        want = tf.Session().run(pool_ops(tf.nn, *(tf.constant(a) for a in inputs)))
    got = pool_values(tuple(a.astype(np.float64) for a in inputs))  # the float64 graph on the same values
    for k in want:
        for g, w in zip(got[k] if isinstance(got[k], tuple) else [got[k]],
                        want[k] if isinstance(want[k], tuple) else [want[k]]):
            assert g.dtype.kind == w.dtype.kind, (k, g.dtype, w.dtype)
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=k)
    with gf.Graph().as_default(), pytest.raises(ValueError, match="SAME padding with a dilation_rate"):
        gf.nn.pool(inputs[1], [2, 2], "MAX", "SAME", dilation_rate=[2, 2])


FW = RS.standard_normal((3, 3, 3, 2))


def test_space_to_batch_round_trip_and_with_space_to_batch() -> None:
    x = RS.standard_normal((2, 5, 6, 3))
    with gf.Graph().as_default():
        t = gf.placeholder(gf.float64, [None, 5, 6, 3])
        s2b = gf.space_to_batch_nd(t, [2, 3], [[1, 0], [0, 0]])
        back = gf.batch_to_space_nd(s2b, [2, 3], [[1, 0], [0, 0]])
        conv = gf.nn.with_space_to_batch(t, [2, 2], "SAME", lambda v, _n, pad: gf.nn.conv2d(v, FW, 1, pad),
                                          filter_shape=[3, 3])
        got = run([s2b, back, conv], {t: x})
    np.testing.assert_allclose(got[0], s2b_ref(x, [2, 3], [[1, 0], [0, 0]]), **F64)
    np.testing.assert_allclose(got[1], x, **F64)
    np.testing.assert_allclose(got[2], conv_ref(x, FW, (1, 1), (2, 2), "SAME"), rtol=1e-9, atol=1e-10)


def test_conv_and_pool_gradients() -> None:
    inputs = [RS.standard_normal(shape) for shape in [(1, 3, 3, 2, 2), (2, 2, 1, 2, 2), (1, 4, 4, 2), (2, 2, 2)]]
    ends = np.cumsum([a.size for a in inputs]).tolist()

    def fn(packed: gf.Tensor) -> gf.Tensor:  # one checked input: each input compiles graphs of its own
        x5, f5, x4, km = (gf.reshape(packed[e - a.size:e], a.shape) for e, a in zip(ends, inputs))
        y3 = gf.nn.conv3d(x5, f5, [1, 2, 1, 1, 1], "SAME")
        parts = [y3, gf.nn.conv3d_transpose(y3, f5, [1, 3, 3, 2, 2], [1, 2, 1, 1, 1], "SAME"),
                 gf.nn.max_pool3d(x5, 2, 1, "SAME"), gf.nn.avg_pool3d(x5, [1, 2, 2, 1, 1], [1, 1, 2, 1, 1], "SAME"),
                 gf.nn.dilation2d(x4, km, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
                 gf.nn.erosion2d(x4, km, [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
                 gf.nn.max_pool_with_argmax(x4, 2, 2, "VALID")[0],
                 gf.nn.atrous_conv2d(x4, gf.reshape(f5, [2, 2, 2, 2]), 2, "SAME"),
                 gf.nn.space_to_batch(x4, [[0, 0], [1, 1]], 2)]
        return gf.concat([gf.reshape(p, [-1]) for p in parts], 0)
    with gf.Graph().as_default():
        check_gradient(fn, [np.concatenate([a.ravel() for a in inputs])], device=GRAD_DEVICE)


# ---- tf.nn: label utilities and candidate samplers ----------------------------------------------------

LABELS = np.array([[1, 1, 2, 2, 1], [3, 4, 4, 5, 6], [7, 7, 7, 0, 0]], np.int32)
LENGTHS = np.array([4, 3, 5], np.int32)
TRUE = np.array([[1, 5], [2, 3], [0, 4]], np.int64)
CANDIDATES = np.array([3, 1, 5, 0, 9], np.int64)


def collapse_ref(labels: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = [[v for i, v in enumerate(r[:n]) if i == 0 or v != r[i - 1]] for r, n in zip(labels, lengths)]
    width = max(len(r) for r in rows)
    return np.array([r + [0] * (width - len(r)) for r in rows], np.int32), np.array([len(r) for r in rows], np.int32)


def unique_ref(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, idx = [], []
    for r in labels:
        seen = list(dict.fromkeys(r.tolist()))
        uniq.append(seen + [0] * (len(r) - len(seen)))
        idx.append([seen.index(v) for v in r])
    return np.array(uniq, np.int64), np.array(idx, np.int32)


def label_ops(nn: Any, labels: Any, lengths: Any, true: Any, cands: Any) -> dict:
    """The same calls against graphflow's or TF1's tf.nn."""
    return {"collapse": nn.collapse_repeated(labels, lengths), "unique": nn.ctc_unique_labels(labels),
            "hits": nn.compute_accidental_hits(true, cands, 2),
            "all": nn.all_candidate_sampler(true, 2, 6, True)}


def label_values() -> list:
    """label_ops and two fixed-unigram samplers in one graph, run 20 times (fresh draws each run)."""
    with gf.Graph().as_default():
        phs = [gf.placeholder(gf.as_dtype(a.dtype), a.shape) for a in (LABELS, LENGTHS, TRUE, CANDIDATES)]
        ops = label_ops(gf.nn, *phs)
        fixed = gf.nn.fixed_unigram_candidate_sampler(phs[2], 2, 3, False, 7, unigrams=[1, 2, 3, 4, 5, 6],
                                                      distortion=0.5, num_reserved_ids=1, num_shards=2, shard=1,
                                                      seed=3)
        unique = gf.nn.fixed_unigram_candidate_sampler(phs[2], 2, 2, True, 6, unigrams=[0, 1, 0, 1, 0, 1], seed=4)
        feeds = dict(zip(phs, (LABELS, LENGTHS, TRUE, CANDIDATES)))
        with gf.Session() as sess:
            return [sess.run([ops, fixed, unique], feeds) for _ in range(20)]


def test_nn_label_utilities_and_candidate_samplers() -> None:
    runs = label_values()
    got = runs[0][0]
    draws = [r[1:] for r in runs]
    for g, w in zip(got["collapse"] + got["unique"], collapse_ref(LABELS, LENGTHS) + unique_ref(LABELS)):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    hits = [(i, j) for i in range(3) for j in range(5) if CANDIDATES[j] in TRUE[i]]
    np.testing.assert_array_equal(got["hits"][0], np.array([h[0] for h in hits], np.int32))
    np.testing.assert_array_equal(got["hits"][1], np.array([h[1] for h in hits], np.int64))
    np.testing.assert_array_equal(got["hits"][2], np.full(len(hits), np.finfo(np.float32).min, np.float32))
    np.testing.assert_array_equal(got["all"][0], np.arange(6))
    assert got["all"][1].shape == (3, 2) and (got["all"][1] == 1).all() and (got["all"][2] == 1).all()
    # shard 1 of 2 past one reserved id: only the odd ids 1, 3, 5 (weights 1, 3 ** 0.5, 5 ** 0.5)
    p = np.array([0, 1, 0, 3 ** 0.5, 0, 5 ** 0.5, 0])
    p /= p.sum()
    for (ids, true_count, cand_count), (uids, _, _) in draws:
        assert set(ids.tolist()) <= {1, 3, 5} and sorted(uids.tolist()) != [] and set(uids.tolist()) <= {1, 3, 5}
        assert len(set(uids.tolist())) == 2
        np.testing.assert_allclose(cand_count, 3 * p[ids], rtol=1e-6)
        np.testing.assert_allclose(true_count, 3 * p[TRUE], rtol=1e-6)


def test_nn_label_utilities_against_tf1() -> None:
    tf = need("tensorflow")
    inputs = (LABELS, LENGTHS, TRUE, CANDIDATES)
    with tf.Graph().as_default():
        want = tf.Session().run(label_ops(tf.nn, *(tf.constant(a) for a in inputs)))
    got = label_values()[0][0]
    for k in want:
        for g, w in zip(got[k], want[k]):
            assert g.dtype == w.dtype, (k, g.dtype, w.dtype)
            np.testing.assert_array_equal(g, w, err_msg=k)


# ---- the whole of tf.nn ----------------------------------------------------------------------------

# TF 1.15's tf.nn names graphflow leaves out, each for the reason above it
NN_MISSING = {
    # quantized dtypes (qint8, quint8, ...) do not exist here
    "quantized_avg_pool", "quantized_conv2d", "quantized_max_pool", "quantized_relu_x",
    # pseudo-random pooling regions: not built yet
    "fractional_avg_pool", "fractional_max_pool",
    # a sampler whose distribution is kernel state learned across runs; needs a state saver
    "learned_unigram_candidate_sampler", "static_state_saving_rnn",
    # TF2's experimental namespace
    "experimental",
}


def test_nn_and_initializers_cover_tf1() -> None:
    tf = need("tensorflow")
    names = [n for n in dir(tf.nn) if not n.startswith("_")]
    have = [n for n in names if hasattr(gf.nn, n)]
    assert set(names) - set(have) == NN_MISSING
    assert len(have) / len(names) >= 0.85
    assert [n for n in dir(tf.initializers) if not n.startswith("_") and not hasattr(gf.initializers, n)] == []
