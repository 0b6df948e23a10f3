"""Composites of ``gradients``: ``hessians`` (TF1's ``tf.hessians``), built from the autodiff
driver of the core and the op layer's reshape, stack and unstack."""
from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.ops.concat_ops import stack, unstack
from graphflow.ops.shape_ops import reshape


def hessians(ys: TensorLike | Sequence[TensorLike], xs: Tensor | Sequence[Tensor],
             name: str = "hessians") -> list[Tensor | None]:
    """Second derivatives of scalar ``ys`` for each (scalar or vector) x, by differentiating twice.

    >>> import graphflow as gf
    >>> x = gf.constant([1.0, 2.0])
    >>> (h,) = gf.hessians(gf.reduce_sum(x * x * x), x)
    >>> h.shape.as_list()
    [2, 2]
    """
    out: list[Tensor | None] = []
    for x in (list(xs) if isinstance(xs, (list, tuple)) else [cast(Tensor, xs)]):
        (g,) = gradients(ys, [x], name=name)
        if g is None:
            out.append(None)
            continue
        flat = reshape(g, [-1])
        rows = [gradients(gi, [x], name=name)[0] for gi in unstack(flat)]
        out.append(stack(rows))  # type: ignore[arg-type]  # (a None row, x absent from it, fails in stack)
    return out
