"""Checkpoints: round trips, max_to_keep, the state file, mismatch errors, crash safety, and
resumed training following the uninterrupted trajectory."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.train import checkpoint_io
from tests.optional import need

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _variables() -> dict[str, gf.Variable]:
    return {
        "w": gf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w"),
        "s": gf.Variable(2.5, name="scope/s", dtype=gf.float64),
        "h": gf.Variable(np.array([1.5, -2.0], np.float16), name="h"),
        "i": gf.Variable(np.array([[7, 8]], np.int64), name="i", trainable=False),
        "t": gf.Variable([True, False, True], name="t", trainable=False),
        "e": gf.Variable(np.zeros((0, 2), np.float32), name="e"),
    }


def _values(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(seed)
    return {"w": rng.randn(2, 3).astype(np.float32), "s": np.float64(rng.randn()),
            "h": rng.randn(2).astype(np.float16), "i": rng.randint(-9, 9, (1, 2)).astype(np.int64),
            "t": rng.rand(3) > 0.5, "e": np.zeros((0, 2), np.float32)}


def test_round_trip_keeps_values_dtypes_and_shapes(tmp_path) -> None:
    vs = _variables()
    want = _values(0)
    saver = gf.train.Saver()
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        for k, v in vs.items():
            v.load(want[k], sess)
        path = saver.save(sess, str(tmp_path / "model"))
        assert path == str(tmp_path / "model")
        assert os.path.isfile(path + ".gfckpt")
        for k, v in vs.items():
            v.load(_values(1)[k], sess)
        saver.restore(sess, path)
        got = sess.run(vs)
    for k in vs:
        assert got[k].dtype == np.asarray(want[k]).dtype and got[k].shape == np.shape(want[k]), k
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    # the reader sees names (TF1: the variable's op name), shapes and values
    assert gf.train.list_variables(str(tmp_path)) == sorted(
        [("w", [2, 3]), ("scope/s", []), ("h", [2]), ("i", [1, 2]), ("t", [3]), ("e", [0, 2])])
    np.testing.assert_array_equal(gf.train.load_variable(path, "w"), want["w"])


def test_file_is_a_zip_of_npy_with_a_json_manifest(tmp_path) -> None:
    w = gf.Variable(np.ones((2, 2), np.float32), name="layer/w")
    with gf.Session(device="reference") as sess:
        sess.run(w.initializer)
        path = gf.train.Saver().save(sess, str(tmp_path / "m"), global_step=3)
    assert path == str(tmp_path / "m-3")
    with zipfile.ZipFile(path + ".gfckpt") as zf:
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "graphflow.checkpoint" and manifest["version"] == 1
        (entry,) = manifest["tensors"]
        assert entry["name"] == "layer/w" and entry["dtype"] == "float32" and entry["shape"] == [2, 2]
        with zf.open(entry["file"]) as f:
            np.testing.assert_array_equal(np.load(f, allow_pickle=False), np.ones((2, 2), np.float32))


def test_optimizer_slots_round_trip(tmp_path) -> None:
    w = gf.Variable(np.array([1.0, -1.0], np.float32), name="w")
    step = gf.train.get_or_create_global_step()
    opt = gf.train.AdamOptimizer(0.1)
    train = opt.minimize(gf.reduce_sum(w * w), global_step=step)
    state = [w, step, opt.get_slot(w, "m"), opt.get_slot(w, "v"), *opt.variables()]
    saver = gf.train.Saver()
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        before = sess.run(state)
        path = saver.save(sess, str(tmp_path / "model"), global_step=step)
        assert path.endswith("model-2")
        sess.run(train)
        saver.restore(sess, path)
        after = sess.run(state)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert {"w/Adam", "w/Adam_1", "beta1_power", "beta2_power", "global_step"} <= {
        n for n, _ in gf.train.list_variables(path)}


def test_max_to_keep_and_latest_checkpoint(tmp_path) -> None:
    v = gf.Variable(0.0, name="v")
    d = str(tmp_path)
    assert gf.train.latest_checkpoint(d) is None
    saver = gf.train.Saver(max_to_keep=2)
    keep_all = gf.train.Saver(max_to_keep=None)
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        for step in range(4):
            v.load(float(step), sess)
            saver.save(sess, os.path.join(d, "model"), global_step=step)
            assert gf.train.latest_checkpoint(d) == os.path.join(d, f"model-{step}")
        assert sorted(f for f in os.listdir(d) if f.endswith(".gfckpt")) == ["model-2.gfckpt", "model-3.gfckpt"]
        assert saver.last_checkpoints == [os.path.join(d, "model-2"), os.path.join(d, "model-3")]
        state = gf.train.get_checkpoint_state(d)
        assert state.model_checkpoint_path == os.path.join(d, "model-3")
        assert state.all_model_checkpoint_paths == saver.last_checkpoints
        # TF1's text format, with paths relative to the directory
        assert open(os.path.join(d, "checkpoint")).read() == (
            'model_checkpoint_path: "model-3"\nall_model_checkpoint_paths: "model-2"\n'
            'all_model_checkpoint_paths: "model-3"\n')
        saver.restore(sess, gf.train.latest_checkpoint(d))
        assert sess.run(v) == 3.0
        # saving an existing path again moves it to the end instead of keeping a duplicate
        saver.save(sess, os.path.join(d, "model"), global_step=2)
        assert gf.train.get_checkpoint_state(d).all_model_checkpoint_paths == [
            os.path.join(d, "model-3"), os.path.join(d, "model-2")]
        sub = tmp_path / "all"
        sub.mkdir()
        for step in range(7):
            keep_all.save(sess, str(sub / "m"), global_step=step)
        assert len([f for f in os.listdir(sub) if f.endswith(".gfckpt")]) == 7
    # relative paths: the directory can move
    moved = str(tmp_path) + "_moved"
    os.rename(d, moved)
    assert gf.train.latest_checkpoint(moved) == os.path.join(moved, "model-2")
    # a state file naming a file that is gone gives None
    os.remove(os.path.join(moved, "model-2.gfckpt"))
    assert gf.train.latest_checkpoint(moved) is None


def test_var_list_as_a_dict_renames_entries(tmp_path) -> None:
    a = gf.Variable([1.0, 2.0], name="a")
    b = gf.Variable([0.0, 0.0], name="b")
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        path = gf.train.Saver({"shared/weights": a}).save(sess, str(tmp_path / "x"))
        assert gf.train.list_variables(path) == [("shared/weights", [2])]
        gf.train.Saver({"shared/weights": b}).restore(sess, path)
        np.testing.assert_array_equal(sess.run(b), [1.0, 2.0])
        gf.train.Saver([b]).save(sess, str(tmp_path / "y"))
    assert gf.train.list_variables(str(tmp_path / "y")) == [("b", [2])]
    with pytest.raises(TypeError, match="gf.Variable"):
        gf.train.Saver({"x": gf.constant(1.0)})


def _saved(tmp_path) -> str:
    """A checkpoint of w: float32 [2, 3] and n: int32 []."""
    with gf.Graph().as_default():
        w = gf.Variable(np.ones((2, 3), np.float32), name="w")
        n = gf.Variable(5, name="n")
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            return gf.train.Saver([w, n]).save(sess, str(tmp_path / "ref"))


def test_restore_errors_name_the_variable_and_change_nothing(tmp_path) -> None:
    path = _saved(tmp_path)
    w = gf.Variable(np.zeros((2, 3), np.float32), name="w")
    missing = gf.Variable(np.zeros(2, np.float32), name="other")
    n_shape = gf.Variable(np.zeros(3, np.int32), name="n")
    n_dtype = gf.Variable(np.float32(0), name="n_float")
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        with pytest.raises(gf.errors.NotFoundError, match=r"Key other not found in checkpoint.*other:0"):
            gf.train.Saver([w, missing]).restore(sess, path)
        with pytest.raises(gf.errors.InvalidArgumentError,
                           match=r"variable n:0 \(key n\): expected shape \[3\], found shape \[\]"):
            gf.train.Saver([w, n_shape]).restore(sess, path)
        with pytest.raises(gf.errors.InvalidArgumentError,
                           match=r"variable n_float:0 \(key n\): expected dtype float32, found dtype int32"):
            gf.train.Saver({"w": w, "n": n_dtype}).restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), np.zeros((2, 3)))  # nothing was half-restored
        with pytest.raises(gf.errors.NotFoundError, match="no checkpoint at prefix"):
            gf.train.Saver([w]).restore(sess, str(tmp_path / "nothing-here"))
        with pytest.raises(ValueError, match="None"):
            gf.train.Saver([w]).restore(sess, None)
        # garbage, a truncated file, and a corrupted array member
        (tmp_path / "garbage.gfckpt").write_bytes(b"not a zip at all")
        with pytest.raises(gf.errors.DataLossError, match="corrupt"):
            gf.train.Saver([w]).restore(sess, str(tmp_path / "garbage"))
        data = open(path + ".gfckpt", "rb").read()
        (tmp_path / "cut.gfckpt").write_bytes(data[:len(data) // 2])
        with pytest.raises(gf.errors.DataLossError):
            gf.train.Saver([w]).restore(sess, str(tmp_path / "cut"))
        ones = np.ones((2, 3), np.float32).tobytes()
        (tmp_path / "flipped.gfckpt").write_bytes(data.replace(ones, b"\x01" + ones[1:]))
        with pytest.raises(gf.errors.DataLossError, match="tensor w is unreadable"):
            gf.train.Saver([w]).restore(sess, str(tmp_path / "flipped"))
        np.testing.assert_array_equal(sess.run(w), np.zeros((2, 3)))
        gf.train.Saver([w]).restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), np.ones((2, 3)))


def test_unknown_format_version_is_refused(tmp_path) -> None:
    path = _saved(tmp_path)
    with zipfile.ZipFile(path + ".gfckpt") as src, zipfile.ZipFile(tmp_path / "v9.gfckpt", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "manifest.json":
                data = json.dumps({**json.loads(data), "version": 9}).encode()
            dst.writestr(info, data)
    with pytest.raises(gf.errors.DataLossError, match="version 9; this graphflow reads version 1"):
        gf.train.NewCheckpointReader(str(tmp_path / "v9"))


def test_save_errors(tmp_path) -> None:
    w = gf.Variable([1.0], name="w")
    with gf.Session(device="reference") as sess:
        with pytest.raises(gf.errors.FailedPreconditionError, match="w"):
            gf.train.Saver().save(sess, str(tmp_path / "m"))
        sess.run(w.initializer)
        with pytest.raises(ValueError, match="Parent directory"):
            gf.train.Saver().save(sess, str(tmp_path / "no" / "such" / "m"))
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            gf.train.Saver()


def test_save_creates_a_missing_folder_one_level_deep_as_tf1(tmp_path) -> None:
    w = gf.Variable([1.0], name="w")
    with gf.Session(device="reference") as sess:
        sess.run(w.initializer)
        path = gf.train.Saver().save(sess, str(tmp_path / "new" / "m"), global_step=1)
        assert sorted(os.listdir(tmp_path / "new")) == ["checkpoint", "m-1.gfckpt", "m-1.meta"]
        assert gf.train.latest_checkpoint(str(tmp_path / "new")) == path
        # TF1 creates the checkpoint's folder only, never its parents, nor over a file
        with pytest.raises(ValueError, match=f"Parent directory of {tmp_path / 'a' / 'b' / 'm'} doesn't exist"):
            gf.train.Saver().save(sess, str(tmp_path / "a" / "b" / "m"))
        assert not (tmp_path / "a").exists()
        (tmp_path / "file").write_text("")
        with pytest.raises(ValueError, match="Parent directory"):
            gf.train.Saver().save(sess, str(tmp_path / "file" / "m"))


@pytest.mark.needs("tensorflow")
def test_save_into_missing_folders_matches_tf1(tmp_path) -> None:
    tf = need("tensorflow")

    def outcome(save: Callable[[str], Any], folder: Any) -> str:
        try:
            save(str(folder / "m"))
        except ValueError as e:
            assert "doesn't exist, can't save" in str(e)
            return "ValueError"
        return "saved " + ",".join(sorted(f.split(".")[-1] for f in os.listdir(folder) if "checkpoint" not in f))

    (tmp_path / "tf").mkdir()
    (tmp_path / "gf").mkdir()
    with tf.Graph().as_default():
        v = tf.Variable([1.0], name="w")
        with tf.Session() as sess:
            sess.run(v.initializer)
            saver = tf.train.Saver()
            tf_outcomes = [outcome(lambda p: saver.save(sess, p), tmp_path / "tf" / "one"),
                           outcome(lambda p: saver.save(sess, p), tmp_path / "tf" / "no" / "such")]
    with gf.Graph().as_default():
        w = gf.Variable([1.0], name="w")
        with gf.Session(device="reference") as sess:
            sess.run(w.initializer)
            saver = gf.train.Saver()
            gf_outcomes = [outcome(lambda p: saver.save(sess, p), tmp_path / "gf" / "one"),
                           outcome(lambda p: saver.save(sess, p), tmp_path / "gf" / "no" / "such")]
    assert [o.split()[0] for o in tf_outcomes] == [o.split()[0] for o in gf_outcomes] == ["saved", "ValueError"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _age(path: Any, seconds: float) -> None:
    """Set ``path``'s modification time ``seconds`` into the past."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stray_temporaries_of_killed_saves_are_removed_at_the_next_save(tmp_path) -> None:
    dead = _dead_pid()
    stray = [f"model-3.gfckpt.{dead}.0123abcd.tmp", f"model.gfckpt.{dead}.0123abcd.tmp",
             f"checkpoint.{dead}.89abcdef.tmp", f"model-1.meta.{dead}.0123abcd.tmp"]
    kept = [f"model-4.gfckpt.{os.getpid()}.0123abcd.tmp",  # this process's: may be another thread's save
            f"model-5.gfckpt.{os.getppid()}.0123abcd.tmp",  # a live process's: in flight
            f"other-1.gfckpt.{dead}.0123abcd.tmp", f"model-best.gfckpt.{dead}.0123abcd.tmp",  # not this saver's
            f"other-1.meta.{dead}.0123abcd.tmp", f"best.{dead}.0123abcd.tmp",  # another saver's state file
            "notes.tmp", f"model-1.gfckpt.{dead}.tmp", f"model-1.pbtxt.{dead}.0123abcd.tmp"]
    for name in stray + kept:
        (tmp_path / name).write_bytes(b"partial")
        _age(tmp_path / name, 11 * 60)
    # a dead pid, but written a minute ago: maybe a live writer on another host of a shared file system
    young = [f"model-6.gfckpt.{dead}.0123abcd.tmp", f"model-6.meta.{dead}.0123abcd.tmp"]
    for name in young:
        (tmp_path / name).write_bytes(b"partial")
        _age(tmp_path / name, 60)
    v = gf.Variable(1.0, name="v")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        gf.train.Saver(max_to_keep=None).save(sess, str(tmp_path / "model"), global_step=1)
        assert sorted(os.listdir(tmp_path)) == sorted(kept + young + ["checkpoint", "model-1.gfckpt", "model-1.meta"])
        # ten minutes untouched, its writer still not running here: now it is a killed save's
        for name in young:
            _age(tmp_path / name, 10 * 60 + 1)
        gf.train.Saver(max_to_keep=None).save(sess, str(tmp_path / "model"), global_step=1)
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["checkpoint", "model-1.gfckpt", "model-1.meta"])


