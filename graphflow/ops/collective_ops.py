"""Collectives across the ranks of an MPI job as graph ops (``graphflow.distributed``): sum of a
tensor over the ranks, concatenation of the ranks' tensors, one rank's tensor on every rank.

They run inside ``sess.run`` where they stand in the schedule: the CPU lowers a program holding
one to Python glue whose call of the collective is a plain Python call into
``graphflow/platform/mpi.py`` (MPI through mpi4py) between compiled kernels; the CUDA target
stages the buffer through the host. Every rank runs the same graph, so the ranks meet at the
same collectives in the same order. Gradients are Horovod's: an allreduce's is the allreduce of
the incoming gradient, an allgather's the allreduced gradient's slice of this rank's rows, a
broadcast's the allreduce to the root (zero elsewhere).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, same_shape
from graphflow.ops.elementwise_ops import cast, equal, multiply
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.shape_ops import reshape, shape
from graphflow.platform import mpi  # mpi4py itself is imported when MPI starts


@dataclass(frozen=True)
class CollectiveAttrs:
    label: str  # the name errors and timeouts use
    root: int = 0  # broadcast's source rank


def _gathered(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape(None)]
    return [TensorShape([None] + list(s.dims[1:]))] if s.rank else [TensorShape([None])]  # type: ignore[index]


def _numeric(dtypes: Sequence[DType], at: object) -> list[DType]:
    if dtypes[0].is_string:
        raise TypeError("collectives take numeric tensors, not strings")
    return [dtypes[0]]


def _allreduce_vjp(n: Operation, g: Tensor) -> list:
    return [allreduce(g, average=False, name=n.attrs.label + "_grad")]


def _allgather_vjp(n: Operation, g: Tensor) -> list:
    x = n.inputs[0]
    summed = allreduce(g, average=False, name=n.attrs.label + "_grad")
    if not x.shape.rank:  # a scalar gathered as one row
        return [reshape(summed[_rank():_rank() + 1], [])]
    counts = reshape(allgather(shape(x)[:1], name=n.attrs.label + "_rows"), [mpi.size()])  # rows per rank
    start = (cumsum(counts, exclusive=True))[_rank()]
    return [summed[start:start + shape(x)[0]]]


def _broadcast_vjp(n: Operation, g: Tensor) -> list:
    summed = allreduce(g, average=False, name=n.attrs.label + "_grad")
    return [summed * cast(equal(_rank(), n.attrs.root), summed.dtype)]


def _rank() -> Tensor:
    """This rank as a constant: the graph has the same nodes on every rank (only a value
    differs), so every rank schedules its collectives alike."""
    return convert_to_tensor(np.int32(mpi.rank() if mpi.initialized() else 0))


register(OpDef(Op.ALLREDUCE, Kind.OTHER, same_shape, _numeric,
               lambda at, x: mpi.allreduce(x, at.label), vjp=_allreduce_vjp, stateful=True))
register(OpDef(Op.ALLGATHER, Kind.OTHER, _gathered, _numeric,
               lambda at, x: mpi.allgather(x, at.label), vjp=_allgather_vjp, stateful=True))
register(OpDef(Op.BROADCAST, Kind.OTHER, same_shape, _numeric,
               lambda at, x: mpi.broadcast(x, at.root, at.label), vjp=_broadcast_vjp, stateful=True))


def allreduce(x: TensorLike, average: bool | None = None, name: str | None = None, op: str | None = None,
              **_: object) -> Tensor:
    """The mean (``average``, Horovod's default; ``op="average"``) or the sum (``average=False``;
    ``op="sum"``) of ``x`` over the ranks, on every rank."""
    if op is not None and op not in ("average", "sum"):
        raise ValueError(f"allreduce op must be hvd.Average or hvd.Sum, got {op!r}")
    average = (op != "sum") if average is None else bool(average)
    t = convert_to_tensor(x)
    label = name or "allreduce"
    out = make(Op.ALLREDUCE, [t], CollectiveAttrs(label), name=name or "MPIAllreduce")
    if average:
        size = mpi.size() if mpi.initialized() else 1
        if size > 1:
            out = multiply(out, np.asarray(1.0 / size, t.dtype.np), name=(name or "MPIAllreduce") + "_average")
    return out


def allgather(x: TensorLike, name: str | None = None) -> Tensor:
    """The ranks' ``x`` concatenated along the first axis in rank order (first dims may differ)."""
    t = convert_to_tensor(x)
    return make(Op.ALLGATHER, [t], CollectiveAttrs(name or "allgather"), name=name or "MPIAllgather")


def broadcast(x: TensorLike, root_rank: int = 0, name: str | None = None) -> Tensor:
    """Rank ``root_rank``'s ``x`` on every rank."""
    t = convert_to_tensor(x)
    return make(Op.BROADCAST, [t], CollectiveAttrs(name or "broadcast", int(root_rank)), name=name or "MPIBroadcast")

