"""Ordering: ``nn.top_k``, full stable sorts, and ``unique``.

``top_k``'s one primitive is the indices of the k largest entries of each row (TOP_K_INDICES: a
stable descending sort, so of equal values the lower index comes first, as TF1); the values are
then read through a one-hot product, so their gradient (the incoming gradient scattered back to
those indices) follows from existing rules.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make, make_node
from graphflow.ops.array_ops import one_hot
from graphflow.ops.elementwise_ops import where
from graphflow.ops.index_ops import TopKAttrs, sort_indices, unsorted_segment_sum  # noqa: F401  (sort_indices: its home before index_ops)
from graphflow.ops.reductions import reduce_sum
from graphflow.ops.shape_ops import expand_dims, size
from graphflow.ops.state_ops import ones_like, zeros_like

__all__ = ["sort_indices", "top_k", "unique", "unique_with_counts"]


# TF1's result types: fields by name, and unpacking as tuples
TopKV2 = namedtuple("TopKV2", ["values", "indices"])
Unique = namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = namedtuple("UniqueWithCounts", ["y", "idx", "count"])


@dataclass(frozen=True)
class UniqueAttrs:
    out_idx: DType  # the DType of the index output


def _unique_ref(at: UniqueAttrs, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values in order of first occurrence, and each element's position among them."""
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return x[np.sort(first)], rank[inverse.reshape(-1)].astype(at.out_idx.np)


def _unique_shape(shapes: Sequence[TensorShape], at: UniqueAttrs) -> list[TensorShape]:
    if shapes[0].rank not in (1, None):
        raise ValueError(f"unique needs a 1-D tensor, got shape {shapes[0]}")
    return [TensorShape([None]), shapes[0] if shapes[0].rank is not None else TensorShape([None])]


def _unique_dtype(dtypes: Sequence[DType], at: UniqueAttrs) -> list[DType]:
    if not at.out_idx.is_integer:
        raise TypeError(f"unique out_idx must be int32 or int64, got {at.out_idx.name}")
    return [dtypes[0], at.out_idx]


register(OpDef(Op.UNIQUE, Kind.OTHER, _unique_shape, _unique_dtype, _unique_ref, no_gradient=True,
               num_outputs=2))


def unique(x: TensorLike, out_idx: DTypeLike = _dt.int32, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(y, idx): the distinct values of 1-D ``x`` in order of first occurrence, and for each
    element of ``x`` its index in ``y`` (``x == gather(y, idx)``).

    >>> import graphflow as gf
    >>> y, idx = unique(gf.constant([3, 1, 3]))
    >>> y.shape.as_list(), idx.shape.as_list()
    ([None], [3])
    """
    node = make_node(Op.UNIQUE, [convert_to_tensor(x)], UniqueAttrs(_dt.as_dtype(out_idx)), name=name or "Unique")
    return Unique(node.outputs[0], node.outputs[1])


def unique_with_counts(x: TensorLike, out_idx: DTypeLike = _dt.int32,
                       name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(y, idx, count): ``unique`` and how often each distinct value occurs."""
    y, idx = unique(x, out_idx, name=name or "UniqueWithCounts")
    count = unsorted_segment_sum(ones_like(idx), idx, size(y, out_type=idx.dtype))
    return UniqueWithCounts(y, idx, count)


def top_k(input: TensorLike, k: int = 1, sorted: bool = True,  # noqa: A002
          name: str | None = None) -> tuple[Tensor, Tensor]:
    """(values, indices) of the ``k`` largest entries of each row of the last axis, largest first;
    of equal values the lower index first (TF1's order, also for ``sorted=False``).

    >>> import graphflow as gf
    >>> v, i = gf.nn.top_k(gf.constant([[1.0, 3.0, 2.0]]), 2)
    >>> v.shape.as_list(), i.dtype.name
    ([1, 2], 'int32')
    """
    x = convert_to_tensor(input)
    if x.shape.rank == 0:
        raise ValueError("top_k needs at least one dim, got a scalar")
    n = x.shape.as_list()[-1] if x.shape.rank is not None else None
    if n is None:
        raise ValueError(f"top_k needs the last dim known when the graph is built, got shape {x.shape}")
    idx = make(Op.TOP_K_INDICES, [x], TopKAttrs(int(k)), name=name or "TopKV2")
    # values[..., j] = the x[..., i] where idx[..., j] == i: a select, not a product with the one-hot
    # (0 * inf is NaN: a row holding an infinity would read NaN everywhere)
    picked = where(one_hot(idx, n, dtype=_dt.bool_), expand_dims(x, -2), zeros_like(expand_dims(x, -2)))
    values = reduce_sum(picked, axis=-1)
    return TopKV2(values, idx)


