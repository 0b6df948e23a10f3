"""tf.summary and FileWriter: TensorBoard's own event reader loads what a TF1-style training script
wrote (scalars, histograms, images, audio, text, the graph) with the logged values; the
protobufs match real TF1's where TensorFlow is installed."""
from __future__ import annotations

import io
import wave
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

pytestmark = pytest.mark.needs("tensorboard")


def _reader(logdir: str) -> Any:
    from tensorboard.backend.event_processing import event_accumulator as ea
    acc = ea.EventAccumulator(str(logdir), size_guidance={k: 0 for k in ("scalars", "histograms", "images", "audio",
                                                                         "tensors", "compressedHistograms")})
    acc.Reload()
    return acc


def _png_pixels(data: bytes) -> np.ndarray:
    pil = need("PIL")  # decoding the PNGs (Pillow comes with matplotlib)
    return np.asarray(pil.open(io.BytesIO(data)))


def test_a_training_script_logs_what_tensorboard_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float32, [None, 4], name="x")
    with gf.name_scope("layer"):
        w = gf.Variable(rs.randn(4, 2).astype(np.float32), name="w")
        y = gf.matmul(x, w)
    loss = gf.reduce_mean(y ** 2)
    gf.summary.scalar("loss", loss)
    gf.summary.histogram("weights", w)
    gf.summary.image("inputs", gf.reshape(x, [-1, 2, 2, 1]), max_outputs=2)
    gf.summary.text("note", gf.constant("step **notes**"))
    gf.summary.audio("tone", gf.sin(gf.linspace(0.0, 100.0, 800))[None, :], 8000)
    merged = gf.summary.merge_all()
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    batches = [rs.rand(3, 4).astype(np.float32) for _ in range(4)]
    losses, weights = [], []
    with gf.Session() as sess:
        writer = gf.summary.FileWriter(str(tmp_path), sess.graph)
        sess.run(gf.global_variables_initializer())
        for step, xb in enumerate(batches):
            s, lv, _ = sess.run([merged, loss, train], {x: xb})
            weights.append(sess.run(w))  # a variable read in the run that updates it: the new value
            assert isinstance(s, bytes)
            losses.append(float(lv))
            writer.add_summary(s, step)
        writer.add_summary(gf.Summary(value=[gf.Summary.Value(tag="accuracy", simple_value=0.75)]), 4)
        writer.close()
    acc = _reader(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"loss", "accuracy"} and tags["histograms"] == ["weights"]
    assert tags["images"] == ["inputs/image/0", "inputs/image/1"] and tags["audio"] == ["tone/audio/0"]
    assert [e.step for e in acc.Scalars("loss")] == [0, 1, 2, 3]
    np.testing.assert_allclose([e.value for e in acc.Scalars("loss")], losses, rtol=1e-6)
    assert acc.Scalars("accuracy")[0].value == pytest.approx(0.75)
    for e, wv in zip(acc.Histograms("weights"), weights):
        h = e.histogram_value
        assert (h.num, h.min, h.max) == (8, pytest.approx(wv.min()), pytest.approx(wv.max()))
        assert h.sum == pytest.approx(wv.sum(), rel=1e-6) and sum(h.bucket) == 8
    img = acc.Images("inputs/image/1")[-1]
    assert (img.width, img.height) == (2, 2)
    second = batches[-1][1].reshape(2, 2)
    want = (second * (np.float32(255) / second.max())).astype(np.uint8)  # non-negative: the largest is 255
    np.testing.assert_array_equal(_png_pixels(img.encoded_image_string), want)
    clip = acc.Audio("tone/audio/0")[0]
    assert clip.sample_rate == 8000 and clip.length_frames == 800
    with wave.open(io.BytesIO(clip.encoded_audio_string)) as wf:
        assert (wf.getnframes(), wf.getframerate(), wf.getnchannels()) == (800, 8000, 1)
    assert acc.Tensors("note")[0].tensor_proto.string_val == [b"step **notes**"]
    names = {n.name for n in acc.Graph().node}
    assert {"x", "layer/w", "layer/MatMul"} <= names  # grouped by name scope in the graph tab
    node = next(n for n in acc.Graph().node if n.name == "layer/MatMul")
    assert node.op == "MatMul" and list(node.input) == ["x", "layer/w"]