def test_checkpoints_an_interrupted_save_left_unlisted_are_kept(tmp_path) -> None:
    """A complete checkpoint no state file of this saver lists is never removed: the same name may
    be another saver's (another latest_filename) or TF1's. It comes under max_to_keep when the
    run saves that step again, as a resumed run does."""
    v = gf.Variable(1.0, name="v")
    d = str(tmp_path)
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        first = gf.train.Saver(max_to_keep=3)
        for step in (1, 2):
            first.save(sess, os.path.join(d, "model"), global_step=step)
        data = open(os.path.join(d, "model-2.gfckpt"), "rb").read()
        # killed after its checkpoint was in place, before the state file named it
        (tmp_path / "model-7.gfckpt").write_bytes(data)
        (tmp_path / "model-7.meta").write_bytes(b"meta")
        # killed after the state file stopped naming model-0, before its .meta went
        (tmp_path / "model-0.meta").write_bytes(b"meta")
        foreign = ["other-1.gfckpt", "model-best.gfckpt", "model.txt", "model-2.gfckpt.bak", "model-x.gfckpt"]
        for name in foreign:
            (tmp_path / name).write_bytes(data)
        left = ["model-7.gfckpt", "model-7.meta", "model-0.meta"]
        # a restarted run: a new saver
        resumed = gf.train.Saver(max_to_keep=3)
        resumed.save(sess, os.path.join(d, "model"), global_step=3)
        ours = [f"model-{s}.{ext}" for s in (1, 2, 3) for ext in ("gfckpt", "meta")]
        assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint", *ours, *foreign, *left])
        assert gf.train.get_checkpoint_state(d).all_model_checkpoint_paths == [
            os.path.join(d, f"model-{s}") for s in (1, 2, 3)]
        for step in (4, 5, 6):
            resumed.save(sess, os.path.join(d, "model"), global_step=step)
        assert (tmp_path / "model-7.gfckpt").read_bytes() == data  # still unlisted, still kept
        # the resumed run reaches step 7: its own save replaces the file, which then rotates out
        for step in (7, 8, 9, 10):
            resumed.save(sess, os.path.join(d, "model"), global_step=step)
        ours = [f"model-{s}.{ext}" for s in (8, 9, 10) for ext in ("gfckpt", "meta")]
        assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint", *ours, *foreign, "model-0.meta"])
        # max_to_keep None or 0 keeps every checkpoint, listed or not
        for keep_all in (None, 0):
            gf.train.Saver(max_to_keep=keep_all).save(sess, os.path.join(d, "model"), global_step=11)
            assert (tmp_path / "model-8.gfckpt").exists()


