"""``tf.IndexedSlices``: rows ``values[i]`` of a dense tensor at row ``indices[i]``, and
``tf.sparse_mask`` on them.

graphflow's gradients are dense tensors (docs/differences.md), so IndexedSlices only arise where
a user builds them. Wherever a tensor is expected one converts to its dense form, the
``unsorted_segment_sum`` of the values by index into ``dense_shape[0]`` rows (repeated indices
add, as TF1's). ``Session.run`` fetches one as an ``IndexedSlicesValue`` of numpy arrays and a
feed_dict takes one for it, through ``_as_fetch_structure`` as a SparseTensor's.
"""
from __future__ import annotations

import collections
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import index_ops as I
from graphflow.ops import run_time_axes as RA

__all__ = ["IndexedSlices", "IndexedSlicesValue", "sparse_mask"]

IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])
IndexedSlicesValue.__doc__ = "An IndexedSlices' value as ``Session.run`` returns it: numpy arrays."


class IndexedSlices:
    """Slices ``values`` of a dense tensor at first-dim ``indices`` (``dense_shape`` the dense
    tensor's shape, optional).

    >>> import graphflow as gf
    >>> s = gf.IndexedSlices(gf.constant([[1.0, 2.0]]), gf.constant([2]), gf.constant([3, 2]))
    >>> gf.convert_to_tensor(s).shape.as_list()
    [None, 2]
    """

    def __init__(self, values: TensorLike, indices: TensorLike, dense_shape: TensorLike | None = None) -> None:
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        if not self._indices.dtype.is_integer:
            raise TypeError(f"IndexedSlices indices must be integers, got {self._indices.name} of dtype "
                            f"{self._indices.dtype.name}")
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)
        self._dense: Tensor | None = None

    @property
    def values(self) -> Tensor:
        """The slices: ``[len(indices), ...]``."""
        return self._values

    @property
    def indices(self) -> Tensor:
        """The first-dim index of each slice (1-D)."""
        return self._indices

    @property
    def dense_shape(self) -> Tensor | None:
        """The dense tensor's shape (1-D), or None."""
        return self._dense_shape

    @property
    def shape(self) -> TensorShape:
        """The dense tensor's static shape, as far as ``dense_shape`` is known when built."""
        if self._dense_shape is None:
            return TensorShape(None)
        known = static_value(self._dense_shape)
        if known is not None:
            return TensorShape([int(d) if d >= 0 else None for d in np.asarray(known).reshape(-1)])
        n = self._dense_shape.shape.as_list()[0] if self._dense_shape.shape.rank == 1 else None
        return TensorShape(None if n is None else [None] * n)

    @property
    def name(self) -> str:
        return self._values.name

    @property
    def dtype(self) -> _dt.DType:
        return self._values.dtype

    @property
    def op(self) -> Operation:
        """The operation that produces ``values``."""
        return self._values.op

    @property
    def graph(self) -> Graph:
        return self._values.graph

    @property
    def device(self) -> Any:
        return self._values.device

    def __neg__(self) -> IndexedSlices:
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __str__(self) -> str:
        shape = f", dense_shape={self._dense_shape}" if self._dense_shape is not None else ""
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __repr__ = __str__

    def _as_graph_tensor(self) -> Tensor:
        """The dense tensor (built once): TF1's conversion of IndexedSlices."""
        if self._dense is None:
            if self._dense_shape is None:
                raise ValueError("Tensor conversion requested for IndexedSlices without dense_shape: "
                                 f"{self}")
            rows = RA.gather(self._dense_shape, 0)
            dense = I.unsorted_segment_sum(self._values, self._indices, rows)
            dense.set_shape(self.shape.merge_with(TensorShape([None] + self._values.shape.as_list()[1:]))
                            if self._values.shape.rank is not None else self.shape)
            self._dense = dense
        return self._dense

    def _as_fetch_structure(self) -> IndexedSlicesValue:
        """The three tensors, as Session.run fetches and feeds them (no dense_shape: None)."""
        return IndexedSlicesValue(self._values, self._indices, self._dense_shape)


def sparse_mask(a: IndexedSlices, mask_indices: TensorLike, name: str | None = None) -> IndexedSlices:
    """The slices of ``a`` whose index is not in ``mask_indices`` (TF1's ``tf.sparse_mask``).

    >>> import graphflow as gf
    >>> a = gf.IndexedSlices(gf.constant([[1.0], [2.0], [3.0]]), gf.constant([12, 26, 37]), gf.constant([40, 1]))
    >>> gf.sparse_mask(a, [12, 45]).values.shape.as_list()
    [None, 1]
    """
    if not isinstance(a, IndexedSlices):
        raise TypeError(f"sparse_mask needs an IndexedSlices, got {type(a).__name__}")
    out_indices, to_gather = AX.setdiff1d(a.indices, convert_to_tensor(mask_indices, dtype=a.indices.dtype))
    return IndexedSlices(RA.gather(a.values, to_gather, name=name or "sparse_mask"), out_indices, a.dense_shape)
