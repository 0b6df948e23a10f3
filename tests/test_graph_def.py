"""Graph files: TF1 GraphDef export and import. graphflow's graphs (gradients included) round-trip
through a file into a fresh process and into TensorFlow 1; TF1's frozen MLP and CNN load and run in
graphflow with TF1's outputs; bad files raise GraphDefError naming what is wrong; the loader
survives fuzzing."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.graphdef.importer import GraphDefError
from tests.optional import need

pytestmark = pytest.mark.needs("tensorboard")  # graph files use the protobuf messages tensorboard ships

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tf1() -> Any:
    return need("tensorflow")  # tf.compat.v1: graph mode inside tf.Graph(); TF2 behaviour stays on for the other tests


def _cnn_with_gradients(rs: np.random.RandomState, dtype: str = "float32") -> tuple:
    x = gf.placeholder(getattr(gf, dtype), [None, 6, 6, 2], name="x")
    lab = gf.placeholder(gf.int64, [None], name="lab")
    k = gf.Variable(rs.randn(3, 3, 2, 3).astype(dtype) * 0.3, name="k")
    h = gf.nn.relu(gf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"))
    h = gf.nn.avg_pool(gf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    f = gf.reshape(h, [gf.shape(h)[0], -1])
    w = gf.Variable(rs.randn(27, 4).astype(dtype) * 0.3, name="w")
    b = gf.Variable(np.zeros(4, dtype), name="b")
    z = gf.matmul(f, w) + b
    z = gf.concat([z[:, :2], gf.tanh(z[:, 2:])], 1)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=z), name="loss")
    grads = [gf.identity(g, name=f"grad_{i}") for i, g in enumerate(gf.gradients(loss, [k, w, b]))]
    return x, lab, loss, grads


def _freeze_ours(tmp_path: Any, dtype: str = "float32") -> tuple[str, dict, list]:
    rs = np.random.RandomState(0)
    x, lab, loss, grads = _cnn_with_gradients(rs, dtype)
    feeds = {"x:0": rs.rand(4, 6, 6, 2).astype(dtype), "lab:0": rs.randint(0, 4, 4)}
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        want = s.run([loss] + grads, {x: feeds["x:0"], lab: feeds["lab:0"]})
        frozen = gf.graph_util.convert_variables_to_constants(s, gf.get_default_graph().as_graph_def(),
                                                              ["loss"] + [g.node.name for g in grads])
    assert not [n for n in frozen.node if n.op == "VariableV2"]
    path = gf.train.write_graph(frozen, str(tmp_path), "model.pb", as_text=False)
    return path, feeds, want


def test_round_trip_into_a_fresh_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, feeds, want = _freeze_ours(tmp_path, "float64")
    for name, v in feeds.items():
        np.save(tmp_path / (name.split(":")[0] + ".npy"), v)
    script = textwrap.dedent(f"""
        import numpy as np, graphflow as gf
        gd = gf.graph_util.read_graph({path!r})
        outs = gf.import_graph_def(gd, return_elements=["x:0", "lab:0", "loss:0", "grad_0:0", "grad_1:0",
                                                        "grad_2:0"], name="")
        with gf.Session() as s:
            got = s.run(outs[2:], {{outs[0]: np.load({str(tmp_path / "x.npy")!r}),
                                    outs[1]: np.load({str(tmp_path / "lab.npy")!r})}})
        for i, g in enumerate(got):
            np.save({str(tmp_path)!r} + f"/got{{i}}.npy", g)
        """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    for i, w in enumerate(want):  # the file's ops compose the same math (SumTo as Sum + Reshape...)
        np.testing.assert_allclose(np.load(tmp_path / f"got{i}.npy"), w, rtol=1e-12, atol=1e-15)


def test_tf1_runs_our_graph_with_its_gradients(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tf = _tf1()
    path, feeds, want = _freeze_ours(tmp_path)
    gd = tf.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    with tf.Graph().as_default():
        outs = tf.import_graph_def(gd, return_elements=["loss:0", "grad_0:0", "grad_1:0", "grad_2:0"], name="")
        with tf.Session() as s:
            got = s.run(outs, feeds)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # float32 kernels of two libraries


def _tf1_frozen(tf: Any, kind: str) -> tuple[bytes, np.ndarray, np.ndarray]:
    rs = np.random.RandomState(1)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        if kind == "mlp":
            x = tf.placeholder(tf.float32, [None, 5], name="x")
            h = tf.nn.relu(tf.matmul(x, tf.Variable(rs.randn(5, 8).astype(np.float32))) +
                           tf.Variable(rs.randn(8).astype(np.float32)))
            h = tf.nn.dropout(h, keep_prob=tf.placeholder_with_default(1.0, []))
            z = tf.matmul(tf.tanh(h), tf.Variable(rs.randn(8, 3).astype(np.float32)))
            xv = rs.rand(4, 5).astype(np.float32)
        else:
            x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
            h = tf.nn.conv2d(x, tf.Variable(rs.randn(3, 3, 3, 4).astype(np.float32) * 0.3), [1, 1, 1, 1], "SAME")
            h = tf.nn.relu(tf.nn.bias_add(h, tf.Variable(rs.randn(4).astype(np.float32))))
            h, _, _ = tf.nn.fused_batch_norm(h, tf.Variable(rs.rand(4).astype(np.float32) + 0.5),
                                             tf.Variable(rs.randn(4).astype(np.float32)),
                                             tf.Variable(rs.randn(4).astype(np.float32)),
                                             tf.Variable(rs.rand(4).astype(np.float32) + 0.5), is_training=False)
            h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
            h = tf.reshape(h, [-1, 4 * 4 * 4])
            z = tf.matmul(h, tf.Variable(rs.randn(64, 3).astype(np.float32) * 0.1))
            xv = rs.rand(2, 8, 8, 3).astype(np.float32)
        p = tf.nn.softmax(z, name="probs")
        tf.argmax(p, 1, name="pred")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            want = s.run(p, {x: xv})
            frozen = tf.graph_util.convert_variables_to_constants(s, g.as_graph_def(), ["probs", "pred"])
    return frozen.SerializeToString(), xv, want


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_tf1_frozen_models_run_in_graphflow(kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tf = _tf1()
    data, xv, want = _tf1_frozen(tf, kind)
    (tmp_path / "m.pb").write_bytes(data)
    x, probs, pred = gf.import_graph_def(gf.graph_util.read_graph(str(tmp_path / "m.pb")),
                                         return_elements=["x:0", "probs:0", "pred:0"])
    assert x.name == "import/x:0"  # TF1's default name scope
    with gf.Session() as s:
        got, cls = s.run([probs, pred], {x: xv})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(cls, want.argmax(1))


def test_text_files_input_map_and_graph_util(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = gf.placeholder(gf.float32, [None, 3], name="a")
    hidden = gf.identity(a * 2.0, name="hidden")
    gf.reduce_sum(gf.nn.relu(hidden - 1.0), 1, name="out")
    gf.reduce_mean(a, name="unrelated")
    path = gf.train.write_graph(gf.get_default_graph(), str(tmp_path), "g.pbtxt")
    assert open(path).read().lstrip().startswith("node {")
    gd = gf.graph_util.read_graph(path)
    sub = gf.graph_util.extract_sub_graph(gd, ["out"])
    assert "unrelated" not in {n.name for n in sub.node} and "hidden" in {n.name for n in sub.node}
    slim = gf.graph_util.remove_training_nodes(sub)
    assert "hidden" not in {n.name for n in slim.node}
    with gf.Graph().as_default():
        replacement = gf.constant(np.array([[1.0, 2.0, 3.0]], np.float32))
        (o,) = gf.import_graph_def(slim, input_map={"a:0": replacement}, return_elements=["out:0"], name="m")
        with gf.Session() as s:
            assert s.run(o).tolist() == [pytest.approx(1.0 + 3.0 + 5.0)]
        with pytest.raises(GraphDefError, match="input_map"):
            gf.import_graph_def(slim, input_map={"nothere:0": replacement})


def _node(op: str, name: str, *inputs: str) -> Any:
    return gf.NodeDef(name=name, op=op, input=list(inputs))


def test_bad_files_raise_errors_naming_the_problem() -> None:
    gd = gf.GraphDef()
    gd.node.extend([_node("Mystery", "m")])
    with pytest.raises(GraphDefError, match="'m': op 'Mystery' has no graphflow translation"):
        gf.import_graph_def(gd)
    gd = gf.GraphDef()
    gd.node.extend([_node("Identity", "a", "b")])
    with pytest.raises(GraphDefError, match="reads 'b': no node"):
        gf.import_graph_def(gd)
    gd = gf.GraphDef()
    gd.node.extend([_node("Identity", "a", "b"), _node("Identity", "b", "a")])
    with pytest.raises(GraphDefError, match="cycle"):
        gf.import_graph_def(gd)
    gd = gf.GraphDef()
    gd.node.extend([_node("NoOp", "a"), _node("NoOp", "a")])
    with pytest.raises(GraphDefError, match="two nodes"):
        gf.import_graph_def(gd)
    good = gf.get_default_graph()
    gf.placeholder(gf.float32, [2], name="p")
    data = good.as_graph_def().SerializeToString()
    with pytest.raises(GraphDefError, match="not a binary GraphDef"):
        gf.import_graph_def(data[:-3] + b"\xff\xff\xff")
    with pytest.raises(GraphDefError, match="not a text GraphDef"):
        gf.import_graph_def("node { name: ")
    huge = gf.GraphDef()
    c = huge.node.add(name="c", op="Const")
    c.attr["dtype"].type = 1
    c.attr["value"].tensor.dtype = 1
    c.attr["value"].tensor.tensor_shape.dim.add(size=1 << 40)
    with pytest.raises(GraphDefError, match="refused"):
        gf.import_graph_def(huge)
    with gf.Graph().as_default():
        gf.py_func(lambda v: v, [gf.constant(1.0)], gf.float32)
        with pytest.raises(ValueError, match="PyFunc.*no TF1 GraphDef translation"):
            gf.get_default_graph().as_graph_def()


def test_the_loader_survives_fuzzing() -> None:
    hypothesis = need("hypothesis")
    from hypothesis import strategies as st
    rs = np.random.RandomState(3)
    x, lab, loss, grads = _cnn_with_gradients(rs)
    data = gf.get_default_graph().as_graph_def().SerializeToString()

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), min_size=1,
                               max_size=6), st.integers(0, len(data)))
    def mutate(edits: list[tuple[int, int]], cut: int) -> None:
        b = bytearray(data[:max(cut, 1)])
        for pos, val in edits:
            if pos < len(b):
                b[pos] = val
        with gf.Graph().as_default():
            try:
                gf.import_graph_def(bytes(b))
            except GraphDefError:
                pass  # the documented error
    mutate()


def _masks_graph() -> Any:
    g = gf.Graph()
    with g.as_default():
        gf.Variable([1.0, 2.0], name="v")
        gf.Variable(3.0, name="w")
        gf.report_uninitialized_variables()  # IsVariableInitialized, and a BooleanMask of strings
        x = gf.placeholder(gf.float32, (None, 3), name="x")
        rows = gf.boolean_mask(x, gf.reduce_sum(x, 1) > 0, name="rows")
        gf.identity(gf.gradients(gf.reduce_sum(rows * rows), x)[0], name="grad")  # the scatter form
        gf.identity(gf.where(x > 1.0), name="coords")
    return g.as_graph_def()


_MASK_FETCHES = ["report_uninitialized_variables:0", "rows:0", "grad:0", "coords:0"]


def test_masks_and_readiness_go_both_ways() -> None:
    gd = _masks_graph()
    assert {"Where", "GatherNd", "ScatterNd", "IsVariableInitialized"} <= {n.op for n in gd.node}
    xv = np.array([[1, 2, 3], [-4, 0, 0], [0, 1, 0], [2, 0, 0]], np.float32)
    with gf.Graph().as_default():
        gf.import_graph_def(gd, name="")
        with gf.Session() as sess:
            assert list(sess.run("report_uninitialized_variables:0")) == [b"v", b"w"]
            sess.run("v/Assign")
            names, rows, grad, coords = sess.run(_MASK_FETCHES, {"x:0": xv})
    assert list(names) == [b"w"]
    np.testing.assert_array_equal(rows, xv[[0, 2, 3]])
    np.testing.assert_array_equal(grad, 2 * xv * (xv.sum(1, keepdims=True) > 0))
    np.testing.assert_array_equal(coords, np.argwhere(xv > 1.0))
    assert coords.dtype == np.int64


def test_tf1_runs_our_masks_and_readiness() -> None:
    tf = _tf1()
    xv = np.array([[1, 2, 3], [-4, 0, 0], [0, 1, 0]], np.float32)
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(_masks_graph().SerializeToString()), name="")
        with tf.Session() as sess:
            sess.run("v/Assign")
            names, rows, grad, coords = sess.run(_MASK_FETCHES, {"x:0": xv})
    assert list(names) == [b"w"]
    np.testing.assert_array_equal(rows, xv[[0, 2]])
    np.testing.assert_array_equal(grad, 2 * xv * (xv.sum(1, keepdims=True) > 0))
    np.testing.assert_array_equal(coords, np.argwhere(xv > 1.0))
