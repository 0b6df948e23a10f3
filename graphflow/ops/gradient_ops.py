"""Gradients as ops: the CUSTOM_GRADIENT primitive (``@gf.custom_gradient``: its value is its
first input, its gradient the user's function), and ``hessians`` (TF1's ``tf.hessians``), a
composite of the core's autodiff driver and the op layer's reshape, stack and unstack."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.types import TensorLike
from graphflow.ops._build import same_shape
from graphflow.ops.concat_ops import stack, unstack
from graphflow.ops.shape_ops import reshape


@dataclass(frozen=True, eq=False)
class CustomGradAttrs:
    grad_fn: Callable[..., Any]  # the user's function: dy -> one gradient (or None) per input
    num_inputs: int


def _custom_vjp(n: Operation, g: Tensor) -> list:
    grads = n.attrs.grad_fn(g)
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    if len(grads) != n.attrs.num_inputs:
        raise ValueError(f"custom gradient of {n.describe()} returned {len(grads)} gradients for "
                         f"{n.attrs.num_inputs} inputs")
    return [None] + [None if g is None else convert_to_tensor(g) for g in grads]


register(OpDef(Op.CUSTOM_GRADIENT, Kind.OTHER, same_shape, lambda d, at: [d[0]],
               lambda at, y, *xs: y.copy(), vjp=_custom_vjp))


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
