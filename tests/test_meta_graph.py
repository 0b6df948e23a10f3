"""MetaGraphDef (.meta) files: Saver.save writes one beside the checkpoint; a script that restores
from the .meta file and the checkpoint in a fresh process gets the graph, its collections and
the trained values back (and can train on); TF1 loads the file."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

pytestmark = pytest.mark.needs("tensorboard")  # meta graphs use the protobuf messages tensorboard ships


def _train_and_save(path: str) -> np.ndarray:
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    y = gf.placeholder(gf.float32, [None, 1], name="y")
    w = gf.Variable(np.zeros((3, 1), np.float32), name="w")
    b = gf.Variable(np.zeros(1, np.float32), name="b")
    pred = gf.add(gf.matmul(x, w), b, name="pred")
    loss = gf.reduce_mean(gf.square(pred - y))
    step = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    gf.add_to_collection("train_op", step)
    gf.add_to_collection("pred", pred)
    xv = np.random.RandomState(0).rand(20, 3).astype(np.float32)
    yv = xv @ np.array([[1.0], [2.0], [3.0]], np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for _ in range(30):
            s.run(step, {x: xv, y: yv})
        gf.train.Saver().save(s, path)
        return s.run(pred, {x: xv[:4]})


def test_restore_from_meta_and_checkpoint_in_a_fresh_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "model.ckpt")
    want = _train_and_save(path)
    assert os.path.exists(path + ".meta")
    script = textwrap.dedent(f"""
        import numpy as np, graphflow as tf
        xv = np.random.RandomState(0).rand(20, 3).astype(np.float32)
        with tf.Session() as sess:
            saver = tf.train.import_meta_graph({path + ".meta"!r})
            saver.restore(sess, tf.train.latest_checkpoint({str(tmp_path)!r}))
            g = tf.get_default_graph()
            x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
            np.save({str(tmp_path / "got.npy")!r}, sess.run(tf.get_collection("pred")[0], {{x: xv[:4]}}))
            before = sess.run("w:0")
            sess.run(tf.get_collection("train_op")[0], {{x: xv, y: xv.sum(1, keepdims=True)}})
            assert not np.array_equal(before, sess.run("w:0"))  # training goes on
            assert [v.name for v in tf.trainable_variables()] == ["w:0", "b:0"]
        """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    np.testing.assert_array_equal(np.load(tmp_path / "got.npy"), want)


def test_tf1_loads_the_meta_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tf = need("tensorflow")
    path = str(tmp_path / "m")
    _train_and_save(path)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(path + ".meta")
        assert [v.name for v in tf.global_variables()] == ["w:0", "b:0"]
        assert tf.get_collection("pred")[0].name == "pred:0"
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            assert s.run("pred:0", {"x:0": np.ones((2, 3), np.float32)}).shape == (2, 1)


def test_old_meta_files_go_with_their_checkpoints_and_unexportable_graphs_warn(tmp_path) -> None:  # type: ignore[no-untyped-def]
    v = gf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    saver = gf.train.Saver(max_to_keep=2)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for step in range(3):
            s.run(inc)
            saver.save(s, str(tmp_path / "m"), global_step=step)
    assert sorted(p for p in os.listdir(tmp_path) if p.endswith(".meta")) == ["m-1.meta", "m-2.meta"]
    with gf.Graph().as_default():
        u = gf.Variable(1.0, name="u")
        gf.py_func(lambda a: a, [u], gf.float32)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            with pytest.warns(UserWarning, match="checkpoint is written but not"):
                prefix = gf.train.Saver().save(s, str(tmp_path / "p"))
            assert gf.train.checkpoint_exists(prefix) and not os.path.exists(prefix + ".meta")
    mgd = gf.train.export_meta_graph(str(tmp_path / "x.meta"), collection_list=[])
    assert os.path.exists(tmp_path / "x.meta") and len(mgd.graph_def.node) > 0


def _summaries() -> tuple:
    x = gf.placeholder(gf.float32, [None, 4, 4, 1], name="x")
    w = gf.Variable(1.5, name="w")
    gf.summary.scalar("loss", gf.reduce_mean(x) * w)
    gf.summary.histogram("pixels", x)
    gf.summary.image("img", x, max_outputs=2)
    gf.summary.audio("snd", gf.reshape(x, [-1, 16]) * 0.1, 8000)
    gf.summary.text("note", gf.constant("a *note*"))
    return x, gf.summary.merge_all()


def _values(serialized: bytes) -> list:
    from tensorboard.compat.proto import summary_pb2
    return list(summary_pb2.Summary.FromString(serialized).value)


def test_a_graph_with_summaries_saves_its_meta_graph_and_loads_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, merged = _summaries()
    feed = np.random.RandomState(0).rand(2, 4, 4, 1).astype(np.float32)
    path = str(tmp_path / "model")
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        want = _values(s.run(merged, {x: feed}))
        gf.train.Saver().save(s, path)
    assert os.path.exists(path + ".meta")
    gf.reset_default_graph()
    saver = gf.train.import_meta_graph(path + ".meta")
    with gf.Session() as s:
        saver.restore(s, path)
        got = _values(s.run(gf.summary.merge_all(), {"x:0": feed}))
    assert [v.tag for v in want] == ["loss", "pixels", "img/image/0", "img/image/1", "snd/audio/0", "snd/audio/1",
                                     "note"]
    assert got == want  # the same tags, kinds and values (pixels, histogram buckets, PNG and WAV bytes)


def test_tf1_runs_the_summaries_of_our_meta_graph(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tf = need("tensorflow")
    x, merged = _summaries()
    feed = np.random.RandomState(1).rand(2, 4, 4, 1).astype(np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        want = _values(s.run(merged, {x: feed}))
        gf.train.export_meta_graph(str(tmp_path / "g.meta"))
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "g.meta"))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            got = _values(s.run(tf.summary.merge_all(), {"x:0": feed}))
    assert [(v.tag, v.WhichOneof("value")) for v in got] == [(v.tag, v.WhichOneof("value")) for v in want]
    assert got[0].simple_value == pytest.approx(want[0].simple_value, rel=1e-6)
    assert got[1].histo.num == want[1].histo.num == 32 and got[1].histo.sum == pytest.approx(want[1].histo.sum)
    assert [v.image.height for v in got[2:4]] == [4, 4] and got[-1].metadata.plugin_data.plugin_name == "text"
