"""``cumprod``: running products along one axis (TF1's ``exclusive`` and ``reverse`` flags).

``cumsum`` is a product with a triangular matrix (linalg_ops); products have no such form, so
CUMPROD is a primitive. Its gradient is TF1's: ``reverse-cumsum(g * y) / x`` (undefined where x
is 0, as in TF1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, require, same_shape
from graphflow.ops.linalg_ops import cumsum


@dataclass(frozen=True)
class CumAttrs:
    axis: int  # non-negative (resolved against the static rank)
    exclusive: bool
    reverse: bool


def _cumprod_ref(at: CumAttrs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    v = np.flip(x, at.axis) if at.reverse else x
    if at.exclusive:
        pad = [(0, 0)] * x.ndim
        pad[at.axis] = (1, 0)
        v = np.pad(v, pad, constant_values=1)
        v = np.take(v, np.arange(x.shape[at.axis]), axis=at.axis)
    y = np.cumprod(v, axis=at.axis).astype(x.dtype)
    return np.flip(y, at.axis) if at.reverse else y


def _cumprod_vjp(n: Operation, g: Tensor) -> list:
    at: CumAttrs = n.attrs
    x, y = n.inputs[0], n.outputs[0]
    return [cumsum(g * y, at.axis, exclusive=at.exclusive, reverse=not at.reverse) / x]


register(OpDef(Op.CUMPROD, Kind.OTHER, same_shape, require("fi"), _cumprod_ref, vjp=_cumprod_vjp))


def cumprod(x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False,
            name: str | None = None) -> Tensor:
    """Cumulative products along ``axis``.

    >>> import graphflow as gf
    >>> cumprod(gf.constant([1.0, 2.0, 3.0])).shape.as_list()
    [3]
    """
    t = convert_to_tensor(x)
    r = t.shape.rank
    if r is None or not -r <= int(axis) < max(r, 1):
        raise ValueError(f"cumprod axis {axis} is out of range for a tensor of shape {t.shape}")
    return make(Op.CUMPROD, [t], CumAttrs(int(axis) % r, bool(exclusive), bool(reverse)),
                name=name or "Cumprod")