def test_a_new_saver_keeps_the_newest_checkpoints_of_earlier_runs(tmp_path) -> None:
    """A restarted run's saver takes in the checkpoints the state file lists under its naming, so
    max_to_keep counts them (TF1's saver forgets them: unlisted, kept forever)."""
    v = gf.Variable(1.0, name="v")
    d = str(tmp_path)

    def on_disk() -> list[str]:
        return sorted(f for f in os.listdir(d) if f.endswith(".gfckpt"))

    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        run1 = gf.train.Saver(max_to_keep=2)
        for step in (1, 2, 3):
            run1.save(sess, os.path.join(d, "model"), global_step=step)
        run2 = gf.train.Saver(max_to_keep=2)
        run2.save(sess, os.path.join(d, "model"), global_step=4)
        assert run2.last_checkpoints == [os.path.join(d, "model-3"), os.path.join(d, "model-4")]
        assert on_disk() == ["model-3.gfckpt", "model-4.gfckpt"]
        assert gf.train.get_checkpoint_state(d).all_model_checkpoint_paths == run2.last_checkpoints
        # a state file that lists none of this saver's checkpoints (another prefix's wrote it over)
        # or cannot be read: nothing is taken in, and nothing unlisted removed (TF1 keeps them too)
        gf.train.Saver(max_to_keep=1).save(sess, os.path.join(d, "other"), global_step=9)
        run3 = gf.train.Saver(max_to_keep=1)
        for step in (5, 6):
            run3.save(sess, os.path.join(d, "model"), global_step=step)
        assert run3.last_checkpoints == [os.path.join(d, "model-6")]
        assert on_disk() == ["model-3.gfckpt", "model-4.gfckpt", "model-6.gfckpt", "other-9.gfckpt"]
        (tmp_path / "checkpoint").write_bytes(b"\xff\xfe garbage")
        run4 = gf.train.Saver(max_to_keep=1)
        for step in (7, 8):
            run4.save(sess, os.path.join(d, "model"), global_step=step)
        assert run4.last_checkpoints == [os.path.join(d, "model-8")]
        assert on_disk() == ["model-3.gfckpt", "model-4.gfckpt", "model-6.gfckpt", "model-8.gfckpt",
                             "other-9.gfckpt"]
        assert gf.train.latest_checkpoint(d) == os.path.join(d, "model-8")


