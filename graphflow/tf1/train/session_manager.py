"""Making a session whose model is ready: TF1's ``Scaffold``, ``SessionManager`` and the session
creators of ``MonitoredSession``.

``SessionManager.prepare_session`` restores the latest checkpoint of a directory (or a given one)
when there is one, else runs the init op and ``init_fn``; then the local init op; then checks the
ready op (the variables still uninitialized) and fails naming them. ``wait_for_session`` is the
non-chief's: it waits until the model is ready (in one process that means another thread
initialised or restored it).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.core.errors import DeadlineExceededError
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.core.runtime_hook import new_session
from graphflow.core.types import FeedDict, Fetchable, SessionLike
from graphflow.ops.state_ops import group
from graphflow.ops.variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)
from graphflow.tf1.config import ConfigProto
from graphflow.tf1.summary import merge_all
from graphflow.tf1.train.saver import Saver, latest_checkpoint

__all__ = ["Scaffold", "SessionManager", "SessionCreator", "ChiefSessionCreator", "WorkerSessionCreator"]


class Scaffold:
    """What a monitored session builds with: the init, ready and local init ops, ``init_fn`` and the
    saver; ``finalize`` makes the defaults TF1 makes for those left None."""

    def __init__(self, init_op: Fetchable | None = None, init_feed_dict: FeedDict | None = None,
                 init_fn: Callable[[Scaffold, SessionLike], object] | None = None, ready_op: Tensor | None = None,
                 ready_for_local_init_op: Tensor | None = None, local_init_op: Fetchable | None = None,
                 summary_op: Tensor | None = None,
                 saver: Saver | None = None, copy_from_scaffold: Scaffold | None = None) -> None:
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError(f"copy_from_scaffold is not a Scaffold: {copy_from_scaffold!r}")
            c = copy_from_scaffold
            init_op, init_feed_dict, init_fn = init_op or c.init_op, init_feed_dict or c.init_feed_dict, \
                init_fn or c._user_init_fn
            ready_op, ready_for_local_init_op = ready_op or c.ready_op, ready_for_local_init_op or \
                c.ready_for_local_init_op
            local_init_op, summary_op, saver = local_init_op or c.local_init_op, summary_op or c.summary_op, \
                saver or c.saver
        self.init_op, self.init_feed_dict, self._user_init_fn = init_op, init_feed_dict, init_fn
        self.ready_op, self.ready_for_local_init_op = ready_op, ready_for_local_init_op
        self.local_init_op, self.saver, self.summary_op = local_init_op, saver, summary_op

    @property
    def init_fn(self) -> Callable[[SessionLike], object] | None:
        """``init_fn(session)``: the user's ``init_fn(scaffold, session)`` bound to this scaffold."""
        fn = self._user_init_fn
        return None if fn is None else (lambda sess: fn(self, sess))

    def finalize(self) -> Scaffold:
        if self.init_op is None:
            self.init_op = global_variables_initializer()
        if self.ready_op is None:
            self.ready_op = report_uninitialized_variables()
        if self.ready_for_local_init_op is None:
            self.ready_for_local_init_op = report_uninitialized_variables(global_variables())
        if self.local_init_op is None:
            self.local_init_op = Scaffold.default_local_init_op()
        if self.saver is None:
            self.saver = Saver()
        if self.summary_op is None:
            self.summary_op = merge_all()  # None when the graph has no summaries
        return self

    @staticmethod
    def default_local_init_op() -> Operation:
        """The local variables' initializer (TF1 adds the tables' too; graphflow's tables need none)."""
        return group(local_variables_initializer())


def _uninitialized(sess: SessionLike, op: Tensor | None) -> list[str]:
    if op is None:
        return []
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.asarray(sess.run(op)).ravel()]


