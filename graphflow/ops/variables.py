"""Variables (TF1 ``tf.Variable``), collections, variable scopes and initializers."""
from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph, user_site
from graphflow.core.registry import Op
from graphflow.core.runtime_hook import session_for
from graphflow.core.shapes import as_shape
from graphflow.core.types import DTypeLike, ShapeLike, TensorLike
from graphflow.ops import state_ops
from graphflow.ops.array_ops import boolean_mask, stack
from graphflow.ops.check_ops import Assert, is_variable_initialized
from graphflow.ops.math_ops import cast, identity, logical_not
from graphflow.ops.reduce_ops import reduce_all
from graphflow.ops.state_ops import constant, no_op


class GraphKeys:
    GLOBAL_VARIABLES = "variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    UPDATE_OPS = "update_ops"
    SUMMARIES = "summaries"
    LOSSES = "losses"
    REGULARIZATION_LOSSES = "regularization_losses"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    QUEUE_RUNNERS = "queue_runners"
    SAVERS = "savers"
    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BIASES = "biases"
    ASSET_FILEPATHS = "asset_filepaths"


def _make_output(node: Operation, index: int) -> Variable:
    v = Tensor.__new__(Variable)
    Tensor.__init__(v, node, index)
    return v


class Variable(Tensor):
    """A mutable tensor kept by the session between runs.

    >>> import graphflow as gf
    >>> w = gf.Variable(gf.zeros((2, 2)), name="w")
    >>> w.name
    'w:0'
    """

    __slots__ = ("initializer", "initial_value", "trainable", "_save_slice_info")

    def __new__(cls, initial_value: TensorLike | Callable[[], TensorLike] | None = None,
                trainable: bool = True, name: str | None = None,
                dtype: DTypeLike | None = None, collections: Sequence[str] | None = None,
                validate_shape: bool = True, **_: object) -> Variable:
        if initial_value is None:
            raise ValueError("gf.Variable needs an initial_value")
        site = user_site()
        g = get_default_graph()
        root = getattr(g, "root", None)
        if root is not None:  # inside a cond / while_loop function: variables live in the graph
            scoped = "/".join(p for p in (g.get_name_scope(), name or "Variable") if p)
            with root.as_default(), root.control_dependencies(None), root.name_scope(None):
                if isinstance(initial_value, Tensor) and initial_value.graph is not root:
                    initial_value = g.lift(initial_value)
                return Variable(initial_value, trainable, scoped, dtype, collections, validate_shape)
        if callable(initial_value):
            initial_value = initial_value()
        init = convert_to_tensor(initial_value, dtype=dtype) if not isinstance(initial_value, Tensor) \
            else initial_value
        if dtype is not None and _dt.as_dtype(dtype) != init.dtype:
            init = cast(init, dtype)
        if validate_shape and not init.shape.is_fully_defined():
            raise ValueError(f"initial value of variable '{name or 'Variable'}' must have a fully "
                             f"defined shape, got {init.shape} (created at {site})")
        g = init.graph
        attrs = state_ops.SourceAttrs(init.dtype, init.shape, state_ops._next_uid())
        with g.control_dependencies(None):
            node = g.add_node(Op.VARIABLE, [], attrs, name=name or "Variable",
                              output_type=_make_output, site=site)
            var = node.outputs[0]
            assert isinstance(var, Variable)
            var.initial_value = init
            var.trainable = trainable
            var.initializer = state_ops.assign(var, init, name=node.name + "/Assign").node
        keys = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in keys:
            keys.append(GraphKeys.TRAINABLE_VARIABLES)
        g.add_to_collections(keys, var)
        return var

    def __init__(self, *args: object, **kwargs: object) -> None:  # built in __new__
        pass

    # TF1 API
    def assign(self, value: TensorLike, use_locking: bool = False, name: str | None = None,
               read_value: bool = True) -> Tensor:
        return state_ops.assign(self, value, "set", name)

    def assign_add(self, delta: TensorLike, use_locking: bool = False, name: str | None = None,
                   read_value: bool = True) -> Tensor:
        return state_ops.assign(self, delta, "add", name)

    def assign_sub(self, delta: TensorLike, use_locking: bool = False, name: str | None = None,
                   read_value: bool = True) -> Tensor:
        return state_ops.assign(self, delta, "sub", name)

    def value(self) -> Tensor:
        return self

    def read_value(self) -> Tensor:
        return identity(self, name=self.node.name + "/read")

    def initialized_value(self) -> Tensor:
        return self.initial_value

    def load(self, value: TensorLike, session: object = None) -> None:
        session_for(self.graph, session).load_variable(self, value)

    @property
    def device(self) -> str:
        return self.node.device

    def __repr__(self) -> str:
        return f"<gf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def is_variable(t: object) -> bool:
    return isinstance(t, Variable)


# ---- collections ---------------------------------------------------------------------------------

