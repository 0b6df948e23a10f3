"""TF1's persistent session tensors: ``tf.get_session_handle`` keeps a value in the session that
runs it and returns a string handle naming it; ``tf.get_session_tensor`` reads it back in a later
run, fed only the handle; ``tf.delete_session_tensor`` frees it.

The three ops are host ops the session answers (runtime/session_tensors.py), as
``is_variable_initialized`` is: their values live in the session's state and go when it closes.
``Session.run`` returns a fetched handle as a ``TensorHandle`` (core/session_handle.py, re-exported
here); a ``TensorHandle`` fed for a tensor feeds the value it names, as in TF1. As in TF1, a
value lives as long as its ``TensorHandle`` object: the session frees a collected handle's value
at the start of its next run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import NO_ATTRS
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.nodes import make_node
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.session_handle import TensorHandle
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike
from graphflow.ops.constant_ops import placeholder

__all__ = ["TensorHandle", "delete_session_tensor", "get_session_handle", "get_session_tensor"]


@dataclass(frozen=True)
class SessionTensorAttrs:
    dtype: DType  # the kept value's


def _needs_session(at: object, *args: np.ndarray) -> np.ndarray:
    raise ValueError("session tensors live in a session: only a session's run evaluates this op")


register(OpDef(Op.GET_SESSION_HANDLE, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.string],
               _needs_session, no_gradient=True, stateful=True))
register(OpDef(Op.GET_SESSION_TENSOR, Kind.HOST, lambda s, at: [TensorShape(None)], lambda d, at: [at.dtype],
               _needs_session, no_gradient=True, stateful=True))
register(OpDef(Op.DELETE_SESSION_TENSOR, Kind.HOST, lambda s, at: [], lambda d, at: [],
               _needs_session, no_gradient=True, stateful=True))


def get_session_handle(data: Tensor, name: str | None = None) -> Tensor:
    """A string scalar: the handle of ``data``'s value, which the session running this op keeps
    (``Session.run`` returns it as a ``TensorHandle``).

    >>> import graphflow as gf
    >>> gf.get_session_handle(gf.constant([1.0, 2.0])).dtype
    gf.string
    """
    if not isinstance(data, Tensor):
        raise TypeError("`data` must be of type Tensor.")
    return make_node(Op.GET_SESSION_HANDLE, [data], NO_ATTRS, name=name or "GetSessionHandle").outputs[0]


def get_session_tensor(handle: object, dtype: DTypeLike, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(a string placeholder to feed a handle to, the ``dtype`` value that handle names).
    ``handle`` is only a hint, as in TF1 (which takes the device from it).

    >>> import graphflow as gf
    >>> holder, value = gf.get_session_tensor("", gf.float32)
    >>> holder.dtype, value.dtype
    (gf.string, gf.float32)
    """
    holder = placeholder(_dt.string)
    return holder, read_session_tensor(holder, dtype, name)


def read_session_tensor(handle: Tensor, dtype: DTypeLike, name: str | None = None) -> Tensor:
    """The ``dtype`` value the string tensor ``handle`` names (TF1's ``GetSessionTensor`` node)."""
    node = make_node(Op.GET_SESSION_TENSOR, [handle], SessionTensorAttrs(_dt.as_dtype(dtype)),
                     name=name or "GetSessionTensor")
    return node.outputs[0]


def free_session_tensor(handle: Tensor, name: str | None = None) -> Operation:
    """The op that frees the value the string tensor ``handle`` names (TF1's ``DeleteSessionTensor``)."""
    return make_node(Op.DELETE_SESSION_TENSOR, [handle], NO_ATTRS, name=name or "DeleteSessionTensor")


def delete_session_tensor(handle: object, name: str | None = None) -> tuple[Tensor, Operation]:
    """(a string placeholder to feed a handle to, the op that frees the value it names).

    >>> import graphflow as gf
    >>> holder, deleter = gf.delete_session_tensor("")
    >>> deleter.type
    'DeleteSessionTensor'
    """
    holder = placeholder(_dt.string)
    return holder, free_session_tensor(holder, name)
