"""TF1's monitored training loop: ``MonitoredTrainingSession`` and its hooks.

A hook sees the session at five points: ``begin`` (the graph may still grow), ``after_create_session``
(variables initialised or restored), ``before_run`` (it may add fetches and feeds to the step),
``after_run`` (it reads them; it may ask the loop to stop) and ``end``. The session initialises the
variables, or restores the latest checkpoint of ``checkpoint_dir``, runs the hooks around every
``run``, stops when a hook asks (or the input raises OutOfRangeError), and saves a checkpoint at
the end. ``MonitoredTrainingSession`` adds, on the chief, the checkpoint saver, the step counter
and the summary saver writing ``merge_all()`` to ``checkpoint_dir`` (TensorBoard reads it there).
"""
from __future__ import annotations

import os
import time
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import numpy as np

from graphflow.core.errors import OutOfRangeError
from graphflow.core.ir import Tensor
from graphflow.core.types import FeedDict, SessionLike
from graphflow.ops.summary_ops import summary_pb2
from graphflow.tf1.config import ConfigProto, RunMetadata, RunOptions
from graphflow.tf1.python.platform import tf_logging
from graphflow.tf1.summary import FileWriter, FileWriterCache
from graphflow.tf1.train.coordinator import Coordinator
from graphflow.tf1.train.queue_runner import start_queue_runners
from graphflow.tf1.train.saver import Saver
from graphflow.tf1.train.schedules import get_global_step
from graphflow.tf1.train.session_manager import ChiefSessionCreator, Scaffold, SessionCreator

__all__ = ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues", "StopAtStepHook",
           "LoggingTensorHook", "CheckpointSaverHook", "NanTensorHook", "NanLossDuringTrainingError",
           "StepCounterHook", "SummarySaverHook", "Scaffold", "MonitoredSession", "SingularMonitoredSession",
           "MonitoredTrainingSession"]


class SessionRunHook:
    """The base of hooks: every method does nothing."""

    def begin(self) -> None:
        pass

    def after_create_session(self, session: SessionLike, coord: object) -> None:
        pass

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        return None

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        pass

    def end(self, session: SessionLike) -> None:
        pass