def get_collection(key: str, scope: str | None = None) -> list[Any]:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list[Any]:
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name: str, value: object) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names: Sequence[str], value: object) -> None:
    get_default_graph().add_to_collections(names, value)


def global_variables(scope: str | None = None) -> list[Variable]:
    return get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    return get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Variable]:
    return get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list: Sequence[Variable], name: str = "init") -> Operation:
    return state_ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    """One op that runs every global variable's initializer."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init_local")


initialize_all_variables = global_variables_initializer


# ---- initializers ----------------------------------------------------------------------------------

class Initializer:
    """Callable ``(shape, dtype) -> Tensor``, as TF1's initializer objects."""

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = _dt.float32,
                 partition_info: object = None) -> Tensor:
        raise NotImplementedError  # each subclass defines it


# what ``get_variable`` and ``variable_scope`` take as an initializer: an initializer object or a
# callable ``(shape, dtype=...) -> Tensor``, or the initial value itself (a tensor, an array, a scalar)
InitializerLike = Union[Initializer, Callable[..., Tensor], TensorLike]

class zeros_initializer(Initializer):  # noqa: N801 - TF1 names
    def __init__(self, dtype: DTypeLike = _dt.float32) -> None:
        self.dtype = dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        return state_ops.zeros(shape, dtype or self.dtype)


class ones_initializer(Initializer):  # noqa: N801
    def __init__(self, dtype: DTypeLike = _dt.float32) -> None:
        self.dtype = dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        return state_ops.ones(shape, dtype or self.dtype)


class constant_initializer(Initializer):  # noqa: N801
    def __init__(self, value: TensorLike = 0, dtype: DTypeLike = _dt.float32) -> None:
        self.value = value
        self.dtype = dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dt = _dt.as_dtype(dtype or self.dtype)
        arr = np.asarray(self.value)
        if arr.size == 1:
            return state_ops.fill(shape, state_ops.constant(arr.reshape(()), dtype=dt))
        return state_ops.constant(arr, dtype=dt, shape=shape)


class random_normal_initializer(Initializer):  # noqa: N801
    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: DTypeLike = _dt.float32) -> None:
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        return state_ops.random_normal(shape, self.mean, self.stddev, dtype or self.dtype, self.seed)


class truncated_normal_initializer(Initializer):  # noqa: N801
    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: DTypeLike = _dt.float32) -> None:
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        return state_ops.truncated_normal(shape, self.mean, self.stddev, dtype or self.dtype, self.seed)


class random_uniform_initializer(Initializer):  # noqa: N801
    """Uniform in [minval, maxval); TF1's defaults: [0, 1) for floats (``maxval`` None)."""

    def __init__(self, minval: float = 0.0, maxval: float | None = None, seed: int | None = None,
                 dtype: DTypeLike = _dt.float32) -> None:
        self.minval, self.maxval, self.seed, self.dtype = minval, maxval, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        return state_ops.random_uniform(shape, self.minval, self.maxval, dtype or self.dtype, self.seed)


