"""``tf.contrib.framework``'s (and slim's) variable helpers as TF 1.15 defines them: model
variables (in GLOBAL_VARIABLES and MODEL_VARIABLES), lookups by scope, suffix and name, the
variables to restore, and the assign-from-checkpoint / assign-from-values helpers that fine-tuning
scripts call before training.

    with tf.variable_scope("conv1"):
        w = model_variable("weights", [3, 3, 1, 8], initializer=tf.zeros_initializer())
    get_model_variables("conv1") == [w]
    init_fn = assign_from_checkpoint_fn(path, get_variables_to_restore(exclude=["logits"]))
    init_fn(sess)
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from graphflow.core.ir import Operation, Tensor, get_default_graph
from graphflow.ops.constant_ops import group, placeholder
from graphflow.ops.update_ops import assign
from graphflow.ops.variables import (
    GraphKeys,
    InitializerLike,
    ShapeLike,
    Variable,
    VariableScope,
    get_variable,
    zeros_initializer,
)
from graphflow.tf1.contrib.framework.arg_scope import add_arg_scope
from graphflow.tf1.train.checkpoint_io import NewCheckpointReader
from graphflow.tf1.train.saver import Saver, _resolve

__all__ = ["VariableDeviceChooser", "add_model_variable", "assign_from_checkpoint", "assign_from_checkpoint_fn",
           "assign_from_values", "assign_from_values_fn", "filter_variables", "get_local_variables",
           "get_model_variables", "get_trainable_variables", "get_unique_variable", "get_variable_full_name",
           "get_variables", "get_variables_by_name", "get_variables_by_suffix", "get_variables_to_restore",
           "global_variable", "local_variable", "model_variable", "variable", "zero_initializer"]

Regularizer = Callable[[Variable], "Tensor | None"]


@add_arg_scope
def variable(name: str, shape: ShapeLike = None, dtype: Any = None, initializer: InitializerLike | None = None,
             regularizer: Regularizer | None = None, trainable: bool = True,
             collections: Sequence[str] | None = None, caching_device: str | None = None,
             device: str | Callable[..., str] | None = None, partitioner: Any = None,
             custom_getter: Any = None, use_resource: bool | None = None, **_: Any) -> Variable:
    """``get_variable`` placed in ``collections`` (GLOBAL_VARIABLES by default) on ``device``."""
    if partitioner is not None:
        raise ValueError("partitioned variables shard across parameter servers; graphflow has none "
                         "(docs/differences.md)")
    wanted = list(collections if collections is not None else [GraphKeys.GLOBAL_VARIABLES])
    with get_default_graph().device(device) if device else contextlib.nullcontext():
        return get_variable(name, shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                            trainable=trainable, collections=list(dict.fromkeys(wanted)))


@add_arg_scope
def model_variable(name: str, shape: ShapeLike = None, dtype: Any = None, initializer: InitializerLike | None = None,
                   regularizer: Regularizer | None = None, trainable: bool = True,
                   collections: Sequence[str] | None = None, caching_device: str | None = None,
                   device: str | Callable[..., str] | None = None, partitioner: Any = None,
                   custom_getter: Any = None, use_resource: bool | None = None, **_: Any) -> Variable:
    """A variable of the model: in GLOBAL_VARIABLES and MODEL_VARIABLES (and ``collections``)."""
    wanted = list(collections or []) + [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(name, shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                    trainable=trainable, collections=wanted, device=device, partitioner=partitioner)


def global_variable(initial_value: Any, validate_shape: bool = True, name: str | None = None,
                    use_resource: bool | None = None) -> Variable:
    """A Variable in GLOBAL_VARIABLES."""
    return Variable(initial_value, trainable=False, collections=[GraphKeys.GLOBAL_VARIABLES],
                    validate_shape=validate_shape, name=name)


def local_variable(initial_value: Any, validate_shape: bool = True, name: str | None = None,
                   use_resource: bool | None = None) -> Variable:
    """A Variable in LOCAL_VARIABLES (initialised by ``local_variables_initializer``)."""
    return Variable(initial_value, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES],
                    validate_shape=validate_shape, name=name)


def add_model_variable(var: Variable) -> None:
    """Add ``var`` to MODEL_VARIABLES (once)."""
    if var not in get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES):
        get_default_graph().add_to_collection(GraphKeys.MODEL_VARIABLES, var)


def _scope_name(scope: str | VariableScope | None) -> str | None:
    return scope.name if isinstance(scope, VariableScope) else scope


def get_variables(scope: str | VariableScope | None = None, suffix: str | None = None,
                  collection: str = GraphKeys.GLOBAL_VARIABLES) -> list[Variable]:
    """The variables of ``collection`` whose names start with ``scope`` (a regular expression, as
    TF1's) and, with ``suffix``, end in it."""
    name = _scope_name(scope)
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        name = (name or "") + ".*" + suffix
    return get_default_graph().get_collection(collection, name)


def get_model_variables(scope: str | VariableScope | None = None, suffix: str | None = None) -> list[Variable]:
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope: str | VariableScope | None = None, suffix: str | None = None) -> list[Variable]:
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope: str | VariableScope | None = None,
                            suffix: str | None = None) -> list[Variable]:
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_suffix(suffix: str, scope: str | VariableScope | None = None) -> list[Variable]:
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name: str, scope: str | VariableScope | None = None) -> list[Variable]:
    """The variables named ``given_name`` under any scope (``.../given_name:0`` or ``given_name:0``)."""
    return get_variables(scope=scope, suffix=f"/{given_name}:|^{given_name}:")


def get_unique_variable(var_op_name: str) -> Variable:
    """The one variable whose op name is ``var_op_name``."""
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError(f"Couldn't find variable {var_op_name}")
    for candidate in candidates:
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError(f"Variable {var_op_name} does not uniquely identify a variable")


def get_variables_to_restore(include: Sequence[str] | None = None,
                             exclude: Sequence[str] | None = None) -> list[Variable]:
    """The global variables under the ``include`` scopes (all by default) minus those whose names
    start with an ``exclude`` scope: what a fine-tuning script restores."""
    if include is None:
        chosen = get_variables()
    else:
        if not isinstance(include, (list, tuple)):
            raise TypeError("include is provided but is not a list or a tuple.")
        chosen = [v for scope in include for v in get_variables(scope)]
    if exclude is not None and not isinstance(exclude, (list, tuple)):
        raise TypeError("exclude is provided but is not a list or a tuple.")
    dropped = {v for scope in exclude or [] for v in get_variables(scope)}
    return [v for v in chosen if v not in dropped]


def get_variable_full_name(var: Variable) -> str:
    """The variable's name without its output index (``conv1/weights``)."""
    return var.op.name


def filter_variables(var_list: Sequence[Variable], include_patterns: Sequence[str] | None = None,
                     exclude_patterns: Sequence[str] | None = None, reg_search: bool = True) -> list[Variable]:
    """The variables whose names match an include pattern (all when none) and no exclude pattern;
    ``re.search`` when ``reg_search``, else substring tests."""
    def hit(pattern: str, name: str) -> bool:
        return re.search(pattern, name) is not None if reg_search else pattern in name
    kept = [v for v in var_list if include_patterns is None or any(hit(p, v.op.name) for p in include_patterns)]
    return [v for v in kept if not any(hit(p, v.op.name) for p in exclude_patterns or [])]


def zero_initializer(ref: Variable, use_locking: bool = True, name: str = "zero_initializer") -> Tensor:
    """An op setting ``ref`` to zeros of its shape."""
    return assign(ref, zeros_initializer()(ref.shape.as_list(), ref.dtype), name=name)


def _by_name(var_list: Sequence[Variable] | Mapping[str, Variable]) -> dict[str, Variable]:
    if isinstance(var_list, Mapping):
        return dict(var_list)
    return {v.op.name: v for v in var_list}


