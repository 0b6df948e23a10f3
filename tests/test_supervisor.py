"""TF1's session management: Coordinator and LooperThread, SessionManager and the session creators,
Supervisor (managed_session, its background checkpoints and summaries) and basic_train_loop. The
Supervisor tests run the same script on TF1 too where it is installed, with the same assertions."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need, tf1


def _libs() -> list[Any]:
    return [pytest.param("gf", id="graphflow"), pytest.param("tf", id="tf1")]


def _lib(name: str) -> Any:
    return gf if name == "gf" else tf1()


# ---- Coordinator and LooperThread ------------------------------------------------------------------

def test_coordinator_carries_the_first_failure_to_join() -> None:
    coord = gf.train.Coordinator()
    started = threading.Event()

    def worker(fail: bool) -> None:
        with coord.stop_on_exception():
            started.set()
            if fail:
                raise ValueError("worker broke")
            while not coord.should_stop():
                time.sleep(0.001)

    threads = [threading.Thread(target=worker, args=(i == 1,)) for i in range(3)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="worker broke"):
        coord.join(threads, stop_grace_period_secs=5)
    assert coord.should_stop() and coord.joined
    assert not any(t.is_alive() for t in threads)
    coord.clear_stop()
    assert not coord.should_stop()
    coord.raise_requested_exception()  # nothing reported any more


def test_the_end_of_the_input_is_a_clean_stop_and_stragglers_are_named() -> None:
    coord = gf.train.Coordinator()
    coord.request_stop(gf.errors.OutOfRangeError(None, None, "end of sequence"))
    coord.join([])  # no exception: OutOfRangeError is a clean stop
    coord.clear_stop()
    blocker = threading.Event()
    stuck = threading.Thread(target=blocker.wait, name="stuck-reader", daemon=True)
    stuck.start()
    coord.register_thread(stuck)
    coord.request_stop()
    with pytest.raises(RuntimeError, match="threads still running: stuck-reader"):
        coord.join(stop_grace_period_secs=0.01)
    coord.clear_stop()
    coord.register_thread(stuck)
    coord.request_stop()
    coord.join(stop_grace_period_secs=0.01, ignore_live_threads=True)
    blocker.set()


def test_looper_thread_calls_its_target_on_a_timer_until_the_stop() -> None:
    coord = gf.train.Coordinator()
    calls: list[float] = []
    looper = gf.train.LooperThread.loop(coord, 0.01, calls.append, args=(1.0,))
    assert looper.daemon
    while len(calls) < 5:
        time.sleep(0.005)
    coord.request_stop()
    coord.join([looper], stop_grace_period_secs=5)
    assert not looper.is_alive() and len(calls) >= 5
    with pytest.raises(ValueError, match="must be a Coordinator"):
        gf.train.LooperThread("coord", 1.0)  # type: ignore[arg-type]


# ---- SessionManager and the session creators -------------------------------------------------------

def _model() -> tuple[Any, Any, Any]:
    w = gf.Variable(np.arange(3.0), name="w")
    b = gf.Variable(5.0, name="b")
    return w, b, gf.train.Saver()


def test_session_manager_initialises_restores_and_checks_readiness(tmp_path) -> None:
    w, b, saver = _model()
    manager = gf.train.SessionManager(ready_op=gf.report_uninitialized_variables())
    sess = manager.prepare_session(init_op=gf.global_variables_initializer(), saver=saver,
                                   checkpoint_dir=str(tmp_path))
    np.testing.assert_array_equal(sess.run(w), [0.0, 1.0, 2.0])
    sess.run(w.assign([7.0, 8.0, 9.0]))
    saver.save(sess, str(tmp_path / "model"), global_step=3)
    sess.close()
    restored = manager.prepare_session(init_op=gf.global_variables_initializer(), saver=saver,
                                       checkpoint_dir=str(tmp_path))
    np.testing.assert_array_equal(restored.run(w), [7.0, 8.0, 9.0])  # the checkpoint, not the init op
    with pytest.raises(RuntimeError, match="variables not initialized: b"):
        manager.prepare_session(init_op=gf.variables_initializer([w]))
    with pytest.raises(RuntimeError, match="no init_op or init_fn or local_init_op"):
        gf.train.SessionManager().prepare_session()
    sess, ready = manager.recover_session(saver=saver, checkpoint_dir=str(tmp_path / "empty"))
    assert not ready
    sess, ready = manager.recover_session(saver=saver, checkpoint_dir=str(tmp_path))
    assert ready and sess.run(b) == 5.0
    waiting = gf.train.SessionManager(ready_op=gf.report_uninitialized_variables(), recovery_wait_secs=0.01)
    with pytest.raises(gf.errors.DeadlineExceededError, match="not ready after waiting 0.03 secs.*w, b"):
        waiting.wait_for_session(max_wait_secs=0.03)


def test_monitored_session_takes_a_session_creator(tmp_path) -> None:
    w, b, saver = _model()
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(b.assign(-1.0))
        path = saver.save(sess, str(tmp_path / "chosen"))
    creator = gf.train.ChiefSessionCreator(checkpoint_filename_with_path=path)
    with gf.train.MonitoredSession(session_creator=creator) as sess:
        assert sess.run(b) == -1.0
    scaffold = gf.train.Scaffold(init_fn=lambda scaffold, s: s.run(b.assign(42.0)))
    with gf.train.MonitoredSession(session_creator=gf.train.ChiefSessionCreator(scaffold=scaffold)) as sess:
        assert sess.run(b) == 42.0  # init_fn runs after the init op
    with pytest.raises(TypeError, match="SessionCreator"):
        gf.train.MonitoredSession(session_creator=object())  # type: ignore[arg-type]


# ---- Supervisor ---------------------------------------------------------------------------------

def _regression(tf: Any) -> tuple[Any, Any, Any, Any]:
    x = tf.placeholder(tf.float32, (None, 2))
    w = tf.Variable(np.ones((2, 1), np.float32), name="w")
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    return x, w, step, tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)


@pytest.mark.parametrize("lib", _libs())
def test_managed_session_checkpoints_in_the_background_and_restores(lib: str, tmp_path) -> None:
    tf = _lib(lib)
    logdir = str(tmp_path)
    feed = np.random.RandomState(0).randn(4, 2).astype(np.float32)
    with tf.Graph().as_default():
        x, w, step, train = _regression(tf)
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0.05, summary_op=None)
        assert sv.global_step is not None and sv.saver is not None and sv.is_chief
        assert sv.save_path == os.path.join(logdir, "model.ckpt")
        with sv.managed_session() as sess:
            while sess.run(step) < 30:
                sess.run(train, {x: feed})
                time.sleep(0.005)  # 0.15 s or more: the checkpoint thread saves a few times
        assert sv.should_stop()
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(1.0)
    saved = tf.train.get_checkpoint_state(logdir).all_model_checkpoint_paths
    assert len(saved) >= 2  # saves every 0.05 s (the saver keeps the 5 newest)
    steps = [int(p.rsplit("-", 1)[1]) for p in saved]
    assert steps == sorted(steps) and steps[-1] <= 30
    with tf.Graph().as_default():
        x, w, step, train = _regression(tf)
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0, summary_op=None)
        with sv.managed_session() as sess:
            latest_path = tf.train.latest_checkpoint(logdir)
            latest = int(latest_path.rsplit("-", 1)[1])
            # a checkpoint is named by the step read when its save began; a training step of the main
            # thread may land before the variables are written (TF1's Saver the same), so the step it
            # holds is the name's or later
            stored = int(tf.train.load_variable(latest_path, "global_step"))
            assert latest >= steps[-1] and 30 >= stored >= latest
            assert sess.run(step) == stored  # the latest checkpoint's values, not the initial ones
            assert os.path.exists(os.path.join(logdir, "graph.pbtxt")) or lib == "gf"


@pytest.mark.parametrize("lib", _libs())
def test_managed_session_raises_failures_after_the_stop_and_ends_quietly_at_the_end_of_input(lib: str) -> None:
    tf = _lib(lib)
    with tf.Graph().as_default():
        x, w, step, train = _regression(tf)
        sv = tf.train.Supervisor(logdir=None, summary_op=None)
        with pytest.raises(ZeroDivisionError):
            with sv.managed_session():
                raise ZeroDivisionError("in the training loop")
        with sv.managed_session():
            raise tf.errors.OutOfRangeError(None, None, "End of sequence")
        assert sv.should_stop()


@pytest.mark.parametrize("lib", _libs())
def test_basic_train_loop_and_loop(lib: str) -> None:
    tf = _lib(lib)
    with tf.Graph().as_default():
        x, w, step, train = _regression(tf)
        sv = tf.train.Supervisor(logdir=None, summary_op=None)
        ticks: list[int] = []
        feed = np.ones((2, 2), np.float32)

        def train_step(sess: Any, limit: int) -> None:
            if not ticks:
                sv.loop(0.01, ticks.append, args=(1,))
            if sess.run([train, step], {x: feed})[1] >= limit:
                sv.request_stop()
        tf.train.basic_train_loop(sv, train_step, args=(25,))
        assert sv.should_stop() and ticks


def test_supervisor_writes_summaries_and_steps_per_second(tmp_path) -> None:
    need("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    x, w, step, train = _regression(gf)
    gf.summary.scalar("w_sum", gf.reduce_sum(w))
    by_hand = gf.summary.scalar("by_hand", gf.constant(3.0), collections=[])  # not in merge_all()
    sv = gf.train.Supervisor(logdir=str(tmp_path), save_summaries_secs=0.05, save_model_secs=0)
    with sv.managed_session() as sess:
        for _ in range(40):
            sess.run(train, {x: np.ones((2, 2), np.float32)})
            time.sleep(0.005)
        sv.summary_computed(sess, sess.run(by_hand))
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {"w_sum", "global_step/sec", "by_hand"} <= set(tags)
    assert events.Scalars("by_hand")[-1].step == 40 and events.Scalars("by_hand")[-1].value == 3.0
    assert len(events.Scalars("w_sum")) >= 2
    (path,) = [os.path.join(tmp_path, f) for f in os.listdir(tmp_path) if f.startswith("events.out")]
    read = list(gf.train.summary_iterator(path))
    assert read[0].HasField("file_version")
    assert [e.step for e in read for v in e.summary.value if v.tag == "by_hand"] == [40]
    assert [e.session_log.status for e in read if e.HasField("session_log")] == [1, 2]  # START, STOP
