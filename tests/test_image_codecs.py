"""tf.image's codecs (graphflow/ops/image_codecs.py, graphflow/formats/png.py): round trips,
Pillow-made files, bad bytes, and TF1's files both ways."""
from __future__ import annotations

import io
import sys
import zlib
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.formats import png as P
from tests.harness import run
from tests.optional import module, tf1

RS = np.random.RandomState(11)
PIL = module("PIL")


def _smooth(h: int, w: int, c: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    chans = [(xx * 5 + k * 40) % 256 for k in range(c)]
    chans = [(ch + (yy * (3 + k))) % 256 for k, ch in enumerate(chans)]
    return np.clip(np.stack(chans, -1) + RS.randint(-8, 8, (h, w, c)), 0, 255).astype(np.uint8)


def _saved(arr: np.ndarray, fmt: str, **kw: Any) -> bytes:
    out = io.BytesIO()
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[-1]]
    PIL.fromarray(arr[:, :, 0] if arr.shape[-1] == 1 else arr, mode).save(out, format=fmt, **kw)
    return out.getvalue()


def test_png_writer_and_reader_round_trip_8_and_16_bits() -> None:
    for c in (1, 2, 3, 4):
        for dt in (np.uint8, np.uint16):
            img = RS.randint(0, np.iinfo(dt).max + 1, (5, 7, c)).astype(dt)
            data = P.encode(img, level=9)
            assert P.header(data) == (7, 5, 8 * np.dtype(dt).itemsize, {1: 0, 2: 4, 3: 2, 4: 6}[c], 0)
            back = P.decode(data)
            assert back.dtype == dt and np.array_equal(back, img)
    with pytest.raises(ValueError, match="PNG signature"):
        P.header(b"GIF89a" + bytes(40))


@pytest.mark.needs("PIL")
def test_png_reader_undoes_every_filter_type_of_pillows_files() -> None:
    img = np.concatenate([_smooth(16, 24, 3), RS.randint(0, 256, (16, 24, 3)).astype(np.uint8)])
    data = _saved(img, "PNG", optimize=True)
    w, h = P.header(data)[:2]
    raw = zlib.decompress(b"".join(body for tag, body in P._chunks(data) if tag == b"IDAT"))
    assert len({raw[y * (w * 3 + 1)] for y in range(h)}) >= 3  # several filter types are exercised
    assert np.array_equal(P.decode(data), img)