def test_a_failed_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch) -> None:
    v = gf.Variable(np.zeros(1000, np.float32), name="v")
    saver = gf.train.Saver()
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        v.load(np.ones(1000), sess)
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)

        def fail(out, chunk):
            raise OSError("disk full")
        monkeypatch.setattr(checkpoint_io, "_write_chunk", fail)
        v.load(np.full(1000, 2.0), sess)
        with pytest.raises(OSError, match="disk full"):
            saver.save(sess, str(tmp_path / "m"), global_step=2)
        assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-1.gfckpt", "m-1.meta"]  # no temp file, no m-2
        assert gf.train.latest_checkpoint(str(tmp_path)) == first
        saver.restore(sess, first)
        np.testing.assert_array_equal(sess.run(v), np.ones(1000))


CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import graphflow as gf
    from graphflow.train import checkpoint_io
    n = 1 << 20
    v = gf.Variable(np.zeros(n, np.float32), name="big")
    sess = gf.Session()
    saver = gf.train.Saver()
    v.load(np.full(n, 1.0), sess)
    saver.save(sess, sys.argv[1], global_step=1)
    v.load(np.full(n, 2.0), sess)
    checkpoint_io._CHUNK_BYTES = 1 << 14
    write = checkpoint_io._write_chunk
    def slow(out, chunk):
        write(out, chunk)
        print("chunk", flush=True)
        time.sleep(0.02)
    checkpoint_io._write_chunk = slow
    saver.save(sess, sys.argv[1], global_step=2)
    print("finished", flush=True)
