"""tf.train's checkpoint utilities (init_from_checkpoint, warm_start, load_checkpoint,
checkpoints_iterator, mtimes, removal, state protos), the global step's check, and the hooks that
feed, fetch at the end, time and listen to checkpoint saves. init_from_checkpoint's mapping rules
are also run on TF1 where it is installed, with the same assertions."""
from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def _lib(name: str) -> Any:
    return gf if name == "gf" else tf1()


def _pretrained(tf: Any, folder: str) -> str:
    """A checkpoint holding enc/w (2x3), enc/b (3), head/w (3x1)."""
    with tf.Graph().as_default():
        with tf.variable_scope("enc"):
            tf.get_variable("w", initializer=np.arange(6.0).reshape(2, 3))
            tf.get_variable("b", initializer=np.full(3, 0.5))
        tf.get_variable("head/w", initializer=np.ones((3, 1)))
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, os.path.join(folder, "pretrained"))


@pytest.mark.parametrize("lib", ["gf", "tf"])
def test_init_from_checkpoint_maps_names_and_scopes(lib: str, tmp_path) -> None:
    tf = _lib(lib)
    path = _pretrained(tf, str(tmp_path))
    with tf.Graph().as_default():
        with tf.variable_scope("encoder"):
            w = tf.get_variable("w", shape=[2, 3], dtype=tf.float64, initializer=tf.zeros_initializer())
            b = tf.get_variable("b", shape=[3], dtype=tf.float64, initializer=tf.zeros_initializer())
        other = tf.get_variable("other", shape=[3, 1], dtype=tf.float64, initializer=tf.zeros_initializer())
        fresh = tf.get_variable("fresh", shape=[2], dtype=tf.float64, initializer=tf.ones_initializer())
        tf.train.init_from_checkpoint(path, {"enc/": "encoder/", "head/w": "other"})
        with pytest.raises(ValueError, match="not found in"):
            tf.train.init_from_checkpoint(path, {"enc/missing": fresh})
        with pytest.raises(ValueError, match="Shape of variable"):
            tf.train.init_from_checkpoint(path, {"enc/b": fresh})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([w, b, other, fresh])
    np.testing.assert_array_equal(got[0], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(got[1], np.full(3, 0.5))
    np.testing.assert_array_equal(got[2], np.ones((3, 1)))
    np.testing.assert_array_equal(got[3], np.ones(2))  # not mapped: its own initializer


def test_warm_start_load_checkpoint_and_list(tmp_path) -> None:
    path = _pretrained(gf, str(tmp_path))
    reader = gf.train.load_checkpoint(str(tmp_path))  # a directory: its latest checkpoint
    assert reader.get_variable_to_shape_map() == {"enc/w": [2, 3], "enc/b": [3], "head/w": [3, 1]}
    with gf.Graph().as_default():
        w = gf.get_variable("enc/w", shape=[2, 3], dtype=gf.float64, initializer=gf.zeros_initializer())
        head = gf.get_variable("out", shape=[3, 1], dtype=gf.float64, initializer=gf.zeros_initializer())
        frozen = gf.get_variable("enc/b", shape=[3], dtype=gf.float64, initializer=gf.zeros_initializer(),
                                 trainable=False)
        gf.train.warm_start(path, "enc/.*|out", var_name_to_prev_var_name={"out": "head/w"})
        with pytest.raises(NotImplementedError, match="vocabulary remapping"):
            gf.train.warm_start(path, var_name_to_vocab_info={"x": object()})
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), np.arange(6.0).reshape(2, 3))
            np.testing.assert_array_equal(sess.run(head), np.ones((3, 1)))
            np.testing.assert_array_equal(sess.run(frozen), np.zeros(3))  # a regex warms trainable ones only


