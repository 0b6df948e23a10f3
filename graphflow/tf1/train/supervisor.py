"""TF1's ``tf.train.Supervisor`` and ``basic_train_loop``: the training loop of TF1's older
tutorials (``with sv.managed_session() as sess: while not sv.should_stop(): ...``).

The supervisor makes its ops when created (the init op, the ready op, the saver, the summary op,
the global step: the graph's own from its collections, else TF1's defaults), then finalizes the
graph. ``managed_session`` restores the latest checkpoint of ``logdir`` or initialises, writes
``graph.pbtxt`` there, and starts TF1's standard services as background threads: a checkpoint every
``save_model_secs`` and the summaries and steps per second every ``save_summaries_secs`` (event
files need the ``tensorboard`` package; without it those are skipped with a warning). Leaving the
block stops the threads; an exception other than the end of the input is raised again there.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.util import find_spec
from typing import Any

from graphflow.core.errors import AbortedError
from graphflow.core.ir import Graph, Tensor, get_default_graph
from graphflow.core.types import FeedDict, SessionLike
from graphflow.graphdef.export import UnsupportedOpError
from graphflow.graphdef.util import write_graph
from graphflow.ops.summary_ops import summary_pb2
from graphflow.ops.variables import (
    GraphKeys,
    global_variables,
    global_variables_initializer,
    report_uninitialized_variables,
)
from graphflow.tf1.config import ConfigProto
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.summary import FileWriter, merge_all
from graphflow.tf1.summary.writer import session_log
from graphflow.tf1.train.coordinator import Coordinator, LooperThread
from graphflow.tf1.train.saver import Saver
from graphflow.tf1.train.schedules import get_global_step
from graphflow.tf1.train.session_manager import Scaffold, SessionManager

__all__ = ["Supervisor", "basic_train_loop"]


class _Default:
    def __repr__(self) -> str:
        return "Supervisor.USE_DEFAULT"


USE_DEFAULT: Any = _Default()


def _first_of(graph: Graph, key: str) -> Any:
    found = graph.get_collection(key)
    if len(found) > 1:
        raise RuntimeError(f"More than one item in the collection {key!r}: expected at most one")
    return found[0] if found else None


class Supervisor:
    """Initialises or restores the model, checkpoints and writes summaries in the background, and
    coordinates the stop (TF1's; see the module docstring)."""

    USE_DEFAULT = USE_DEFAULT

    def __init__(self, graph: Graph | None = None, ready_op: Any = USE_DEFAULT,
                 ready_for_local_init_op: Any = USE_DEFAULT, is_chief: bool = True, init_op: Any = USE_DEFAULT,
                 init_feed_dict: FeedDict | None = None, local_init_op: Any = USE_DEFAULT, logdir: str | None = None,
                 summary_op: Any = USE_DEFAULT, saver: Any = USE_DEFAULT, global_step: Any = USE_DEFAULT,
                 save_summaries_secs: float = 120, save_model_secs: float = 600, recovery_wait_secs: float = 30,
                 stop_grace_secs: float = 120, checkpoint_basename: str = "model.ckpt",
                 session_manager: SessionManager | None = None, summary_writer: Any = USE_DEFAULT,
                 init_fn: Callable[[SessionLike], object] | None = None,
                 local_init_run_options: object = None) -> None:
        self._graph = graph = graph or get_default_graph()
        with graph.as_default():
            self._ready_op = self._pick(ready_op, GraphKeys.READY_OP, report_uninitialized_variables)
            self._ready_for_local_init_op = self._pick(
                ready_for_local_init_op, GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: report_uninitialized_variables(global_variables()))
            self._init_op = self._pick(init_op, GraphKeys.INIT_OP, global_variables_initializer)
            self._local_init_op = self._pick(local_init_op, GraphKeys.LOCAL_INIT_OP, Scaffold.default_local_init_op)
            self._saver: Saver | None = self._pick(
                saver, GraphKeys.SAVERS, lambda: Saver() if global_variables() else None)
            self._summary_op: Tensor | None = self._pick(summary_op, GraphKeys.SUMMARY_OP, merge_all)
            self._global_step: Tensor | None = get_global_step(graph) if global_step is USE_DEFAULT else global_step
        self._init_feed_dict, self._init_fn = init_feed_dict, init_fn
        self._is_chief = is_chief
        self._coord = Coordinator()
        self._stop_grace_secs = stop_grace_secs
        self._threads: list[LooperThread] = []
        self._logdir = logdir if is_chief else None
        self._save_summaries_secs = save_summaries_secs if is_chief else None
        self._save_model_secs = save_model_secs if is_chief else None
        self._save_path = os.path.join(logdir, checkpoint_basename) if is_chief and logdir else None
        self._summary_writer: FileWriter | None = None
        if is_chief and summary_writer is USE_DEFAULT:
            if logdir and find_spec("tensorboard") is not None:
                self._summary_writer = FileWriter(logdir)
            elif logdir:
                logging.warning("Supervisor: event files need the tensorboard package (pip install tensorboard); "
                                "summaries and steps per second are not written to %s", logdir)
        elif is_chief:
            self._summary_writer = summary_writer
        self._graph_written = False
        self._session_manager = session_manager or SessionManager(
            local_init_op=self._local_init_op, ready_op=self._ready_op,
            ready_for_local_init_op=self._ready_for_local_init_op, graph=graph,
            recovery_wait_secs=recovery_wait_secs)
        graph.finalize()

    @staticmethod
    def _pick(given: Any, key: str, default: Callable[[], Any]) -> Any:
        if given is not USE_DEFAULT:
            return given
        found = _first_of(get_default_graph(), key)
        return found if found is not None else default()

    # -- what TF1's supervisor exposes
    is_chief = property(lambda self: self._is_chief)
    session_manager = property(lambda self: self._session_manager)
    coord = property(lambda self: self._coord)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    summary_writer = property(lambda self: self._summary_writer)
    summary_op = property(lambda self: self._summary_op)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    global_step = property(lambda self: self._global_step)
    saver = property(lambda self: self._saver)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_path = property(lambda self: self._save_path)

    # -- sessions
    def prepare_or_wait_for_session(self, master: str = "", config: ConfigProto | None = None,
                                    wait_for_checkpoint: bool = False, max_wait_secs: float = 7200,
                                    start_standard_services: bool = True) -> Any:
        """The chief's session restored from ``logdir`` or initialised (then the standard services
        started); a non-chief's once the model is ready."""
        self._coord.clear_stop()
        if not self._is_chief:
            return self._session_manager.wait_for_session(master, config=config, max_wait_secs=max_wait_secs)
        sess = self._session_manager.prepare_session(
            master, init_op=self._init_op, saver=self._saver, checkpoint_dir=self._logdir,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config,
            init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
        self._write_graph()
        if start_standard_services:
            self.start_standard_services(sess)
            self.start_queue_runners(sess)  # (TF1's: the graph's input pipelines start with the services)
        return sess

    def _write_graph(self) -> None:
        if self._logdir and find_spec("tensorboard") is not None:  # GraphDef is TensorBoard's protobuf
            try:
                write_graph(self._graph, self._logdir, "graph.pbtxt")
            except UnsupportedOpError as e:
                logging.warning("Supervisor: graph.pbtxt is not written: %s", e)
        if self._summary_writer is not None and not self._graph_written:
            self._summary_writer.add_graph(self._graph)
            self._graph_written = True

    def start_standard_services(self, sess: SessionLike) -> list[LooperThread]:
        """Start the checkpoint, summary and step-counter threads (those the settings ask for)."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. "
                               "Because only chief supervisors can write events.")
        if not self._logdir:
            logging.warning("Standard services need a 'logdir' passed to the Supervisor")
            return []
        writer, step = self._summary_writer, self._global_step
        if step is not None and writer is not None:
            writer.add_session_log(session_log("START"), int(sess.run(step)))
        threads: list[LooperThread] = []
        if self._save_summaries_secs and writer is not None:
            if self._summary_op is not None:
                threads.append(LooperThread(self._coord, self._save_summaries_secs, self._write_summaries, (sess,)))
            if step is not None:
                threads.append(_StepCounter(self, sess))
        if self._saver is not None and self._save_model_secs:
            threads.append(LooperThread(self._coord, self._save_model_secs, self._checkpoint, (sess,)))
        for t in threads:
            t.start()
        self._threads += threads
        return threads

    def _write_summaries(self, sess: SessionLike) -> None:
        assert self._summary_writer is not None and self._summary_op is not None
        if self._global_step is None:
            self._summary_writer.add_summary(sess.run(self._summary_op), None)
        else:
            summary, step = sess.run([self._summary_op, self._global_step])
            self._summary_writer.add_summary(summary, int(step))

    def _checkpoint(self, sess: SessionLike) -> None:
        assert self._saver is not None and self._save_path is not None
        logging.info("Saving checkpoint to path %s", self._save_path)
        self._saver.save(sess, self._save_path, global_step=self._global_step)
        if self._summary_writer is not None and self._global_step is not None:
            self._summary_writer.add_session_log(session_log("CHECKPOINT", self._save_path),
                                                 int(sess.run(self._global_step)))

    def start_queue_runners(self, sess: SessionLike, queue_runners: Sequence[Any] | None = None) -> list[Any]:
        """Start the threads of ``queue_runners`` (the graph's ``QUEUE_RUNNERS`` by default), stopped by
        this supervisor's coordinator."""
        runners = list(queue_runners or self._graph.get_collection(GraphKeys.QUEUE_RUNNERS))
        threads = [t for r in runners for t in r.create_threads(sess, coord=self._coord, daemon=True, start=True)]
        self._threads += threads
        return threads

    def loop(self, timer_interval_secs: float | None, target: Callable[..., object],
             args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None) -> LooperThread:
        """Call ``target(*args, **kwargs)`` every ``timer_interval_secs`` in a thread until the stop."""
        thread = LooperThread.loop(self._coord, timer_interval_secs, target, args, kwargs)
        self._threads.append(thread)
        return thread

    def stop(self, threads: Sequence[Any] | None = None, close_summary_writer: bool = True,
             ignore_live_threads: bool = False) -> None:
        """Request the stop, join the threads (raising what one of them reported), close the
        summary writer. The session stays open."""
        self._coord.request_stop()
        try:
            self._coord.join(list(threads) if threads is not None else self._threads,
                             stop_grace_period_secs=self._stop_grace_secs, ignore_live_threads=ignore_live_threads)
        finally:
            self._threads = []
            # a second stop (slim.learning.train stops, then leaves managed_session) finds it closed
            if close_summary_writer and self._summary_writer is not None and not self._summary_writer.closed:
                self._summary_writer.add_session_log(session_log("STOP"))
                self._summary_writer.close()
                self._graph_written = False

    def request_stop(self, ex: BaseException | None = None) -> None:
        self._coord.request_stop(ex=ex)

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def stop_on_exception(self) -> Any:
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        self._coord.wait_for_stop()

    def summary_computed(self, sess: SessionLike, summary: bytes, global_step: int | Tensor | None = None) -> None:
        """Write a summary the caller computed (with the global step's value when none is given)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = self._global_step
        if isinstance(global_step, Tensor):
            global_step = int(sess.run(global_step))
        self._summary_writer.add_summary(summary, global_step)

    @contextmanager
    def managed_session(self, master: str = "", config: ConfigProto | None = None,
                        start_standard_services: bool = True, close_summary_writer: bool = True) -> Iterator[Any]:
        """``with sv.managed_session() as sess:``: a prepared session; leaving the block stops the
        services and closes it. The end of the input ends the block quietly; other exceptions are
        raised again after the stop."""
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(master=master, config=config,
                                                    start_standard_services=start_standard_services)
            yield sess
        except Exception as e:  # noqa: BLE001 - reported to the coordinator, which raises it in stop()
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    sess.close()

    # TF1's CamelCase aliases
    PrepareSession = prepare_or_wait_for_session
    StartQueueRunners = start_queue_runners
    StartStandardServices = start_standard_services
    Stop = stop
    RequestStop = request_stop
    Loop = loop
    ShouldStop = should_stop
    StopOnException = stop_on_exception
    WaitForStop = wait_for_stop
    SummaryComputed = summary_computed


class _StepCounter(LooperThread):
    """Writes ``<global step>/sec`` every ``save_summaries_secs``."""

    def __init__(self, sv: Supervisor, sess: SessionLike) -> None:
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv, self._sess = sv, sess
        self._tag = f"{sv.global_step.op.name}/sec"
        self._last_time, self._last_step = 0.0, 0

    def start_loop(self) -> None:
        self._last_time, self._last_step = time.time(), int(self._sess.run(self._sv.global_step))

    def run_loop(self) -> None:
        step, now = int(self._sess.run(self._sv.global_step)), time.time()
        elapsed = now - self._last_time
        rate = (step - self._last_step) / elapsed if elapsed > 0 else float("inf")
        self._last_time, self._last_step = now, step
        pb = summary_pb2()
        self._sv.summary_writer.add_summary(pb.Summary(value=[pb.Summary.Value(tag=self._tag, simple_value=rate)]),
                                            step)


def basic_train_loop(supervisor: Supervisor, train_step_fn: Callable[..., object], args: Sequence[Any] | None = None,
                     kwargs: dict[str, Any] | None = None, master: str = "") -> None:
    """Call ``train_step_fn(session, *args, **kwargs)`` until the supervisor stops, in a managed
    session (made again after an ``AbortedError``)."""
    while True:
        try:
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *(args or ()), **(kwargs or {}))
            return
        except AbortedError:
            continue
