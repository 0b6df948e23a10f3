"""TF1's top-level functions that make no op of their own (scopes, grouping, collections'
views, casts built from other ops) and the calls TF2 scripts make to ask for graph mode."""
from __future__ import annotations

import builtins

import numpy as np

from graphflow.core.dtypes import as_dtype
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.ops.math_ops import cast, clip_by_value, identity
from graphflow.ops.state_ops import group, no_op
from graphflow.ops.variables import get_collection, variables_initializer


def name_scope(name: str | None, default_name: str | None = None, values: object = None):  # type: ignore[no-untyped-def]
    """Prefix the names of ops created inside (TF1 ``tf.name_scope``)."""
    return get_default_graph().name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs):  # type: ignore[no-untyped-def]
    """Ops created inside run after ``control_inputs``."""
    return get_default_graph().control_dependencies(control_inputs)


def device(name):  # type: ignore[no-untyped-def]
    """TF1's placement scope: nodes built inside record the device (``op.device``); a graph with a
    node on a GPU makes ``Session()`` run on the CUDA target (docs/cuda.md)."""
    return get_default_graph().device(name)


def tables_initializer(name: str = "init_all_tables"):  # type: ignore[no-untyped-def]
    """graphflow has no lookup tables: an op that does nothing, as TF1's with no tables."""
    return no_op(name=name)


def initialize_variables(var_list, name: str = "init"):  # type: ignore[no-untyped-def]
    return variables_initializer(var_list, name=name)


def tuple(tensors, name=None, control_inputs=None):  # type: ignore[no-untyped-def]  # noqa: A001
    """The tensors, each available only after all of them (and ``control_inputs``) are computed."""
    ts = [t for t in tensors]
    deps = [t for t in ts if t is not None] + builtins.list(control_inputs or [])
    gate = group(*deps)
    with control_dependencies([gate]):
        return [identity(t) if t is not None else None for t in ts]


def moving_average_variables(scope: str | None = None):  # type: ignore[no-untyped-def]
    return get_collection("moving_average_variables", scope)


def model_variables(scope: str | None = None):  # type: ignore[no-untyped-def]
    return get_collection("model_variables", scope)


def saturate_cast(value, dtype, name=None):  # type: ignore[no-untyped-def]
    """``cast`` after clipping to the range of ``dtype``."""
    d = as_dtype(dtype)
    x = convert_to_tensor(value)
    if d.is_floating or d.is_bool or (x.dtype.is_integer and x.dtype.max <= d.max and x.dtype.min >= d.min):
        return cast(x, d, name=name)
    return cast(clip_by_value(x, max(x.dtype.min, d.min) if not x.dtype.is_floating else d.min, d.max), d, name=name)


def no_regularizer(_):  # type: ignore[no-untyped-def]
    return None


def disable_eager_execution() -> None:
    """graphflow is always in graph mode; accepted as a no-op."""


def disable_v2_behavior() -> None:
    """graphflow is always TF1-style; accepted as a no-op."""


def executing_eagerly() -> bool:
    return False


def get_static_value(tensor, partial=False):  # type: ignore[no-untyped-def]
    """The value of ``tensor`` when it follows from constants and static shapes (numpy), else
    None; a non-tensor is returned as an array."""
    if isinstance(tensor, Tensor):
        return static_value(tensor)
    return np.asarray(tensor)