def test_checkpoints_iterator_times_removal_and_state(tmp_path) -> None:
    folder = str(tmp_path)
    v = gf.Variable(1.0, name="v")
    saver = gf.train.Saver()
    seen: list[str] = []
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        first = saver.save(sess, os.path.join(folder, "m"), global_step=1)

        def later() -> None:
            time.sleep(0.3)
            sess.run(v.assign(2.0))
            saver.save(sess, os.path.join(folder, "m"), global_step=2)
        writer = threading.Thread(target=later)
        writer.start()
        for path in gf.train.checkpoints_iterator(folder, timeout=3.0):
            seen.append(path)
            if len(seen) == 2:
                break
        writer.join()
    assert [os.path.basename(p) for p in seen] == ["m-1", "m-2"]
    assert gf.train.load_variable(seen[1], "v") == 2.0
    ended = list(gf.train.checkpoints_iterator(folder, timeout=0.2))  # m-2 was seen: no new one
    assert [os.path.basename(p) for p in ended] == ["m-2"]
    times = gf.train.get_checkpoint_mtimes([first, seen[1], os.path.join(folder, "absent")])
    assert len(times) == 2 and times[0] <= times[1]
    gf.train.remove_checkpoint(first)
    assert not gf.train.checkpoint_exists(first) and not os.path.exists(first + ".meta")
    state = gf.train.generate_checkpoint_state_proto(folder, seen[1], [first, seen[1]])
    assert state.model_checkpoint_path == seen[1] and state.all_model_checkpoint_paths == [first, seen[1]]


def test_assert_global_step() -> None:
    gf.train.assert_global_step(gf.train.get_or_create_global_step())
    with pytest.raises(TypeError, match="integer type"):
        gf.train.assert_global_step(gf.Variable(0.0))
    with pytest.raises(TypeError, match="not scalar"):
        gf.train.assert_global_step(gf.Variable([0, 1]))
    with pytest.raises(TypeError, match="Variable or Tensor"):
        gf.train.assert_global_step(3)  # type: ignore[arg-type]


def test_feed_final_ops_timer_and_checkpoint_listener(tmp_path) -> None:
    x = gf.placeholder(gf.float32, ())
    total = gf.Variable(0.0, name="total")
    step = gf.train.get_or_create_global_step()
    train = gf.group(total.assign_add(x), step.assign_add(1))
    feeds = iter(range(1, 100))
    final = gf.train.FinalOpsHook(total * 2.0)
    events: list[tuple[str, int]] = []

    class Listener(gf.train.CheckpointSaverListener):
        def begin(self) -> None:
            events.append(("begin", -1))

        def before_save(self, session: Any, global_step_value: int) -> None:
            events.append(("before", global_step_value))

        def after_save(self, session: Any, global_step_value: int) -> bool:
            events.append(("after", global_step_value))
            return global_step_value >= 4  # asks the loop to stop

        def end(self, session: Any, global_step_value: int) -> None:
            events.append(("end", global_step_value))
    hooks = [gf.train.FeedFnHook(lambda: {x: float(next(feeds))}), final,
             gf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, listeners=[Listener()])]
    runs = 0
    with gf.train.MonitoredSession(hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    assert runs == 4 and final.final_ops_values == 2.0 * (1 + 2 + 3 + 4)
    assert events == [("begin", -1), ("before", 0), ("after", 0), ("before", 2), ("after", 2),
                      ("before", 4), ("after", 4), ("end", 4)]
    timer = gf.train.SecondOrStepTimer(every_steps=3)
    assert timer.should_trigger_for_step(0) and timer.update_last_triggered_step(0) == (None, None)
    assert not timer.should_trigger_for_step(2) and timer.should_trigger_for_step(3)
    assert timer.update_last_triggered_step(3)[1] == 3 and timer.last_triggered_step() == 3
    with pytest.raises(ValueError, match="Either every_secs or every_steps"):
        gf.train.SecondOrStepTimer()
    waiter = gf.train.GlobalStepWaiterHook(0)
    waiter.begin()
    assert waiter.before_run(None) is None  # type: ignore[arg-type]  (step 0 needs no wait)
