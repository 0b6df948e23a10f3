"""tf.layers' 3-D layers, SeparableConv1D and InputSpec: against numpy references of the maths,
channels_first against channels_last with the same weights, and against TF1 (tf.compat.v1 with
tf-keras's legacy layers: the same variable names and shapes, and from TF1's weights the same
outputs, regularization losses and gradients)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need
from tests.tolerances import value_tol

RS = np.random.RandomState(7)


def _conv3d_ref(x: np.ndarray, k: np.ndarray, strides: tuple[int, int, int]) -> np.ndarray:
    """VALID 3-D convolution (cross-correlation) of NDHWC ``x`` with a ``[kd, kh, kw, C, O]`` kernel."""
    kd, kh, kw, _, o = k.shape
    sd, sh, sw = strides
    n, d, h, w, _ = x.shape
    od, oh, ow = (d - kd) // sd + 1, (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, od, oh, ow, o))
    for i in range(od):
        for j in range(oh):
            for m in range(ow):
                win = x[:, i * sd:i * sd + kd, j * sh:j * sh + kh, m * sw:m * sw + kw, :]
                out[:, i, j, m, :] = np.einsum("ndhwc,dhwco->no", win, k)
    return out


def _pool3d_ref(x: np.ndarray, size: int, stride: int, fn: Callable[..., np.ndarray]) -> np.ndarray:
    n, d, h, w, c = x.shape
    o = [(s - size) // stride + 1 for s in (d, h, w)]
    out = np.zeros((n, *o, c))
    for i in range(o[0]):
        for j in range(o[1]):
            for m in range(o[2]):
                win = x[:, i * stride:i * stride + size, j * stride:j * stride + size, m * stride:m * stride + size]
                out[:, i, j, m] = fn(win, axis=(1, 2, 3))
    return out


def _run(fetches: list, feeds: dict, weights: dict | None = None) -> tuple[dict, list]:
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for v in gf.global_variables():
            if weights is not None and v.name in weights:
                v.load(weights[v.name], s)
        vs = gf.global_variables()
        return dict(zip([v.name for v in vs], s.run(vs))), s.run(fetches, feeds)


def test_conv3d_and_pools_match_numpy() -> None:
    x = RS.rand(2, 5, 6, 7, 3)
    with gf.Graph().as_default():
        inp = gf.placeholder(gf.float64, [None, 5, 6, 7, 3])
        y = gf.layers.conv3d(inp, 4, (2, 3, 2), strides=(1, 2, 2), activation=gf.nn.relu)
        mp = gf.layers.max_pooling3d(inp, 2, 2)
        ap = gf.layers.average_pooling3d(inp, 2, 1)
        w, (yv, mv, av) = _run([y, mp, ap], {inp: x})
    k, b = w["conv3d/kernel:0"], w["conv3d/bias:0"]
    assert k.shape == (2, 3, 2, 3, 4) and b.shape == (4,)
    np.testing.assert_allclose(yv, np.maximum(_conv3d_ref(x, k, (1, 2, 2)) + b, 0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mv, _pool3d_ref(x, 2, 2, np.max), rtol=1e-12)
    np.testing.assert_allclose(av, _pool3d_ref(x, 2, 1, np.mean), rtol=1e-12)


def test_conv3d_transpose_is_the_adjoint_of_conv3d() -> None:
    """<conv3d(x), dy> == <x, conv3d_transpose(dy)> for the same kernel (bias off)."""
    x = RS.rand(2, 4, 5, 6, 3)
    with gf.Graph().as_default():
        t = gf.layers.Conv3DTranspose(3, (2, 3, 2), strides=(2, 1, 2), use_bias=False)
        dy = gf.placeholder(gf.float64, [None, 4, 5, 6, 3])
        up = t(dy)
        w, (upv,) = _run([up], {dy: x})
    k = w["conv3d_transpose/kernel:0"]  # [kd, kh, kw, filters, in]
    assert upv.shape == (2, 2 * 4 + 0, 5 + 2, 2 * 6 + 0, 3)
    probe = RS.rand(*upv.shape)
    down = _conv3d_ref(probe, k, (2, 1, 2))  # conv3d with the kernel read as [.., C=filters, O=in]
    np.testing.assert_allclose(np.sum(down * x), np.sum(probe * upv), rtol=1e-10)


def test_separable_conv1d_matches_numpy() -> None:
    x = RS.rand(2, 11, 3)
    with gf.Graph().as_default():
        inp = gf.placeholder(gf.float64, [None, 11, 3])
        y = gf.layers.separable_conv1d(inp, 5, 3, dilation_rate=2, depth_multiplier=2)
        w, (yv,) = _run([y], {inp: x})
    dk, pk, b = (w[f"separable_conv1d/{n}:0"] for n in ("depthwise_kernel", "pointwise_kernel", "bias"))
    assert dk.shape == (3, 3, 2) and pk.shape == (1, 6, 5) and b.shape == (5,)
    steps = 11 - 2 * (3 - 1)
    depth = np.stack([sum(x[:, t + 2 * j, :, None] * dk[j] for j in range(3)) for t in range(steps)], 1)
    ref = depth.reshape(2, steps, 6) @ pk[0] + b  # channel c, multiplier m -> c * 2 + m, as TF1
    np.testing.assert_allclose(yv, ref, rtol=1e-12)


@pytest.mark.parametrize("kind", ["conv3d", "conv3d_transpose", "max_pooling3d", "average_pooling3d",
                                  "separable_conv1d"])
def test_channels_first_equals_channels_last(kind: str) -> None:
    rank = 1 if kind == "separable_conv1d" else 3
    x = RS.rand(2, *(6, 5, 4)[:rank], 3)
    to_first = [0, rank + 1, *range(1, rank + 1)]
    to_last = [0, *range(2, rank + 2), 1]

    def build(fmt: str) -> Any:
        shape = list(x.shape) if fmt == "channels_last" else list(x.transpose(to_first).shape)
        inp = gf.placeholder(gf.float64, shape)
        fn = getattr(gf.layers, kind)
        if kind.endswith("pooling3d"):
            return inp, fn(inp, 2, (1, 2, 2), padding="same", data_format=fmt)
        if kind == "separable_conv1d":
            return inp, fn(inp, 4, 3, strides=2, padding="same", depth_multiplier=2, data_format=fmt, name="l")
        return inp, fn(inp, 4, 2, strides=(2, 1, 2), padding="same", data_format=fmt, name="l")
    with gf.Graph().as_default():
        inp, y = build("channels_last")
        w, (last,) = _run([y], {inp: x})
    w = {k: v + RS.rand(*v.shape) if "bias" in k else v for k, v in w.items()}  # a nonzero bias
    with gf.Graph().as_default():
        inp, y = build("channels_first")
        w2, (first,) = _run([y], {inp: x.transpose(to_first)}, w)
    assert {k: v.shape for k, v in w2.items()} == {k: v.shape for k, v in w.items()}
    with gf.Graph().as_default():
        inp, y = build("channels_last")
        _, (last,) = _run([y], {inp: x}, w)
    np.testing.assert_allclose(first.transpose(to_last), last, rtol=1e-12)


def test_trainable_regularizers_and_reuse() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 4, 4, 4, 2])
        gf.layers.conv3d(x, 3, 2, trainable=False, name="frozen")
        gf.layers.conv3d(x, 3, 2, name="shared", kernel_regularizer=lambda k: gf.reduce_sum(k * k),
                         activity_regularizer=lambda y: gf.reduce_mean(y))
        gf.layers.conv3d(x, 3, 2, name="shared", reuse=True)
        gf.layers.separable_conv1d(gf.zeros((1, 5, 2)), 2, 2, pointwise_regularizer=lambda k: gf.reduce_sum(k))
        names = sorted(v.name for v in gf.trainable_variables())
        assert names == ["separable_conv1d/bias:0", "separable_conv1d/depthwise_kernel:0",
                         "separable_conv1d/pointwise_kernel:0", "shared/bias:0", "shared/kernel:0"]
        assert sorted(v.name for v in gf.global_variables() if v.name.startswith("frozen")) == \
            ["frozen/bias:0", "frozen/kernel:0"]
        assert len(gf.get_collection(gf.GraphKeys.REGULARIZATION_LOSSES)) == 3
        assert gf.layers.Conv3D(1, 2).dtype is None and gf.layers.conv3d(x, 3, 2).dtype == gf.float32


def test_constructors_take_tf1s_positional_arguments() -> None:
    """TF1's transposed convolutions have no dilation_rate: the sixth argument is the activation."""
    for cls in (gf.layers.Conv2DTranspose, gf.layers.Conv3DTranspose):
        layer = cls(2, 3, 1, "same", "channels_last", gf.nn.relu, False)
        assert layer.activation is gf.nn.relu and layer.use_bias is False and layer.dilation_rate == (1,) * layer.rank
    conv = gf.layers.Conv3D(2, 3, 1, "same", "channels_last", 2, gf.nn.relu)
    assert conv.dilation_rate == (2, 2, 2) and conv.activation is gf.nn.relu
    sep = gf.layers.SeparableConv1D(2, 3, 1, "same", "channels_last", 2, 3, gf.nn.relu)
    assert sep.dilation_rate == (2,) and sep.depth_multiplier == 3 and sep.activation is gf.nn.relu


