"""tf.image's colour ops (graphflow/ops/image_color.py): numpy references (colorsys for HSV),
float64 gradients of the float cores, the random ones by their properties, and TF1 value for value
and gradient for gradient."""
from __future__ import annotations

import colorsys
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import image_color as IC
from tests.harness import check_gradient, run
from tests.optional import tf1
from tests.tolerances import value_tol

RS = np.random.RandomState(7)
F32 = value_tol("float32")


def _image(shape: tuple[int, ...] = (2, 4, 5, 3)) -> np.ndarray:
    x = RS.rand(*shape).astype(np.float32)
    flat = x.reshape(-1, 3)
    flat[0] = [0.5, 0.5, 0.5]  # grey: no hue
    flat[1] = [0.0, 0.0, 0.0]
    flat[2] = [0.2, 0.7, 0.7]  # ties for the maximum
    flat[3] = [1.0, 0.0, 0.0]
    return x


def _per_pixel(fn: Any, x: np.ndarray) -> np.ndarray:
    return np.array([fn(*p) for p in x.reshape(-1, 3)], dtype=np.float64).reshape(x.shape)


def _hue_ref(x: np.ndarray, delta: float) -> np.ndarray:
    def one(r: float, g: float, b: float) -> tuple:
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb((h + delta) % 1.0, s, v)
    return _per_pixel(one, x)


def _saturation_ref(x: np.ndarray, factor: float) -> np.ndarray:
    def one(r: float, g: float, b: float) -> tuple:
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb(h, min(max(s * factor, 0.0), 1.0), v)
    return _per_pixel(one, x)


