"""More of TF1's ``basic_session_run_hooks``: feeding every step (``FeedFnHook``), fetching at the
end (``FinalOpsHook``), waiting for the global step (``GlobalStepWaiterHook``), tracing a step
now and then (``ProfilerHook``), the timer the
periodic hooks share (``SecondOrStepTimer``) and the listener a ``CheckpointSaverHook`` calls
around each save (``CheckpointSaverListener``)."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from graphflow.core.errors import OutOfRangeError
from graphflow.core.types import FeedDict, Fetchable, SessionLike
from graphflow.tf1.config import RunOptions
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.summary import FileWriterCache
from graphflow.tf1.timeline import Timeline
from graphflow.tf1.train.monitored import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
    _global_step,
)

__all__ = ["FeedFnHook", "FinalOpsHook", "GlobalStepWaiterHook", "SecondOrStepTimer", "CheckpointSaverListener",
           "ProfilerHook"]


class SecondOrStepTimer:
    """Triggers every ``every_secs`` seconds or every ``every_steps`` steps (exactly one of them)."""

    def __init__(self, every_secs: float | None = None, every_steps: int | None = None) -> None:
        if (every_secs is None) == (every_steps is None):
            raise ValueError("Either every_secs or every_steps should be provided.")
        self._secs, self._steps = every_secs, every_steps
        self.reset()

    def reset(self) -> None:
        self._last_time: float | None = None
        self._last_step: int | None = None

    def should_trigger_for_step(self, step: int) -> bool:
        """True at the first step, and once the interval has passed since the last trigger."""
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._secs is not None:
            return time.time() >= self._last_time + self._secs  # type: ignore[operator]
        return step >= self._last_step + self._steps  # type: ignore[operator]

    def update_last_triggered_step(self, step: int) -> tuple[float | None, int | None]:
        """Record a trigger at ``step``; returns the seconds and steps since the previous one (None
        at the first)."""
        now = time.time()
        elapsed = (None, None) if self._last_time is None else (now - self._last_time, step - self._last_step)  # type: ignore[operator]
        self._last_time, self._last_step = now, step
        return elapsed

    def last_triggered_step(self) -> int | None:
        return self._last_step


class FeedFnHook(SessionRunHook):
    """Adds ``feed_fn()``'s dict to the feeds of every step."""

    def __init__(self, feed_fn: Callable[[], FeedDict]) -> None:
        self.feed_fn = feed_fn

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class FinalOpsHook(SessionRunHook):
    """Runs ``final_ops`` when the session ends; their values are in ``final_ops_values``."""

    def __init__(self, final_ops: Fetchable, final_ops_feed_dict: FeedDict | None = None) -> None:
        self._final_ops, self._feed = final_ops, final_ops_feed_dict
        self._values: Any = None

    @property
    def final_ops_values(self) -> Any:
        return self._values

    def end(self, session: SessionLike) -> None:
        if self._final_ops is None:
            return
        try:
            self._values = session.run(self._final_ops, feed_dict=self._feed)
        except OutOfRangeError as e:
            logging.warning("An OutOfRangeError while running the final ops: the input ran out (%s)", e)
            raise


class GlobalStepWaiterHook(SessionRunHook):
    """Holds the first step back until the global step reaches ``wait_until_step`` (a worker that
    starts once the chief has trained a while)."""

    def __init__(self, wait_until_step: int) -> None:
        self._wait_until_step = wait_until_step
        self._done = wait_until_step <= 0

    def begin(self) -> None:
        self._step = _global_step()

    def before_run(self, run_context: SessionRunContext) -> None:
        if self._done:
            return None
        logged = -1
        while True:
            step = int(run_context.session.run(self._step))
            if step >= self._wait_until_step:
                self._done = True
                return None
            if step // 1000 != logged:
                logging.info("Waiting for global step %d before starting training; now %d",
                             self._wait_until_step, step)
                logged = step // 1000
            time.sleep(0.5)


class ProfilerHook(SessionRunHook):
    """Every ``save_steps`` global steps (or ``save_secs`` seconds) traces one step and writes its
    Chrome trace to ``output_dir/timeline-<step>.json`` (``gf.timeline``'s), and its step
    statistics to the summary file there (TensorBoard's graph tab)."""

    def __init__(self, save_steps: int | None = None, save_secs: float | None = None, output_dir: str = "",
                 show_dataflow: bool = True, show_memory: bool = False) -> None:
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._output_dir = output_dir
        self._show_dataflow, self._show_memory = show_dataflow, show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._next_step: int | None = None
        self._step = _global_step()
        self._writer = FileWriterCache.get(self._output_dir)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        self._trace = self._next_step is not None and self._timer.should_trigger_for_step(self._next_step)
        options = RunOptions(trace_level=RunOptions.FULL_TRACE) if self._trace else None
        return SessionRunArgs({"global_step": self._step}, options=options)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        stale = int(run_values.results["global_step"])
        if self._next_step is None:  # the first trace comes once the interval has passed
            self._timer.update_last_triggered_step(stale)
        step = stale + 1
        if self._trace:
            step = int(run_context.session.run(self._step))
            self._timer.update_last_triggered_step(step)
            path = self._output_file.format(step)
            logging.info("Saving timeline for %d into '%s'.", step, path)
            trace = Timeline(run_values.run_metadata.step_stats)
            with open(path, "w") as f:
                f.write(trace.generate_chrome_trace_format(show_dataflow=self._show_dataflow,
                                                           show_memory=self._show_memory))
            self._writer.add_run_metadata(run_values.run_metadata, f"step_{step}")
        self._next_step = step + 1


class CheckpointSaverListener:
    """What a ``CheckpointSaverHook(listeners=[...])`` calls: ``begin``, ``before_save`` and
    ``after_save`` around every save (``after_save`` returning True asks the training to stop),
    ``end`` after the last."""

    def begin(self) -> None:
        pass

    def before_save(self, session: SessionLike, global_step_value: int) -> None:
        pass

    def after_save(self, session: SessionLike, global_step_value: int) -> bool | None:
        return None

    def end(self, session: SessionLike, global_step_value: int) -> None:
        pass