def assign_from_checkpoint(model_path: str, var_list: Sequence[Variable] | Mapping[str, Variable],
                           ignore_missing_vars: bool = False) -> tuple[Operation, dict[Tensor, np.ndarray]]:
    """``(assign_op, feed_dict)`` loading each variable from the checkpoint (by its name, or the
    checkpoint names of a dict) through placeholders: ``sess.run(assign_op, feed_dict)``."""
    reader = NewCheckpointReader(_resolve(model_path))
    feeds: dict[Tensor, np.ndarray] = {}
    ops = []
    for ckpt_name, var in _by_name(var_list).items():
        if not reader.has_tensor(ckpt_name):
            if ignore_missing_vars:
                continue
            raise ValueError(f"Tensor {ckpt_name} is not found in {model_path} checkpoint")
        value = reader.get_tensor(ckpt_name)
        if list(value.shape) != var.shape.as_list():
            raise ValueError(f"Total size of new array must be unchanged for {ckpt_name} lh_shape: "
                             f"[{var.shape}], rh_shape: [{list(value.shape)}]")
        ph = placeholder(var.dtype.base_dtype, var.shape, name=f"placeholder/{var.op.name}")
        ops.append(assign(var, ph))
        feeds[ph] = value
    return group(*ops, name="assign_from_checkpoint"), feeds


def assign_from_checkpoint_fn(model_path: str, var_list: Sequence[Variable] | Mapping[str, Variable],
                              ignore_missing_vars: bool = False,
                              reshape_variables: bool = False) -> Callable[[Any], None] | None:
    """A function ``fn(session)`` restoring ``var_list`` from ``model_path`` with a Saver (None
    when ``ignore_missing_vars`` leaves nothing to restore)."""
    if not var_list:
        raise ValueError("var_list cannot be empty")
    named = _by_name(var_list)
    if ignore_missing_vars:
        reader = NewCheckpointReader(_resolve(model_path))
        named = {k: v for k, v in named.items() if reader.has_tensor(k)}
        if not named:
            return None
    saver = Saver(named, reshape=reshape_variables)

    def callback(session: Any) -> None:
        saver.restore(session, model_path)
    return callback


def assign_from_values(var_names_to_values: Mapping[str, Any]) -> tuple[Operation, dict[Tensor, np.ndarray]]:
    """``(assign_op, feed_dict)`` setting each named model variable to the given value."""
    feeds: dict[Tensor, np.ndarray] = {}
    ops = []
    for name, value in var_names_to_values.items():
        found = get_variables(name)
        if not found:
            raise ValueError(f"Variable {name} wasn't found")
        if len(found) > 1:
            raise ValueError(f"Expected only a single variable, found {len(found)} for {name}")
        var = found[0]
        ph = placeholder(var.dtype.base_dtype, var.shape, name=f"placeholder/{var.op.name}")
        ops.append(assign(var, ph))
        feeds[ph] = np.asarray(value).reshape(var.shape.as_list())
    return group(*ops, name="assign_from_values"), feeds


def assign_from_values_fn(var_names_to_values: Mapping[str, Any]) -> Callable[[Any], None]:
    """A function ``fn(session)`` running ``assign_from_values``' op."""
    op, feeds = assign_from_values(var_names_to_values)
    return lambda session: session.run(op, feeds)


class VariableDeviceChooser:
    """A device function placing variables round-robin over ``num_tasks`` parameter-server tasks
    (``/job:ps/task:N/device:CPU:0``) and other ops nowhere in particular."""

    def __init__(self, num_tasks: int = 0, job_name: str = "ps", device_type: str = "CPU",
                 device_index: int = 0, replica: int | None = None) -> None:
        self._job_name, self._device_type, self._device_index = job_name, device_type, device_index
        self._replica, self._num_tasks, self._next_task_id = replica, num_tasks, 0

    def __call__(self, op: Any) -> str:
        parts = []
        if self._job_name:
            parts.append(f"/job:{self._job_name}")
        if self._replica is not None:
            parts.append(f"/replica:{self._replica}")
        if self._num_tasks > 0:
            parts.append(f"/task:{self._next_task_id}")
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
        parts.append(f"/device:{self._device_type}:{self._device_index}")
        return "".join(parts)

