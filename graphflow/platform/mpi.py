"""The MPI binding of ``graphflow.distributed`` (mpi4py): the world (rank, size) the graph is built
for, and the collectives the compiled programs call. The engine is the MPI library the ``mpi``
extra installs (MPICH from PyPI, with ``mpirun``), not a transport of graphflow's own.

Every collective is non-blocking underneath (``Iallreduce``, ``Iallgather``, ``Ibcast``) and
waited for with a deadline (``GRAPHFLOW_MPI_TIMEOUT`` seconds, 300 by default): a rank that died
or hangs makes the others raise ``DeadlineExceededError`` naming the collective, instead of
waiting forever, and the job is aborted when the process exits (``MPI_Abort``), so ``mpirun``
ends on every rank. Buffers are numpy arrays passed to MPI as they are: the result is the only
new buffer (no staging copies).

Outside ``mpirun`` (or before ``init``) the world is one rank and every collective is the
identity, so a distributed script also runs as a plain one.
"""
from __future__ import annotations

import atexit
import os
import sys
import time
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from graphflow.core.errors import DeadlineExceededError, FailedPreconditionError

if TYPE_CHECKING:
    from mpi4py.MPI import Request

T = TypeVar("T")  # broadcast_object's value: what root sends is what every rank gets

_STATE: dict[str, Any] = {"comm": None, "local": None, "broken": None}
_SPIN = 0.02  # seconds a wait spins on MPI_Test before it starts sleeping between tests
_STATS = {"collectives": 0, "bytes": 0, "seconds": 0.0}  # this process's totals (the benchmarks read them)


def init() -> None:
    """Start MPI (idempotent). Without mpi4py a process is a world of one rank."""
    if _STATE["comm"] is not None:
        return
    try:
        from mpi4py import MPI
    except ImportError:
        _STATE["comm"] = False
        return
    comm = MPI.COMM_WORLD
    _STATE["comm"] = comm
    _STATE["local"] = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    atexit.register(_abort_if_broken)
    _share_cores(_STATE["local"].Get_size())


