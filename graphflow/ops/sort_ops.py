"""Ordering along the last axis: ``nn.top_k``.

``top_k``'s one primitive is the indices of the k largest entries of each row (TOP_K_INDICES: a
stable descending sort, so of equal values the lower index comes first, as TF1); the values are
then read through a one-hot product, so their gradient (the incoming gradient scattered back to
those indices) follows from existing rules.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow import dtypes as _dt
from graphflow.ir import Tensor, convert_to_tensor
from graphflow.ops._build import make, require
from graphflow.registry import Kind, Op, OpDef, register
from graphflow.shapes import TensorShape

__all__ = ["sort_indices", "top_k"]


@dataclass(frozen=True)
class TopKAttrs:
    k: int | None  # None: the whole axis (a full stable sort)


def _top_k_shape(shapes: Sequence[TensorShape], at: TopKAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    last = s.dims[-1]  # type: ignore[index]
    if at.k is None:
        return [s]
    if last is not None and last < at.k:
        raise ValueError(f"top_k needs at least k={at.k} entries in the last dim, got shape {s}")
    return [TensorShape(list(s.dims[:-1]) + [at.k])]  # type: ignore[index]


def _top_k_ref(at: TopKAttrs, x: np.ndarray) -> np.ndarray:
    order = np.argsort(-x, axis=-1, kind="stable")  # descending; equal values keep index order
    return (order if at.k is None else order[..., :at.k]).astype(np.int32)


_NUMERIC = require("fi")
register(OpDef(Op.TOP_K_INDICES, Kind.OTHER, _top_k_shape, lambda d, at: [_NUMERIC(d, at) and _dt.int32],
               _top_k_ref, no_gradient=True))


def top_k(input: Any, k: int = 1, sorted: bool = True, name: str | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(values, indices) of the ``k`` largest entries of each row of the last axis, largest first;
    of equal values the lower index first (TF1's order, also for ``sorted=False``).

    >>> import graphflow as gf
    >>> v, i = gf.nn.top_k(gf.constant([[1.0, 3.0, 2.0]]), 2)
    >>> v.shape.as_list(), i.dtype.name
    ([1, 2], 'int32')
    """
    from graphflow.ops.array_ops import one_hot
    from graphflow.ops.math_ops import multiply
    from graphflow.ops.reduce_ops import reduce_sum
    from graphflow.ops.shape_ops import expand_dims
    x = convert_to_tensor(input)
    if x.shape.rank == 0:
        raise ValueError("top_k needs at least one dim, got a scalar")
    n = x.shape.as_list()[-1] if x.shape.rank is not None else None
    if n is None:
        raise ValueError(f"top_k needs the last dim known when the graph is built, got shape {x.shape}")
    idx = make(Op.TOP_K_INDICES, [x], TopKAttrs(int(k)), name=name or "TopKV2")
    # values[..., j] = sum_i x[..., i] * (idx[..., j] == i)
    values = reduce_sum(multiply(one_hot(idx, n, dtype=x.dtype), expand_dims(x, -2)), axis=-1)
    return values, idx


def sort_indices(x: Tensor, name: str | None = None) -> Tensor:
    """int32 indices sorting each row of the last axis in descending order, stably."""
    if x.shape.rank == 0:
        raise ValueError("sorting needs at least one dim, got a scalar")
    return make(Op.TOP_K_INDICES, [x], TopKAttrs(None), name=name or "Argsort")


# ---- CPU kernel -----------------------------------------------------------------------------------
from graphflow.registry import kernel as _kernel  # noqa: E402


@_kernel(Op.TOP_K_INDICES, "cpu")
def _top_k_cpu(em: Any, n: Any, ins: list[str]) -> None:
    x_t = n.inputs[0]
    dims = em.dims(x_t, ins[0])
    k = n.attrs.k
    if k is None:
        k = dims[-1]
    else:
        em.check(f"{dims[-1]} >= {k}", n, f"top_k needs at least k={k} entries in the last dim")
    rows = " * ".join(dims[:-1]) or "1"
    flat, out = em.fresh("xf"), em.fresh("o")
    em.line(f"{flat} = np.ascontiguousarray({ins[0]}).reshape(({rows}, {dims[-1]}))")
    em.line(f"{out} = np.empty(({rows}, {k}), dtype=np.int32)")
    with em.loops([rows]) as (r,):
        order = em.fresh("ord")
        em.line(f"{order} = np.argsort(-{flat}[{r}], kind='mergesort')")
        with em.loops([str(k)]) as (j,):
            em.line(f"{out}[{r}, {j}] = {order}[{j}]")
    res = em.fresh("o")
    em.line(f"{res} = {out}.reshape({em.shape_tuple(dims[:-1] + [str(k)])})")
    em.define(n.outputs[0], res)
