"""The run-time library of the CUDA target, which its generated drivers call: device values with
their logical shapes (``Value``), uploads, new buffers, launches, the failure counters of checking
kernels (``Checks``), and ``Device``, what a step may ask of the run it belongs to (launching a
kernel, a variable's buffer, a random stream, a sub-program's run).

The run itself (loading kernels, variables' buffers, recording launches for dumps) is the
runtime's (``runtime/cuda``): it hands itself to every step as the ``Device``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from graphflow.compiler.cuda.templates import FILL
from graphflow.core.errors import InvalidArgumentError, error_class_of
from graphflow.core.ir import Operation

THREADS = 128


def numba_cuda() -> Any:
    from numba import cuda  # optional package: imported where a run needs it
    return cuda


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


class SubRun(Protocol):
    """A sub-program's executable (a branch, a loop's condition or body)."""

    def run(self, feeds: Sequence[Value]) -> list[Value]: ...


class Device(Protocol):
    """What a step may ask of the run it belongs to."""

    def launch_grid(self, source: str, grid: Any, block: Any, args: Sequence[Any]) -> None:
        """Launch the kernel of CUDA module ``source``."""

    def variable(self, var: Operation) -> Value:
        """The variable's device buffer, with its shape."""

    def rng_state(self, n: Operation) -> np.ndarray:
        """The counter-based random stream of node ``n`` (host memory, advanced by the step)."""

    def sub(self, graph: Any) -> SubRun:
        """The executable of a branch, loop condition or loop body (a FuncGraph)."""


def launch(dev: Device, source: str, args: Sequence[Any], size: int) -> None:
    """One thread per element of ``size``: blocks of ``THREADS``, or a single block of ``size``
    threads when there are fewer elements (Numba's simulator starts a Python thread for every
    thread of a block, idle ones too: 128 of them cost 30 ms a launch there, 12 cost 2.5 ms)."""
    if size:
        threads = min(THREADS, size)
        dev.launch_grid(source, (size + threads - 1) // threads, threads, args)


def upload(a: np.ndarray) -> Value:
    a = np.asarray(a, order="C")  # (ascontiguousarray would make a 0-d value 1-d)
    return Value(numba_cuda().to_device(a.reshape(-1) if a.ndim else a.reshape(1)), tuple(a.shape), a)


def empty(shape: Sequence[int], dtype: npt.DTypeLike) -> Value:
    """A new device value of ``shape`` (flat, at least one element so empty values have a buffer)."""
    shape = tuple(int(d) for d in shape)
    return Value(numba_cuda().device_array(max(1, math.prod(shape)), dtype=dtype), shape)


def zeros(dev: Device, shape: Sequence[int], dtype: npt.DTypeLike) -> Value:
    v = empty(shape, dtype)
    launch(dev, FILL, [v.array, np.dtype(dtype).type(0)], v.array.shape[0])
    return v


def snapshot(dev: Device, var: Operation) -> Value:
    """A device copy of the variable's value (read after an assignment it is not ordered after)."""
    cur = dev.variable(var)
    copy = numba_cuda().device_array_like(cur.array)
    copy.copy_to_device(cur.array)
    return Value(copy, cur.shape)


def counter() -> Any:
    """A one-element device counter (a result's size that must come to the host)."""
    return numba_cuda().to_device(np.zeros(1, np.int64))


def count(counter: Any) -> int:
    return int(counter.copy_to_host()[0])


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
        # (a device array; None where nothing checks, and then nothing is ever pending)
        self.flags: Any = numba_cuda().to_device(np.zeros(max(1, len(nodes)), np.int64)) if nodes else None
        self.pending: list[tuple[int, Operation, str]] = []

    def __enter__(self) -> Checks:
        if self.pending:  # left by a run a host-side error ended: its counters start again at zero
            self.flags.copy_to_device(np.zeros(self.flags.shape[0], np.int64))
            self.pending = []
        _CHECKS.append(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _CHECKS.pop()
        if isinstance(exc, InvalidArgumentError) and self.pending:
            # a host-side check (a shape) failed after checking kernels this run launched: a
            # kernel's failure came first in run order, so it is the error raised, as on the CPU
            self.flush()

    def flush(self) -> None:
        """Raise the first failed check's error (in run order), if any."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        host = self.flags.copy_to_host()
        for k, n, message in pending:
            if host[k]:
                self.flags.copy_to_device(np.zeros_like(host))
                raise error_class_of(n)(n, n, f"{message}\n  in {n.describe()}")


def check_slot(n: Operation, message: str) -> Any:
    """The one-element counter node ``n``'s kernel adds its failures into, with the message
    raised if it is nonzero when the run's checks are next read."""
    checks = _CHECKS[-1]
    k = checks.slots[id(n)]
    checks.pending.append((k, n, message))
    return checks.flags[k:k + 1]
