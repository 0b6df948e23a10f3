"""What a session keeps between runs: variable buffers, random-op counters and the values of
``tf.get_session_handle``."""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.errors import FailedPreconditionError, InvalidArgumentError
from graphflow.core.ir import Operation
from graphflow.core.rng import mix64
from graphflow.platform import mpi as collectives


class State:
    """Variable buffers keyed by the variable's uid; rank-0 variables are kept as shape (1,)
    so compiled code can update them in place. ``rng`` holds (key, counter) per random op."""

    def __init__(self) -> None:
        self.buffers: dict[int, np.ndarray] = {}
        self.initialized: set[int] = set()
        self.rng: dict[int, np.ndarray] = {}
        self.session_tensors: dict[str, np.ndarray] = {}  # tf.get_session_handle's values, by handle
        self.session_handle_count = 0
        # handles whose TensorHandle object was collected (appended by its __del__, at any moment
        # of any thread: a deque, whose append and popleft need no lock), freed by the next run
        self.dead_handles: deque[str] = deque()
        # objects host ops keep in the session (queues, readers: runtime/session_ops.py), by key
        self.resources: dict[str, Any] = {}
        self.resource_lock = threading.Lock()  # held only to find or make one, never while it blocks
        self.resource_count = 0  # numbers unshared resources as TF1's names them ("_0_fifo_queue")

    def resource(self, key: str, make: Callable[[int], Any]) -> Any:
        """The resource kept under ``key``, made by ``make(number)`` on first use."""
        with self.resource_lock:
            r = self.resources.get(key)
            if r is None:
                r = self.resources[key] = make(self.resource_count)
                self.resource_count += 1
            return r

    def close_resources(self) -> None:
        """The session closes: its queues close (cancelling what waits on them) and go."""
        with self.resource_lock:
            kept = list(self.resources.values())
            self.resources.clear()
        for r in kept:
            close = getattr(r, "session_closed", None)
            if close is not None:
                close()

    def session_tensor(self, handle: str, dtype: DType) -> np.ndarray:
        """The value kept under ``handle`` (a fed or evaluated TensorHandle), checked for ``dtype``."""
        value = self.session_tensors.get(handle)
        if value is None:
            raise InvalidArgumentError(None, None, f"The tensor with handle '{handle}' is not in the session store.")
        if value.dtype != dtype.np:
            raise InvalidArgumentError(None, None, f"The tensor with handle '{handle}' has dtype {value.dtype}, "
                                       f"expected {dtype.name}")
        return value

    def delete_session_tensor(self, handle: str) -> None:
        if self.session_tensors.pop(handle, None) is None:
            raise InvalidArgumentError(None, None, f"The tensor with handle '{handle}' is not in the session store.")

    def register_dead_handle(self, handle: str) -> None:
        if handle in self.session_tensors:  # (not when freed already: deleted, or the session closed)
            self.dead_handles.append(handle)

    def free_dead_handles(self) -> None:
        """Free the values of collected TensorHandles (a value freed already, by
        ``tf.delete_session_tensor`` or the session's closing, is skipped)."""
        while True:
            try:
                handle = self.dead_handles.popleft()
            except IndexError:  # (another thread's run may empty it first)
                return
            self.session_tensors.pop(handle, None)

    def free_session_tensors(self) -> None:
        """The session closes: every kept value goes (TF1's)."""
        self.session_tensors.clear()
        self.dead_handles.clear()

    def buffer(self, var: Operation) -> np.ndarray:
        uid = var.attrs.uid
        buf = self.buffers.get(uid)
        if buf is None:
            shape = var.attrs.shape.as_list() or [1]
            buf = np.zeros(shape, dtype=storage_dtype(var.attrs.dtype.np))
            self.buffers[uid] = buf
        return buf

    def value(self, var: Operation) -> np.ndarray:
        """The variable's value with its declared shape (a view of the buffer)."""
        self.check_initialized(var)
        buf = self.buffer(var).reshape(var.attrs.shape.as_list())
        return buf if buf.dtype == var.attrs.dtype.np else buf.astype(var.attrs.dtype.np)

    def check_initialized(self, var: Operation) -> None:
        if var.attrs.uid not in self.initialized:
            raise FailedPreconditionError(
                var, var, f"Attempting to use uninitialized value {var.name}: variable {var.describe()} "
                "has not been initialized; run gf.global_variables_initializer() (or its initializer) first")

    def write(self, var: Operation, value: np.ndarray) -> None:
        buf = self.buffer(var)
        buf[...] = np.asarray(value, dtype=buf.dtype).reshape(buf.shape)
        self.initialized.add(var.attrs.uid)

    def rng_state(self, node: Operation) -> np.ndarray:
        st = self.rng.get(node.attrs.uid)
        if st is None:
            st = np.array([_rank_key(node.attrs.key), 0], dtype=np.uint64)
            self.rng[node.attrs.uid] = st
        return st


def _rank_key(key: int) -> int:
    """A random op's stream on this MPI rank: rank 0 (and a single process) draws the op's own
    stream, rank r a different one, the same in every run of the job (``graphflow.distributed``)."""
    if not collectives.initialized() or collectives.rank() == 0:
        return key
    with np.errstate(over="ignore"):  # 64-bit wrap-around is the hash
        return int(mix64(np.uint64(key) ^ mix64(np.uint64(collectives.rank()) * np.uint64(0x9E3779B97F4A7C15))))


def storage_dtype(dtype: np.dtype) -> np.dtype:
    """How compiled CPU code holds values of ``dtype``: float16 as float32."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype
