"""``tf.summary.FileWriter``: TensorBoard event files, written by TensorBoard's own
``EventFileWriter`` (its record framing, CRCs and file naming)."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.core.ir import Graph, get_default_graph
from graphflow.core.types import SessionLike
from graphflow.graphdef.display import as_graph_def
from graphflow.ops.summary_ops import summary_pb2

if TYPE_CHECKING:
    from tensorboard.compat.proto.config_pb2 import RunMetadata as TFRunMetadata
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.summary_pb2 import Summary


def _event_pb2() -> Any:
    import sys
    import types
    if "tensorflow" not in sys.modules:
        # TensorBoard's file layer imports TensorFlow when it is installed (seconds, and TF's
        # logging); TensorBoard's own stub serves it when this marker module exists, as it does
        # where TensorFlow is absent
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("tf.summary.FileWriter writes TensorBoard event files: pip install tensorboard "
                          "(or graphflow's 'tensorboard' extra)") from e
    return event_pb2, EventFileWriter


def session_log(status: str, checkpoint_path: str = "") -> SessionLog:
    """A ``SessionLog`` event payload: ``status`` "START", "STOP" or "CHECKPOINT" (TensorBoard
    drops the events a restarted run wrote after the step of its START)."""
    pb = _event_pb2()[0]
    return pb.SessionLog(status=getattr(pb.SessionLog, status), checkpoint_path=checkpoint_path)


class FileWriter:
    """Writes summaries, the graph and run metadata to an event file in ``logdir``."""

    def __init__(self, logdir: str, graph: Graph | GraphDef | None = None, max_queue: int = 10, flush_secs: float = 120,
                 graph_def: GraphDef | None = None, filename_suffix: str | None = None,
                 session: SessionLike | None = None) -> None:
        event_pb2, writer_cls = _event_pb2()
        self._pb = event_pb2
        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._writer = writer_cls(self._logdir, max_queue, flush_secs, filename_suffix or "")
        self._closed = False  # (TensorBoard's writer starts the file with its version event)
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event: Event) -> None:
        if self._closed:
            raise RuntimeError(f"FileWriter for {self._logdir!r} is closed; call reopen() first")
        self._writer.add_event(event)

    def add_summary(self, summary: Summary | bytes | bytearray | np.ndarray,
                    global_step: int | np.integer | np.ndarray | None = None) -> None:
        """``summary``: what a summary op returned (bytes) or a ``Summary`` message."""
        pb = summary_pb2()
        if isinstance(summary, np.ndarray):
            summary = summary.reshape(()).item() if summary.size == 1 else summary
        if isinstance(summary, (bytes, bytearray)):
            summary = pb.Summary.FromString(bytes(summary))
        if not isinstance(summary, pb.Summary):
            raise TypeError(f"add_summary takes the value of a summary op (bytes) or a Summary message, got "
                            f"{type(summary).__name__}")
        ev = self._pb.Event(wall_time=time.time(), summary=summary)
        if global_step is not None:
            ev.step = int(np.asarray(global_step))
        self.add_event(ev)

    def add_graph(self, graph: Graph | GraphDef | None = None, global_step: int | np.integer | None = None,
                  graph_def: GraphDef | None = None) -> None:
        """The graph (a ``gf.Graph`` or a ``GraphDef``), shown in TensorBoard's graph tab."""
        if graph_def is None:
            graph_def = as_graph_def(graph) if isinstance(graph, Graph) or graph is None else graph
        ev = self._pb.Event(wall_time=time.time(), graph_def=graph_def.SerializeToString())
        if global_step is not None:
            ev.step = int(global_step)
        self.add_event(ev)

    def add_run_metadata(self, run_metadata: TFRunMetadata, tag: str,
                         global_step: int | np.integer | None = None) -> None:
        """The step statistics of a traced run, under ``tag`` (TensorBoard's graph tab shows them)."""
        data = run_metadata.SerializeToString()
        ev = self._pb.Event(wall_time=time.time(), tagged_run_metadata=self._pb.TaggedRunMetadata(
            tag=tag, run_metadata=data))
        if global_step is not None:
            ev.step = int(global_step)
        self.add_event(ev)

    def add_session_log(self, session_log: SessionLog, global_step: int | np.integer | None = None) -> None:
        ev = self._pb.Event(wall_time=time.time(), session_log=session_log)
        if global_step is not None:
            ev.step = int(global_step)
        self.add_event(ev)

    def flush(self) -> None:
        if not self._closed:
            self._writer.flush()

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called (and no ``reopen`` since): events are refused."""
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._writer.close()
            self._closed = True

    def reopen(self) -> None:
        if self._closed:
            _, writer_cls = _event_pb2()
            self._writer = writer_cls(self._logdir)
            self._closed = False

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_metadata_proto(run_metadata: object) -> TFRunMetadata:
    """graphflow's ``RunMetadata`` as TF1's ``RunMetadata`` message (step stats per kernel)."""
    from tensorboard.compat.proto import config_pb2, step_stats_pb2
    md = config_pb2.RunMetadata()
    dev = md.step_stats.dev_stats.add(device="/job:localhost/replica:0/task:0/device:CPU:0")
    for rec in getattr(run_metadata, "step_stats", []) or []:
        dev.node_stats.append(step_stats_pb2.NodeExecStats(
            node_name=rec["name"], all_start_micros=int(rec["start_us"]),
            all_end_rel_micros=int(rec["duration_us"]), op_end_rel_micros=int(rec["duration_us"])))
    return md


def summary_iterator(path: str) -> Iterator[Event]:
    """The ``Event`` protos of one event file, in order (``tf.train.summary_iterator``)."""
    _event_pb2()  # TensorBoard's file layer without TensorFlow, as for writing
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("summary_iterator reads TensorBoard event files: pip install tensorboard") from e
    if not os.path.isfile(path):
        raise FileNotFoundError(f"summary_iterator: no event file {path}")
    yield from EventFileLoader(path).Load()


class FileWriterCache:
    """One FileWriter per logdir, shared, made with the default graph (TF1's
    ``tf.summary.FileWriterCache``)."""

    _cache: dict[str, FileWriter] = {}

    @staticmethod
    def get(logdir: str) -> FileWriter:
        key = os.path.abspath(logdir)
        if key not in FileWriterCache._cache:
            FileWriterCache._cache[key] = FileWriter(logdir, graph=get_default_graph())
        return FileWriterCache._cache[key]

    @staticmethod
    def clear() -> None:
        for w in FileWriterCache._cache.values():
            w.close()
        FileWriterCache._cache.clear()
