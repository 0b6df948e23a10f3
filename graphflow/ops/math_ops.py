"""tf.math's elementwise functions: those of ``elementwise_ops``, where the rows and the Tensor
operators are, and ``where``, whose one-argument form (the coordinates of the true entries) is a
composite built in index_ops. Op modules import ``elementwise_ops``: only this module stands above
index_ops."""
from __future__ import annotations

from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as _elementwise
from graphflow.ops.elementwise_ops import *  # noqa: F403  (math_ops is their public home)
from graphflow.ops.index_ops import where_indices


def where(condition: TensorLike, x: TensorLike | None = None, y: TensorLike | None = None,
          name: str | None = None) -> Tensor:
    """Pick from ``x`` where ``condition`` holds, else from ``y`` (broadcasting, as where_v2);
    with ``condition`` alone, the int64 coordinates of its true entries."""
    if x is None and y is None:
        return where_indices(condition, name=name)
    if x is None or y is None:
        raise ValueError("gf.where needs both x and y, or neither")
    return _elementwise.where(condition, x, y, name=name)
