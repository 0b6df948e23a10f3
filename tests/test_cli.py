"""The graphflow command on a frozen model: show, draw (an SVG that parses), run (the in-process
values), dump (an index linking every artefact), trace (a Chrome trace of every kernel), bench;
bad input exits 2 with one line."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphflow as gf

pytestmark = pytest.mark.needs("tensorboard")  # graph files use the protobuf messages tensorboard ships


def _cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[str, np.ndarray]:  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("cli")
    rs = np.random.RandomState(0)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 8, 8, 1], name="x")
        h = gf.layers.conv2d(x, 3, 3, padding="same", activation=gf.nn.relu, name="conv")
        h = gf.layers.max_pooling2d(h, 2, 2)
        logits = gf.layers.dense(gf.layers.flatten(h), 4, name="logits")
        gf.nn.softmax(logits, name="probs")
        xv = rs.rand(2, 8, 8, 1).astype(np.float32)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            want = s.run("probs:0", {x: xv})
            frozen = gf.graph_util.convert_variables_to_constants(s, gf.get_default_graph().as_graph_def(), ["probs"])
    gf.train.write_graph(frozen, str(d), "model.pb", as_text=False)
    np.save(d / "x.npy", xv)
    np.save(d / "want.npy", want)
    return str(d), want


def test_show_and_draw(model) -> None:  # type: ignore[no-untyped-def]
    d, _ = model
    r = _cli("show", "model.pb", cwd=d)
    assert r.returncode == 0, r.stderr
    assert re.search(r"\d+ nodes, \d+ op types, 226 parameters", r.stdout)  # 3*3*1*3 + 3 + 48*4 + 4
    assert "x  float32 (?, 8, 8, 1)" in r.stdout and "probs" in r.stdout and "Conv2D" in r.stdout
    r = _cli("draw", "model.pb", "-o", "model.svg", cwd=d)
    assert r.returncode == 0, r.stderr
    root = ET.parse(os.path.join(d, "model.svg")).getroot()
    assert root.tag.endswith("svg") and "conv" in open(os.path.join(d, "model.svg")).read()
    r = _cli("draw", "model.pb", "-o", "model.dot", cwd=d)
    text = open(os.path.join(d, "model.dot")).read()
    assert text.startswith("digraph") and "subgraph cluster_" in text and "float32 (?, 8, 8, 3)" in text


def test_run_dump_and_trace(model) -> None:  # type: ignore[no-untyped-def]
    d, want = model
    r = _cli("run", "model.pb", "--feed", "x=x.npy", "--fetch", "probs", "--out", "probs.npy", cwd=d)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(os.path.join(d, "probs.npy")), want)
    assert "probs: float32 (2, 4)" in r.stdout
    r = _cli("dump", "model.pb", "--feed", "x=x.npy", "--fetch", "probs", "--out", "dump", cwd=d)
    assert r.returncode == 0, r.stderr
    index = r.stdout.strip().splitlines()[0]
    folder = os.path.dirname(os.path.join(d, index))
    page = open(os.path.join(d, index)).read()
    for f in os.listdir(folder):
        if f != "index.html":
            assert f"href='{f}'" in page  # the index links every artefact
    assert "fetch probs:0" in page and "feed x" in page
    r = _cli("trace", "model.pb", "--feed", "x=x.npy", "--fetch", "probs", "-o", "trace.json", cwd=d)
    assert r.returncode == 0, r.stderr
    events = [e for e in json.load(open(os.path.join(d, "trace.json")))["traceEvents"] if e["ph"] == "X"]
    assert events and all(e["dur"] >= 0 for e in events) and any(e["cat"] == "Conv2D" for e in events)


def test_bad_input_exits_2_with_one_line(model) -> None:  # type: ignore[no-untyped-def]
    d, _ = model
    with open(os.path.join(d, "junk.pb"), "wb") as f:
        f.write(b"\x08\x96\x01 not a graph \xff")
    for args, message in [(("show", "missing.pb"), "no such file"), (("show", "junk.pb"), "GraphDef"),
                          (("run", "model.pb", "--fetch", "nothere"), "nothere"),
                          (("run", "model.pb", "--fetch", "probs"), "feed a value for placeholder"),
                          (("run", "model.pb", "--feed", "x", "--fetch", "probs"), "NAME=FILE.npy")]:
        r = _cli(*args, cwd=d)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, r.stderr)
    r = _cli("--help", cwd=d)
    assert r.returncode == 0 and "show" in r.stdout and "trace" in r.stdout


def test_bench_runs() -> None:
    r = subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", "bench", "--steps", "3"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert re.search(r"step \d+\.\d+ ms", r.stdout)