def _convert_ref(x: np.ndarray, dtype: np.dtype, saturate: bool = False) -> np.ndarray:
    """TF's rules, written out with numpy's integer and float arithmetic."""
    src, dst = x.dtype, np.dtype(dtype)
    if src.kind in "iu" and dst.kind in "iu":
        mi, mo = np.iinfo(src).max, np.iinfo(dst).max
        if mi > mo:
            return (x // ((mi + 1) // (mo + 1))).astype(dst)
        return x.astype(dst) * dst.type((mo + 1) // (mi + 1))
    if src.kind in "iu":
        return x.astype(dst) * dst.type(1.0 / np.iinfo(src).max)
    scaled = x * src.type(np.iinfo(dst).max + 0.5)
    if saturate:
        scaled = np.clip(scaled, np.iinfo(dst).min, np.iinfo(dst).max)
    return scaled.astype(dst)


def test_colour_ops_match_numpy_references() -> None:
    x = _image()
    xu = (RS.rand(3, 4, 3) * 255).astype(np.uint8)
    xi = np.array([0, 1, 127, 128, 254, 255], np.uint8)
    with gf.Graph().as_default():
        c, cu = gf.constant(x), gf.constant(xu)
        fetches = {
            "hsv": gf.image.rgb_to_hsv(c),
            "hsv_back": gf.image.hsv_to_rgb(gf.image.rgb_to_hsv(c)),
            "hue": gf.image.adjust_hue(c, 0.3),
            "hue_neg": gf.image.adjust_hue(c, -0.85),
            "sat": gf.image.adjust_saturation(c, 1.6),
            "sat_low": gf.image.adjust_saturation(c, 0.4),
            "gray": gf.image.rgb_to_grayscale(c),
            "gray_u8": gf.image.rgb_to_grayscale(cu),
            "to_rgb": gf.image.grayscale_to_rgb(gf.image.rgb_to_grayscale(c)),
            "yiq": gf.image.rgb_to_yiq(c),
            "yiq_back": gf.image.yiq_to_rgb(gf.image.rgb_to_yiq(c)),
            "yuv_back": gf.image.yuv_to_rgb(gf.image.rgb_to_yuv(c)),
            "bright_u8": gf.image.adjust_brightness(cu, 0.2),
            "contrast": gf.image.adjust_contrast(c, 1.7),
            "contrast_u8": gf.image.adjust_contrast(cu, 0.5),
            "gamma": gf.image.adjust_gamma(c, 2.2, 0.8),
            "std": gf.image.per_image_standardization(c),
            "std_flat": gf.image.per_image_standardization(gf.ones([3, 3, 1])),
            "psnr": gf.image.psnr(c, c * 0.9, 1.0),
            "to_f32": gf.image.convert_image_dtype(gf.constant(xi), gf.float32),
            "to_i16": gf.image.convert_image_dtype(gf.constant(xi), gf.int16),
            "i16_to_u8": gf.image.convert_image_dtype(gf.constant(xi.astype(np.int16) * 200), gf.uint8),
            "f_to_u8": gf.image.convert_image_dtype(gf.constant([0.0, 0.5, 0.999, 1.0]), gf.uint8),
            "f_to_u8_sat": gf.image.convert_image_dtype(gf.constant([-0.5, 0.5, 1.5]), gf.uint8, saturate=True),
        }
        got = run(fetches)
    xd = x.astype(np.float64)
    hsv = _per_pixel(colorsys.rgb_to_hsv, xd)
    np.testing.assert_allclose(got["hsv"], hsv, **F32)
    np.testing.assert_allclose(got["hsv_back"], x, **F32)
    np.testing.assert_allclose(got["hue"], _hue_ref(xd, 0.3), atol=2e-6)
    np.testing.assert_allclose(got["hue_neg"], _hue_ref(xd, -0.85), atol=2e-6)
    np.testing.assert_allclose(got["sat"], _saturation_ref(xd, 1.6), atol=2e-6)
    np.testing.assert_allclose(got["sat_low"], _saturation_ref(xd, 0.4), atol=2e-6)
    gray = xd @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(got["gray"][..., 0], gray, **F32)
    assert got["gray"].shape == x.shape[:-1] + (1,) and got["gray"].dtype == np.float32
    want_u8 = ((xu / 255.0) @ np.array([0.2989, 0.5870, 0.1140]) * 255.5).astype(np.uint8)
    assert np.abs(got["gray_u8"][..., 0].astype(int) - want_u8).max() <= 1  # float32 vs float64 truncation
    np.testing.assert_allclose(got["to_rgb"], np.repeat(got["gray"], 3, axis=-1), **F32)
    np.testing.assert_allclose(got["yiq"], xd @ IC._RGB_TO_YIQ, **F32)
    # TF's matrices are inverses to about 1e-4 only: the round trips against the same products
    np.testing.assert_allclose(got["yiq_back"], xd @ IC._RGB_TO_YIQ @ IC._YIQ_TO_RGB, atol=1e-6)
    np.testing.assert_allclose(got["yuv_back"], xd @ IC._RGB_TO_YUV @ IC._YUV_TO_RGB, atol=1e-6)
    want = np.clip(xu / 255.0 + 0.2, 0, 1) * 255.5
    assert np.abs(got["bright_u8"].astype(int) - want.astype(int)).max() <= 1
    mean = xd.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got["contrast"], (xd - mean) * 1.7 + mean, atol=1e-6)
    fu = xu / 255.0
    mu = fu.mean(axis=(0, 1))
    assert np.abs(got["contrast_u8"].astype(int) - (((fu - mu) * 0.5 + mu) * 255.5).astype(int)).max() <= 1
    np.testing.assert_allclose(got["gamma"], 0.8 * xd ** 2.2, atol=1e-6)
    sd = np.maximum(xd.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(60))
    np.testing.assert_allclose(got["std"], (xd - xd.mean(axis=(1, 2, 3), keepdims=True)) / sd, atol=1e-5)
    np.testing.assert_array_equal(got["std_flat"], np.zeros((3, 3, 1)))
    mse = ((xd - np.float32(0.9) * x) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(got["psnr"], -10 * np.log10(mse), rtol=1e-5)
    np.testing.assert_array_equal(got["to_f32"], _convert_ref(xi, np.float32))
    np.testing.assert_array_equal(got["to_i16"], _convert_ref(xi, np.int16))
    np.testing.assert_array_equal(got["i16_to_u8"], _convert_ref(xi.astype(np.int16) * 200, np.uint8))
    np.testing.assert_array_equal(got["f_to_u8"], [0, 127, 255, 255])
    np.testing.assert_array_equal(got["f_to_u8_sat"], [0, 127, 255])


def test_ssim_and_its_multiscale_form_match_numpy_references() -> None:
    a = RS.rand(23, 25, 2).astype(np.float32)
    b = np.clip(a + RS.randn(*a.shape).astype(np.float32) * 0.2, 0, 1)
    with gf.Graph().as_default():
        ours = run([gf.image.ssim(a, b, 1.0), gf.image.ssim(a, a, 1.0), gf.image.ssim(a[None], b[None], 1.0),
                    gf.image.ssim_multiscale(a[None], b[None], 1.0, power_factors=(0.4, 0.6))])
    w = IC._gauss(11, 1.5)[:, :, 0, 0]

    def local(t: np.ndarray) -> np.ndarray:  # 'VALID' windows
        h, wd = t.shape[0] - 10, t.shape[1] - 10
        return np.array([[[np.sum(t[i:i + 11, j:j + 11, c] * w) for c in range(t.shape[2])]
                          for j in range(wd)] for i in range(h)])
    def parts(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # per channel: ssim, cs
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        mp, mq = local(p), local(q)
        lum = (2 * mp * mq + c1) / (mp ** 2 + mq ** 2 + c1)
        cs = (2 * local(p * q) - 2 * mp * mq + c2) / (local(p ** 2 + q ** 2) - mp ** 2 - mq ** 2 + c2)
        return (lum * cs).mean(axis=(0, 1)), cs.mean(axis=(0, 1))

    def halve(p: np.ndarray) -> np.ndarray:  # the last row and column repeated to even sizes
        p = np.concatenate([p, p[-1:]], 0) if p.shape[0] % 2 else p
        p = np.concatenate([p, p[:, -1:]], 1) if p.shape[1] % 2 else p
        return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ssim0, cs0 = parts(a64, b64)
    want = ssim0.mean()
    np.testing.assert_allclose(ours[0], want, rtol=1e-5)
    np.testing.assert_allclose(ours[1], 1.0, rtol=1e-6)
    np.testing.assert_allclose(ours[2], [want], rtol=1e-5)
    ssim1, _ = parts(halve(a64), halve(b64))
    np.testing.assert_allclose(ours[3], [(np.maximum(cs0, 0) ** 0.4 * np.maximum(ssim1, 0) ** 0.6).mean()], rtol=1e-5)


def test_bad_arguments_are_refused_when_the_graph_is_built() -> None:
    with gf.Graph().as_default():
        rgb = gf.zeros([2, 2, 3])
        for call, text in [(lambda: gf.image.rgb_to_hsv(gf.zeros([2, 2, 4])), "last dimension 3"),
                           (lambda: gf.image.grayscale_to_rgb(rgb), "last dimension of 1"),
                           (lambda: gf.image.adjust_hue(rgb, 1.5), "interval [-1, 1]"),
                           (lambda: gf.image.random_hue(rgb, 0.6), "<= 0.5"),
                           (lambda: gf.image.random_contrast(rgb, 0.5, 0.2), "upper must be > lower"),
                           (lambda: gf.image.random_saturation(rgb, -1.0, 0.2), "non-negative"),
                           (lambda: gf.image.random_brightness(rgb, -0.1), "non-negative"),
                           (lambda: gf.image.adjust_gamma(rgb, -1.0), "non-negative"),
                           (lambda: gf.image.ssim(rgb, rgb, 1.0), "at least 11x11"),
                           (lambda: gf.image.psnr(rgb, gf.zeros([2, 3, 3]), 1.0), "one shape")]:
            with pytest.raises(ValueError, match=text.replace("[", r"\[").replace("]", r"\]")):
                call()
        with pytest.raises(AttributeError, match="floating point or integer"):
            gf.image.convert_image_dtype(gf.constant([True]), gf.float32)


def test_gradients_of_the_float_cores_in_float64() -> None:
    # channels kept apart (no ties for the maximum or minimum) and away from sector edges, where
    # TF's piecewise definitions have kinks
    x = np.array([[[0.9, 0.4, 0.1], [0.2, 0.8, 0.5], [0.3, 0.15, 0.7]]])
    hsv = np.array([[[0.1, 0.6, 0.7], [0.45, 0.3, 0.9], [0.8, 0.5, 0.4]]])
    check_gradient(lambda t: gf.image.rgb_to_hsv(t), [x])
    check_gradient(lambda t: gf.image.hsv_to_rgb(t), [hsv])
    check_gradient(lambda t: IC._adjust_hue_float(t, 0.2), [x])
    check_gradient(lambda t: IC._adjust_saturation_float(t, 1.3), [x])
    contrast = lambda t: (t - gf.reduce_mean(t, axis=[-3, -2], keepdims=True)) * 1.5  # noqa: E731
    check_gradient(lambda t: contrast(t), [x[None]])
    img = RS.rand(6, 6, 1)  # a 5x5 window keeps the check small
    other = RS.rand(6, 6, 1)
    one = gf.constant(1.0, gf.float64)
    check_gradient(lambda a: gf.reduce_mean(gf.multiply(*IC._ssim_parts(a, gf.constant(other), one, 5, 1.0,
                                                                         0.01, 0.03))), [img])


def _factor_runs(out: list[gf.Tensor], n: int) -> list:
    with gf.Session() as s:
        return [s.run(out) for _ in range(n)]


def test_random_adjustments_draw_their_factor_uniformly_and_repeat_with_a_seed() -> None:
    base = np.full((2, 2, 3), 0.5, np.float32)
    base[0, 0] = [0.5, 0.4, 0.45]  # saturation 0.2: never clipped by factors below 2
    with gf.Graph().as_default():
        gf.set_random_seed(3)
        x = gf.constant(base)
        bright = gf.image.random_brightness(gf.zeros([2, 2, 3]), 0.25, seed=1)
        contrast = gf.image.random_contrast(gf.constant([[[0.2], [0.6]]]), 0.5, 1.5, seed=2)
        sat = gf.image.random_saturation(x, 0.3, 1.8, seed=3)
        hue = gf.image.random_hue(x, 0.4, seed=4)
        draws = _factor_runs([bright, contrast, sat, hue], 300)
        again = _factor_runs([bright, contrast, sat, hue], 1)
    deltas = np.array([d[0] for d in draws])
    assert deltas.shape == (300, 2, 2, 3) and (deltas == deltas[:, :1, :1, :1]).all()
    d = deltas[:, 0, 0, 0]
    assert -0.25 <= d.min() and d.max() < 0.25 and d.min() < -0.2 and d.max() > 0.2
    assert abs(d.mean()) < 0.03 and abs(d.std() - 0.5 / np.sqrt(12)) < 0.02  # uniform's moments
    factors = np.array([(dr[1][0, 1, 0] - 0.4) / 0.2 for dr in draws])
    assert 0.5 - 1e-5 <= factors.min() and factors.max() < 1.5 + 1e-5 and abs(factors.mean() - 1.0) < 0.06
    sats = np.array([colorsys.rgb_to_hsv(*dr[2][0, 0])[1] / 0.2 for dr in draws])
    assert 0.3 - 1e-4 <= sats.min() and sats.max() < 1.8 + 1e-4 and abs(sats.mean() - 1.05) < 0.08
    h0 = colorsys.rgb_to_hsv(*base[0, 0])[0]
    turns = np.array([(colorsys.rgb_to_hsv(*dr[3][0, 0])[0] - h0 + 0.5) % 1.0 - 0.5 for dr in draws])
    assert -0.4 - 1e-4 <= turns.min() and turns.max() < 0.4 + 1e-4 and abs(turns.mean()) < 0.05
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(draws[0], again[0]))  # fresh session


@pytest.mark.needs("tensorflow")
def test_values_and_gradients_match_tf1() -> None:
    tf = tf1()
    x = _image((1, 6, 7, 3))
    xu = (RS.rand(5, 4, 3) * 255).astype(np.uint8)
    big = RS.rand(1, 12, 11, 3).astype(np.float32)
    smooth = RS.rand(1, 6, 7, 3).astype(np.float32)  # no ties among a pixel's channels: no kinks

    def build(m: Any) -> tuple[list, list]:
        c, cu, cb, cs = m.constant(x), m.constant(xu), m.constant(big), m.constant(smooth)
        ys = [m.image.rgb_to_hsv(c), m.image.hsv_to_rgb(c), m.image.adjust_hue(c, 0.37), m.image.adjust_hue(cu, -0.6),
              m.image.adjust_saturation(c, 1.7), m.image.adjust_saturation(cu, 0.3), m.image.rgb_to_grayscale(cu),
              m.image.rgb_to_yiq(c), m.image.yuv_to_rgb(c), m.image.adjust_brightness(cu, -0.3),
              m.image.adjust_contrast(cu, 1.9), m.image.adjust_contrast(c, 0.4), m.image.adjust_gamma(cu, 0.5, 1.1),
              m.image.per_image_standardization(cu), m.image.psnr(cu, cu // 2, 255),
              m.image.ssim(cb, cb * 0.7 + 0.1, 1.0), m.image.convert_image_dtype(c * 1.2 - 0.1, m.uint8, True),
              m.image.convert_image_dtype(cu, m.int32), m.image.convert_image_dtype(cu, m.float64)]
        differentiable = [m.image.rgb_to_grayscale(cs), m.image.rgb_to_yiq(cs), m.image.adjust_brightness(cs, 0.1),
                          m.image.adjust_gamma(cs, 1.7), m.image.per_image_standardization(cs),
                          m.image.psnr(cs, cs * 0.5, 1.0), m.image.ssim(cb, cb * cb, 1.0), m.image.rgb_to_hsv(cs)]
        grads = [m.gradients(y, [cs if i != 6 else cb])[0] for i, y in enumerate(differentiable)]
        return ys, grads
    with gf.Graph().as_default():
        ys, grads = build(gf)
        ours = run([ys, grads])
    with tf.Graph().as_default():
        ys_t, grads_t = build(tf)
        with tf.Session() as s:
            theirs = s.run([ys_t, [g for g in grads_t]])
    for k, (a, b) in enumerate(zip(ours[0], theirs[0])):
        assert a.dtype == b.dtype and a.shape == b.shape, k
        if a.dtype.kind in "iu":
            np.testing.assert_array_equal(a, b, err_msg=f"output {k}")
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"output {k}")
    for k, (a, b) in enumerate(zip(ours[1], theirs[1])):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"gradient {k}")


@pytest.mark.needs("tensorflow")
def test_ssim_multiscale_matches_tf1() -> None:
    tf = tf1()
    a = RS.rand(1, 177, 179, 2).astype(np.float32)  # odd sizes: each halving repeats the last row/column
    b = np.clip(a + RS.randn(*a.shape).astype(np.float32) * 0.1, 0, 1)
    au, bu = (a[0] * 255).astype(np.uint8), (b[0] * 255).astype(np.uint8)

    def build(m: Any) -> list:
        return [m.image.ssim_multiscale(m.constant(a), m.constant(b), 1.0),
                m.image.ssim_multiscale(m.constant(au), m.constant(bu), 255, power_factors=(0.5, 0.3, 0.2))]
    with gf.Graph().as_default():
        ours = run(build(gf))
    with tf.Graph().as_default(), tf.Session() as s:
        theirs = s.run(build(tf))
    for x, y in zip(ours, theirs):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=2e-5)  # float64 accumulation here, float32 in TF (differences.md)
