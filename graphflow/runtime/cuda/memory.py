"""Device memory and launches of the CUDA runtime: variables' buffers (``CudaState``), the
per-process table of loaded kernels, and the launches a dump records (``recording``). The values,
uploads and checks the steps use are the target's run-time library (``compiler/cuda/device.py``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler.cuda import loops as C
from graphflow.compiler.cuda.device import numba_cuda
from graphflow.core.ir import Operation
from graphflow.runtime.cache import load_module
from graphflow.runtime.state import State

_KERNELS: dict[str, Any] = {}  # source -> loaded kernel: compiled once per process


def kernel(source: str) -> Any:
    """The launchable kernel of a CUDA module source: written once under its content hash in the
    compile cache (as the CPU's kernel modules are) with numba.cuda's on-disk cache of its
    machine code beside it, so a later process loads the compiled kernel instead of compiling."""
    k = _KERNELS.get(source)
    if k is None:
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


# while a dump records (``recording``): source -> the argument types it was launched with
_RECORD: list[dict[str, set[tuple[tuple[str, int], ...]]]] = []


def arg_type(a: object) -> tuple[str, int]:
    """(dtype name, ndim; -1 for scalars) of a launch argument, as ``cuda.compile_ptx`` takes them."""
    if hasattr(a, "dtype") and hasattr(a, "ndim") and not isinstance(a, np.generic):
        return a.dtype.name, a.ndim
    if isinstance(a, (bool, np.bool_)):
        return "bool", -1
    if isinstance(a, np.generic):
        return a.dtype.name, -1
    return ("int64" if isinstance(a, int) else "float64"), -1


def launch_grid(source: str, grid: int | tuple[int, ...], block: int | tuple[int, ...], args: Sequence[object]) -> None:
    if _RECORD:
        _RECORD[-1].setdefault(source, set()).add(tuple(arg_type(a) for a in args))
    kernel(source)[grid, block](*args)


class recording:
    """Collects every kernel launched inside it with its argument types (``launches``)."""

    def __enter__(self) -> dict[str, set[tuple[tuple[str, int], ...]]]:
        _RECORD.append({})
        return _RECORD[-1]

    def __exit__(self, *exc: object) -> None:
        _RECORD.pop()
