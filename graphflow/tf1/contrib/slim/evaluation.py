"""``slim.evaluation`` (TF 1.15): ``evaluate_once`` restores a checkpoint, runs ``eval_op`` (the
metrics' update ops) ``num_evals`` times, then ``final_op`` (their values) and the summaries, which
it writes to ``logdir``; ``evaluation_loop`` does so for each new checkpoint of a directory. The
evaluation step is the local ``eval_step`` variable (``GraphKeys.EVAL_STEP``)."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.core.types import FeedDict, Fetchable, SessionLike
from graphflow.ops.state_ops import zeros
from graphflow.ops.variables import GraphKeys, Variable, get_collection
from graphflow.tf1 import summary
from graphflow.tf1.config import ConfigProto
from graphflow.tf1.graph_functions import control_dependencies
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.summary import FileWriterCache
from graphflow.tf1.train.checkpoint_utils import checkpoints_iterator
from graphflow.tf1.train.monitored import (
    MonitoredSession,
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)
from graphflow.tf1.train.saver import Saver
from graphflow.tf1.train.schedules import get_global_step
from graphflow.tf1.train.session_manager import ChiefSessionCreator, Scaffold
from graphflow.tf1.train.step_hooks import FinalOpsHook

_USE_DEFAULT: Any = 0


def get_or_create_eval_step() -> Variable:
    """The graph's evaluation counter: an int64 local variable in ``GraphKeys.EVAL_STEP``."""
    found = get_collection(GraphKeys.EVAL_STEP)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ValueError("Multiple tensors added to tf.GraphKeys.EVAL_STEP")
    return Variable(zeros([], _dt.int64), trainable=False, name="eval_step",
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.EVAL_STEP])


class StopAfterNEvalsHook(SessionRunHook):
    """Stops the evaluation once the evaluation step (as the run that increments it leaves it)
    reaches ``num_evals``; logs ``Evaluation [i/n]``."""

    def __init__(self, num_evals: int | Tensor | None, log_progress: bool = True) -> None:
        self._num_evals, self._log_progress = num_evals, log_progress
        self._evals_completed: Tensor | None = None

    def _set_evals_completed_tensor(self, updated_eval_step: Tensor) -> None:
        self._evals_completed = updated_eval_step

    def before_run(self, run_context: SessionRunContext) -> SessionRunArgs:
        return SessionRunArgs({"evals_completed": self._evals_completed})

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        done = int(run_values.results["evals_completed"])
        if self._log_progress:
            logging.info("Evaluation [%d/%s]", done, self._num_evals)
        if self._num_evals is not None and done >= self._num_evals:
            run_context.request_stop()


class SummaryAtEndHook(SessionRunHook):
    """Runs ``summary_op`` (default: all summaries) when the session ends and writes it to
    ``log_dir`` at the global step."""

    def __init__(self, log_dir: str | None = None, summary_writer: Any = None, summary_op: Tensor | None = None,
                 feed_dict: FeedDict | None = None) -> None:
        self._log_dir, self._writer, self._summary_op, self._feed = log_dir, summary_writer, summary_op, feed_dict

    def begin(self) -> None:
        if self._summary_op is None:
            self._summary_op = summary.merge_all()
        if self._writer is None and self._log_dir:
            self._writer = FileWriterCache.get(self._log_dir)
        self._global_step = get_global_step()

    def end(self, session: SessionLike) -> None:
        if self._summary_op is None or self._writer is None:
            return
        step = int(session.run(self._global_step)) if self._global_step is not None else None
        self._writer.add_summary(session.run(self._summary_op, self._feed), step)
        self._writer.flush()


def _counted(eval_ops: Any, hooks: Sequence[SessionRunHook]) -> Any:
    """``eval_ops`` and the evaluation step's increment after them (built once, before the graph is
    finalized), which the ``StopAfterNEvalsHook``s read."""
    if eval_ops is None:
        return None
    eval_step = get_or_create_eval_step()
    deps = list(eval_ops) if isinstance(eval_ops, (list, tuple)) else \
        list(eval_ops.values()) if isinstance(eval_ops, dict) else [eval_ops]
    with control_dependencies(deps):
        updated = eval_step.assign_add(1)
    for h in hooks:
        if isinstance(h, StopAfterNEvalsHook):
            h._set_evals_completed_tensor(updated)
    return [eval_ops, updated]


