"""``tf.test.Benchmark``: benchmark entries reported as TF1 writes them, and a session-run timer."""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphflow.runtime.session import Session


class Benchmark:
    """TF1's ``tf.test.Benchmark``: ``report_benchmark`` records one entry (printed, or written to
    ``$TEST_REPORT_FILE_PREFIX<name>`` as JSON), ``run_op_benchmark`` times a fetch in a session."""

    def _name(self, name: str | None) -> str:
        if name:
            return name
        frame = sys._getframe(2)
        return f"{type(self).__name__}.{frame.f_code.co_name}"

    def report_benchmark(self, iters: int | None = None, cpu_time: float | None = None,
                         wall_time: float | None = None, throughput: float | None = None,
                         extras: Mapping[str, Any] | None = None, name: str | None = None,
                         metrics: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Record a benchmark entry; returns it."""
        entry_name = self._name(name)
        entry = {"name": entry_name, "iters": iters, "cpu_time": cpu_time, "wall_time": wall_time,
                 "throughput": throughput, "extras": dict(extras or {}), "metrics": [dict(m) for m in metrics or []]}
        entry = {k: v for k, v in entry.items() if v not in (None, {}, [])}
        prefix = os.environ.get("TEST_REPORT_FILE_PREFIX")
        if prefix:
            path = prefix + entry_name.replace("/", "__")
            with open(path, "w") as f:
                json.dump({"entries": {"entry": [entry]}}, f, default=str)
        else:
            print(json.dumps({"entries": {"entry": [entry]}}, default=str))
        return entry

    def run_op_benchmark(self, sess: Session, op_or_tensor: Any, feed_dict: Mapping[Any, Any] | None = None,
                         burn_iters: int = 2, min_iters: int = 10, store_trace: bool = False,
                         store_memory_usage: bool = True, name: str | None = None,
                         extras: Mapping[str, Any] | None = None, mbs: int = 0) -> dict[str, Any]:
        """Run ``op_or_tensor`` ``burn_iters`` times untimed, then ``min_iters`` times; reports and
        returns the median wall time."""
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        times = []
        for _ in range(min_iters):
            start = time.perf_counter()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            times.append(time.perf_counter() - start)
        wall = float(np.median(times))
        throughput = mbs / wall if mbs else None
        return self.report_benchmark(iters=min_iters, wall_time=wall, throughput=throughput, extras=extras,
                                     name=self._name(name))
