"""Data-parallel training over MPI, in Horovod's shape (``import graphflow.distributed as hvd``).

::

    import graphflow as tf
    import graphflow.distributed as hvd

    hvd.init()
    loss = ...
    opt = hvd.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1 * hvd.size()))
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))    # every rank starts from rank 0's weights
        ...

and ``mpirun -n 4 python train.py``. Each rank runs the same graph on its shard of the data
(``shard``); ``DistributedOptimizer`` averages the gradients over the ranks with one allreduce
per dtype per step (every gradient packed into one buffer: tensor fusion) before the wrapped
optimizer applies them, so the ranks' weights stay equal. ``allreduce``, ``allgather`` and
``broadcast`` are graph ops too. Random ops draw a different stream on each rank (rank 0 draws
the single-process stream), so dropout differs across ranks, reproducibly. A Saver saves on rank
0 only and restores on every rank (rank 0 reads, the values are broadcast). The engine is MPI
through mpi4py (``pip install "graphflow[mpi]"``); without it, or outside ``mpirun``, a process
is a world of one rank and all of this is the identity. ``docs/distributed.md`` has the cost
model and the scaling measurements.
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Operation
from graphflow.core.types import SessionLike
from graphflow.distributed.fusion import allreduce_gradients, fused
from graphflow.distributed.optimizer import DistributedTrainOptimizer
from graphflow.ops.collective_ops import allgather, allreduce, broadcast  # noqa: F401  (hvd.allreduce etc.)
from graphflow.ops.state_ops import group
from graphflow.ops.variables import Variable, global_variables
from graphflow.platform import mpi as _engine
from graphflow.tf1.data.dataset import Dataset as TFDataset
from graphflow.tf1.train.monitored import SessionRunContext, SessionRunValues
from graphflow.tf1.train.optimizers import Optimizer as TrainStyle
from graphflow.torch_style.optim.optimizers import Optimizer as TorchStyle
from graphflow.torch_style.utils.data import DataLoader, DistributedSampler

__all__ = ["init", "rank", "size", "local_rank", "local_size", "allreduce", "allgather", "broadcast",
           "broadcast_global_variables", "broadcast_variables", "DistributedOptimizer", "shard", "barrier",
           "is_initialized", "BroadcastGlobalVariablesHook", "Average", "Sum", "Adasum", "mpi_built", "nccl_built",
           "gloo_built", "mpi_enabled", "cuda_built"]

# Horovod's reduction ops (``DistributedOptimizer(op=...)``, ``allreduce(op=...)``)
Average, Sum, Adasum = "average", "sum", "adasum"


def mpi_built() -> bool:
    """Whether MPI (mpi4py) is there to run on."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def mpi_enabled() -> bool:
    return mpi_built()


def nccl_built() -> bool:
    """graphflow's collectives run on MPI only (no NCCL)."""
    return False


def gloo_built() -> bool:
    return False


def cuda_built() -> bool:
    return False


def init(comm: object = None) -> None:
    """Join the MPI job (idempotent; ``comm`` is accepted for Horovod's signature and must be
    None or COMM_WORLD)."""
    if comm is not None:
        from mpi4py import MPI
        if comm is not MPI.COMM_WORLD:
            raise ValueError("graphflow.distributed runs on MPI.COMM_WORLD (expected comm=None or COMM_WORLD)")
    _engine.init()


def is_initialized() -> bool:
    return _engine.initialized()


def rank() -> int:
    """This process's rank, 0 .. size() - 1."""
    return _engine.rank()


def size() -> int:
    """The number of ranks in the job."""
    return _engine.size()


def local_rank() -> int:
    """This process's rank among the ranks on its machine (pick a GPU by it)."""
    return _engine.local_rank()


def local_size() -> int:
    return _engine.local_size()


def barrier() -> None:
    """Wait until every rank has reached this point (outside any graph)."""
    _engine.barrier()


