"""gf.train.MonitoredTrainingSession and its hooks, with TF1's semantics: initialise or restore,
hooks around every run, stop on request or at the end of the input, checkpoints."""
from __future__ import annotations

import logging

import numpy as np
import pytest

import graphflow as gf


def _model():  # type: ignore[no-untyped-def]
    x = gf.placeholder(gf.float32, [None])
    w = gf.Variable(1.0, name="w")
    step = gf.train.get_or_create_global_step()
    loss = gf.reduce_mean((x * w - 2.0) ** 2)
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return x, w, step, loss, train


def test_stop_at_step_checkpoints_and_restore(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, w, step, loss, train = _model()
    feed = {x: np.ones(4, np.float32)}
    with gf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_checkpoint_steps=10,
                                           hooks=[gf.train.StopAtStepHook(last_step=25)]) as s:
        runs = 0
        while not s.should_stop():
            s.run(train, feed)
            runs += 1
        w25 = s.raw_session().run(w)
    assert runs == 25
    saved = sorted(p.name for p in tmp_path.glob("model.ckpt-*.gfckpt"))
    assert saved == [f"model.ckpt-{k}.gfckpt" for k in (0, 10, 20, 25)]  # the start, every 10, the end
    with gf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path),
                                           hooks=[gf.train.StopAtStepHook(num_steps=5)]) as s:
        assert s.run(step) == 25 and s.run(w) == w25  # restored from the latest checkpoint
        while not s.should_stop():
            s.run(train, feed)
        assert s.run(step) == 30


def test_logging_hook_and_nan_hook() -> None:
    x, w, step, loss, train = _model()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger, level = gf.logging.get_logger(), gf.logging.get_verbosity()
    logger.addHandler(handler)
    gf.logging.set_verbosity(gf.logging.INFO)
    try:
        with gf.train.MonitoredTrainingSession(hooks=[gf.train.StopAtStepHook(last_step=6),
                                                      gf.train.LoggingTensorHook({"loss": loss}, every_n_iter=3)]) as s:
            while not s.should_stop():
                s.run(train, {x: np.ones(2, np.float32)})
    finally:
        logger.removeHandler(handler)
        gf.logging.set_verbosity(level)
    logged = [r.getMessage() for r in records if r.getMessage().startswith("loss = ")]
    assert len(logged) == 2  # steps 0 and 3
    with gf.train.MonitoredTrainingSession(hooks=[gf.train.NanTensorHook(loss)]) as s:
        with pytest.raises(gf.train.NanLossDuringTrainingError):
            s.run(train, {x: np.full(2, np.nan, np.float32)})
    with gf.train.MonitoredTrainingSession(hooks=[gf.train.NanTensorHook(loss, fail_on_nan_loss=False)]) as s:
        s.run(train, {x: np.full(2, np.nan, np.float32)})
        assert s.should_stop()


def test_the_end_of_the_input_ends_the_loop_quietly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    it = gf.data.Dataset.from_tensor_slices(np.arange(3, dtype=np.float32)).make_one_shot_iterator()
    v = it.get_next()
    w = gf.Variable(0.0)
    step = gf.train.get_or_create_global_step()
    train = gf.group(w.assign_add(v), step.assign_add(1))
    with gf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as s:
        while not s.should_stop():
            s.run(train)
    assert gf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-3")  # saved at the end


def test_hooks_say_what_they_need() -> None:
    gf.Variable(1.0)
    with pytest.raises(RuntimeError, match="needs a global step"):
        gf.train.MonitoredTrainingSession(hooks=[gf.train.StopAtStepHook(last_step=3)])
    with pytest.raises(ValueError, match="exactly one of num_steps and last_step"):
        gf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="every_n_iter"):
        gf.train.LoggingTensorHook({})
