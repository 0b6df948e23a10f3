"""tf.image's geometry: resizes (against direct numpy loops and TF1's kernels), crops, pads, flips,
rotations, patches, boxes; float64 gradients; the random ones by their properties."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops import image_resize as RZ
from tests.harness import check_gradient, run
from tests.optional import tf1

RS = np.random.RandomState(7)
IMG = RS.rand(2, 5, 4, 3).astype(np.float32)  # odd height, channels > 1
# (align_corners, half_pixel_centers) as TF1's raw ops take them
FLAGS = [(False, False), (True, False), (False, True)]
SIZES = [(9, 7), (3, 2), (5, 6), (1, 1)]


def _bilinear_loop(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """TF's legacy bilinear resize, one output pixel at a time."""
    _, h, w, _ = x.shape
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i, j in itertools.product(range(oh), range(ow)):
        y, xx = i * h / oh, j * w / ow
        y0, x0 = int(np.floor(y)), int(np.floor(xx))
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = y - y0, xx - x0
        top = x[:, y0, x0] * (1 - lx) + x[:, y0, x1] * lx
        bottom = x[:, y1, x0] * (1 - lx) + x[:, y1, x1] * lx
        out[:, i, j] = top * (1 - ly) + bottom * ly
    return out


def _area_loop(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """The mean of each output box over the input pixels it covers (integer-ratio downscales)."""
    b, h, w, c = x.shape
    return x.reshape(b, oh, h // oh, ow, w // ow, c).mean(axis=(2, 4))


def test_resizes_match_numpy_loops() -> None:
    x = RS.rand(2, 6, 4, 2).astype(np.float32)
    ops = {"bilinear": gf.image.resize_bilinear(x, [4, 7]), "area": gf.image.resize_area(x, [3, 2]),
           "nearest": gf.image.resize_nearest_neighbor((x * 100).astype(np.int32), [12, 2]),
           "images3d": gf.image.resize_images(x[0], [4, 7])}
    got = run(ops)
    np.testing.assert_allclose(got["bilinear"], _bilinear_loop(x, 4, 7), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["images3d"], _bilinear_loop(x, 4, 7)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["area"], _area_loop(x, 3, 2), rtol=1e-5, atol=1e-6)
    # nearest keeps the dtype: rows 0,0,1,1,... (floor(i * 6 / 12)), columns 0 and 2
    assert got["nearest"].dtype == np.int32
    np.testing.assert_array_equal(got["nearest"], (x * 100).astype(np.int32)[:, np.arange(12) // 2][:, :, [0, 2]])
    # bicubic reproduces linear ramps inside the image (a cubic kernel's partition of unity and linearity)
    ramp = np.tile(np.arange(8, dtype=np.float32)[None, :, None, None], (1, 1, 8, 1))
    up = run(gf.image.resize_bicubic(ramp, [15, 15], align_corners=True))
    np.testing.assert_allclose(up[0, 2:-2, 3, 0], np.arange(2, 13) * 0.5, atol=1e-4)


def test_resize_images_dtypes_shapes_and_errors() -> None:
    u8 = (IMG * 255).astype(np.uint8)
    out = run({"bil": gf.image.resize_images(u8, [3, 3]), "nn": gf.image.resize(u8, [3, 3], method=1),
               "same": gf.image.resize_images(u8, [5, 4]),
               "aspect": gf.image.resize_images(IMG, [10, 10], preserve_aspect_ratio=True),
               "tensor_size": gf.image.resize_images(IMG, gf.constant([2, 2]) * 3)})
    assert out["bil"].dtype == np.float32 and out["nn"].dtype == np.uint8 and out["same"].dtype == np.uint8
    np.testing.assert_array_equal(out["same"], u8)
    assert out["aspect"].shape == (2, 10, 8, 3) and out["tensor_size"].shape == (2, 6, 6, 3)
    assert [int(m) for m in gf.image.ResizeMethod] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="computed at run time"):
        gf.image.resize_images(IMG, gf.placeholder(gf.int32, [2]))
    with pytest.raises(ValueError, match="cannot both be True"):
        gf.image.resize_bilinear(IMG, [3, 3], align_corners=True, half_pixel_centers=True)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        gf.image.resize_images(IMG[0, 0], [3, 3])


def test_resize_gradients_float64() -> None:
    x = RS.rand(1, 3, 4, 1)
    for method, (ac, hp) in itertools.product((0, 1, 2), FLAGS):
        check_gradient(lambda t, m=method, a=ac, h=hp: RZ.resize(t, [5, 3], m, a, h, dtype=gf.float64), [x])


def test_crops_pads_flips_rotations() -> None:
    x = IMG
    ops = {"lr": gf.image.flip_left_right(x), "ud": gf.image.flip_up_down(x[0]),
           "rot": [gf.image.rot90(x, k) for k in range(-1, 5)], "tr": gf.image.transpose_image(x[0]),
           "crop": gf.image.crop_to_bounding_box(x, 1, 2, 3, 2), "pad": gf.image.pad_to_bounding_box(x[0], 2, 1, 8, 6),
           "cc": gf.image.central_crop(x, 0.5), "cop": gf.image.resize_image_with_crop_or_pad(x, 3, 7),
           "rk": gf.image.rot90(x[0, :4], gf.constant(3) + gf.constant(0) * gf.placeholder_with_default(0, [])),
           "crop_rt": gf.image.crop_to_bounding_box(x, gf.placeholder_with_default(1, []), 2, 3, 2),
           "flip_rt": gf.image.flip_up_down(gf.placeholder_with_default(x, [None, None, None, 3])),
           "cc_rt": [gf.image.central_crop(gf.placeholder_with_default(x[0], [None, None, 3]), f)
                     for f in (0.875, 0.3)],
           "cop_rt": gf.image.resize_image_with_crop_or_pad(gf.placeholder_with_default(x, [None, None, None, 3]),
                                                            3, 7)}
    got = run(ops)
    np.testing.assert_array_equal(got["lr"], x[:, :, ::-1])
    np.testing.assert_array_equal(got["ud"], x[0, ::-1])
    for k, r in zip(range(-1, 5), got["rot"]):
        np.testing.assert_array_equal(r, np.rot90(x, k, axes=(1, 2)))
    np.testing.assert_array_equal(got["tr"], x[0].transpose(1, 0, 2))
    np.testing.assert_array_equal(got["crop"], x[:, 1:4, 2:4])
    np.testing.assert_array_equal(got["pad"], np.pad(x[0], [(2, 1), (1, 1), (0, 0)]))
    np.testing.assert_array_equal(got["cc"], x[:, 1:4, 1:3])
    np.testing.assert_array_equal(got["cop"], np.pad(x[:, 1:4], [(0, 0), (0, 0), (1, 2), (0, 0)]))
    np.testing.assert_array_equal(got["rk"], np.rot90(x[0, :4], 3))
    np.testing.assert_array_equal(got["crop_rt"], x[:, 1:4, 2:4])
    np.testing.assert_array_equal(got["flip_rt"], x[:, ::-1])
    np.testing.assert_array_equal(got["cc_rt"][0], x[0])  # int((5 - 4.375) / 2) = 0 and int((4 - 3.5) / 2) = 0
    np.testing.assert_array_equal(got["cc_rt"][1], x[0, 1:4, 1:3])
    np.testing.assert_array_equal(got["cop_rt"], got["cop"])
    with pytest.raises(ValueError, match="width must be >= target"):
        gf.image.crop_to_bounding_box(x, 0, 3, 2, 2)
    with pytest.raises(ValueError, match="height must be <= target"):
        gf.image.pad_to_bounding_box(x, 1, 0, 5, 4)
    with pytest.raises(ValueError, match="square images"):
        gf.image.rot90(x, gf.placeholder(gf.int32, []))


def _patches(x: np.ndarray, k: tuple[int, int], s: tuple[int, int], r: tuple[int, int], padding: str) -> np.ndarray:
    """extract_image_patches by explicit windows over a zero-padded image."""
    b, h, w, c = x.shape
    span = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "SAME":
        out = [-(-n // st) for n, st in zip((h, w), s)]
        tot = [max((o - 1) * st + sp - n, 0) for o, st, sp, n in zip(out, s, span, (h, w))]
    else:
        out = [-(-(n - sp + 1) // st) for n, st, sp in zip((h, w), s, span)]
        tot = [0, 0]
    xp = np.pad(x, [(0, 0), (tot[0] // 2, tot[0] - tot[0] // 2), (tot[1] // 2, tot[1] - tot[1] // 2), (0, 0)])
    res = np.zeros((b, out[0], out[1], k[0] * k[1] * c), x.dtype)
    for i, j in itertools.product(range(out[0]), range(out[1])):
        win = xp[:, i * s[0]:i * s[0] + span[0]:r[0], j * s[1]:j * s[1] + span[1]:r[1]]
        res[:, i, j] = win.reshape(b, -1)
    return res


def test_patches_variation_gradients_sobel() -> None:
    x = IMG
    cases = [((2, 3), (2, 1), (1, 1), "SAME"), ((2, 2), (1, 2), (2, 1), "VALID"), ((3, 2), (3, 3), (1, 2), "SAME")]
    ops = {"p": [gf.extract_image_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], p) for k, s, r, p in cases],
           "ep": gf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
           "tv3": gf.image.total_variation(x[0]), "tv4": gf.image.total_variation(x),
           "grad": gf.image.image_gradients(x), "sobel": gf.image.sobel_edges(x)}
    got = run(ops)
    for (k, s, r, p), g in zip(cases, got["p"]):
        np.testing.assert_array_equal(g, _patches(x, k, s, r, p))
    np.testing.assert_array_equal(got["ep"], _patches(x, (2, 2), (1, 1), (1, 1), "VALID"))
    tv = np.abs(np.diff(x, axis=1)).sum(axis=(1, 2, 3)) + np.abs(np.diff(x, axis=2)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(got["tv4"], tv, rtol=1e-5)
    np.testing.assert_allclose(got["tv3"], tv[0], rtol=1e-5)
    dy, dx = got["grad"]
    np.testing.assert_allclose(dy[:, :-1], np.diff(x, axis=1), rtol=1e-6)
    assert not dy[:, -1].any() and not dx[:, :, -1].any()
    np.testing.assert_allclose(dx[:, :, :-1], np.diff(x, axis=2), rtol=1e-6)
    xp = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    sob = [sum(kk[i, j] * xp[:, i:i + 5, j:j + 4] for i in range(3) for j in range(3)) for kk in (ky, ky.T)]
    np.testing.assert_allclose(got["sobel"], np.stack(sob, -1), rtol=1e-5, atol=1e-6)


def test_geometry_gradients_float64() -> None:
    def bundle(t: Any) -> Any:
        parts = [gf.image.flip_left_right(t), gf.image.rot90(t, 1), gf.image.crop_to_bounding_box(t, 1, 0, 2, 3),
                 gf.image.pad_to_bounding_box(t, 1, 1, 5, 6), gf.image.resize_image_with_crop_or_pad(t, 2, 6),
                 gf.extract_image_patches(t, [1, 2, 2, 1], [1, 1, 2, 1], [1, 1, 1, 1], "SAME"),
                 gf.image.sobel_edges(t), gf.image.total_variation(t)]
        return gf.concat([gf.reshape(p, [-1]) for p in parts], 0)
    check_gradient(bundle, [RS.rand(1, 4, 4, 1) + np.arange(16).reshape(1, 4, 4, 1)])


def test_crop_and_resize_nms_draw() -> None:
    img = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4, 1)
    boxes = np.array([[0, 0, 1, 1], [0.5, 0.25, 1.5, 0.75], [0.2, 0.3, 0.2, 0.3]], np.float32)
    out = run({"car": gf.image.crop_and_resize(img, boxes, [0, 1, 1], [3, 2], extrapolation_value=-1.0),
               "nms": gf.image.non_max_suppression([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3], [0, 0, 1, 1]],
                                                   [0.6, 0.9, 0.5, 0.9], 3, 0.5),
               "draw": gf.image.draw_bounding_boxes(np.zeros((1, 4, 5, 3), np.float32), [[[0, 0, 1, 1]]])})
    # box 0 is the whole first image: corners, and the column midpoint 1.5 of rows 0, 1, 2
    np.testing.assert_allclose(out["car"][0, :, :, 0], [[0, 3], [4, 7], [8, 11]])
    np.testing.assert_allclose(out["car"][1, 2, :, 0], [-1, -1])  # row 1.5 * 2 = 3 is outside the image
    np.testing.assert_allclose(out["car"][2, :, :, 0], np.full((3, 2), 12 + 0.4 * 4 + 0.9))
    np.testing.assert_array_equal(out["nms"], [1, 2])  # tie at 0.9: index 1 first; 3 and 0 overlap it
    frame = np.zeros((4, 5), bool)
    frame[[0, -1]] = frame[:, [0, -1]] = True
    np.testing.assert_array_equal(out["draw"][0], np.where(frame[..., None], [1.0, 1.0, 0.0], 0.0))


def test_random_flips_and_crops_by_properties() -> None:
    x = np.arange(64 * 2 * 3, dtype=np.float32).reshape(64, 2, 3, 1)
    lr = gf.image.random_flip_left_right(x, seed=3)
    ud = gf.image.random_flip_up_down(x[0], seed=4)
    crop = gf.image.random_crop(x[0], [1, 2, 1], seed=5)
    with gf.Session() as sess:
        a, b = sess.run(lr), sess.run(lr)
        uds = [sess.run(ud) for _ in range(16)]
        crops = {sess.run(crop).tobytes() for _ in range(24)}
    for out in (a, b):
        flipped = np.all(out == x[:, :, ::-1], axis=(1, 2, 3))
        assert np.all(flipped | np.all(out == x, axis=(1, 2, 3)))  # each image whole, flipped or not
        assert 0 < flipped.sum() < 64  # per image coins (P(all equal) = 2 ** -63)
    assert not np.array_equal(a, b)
    assert any(np.array_equal(u, x[0, ::-1]) for u in uds) and any(np.array_equal(u, x[0]) for u in uds)
    assert len(crops) == 4  # every offset of a 1x2 window in a 2x3 image occurs
    gf.reset_default_graph()
    again = gf.image.random_flip_left_right(x, seed=3)
    np.testing.assert_array_equal(run(again), a)  # the same seeds repeat the first run


# ---- against TF1 -------------------------------------------------------------------------------

def _resize_graph(m: Any, x: Any) -> tuple[list, list]:
    outs, areas = [], []
    for (oh, ow), (ac, hp) in itertools.product(SIZES, FLAGS):
        for fn in (m.image.resize_bilinear, m.image.resize_bicubic, m.image.resize_nearest_neighbor):
            outs.append(fn(x, [oh, ow], align_corners=ac, half_pixel_centers=hp))
    for (oh, ow), ac in itertools.product(SIZES, (False, True)):
        areas.append(m.image.resize_area(x, [oh, ow], align_corners=ac))
    u8 = m.cast(x * 255.0, m.uint8)
    for method in range(4):
        (areas if method == 3 else outs).extend([
            m.image.resize_images(x[0], [7, 3], method=method, align_corners=method == 2),
            m.image.resize_images(u8, [3, 7], method=method)])
    outs += [m.image.resize_images(x, [12, 12], preserve_aspect_ratio=True), m.image.resize(x, [5, 4]),
             m.image.resize_image_with_pad(x, 7, 9), m.image.resize_image_with_pad(x[1], 4, 3, method=1)]
    return outs, areas


def _geometry_graph(m: Any, x: Any) -> tuple[list, list]:
    outs = [m.image.flip_left_right(x), m.image.flip_up_down(x), m.image.transpose_image(x[0]),
            m.image.central_crop(x, 0.6), m.image.central_crop(x[0], 0.33),
            m.image.crop_to_bounding_box(x, 1, 1, 3, 2), m.image.pad_to_bounding_box(x, 0, 2, 6, 7),
            m.image.resize_image_with_crop_or_pad(x, 3, 7), m.image.resize_image_with_crop_or_pad(x[0], 8, 1),
            m.image.total_variation(x), m.image.total_variation(x[0]), m.image.sobel_edges(x),
            *m.image.image_gradients(x)]
    outs += [m.image.rot90(x, k) for k in (-3, 0, 1, 2, 3, 6)] + [m.image.rot90(x[0], 1)]
    for k, s, r, p in [(2, 1, 1, "SAME"), (3, 2, 1, "VALID"), (2, 3, 2, "SAME"), (2, 2, 2, "VALID")]:
        outs.append(m.extract_image_patches(x, [1, k, k + 1, 1], [1, s, 1, 1], [1, 1, r, 1], p))
    boxes = m.constant([[0.0, 0.0, 1.0, 1.0], [0.1, 0.3, 0.8, 0.6], [-0.2, 0.4, 1.3, 1.1], [0.9, 0.8, 0.2, 0.1],
                        [0.5, 0.5, 0.5, 0.5]])
    for size, method in [([3, 4], "bilinear"), ([1, 5], "bilinear"), ([4, 2], "nearest")]:
        outs.append(m.image.crop_and_resize(x, boxes, [0, 1, 0, 1, 1], size, method=method, extrapolation_value=0.5))
    return outs, []


def _host_graph(m: Any, x: Any) -> tuple[list, list]:
    rs = np.random.RandomState(3)
    bx = m.constant(rs.rand(30, 4).astype(np.float32))
    sc = m.constant(rs.rand(30).astype(np.float32))
    draw_boxes = m.constant([[[0.1, 0.2, 0.9, 0.7], [-0.5, 0.5, 0.6, 1.5], [0.3, 0.1, 0.4, 0.9]]] * 2)
    overlaps = m.constant(rs.rand(30, 30).astype(np.float32))

    def padded(b: Any, s: Any, n: int, iou: float, pad_to_max_output_size: bool = False) -> Any:
        if m is gf:
            return m.image.non_max_suppression_padded(b, s, n, iou, pad_to_max_output_size=pad_to_max_output_size)
        # TF 1.15's non_max_suppression_padded is this op (TF 2's Python function is another algorithm)
        return m.raw_ops.NonMaxSuppressionV4(boxes=b, scores=s, max_output_size=n, iou_threshold=iou,
                                             score_threshold=float("-inf"),
                                             pad_to_max_output_size=pad_to_max_output_size)
    return [], [m.image.non_max_suppression(bx, sc, 10, 0.3), m.image.non_max_suppression(bx, sc, 5, 0.7, 0.4),
                *m.image.non_max_suppression_with_scores(bx, sc, 8, 0.4, 0.2),
                *m.image.non_max_suppression_with_scores(bx, sc, 12, 0.4, 0.1, soft_nms_sigma=0.5),
                *padded(bx, sc, 12, 0.2, pad_to_max_output_size=True), *padded(bx, sc, 12, 0.6),
                m.image.non_max_suppression_overlaps(overlaps, sc, 9, 0.6, 0.1),
                m.image.draw_bounding_boxes(x, draw_boxes), m.image.draw_bounding_boxes(x[:, :, :, :1], draw_boxes)]


def _evaluate(m: Any, build: Any) -> list:
    """The outputs of ``build``'s graph in ``m``, then the gradients of its first list (its second
    has none in TF1: the area resize, the host ops)."""
    g = m.Graph()
    with g.as_default():
        x = m.constant(IMG)
        outs, plain = build(m, x)
        fetch = outs + plain
        for y in outs:  # d(sum y * sin y) / dx: an uneven weighting of every output
            if y.dtype == m.float32:
                fetch += [d for d in m.gradients(m.reduce_sum(y * m.sin(y)), [x]) if d is not None]
        with m.Session(graph=g) as s:
            return s.run(fetch)


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("build", [_resize_graph, _geometry_graph, _host_graph], ids=["resize", "geometry", "host"])
def test_matches_tf1(build: Any) -> None:
    tf = tf1()
    ours, theirs = _evaluate(gf, build), _evaluate(tf, build)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape and a.dtype == b.dtype, f"output {i}: {a.shape} {a.dtype} vs TF1 {b.shape} {b.dtype}"
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=f"output {i}")


def test_resizes_of_run_time_sized_images_match_static_ones() -> None:
    x = IMG[:1]
    ph = gf.placeholder(gf.float32, [None, None, None, 3])
    dyn, fixed = [], []
    for (oh, ow), (ac, hp) in itertools.product([(7, 3), (2, 6), (1, 1)], FLAGS):
        for method in range(4):
            if method == 3 and hp:
                continue
            dyn.append(RZ.resize(ph, [oh, ow], method, ac, hp))
            fixed.append(RZ.resize(x, [oh, ow], method, ac, hp))
    dyn.append(gf.image.resize_images(ph[0], [4, 4], method=2))
    fixed.append(gf.image.resize_images(x[0], [4, 4], method=2))
    assert dyn[0].shape.as_list() == [None, 7, 3, 3]
    with gf.Session() as sess:
        got, want = sess.run(dyn, {ph: x}), sess.run(fixed)
        one = sess.run(RZ.resize(ph, [3, 2], 3, True), {ph: np.full((1, 1, 1, 3), 2.0, np.float32)})
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"case {i}")
    np.testing.assert_allclose(one, 2.0)


def test_sample_distorted_bounding_box_by_properties() -> None:
    def build() -> tuple:
        img = gf.placeholder(gf.float32, [None, None, 3])
        box = gf.constant([[[0.1, 0.2, 0.5, 0.6], [0.7, 0.7, 0.9, 1.0]]])
        begin, size, bbox = gf.image.sample_distorted_bounding_box(
            gf.shape(img), box, seed=4, min_object_covered=0.5, aspect_ratio_range=(0.5, 2.0),
            area_range=(0.1, 0.6), max_attempts=50)
        crop = gf.image.resize_images(gf.expand_dims(gf.slice(img, begin, size), 0), [4, 4])
        return img, [begin, size, bbox, crop]
    x = RS.rand(40, 50, 3).astype(np.float32)
    img, fetch = build()
    with gf.Session() as sess:
        draws = [sess.run(fetch, {img: x}) for _ in range(30)]
    objects = np.array([[4, 10, 20, 30], [28, 35, 36, 50]])  # int(box * size) in pixels
    shapes = set()
    for begin, size, bbox, crop in draws:
        (y, x0, _), (h, w, depth) = begin, size
        assert depth == -1 and 0 <= y and y + h <= 40 and 0 <= x0 and x0 + w <= 50 and crop.shape == (1, 4, 4, 3)
        np.testing.assert_allclose(bbox[0, 0], [y / 40, x0 / 50, (y + h) / 40, (x0 + w) / 50], rtol=1e-6)
        if (h, w) != (40, 50):  # a sampled crop (the whole image when every attempt fails)
            assert 0.1 * 2000 <= h * w <= 0.6 * 2000 and 0.5 * h - 1 <= w <= 2.0 * h + 1
            inter = [max(min(y + h, b[2]) - max(y, b[0]), 0) * max(min(x0 + w, b[3]) - max(x0, b[1]), 0)
                     for b in objects]
            assert max(i / ((b[2] - b[0]) * (b[3] - b[1])) for i, b in zip(inter, objects)) >= 0.5
        shapes.add((h, w))
    assert len(shapes) > 5  # a new crop on each run
    gf.reset_default_graph()
    img, fetch = build()
    first = run(fetch[:2], {img: x})
    np.testing.assert_array_equal(first[0], draws[0][0])  # a fixed seed repeats
    np.testing.assert_array_equal(first[1], draws[0][1])


@pytest.mark.needs("tensorflow")
def test_run_time_sized_pipeline_matches_tf1() -> None:
    """slim's inception eval preprocessing on an image of unknown size: central crop, then resizes."""
    tf = tf1()
    x = RS.rand(13, 10, 3).astype(np.float32)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            img = m.placeholder(m.float32, [None, None, 3])
            crop = m.expand_dims(m.image.central_crop(img, central_fraction=0.875), 0)
            outs = [m.image.resize_bilinear(crop, [7, 9], align_corners=False),
                    m.image.resize_bicubic(crop, [5, 4], half_pixel_centers=True),
                    m.image.resize_area(crop, [4, 3]), m.image.resize_nearest_neighbor(crop, [20, 3]),
                    m.image.resize_images(m.image.flip_left_right(img), [6, 6], method=2, align_corners=True)]
            outs.append(m.gradients(m.reduce_sum(outs[0] * m.sin(outs[0])), [img])[0])
            with m.Session(graph=g) as s:
                return s.run(outs, {img: x})
    for i, (a, b) in enumerate(zip(evaluate(gf), evaluate(tf))):
        assert a.shape == b.shape, f"output {i}"
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=f"output {i}")


@pytest.mark.needs("tensorflow")
def test_crop_and_resize_box_gradients_match_tf1() -> None:
    tf = tf1()
    boxes = np.array([[0.1, 0.15, 0.85, 0.7], [-0.1, 0.33, 0.6, 1.2], [0.9, 0.8, 0.3, 0.05]], np.float32)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x, b = m.constant(IMG), m.constant(boxes)
            y = m.image.crop_and_resize(x, b, [1, 0, 1], [4, 3], extrapolation_value=0.25)
            with m.Session(graph=g) as s:
                return s.run([y, *m.gradients(m.reduce_sum(y * m.sin(y)), [x, b])])
    for i, (a, c) in enumerate(zip(evaluate(gf), evaluate(tf))):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4, err_msg=f"output {i}")
