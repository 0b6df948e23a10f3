"""GRAPHFLOW_DUMP_DIR / Session(dump_dir=...): the program per pass, the generated source, LLVM IR,
assembly and compile timings, for both kinds of glue."""
from __future__ import annotations

import os

import numpy as np
import pytest

import graphflow as gf


@pytest.mark.parametrize("glue", [False, True], ids=["entry", "glue"])
def test_dump_writes_passes_source_native_code_and_timings(tmp_path: object, monkeypatch: pytest.MonkeyPatch,
                                                            glue: bool) -> None:
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1" if glue else "0")
    x = gf.placeholder(gf.float32, (None, 3))
    y = gf.reduce_sum(gf.tanh(x) * 2.0 + 1.0, axis=1)
    with gf.Session(dump_dir=str(tmp_path)) as sess:
        out = sess.run(y, {x: np.ones((2, 3), np.float32)})
    np.testing.assert_allclose(out, 3 * (2 * np.tanh(1.0) + 1), rtol=1e-6)
    (folder,) = os.listdir(str(tmp_path))
    files = set(os.listdir(os.path.join(str(tmp_path), folder)))
    names = ["build", "fold_constants", "simplify_algebra", "eliminate_dead_code", "remove_identities",
             "eliminate_common_subexpressions", "fuse_elementwise"]
    for k, name in enumerate(names):
        assert f"{k:02d}_{name}.txt" in files
    stem = "k0" if glue else "entry"
    assert {f"{stem}.ll", f"{stem}.s", "timings.txt", "glue.py" if glue else "kernel.py"} <= files
    with open(os.path.join(str(tmp_path), folder, f"{stem}.ll")) as f:
        assert "define" in f.read()
    with open(os.path.join(str(tmp_path), folder, "timings.txt")) as f:
        timings = f.read()
    assert all(stage in timings for stage in ("pass fuse_elementwise", "schedule", "lower", "load modules"))
