"""Top-level TF1 utilities: ``tf.make_template``, ``tf.make_tensor_proto`` / ``tf.make_ndarray``,
``tf.convert_to_tensor_or_sparse_tensor`` / ``_or_indexed_slices`` and ``tf.timestamp``."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from graphflow.core.dtypes import as_dtype, float64
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike
from graphflow.ops.indexed_slices import IndexedSlices
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.sparse_ops import SparseTensor, SparseTensorValue
from graphflow.ops.variables import GraphKeys, VariableScope, variable_scope

if TYPE_CHECKING:
    from tensorboard.compat.proto.tensor_pb2 import TensorProto

__all__ = ["Template", "make_template", "make_tensor_proto", "make_ndarray", "convert_to_tensor_or_sparse_tensor",
           "convert_to_tensor_or_indexed_slices", "timestamp"]


def _tensor_util() -> Any:
    try:
        from tensorboard.util import tensor_util
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("TensorProto messages are TensorFlow's published protobufs, shipped by TensorBoard: "
                          "pip install tensorboard (or graphflow's 'tensorboard' extra)") from e
    return tensor_util


def make_tensor_proto(values: npt.ArrayLike, dtype: DTypeLike | None = None, shape: Any = None,
                      verify_shape: bool = False, allow_broadcast: bool = False) -> TensorProto:
    """``values`` as TF's ``TensorProto`` (the message graph files hold constants in); ``shape``
    reshapes, or fills from a single value, as TF1 does.

    >>> import graphflow as gf
    >>> gf.make_ndarray(gf.make_tensor_proto([1, 2], dtype=gf.float32)).tolist()
    [1.0, 2.0]
    """
    from tensorboard.compat.tensorflow_stub import dtypes as tb_dtypes
    if isinstance(values, Tensor):
        raise TypeError(f"make_tensor_proto takes values, not a graph tensor ({values.name}); run it first")
    tb_dtype = None if dtype is None else tb_dtypes.as_dtype(as_dtype(dtype).np)
    if shape is not None and allow_broadcast and np.size(values) > 1:
        values = np.broadcast_to(np.asarray(values), tuple(shape))
    return _tensor_util().make_tensor_proto(values, dtype=tb_dtype, shape=shape, verify_shape=verify_shape)


def make_ndarray(tensor: TensorProto) -> np.ndarray:
    """A ``TensorProto``'s value as a numpy array."""
    return np.asarray(_tensor_util().make_ndarray(tensor))


def _check_dtype(value: Any, dtype: DTypeLike | None) -> None:
    if dtype is not None and as_dtype(dtype) != value.dtype:
        raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for a value of dtype "
                         f"{value.dtype.name}: {value!r}")


def convert_to_tensor_or_sparse_tensor(value: Any, dtype: DTypeLike | None = None,
                                       name: str | None = None) -> Tensor | SparseTensor:
    """A ``SparseTensor`` (or a ``SparseTensorValue`` made one) as it is, anything else as a tensor."""
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        _check_dtype(value, dtype)
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_to_tensor_or_indexed_slices(value: Any, dtype: DTypeLike | None = None,
                                        name: str | None = None) -> Tensor | SparseTensor | IndexedSlices:
    """A composite tensor (``IndexedSlices``, ``SparseTensor``) as it is, anything else as a tensor.

    >>> import graphflow as gf
    >>> s = gf.IndexedSlices(gf.constant([[1.0]]), gf.constant([0]), gf.constant([2, 1]))
    >>> gf.convert_to_tensor_or_indexed_slices(s) is s
    True
    """
    if isinstance(value, (SparseTensor, IndexedSlices)):
        _check_dtype(value, dtype)
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def timestamp(name: str | None = None) -> Tensor:
    """A float64 scalar op: the time in seconds since the epoch when it runs (new on every run).

    >>> import graphflow as gf
    >>> t = gf.timestamp()
    """
    t = py_func(lambda: np.float64(time.time()), [], float64, stateful=True, name=name or "Timestamp")
    t.set_shape([])
    return t


class Template:
    """A function whose variables (``gf.get_variable``) are created on the first call and reused
    on every later one (``gf.make_template``)."""

    def __init__(self, name: str, func: Callable[..., Any], create_scope_now: bool = False,
                 unique_name: str | None = None, custom_getter: object = None) -> None:
        if not name:
            raise ValueError("name cannot be None.")
        self._name, self._func, self._unique_name = name, func, unique_name
        self._scope: VariableScope | None = None
        self._first_call = True
        if create_scope_now:
            with variable_scope(unique_name, default_name=name) as scope:
                self._scope = scope

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._scope is not None:
            with variable_scope(self._scope, reuse=not self._first_call):
                return self._call(args, kwargs)
        with variable_scope(self._unique_name, default_name=self._name) as scope:
            self._scope = scope
            return self._call(args, kwargs)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        graph = get_default_graph()
        before = len(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
        result = self._func(*args, **kwargs)
        if not self._first_call and len(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)) != before:
            raise ValueError("Trainable variable created when calling a template after the first time, perhaps "
                             "you used tf.Variable when you meant tf.get_variable: "
                             f"{graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)[before:]}")
        self._first_call = False
        return result

    @property
    def name(self) -> str:
        return self._name

    @property
    def variable_scope(self) -> VariableScope | None:
        return self._scope

    @property
    def variable_scope_name(self) -> str:
        return self._scope.name if self._scope is not None else ""

    def _variables(self, key: str) -> list[Any]:
        if self._scope is None:
            return []
        return get_default_graph().get_collection(key, scope=self._scope.name + "/")

    @property
    def global_variables(self) -> list[Any]:
        return self._variables(GraphKeys.GLOBAL_VARIABLES)

    @property
    def trainable_variables(self) -> list[Any]:
        return self._variables(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def local_variables(self) -> list[Any]:
        return self._variables(GraphKeys.LOCAL_VARIABLES)

    variables = global_variables


def make_template(name_: str, func_: Callable[..., Any], create_scope_now_: bool = False,
                  unique_name_: str | None = None, custom_getter_: object = None, **kwargs: Any) -> Template:
    """``func_`` (with ``kwargs`` bound) as a ``Template``: its variables are shared by every call.

    >>> import graphflow as gf
    >>> dense = gf.make_template("dense", lambda x: x * gf.get_variable("w", [], initializer=gf.ones_initializer()))
    >>> a, b = dense(gf.constant(1.0)), dense(gf.constant(2.0))
    >>> len(gf.trainable_variables())
    1
    """
    if custom_getter_ is not None:
        raise NotImplementedError("make_template: graphflow's get_variable has no custom getters")
    func = (lambda *a, **k: func_(*a, **{**kwargs, **k})) if kwargs else func_
    return Template(name_, func, create_scope_now_, unique_name_, custom_getter_)