def _evaluate_once(checkpoint_path: str, master: str, scaffold: Scaffold, run_ops: Any,
                   feed_dict: FeedDict | None, final_ops: Any, final_ops_feed_dict: FeedDict | None,
                   hooks: Sequence[SessionRunHook], config: ConfigProto | None) -> Any:
    final = FinalOpsHook(final_ops, final_ops_feed_dict)
    logging.info("Starting evaluation at %s", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()))
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path, master=master,
                                  config=config)
    with MonitoredSession(session_creator=creator, hooks=[*hooks, final]) as session:
        if run_ops is not None:
            while not session.should_stop():
                session.run(run_ops, feed_dict)
    logging.info("Finished evaluation at %s", time.strftime("%Y-%m-%d-%H:%M:%S", time.gmtime()))
    return final.final_ops_values


def _hooks(num_evals: int | None, logdir: str | None, summary_op: Any, summary_op_feed_dict: FeedDict | None,
           hooks: Sequence[SessionRunHook] | None) -> list[SessionRunHook]:
    if summary_op is _USE_DEFAULT:
        summary_op = summary.merge_all()
    found: list[SessionRunHook] = [StopAfterNEvalsHook(num_evals)]
    if summary_op is not None:
        found.append(SummaryAtEndHook(log_dir=logdir, summary_op=summary_op, feed_dict=summary_op_feed_dict))
    return found + list(hooks or [])


def evaluate_once(master: str, checkpoint_path: str, logdir: str | None, num_evals: int = 1,
                  initial_op: Fetchable | None = None, initial_op_feed_dict: FeedDict | None = None,
                  eval_op: Any = None, eval_op_feed_dict: FeedDict | None = None,
                  final_op: Any = None, final_op_feed_dict: FeedDict | None = None,
                  summary_op: Any = _USE_DEFAULT, summary_op_feed_dict: FeedDict | None = None,
                  variables_to_restore: Sequence[Variable] | dict[str, Variable] | None = None,
                  session_config: ConfigProto | None = None, hooks: Sequence[SessionRunHook] | None = None) -> Any:
    """Evaluate the model at ``checkpoint_path``; returns the value of ``final_op`` (None without one).

    >>> # value = slim.evaluation.evaluate_once("", ckpt, logdir, num_evals=10,
    >>> #                                       eval_op=update_op, final_op=accuracy)
    """
    saver = Saver(variables_to_restore) if variables_to_restore is not None else None
    scaffold = Scaffold(init_op=initial_op, init_feed_dict=initial_op_feed_dict, saver=saver)
    all_hooks = _hooks(num_evals, logdir, summary_op, summary_op_feed_dict, hooks)
    return _evaluate_once(checkpoint_path, master, scaffold, _counted(eval_op, all_hooks), eval_op_feed_dict,
                          final_op, final_op_feed_dict, all_hooks, session_config)


def evaluation_loop(master: str, checkpoint_dir: str, logdir: str | None, num_evals: int = 1,
                    initial_op: Fetchable | None = None, initial_op_feed_dict: FeedDict | None = None,
                    init_fn: Callable[[SessionLike], object] | None = None, eval_op: Any = None,
                    eval_op_feed_dict: FeedDict | None = None, final_op: Any = None,
                    final_op_feed_dict: FeedDict | None = None, summary_op: Any = _USE_DEFAULT,
                    summary_op_feed_dict: FeedDict | None = None,
                    variables_to_restore: Sequence[Variable] | dict[str, Variable] | None = None,
                    eval_interval_secs: float = 60, max_number_of_evaluations: int | None = None,
                    session_config: ConfigProto | None = None, timeout: float | None = None,
                    timeout_fn: Callable[[], bool] | None = None, hooks: Sequence[SessionRunHook] | None = None) -> Any:
    """``evaluate_once`` on each new checkpoint of ``checkpoint_dir`` (every ``eval_interval_secs``
    at most), up to ``max_number_of_evaluations``; returns the last ``final_op`` value."""
    saver = Saver(variables_to_restore) if variables_to_restore is not None else None
    scaffold = Scaffold(init_op=initial_op, init_feed_dict=initial_op_feed_dict, saver=saver,
                        init_fn=(lambda _, sess: init_fn(sess)) if init_fn is not None else None)
    all_hooks = _hooks(num_evals, logdir, summary_op, summary_op_feed_dict, hooks)
    run_ops = _counted(eval_op, all_hooks)
    value = None
    done = 0
    for path in checkpoints_iterator(checkpoint_dir, eval_interval_secs, timeout, timeout_fn):
        value = _evaluate_once(path, master, scaffold, run_ops, eval_op_feed_dict, final_op, final_op_feed_dict,
                               all_hooks, session_config)
        done += 1
        if max_number_of_evaluations is not None and done >= max_number_of_evaluations:
            logging.info("Reached max_number_of_evaluations=%s. Exit", max_number_of_evaluations)
            break
    return value


__all__ = ["SummaryAtEndHook", "StopAfterNEvalsHook", "evaluate_once", "evaluation_loop",
           "get_or_create_eval_step"]
