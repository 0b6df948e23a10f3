"""tf.contrib.slim's training side (TF 1.15): ``model_analyzer``, ``learning.create_train_op`` and
``learning.train``, ``evaluation.evaluate_once``, ``metrics.aggregate_metric_map``, and the
``initializers`` / ``init_ops`` modules; against tf-slim (contrib's maintained copy, on
tf.compat.v1) where it is installed, and against hand-computed values otherwise."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

slim = gf.contrib.slim


def _model_vars(tf: Any) -> list:
    with tf.variable_scope("net"):
        w = tf.get_variable("w", [3, 4], tf.float32, tf.zeros_initializer())
        b = tf.get_variable("b", [4], tf.float64, tf.zeros_initializer())
        n = tf.get_variable("n", [], tf.int64, tf.zeros_initializer())
    return [w, b, n]


def test_analyze_vars_prints_tf1s_table(capsys: pytest.CaptureFixture[str]) -> None:
    with gf.Graph().as_default():
        assert slim.model_analyzer.analyze_vars(_model_vars(gf), print_info=True) == (17, 88)
        assert slim.model_analyzer.analyze_vars(gf.global_variables()) == (17, 88)
    assert capsys.readouterr().out.splitlines() == [
        "---------", "Variables: name (type shape) [size]", "---------",
        "net/w:0 (float32 3x4) [12, bytes: 48]", "net/b:0 (float64 4) [4, bytes: 32]",
        "net/n:0 (int64 ) [1, bytes: 8]",
        "Total size of variables: 17", "Total bytes of variables: 88"]


def test_analyze_vars_matches_tf_slim(capsys: pytest.CaptureFixture[str]) -> None:
    tf_slim = need("tf_slim")
    tf = need("tensorflow")
    with tf.Graph().as_default():
        theirs = tf_slim.model_analyzer.analyze_vars(_model_vars(tf), print_info=True)
    their_out = capsys.readouterr().out
    with gf.Graph().as_default():
        ours = slim.model_analyzer.analyze_vars(_model_vars(gf), print_info=True)
    assert ours == theirs
    assert capsys.readouterr().out == their_out


def test_analyze_ops_counts_output_elements(capsys: pytest.CaptureFixture[str]) -> None:
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        y = gf.reshape(x, [-1], name="flat")
        gf.add(gf.constant(np.ones((2, 5), np.float32), name="c"), 1.0, name="sum")
        total = slim.model_analyzer.analyze_ops(g, print_info=True)
        assert total == sum(t.get_shape().num_elements() or 0 for op in g.get_operations() for t in op.outputs)
        assert total >= 20 and y.get_shape().num_elements() is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["---------", "Operations: name -> (type shapes) [size]", "---------"]
    assert "x \t-> (float32 ?x3) [0]" in lines
    assert "sum \t-> (float32 2x5) [10]" in lines


def test_initializer_modules() -> None:
    assert slim.initializers.xavier_initializer is gf.contrib.layers.xavier_initializer
    assert slim.init_ops.zeros_initializer is gf.zeros_initializer
    with gf.Graph().as_default():
        v = gf.get_variable("v", [4, 5], initializer=slim.initializers.xavier_initializer(seed=1))
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = s.run(v)
    limit = np.sqrt(6.0 / 9)
    assert np.all(np.abs(w) <= limit) and np.std(w) > 0.1


def _quadratic(tf: Any, learning: Any, **kwargs: Any) -> tuple:
    """A two-variable least-squares problem, its create_train_op, and the values of 3 steps."""
    with tf.Graph().as_default():
        a = tf.Variable(np.array([1.0, -2.0]), name="a")
        b = tf.Variable(np.array([0.5]), name="b")
        counter = tf.Variable(0, name="counter", trainable=False)
        tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1))
        loss = tf.reduce_sum(tf.square(a * 3.0 - 1.0)) + tf.reduce_sum(tf.square(b - 4.0))
        if "variables_to_train" in kwargs:
            kwargs = {**kwargs, "variables_to_train": [v for v in tf.global_variables()
                                                       if v.op.name == kwargs["variables_to_train"]]}
        op = learning.create_train_op(loss, tf.train.GradientDescentOptimizer(0.05), **kwargs)
        assert tf.get_collection(tf.GraphKeys.TRAIN_OP)[-1] is op
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            losses = [s.run(op) for _ in range(3)]
            return losses, s.run([a, b, counter, tf.train.get_global_step()])


@pytest.mark.parametrize("kwargs", [
    {}, {"clip_gradient_norm": 1.0}, {"gradient_multipliers": {"a": 0.5}},
    {"variables_to_train": "b", "summarize_gradients": True}])
def test_create_train_op(kwargs: dict) -> None:
    losses, (a, b, counter, step) = _quadratic(gf, slim.learning, **kwargs)
    assert counter == 3 and step == 3  # the update ops ran before each step, the global step counted
    assert losses[0] == pytest.approx(4 + 49 + 12.25)  # the loss before the first update
    assert losses[0] > losses[1] > losses[2]
    if kwargs.get("variables_to_train"):
        np.testing.assert_array_equal(a, [1.0, -2.0])
    tf_slim = need("tf_slim")
    tf = need("tensorflow")
    their_losses, theirs = _quadratic(tf, tf_slim.learning, **kwargs)
    # (TF casts the learning rate 0.05 to float32 before the float64 update: 1e-8 apart)
    np.testing.assert_allclose(losses, their_losses, rtol=1e-6)
    for ours, their in zip((a, b, counter, step), theirs):
        np.testing.assert_allclose(ours, their, rtol=1e-6)


def test_multiply_and_clip_gradients_errors() -> None:
    with pytest.raises(ValueError, match="must be a list"):
        slim.learning.multiply_gradients((), {"a": 1.0})
    with pytest.raises(ValueError, match="is empty"):
        slim.learning.multiply_gradients([], {})
    with gf.Graph().as_default():
        v = gf.Variable(1.0, name="v")
        with pytest.raises(ValueError, match="`None` gradient"):
            slim.learning.multiply_gradients([(None, v)], {v: 2.0})
        g = gf.constant([3.0, 4.0])
        (clipped, _), (none, _) = slim.learning.clip_gradient_norms([(g, v), (None, v)], 1.0)
        assert none is None
        with gf.Session() as s:
            np.testing.assert_allclose(s.run(clipped), [0.6, 0.8], rtol=1e-6)


def _train_graph(w0: float = 0.0) -> tuple:
    w = gf.Variable(w0, name="w")
    loss = gf.square(w - 3.0)
    gf.summary.scalar("loss", loss)
    return w, slim.learning.create_train_op(loss, gf.train.GradientDescentOptimizer(0.25))


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_train_runs_steps_saves_and_resumes(tmp_path: Path) -> None:
    logdir = str(tmp_path / "train")
    called = []
    logger, records, level = gf.logging.get_logger(), _Records(), gf.logging.get_verbosity()
    logger.addHandler(records)
    gf.logging.set_verbosity(gf.logging.INFO)
    try:
        with gf.Graph().as_default():
            _, op = _train_graph()
            loss = slim.learning.train(op, logdir, number_of_steps=4, log_every_n_steps=2,
                                       init_fn=lambda sess: called.append(sess), save_summaries_secs=3600,
                                       save_interval_secs=3600)
    finally:
        logger.removeHandler(records)
        gf.logging.set_verbosity(level)
    # w: 0 -> 1.5 -> 2.25 -> 2.625 -> 2.8125; the loss returned is the one before the 4th update
    assert loss == pytest.approx((2.625 - 3.0) ** 2)
    assert len(called) == 1
    assert gf.train.latest_checkpoint(logdir).endswith("model.ckpt-4")
    logged = [m.split(":")[0] for m in records.messages if m.startswith("global step")]
    assert logged == ["global step 2", "global step 4"]  # every log_every_n_steps, with the loss
    assert "Finished training! Saving model to disk." in records.messages
    with gf.Graph().as_default():  # a new run restores step 4 and w, and stops at step 6
        w, op = _train_graph()
        loss = slim.learning.train(op, logdir, number_of_steps=6, init_fn=lambda sess: called.append(sess),
                                   save_summaries_secs=3600, save_interval_secs=3600)
    assert loss == pytest.approx((2.90625 - 3.0) ** 2)
    assert len(called) == 1  # restored, not initialised
    assert gf.train.latest_checkpoint(logdir).endswith("model.ckpt-6")
    reader = gf.train.load_checkpoint(logdir)
    assert reader.get_tensor("w") == pytest.approx(2.953125)


def test_train_without_logdir_and_its_errors() -> None:
    with gf.Graph().as_default():
        _, op = _train_graph()
        assert slim.learning.train(op, None, number_of_steps=2) == pytest.approx((1.5 - 3.0) ** 2)
    with pytest.raises(ValueError, match="train_op cannot be None"):
        slim.learning.train(None, None)
    with pytest.raises(ValueError, match="Cannot provide saver because logdir=None"):
        slim.learning.train("op", None, saver=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number_of_steps"):
        slim.learning.train("op", None, number_of_steps=0)  # type: ignore[arg-type]


def test_train_stops_at_the_end_of_the_input(tmp_path: Path) -> None:
    with gf.Graph().as_default():
        data = gf.data.Dataset.from_tensor_slices(np.array([1.0, 2.0, 3.0], np.float32))
        x = data.make_one_shot_iterator().get_next()
        w = gf.Variable(0.0, name="w")
        op = slim.learning.create_train_op(gf.square(w - x), gf.train.GradientDescentOptimizer(0.5))
        slim.learning.train(op, str(tmp_path), save_summaries_secs=3600, save_interval_secs=3600)
    assert gf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-3")


def _save_w(path: str, value: float) -> str:
    with gf.Graph().as_default():
        w = gf.Variable(value, name="w")
        with gf.Session() as s:
            s.run(w.initializer)
            return gf.train.Saver().save(s, path)


def test_evaluate_once_restores_runs_eval_op_n_times_and_returns_final_op(tmp_path: Path) -> None:
    ckpt = _save_w(str(tmp_path / "model.ckpt"), 5.0)
    with gf.Graph().as_default():
        w = gf.Variable(0.0, name="w")
        batch = gf.Variable(0.0, name="batch", trainable=False, collections=[gf.GraphKeys.LOCAL_VARIABLES])
        next_batch = batch.assign_add(1.0)
        values, updates = slim.metrics.aggregate_metric_map({
            "mean_w": slim.metrics.streaming_mean(w), "mean_batch": slim.metrics.streaming_mean(next_batch)})
        final = slim.evaluation.evaluate_once("", ckpt, str(tmp_path / "eval"), num_evals=3,
                                              eval_op=list(updates.values()), final_op=values)
    assert final == {"mean_w": 5.0, "mean_batch": 2.0}  # w restored; batches 1, 2, 3 seen
    with gf.Graph().as_default():  # no eval_op: only the final op runs, on the restored model
        w = gf.Variable(0.0, name="w")
        assert slim.evaluation.evaluate_once("", ckpt, None, final_op=w * 2.0, summary_op=None) == 10.0


def test_aggregate_metrics() -> None:
    with gf.Graph().as_default():
        a = slim.metrics.streaming_accuracy(gf.constant([1, 0, 1]), gf.constant([1, 1, 1]))
        m = slim.metrics.streaming_mean(gf.constant([2.0, 4.0]))
        values, updates = slim.metrics.aggregate_metrics(a, m)
        with gf.Session() as s:
            s.run(gf.local_variables_initializer())
            s.run(updates)
            got = s.run(values)
    np.testing.assert_allclose(got, [2 / 3, 3.0], rtol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        slim.metrics.aggregate_metrics()


def test_module_paths() -> None:
    import graphflow.contrib.slim.evaluation as evaluation
    import graphflow.contrib.slim.learning as learning

    assert learning is slim.learning and evaluation is slim.evaluation
    assert os.path.basename(slim.__file__) == "__init__.py"


def test_evaluation_loop_evaluates_each_checkpoint(tmp_path: Path) -> None:
    _save_w(str(tmp_path / "model.ckpt"), 2.0)
    with gf.Graph().as_default():
        w = gf.Variable(0.0, name="w")
        value, update = slim.metrics.streaming_mean(w * 3.0)
        got = slim.evaluation.evaluation_loop("", str(tmp_path), None, num_evals=2, eval_op=update, final_op=value,
                                              summary_op=None, eval_interval_secs=0, max_number_of_evaluations=1)
    assert got == 6.0