class SessionManager:
    """Creates sessions whose model is initialised, restored or (``wait_for_session``) made ready by
    someone else."""

    def __init__(self, local_init_op: Fetchable | None = None, ready_op: Tensor | None = None,
                 ready_for_local_init_op: Tensor | None = None, graph: Graph | None = None,
                 recovery_wait_secs: float = 30, local_init_run_options: object = None,
                 local_init_feed_dict: FeedDict | None = None) -> None:
        self._local_init_op, self._ready_op = local_init_op, ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph or get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_feed_dict = local_init_feed_dict

    def _restore(self, sess: SessionLike, saver: Saver | None, checkpoint_dir: str | None,
                 checkpoint_filename_with_path: str | None, wait_for_checkpoint: bool,
                 max_wait_secs: float) -> bool:
        if checkpoint_filename_with_path:
            if saver is None:
                raise ValueError("restoring checkpoint_filename_with_path needs a saver")
            saver.restore(sess, checkpoint_filename_with_path)
            return True
        if saver is None or not checkpoint_dir:
            return False
        path, waited = latest_checkpoint(checkpoint_dir), 0.0
        while path is None and wait_for_checkpoint and waited < max_wait_secs:
            pause = min(self._recovery_wait_secs, max_wait_secs - waited)
            time.sleep(pause)
            waited += pause
            path = latest_checkpoint(checkpoint_dir)
        if path is None:
            return False
        saver.restore(sess, path)
        return True

    def _local_init(self, sess: SessionLike) -> None:
        if self._local_init_op is None:
            return
        missing = _uninitialized(sess, self._ready_for_local_init_op)
        if missing:
            raise RuntimeError("the local init op needs these variables initialized first: " + ", ".join(missing))
        sess.run(self._local_init_op, self._local_init_feed_dict)

    def prepare_session(self, master: str = "", init_op: Fetchable | None = None, saver: Saver | None = None,
                        checkpoint_dir: str | None = None, wait_for_checkpoint: bool = False,
                        max_wait_secs: float = 7200, config: ConfigProto | None = None,
                        init_feed_dict: FeedDict | None = None, init_fn: Callable[[SessionLike], object] | None = None,
                        checkpoint_filename_with_path: str | None = None) -> Any:
        """A session with the model restored (from ``checkpoint_dir``'s latest checkpoint, or
        ``checkpoint_filename_with_path``) or initialised (``init_op``, then ``init_fn(session)``),
        the local init op run, and the ready op reporting nothing uninitialized."""
        sess = new_session(self._graph, config)
        restored = self._restore(sess, saver, checkpoint_dir, checkpoint_filename_with_path,
                                 wait_for_checkpoint, max_wait_secs)
        if not restored:
            if init_op is None and init_fn is None and self._local_init_op is None:
                sess.close()
                raise RuntimeError("Model is not initialized and no init_op or init_fn or local_init_op was given")
            if init_op is not None:
                sess.run(init_op, init_feed_dict)
            if init_fn is not None:
                init_fn(sess)
        self._local_init(sess)
        missing = _uninitialized(sess, self._ready_op)
        if missing:
            sess.close()
            raise RuntimeError(f"Init operations did not make model ready: init op {_name(init_op)}, init fn "
                               f"{init_fn!r}, local init op {_name(self._local_init_op)}; variables not initialized: "
                               + ", ".join(missing))
        return sess

    def recover_session(self, master: str = "", saver: Saver | None = None, checkpoint_dir: str | None = None,
                        wait_for_checkpoint: bool = False, max_wait_secs: float = 7200,
                        config: ConfigProto | None = None,
                        checkpoint_filename_with_path: str | None = None) -> tuple[Any, bool]:
        """``(session, ready)``: a session with the checkpoint restored and the local init op run, and
        whether the model is ready (False also when there was no checkpoint to restore)."""
        sess = new_session(self._graph, config)
        if not self._restore(sess, saver, checkpoint_dir, checkpoint_filename_with_path, wait_for_checkpoint,
                             max_wait_secs):
            return sess, False
        self._local_init(sess)
        return sess, not _uninitialized(sess, self._ready_op)

    def wait_for_session(self, master: str = "", config: ConfigProto | None = None,
                         max_wait_secs: float = float("inf")) -> Any:
        """A session once the model is ready (checked every ``recovery_wait_secs``); raises
        ``DeadlineExceededError`` after ``max_wait_secs``."""
        deadline = time.time() + max_wait_secs
        while True:
            sess = new_session(self._graph, config)
            missing = _uninitialized(sess, self._ready_op)
            if not missing:
                self._local_init(sess)
                return sess
            sess.close()
            if time.time() + self._recovery_wait_secs > deadline:
                raise DeadlineExceededError(None, None, f"Session was not ready after waiting {max_wait_secs} secs: "
                                            "variables not initialized: " + ", ".join(missing))
            time.sleep(self._recovery_wait_secs)


def _name(op: object) -> str:
    return getattr(op, "name", None) or repr(op)


class SessionCreator:
    """What ``MonitoredSession(session_creator=...)`` calls to make its session."""

    def create_session(self) -> Any:
        raise NotImplementedError("create_session must be defined by a SessionCreator subclass")


class ChiefSessionCreator(SessionCreator):
    """The chief's session: restored from ``checkpoint_dir`` (or ``checkpoint_filename_with_path``)
    or initialised by the scaffold's ops."""

    def __init__(self, scaffold: Scaffold | None = None, master: str = "", config: ConfigProto | None = None,
                 checkpoint_dir: str | None = None, checkpoint_filename_with_path: str | None = None) -> None:
        self.scaffold = scaffold or Scaffold()
        self.checkpoint_dir, self._path = checkpoint_dir, checkpoint_filename_with_path
        self._master, self._config = master, config

    def create_session(self) -> Any:
        s = self.scaffold.finalize()
        manager = SessionManager(local_init_op=s.local_init_op, ready_op=s.ready_op,
                                 ready_for_local_init_op=s.ready_for_local_init_op)
        return manager.prepare_session(self._master, init_op=s.init_op, saver=s.saver,
                                       checkpoint_dir=self.checkpoint_dir, config=self._config,
                                       init_feed_dict=s.init_feed_dict, init_fn=s.init_fn,
                                       checkpoint_filename_with_path=self._path)


class WorkerSessionCreator(SessionCreator):
    """A worker's session: waits (up to ``max_wait_secs``) until the chief made the model ready."""

    def __init__(self, scaffold: Scaffold | None = None, master: str = "", config: ConfigProto | None = None,
                 max_wait_secs: float = 30 * 60) -> None:
        self.scaffold = scaffold or Scaffold()
        self._master, self._config, self._max_wait_secs = master, config, max_wait_secs

    def create_session(self) -> Any:
        s = self.scaffold.finalize()
        manager = SessionManager(local_init_op=s.local_init_op, ready_op=s.ready_op,
                                 ready_for_local_init_op=s.ready_for_local_init_op)
        return manager.wait_for_session(self._master, config=self._config, max_wait_secs=self._max_wait_secs)