def _share_cores(ranks_here: int) -> None:
    """The ranks on one machine share its cores: each gets cores / ranks threads for compiled
    kernels and BLAS (unless the user set the thread counts), since oversubscribed OpenBLAS pools
    spin on occupied cores and make small GEMMs 10-40x slower."""
    if ranks_here <= 1:
        return
    threads = max(1, (os.cpu_count() or 1) // ranks_here)
    if "NUMBA_NUM_THREADS" not in os.environ:
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    if not any(k in os.environ for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS, which LAPACK calls use, so it is pinned too)
        threadpool_limits(threads)


def initialized() -> bool:
    return _STATE["comm"] is not None


def _comm() -> Any:
    if _STATE["comm"] is None:
        raise FailedPreconditionError(None, None, "graphflow.distributed.init() must be called before a collective "
                                      "runs (expected init(), given none)")
    return _STATE["comm"] or None


def rank() -> int:
    c = _comm()
    return c.Get_rank() if c else 0


def size() -> int:
    c = _comm()
    return c.Get_size() if c else 1


def local_rank() -> int:
    _comm()
    return _STATE["local"].Get_rank() if _STATE["local"] else 0


def local_size() -> int:
    _comm()
    return _STATE["local"].Get_size() if _STATE["local"] else 1


def timeout() -> float:
    return float(os.environ.get("GRAPHFLOW_MPI_TIMEOUT", "300"))


def _wait(request: Request, what: str) -> None:
    """Wait for ``request`` until the deadline; past it, raise naming the collective."""
    if _STATE["broken"]:
        raise DeadlineExceededError(None, None, f"{what}: an earlier collective failed ({_STATE['broken']}); "
                                    "this job cannot continue")
    if request.Test():
        return
    start = time.monotonic()
    deadline = start + timeout()
    while not request.Test():
        now = time.monotonic()
        if now - start > _SPIN:  # past the spin: poll every millisecond (a sleep costs ~0.1 ms of latency)
            time.sleep(0.001)
        if now > deadline:
            _STATE["broken"] = what
            raise DeadlineExceededError(None, None, f"{what} on rank {rank()} of {size()}: the other ranks did "
                                        f"not join within {timeout():g} s (GRAPHFLOW_MPI_TIMEOUT); a rank died, "
                                        "hangs, or runs a different graph. The job is aborted on exit.")


def _abort_if_broken() -> None:
    if _STATE["broken"] and _STATE["comm"]:
        print(f"graphflow.distributed: aborting the MPI job after a failed collective ({_STATE['broken']})",
              file=sys.stderr, flush=True)
        _STATE["comm"].Abort(70)


def _timed(nbytes: int, start: float) -> None:
    _STATS["collectives"] += 1
    _STATS["bytes"] += nbytes
    _STATS["seconds"] += time.perf_counter() - start


def _buffer(x: npt.ArrayLike) -> np.ndarray:
    a = np.ascontiguousarray(x)
    return a.astype(np.float32) if a.dtype == np.float16 else a  # MPI has no half type


def allreduce(x: npt.ArrayLike, name: str = "allreduce") -> np.ndarray:
    """The elementwise sum of ``x`` over the ranks (every rank gets it)."""
    c = _comm()
    a = _buffer(x)
    if not c or c.Get_size() == 1:
        return np.array(x, copy=True)
    from mpi4py import MPI
    start = time.perf_counter()
    out = np.empty_like(a)
    _wait(c.Iallreduce(a, out, op=MPI.SUM), f"allreduce {name!r}")
    _timed(a.nbytes, start)
    return out.astype(np.asarray(x).dtype, copy=False)


def allgather(x: npt.ArrayLike, name: str = "allgather") -> np.ndarray:
    """The ranks' ``x`` concatenated along the first axis in rank order (first dims may differ)."""
    c = _comm()
    a = _buffer(x)
    if a.ndim == 0:
        a = a.reshape(1)
    if not c or c.Get_size() == 1:
        return np.array(a, copy=True)
    start = time.perf_counter()
    counts = np.empty(c.Get_size(), np.int64)
    _wait(c.Iallgather(np.array([a.shape[0]], np.int64), counts), f"allgather {name!r} (sizes)")
    row = int(np.prod(a.shape[1:], dtype=np.int64))
    out = np.empty((int(counts.sum()),) + a.shape[1:], a.dtype)
    sizes = counts * row
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    _wait(c.Iallgatherv(a, [out, sizes, offsets, None]), f"allgather {name!r}")
    _timed(out.nbytes, start)
    return out.astype(np.asarray(x).dtype, copy=False)


def broadcast(x: npt.ArrayLike, root: int = 0, name: str = "broadcast") -> np.ndarray:
    """Rank ``root``'s ``x`` on every rank."""
    c = _comm()
    a = _buffer(x)
    if not c or c.Get_size() == 1:
        return np.array(x, copy=True)
    if not 0 <= root < c.Get_size():
        raise ValueError(f"broadcast root {root} is not a rank of this job (expected 0..{c.Get_size() - 1})")
    start = time.perf_counter()
    out = np.array(a, copy=True)
    _wait(c.Ibcast(out, root=root), f"broadcast {name!r} from rank {root}")
    _timed(a.nbytes, start)
    return out.astype(np.asarray(x).dtype, copy=False)


def broadcast_object(obj: T, root: int = 0) -> T:
    """A picklable Python object from ``root`` (checkpoint restores, shapes)."""
    c = _comm()
    if not c or c.Get_size() == 1:
        return obj
    return c.bcast(obj, root=root)


def barrier(name: str = "barrier") -> None:
    c = _comm()
    if c and c.Get_size() > 1:
        _wait(c.Ibarrier(), name)


def stats() -> dict[str, float]:
    return dict(_STATS)
