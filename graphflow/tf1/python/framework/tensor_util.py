"""``from tensorflow.python.framework import tensor_util``: a tensor's value when it follows from
constants (``constant_value``), and TF's ``TensorProto`` messages (``make_tensor_proto``,
``MakeNdarray``; TensorBoard's copy of the message, an optional dependency)."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor
from graphflow.ops.misc_ops import is_tensor
from graphflow.tf1.framework_utils import make_ndarray, make_tensor_proto

__all__ = ["MakeNdarray", "TensorShapeProtoToList", "constant_value", "is_tensor", "make_tensor_proto"]

MakeNdarray = make_ndarray


def constant_value(tensor: Any, partial: bool = False) -> np.ndarray | None:
    """The value of ``tensor`` when it follows from constants and static shapes, else None (as
    TF1's). A non-tensor is returned as an array.

    >>> import graphflow as gf
    >>> from graphflow.python.framework import tensor_util
    >>> tensor_util.constant_value(gf.constant([1, 2]) * 2).tolist()
    [2, 4]
    """
    if isinstance(tensor, Tensor):
        value = static_value(tensor)
        return None if value is None else np.asarray(value)
    return np.asarray(tensor)


def TensorShapeProtoToList(shape: Any) -> list[int]:  # noqa: N802 - TF1's name
    """A ``TensorShapeProto``'s dims as a list of ints (-1 for an unknown dim, as in the message)."""
    return [d.size for d in shape.dim]
