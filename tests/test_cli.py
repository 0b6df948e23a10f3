"""The graphflow command on a frozen model: show, draw (an SVG that parses), run (the in-process
values), dump (an index linking every artefact), trace (a Chrome trace of every kernel), bench;
every misuse exits 2 with one line, a graph that fails while running exits 1 with one line naming
TF1's error class and the node, output folders are made as needed, parameter counts are exact."""
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
from graphflow.runtime.cli import main

needs_graph_files = pytest.mark.needs("tensorboard")  # graph files use the protobuf messages tensorboard ships


def _cli(*args: str, cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command run in this process: (exit status, stdout, stderr)."""
    try:
        status = main(list(args))
    except SystemExit as e:  # argparse's usage errors
        status = int(e.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


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


@needs_graph_files
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


@needs_graph_files
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


@needs_graph_files
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


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    """A folder with small.pb (y = row sums of 2x; big = fill(d, 1.0)) and arrays to feed it."""
    d = tmp_path_factory.mktemp("cli_small")
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        gf.identity(gf.reduce_sum(x * 2.0, axis=1), name="y")
        dims = gf.placeholder(gf.int32, [2], name="d")
        gf.fill(dims, 1.0, name="big")
        gf.train.write_graph(gf.get_default_graph().as_graph_def(), str(d), "small.pb", as_text=False)
    np.save(d / "x.npy", np.ones((2, 3), np.float32))
    np.save(d / "x34.npy", np.ones((3, 4), np.float32))
    np.save(d / "huge.npy", np.array([2**24, 2**24], np.int32))  # a 1 PiB float32 tensor
    np.savez(d / "x.npz", x=np.ones((2, 3), np.float32))
    (d / "empty.npy").write_bytes(b"")
    (d / "text.npy").write_text("not an array\n")
    (d / "folder").mkdir()
    return str(d)


@needs_graph_files
def test_every_misuse_is_one_line_and_exit_2(small: str, capsys: pytest.CaptureFixture[str]) -> None:
    def at(name: str) -> str:
        return os.path.join(small, name)
    pb = at("small.pb")
    cases = [
        (["run", pb, "--feed", f"x={at('folder')}", "--fetch", "y"], "is a directory; expected a .npy file"),
        (["run", pb, "--feed", f"x={at('nothere.npy')}", "--fetch", "y"], "no such file"),
        (["run", pb, "--feed", f"x={at('x.npz')}", "--fetch", "y"], "is a .npz archive"),
        (["run", pb, "--feed", f"x={at('empty.npy')}", "--fetch", "y"], "not a .npy array"),
        (["run", pb, "--feed", f"x={at('text.npy')}", "--fetch", "y"], "not a .npy array"),
        (["run", pb, "--feed", f"x={at('x.npy')}", "--feed", f"x:0={at('x.npy')}", "--fetch", "y"], "already fed"),
        (["run", pb, "--feed", f"={at('x.npy')}", "--fetch", "y"], "expected NAME=FILE.npy"),
        (["run", pb, "--feed", f"nothere={at('x.npy')}", "--fetch", "y"], "--feed 'nothere="),
        (["run", pb, "--feed", f"x={at('x34.npy')}", "--fetch", "y"], "Cannot feed value of shape (3, 4)"),
        (["run", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y:3"], "--fetch 'y:3'"),
        (["run", pb, "--feed", f"x={at('x.npy')}"], "give at least one --fetch"),
        (["run", pb, "--fetch", "y"], "You must feed a value for placeholder tensor 'x'"),
        (["run", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y", "--fetch", "y", "--out", at("two.npy")],
         "2 fetches need a .npz file"),
        (["run", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y", "--out", at("folder")], "is a directory"),
        (["run", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y", "--out", at("x.npy/under/a/file.npy")],
         "cannot create its folder"),
        (["dump", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y", "--out", at("x.npy")], "is a file"),
        (["trace", pb, "--feed", f"x={at('x.npy')}", "--fetch", "y", "-o", at("folder")], "is a directory"),
        (["show", at("folder")], "is a directory; expected a graph file"),
        (["show", at("nothere.pb")], "no such file"),
        (["draw", pb, "-o", at("folder")], "is a directory"),
        (["bench", "--steps", "-1"], "expected a positive number, given -1"),
        (["bench", "--steps", "0"], "expected a positive number, given 0"),
        (["bench", "--steps", "many"], "invalid int value: 'many'"),
        (["run"], "the following arguments are required: file"),
        (["run", pb, "--feed"], "argument --feed: expected one argument"),
        (["nosuch"], "invalid choice: 'nosuch'"),
    ]
    for args, message in cases:
        status, out, err = _main(capsys, *args)
        assert status == 2, (args, out, err)
        line = _one_line(err)
        assert line.startswith("graphflow") and ": error: " in line and message in line, (args, line)
    assert "placeholder 'x' (Placeholder) imported from" in _one_line(
        _main(capsys, "run", pb, "--fetch", "y")[2])  # the node, and the graph file it came from


@needs_graph_files
def test_a_graph_that_runs_out_of_memory_is_one_line_and_exit_1(small: str) -> None:
    r = _cli("run", "small.pb", "--feed", "d=huge.npy", "--fetch", "big", cwd=small)
    assert r.returncode == 1 and r.stdout == "", (r.stdout, r.stderr)
    line = _one_line(r.stderr)
    assert line.startswith("graphflow run: error: ResourceExhaustedError: OOM when allocating tensor with "
                           "shape[16777216,16777216] and type float32"), line
    assert "in 'big' (Fill) imported from small.pb" in line


@needs_graph_files
def test_outputs_into_missing_folders_are_made(small: str, capsys: pytest.CaptureFixture[str]) -> None:
    pb, x = os.path.join(small, "small.pb"), f"x={os.path.join(small, 'x.npy')}"
    out = os.path.join(small, "new", "deeper", "y")
    status, stdout, err = _main(capsys, "run", pb, "--feed", x, "--fetch", "y", "--out", out)
    assert status == 0, err
    assert f"wrote {out}.npy" in stdout  # the file numpy writes, named as written
    np.testing.assert_array_equal(np.load(out + ".npy"), [6.0, 6.0])
    out2 = os.path.join(small, "new2", "both.npz")
    assert _main(capsys, "run", pb, "--feed", x, "--fetch", "y", "--fetch", "x", "--out", out2)[0] == 0
    np.testing.assert_array_equal(np.load(out2)["x"], np.ones((2, 3)))
    svg = os.path.join(small, "pictures", "small.svg")
    assert _main(capsys, "draw", pb, "-o", svg)[0] == 0 and open(svg).read().lstrip().startswith("<")
    trace = os.path.join(small, "traces", "t.json")
    assert _main(capsys, "trace", pb, "--feed", x, "--fetch", "y", "-o", trace)[0] == 0
    assert json.load(open(trace))["traceEvents"]


@needs_graph_files
def test_show_counts_parameters_exactly(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from tensorboard.compat.proto import graph_pb2
    gd = graph_pb2.GraphDef()
    for name, dims in [("w", [2**32, 2**32]), ("v", [2**32, 2**32, 3]), ("b", [7]), ("u", [-1, 3])]:
        n = gd.node.add(name=name, op="VariableV2")
        n.attr["dtype"].type = 1
        for d in dims:
            n.attr["shape"].shape.dim.add().size = d
    path = tmp_path / "huge.pb"
    path.write_bytes(gd.SerializeToString())
    status, out, err = _main(capsys, "show", str(path))
    assert status == 0, err
    assert f"{4 * 2**64 + 7} parameters and 1 variable of unknown shape" in out  # 2**64 + 3 * 2**64 + 7


def test_bench_rejects_a_step_count_below_one_before_running(capsys: pytest.CaptureFixture[str]) -> None:
    for steps in ("-1", "0"):
        status, out, err = _main(capsys, "bench", "--steps", steps)
        assert status == 2 and out == "", (out, err)
        assert _one_line(err) == (f"graphflow bench: error: argument --steps: expected a positive number, given "
                                  f"{steps} (see graphflow bench --help)")


def test_help_states_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["run", "--help"]):
        status, out, _ = _main(capsys, *args)
        assert status == 0
        text = " ".join(out.split())
        assert "exit status: 0 done; 2 a misuse" in text and "1 the graph failed while running" in text
