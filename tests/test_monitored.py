"""gf.train.MonitoredTrainingSession and its hooks, with TF1's semantics: initialise or restore,
hooks around every run, stop on request or at the end of the input, checkpoints."""
from __future__ import annotations

import logging

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need


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


def _events(logdir) -> list:  # type: ignore[no-untyped-def]
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto import event_pb2
    return [event_pb2.Event.FromString(r) for f in sorted(logdir.glob("events.out.tfevents.*"))
            for r in RawEventFileLoader(str(f)).Load()]


def test_summaries_and_steps_per_second_go_to_the_checkpoint_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("tensorboard")  # event files are TensorBoard's format
    x, w, step, loss, train = _model()
    gf.summary.scalar("loss", loss)
    gf.summary.histogram("weights", w)
    with gf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_summaries_steps=10,
                                           log_step_count_steps=20,
                                           hooks=[gf.train.StopAtStepHook(last_step=45)]) as s:
        while not s.should_stop():
            s.run(train, {x: np.ones(4, np.float32)})
    events = _events(tmp_path)
    assert [e.file_version for e in events if e.file_version] == ["brain.Event:2"]  # one file, one header
    assert sum(e.HasField("graph_def") for e in events) == 1  # TensorBoard's graph tab, as TF1's writer
    by_tag: dict[str, list] = {}
    for e in events:
        for v in e.summary.value:
            by_tag.setdefault(v.tag, []).append((e.step, v))
    assert [st for st, _ in by_tag["loss"]] == [1, 11, 21, 31, 41]  # the first step, then every 10
    assert [st for st, _ in by_tag["weights"]] == [1, 11, 21, 31, 41] and by_tag["weights"][0][1].HasField("histo")
    assert by_tag["loss"][0][1].simple_value == pytest.approx(1.0)  # (1 * 1 - 2)^2 at w = 1
    assert [st for st, _ in by_tag["global_step/sec"]] == [21, 41]
    assert all(v.simple_value > 0 for _, v in by_tag["global_step/sec"])
    with pytest.raises(ValueError, match="exactly one of save_secs and save_steps"):
        gf.train.SummarySaverHook(output_dir=str(tmp_path), summary_op=loss)
    with pytest.raises(ValueError, match="exactly one of scaffold and summary_op"):
        gf.train.SummarySaverHook(save_steps=1, output_dir=str(tmp_path))


def test_summary_saver_hook_tags_a_summary_with_the_step_it_describes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("tensorboard")  # event files are TensorBoard's format
    x, w, step, loss, train = _model()
    summ = gf.summary.scalar("w", w)
    hook = gf.train.SummarySaverHook(save_steps=3, output_dir=str(tmp_path), summary_op=summ)
    state = {}
    with gf.train.MonitoredTrainingSession(hooks=[hook, gf.train.StopAtStepHook(last_step=7)]) as s:
        while not s.should_stop():
            s.run(train, {x: np.ones(4, np.float32)})
            k, v = s.raw_session().run([step, w])
            state[int(k)] = float(v)
    values = {e.step: e.summary.value[0].simple_value for e in _events(tmp_path) if e.summary.value}
    assert sorted(values) == [1, 4, 7]
    assert values == {k: pytest.approx(state[k]) for k in (1, 4, 7)}  # w after k steps, tagged k
