"""Traced runs: RunOptions(trace_level=FULL_TRACE) with a RunMetadata records every kernel call
of the executable (named by the nodes it computes) and every host step, with durations; the
timeline helper writes a Chrome trace; untraced executables never read the clock."""
from __future__ import annotations

import json

import numpy as np

import graphflow as gf
from tests.optional import need


def _model() -> tuple:
    x = gf.placeholder(gf.float32, [None, 6])
    h = gf.layers.dense(x, 8, activation=gf.nn.relu, name="hidden")
    y = gf.layers.dense(h, 2, name="out")
    loss = gf.reduce_mean(gf.square(y))
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return x, loss, train


def test_a_traced_run_times_every_kernel_call() -> None:
    x, loss, train = _model()
    xv = np.random.RandomState(0).rand(4, 6).astype(np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        plain = s.run(loss, {x: xv})
        md = gf.RunMetadata()
        traced = s.run(loss, {x: xv}, options=gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE), run_metadata=md)
        exes = {id(e[2]): e[2] for e in s._cache.values()}.values()
    assert traced == plain
    timed = [e for e in exes if getattr(e, "traced", False)]
    untimed = [e for e in exes if not getattr(e, "traced", False)]
    assert len(timed) == 1 and untimed
    assert all("clock" not in e.generated.source for e in untimed)  # no cost when not traced
    labels = timed[0].generated.trace_labels
    assert len(md.step_stats) == len(labels) > 3  # straight-line program: each call site once
    assert [r["name"] for r in md.step_stats] == [name for name, _, _ in labels]
    assert all(r["duration_us"] >= 0 and r["kind"] == "kernel" for r in md.step_stats)
    starts = [r["start_us"] for r in md.step_stats]
    assert starts == sorted(starts)
    covered = {n for r in md.step_stats for n in r["nodes"]}
    assert any(n.startswith("hidden/") for n in covered) and any(n.startswith("out/") for n in covered)


def test_chrome_trace_and_host_steps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, loss, train = _model()
    printed = gf.strings.join([gf.as_string(loss), "done"], separator=" ")
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        md = gf.RunMetadata()
        s.run([printed, train], {x: np.ones((3, 6), np.float32)},
              options=gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE), run_metadata=md)
    kinds = {r["kind"] for r in md.step_stats}
    assert kinds == {"kernel", "host"}
    assert {r["op"] for r in md.step_stats if r["kind"] == "host"} >= {"AsString", "StringJoin"}
    trace = json.loads(gf.timeline.Timeline(md.step_stats).generate_chrome_trace_format())
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(md.step_stats) and all("dur" in e and "ts" in e for e in complete)
    from graphflow.python.client import timeline
    assert timeline.Timeline is gf.timeline.Timeline
    need("tensorboard")  # writing run metadata
    w = gf.summary.FileWriter(str(tmp_path))
    w.add_run_metadata(md, "step0", global_step=0)
    w.close()
    from tensorboard.backend.event_processing import event_accumulator as ea
    acc = ea.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["run_metadata"] == ["step0"]
    stats = acc.RunMetadata("step0").step_stats.dev_stats[0].node_stats
    assert [n.node_name for n in stats] == [r["name"] for r in md.step_stats]