class SessionRunArgs(namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a step: fetches (whose values come back in ``run_values.results``) and feeds."""

    def __new__(cls, fetches: object, feed_dict: FeedDict | None = None,
                options: RunOptions | None = None) -> SessionRunArgs:
        return super().__new__(cls, fetches, feed_dict, options)


SessionRunValues = namedtuple("SessionRunValues", ["results", "options", "run_metadata"])


class SessionRunContext:
    """One step as the hooks see it: the user's arguments, the session, and a way to stop."""

    def __init__(self, original_args: SessionRunArgs, session: SessionLike) -> None:
        self.original_args, self.session, self._stop = original_args, session, False

    def request_stop(self) -> None:
        self._stop = True

    @property
    def stop_requested(self) -> bool:
        return self._stop


def _global_step() -> Any:
    step = get_global_step()
    if step is None:
        raise RuntimeError("this hook needs a global step: create one with gf.train.get_or_create_global_step() "
                           "and pass it to minimize(global_step=...)")
    return step


class StopAtStepHook(SessionRunHook):
    """Ask to stop once the global step reaches ``last_step`` (or ``num_steps`` past where it started)."""

    def __init__(self, num_steps: int | None = None, last_step: int | None = None) -> None:
        if (num_steps is None) == (last_step is None):
            raise ValueError("StopAtStepHook takes exactly one of num_steps and last_step")
        self._num_steps, self._last_step = num_steps, last_step

    def begin(self) -> None:
        self._step = _global_step()

    def after_create_session(self, session: SessionLike, coord: object) -> None:
        if self._num_steps is not None:
            self._last_step = int(session.run(self._step)) + self._num_steps

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        # the value fetched is the step before this run's increment
        if int(run_values.results) + 1 >= self._last_step:  # type: ignore[operator]
            if int(run_context.session.run(self._step)) >= self._last_step:  # type: ignore[operator]
                run_context.request_stop()


class LoggingTensorHook(SessionRunHook):
    """Log the values of ``tensors`` (a dict name -> tensor, or a list) every ``every_n_iter`` steps
    or ``every_n_secs`` seconds, and at the end when ``at_end``."""

    def __init__(self, tensors: Mapping[str, Tensor] | Sequence[Tensor] | Tensor, every_n_iter: int | None = None,
                 every_n_secs: float | None = None,
                 at_end: bool = False, formatter: Callable[[dict[str, Any]], str] | None = None) -> None:
        if every_n_iter is None and every_n_secs is None and not at_end:
            raise ValueError("LoggingTensorHook needs every_n_iter, every_n_secs or at_end")
        if not isinstance(tensors, dict):
            tensors = {getattr(t, "name", str(t)): t for t in (tensors if isinstance(tensors, (list, tuple))
                                                                else [tensors])}
        self._tensors, self._every, self._secs, self._at_end = tensors, every_n_iter, every_n_secs, at_end
        self._formatter = formatter

    def begin(self) -> None:
        self._iter, self._last = 0, None

    def _due(self) -> bool:
        if self._every is not None:
            return self._iter % self._every == 0
        return self._secs is not None and (self._last is None or time.time() - self._last >= self._secs)

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs | None:
        self._logging = self._due()
        return SessionRunArgs(self._tensors) if self._logging else None

    def _log(self, values: dict[str, Any]) -> None:
        if self._formatter is not None:
            tf_logging.info(self._formatter(values))
        else:
            text = ", ".join(f"{k} = {values[k]}" for k in self._tensors)
            took = f" ({time.time() - self._last:.3f} sec)" if self._last is not None else ""
            tf_logging.info(text + took)
        self._last = time.time()

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if self._logging:
            self._log(run_values.results)
        self._iter += 1

    def end(self, session: SessionLike) -> None:
        if self._at_end:
            self._log(session.run(self._tensors))


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self) -> str:
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Stop (or raise NanLossDuringTrainingError) when ``loss_tensor`` is NaN."""

    def __init__(self, loss_tensor: Tensor, fail_on_nan_loss: bool = True) -> None:
        self._loss, self._fail = loss_tensor, fail_on_nan_loss

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._loss)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        if np.isnan(run_values.results):
            if self._fail:
                raise NanLossDuringTrainingError
            tf_logging.warning("Model diverged with loss = NaN.")
            run_context.request_stop()


class StepCounterHook(SessionRunHook):
    """Log the global steps per second every ``every_n_steps`` steps, and write it as the summary
    ``global_step/sec`` when given ``output_dir`` or ``summary_writer``."""

    def __init__(self, every_n_steps: int = 100, every_n_secs: float | None = None, output_dir: str | None = None,
                 summary_writer: FileWriter | None = None) -> None:
        self._every, self._dir, self._writer = every_n_steps, output_dir, summary_writer

    def begin(self) -> None:
        self._step, self._mark = _global_step(), None

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        step, now = int(run_values.results), time.time()
        if self._mark is None:
            self._mark = (step, now)
        elif step - self._mark[0] >= self._every:
            rate = (step - self._mark[0]) / max(now - self._mark[1], 1e-9)
            tf_logging.info(f"global_step/sec: {rate:.4g}")
            writer = _writer(self)
            if writer is not None:
                pb = summary_pb2()
                value = pb.Summary.Value(tag="global_step/sec", simple_value=rate)
                writer.add_summary(pb.Summary(value=[value]), step)
            self._mark = (step, now)

    def end(self, session: SessionLike) -> None:
        if self._writer is not None:
            self._writer.flush()


class SummarySaverHook(SessionRunHook):
    """Write ``summary_op`` (else the scaffold's, which is ``merge_all()``) to an event file in
    ``output_dir`` (or ``summary_writer``) at the first step, then every ``save_steps`` global steps
    or ``save_secs`` seconds, tagged with the global step. Without summaries in the graph it writes
    nothing."""

    def __init__(self, save_steps: int | None = None, save_secs: float | None = None, output_dir: str | None = None,
                 summary_writer: FileWriter | None = None, scaffold: Scaffold | None = None,
                 summary_op: Tensor | None = None) -> None:
        if (save_secs is None) == (save_steps is None):
            raise ValueError("SummarySaverHook takes exactly one of save_secs and save_steps")
        if (scaffold is None) == (summary_op is None):
            raise ValueError("SummarySaverHook takes exactly one of scaffold and summary_op")
        if output_dir is None and summary_writer is None:
            raise ValueError("SummarySaverHook needs output_dir or summary_writer")
        self._steps, self._secs, self._dir, self._writer = save_steps, save_secs, output_dir, summary_writer
        self._scaffold, self._op = scaffold, summary_op

    def begin(self) -> None:
        self._step, self._last, self._seen = _global_step(), None, None
        self._fetch = None

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        if self._fetch is None:  # the scaffold is final once the session exists
            op = self._op if self._op is not None else self._scaffold.summary_op
            self._fetch = [] if op is None else list(op) if isinstance(op, (list, tuple)) else [op]
        if self._last is None:
            self._due = True
        elif self._secs:
            self._due = time.time() - self._last[1] >= self._secs
        else:  # the step this run computes at is one past the last one seen
            self._due = self._seen + 1 - self._last[0] >= self._steps
        return SessionRunArgs({"step": self._step, "summary": self._fetch if self._due else []})

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        self._seen = int(run_values.results["step"])
        if self._due:
            for value in run_values.results["summary"]:
                _writer(self).add_summary(value, self._seen)
            self._last = (self._seen, time.time())

    def end(self, session: SessionLike) -> None:
        if self._writer is not None:
            self._writer.flush()


def _writer(hook: StepCounterHook | SummarySaverHook) -> FileWriter | None:
    """The hook's summary writer, opened (the shared one of its ``output_dir``) at its first write."""
    if hook._writer is None and hook._dir is not None:
        hook._writer = FileWriterCache.get(hook._dir)
    return hook._writer


class CheckpointSaverHook(SessionRunHook):
    """Save a checkpoint to ``checkpoint_dir`` when the session starts, every ``save_steps`` global
    steps or ``save_secs`` seconds, and at the end; ``listeners`` (``CheckpointSaverListener``) are
    called around each save."""

    def __init__(self, checkpoint_dir: str, save_secs: float | None = None, save_steps: int | None = None,
                 saver: Saver | None = None, checkpoint_basename: str = "model.ckpt", scaffold: Scaffold | None = None,
                 listeners: Sequence[Any] | None = None) -> None:
        if (save_secs is None) == (save_steps is None):
            raise ValueError("CheckpointSaverHook takes exactly one of save_secs and save_steps")
        self._dir, self._secs, self._steps = checkpoint_dir, save_secs, save_steps
        self._saver, self._scaffold = saver, scaffold
        self._path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._listeners = list(listeners or [])

    def begin(self) -> None:
        self._step = _global_step()
        if self._saver is None:
            self._saver = self._scaffold.saver if self._scaffold is not None and self._scaffold.saver else Saver()
        os.makedirs(self._dir, exist_ok=True)
        for listener in self._listeners:
            listener.begin()

    def _save(self, session: SessionLike, step: int) -> bool:
        """Save (the listeners around it); True when a listener asks the training to stop."""
        for listener in self._listeners:
            listener.before_save(session, step)
        self._saver.save(session, self._path, global_step=step)
        self._saved_step, self._saved_at = step, time.time()
        return any([bool(listener.after_save(session, step)) for listener in self._listeners])

    def after_create_session(self, session: SessionLike, coord: object) -> None:
        self._save(session, int(session.run(self._step)))

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs(self._step)

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        step = int(run_context.session.run(self._step))
        due = step - self._saved_step >= self._steps if self._steps else time.time() - self._saved_at >= self._secs
        if due and self._save(run_context.session, step):
            run_context.request_stop()

    def end(self, session: SessionLike) -> None:
        step = int(session.run(self._step))
        if step != self._saved_step:
            self._save(session, step)
        for listener in self._listeners:
            listener.end(session, step)


class MonitoredSession:
    """A session that initialises (or restores ``checkpoint_dir``'s latest checkpoint), runs hooks
    around every ``run``, and says ``should_stop()`` once a hook asked or the input ran out."""

    def __init__(self, hooks: Sequence[SessionRunHook] | None = None, scaffold: Scaffold | None = None,
                 checkpoint_dir: str | None = None, config: ConfigProto | None = None,
                 session_creator: SessionCreator | None = None) -> None:
        if session_creator is not None and not isinstance(session_creator, SessionCreator):
            raise TypeError(f"session_creator must be a gf.train.SessionCreator, got {session_creator!r}")
        creator = session_creator or ChiefSessionCreator(scaffold, config=config, checkpoint_dir=checkpoint_dir)
        self._hooks = list(hooks or [])
        for h in self._hooks:
            h.begin()
        self._sess = creator.create_session()  # (the creator finalizes its scaffold)
        # the graph's queue runners feed the session from threads a coordinator stops, as in TF1
        self._coord = Coordinator()
        self._threads = start_queue_runners(self._sess, self._coord)
        for h in self._hooks:
            h.after_create_session(self._sess, self._coord)
        self._stop = False

    @property
    def graph(self) -> Any:
        return self._sess.graph

    def should_stop(self) -> bool:
        return self._stop or self._coord.should_stop()

    def _stop_threads(self) -> None:
        """Stop the queue runners (their cancel ops end blocked enqueues) before the session closes."""
        if self._threads:
            self._coord.request_stop()
            threads, self._threads = self._threads, []
            self._coord.join(threads, stop_grace_period_secs=120, ignore_live_threads=True)

    def run(self, fetches: object, feed_dict: FeedDict | None = None, options: RunOptions | None = None,
            run_metadata: RunMetadata | None = None) -> Any:
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict, options), self._sess)
        asks = [h.before_run(context) for h in self._hooks]
        feeds = dict(feed_dict or {})
        for a in asks:
            if a is not None and a.feed_dict:
                clash = set(feeds) & set(a.feed_dict)
                if clash:
                    raise RuntimeError(f"a hook feeds tensors the run already feeds: {sorted(map(str, clash))}")
                feeds.update(a.feed_dict)
        extra = [a.fetches if a is not None and a.fetches is not None else [] for a in asks]
        # the run traces at the highest level the caller or a hook asks for; hooks see its metadata
        level = max([getattr(options, "trace_level", 0)] + [getattr(a.options, "trace_level", 0)
                                                              for a in asks if a is not None and a.options is not None])
        merged = RunOptions(trace_level=level) if level else options
        metadata = RunMetadata() if level and run_metadata is None else run_metadata
        try:
            traced = {} if merged is None and metadata is None else {"options": merged, "run_metadata": metadata}
            results, hook_results = self._sess.run([fetches, extra], feeds, **traced)
        except OutOfRangeError:
            self._stop = True
            raise
        for h, a, r in zip(self._hooks, asks, hook_results):
            h.after_run(context, SessionRunValues(r if a is not None and a.fetches is not None else None, merged,
                                                  metadata))
        self._stop = self._stop or context.stop_requested
        return results

    def raw_session(self) -> Any:
        """The underlying session: its runs skip the hooks."""
        return self._sess

    def run_step_fn(self, step_fn: Callable[[_StepContext], Any]) -> Any:
        return step_fn(_StepContext(self))

    def close(self) -> None:
        if self._sess is not None:
            for h in self._hooks:
                h.end(self._sess)
            self._stop_threads()
            self._sess.close()
            self._sess = None

    def __enter__(self) -> MonitoredSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> bool:
        stopped = kind is not None and issubclass(kind, (OutOfRangeError, StopIteration))
        if kind is None or stopped:
            self.close()  # hooks' end (the final checkpoint) after a normal stop
        elif self._sess is not None:
            try:
                self._stop_threads()
            finally:
                self._sess.close()
                self._sess = None
        return stopped  # the end of the input ends the loop quietly, as TF1's