def test_input_spec_checks_calls() -> None:
    class Needs5D(gf.layers.Layer):
        def __init__(self) -> None:
            super().__init__()
            self.input_spec = gf.layers.InputSpec(ndim=5, axes={-1: 2})

        def call(self, inputs: Any) -> Any:
            return inputs * 2.0
    spec = gf.layers.InputSpec(shape=(None, 3), dtype="float32")
    assert spec.ndim == 2 and spec.dtype == "float32"
    assert repr(spec) == "InputSpec(dtype=float32, shape=(None, 3), ndim=2)"
    assert gf.layers.InputSpec.from_config(spec.get_config()).shape == (None, 3)
    with gf.Graph().as_default():
        layer = Needs5D()
        assert layer(gf.zeros((1, 2, 2, 2, 2))).shape.as_list() == [1, 2, 2, 2, 2]
        with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
            Needs5D()(gf.zeros((1, 2, 2, 2)))
        with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
            Needs5D()(gf.zeros((1, 2, 2, 2, 3)))
        # the built-in layers' specs, as TF1's: convolutions and pools take rank + 2 dims, dense 2 or more
        with pytest.raises(ValueError, match="layer conv3d is incompatible with the layer: expected ndim=5, found"):
            gf.layers.conv3d(gf.zeros((1, 4, 4, 2)), 2, 2)
        with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
            gf.layers.separable_conv1d(gf.zeros((1, 4, 4, 2)), 2, 2)
        with pytest.raises(ValueError, match="expected ndim=5, found ndim=3"):
            gf.layers.average_pooling3d(gf.zeros((1, 4, 2)), 2, 2)
        with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
            gf.layers.dense(gf.zeros((3,)), 2)