def broadcast_variables(variables: Sequence[Variable], root_rank: int = 0,
                        name: str = "BroadcastVariables") -> Operation:
    """One op assigning rank ``root_rank``'s values to ``variables`` on every rank (one fused
    broadcast per dtype)."""
    variables = list(variables)
    if not variables or size() == 1:  # one rank: its variables are rank 0's already
        return group(name=name)
    values = [v.read_value() if hasattr(v, "read_value") else v for v in variables]
    got = fused(values, lambda flat, label: broadcast(flat, root_rank, name=label), name)
    return group(*[v.assign(x) for v, x in zip(variables, got)], name=name)


def broadcast_global_variables(root_rank: int = 0) -> Operation:
    """Horovod's: the op to run after initialisation so every rank starts from ``root_rank``'s
    variables."""
    return broadcast_variables(global_variables(), root_rank, name="BroadcastGlobalVariables")


class BroadcastGlobalVariablesHook:
    """Horovod's session hook: broadcast rank ``root_rank``'s global variables once the monitored
    session has initialised or restored them (``gf.train.MonitoredTrainingSession(hooks=[...])``)."""

    def __init__(self, root_rank: int = 0, device: str = "") -> None:
        self.root_rank = int(root_rank)
        self._op: Operation | None = None

    def begin(self) -> None:
        self._op = broadcast_global_variables(self.root_rank)

    def after_create_session(self, session: SessionLike, coord: object) -> None:
        session.run(self._op)

    def before_run(self, run_context: SessionRunContext) -> None:
        return None

    def after_run(self, run_context: SessionRunContext, run_values: SessionRunValues) -> None:
        return None

    def end(self, session: SessionLike) -> None:
        return None


def DistributedOptimizer(optimizer: TrainStyle | TorchStyle, name: str | None = None,  # noqa: N802
                         use_locking: bool = False,
                         device_dense: str = "", device_sparse: str = "", compression: object = None,
                         sparse_as_dense: bool = False, op: str = Average, gradient_predivide_factor: float = 1.0,
                         backward_passes_per_step: int = 1, average: bool | None = None,
                         **_: object) -> TrainStyle | TorchStyle:
    """``optimizer`` with its gradients averaged (``op=Average``) or summed (``op=Sum``) over the
    ranks before they are applied: a ``gf.train`` (TF1) optimizer is wrapped
    (``compute_gradients`` allreduces, ``apply_gradients`` is the wrapped one's); a ``gf.optim``
    (PyTorch-style) optimizer reduces in its ``step``. ``gradient_predivide_factor`` f splits the
    averaging as Horovod's does (scale 1/f before the sum, f/size after: the same result)."""
    if op not in (Average, Sum):
        raise ValueError(f"DistributedOptimizer op must be hvd.Average or hvd.Sum (Adasum is not built), got {op!r}")
    if compression not in (None, "none") and getattr(compression, "__name__", "") not in ("NoneCompressor", "none"):
        raise ValueError("DistributedOptimizer: gradient compression is not built (expected compression=None)")
    if backward_passes_per_step != 1:
        raise ValueError("DistributedOptimizer: backward_passes_per_step other than 1 is not built")
    mean = (op == Average) if average is None else bool(average)
    if isinstance(optimizer, TorchStyle):
        optimizer._reduce_gradients = lambda grads: allreduce_gradients(grads, mean, "DistributedGradients")
        return optimizer
    return DistributedTrainOptimizer(optimizer, name=name, average=mean)


def shard(data: TFDataset | DataLoader, seed: int = 0) -> TFDataset | DataLoader:
    """This rank's part of ``data``: a ``gf.data.Dataset`` (every size()-th element from rank(),
    TF1's ``shard``) or a ``gf.utils.data.DataLoader`` (its dataset split by a
    ``DistributedSampler``, shuffled with ``seed`` per epoch when the loader shuffles)."""
    if isinstance(data, TFDataset):
        return data.shard(size(), rank())
    if isinstance(data, DataLoader):
        sampler = DistributedSampler(data.dataset, num_replicas=size(), rank=rank(), shuffle=data.shuffle, seed=seed,
                                     drop_last=data.drop_last)
        return DataLoader(data.dataset, batch_size=data.batch_size, sampler=sampler, drop_last=data.drop_last,
                          collate_fn=data.collate_fn, progress=data.progress)
    raise TypeError(f"shard takes a gf.data.Dataset or a gf.utils.data.DataLoader, got {type(data).__name__}")