@pytest.mark.needs("PIL")
def test_codecs_decode_what_pillow_writes_and_round_trip() -> None:
    rgb, gray, rgba = _smooth(9, 12, 3), _smooth(9, 12, 1), _smooth(6, 5, 4)
    frames = [RS.randint(0, 4, (6, 8)).astype(np.uint8) * 60 for _ in range(3)]
    palette = [PIL.fromarray(np.stack([f, f, f], -1), "RGB").quantize(8) for f in frames]
    gif = io.BytesIO()
    palette[0].save(gif, format="GIF", save_all=True, append_images=palette[1:], disposal=1)
    gif_bytes = gif.getvalue()
    jpg = _saved(rgb, "JPEG", quality=95)
    png16 = P.encode(rgb.astype(np.uint16) * 257 + 3)
    with gf.Graph().as_default():
        c = {k: gf.constant(v, gf.string) for k, v in [("png", _saved(rgba, "PNG")), ("gray", _saved(gray, "PNG")),
                                                        ("bmp", _saved(rgb, "BMP")), ("jpg", jpg),
                                                        ("gif", gif_bytes), ("png16", png16)]}
        ours = {
            "png": gf.image.decode_png(c["png"]), "png3": gf.image.decode_png(c["png"], channels=3),
            "gray": gf.image.decode_png(c["gray"]), "gray3": gf.image.decode_image(c["gray"], channels=3),
            "bmp": gf.image.decode_bmp(c["bmp"]), "gif": gf.image.decode_gif(c["gif"]),
            "gif_image": gf.image.decode_image(c["gif"]),
            "gif_first": gf.image.decode_image(c["gif"], expand_animations=False),
            "jpg": gf.image.decode_jpeg(c["jpg"]), "jpg1": gf.image.decode_jpeg(c["jpg"], channels=1),
            "jpg_half": gf.image.decode_jpeg(c["jpg"], ratio=2),
            "crop": gf.image.decode_and_crop_jpeg(c["jpg"], [2, 3, 4, 5]),
            "jpg_float": gf.image.decode_image(c["jpg"], dtype=gf.float32),
            "png16": gf.image.decode_png(c["png16"]),
            "png16_float": gf.image.decode_image(c["png16"], dtype=gf.float32),
            "shape": gf.image.extract_jpeg_shape(c["jpg"]), "is": gf.image.is_jpeg(c["jpg"]),
            "is_not": gf.image.is_jpeg(c["png"]),
            "png_trip": gf.image.decode_png(gf.image.encode_png(gf.constant(rgba), compression=3)),
            "gray_trip": gf.image.decode_png(gf.image.encode_png(gf.constant(gray))),
            "jpg_trip": gf.image.decode_jpeg(gf.image.encode_jpeg(gf.constant(rgb), quality=100,
                                                                  chroma_downsampling=False)),
            "jpg_gray_trip": gf.image.decode_jpeg(gf.image.encode_jpeg(gf.constant(gray), quality=100)),
            "quality": gf.image.adjust_jpeg_quality(gf.constant(rgb.astype(np.float32) / 255), 90),
        }
        assert ours["jpg"].shape.as_list() == [None, None, None]
        assert ours["jpg1"].shape.as_list() == [None, None, 1] and ours["gif"].shape.as_list() == [None, None, None, 3]
        assert ours["gif_image"].shape.rank is None and ours["gif_first"].shape.as_list() == [None, None, None]
        assert ours["quality"].shape.as_list() == [None, None, 3]  # as TF: the decode forgets height and width
        got = run(ours)
    assert np.array_equal(got["png"], rgba) and np.array_equal(got["png3"], rgba[..., :3])
    assert np.array_equal(got["gray"], gray) and np.array_equal(got["gray3"], np.repeat(gray, 3, -1))
    assert np.array_equal(got["bmp"], rgb)
    want_frames = np.stack([np.stack([f, f, f], -1) for f in frames])
    assert np.array_equal(got["gif"], want_frames) and np.array_equal(got["gif_image"], want_frames)
    assert np.array_equal(got["gif_first"], want_frames[0])
    decoded = np.asarray(PIL.open(io.BytesIO(jpg)).convert("RGB"))
    assert np.array_equal(got["jpg"], decoded) and np.abs(got["jpg"].astype(int) - rgb).max() <= 16  # noise, 4:2:0
    assert got["jpg1"].shape == (9, 12, 1) and got["jpg_half"].shape == (5, 6, 3)
    assert np.array_equal(got["crop"], decoded[2:6, 3:8])
    np.testing.assert_array_equal(got["jpg_float"], decoded.astype(np.float32) * np.float32(1 / 255))
    assert np.array_equal(got["png16"], rgb)  # the high byte of x * 257 + 3
    np.testing.assert_allclose(got["png16_float"], (rgb.astype(np.float64) * 257 + 3) / 65535, rtol=1e-6)
    assert got["shape"].tolist() == [9, 12, 3] and got["shape"].dtype == np.int32
    assert got["is"] and not got["is_not"]
    assert np.array_equal(got["png_trip"], rgba) and np.array_equal(got["gray_trip"], gray)
    assert np.abs(got["jpg_trip"].astype(int) - rgb).max() <= 4
    assert np.abs(got["jpg_gray_trip"].astype(int) - gray).max() <= 2
    assert got["quality"].dtype == np.float32 and np.abs(got["quality"] - rgb / 255).max() < 0.06


