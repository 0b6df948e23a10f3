"""TF1's top-level functions that make no op of their own (scopes, grouping, collections'
views, casts built from other ops) and the calls TF2 scripts make to ask for graph mode."""
from __future__ import annotations

import builtins
import contextlib
import enum
from collections.abc import Iterator

import numpy as np

from graphflow.core.dtypes import as_dtype
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.ops.math_ops import cast, clip_by_value, identity
from graphflow.ops.state_ops import group, no_op
from graphflow.ops.variables import get_collection, get_variable, variable_scope, variables_initializer


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


# ---- switches TF1 scripts flip, and scopes that only place or group -------------------------------

_SWITCHES = {"resource_variables": False, "control_flow_v2": False, "tensor_equality": False,
             "v2_tensorshape": False}


def _switch(name: str, on: bool) -> None:
    _SWITCHES[name] = on


def enable_resource_variables() -> None:
    """Accepted: graphflow's variables behave as TF1's resource variables do for reads after writes."""
    _switch("resource_variables", True)


def disable_resource_variables() -> None:
    _switch("resource_variables", False)


def resource_variables_enabled() -> bool:
    return _SWITCHES["resource_variables"]


def enable_control_flow_v2() -> None:
    """Accepted: graphflow has one control flow (while_loop and cond lower to native loops and branches)."""
    _switch("control_flow_v2", True)


def disable_control_flow_v2() -> None:
    _switch("control_flow_v2", False)


def control_flow_v2_enabled() -> bool:
    return _SWITCHES["control_flow_v2"]


def enable_tensor_equality() -> None:
    """Refused: graphflow's ``==`` on tensors compares identities, as TF1's (use ``tf.equal``)."""
    raise NotImplementedError("graphflow keeps TF1's Tensor equality (identity; hashable tensors): "
                              "compare values with tf.equal")


def disable_tensor_equality() -> None:
    _switch("tensor_equality", False)


def enable_v2_tensorshape() -> None:
    """Refused: graphflow's TensorShape dims are TF1's (``shape[0]`` a Dimension-like int or None)."""
    raise NotImplementedError("graphflow keeps TF1's TensorShape behaviour")


def disable_v2_tensorshape() -> None:
    _switch("v2_tensorshape", False)


def enable_eager_execution(config: object = None, device_policy: object = None,
                           execution_mode: object = None) -> None:
    """Refused: graphflow builds graphs and runs them in sessions (define-then-run)."""
    raise NotImplementedError("graphflow has no eager mode: build the graph, then run it with gf.Session().run")


def enable_v2_behavior() -> None:
    """Refused: graphflow is TF1's graph mode (``disable_v2_behavior`` is accepted)."""
    raise NotImplementedError("graphflow implements TF1's graph-mode behaviour only")


def executing_eagerly_outside_functions() -> bool:
    return False


def colocate_with(op: object, ignore_existing: bool = False):  # type: ignore[no-untyped-def]
    """Place ops built inside with ``op``: on one machine with the placement ``op`` has (TF1 also
    colocates; graphflow places by device only)."""
    node = getattr(op, "op", op)
    return get_default_graph().device(getattr(node, "device", "") or None)


@contextlib.contextmanager
def container(container_name: str) -> Iterator[None]:
    """TF1's resource container scope: graphflow's variables live in their session, so it only
    scopes nothing (accepted for scripts that use it)."""
    yield


def op_scope(values: object, name: str, default_name: str | None = None):  # type: ignore[no-untyped-def]
    """TF1's deprecated ``op_scope(values, name)``: ``name_scope(name, default_name)``."""
    return name_scope(name, default_name)


def all_variables():  # type: ignore[no-untyped-def]
    """TF1's deprecated name of ``global_variables()``."""
    return get_collection("variables")


def initialize_all_tables(name: str = "init_all_tables"):  # type: ignore[no-untyped-def]
    """TF1's deprecated name of ``tables_initializer()``."""
    return tables_initializer(name)


def guarantee_const(input, name=None):  # type: ignore[no-untyped-def]  # noqa: A002
    """``input`` unchanged (TF1's hint that it is constant while the graph runs)."""
    return identity(input, name=name)


def dimension_value(dimension):  # type: ignore[no-untyped-def]
    """A dimension as an int or None (graphflow's dims already are)."""
    return getattr(dimension, "value", dimension)


def dimension_at_index(shape, index):  # type: ignore[no-untyped-def]
    """Dimension ``index`` of ``shape`` (None for a shape of unknown rank)."""
    dims = getattr(shape, "dims", shape)
    return None if dims is None else dims[index]


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,  # type: ignore[no-untyped-def]
                       trainable=False, collections=None, **kwargs):
    """``get_variable`` of a local variable (in ``LOCAL_VARIABLES``, not trained, not saved by default)."""
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                        trainable=False, collections=list(collections or []) + ["local_variables"], **kwargs)


def variable_op_scope(values, name_or_scope, default_name=None, **kwargs):  # type: ignore[no-untyped-def]
    """TF1's deprecated ``variable_op_scope(values, name_or_scope)``: ``variable_scope``."""
    return variable_scope(name_or_scope, default_name=default_name, values=values, **kwargs)


# ---- TF1's enumerations of gradient and variable options ---------------------------------------------

class AggregationMethod:
    """How ``gradients`` adds the gradients of a tensor used several times (graphflow adds them
    with one ``add_n`` whatever is asked)."""
    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(enum.Enum):
    """What ``gradients`` returns for an ``x`` the ``ys`` do not depend on: None or zeros."""
    NONE = "none"
    ZERO = "zero"


class VariableSynchronization(enum.Enum):
    """Where a distributed variable is synchronised (graphflow's variables live in one session)."""
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How a distributed variable's updates combine (graphflow's MPI ranks average gradients)."""
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3
