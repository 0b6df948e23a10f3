"""``from tensorflow.python.ops import inplace_ops``: TF1's in-place row updates, as functional ones.

TF1's ``alias_inplace_update(x, i, v)`` writes rows ``i`` of ``x``'s buffer and returns it (so other
readers of ``x`` may see the change); graphflow's tensors are values, so every function here
returns a new tensor and leaves ``x`` as it was (docs/differences.md)."""
from __future__ import annotations

from collections.abc import Callable

from graphflow.core.dtypes import int32
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.array_extras import tensor_scatter_nd_add, tensor_scatter_nd_sub, tensor_scatter_nd_update
from graphflow.ops.elementwise_ops import cast
from graphflow.ops.shape_ops import expand_dims, reshape, shape

__all__ = ["alias_inplace_add", "alias_inplace_sub", "alias_inplace_update", "inplace_add", "inplace_sub",
           "inplace_update"]

_Scatter = Callable[[TensorLike, TensorLike, TensorLike], Tensor]


def _rows(scatter: _Scatter, x: TensorLike, i: TensorLike | None, v: TensorLike) -> Tensor:
    """``scatter`` of ``v`` into rows ``i`` of ``x`` (a scalar ``i`` takes one row; None, all of x)."""
    xt, vt = convert_to_tensor(x), convert_to_tensor(v)
    if i is None:
        flat = scatter(reshape(xt, [1, -1]), [[0]], reshape(vt, [1, -1]))
        return reshape(flat, shape(xt))
    it = cast(convert_to_tensor(i), int32)
    if it.shape.rank == 0:
        it, vt = expand_dims(it, 0), expand_dims(vt, 0)
    return scatter(xt, expand_dims(it, 1), vt)


def alias_inplace_update(x: TensorLike, i: TensorLike | None, v: TensorLike) -> Tensor:
    """``x`` with rows ``i`` replaced by ``v`` (a new tensor: see the module's note).

    >>> import graphflow as gf
    >>> from graphflow.python.ops import inplace_ops
    >>> y = inplace_ops.alias_inplace_update(gf.zeros([3, 2]), 1, [5.0, 6.0])
    """
    return _rows(tensor_scatter_nd_update, x, i, v)


def alias_inplace_add(x: TensorLike, i: TensorLike | None, v: TensorLike) -> Tensor:
    """``x`` with ``v`` added to rows ``i``."""
    return _rows(tensor_scatter_nd_add, x, i, v)


def alias_inplace_sub(x: TensorLike, i: TensorLike | None, v: TensorLike) -> Tensor:
    """``x`` with ``v`` subtracted from rows ``i``."""
    return _rows(tensor_scatter_nd_sub, x, i, v)


inplace_update, inplace_add, inplace_sub = alias_inplace_update, alias_inplace_add, alias_inplace_sub
