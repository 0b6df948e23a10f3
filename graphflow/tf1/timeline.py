"""``tf.timeline`` (TF1's ``tensorflow.python.client.timeline``): a traced run's step statistics
as a Chrome trace (open it at chrome://tracing or https://ui.perfetto.dev).

    md = gf.RunMetadata()
    sess.run(train_op, feed, options=gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE), run_metadata=md)
    with open("timeline.json", "w") as f:
        f.write(gf.timeline.Timeline(md.step_stats).generate_chrome_trace_format())
"""
from __future__ import annotations

import json
from typing import Any


class Timeline:
    """``step_stats``: a ``RunMetadata.step_stats`` list (graphflow's records)."""

    def __init__(self, step_stats: object, graph: object = None) -> None:
        records = getattr(step_stats, "step_stats", step_stats)
        if not isinstance(records, list):
            raise TypeError("Timeline takes run_metadata.step_stats from a traced graphflow run, got "
                            f"{type(step_stats).__name__}")
        self._records = records

    def generate_chrome_trace_format(self, show_dataflow: bool = True, show_memory: bool = False) -> str:
        """The Chrome trace JSON: one complete event ("ph": "X") per kernel call and host step,
        kernels on thread 0 and host steps on thread 1 of the CPU process."""
        events: list[dict[str, Any]] = [
            {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "/device:CPU:0 (graphflow)"}},
            {"name": "thread_name", "ph": "M", "pid": 0, "tid": 0, "args": {"name": "compiled kernels"}},
            {"name": "thread_name", "ph": "M", "pid": 0, "tid": 1, "args": {"name": "host steps"}}]
        for r in self._records:
            events.append({"name": r["name"], "cat": r["op"], "ph": "X", "pid": 0,
                           "tid": 0 if r["kind"] == "kernel" else 1, "ts": r["start_us"], "dur": r["duration_us"],
                           "args": {"op": r["op"], "nodes": r["nodes"]}})
        return json.dumps({"traceEvents": events, "displayTimeUnit": "ns"})
