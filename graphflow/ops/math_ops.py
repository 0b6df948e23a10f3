"""tf.math's elementwise functions: those of ``elementwise_ops``, where the rows and the Tensor
operators are, and ``where``, whose one-argument form (the coordinates of the true entries) is a
composite built in index_ops, and TF1's ``where_v1``, which picks rows by a vector. Op modules
import ``elementwise_ops``: only this module stands above index_ops."""
from __future__ import annotations

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as _elementwise
from graphflow.ops.elementwise_ops import *  # noqa: F403  (math_ops is their public home)
from graphflow.ops.index_ops import where_indices
from graphflow.ops.shape_ops import reshape as _reshape


def where(condition: TensorLike, x: TensorLike | None = None, y: TensorLike | None = None,
          name: str | None = None) -> Tensor:
    """Pick from ``x`` where ``condition`` holds, else from ``y`` (broadcasting, as where_v2);
    with ``condition`` alone, the int64 coordinates of its true entries."""
    if x is None and y is None:
        return where_indices(condition, name=name)
    if x is None or y is None:
        raise ValueError("gf.where needs both x and y, or neither")
    return _elementwise.where(condition, x, y, name=name)


def where_v1(condition: TensorLike, x: TensorLike | None = None, y: TensorLike | None = None,
             name: str | None = None) -> Tensor:
    """TF1's ``tf.where``: as ``where``, but a vector ``condition`` with ``x`` and ``y`` of higher
    rank picks whole rows (its length is their first dim), where ``where_v2`` would broadcast it
    along their last dim.

    >>> import graphflow as gf
    >>> gf.where(gf.constant([True, False]), gf.ones([2, 2]), gf.zeros([2, 2])).shape.as_list()
    [2, 2]
    """
    if x is None or y is None:
        return where(condition, x, y, name=name)
    c = convert_to_tensor(condition)
    a, b = _elementwise.as_tensors(x, y)
    rank = max(a.shape.rank or 0, b.shape.rank or 0)
    if c.shape.rank == 1 and rank > 1:
        rows, first = c.shape.as_list()[0], (a.shape.as_list()[0] if a.shape.rank == rank else b.shape.as_list()[0])
        if rows is not None and first is not None and rows != first:
            raise ValueError(f"tf.where: a vector condition picks rows, so its length must be x's first dim: got "
                             f"condition {c.shape} and x {a.shape}")
        c = _reshape(c, [-1] + [1] * (rank - 1))
    return _elementwise.where(c, a, b, name=name)
