"""TF1's checkpoint utilities: reading one (``load_checkpoint``), initialising variables from one
(``init_from_checkpoint``, ``warm_start``), watching a directory for new ones
(``checkpoints_iterator``), their times, removal and state protos.

``init_from_checkpoint`` reads the values when it is called (TF1 reads them when the initializer
runs): each variable's initializer becomes an assignment of the checkpoint's value, so
``global_variables_initializer`` (made after the call, as in TF1) loads them.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from graphflow.ops.state_ops import assign, constant
from graphflow.ops.variables import GraphKeys, Variable, global_variables
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.train.checkpoint_io import (
    BundleCheckpointReader,
    CheckpointReader,
    NewCheckpointReader,
    checkpoint_exists,
    checkpoint_files,
)
from graphflow.tf1.train.saver import CheckpointState, _resolve, latest_checkpoint

__all__ = ["load_checkpoint", "init_from_checkpoint", "warm_start", "checkpoints_iterator", "get_checkpoint_mtimes",
           "remove_checkpoint", "generate_checkpoint_state_proto"]


def load_checkpoint(ckpt_dir_or_file: str) -> CheckpointReader | BundleCheckpointReader:
    """A reader of the checkpoint, graphflow's or TF's tensor bundle (or of a directory's latest
    one): ``get_tensor(name)``, ``get_variable_to_shape_map()``, ``has_tensor(name)``."""
    return NewCheckpointReader(_resolve(ckpt_dir_or_file))


def _graph_variables() -> dict[str, Variable]:
    return {v.op.name: v for v in global_variables()}


def _load_into(var: Variable, reader: CheckpointReader | BundleCheckpointReader, name: str, source: str) -> None:
    shapes = reader.get_variable_to_shape_map()
    if name not in shapes:
        raise ValueError(f"Tensor {name} is not found in {source} checkpoint {sorted(shapes)}")
    if not var.shape.is_compatible_with(shapes[name]):
        raise ValueError(f"Shape of variable {var.name} ({var.shape}) doesn't match with shape of tensor {name} "
                         f"({shapes[name]}) from checkpoint reader.")
    value = reader.get_tensor(name)
    g = var.graph
    with g.as_default(), g.name_scope(None), g.control_dependencies(None):
        init = constant(value.astype(var.dtype.as_numpy_dtype), name=f"{var.op.name}/checkpoint_value")
        var.initializer = assign(var, init, name=f"{var.op.name}/checkpoint_init").node


def init_from_checkpoint(ckpt_dir_or_file: str, assignment_map: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> None:
    """Make variables' initializers load a checkpoint's values. ``assignment_map`` maps a
    checkpoint name to a variable (or its name), or a checkpoint scope ``"old/"`` to a variable
    scope ``"new/"`` (``"/": "/"``: every variable by its own name); a variable whose checkpoint
    entry is missing or of another shape raises ``ValueError``.

    >>> import graphflow as gf
    >>> # gf.train.init_from_checkpoint("/tmp/pretrained", {"encoder/": "encoder/"})
    """
    reader = load_checkpoint(ckpt_dir_or_file)
    pairs = sorted(assignment_map.items() if isinstance(assignment_map, Mapping) else assignment_map,
                   key=lambda p: p[0])
    variables = _graph_variables()
    for ckpt_name, target in pairs:
        var = target if isinstance(target, Variable) else variables.get(target) if isinstance(target, str) else None
        if var is not None:
            _load_into(var, reader, ckpt_name, ckpt_dir_or_file)
            continue
        if not isinstance(target, str):
            raise TypeError(f"init_from_checkpoint maps {ckpt_name!r} to {target!r}: expected a variable or a name")
        if not ckpt_name.endswith("/"):
            scope = target[:target.rindex("/")] if "/" in target else target
            raise ValueError(f"Assignment map with scope only name {scope} should map to scope only {ckpt_name}. "
                             "Should be 'scope/': 'other_scope/'.")
        scope = target[:target.rindex("/")] if "/" in target else ""
        for name in sorted(n for n in variables if not scope or n.startswith(scope + "/")):
            rest = name[len(scope):]
            if target != "/":
                rest = rest[1:]
            full = (ckpt_name if ckpt_name != "/" else "") + rest
            _load_into(variables[name], reader, full.rstrip("/"), ckpt_dir_or_file)


def warm_start(ckpt_to_initialize_from: str, vars_to_warm_start: str | Sequence[Any] | None = ".*",
               var_name_to_vocab_info: Mapping[str, Any] | None = None,
               var_name_to_prev_var_name: Mapping[str, str] | None = None) -> None:
    """Initialise the trainable variables matching ``vars_to_warm_start`` (a regular expression,
    a list of them, of names or of variables; None: none) from the checkpoint, by the same names
    unless ``var_name_to_prev_var_name`` renames them. Vocabulary remapping is not supported."""
    if var_name_to_vocab_info:
        raise NotImplementedError("warm_start's var_name_to_vocab_info (vocabulary remapping) is not supported; "
                                  "remap the rows with numpy and load them with init_from_checkpoint")
    if vars_to_warm_start is None:
        return
    renames = dict(var_name_to_prev_var_name or {})
    variables = _graph_variables()
    trainable = {v.op.name for v in variables.values() if v in v.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)}
    chosen: dict[str, Variable] = {}
    items = [vars_to_warm_start] if isinstance(vars_to_warm_start, str) else list(vars_to_warm_start)
    for item in items:
        if isinstance(item, Variable):
            chosen[item.op.name] = item
            continue
        pattern = re.compile(item)
        pool = trainable if isinstance(vars_to_warm_start, str) else set(variables)
        chosen.update({n: variables[n] for n in sorted(pool) if pattern.match(n)})
    init_from_checkpoint(ckpt_to_initialize_from, {renames.get(n, n): v for n, v in chosen.items()})


def checkpoints_iterator(checkpoint_dir: str, min_interval_secs: float = 0, timeout: float | None = None,
                         timeout_fn: Callable[[], bool] | None = None) -> Iterator[str]:
    """Yield each new latest checkpoint of ``checkpoint_dir`` as it appears (an evaluation loop's
    input); after ``timeout`` seconds without one, stop, or ask ``timeout_fn`` (True: stop)."""
    last: str | None = None
    while True:
        found = _wait_for_new(checkpoint_dir, last, timeout)
        if found is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        started = time.time()
        last = found
        yield found
        pause = started + min_interval_secs - time.time()
        if pause > 0:
            time.sleep(pause)


def _wait_for_new(checkpoint_dir: str, last: str | None, timeout: float | None, poll: float = 1.0) -> str | None:
    stop = None if timeout is None else time.time() + timeout
    while True:
        path = latest_checkpoint(checkpoint_dir)
        if path is not None and path != last:
            return path
        if stop is not None and time.time() + poll > stop:
            return None
        time.sleep(poll if stop is None else min(poll, max(stop - time.time(), 0.0)))


def get_checkpoint_mtimes(checkpoint_prefixes: Sequence[str]) -> list[float]:
    """The modification times of the checkpoints that exist (those that do not are skipped)."""
    return [os.path.getmtime(checkpoint_files(p)[0]) for p in checkpoint_prefixes if checkpoint_exists(p)]


def remove_checkpoint(checkpoint_prefix: str, checkpoint_format_version: int = 2,
                      meta_graph_suffix: str = "meta") -> None:
    """Delete a checkpoint's files (``.gfckpt``, or a TF bundle's index and data) and its ``.meta``
    (what exists of them; a warning for the rest)."""
    files = checkpoint_files(checkpoint_prefix) or [f"{checkpoint_prefix}.gfckpt"]
    for path in (*files, f"{checkpoint_prefix}.{meta_graph_suffix}"):
        try:
            os.remove(path)
        except FileNotFoundError:
            logging.warning("remove_checkpoint: %s does not exist", path)


def generate_checkpoint_state_proto(save_dir: str, model_checkpoint_path: str,
                                    all_model_checkpoint_paths: Sequence[str] | None = None,
                                    all_model_checkpoint_timestamps: Sequence[float] | None = None,
                                    last_preserved_timestamp: float | None = None) -> CheckpointState:
    """The state a ``checkpoint`` file holds: the latest path last in the list of all."""
    paths = [p for p in (all_model_checkpoint_paths or []) if p != model_checkpoint_path] + [model_checkpoint_path]
    return CheckpointState(model_checkpoint_path, paths)
