"""``tf.train.SaverDef`` (a Saver's graph-side save and restore, run by name) and
``tf.train.ProfilerHook`` (Chrome traces of a monitored session's steps)."""
from __future__ import annotations

import glob
import json
import os
import warnings

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_saver_def_names_ops_that_save_and_restore(tmp_path: pytest.TempPathFactory) -> None:
    w = gf.Variable([1.0, 2.0], name="w")
    step = gf.Variable(3, name="step")
    saver = gf.train.Saver(max_to_keep=3, keep_checkpoint_every_n_hours=2.0)
    sd = saver.as_saver_def()
    assert saver.saver_def is sd and isinstance(sd, gf.train.SaverDef) and gf.train.SaverDef.V2 == 2
    assert (sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name) == (
        "save/Const:0", "save/control_dependency:0", "save/restore_all")
    assert (sd.max_to_keep, sd.sharded, sd.keep_checkpoint_every_n_hours, sd.version) == (3, False, 2.0, 2)
    first, second = os.path.join(str(tmp_path), "first"), os.path.join(str(tmp_path), "second")
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        written = sess.run(sd.save_tensor_name, {sd.filename_tensor_name: first})  # the graph's save op
        assert written == first.encode()
        sess.run([w.assign([5.0, 6.0]), step.assign(9)])
        saver.save(sess, second, write_meta_graph=False)  # the host-side save writes the same format
        sess.run(sd.restore_op_name, {sd.filename_tensor_name: first})
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])
        assert sess.run(step) == 3
        saver.restore(sess, first)
        sess.run(sd.restore_op_name, {sd.filename_tensor_name: second})
        np.testing.assert_array_equal(sess.run(w), [5.0, 6.0])
        assert sess.run(step) == 9
        with pytest.raises(gf.errors.NotFoundError, match="missing"):
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: os.path.join(str(tmp_path), "missing")})
        np.testing.assert_array_equal(sess.run(w), [5.0, 6.0])  # a failed restore changes nothing


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_saver_def_ops_stay_out_of_graph_files(tmp_path: pytest.TempPathFactory) -> None:
    gf.Variable([1.0], name="v")
    saver = gf.train.Saver()
    saver.build()
    assert gf.get_default_graph().get_operation_by_name("save/restore_all") is not None
    names = [n.name for n in gf.get_default_graph().as_graph_def().node]
    assert names and not any(n.startswith("save/") for n in names)
    with gf.Session() as sess, warnings.catch_warnings():
        warnings.simplefilter("error")  # the .meta is written: nothing in it lacks a GraphDef form
        sess.run(gf.global_variables_initializer())
        prefix = saver.save(sess, os.path.join(str(tmp_path), "m"))
    assert os.path.isfile(prefix + ".meta")


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_saver_def_on_a_finalized_graph_and_without_variables() -> None:
    gf.Variable([1.0], name="v")
    saver = gf.train.Saver()
    gf.get_default_graph().finalize()
    assert saver.saver_def.restore_op_name == "save/restore_all"
    assert gf.get_default_graph().finalized
    with gf.Graph().as_default():
        empty = gf.train.Saver(var_list=[], allow_empty=True)
        assert empty.saver_def.filename_tensor_name == "save/Const:0"


def test_saver_def_fields_against_tf1() -> None:
    tf = tf1()
    defs = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            lib.Variable([1.0], name="v")
            defs.append(lib.train.Saver(max_to_keep=4).as_saver_def())
    ours, theirs = defs
    for field in ("filename_tensor_name", "save_tensor_name", "restore_op_name", "max_to_keep", "sharded",
                  "keep_checkpoint_every_n_hours", "version"):
        assert getattr(ours, field) == getattr(theirs, field), field


def _train(tmp: str, hooks: list, steps: int) -> None:  # type: ignore[type-arg]
    x = gf.placeholder(gf.float32, [None, 2])
    w = gf.Variable(np.ones((2, 1), np.float32), name="w")
    loss = gf.reduce_mean(gf.square(gf.matmul(x, w) - 1.0))
    step = gf.train.get_or_create_global_step()
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    with gf.train.MonitoredSession(hooks=hooks) as sess:
        for _ in range(steps):
            sess.run(train, {x: np.ones((4, 2))})


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_profiler_hook_writes_chrome_traces(tmp_path: pytest.TempPathFactory) -> None:
    out = str(tmp_path)
    _train(out, [gf.train.ProfilerHook(save_steps=3, output_dir=out)], steps=8)
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out, "timeline-*.json")))
    # the first trace once 3 steps have passed, then every 3 steps of the step count the hook read
    # last (the run's incremented global step); TF1 writes timeline-3, -5 and -8 here, its global
    # step read racing the increment
    assert files == ["timeline-3.json", "timeline-5.json", "timeline-7.json"]
    with open(os.path.join(out, "timeline-5.json")) as f:
        trace = json.load(f)
    kernels = [e for e in trace["traceEvents"] if e.get("ph") == "X"]
    assert kernels and all(e["dur"] >= 0 for e in kernels)
    assert glob.glob(os.path.join(out, "events.out.tfevents.*"))  # the step statistics for TensorBoard


def test_profiler_hook_needs_a_global_step_and_a_schedule() -> None:
    with pytest.raises(ValueError, match="every_secs or every_steps"):
        gf.train.ProfilerHook(output_dir="x")
    hook = gf.train.ProfilerHook(save_steps=1, output_dir="x")
    with pytest.raises(RuntimeError, match="global step"):
        hook.begin()


def test_monitored_session_passes_the_callers_trace_through(tmp_path: pytest.TempPathFactory) -> None:
    x = gf.Variable([1.0, 2.0])
    y = x * 2.0
    md = gf.RunMetadata()
    with gf.train.MonitoredSession() as sess:
        sess.run(y, options=gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE), run_metadata=md)
    assert md.step_stats and {"name", "duration_us"} <= set(md.step_stats[0])
