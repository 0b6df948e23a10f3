"""Device memory of the CUDA runtime: variables' buffers (``CudaState``), values with their
logical shapes (``Value``), uploads, launches, and the per-process table of loaded kernels."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler.cuda import loops as C
from graphflow.compiler.cuda.templates import FILL
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import Operation
from graphflow.runtime.state import State

_KERNELS: dict[str, Any] = {}  # source -> loaded kernel: compiled once per process
THREADS = 128


def numba_cuda() -> Any:
    from numba import cuda
    return cuda


def kernel(source: str) -> Any:
    """The launchable kernel of a CUDA module source: written once under its content hash in the
    compile cache (as the CPU's kernel modules are) with numba.cuda's on-disk cache of its
    machine code beside it, so a later process loads the compiled kernel instead of compiling."""
    k = _KERNELS.get(source)
    if k is None:
        from graphflow.runtime.cache import load_module
        mod = load_module(source.replace("\n@cuda.jit\n", "\n@cuda.jit(cache=True)\n"), prefix="gfcuda")
        C.simulated(mod.__dict__)
        k = _KERNELS[source] = mod.kernel
    return k


class CudaState(State):
    """Variable buffers on the device (flat), with host copies refreshed when the host reads."""

    def __init__(self) -> None:
        super().__init__()
        self.device: dict[int, Any] = {}
        self.dirty: set[int] = set()  # written on the device since the host copy

    def device_buffer(self, var: Operation) -> Any:
        uid = var.attrs.uid
        if uid not in self.device:
            self.device[uid] = numba_cuda().to_device(np.ascontiguousarray(State.buffer(self, var)).reshape(-1))
        return self.device[uid]

    def buffer(self, var: Operation) -> np.ndarray:
        buf = super().buffer(var)
        uid = var.attrs.uid
        if uid in self.dirty:
            buf.reshape(-1)[...] = self.device[uid].copy_to_host()
            self.dirty.discard(uid)
        return buf

    def write(self, var: Operation, value: np.ndarray) -> None:
        super().write(var, value)
        uid = var.attrs.uid
        if uid in self.device:
            self.device[uid].copy_to_device(np.ascontiguousarray(State.buffer(self, var)).reshape(-1))
        self.dirty.discard(uid)


class Value:
    """A device array with its logical shape (rank-0 values are 1-element arrays) and, for values
    made on the host (constants, shapes), the host copy small ops read without a transfer."""

    __slots__ = ("array", "shape", "host")

    def __init__(self, array: Any, shape: tuple[int, ...], host: np.ndarray | None = None) -> None:
        self.array, self.shape, self.host = array, shape, host

    def shaped(self) -> Any:
        if not self.shape:
            return self.array
        if 0 in self.shape:  # empty values keep a 1-element buffer
            return self.array[:0].reshape(self.shape)
        return self.array.reshape(self.shape)

    def numpy(self) -> np.ndarray:
        """The value on the host (a transfer unless it was made there)."""
        if self.host is None:
            host = self.array.copy_to_host()
            self.host = host[:0].reshape(self.shape) if 0 in self.shape else host.reshape(self.shape)
        return self.host


def upload(a: np.ndarray) -> Value:
    a = np.asarray(a, order="C")  # (ascontiguousarray would make a 0-d value 1-d)
    return Value(numba_cuda().to_device(a.reshape(-1) if a.ndim else a.reshape(1)), tuple(a.shape), a)


# while a dump records (``recording``): source -> the argument types it was launched with
_RECORD: list[dict[str, set[tuple[tuple[str, int], ...]]]] = []


def arg_type(a: Any) -> tuple[str, int]:
    """(dtype name, ndim; -1 for scalars) of a launch argument, as ``cuda.compile_ptx`` takes them."""
    if hasattr(a, "dtype") and hasattr(a, "ndim") and not isinstance(a, np.generic):
        return a.dtype.name, a.ndim
    if isinstance(a, (bool, np.bool_)):
        return "bool", -1
    if isinstance(a, np.generic):
        return a.dtype.name, -1
    return ("int64" if isinstance(a, int) else "float64"), -1


def launch_grid(source: str, grid: Any, block: Any, args: Sequence[Any]) -> None:
    if _RECORD:
        _RECORD[-1].setdefault(source, set()).add(tuple(arg_type(a) for a in args))
    kernel(source)[grid, block](*args)


def launch(source: str, args: Sequence[Any], size: int) -> None:
    """One thread per element of ``size``."""
    if size:
        launch_grid(source, (size + THREADS - 1) // THREADS, THREADS, args)


class recording:
    """Collects every kernel launched inside it with its argument types (``launches``)."""

    def __enter__(self) -> dict[str, set[tuple[tuple[str, int], ...]]]:
        _RECORD.append({})
        return _RECORD[-1]

    def __exit__(self, *exc: Any) -> None:
        _RECORD.pop()



def empty(shape: Sequence[int], dtype: Any) -> Value:
    """A new device value of ``shape`` (flat, at least one element so empty values have a buffer)."""
    shape = tuple(int(d) for d in shape)
    return Value(numba_cuda().device_array(max(1, math.prod(shape)), dtype=dtype), shape)


def zeros(shape: Sequence[int], dtype: Any) -> Value:
    v = empty(shape, dtype)
    launch(FILL, [v.array, np.dtype(dtype).type(0)], v.array.shape[0])
    return v


def counter() -> Any:
    """A one-element device counter (a result's size that must come to the host)."""
    return numba_cuda().to_device(np.zeros(1, np.int64))


# the check counters of the runs in progress (an executable's, then its sub-programs')
_CHECKS: list[Checks] = []


class Checks:
    """The failure counters of one executable's checking nodes (range checks, index checks,
    factorisations): a slot each in one device array, read back together (one transfer) before
    the run's first variable write, before control flow and at the end of the run, so a failure
    raises the CPU's error before anything the user saved is written, without a host
    synchronisation after every checking kernel."""

    def __init__(self, nodes: Sequence[Operation]) -> None:
        self.slots = {id(n): k for k, n in enumerate(nodes)}
        self.flags = numba_cuda().to_device(np.zeros(max(1, len(nodes)), np.int64)) if nodes else None
        self.pending: list[tuple[int, Operation, str]] = []

    def __enter__(self) -> Checks:
        if self.pending:  # left by a run a host-side error ended: its counters start again at zero
            self.flags.copy_to_device(np.zeros(self.flags.shape[0], np.int64))
            self.pending = []
        _CHECKS.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _CHECKS.pop()

    def flush(self) -> None:
        """Raise the first failed check's error (in run order), if any."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        host = self.flags.copy_to_host()
        for k, n, message in pending:
            if host[k]:
                self.flags.copy_to_device(np.zeros_like(host))
                raise InvalidArgumentError(n, n, f"{message}\n  in {n.describe()}")


def check_slot(n: Operation, message: str) -> Any:
    """The one-element counter node ``n``'s kernel adds its failures into, with the message
    raised if it is nonzero when the run's checks are next read."""
    checks = _CHECKS[-1]
    k = checks.slots[id(n)]
    checks.pending.append((k, n, message))
    return checks.flags[k:k + 1]


def count(counter: Any) -> int:
    return int(counter.copy_to_host()[0])
