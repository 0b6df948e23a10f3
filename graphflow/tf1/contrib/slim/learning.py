"""``slim.learning`` (TF 1.15): ``create_train_op`` (``tf.contrib.training``'s, with slim's gradient
multipliers and clipping) and ``train``, slim's training loop on a ``Supervisor``: it initialises or restores from
``logdir``, saves checkpoints and summaries in the background, logs the loss every
``log_every_n_steps`` and stops at ``number_of_steps`` (of the global step) or at the end of the input.
Synchronous replicas (``sync_optimizer``) are TF's gRPC cluster's and are refused."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphflow.core.errors import AbortedError, OutOfRangeError
from graphflow.core.ir import Graph, Tensor, get_default_graph
from graphflow.core.types import FeedDict, SessionLike
from graphflow.ops.constant_ops import constant, group
from graphflow.ops.elementwise_ops import equal, greater_equal, mod
from graphflow.ops.variables import (
    Variable,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)
from graphflow.tf1 import summary
from graphflow.tf1.config import ConfigProto, RunMetadata, RunOptions
from graphflow.tf1.contrib.training import training
from graphflow.tf1.contrib.training.training import (
    _USE_GLOBAL_STEP,
    GradsAndVars,
    add_gradients_summaries,
    clip_gradient_norms,
    multiply_gradients,
)
from graphflow.tf1.graph_functions import name_scope, tables_initializer
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.timeline import Timeline
from graphflow.tf1.train.saver import Saver
from graphflow.tf1.train.schedules import get_or_create_global_step
from graphflow.tf1.train.schedules import global_step as global_step_value
from graphflow.tf1.train.supervisor import Supervisor

_USE_DEFAULT: Any = 0  # TF1's sentinel for "make the default one" (None means "none")


def create_train_op(total_loss: Tensor, optimizer: Any, global_step: Any = _USE_GLOBAL_STEP,
                    update_ops: Sequence[Any] | None = None, variables_to_train: Sequence[Variable] | None = None,
                    clip_gradient_norm: float = 0, summarize_gradients: bool = False, gate_gradients: int = 1,
                    aggregation_method: int | None = None, colocate_gradients_with_ops: bool = False,
                    gradient_multipliers: Mapping[Any, Any] | None = None, check_numerics: bool = True) -> Tensor:
    """``tf.contrib.training.create_train_op`` with slim's gradient transformations: the gradients
    scaled by ``gradient_multipliers`` (variables or their op names), then each clipped to norm
    ``clip_gradient_norm`` where that is positive.

    >>> import graphflow as gf
    >>> w = gf.Variable(3.0)
    >>> train_op = create_train_op(w * w, gf.train.GradientDescentOptimizer(0.1), clip_gradient_norm=1.0)
    """
    def transform_grads_fn(grads: GradsAndVars) -> GradsAndVars:
        if gradient_multipliers:
            with name_scope("multiply_grads"):
                grads = multiply_gradients(grads, gradient_multipliers)
        if clip_gradient_norm > 0:
            with name_scope("clip_grads"):
                grads = clip_gradient_norms(grads, clip_gradient_norm)
        return grads
    return training.create_train_op(total_loss, optimizer, global_step, update_ops, variables_to_train,
                                    transform_grads_fn, summarize_gradients, gate_gradients, aggregation_method,
                                    colocate_gradients_with_ops, check_numerics)


def train_step(sess: SessionLike, train_op: Tensor, global_step: Tensor,
               train_step_kwargs: Mapping[str, Any]) -> tuple[Any, bool]:
    """One step: run ``train_op`` and the global step; log, trace and decide to stop as the
    ``should_log``, ``should_trace`` and ``should_stop`` tensors of ``train_step_kwargs`` say."""
    start = time.time()
    options = metadata = None
    if "should_trace" in train_step_kwargs:
        if "logdir" not in train_step_kwargs:
            raise ValueError("logdir must be present in train_step_kwargs when should_trace is present")
        if sess.run(train_step_kwargs["should_trace"]):
            options, metadata = RunOptions(trace_level=RunOptions.FULL_TRACE), RunMetadata()
    total_loss, step = sess.run([train_op, global_step], options=options, run_metadata=metadata)
    elapsed = time.time() - start
    if metadata is not None:
        path = os.path.join(train_step_kwargs["logdir"], f"tf_trace-{step}.json")
        logging.info("Writing trace to %s", path)
        with open(path, "w") as f:
            f.write(Timeline(metadata.step_stats).generate_chrome_trace_format())
        if train_step_kwargs.get("summary_writer") is not None:
            train_step_kwargs["summary_writer"].add_run_metadata(metadata, f"run_metadata-{step}")
    if "should_log" in train_step_kwargs and sess.run(train_step_kwargs["should_log"]):
        logging.info("global step %d: loss = %.4f (%.3f sec/step)", step, total_loss, elapsed)
    should_stop = bool(sess.run(train_step_kwargs["should_stop"])) if "should_stop" in train_step_kwargs else False
    return total_loss, should_stop


def _wait_for_step(sess: SessionLike, global_step: Tensor, step: int) -> None:
    while global_step_value(sess, global_step) < step:
        time.sleep(1.0)


def train(train_op: Tensor, logdir: str | None,
          train_step_fn: Callable[[SessionLike, Tensor, Tensor, Any], tuple[Any, bool]] = train_step,
          train_step_kwargs: Any = _USE_DEFAULT, log_every_n_steps: int = 1, graph: Graph | None = None,
          master: str = "", is_chief: bool = True, global_step: Tensor | None = None,
          number_of_steps: int | None = None, init_op: Any = _USE_DEFAULT, init_feed_dict: FeedDict | None = None,
          local_init_op: Any = _USE_DEFAULT, init_fn: Callable[[SessionLike], object] | None = None,
          ready_op: Any = _USE_DEFAULT, summary_op: Any = _USE_DEFAULT, save_summaries_secs: float = 600,
          summary_writer: Any = _USE_DEFAULT, startup_delay_steps: int = 0, saver: Saver | None = None,
          save_interval_secs: float = 600, sync_optimizer: Any = None, session_config: ConfigProto | None = None,
          session_wrapper: Callable[[Any], Any] | None = None, trace_every_n_steps: int | None = None,
          ignore_live_threads: bool = False) -> Any:
    """Run ``train_op`` until ``number_of_steps`` (global step) or the end of the input; returns the
    last loss. With a ``logdir``, restores its latest checkpoint, saves every
    ``save_interval_secs`` and at the end, and writes summaries every ``save_summaries_secs``."""
    if train_op is None:
        raise ValueError("train_op cannot be None.")
    if logdir is None:
        if summary_op is not _USE_DEFAULT:
            raise ValueError("Cannot provide summary_op because logdir=None")
        if saver is not None:
            raise ValueError("Cannot provide saver because logdir=None")
        if trace_every_n_steps is not None:
            raise ValueError("Cannot provide trace_every_n_steps because logdir=None")
    if sync_optimizer is not None:
        raise ValueError("slim.learning.train: sync_optimizer (SyncReplicasOptimizer) needs TF's gRPC cluster "
                         "runtime, which graphflow does not have (docs/distributed.md)")
    if number_of_steps is not None and number_of_steps <= 0:
        raise ValueError("`number_of_steps` must be either None or a positive number.")
    graph = graph or get_default_graph()
    with graph.as_default():
        if global_step is None:
            global_step = get_or_create_global_step()
        saver = saver or Saver()
        with name_scope("init_ops"):
            if init_op is _USE_DEFAULT:
                init_op = global_variables_initializer()
            if ready_op is _USE_DEFAULT:
                ready_op = report_uninitialized_variables()
            if local_init_op is _USE_DEFAULT:
                local_init_op = group(local_variables_initializer(), tables_initializer())
        if summary_op is _USE_DEFAULT:
            summary_op = summary.merge_all()
        if summary_writer is _USE_DEFAULT:
            summary_writer = Supervisor.USE_DEFAULT
        if train_step_kwargs is _USE_DEFAULT:
            with name_scope("train_step"):
                train_step_kwargs = {"should_stop": greater_equal(global_step, number_of_steps) if number_of_steps
                                     else constant(False)}
                if log_every_n_steps > 0:
                    train_step_kwargs["should_log"] = equal(mod(global_step, log_every_n_steps), 0)
                if is_chief and trace_every_n_steps is not None:
                    train_step_kwargs["should_trace"] = equal(mod(global_step, trace_every_n_steps), 0)
                    train_step_kwargs["logdir"] = logdir
    sv = Supervisor(graph=graph, is_chief=is_chief, logdir=logdir, init_op=init_op, init_feed_dict=init_feed_dict,
                    local_init_op=local_init_op, ready_op=ready_op, summary_op=summary_op,
                    summary_writer=summary_writer, global_step=global_step, saver=saver,
                    save_summaries_secs=save_summaries_secs, save_model_secs=save_interval_secs, init_fn=init_fn)
    if summary_writer is not None:
        train_step_kwargs["summary_writer"] = sv.summary_writer
    total_loss = None
    should_retry = True
    while should_retry:
        should_retry = False
        try:
            with sv.managed_session(master, start_standard_services=False, config=session_config) as sess:
                logging.info("Starting Session.")
                if session_wrapper is not None:
                    sess = session_wrapper(sess)
                if is_chief:
                    if logdir:
                        sv.start_standard_services(sess)
                elif startup_delay_steps > 0:
                    _wait_for_step(sess, global_step, min(startup_delay_steps, number_of_steps or sys.maxsize))
                threads = sv.start_queue_runners(sess)
                logging.info("Starting Queues.")
                try:
                    while not sv.should_stop():
                        total_loss, should_stop = train_step_fn(sess, train_op, global_step, train_step_kwargs)
                        if should_stop:
                            logging.info("Stopping Training.")
                            sv.request_stop()
                            break
                except OutOfRangeError as e:
                    logging.info("Caught OutOfRangeError. Stopping Training. %s", e)
                if logdir and sv.is_chief:
                    logging.info("Finished training! Saving model to disk.")
                    sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
                    sv.stop(threads, close_summary_writer=True, ignore_live_threads=ignore_live_threads)
        except AbortedError:
            logging.info("Retrying training!")
            should_retry = True
    return total_loss


__all__ = ["add_gradients_summaries", "clip_gradient_norms", "create_train_op", "multiply_gradients", "train",
           "train_step"]