def _fans(shape: Sequence[int]) -> tuple[float, float]:
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class variance_scaling_initializer(Initializer):  # noqa: N801
    """TF1's VarianceScaling: ``scale / n`` variance with n from fan_in / fan_out / fan_avg."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, dtype: DTypeLike = _dt.float32) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed, self.dtype = scale, mode, distribution, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dims = as_shape(shape).as_list()
        fan_in, fan_out = _fans(dims)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, n)
        dt = dtype or self.dtype
        if self.distribution == "truncated_normal":
            return state_ops.truncated_normal(dims, 0.0, math.sqrt(scale) / 0.87962566103423978, dt, self.seed)
        if self.distribution == "untruncated_normal":
            return state_ops.random_normal(dims, 0.0, math.sqrt(scale), dt, self.seed)
        limit = math.sqrt(3.0 * scale)
        return state_ops.random_uniform(dims, -limit, limit, dt, self.seed)


def glorot_uniform_initializer(seed: int | None = None, dtype: DTypeLike = _dt.float32) -> Initializer:
    return variance_scaling_initializer(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal_initializer(seed: int | None = None, dtype: DTypeLike = _dt.float32) -> Initializer:
    return variance_scaling_initializer(1.0, "fan_avg", "truncated_normal", seed, dtype)


# ---- variable scopes ---------------------------------------------------------------------------------

class _ReuseMode:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class VariableScope:
    def __init__(self, name: str, reuse: bool | _ReuseMode | None, initializer: InitializerLike | None = None) -> None:
        self.name = name
        self.reuse = reuse
        self.initializer = initializer
        self.original_name_scope = name + "/" if name else ""

    def reuse_variables(self) -> None:
        self.reuse = True


def _current_scope() -> VariableScope:
    g = get_default_graph()
    return g._var_scope[-1] if g._var_scope else VariableScope("", False)


@contextlib.contextmanager
def variable_scope(name_or_scope: str | VariableScope | None, default_name: str | None = None, values: object = None,
                   initializer: InitializerLike | None = None, reuse: bool | _ReuseMode | None = None,
                   **_: object) -> Iterator[VariableScope]:
    """Prefix for ``get_variable`` names (and a name scope); ``reuse=True`` shares variables."""
    g = get_default_graph()
    parent = _current_scope()
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
    else:
        name = name_or_scope if name_or_scope is not None else default_name
        if name is None:
            raise ValueError("variable_scope needs a name or a default_name")
        if name_or_scope is None:  # default_name: numbered as TF1 numbers scopes (dense, dense_1, ...)
            name = g.unique_name(name).rsplit("/", 1)[-1]
        full = f"{parent.name}/{name}" if parent.name else name
    if reuse is None or reuse is False:
        reuse = parent.reuse if parent.reuse else reuse
    scope = VariableScope(full, reuse, initializer if initializer is not None else parent.initializer)
    g._var_scope.append(scope)
    try:
        with g.name_scope(full + "/" if not isinstance(name_or_scope, str) else name_or_scope):
            yield scope
    finally:
        g._var_scope.pop()


def get_variable_scope() -> VariableScope:
    return _current_scope()


def get_variable(name: str, shape: ShapeLike = None, dtype: DTypeLike | None = None,
                 initializer: InitializerLike | None = None,
                 regularizer: Callable[[Variable], Tensor | None] | None = None, trainable: bool = True,
                 collections: Sequence[str] | None = None,
                 **_: object) -> Variable:
    """Create or (under ``variable_scope(..., reuse=True)``) fetch a named variable.

    The default initializer is glorot_uniform, as in TF1.
    """
    g = get_default_graph()
    scope = _current_scope()
    full = f"{scope.name}/{name}" if scope.name else name
    store = g._var_scope_store
    if full in store:
        if scope.reuse is False or scope.reuse is None:
            raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                             f"reuse=True or reuse=gf.AUTO_REUSE in variable_scope? (at {user_site()})")
        var = store[full]
        if shape is not None and not as_shape(shape).is_compatible_with(var.shape):
            raise ValueError(f"Trying to share variable {full}, but specified shape {as_shape(shape)} "
                             f"and found shape {var.shape}")
        return var
    if scope.reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with get_variable(); "
                         f"reuse=True needs it to exist (at {user_site()})")
    init = initializer if initializer is not None else scope.initializer
    if dtype is None and initializer is not None and (isinstance(init, Tensor) or not callable(init)):
        init = convert_to_tensor(init)  # TF1: a variable initialised from a value takes the value's dtype
    dt = _dt.as_dtype(dtype) if dtype is not None else init.dtype if isinstance(init, Tensor) else _dt.float32
    if init is None:
        init = glorot_uniform_initializer() if dt.is_floating else zeros_initializer()
    with g.name_scope(None):
        if isinstance(init, Tensor) or not callable(init):
            initial = init if isinstance(init, Tensor) else state_ops.constant(init, dtype=dt)
        else:
            if shape is None:
                raise ValueError(f"get_variable('{full}') needs a shape when the initializer is callable")
            with g.name_scope(full + "/Initializer/"):
                initial = init(as_shape(shape).as_list(), dtype=dt)
        var = Variable(initial, trainable=trainable, name=full, dtype=dt, collections=collections)
    store[full] = var
    if regularizer is not None:
        with g.name_scope(full + "/Regularizer/"):
            reg = regularizer(var)
        if reg is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, reg)
    return var


# ---- initialisation reports (their answers come from the session running them) -------------------

def _is_initialized(v: Tensor) -> Tensor:
    return is_variable_initialized(v)


def _Assert(condition: TensorLike, data: Sequence[TensorLike]) -> Operation:  # noqa: N802
    return Assert(condition, data)


def report_uninitialized_variables(var_list: Sequence[Variable] | None = None,
                                   name: str = "report_uninitialized_variables") -> Tensor:
    """The names (a 1-D string tensor) of the variables of ``var_list`` (default: global and
    local variables) not yet initialized in the session."""
    vs = list(var_list) if var_list is not None else global_variables() + local_variables()
    if not vs:
        return constant(np.zeros(0, dtype=object), dtype="string", name=name)
    names = constant([v.node.name for v in vs], name=name + "/names")
    done = stack([_is_initialized(v) for v in vs])
    return boolean_mask(names, logical_not(done), name=name)


def assert_variables_initialized(var_list: Sequence[Variable] | None = None) -> Operation:
    """An op that fails the run when a variable of ``var_list`` is not initialized."""
    vs = list(var_list) if var_list is not None else global_variables()
    flags = stack([_is_initialized(v) for v in vs]) if vs else None
    if flags is None:
        return no_op()
    return _Assert(reduce_all(flags), [f"variables not initialized: {[v.node.name for v in vs]}"])
