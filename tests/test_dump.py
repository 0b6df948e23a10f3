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
             "eliminate_common_subexpressions", "sink_transposes", "fuse_elementwise"]
    for k, name in enumerate(names):
        assert f"{k:02d}_{name}.txt" in files
    stem = "k0" if glue else "entry"
    assert {f"{stem}.ll", f"{stem}.s", "timings.txt", "glue.py" if glue else "kernel.py"} <= files
    with open(os.path.join(str(tmp_path), folder, f"{stem}.ll")) as f:
        assert "define" in f.read()
    with open(os.path.join(str(tmp_path), folder, "timings.txt")) as f:
        timings = f.read()
    assert all(stage in timings for stage in ("pass fuse_elementwise", "schedule", "lower", "load modules"))


def test_a_cnn_training_step_dump_has_every_artefact_and_an_index(tmp_path: object) -> None:
    """The digits CNN's training step (conv, pool, dense, softmax cross-entropy, Adam)."""
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float32, (None, 8, 8, 1), name="images")
    y = gf.placeholder(gf.int64, (None,), name="labels")
    h = gf.layers.max_pooling2d(gf.layers.conv2d(x, 4, 3, padding="same", activation=gf.nn.relu), 2, 2)
    logits = gf.layers.dense(gf.layers.flatten(h), 10)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = gf.train.AdamOptimizer(1e-3).minimize(loss)
    with gf.Session(dump_dir=str(tmp_path)) as sess:
        sess.run(gf.global_variables_initializer())
        sess.run([loss, train], {x: rs.rand(4, 8, 8, 1).astype(np.float32), y: rs.randint(0, 10, 4)})
    folders = [os.path.join(str(tmp_path), f) for f in os.listdir(str(tmp_path))]
    step = next(f for f in folders if "fetch " + loss.name in open(os.path.join(f, "index.html")).read())
    files = set(os.listdir(step))
    assert {"00_build.txt", "glue.py", "timings.txt", "program.dot", "program.svg", "index.html"} <= files
    assert any(f.endswith(".ll") for f in files) and any(f.endswith(".s") for f in files)
    assert any(f.startswith("k") and f.endswith(".py") for f in files)
    page = open(os.path.join(step, "index.html")).read()
    assert all(f"href='{f}'" in page for f in files - {"index.html"})  # the index links every artefact
    assert "feed images" in page and "feed labels" in page
    timings = open(os.path.join(step, "timings.txt")).read()
    assert "pass fuse_elementwise" in timings and "compiled by numba" in timings  # per pass and per kernel
    import xml.etree.ElementTree as ET
    ET.parse(os.path.join(step, "program.svg"))
    assert "fused: " in open(os.path.join(step, "program.dot")).read()  # fused kernels as clusters