""")


def test_sigkill_mid_save_leaves_the_previous_checkpoint(tmp_path) -> None:
    prefix = str(tmp_path / "model")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, prefix], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        chunks = 0
        for line in proc.stdout:
            chunks += line.startswith("chunk")
            if chunks == 5:  # a few chunks of the second checkpoint are on disk, most are not
                break
        assert chunks == 5, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    files = os.listdir(tmp_path)
    assert "model-2.gfckpt" not in files and "model-1.gfckpt" in files
    assert [f for f in files if f.endswith(".tmp")] == [f"model-2.gfckpt.{proc.pid}.{f.split('.')[-2]}.tmp"
                                                        for f in files if f.endswith(".tmp")]
    assert len([f for f in files if f.endswith(".tmp")]) == 1  # the killed save's
    assert gf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == [prefix + "-1"]
    latest = gf.train.latest_checkpoint(str(tmp_path))
    assert latest == prefix + "-1"
    big = gf.Variable(np.zeros(1 << 20, np.float32), name="big")
    with gf.Session(device="reference") as sess:
        gf.train.Saver().restore(sess, latest)
        np.testing.assert_array_equal(sess.run(big), np.ones(1 << 20, np.float32))
        # a restarted run's save keeps the killed save's temporary while it is fresh (its pid
        # could be a live writer's on another host), and removes it once 10 minutes old
        gf.train.Saver().save(sess, prefix, global_step=3)
        (temporary,) = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
        _age(tmp_path / temporary, 10 * 60 + 1)
        gf.train.Saver().save(sess, prefix, global_step=3)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model-1.gfckpt", "model-1.meta", "model-3.gfckpt",
                                            "model-3.meta"]


# ---- resuming training ----------------------------------------------------------------------------

N_STEPS, M_STEPS = 4, 4


def _model():  # type: ignore[no-untyped-def]
    """A small regression trained with Adam (slots and beta powers matter) and a global step."""
    rng = np.random.RandomState(3)
    x = gf.placeholder(gf.float32, (None, 3))
    y = gf.placeholder(gf.float32, (None, 1))
    w = gf.Variable(rng.randn(3, 1).astype(np.float32), name="w")
    b = gf.Variable(np.zeros(1, np.float32), name="b")
    loss = gf.reduce_mean(gf.square(gf.matmul(x, w) + b - y))
    step = gf.train.get_or_create_global_step()
    train = gf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return x, y, loss, train, step, [w, b]


def _batches():  # type: ignore[no-untyped-def]
    rng = np.random.RandomState(4)
    out = []
    for _ in range(N_STEPS + M_STEPS):
        xb = rng.randn(8, 3).astype(np.float32)
        out.append((xb, (xb @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)))
    return out


def _train(sess, x, y, loss, train, batches):  # type: ignore[no-untyped-def]
    losses = []
    for xb, yb in batches:
        losses.append(float(sess.run(loss, {x: xb, y: yb})))
        sess.run(train, {x: xb, y: yb})
    return losses


def test_resumed_training_follows_the_uninterrupted_trajectory(tmp_path) -> None:
    batches = _batches()
    with gf.Graph().as_default():
        x, y, loss, train, step, _ = _model()
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            straight = _train(sess, x, y, loss, train, batches)
            assert sess.run(step) == N_STEPS + M_STEPS
    with gf.Graph().as_default():
        x, y, loss, train, step, _ = _model()
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            first = _train(sess, x, y, loss, train, batches[:N_STEPS])
            gf.train.Saver().save(sess, str(tmp_path / "model"), global_step=step)
    with gf.Graph().as_default():
        x, y, loss, train, step, _ = _model()
        with gf.Session() as sess:
            gf.train.Saver().restore(sess, gf.train.latest_checkpoint(str(tmp_path)))
            assert sess.run(step) == N_STEPS
            rest = _train(sess, x, y, loss, train, batches[N_STEPS:])
            assert sess.run(step) == N_STEPS + M_STEPS
    np.testing.assert_allclose(first + rest, straight, rtol=1e-6)
    # restoring the weights without Adam's slots does not continue the same trajectory
    with gf.Graph().as_default():
        x, y, loss, train, step, weights = _model()
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            gf.train.Saver(weights).restore(sess, gf.train.latest_checkpoint(str(tmp_path)))
            fresh = _train(sess, x, y, loss, train, batches[N_STEPS:])
    assert fresh[0] == pytest.approx(straight[N_STEPS], rel=1e-6)
    assert not np.allclose(fresh[1:], straight[N_STEPS + 1:], rtol=1e-3)
