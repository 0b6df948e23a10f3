"""TF1's platform utilities: tf.app.run and tf.flags (absl-py underneath), tf.gfile / tf.io.gfile,
tf.logging."""
from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

import graphflow as gf

pytestmark = pytest.mark.needs("absl")  # tf.flags and tf.app.run use absl-py


def test_a_flags_script_reads_flags_at_module_level_and_runs_main(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import graphflow as tf
        flags = tf.app.flags
        flags.DEFINE_integer("batch_size", 32, "examples per step")
        flags.DEFINE_float("lr", 0.1, "learning rate")
        flags.DEFINE_boolean("fast", False, "skip things")
        FLAGS = flags.FLAGS
        print("module level", FLAGS.batch_size)   # TF1 parses sys.argv on first use

        def main(argv):
            print("main", FLAGS.batch_size, FLAGS.lr, FLAGS.fast, argv[1:])
            return 3

        if __name__ == "__main__":
            tf.app.run()
        """))
    r = subprocess.run([sys.executable, str(script), "--batch_size", "64", "--fast", "--not_defined=1", "extra"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr  # main's result is the exit status
    assert "module level 64" in r.stdout and "main 64 0.1 True" in r.stdout and "extra" in r.stdout


def test_gfile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "a" / "b"
    gf.gfile.MakeDirs(str(d))
    assert gf.gfile.IsDirectory(str(d)) and gf.io.gfile.isdir(str(d))
    with gf.gfile.GFile(str(d / "x.txt"), "w") as f:
        f.write("one\ntwo\n")
    with gf.gfile.Open(str(d / "x.txt")) as f:
        assert f.readlines() == ["one\n", "two\n"]
    with gf.gfile.GFile(str(d / "x.txt"), "rb") as f:
        assert f.read() == b"one\ntwo\n"
    gf.gfile.Copy(str(d / "x.txt"), str(d / "y.txt"))
    with pytest.raises(gf.errors.AlreadyExistsError, match="overwrite"):
        gf.gfile.Copy(str(d / "x.txt"), str(d / "y.txt"))
    gf.gfile.Copy(str(d / "x.txt"), str(d / "y.txt"), overwrite=True)
    assert gf.gfile.ListDirectory(str(d)) == ["x.txt", "y.txt"]
    assert gf.gfile.Glob(str(tmp_path / "a" / "*" / "*.txt")) == [str(d / "x.txt"), str(d / "y.txt")]
    assert [w[0] for w in gf.gfile.Walk(str(tmp_path / "a"))] == [str(tmp_path / "a"), str(d)]
    assert gf.gfile.Stat(str(d / "x.txt")).length == 8
    gf.gfile.Remove(str(d / "y.txt"))
    with pytest.raises(gf.errors.NotFoundError, match="no such file"):
        gf.gfile.Remove(str(d / "y.txt"))
    with pytest.raises(gf.errors.NotFoundError):
        gf.gfile.GFile(str(d / "missing.txt"))
    gf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not gf.gfile.Exists(str(tmp_path / "a"))


def test_logging_levels() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.levelname}:{record.getMessage()}")
    keep = Keep()
    gf.logging.get_logger().addHandler(keep)
    old = gf.logging.get_verbosity()
    try:
        gf.logging.set_verbosity(gf.logging.WARN)
        gf.logging.info("hidden %d", 1)
        gf.logging.warn("shown %d", 2)
        gf.logging.set_verbosity(gf.logging.INFO)
        assert gf.logging.get_verbosity() == gf.logging.INFO
        gf.logging.info("now %s", "visible")
        for i in range(5):
            gf.logging.log_every_n(gf.logging.INFO, "every %d", 2, i)
    finally:
        gf.logging.set_verbosity(old)
        gf.logging.get_logger().removeHandler(keep)
    assert records == ["WARNING:shown 2", "INFO:now visible", "INFO:every 0", "INFO:every 2", "INFO:every 4"]