class _StepContext:
    def __init__(self, monitored: MonitoredSession) -> None:
        self.session = monitored._sess
        self._monitored = monitored

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        return self._monitored.run(*args, **kwargs)

    def request_stop(self) -> None:
        self._monitored._stop = True


SingularMonitoredSession = MonitoredSession


def MonitoredTrainingSession(master: str = "", is_chief: bool = True, checkpoint_dir: str | None = None,  # noqa: N802
                             scaffold: Scaffold | None = None, hooks: Sequence[SessionRunHook] | None = None,
                             chief_only_hooks: Sequence[SessionRunHook] | None = None,
                             save_checkpoint_secs: float | None = 600, save_summaries_steps: int | None = 100,
                             save_summaries_secs: float | None = None, config: ConfigProto | None = None,
                             stop_grace_period_secs: int = 120,
                             log_step_count_steps: int = 100, max_wait_secs: int = 7200,
                             save_checkpoint_steps: int | None = None,
                             summary_dir: str | None = None) -> MonitoredSession:
    """TF1's: a MonitoredSession with, on the chief, a checkpoint every ``save_checkpoint_secs``
    seconds (or ``save_checkpoint_steps`` steps) into ``checkpoint_dir``, the summaries
    (``merge_all()``, or the scaffold's ``summary_op``) written every ``save_summaries_steps`` steps
    (or ``save_summaries_secs`` seconds) to ``summary_dir`` (default ``checkpoint_dir``), and the
    steps per second logged every ``log_step_count_steps`` (and written beside the summaries)."""
    scaffold = scaffold or Scaffold()
    all_hooks = list(hooks or [])
    if is_chief:
        all_hooks += list(chief_only_hooks or [])
        has_step = get_global_step() is not None
        summary_dir = summary_dir or checkpoint_dir
        if checkpoint_dir and (save_checkpoint_secs or save_checkpoint_steps) and has_step:
            steps = save_checkpoint_steps
            all_hooks.append(CheckpointSaverHook(checkpoint_dir, save_steps=steps, scaffold=scaffold,
                                                 save_secs=None if steps else save_checkpoint_secs))
        if summary_dir and (save_summaries_steps or save_summaries_secs) and has_step:
            steps = save_summaries_steps if save_summaries_steps else None
            all_hooks.append(SummarySaverHook(save_steps=steps, save_secs=None if steps else save_summaries_secs,
                                              output_dir=summary_dir, scaffold=scaffold))
        if log_step_count_steps and has_step:
            from importlib.util import find_spec
            writes = summary_dir if find_spec("tensorboard") else None  # event files need TensorBoard's protos
            all_hooks.append(StepCounterHook(every_n_steps=log_step_count_steps, output_dir=writes))
    return MonitoredSession(hooks=all_hooks, scaffold=scaffold, checkpoint_dir=checkpoint_dir, config=config)