def test_summaries_cost_nothing_unless_fetched() -> None:
    v = gf.placeholder(gf.float32, [None])
    hist = gf.summary.histogram("h", v)  # NaN makes the histogram fail when it runs
    total = gf.reduce_sum(v) * 2
    with gf.Session() as sess:
        assert sess.run(total, {v: [np.nan, 1.0]}) != 0  # not fetched: not computed
        with pytest.raises(ValueError, match="finite"):
            sess.run(hist, {v: [np.nan, 1.0]})


def test_tags_follow_name_scopes_and_merge() -> None:
    with gf.name_scope("train"):
        a = gf.summary.scalar("loss", gf.constant(1.0))
        b = gf.summary.scalar("loss", gf.constant(2.0), family="fam")
    c = gf.summary.scalar("other", gf.constant(3.0), collections=["mine"])
    assert gf.summary.merge_all("nothing here") is None
    with gf.Session() as sess:
        got = gf.Summary.FromString(sess.run(gf.summary.merge([a, b, c])))
        only_mine = gf.Summary.FromString(sess.run(gf.summary.merge_all("mine")))
    assert [(v.tag, v.simple_value) for v in got.value] == [("train/loss", 1.0), ("train/fam/loss", 2.0),
                                                              ("other", 3.0)]
    assert [v.tag for v in only_mine.value] == ["other"]
    with pytest.raises(ValueError, match="real scalar"):
        gf.summary.scalar("bad", gf.zeros((2, 3)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        gf.summary.image("bad", gf.zeros((2, 3, 3, 2)))


def test_file_writer_cache_and_run_metadata(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = gf.summary.FileWriterCache.get(str(tmp_path))
    assert gf.summary.FileWriterCache.get(str(tmp_path)) is w and w.get_logdir() == str(tmp_path)
    w.add_graph(gf.get_default_graph())
    gf.summary.FileWriterCache.clear()
    with pytest.raises(RuntimeError, match="closed"):
        w.add_summary(gf.Summary(), 0)
    with pytest.raises(TypeError, match="summary op"):
        gf.summary.FileWriter(str(tmp_path / "other")).add_summary(3.0)


def test_histogram_and_image_summaries_match_tf1() -> None:
    tf = need("tensorflow")
    rs = np.random.RandomState(1)
    values = np.concatenate([rs.randn(200) * 3, [0.0, 0.0, 1e-13, -5e3]])
    images = rs.randn(3, 3, 4, 3).astype(np.float32)  # negative values: 0 goes to 128
    images[1] = np.abs(images[1])  # non-negative: scaled to 255
    images[2, 0, 0, 1] = np.nan  # drawn red
    g = tf.Graph()
    with g.as_default():
        th = tf.summary.histogram("h", tf.constant(values))
        ti = tf.summary.image("i", tf.constant(images))
        with tf.Session() as s:
            t_hist, t_img = (gf.Summary.FromString(b) for b in s.run([th, ti]))
    with gf.Session() as s:
        hist, img = (gf.Summary.FromString(b) for b in s.run([gf.summary.histogram("h", gf.constant(values)),
                                                              gf.summary.image("i", gf.constant(images))]))
    a, b = hist.value[0].histo, t_hist.value[0].histo
    assert (a.num, a.min, a.max) == (b.num, b.min, b.max) and a.sum == pytest.approx(b.sum)
    np.testing.assert_allclose(a.bucket_limit, b.bucket_limit, rtol=1e-12)
    np.testing.assert_array_equal(a.bucket, b.bucket)
    assert [v.tag for v in img.value] == [v.tag for v in t_img.value]
    for ours, theirs in zip(img.value, t_img.value):
        np.testing.assert_array_equal(_png_pixels(ours.image.encoded_image_string),
                                      _png_pixels(theirs.image.encoded_image_string))