# ---- against TF1 ---------------------------------------------------------------------------------

def _tf1_layers() -> Any:
    tf = need("tf_keras")  # tf.compat.v1's layers come from tf-keras (TF_USE_LEGACY_KERAS=1)
    tf.disable_eager_execution()
    return tf


def _build_and_run(m: Any, build: Callable[[Any], tuple[list, list]], feeds: dict,
                   weights: dict | None) -> tuple[dict, list]:
    g = m.Graph()
    with g.as_default():
        fetches, phs = build(m)
        variables = m.global_variables()
        with m.Session(graph=g) as s:
            s.run(m.global_variables_initializer())
            for v in variables if weights is not None else []:
                v.load(weights[v.name], s)
            vals = s.run(variables)
            out = s.run(fetches, {ph: feeds[k] for k, ph in phs})
    return {v.name: val for v, val in zip(variables, vals)}, out


def test_layers_3d_match_tf1() -> None:
    tf = _tf1_layers()
    x, x1 = RS.rand(2, 4, 6, 6, 3), RS.rand(2, 9, 3)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 4, 6, 6, 3])
        seq = m.placeholder(m.float64, [None, 9, 3])
        h = m.layers.conv3d(inp, 4, (2, 3, 3), padding="same", activation=m.nn.relu,
                            kernel_regularizer=lambda k: 0.5 * m.reduce_sum(k * k))
        h = m.layers.conv3d_transpose(h, 3, (2, 2, 3), strides=2, padding="valid", activation=m.nn.tanh)
        h = m.layers.Conv3D(2, 2, strides=(1, 2, 1), name="strided")(h)
        h = m.layers.Conv3D(2, 2, dilation_rate=(1, 2, 2), padding="same", name="dilated")(h)
        h = m.layers.conv3d_transpose(h, 2, 3, strides=(1, 2, 1), padding="same")
        s = m.layers.separable_conv1d(seq, 4, 3, strides=2, padding="same", depth_multiplier=2,
                                      activation=m.nn.relu, bias_initializer=m.constant_initializer(0.1))
        s = m.layers.SeparableConv1D(3, 2, dilation_rate=2, name="sep_dilated")(s)
        loss = m.reduce_sum(h * h) + m.reduce_sum(s * s)
        reg = m.add_n(m.get_collection(m.GraphKeys.REGULARIZATION_LOSSES))
        vs = m.trainable_variables()
        grads = [m.convert_to_tensor(g) for g in m.gradients(loss, vs + [inp, seq])]
        return [h, s, reg] + grads, [("x", inp), ("s", seq)]
    theirs_w, theirs = _build_and_run(tf, build, {"x": x, "s": x1}, None)
    ours_w, ours = _build_and_run(gf, build, {"x": x, "s": x1}, theirs_w)
    assert sorted(ours_w) == sorted(theirs_w)
    assert {k: v.shape for k, v in ours_w.items()} == {k: v.shape for k, v in theirs_w.items()}
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_pooling_3d_matches_tf1() -> None:
    """In float32: TF1's 3-D pooling kernels take no float64."""
    tf = _tf1_layers()
    x = RS.rand(2, 5, 6, 7, 3).astype(np.float32)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float32, [None, 5, 6, 7, 3])
        outs = [m.layers.max_pooling3d(inp, 2, 2, padding="same"), m.layers.max_pooling3d(inp, (3, 2, 2), (1, 2, 3)),
                m.layers.average_pooling3d(inp, 2, 2, padding="same"),
                m.layers.AveragePooling3D((2, 3, 2), (2, 1, 2))(inp)]
        loss = m.add_n([m.reduce_sum(o * o) for o in outs])
        return outs + m.gradients(loss, [inp]), [("x", inp)]
    _, theirs = _build_and_run(tf, build, {"x": x}, None)
    _, ours = _build_and_run(gf, build, {"x": x}, None)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **value_tol(np.float32))


def test_layer_shapes_match_tf1_with_unknown_dims() -> None:
    tf = _tf1_layers()

    def shapes(m: Any) -> list:
        with m.Graph().as_default():
            x = m.placeholder(m.float32, [None, 5, 6, 7, 2])
            seq = m.placeholder(m.float32, [None, 9, 2])  # (graphflow's depthwise convs need static lengths)
            outs = [m.layers.conv3d(x, 3, 2, strides=2), m.layers.conv3d_transpose(x, 3, 3, strides=(1, 2, 3)),
                    m.layers.conv3d_transpose(x, 3, 2, strides=2, padding="same"),
                    m.layers.max_pooling3d(x, 3, 2), m.layers.average_pooling3d(x, 2, 2, padding="same"),
                    m.layers.separable_conv1d(seq, 4, 3)]
            return [(o.shape.as_list(), o.dtype.name) for o in outs]
    assert shapes(gf) == shapes(tf)
