"""Tensor fusion for the collectives: many tensors reduced or broadcast as one buffer per dtype
(what ``DistributedOptimizer`` and ``broadcast_variables`` send over MPI)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.array_ops import concat
from graphflow.ops.collective_ops import allreduce
from graphflow.ops.index_ops import slice as slice_
from graphflow.ops.shape_ops import reshape
from graphflow.platform import mpi as _engine


def fused(tensors: Sequence[TensorLike | None], combine: Callable[[Tensor, str], Tensor], name: str) -> list[Any]:
    """``combine`` applied to every tensor at once: per dtype, the tensors flattened into one
    buffer, one collective on it, the results cut back to their shapes (tensor fusion)."""
    ts = [None if t is None else convert_to_tensor(t) for t in tensors]
    out: list[Any] = list(ts)
    by_dtype: dict[Any, list[int]] = {}
    for i, t in enumerate(ts):
        if t is not None:
            if not t.shape.is_fully_defined():
                raise ValueError(f"{name}: tensor {t.name} has shape {t.shape}; fusion needs static shapes "
                                 "(the variables' shapes)")
            by_dtype.setdefault(t.dtype, []).append(i)
    for dt, idx in by_dtype.items():
        sizes = [int(np.prod(ts[i].shape.as_list(), dtype=np.int64)) for i in idx]  # type: ignore[union-attr]
        flat = concat([reshape(ts[i], [-1]) for i in idx], 0) if len(idx) > 1 else reshape(ts[idx[0]], [-1])
        combined = combine(flat, f"{name}_{dt.name}")
        offset = 0
        for i, n in zip(idx, sizes):
            piece = slice_(combined, [offset], [n]) if len(idx) > 1 else combined
            out[i] = reshape(piece, ts[i].shape.as_list())  # type: ignore[union-attr]
            offset += n
    return out


def allreduce_gradients(grads: Sequence[Any], average: bool = True, name: str = "DistributedGradients") -> list[Any]:
    """The gradients averaged (or summed) over the ranks, one fused allreduce per dtype; None stays None."""
    if _engine.size() == 1:
        return list(grads)
    return fused(grads, lambda flat, label: allreduce(flat, average=average, name=label), name)