@pytest.mark.needs("PIL")
def test_random_jpeg_quality_repeats_with_a_seed() -> None:
    img = _smooth(8, 8, 3).astype(np.float32) / 255
    with gf.Graph().as_default():
        gf.set_random_seed(5)
        y = gf.image.random_jpeg_quality(gf.constant(img), 10, 90, seed=2)
        first, second = run(y), run(y)
    assert first.shape == img.shape and np.array_equal(first, second)
    with pytest.raises(ValueError, match="min_jpeg_quality < max_jpeg_quality"):
        gf.image.random_jpeg_quality(gf.constant(img), 50, 20)


@pytest.mark.needs("PIL")
def test_bad_bytes_and_arguments_raise_clear_errors() -> None:
    jpg = _saved(_smooth(16, 16, 3), "JPEG")
    frames = [PIL.fromarray(np.full((4, 4), k * 50, np.uint8)) for k in range(2)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    with gf.Graph().as_default():
        cases = [(gf.image.decode_jpeg(b"hello world, not an image", name="junk"),
                  r"Expected image \(JPEG, PNG, or GIF\), got unknown format starting with b'hello"),
                 (gf.image.decode_image(b"\x00\x01"), r"Expected image \(JPEG, PNG, GIF, or BMP\)"),
                 (gf.image.decode_bmp(jpg), r"Expected image \(BMP\), got JPEG data"),
                 (gf.image.decode_jpeg(jpg[:len(jpg) // 2]), "Invalid JPEG data or crop window"),
                 (gf.image.decode_png(P.SIGNATURE + b"\x00" * 30), "Invalid PNG"),
                 (gf.image.decode_jpeg(gif.getvalue()), "Got 2 frames"),
                 (gf.image.decode_and_crop_jpeg(jpg, [10, 10, 8, 8]), "crop window"),
                 (gf.image.extract_jpeg_shape(b"\x89PNG...."), "Not a JPEG file"),
                 (gf.image.encode_png(gf.zeros([2, 2, 5], gf.uint8)), "1, 2, 3, or 4 channels, got 5"),
                 (gf.image.encode_jpeg(gf.zeros([2, 2, 4], gf.uint8)), "1 or 3 channels"),
                 (gf.image.encode_jpeg(gf.zeros([2, 2, 3], gf.uint8), quality=gf.constant(101)), r"\[0,100\]")]
        with gf.Session() as s:
            for t, text in cases:
                with pytest.raises(gf.errors.InvalidArgumentError, match=text) as e:
                    s.run(t)
                assert t.op.name in str(e.value)
            big = _saved(_smooth(64, 48, 3), "JPEG")  # cut inside the scan, after the headers
            recovered = s.run(gf.image.decode_jpeg(big[:len(big) * 3 // 4], try_recover_truncated=True))
        assert recovered.shape == (64, 48, 3)
        with pytest.raises(ValueError, match="rank 0"):
            gf.image.decode_png(gf.constant([b"a", b"b"]))
        with pytest.raises(TypeError, match="no uint16"):
            gf.image.decode_png(b"", dtype="uint16")
        with pytest.raises(ValueError, match="channels must be one of"):
            gf.image.decode_jpeg(b"", channels=2)


@pytest.mark.needs("tensorflow", "PIL")
def test_files_cross_between_graphflow_and_tf1() -> None:
    tf = tf1()
    rgb, rgba, gray = _smooth(13, 17, 3), _smooth(7, 6, 4), _smooth(10, 9, 1)
    two = _smooth(5, 4, 2)
    images = [rgb, rgba, gray, two]
    wide16 = (rgb.astype(np.uint16) * 251 + 7)
    frames = [PIL.fromarray(np.full((5, 6, 3), (k * 70, 20, 200 - k * 50), np.uint8)) for k in range(3)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    bmp = _saved(rgb, "BMP")
    with tf.Graph().as_default(), tf.Session() as s:
        tf_png = s.run([tf.image.encode_png(x) for x in images])
        tf_png16 = s.run(tf.image.encode_png(wide16))
        tf_jpg = s.run([tf.image.encode_jpeg(rgb), tf.image.encode_jpeg(gray), tf.image.encode_jpeg(rgb, quality=70,
                                                                                                  chroma_downsampling=False)])
    with gf.Graph().as_default(), gf.Session() as s:
        ours = s.run({"png": [gf.image.decode_png(b) for b in tf_png],
                      "png16": gf.image.decode_image(tf_png16, dtype=gf.float32),
                      "enc": [gf.image.encode_png(x) for x in images],
                      "jpg": [gf.image.decode_jpeg(b) for b in tf_jpg],
                      "jpg1": gf.image.decode_jpeg(tf_jpg[0], channels=1),
                      "jpg_half": gf.image.decode_jpeg(tf_jpg[0], ratio=2),
                      "our_jpg": [gf.image.encode_jpeg(rgb), gf.image.encode_jpeg(gray),
                                  gf.image.encode_jpeg(rgb, quality=70, chroma_downsampling=False)],
                      "gif": gf.image.decode_gif(gif.getvalue()), "bmp": gf.image.decode_bmp(bmp),
                      "shape": gf.image.extract_jpeg_shape(tf_jpg[0])})
    with tf.Graph().as_default(), tf.Session() as s:
        theirs = s.run({"png": [tf.image.decode_png(b) for b in ours["enc"]],
                        "png16": tf.image.decode_png(tf_png16, dtype=tf.uint16),
                        "jpg": [tf.image.decode_jpeg(b, dct_method="INTEGER_ACCURATE") for b in tf_jpg],
                        "jpg_default": tf.image.decode_jpeg(tf_jpg[0]),
                        "jpg1": tf.image.decode_jpeg(tf_jpg[0], channels=1, dct_method="INTEGER_ACCURATE"),
                        "jpg_half": tf.image.decode_jpeg(tf_jpg[0], ratio=2, dct_method="INTEGER_ACCURATE"),
                        "gif": tf.image.decode_gif(gif.getvalue()), "bmp": tf.image.decode_bmp(bmp),
                        "shape": tf.image.extract_jpeg_shape(tf_jpg[0])})
    for img, a, b in zip(images, ours["png"], theirs["png"]):  # PNG: bit-exact both ways
        assert np.array_equal(a, img) and np.array_equal(b, img)
    np.testing.assert_array_equal(ours["png16"], theirs["png16"].astype(np.float32) * np.float32(1 / 65535))
    # JPEG: libjpeg-turbo on both sides writes the same bytes, and decodes them alike with TF's
    # INTEGER_ACCURATE; TF's default (libjpeg's fast integer DCT) differs by a few levels
    assert ours["our_jpg"] == tf_jpg
    for a, b in zip(ours["jpg"], theirs["jpg"]):
        assert np.array_equal(a, b)
    assert np.abs(ours["jpg"][0].astype(int) - theirs["jpg_default"]).max() <= 6
    assert np.array_equal(ours["jpg1"], theirs["jpg1"]) and np.array_equal(ours["jpg_half"], theirs["jpg_half"])
    assert np.array_equal(ours["gif"], theirs["gif"]) and np.array_equal(ours["bmp"], theirs["bmp"])
    assert ours["shape"].tolist() == theirs["shape"].tolist() == [13, 17, 3]


def test_missing_pillow_is_named_with_its_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # what an uninstalled package looks like to import
    with gf.Graph().as_default():
        with pytest.raises(ImportError, match="pip install pillow"):
            gf.image.decode_jpeg(b"")
        assert gf.image.encode_png(gf.zeros([1, 1, 1], gf.uint8)).dtype == gf.string  # PNG writing needs no Pillow
