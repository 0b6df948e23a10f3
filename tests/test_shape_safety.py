"""Run-time shapes that disagree with what the graph believes: every loop checks its inputs
before it reads (TF1's "Incompatible shapes", the node, the user's line), zero-size dims give
empty results, and TF1's readings of shapes the graph builder accepts (labels of another rank
for softmax cross-entropy, a training flag of unknown rank for batch normalization)."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.core.errors import InvalidArgumentError
from tests.optional import need

HERE = os.path.basename(__file__)


@pytest.fixture(params=["inline", "glue"])
def glue(request: Any, monkeypatch: Any) -> str:
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1" if request.param == "glue" else "0")
    return request.param


def test_a_fed_batch_larger_than_a_default_raises_instead_of_reading_past_it(glue: str) -> None:
    x = gf.placeholder(gf.float32, [None, 4])
    y = gf.placeholder_with_default(np.full((2, 4), 2, np.float32), [None, 4])
    z = x + y
    with gf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[100000,4\] vs. \[2,4\]") as e:
            sess.run(z, {x: np.zeros((100000, 4), np.float32)})
        assert f"{HERE}:" in str(e.value) and "'add" in str(e.value).lower()
        np.testing.assert_array_equal(sess.run(z, {x: np.ones((2, 4), np.float32)}), np.full((2, 4), 3))
        np.testing.assert_array_equal(sess.run(z, {x: np.ones((1, 4), np.float32)}), np.full((2, 4), 3))


@pytest.mark.parametrize("rows", [3, 0])
def test_a_variable_times_a_batch_of_another_size_raises(glue: str, rows: int) -> None:
    x = gf.placeholder(gf.float32, [None, 4])
    v = gf.Variable(np.ones((2, 4), np.float32))
    y = x * v
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        with pytest.raises(InvalidArgumentError, match=rf"Incompatible shapes: \[{rows},4\] vs. \[2,4\]"):
            sess.run(y, {x: np.zeros((rows, 4), np.float32)})
        np.testing.assert_array_equal(sess.run(y, {x: np.full((1, 4), 3, np.float32)}), np.full((2, 4), 3))


def test_zero_size_dims_give_empty_results(glue: str) -> None:
    x = gf.placeholder(gf.float32, [None, 4])
    b = gf.placeholder(gf.float32, [None, 1])
    v = gf.Variable(np.arange(4, dtype=np.float32))
    y = x * v + b
    s = gf.reduce_sum(y, axis=1)
    g, = gf.gradients(gf.reduce_sum(y), [b])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        out = sess.run([y, s, g], {x: np.zeros((0, 4), np.float32), b: np.zeros((0, 1), np.float32)})
        assert [o.shape for o in out] == [(0, 4), (0,), (0, 1)]
        with pytest.raises(InvalidArgumentError, match="Incompatible shapes"):
            sess.run(y, {x: np.zeros((0, 4), np.float32), b: np.zeros((2, 1), np.float32)})


def test_an_assignment_of_another_size_raises_and_leaves_the_variable(glue: str) -> None:
    v = gf.Variable(np.zeros((2, 3), np.float32))
    p = gf.placeholder_with_default(np.ones((2, 3), np.float32), [None, 3])
    step = v.assign_add(p * 2.0)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(step)
        with pytest.raises(InvalidArgumentError):
            sess.run(step, {p: np.ones((5, 3), np.float32)})
        np.testing.assert_array_equal(sess.run(v), np.full((2, 3), 2))


def test_a_graph_file_and_the_cli_raise_the_same_error(tmp_path: Any) -> None:
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        y = gf.placeholder_with_default(np.full((2, 4), 2, np.float32), [None, 4], name="y")
        gf.identity(x + y, name="z")
        path = str(tmp_path / "g.pb")
        gf.train.write_graph(g, str(tmp_path), "g.pb", as_text=False)
    with gf.Graph().as_default():
        z, xi = gf.import_graph_def(open(path, "rb").read(), return_elements=["z:0", "x:0"], name="")
        with gf.Session() as sess, pytest.raises(InvalidArgumentError, match="Incompatible shapes"):
            sess.run(z, {xi: np.zeros((7, 4), np.float32)})
    np.save(tmp_path / "x.npy", np.zeros((7, 4), np.float32))
    run = subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", "run", path, "--fetch", "z",
                          "--feed", f"x={tmp_path / 'x.npy'}"], capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "Incompatible shapes: [7,4] vs. [2,4]" in run.stderr and "Traceback" not in run.stderr


# ---- TF1's readings of shapes --------------------------------------------------------------------

def _xent_case(tf: Any, v2: bool) -> list[np.ndarray]:
    logits = tf.placeholder(tf.float32, [None, 5])
    labels = tf.placeholder(tf.float32, [1, None, 5])
    fn = tf.nn.softmax_cross_entropy_with_logits_v2 if v2 else tf.nn.softmax_cross_entropy_with_logits
    loss = fn(labels=labels, logits=logits)
    assert loss.shape.as_list() == [None]
    fetch = [loss] + tf.gradients(tf.reduce_sum(loss), [logits] + ([labels] if v2 else []))
    rs = np.random.RandomState(0)
    lg = rs.standard_normal((3, 5)).astype(np.float32)
    lb = np.eye(5, dtype=np.float32)[[0, 4, 2]][None]
    with tf.Session() as sess:
        return sess.run(fetch, {logits: lg, labels: lb})


@pytest.mark.parametrize("v2", [False, True])
def test_softmax_xent_labels_of_another_rank_broadcast_as_tf1(v2: bool) -> None:
    got = _xent_case(gf, v2)
    rs = np.random.RandomState(0)
    lg = rs.standard_normal((3, 5))
    lb = np.eye(5)[[0, 4, 2]]
    logp = lg - lg.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    np.testing.assert_allclose(got[0], -(lb * logp).sum(1), rtol=1e-5)
    np.testing.assert_allclose(got[1], np.exp(logp) - lb, rtol=1e-5, atol=1e-6)
    if v2:
        assert got[2].shape == (1, 3, 5)
        np.testing.assert_allclose(got[2][0], -logp, rtol=1e-5)


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("v2", [False, True])
def test_softmax_xent_labels_of_another_rank_match_tf1(v2: bool) -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default():
        want = _xent_case(tf, v2)
    got = _xent_case(gf, v2)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_softmax_xent_labels_that_cannot_broadcast_are_refused() -> None:
    with pytest.raises(ValueError, match="must be equal"):
        gf.nn.softmax_cross_entropy_with_logits_v2(labels=gf.zeros([2, 3, 4]), logits=gf.zeros([3, 5]))
    logits = gf.placeholder(gf.float32, [None, 5])
    labels = gf.placeholder(gf.float32, [1, None, 5])
    loss = gf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    with gf.Session() as sess, pytest.raises(InvalidArgumentError):
        sess.run(loss, {logits: np.zeros((3, 5), np.float32), labels: np.zeros((1, 2, 5), np.float32)})


def test_batch_norm_with_a_training_flag_of_unknown_rank_keeps_the_static_shape() -> None:
    is_training = gf.placeholder(gf.bool)  # no shape: unknown rank, as tutorials write it
    x = gf.placeholder(gf.float32, [None, 6])
    h = gf.layers.batch_normalization(x, training=is_training)
    assert h.shape.as_list() == [None, 6]
    y = gf.layers.dense(h, 3)
    assert y.shape.as_list() == [None, 3]
    data = np.random.RandomState(1).standard_normal((8, 6)).astype(np.float32)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        train = sess.run(h, {x: data, is_training: True})
        infer = sess.run(h, {x: data, is_training: False})
    norm = (data - data.mean(0)) / np.sqrt(data.var(0) + 1e-3)
    np.testing.assert_allclose(train, norm, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(infer, data / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_training_steps_check_nothing_after_their_first_write(glue: str) -> None:
    """The checks of the graph's own shapes (dims it fixes) are beliefs: they do not make a step
    copy every variable it writes before running (as a check that a feed can fail after a write
    does, so an error can restore them), which doubled a CNN step's memory."""
    from graphflow.runtime.executable import Executable
    x = gf.placeholder(gf.float32, [None, 12, 12, 1])
    y = gf.placeholder(gf.int64, [None])
    ids = gf.placeholder(gf.int32, [None])
    h = gf.layers.flatten(gf.layers.max_pooling2d(gf.layers.conv2d(x, 4, 3, activation=gf.nn.relu), 2, 2))
    e = gf.nn.embedding_lookup(gf.get_variable("emb", [50, 8]), ids)
    logits = gf.layers.dense(gf.concat([h, e], 1), 5)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = gf.train.AdamOptimizer().minimize(loss)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(step, {x: np.zeros((3, 12, 12, 1), np.float32), y: np.zeros(3, np.int64),
                        ids: np.arange(3, dtype=np.int32)})
        exes = [entry[2] for entry in sess._cache.values() if isinstance(entry[2], Executable)]
        assert any(exe.writes for exe in exes)
        assert not any(exe.generated.checks_after_write for exe in exes)
