"""The CUDA runtime (issue 11, first part): one executable per run signature, built from the same
passes and schedule as the CPU's, launching a numba.cuda kernel per scheduled node. Variables live
on the device between runs (``CudaState``): the host copy is refreshed only when the host reads
it (a fetch of the variable, Saver, ``state_dict``), and host writes (initial loads, restores) go
up once. Feeds go up once per run and fetches come back once; kernels are compiled once per
process for every executable that uses the same source.

Kernels so far: fused elementwise loops and reductions (``compiler/cuda.py``), matmul, SumTo and
assignments (``compiler/cuda_templates.py``), reshapes. Any other op raises UnimplementedError
naming it when the executable is built.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler import cuda as C
from graphflow.compiler import cuda_templates as T
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import schedule
from graphflow.errors import InvalidArgumentError, UnimplementedError
from graphflow.ir import Operation, Tensor
from graphflow.registry import Op
from graphflow.runtime.state import State

_KERNELS: dict[str, Any] = {}  # source -> loaded kernel: compiled once per process
_THREADS = 128


def _cuda() -> Any:
    from numba import cuda
    return cuda


def available() -> tuple[bool, str]:
    """Whether this process can run CUDA kernels (a GPU, or Numba's simulator), and why not."""
    try:
        cuda = _cuda()
    except ImportError:
        return False, "numba-cuda is not installed (pip install 'numba-cuda[cu13]')"
    try:
        if cuda.is_available():
            return True, ""
    except Exception as e:  # noqa: BLE001 - a missing driver raises here
        return False, f"no CUDA driver ({type(e).__name__})"
    return False, "no CUDA GPU found; NUMBA_ENABLE_CUDASIM=1 runs the kernels in Numba's simulator"


def kernel(source: str) -> Any:
    k = _KERNELS.get(source)
    if k is None:
        k = _KERNELS[source] = C.load(source)
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
            self.device[uid] = _cuda().to_device(np.ascontiguousarray(State.buffer(self, var)).reshape(-1))
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


class _Value:
    """A device array with its logical shape (rank-0 values are 1-element arrays)."""

    __slots__ = ("array", "shape")

    def __init__(self, array: Any, shape: tuple[int, ...]) -> None:
        self.array, self.shape = array, shape

    def shaped(self) -> Any:
        return self.array.reshape(self.shape) if self.shape else self.array


def _launch(source: str, args: Sequence[Any], size: int) -> None:
    if size:
        kernel(source)[(size + _THREADS - 1) // _THREADS, _THREADS](*args)


class CudaExecutable:
    """Built once per signature; ``__call__`` runs it: feeds up, kernels, fetches down."""

    def __init__(self, program: Program, state: CudaState) -> None:
        self.program = run_passes(program)
        self.schedule = schedule(self.program)
        self.state = state
        self.steps: list[Any] = []
        self.sources: dict[int, str] = {}
        for n in self.schedule.order:
            if n.op is Op.FUSED:
                try:
                    self.sources[id(n)] = C.fused_source(n)
                except C.NotOnCudaError as e:
                    raise UnimplementedError(n, n, f"the CUDA target cannot run {n.describe()} yet: {e}") from None
            elif n.op is Op.MATMUL:
                if n.inputs[0].shape.rank != 2 or n.inputs[1].shape.rank != 2:
                    raise UnimplementedError(n, n, f"the CUDA target runs 2-D matmuls so far, not {n.describe()}")
                self.sources[id(n)] = T.matmul_source(n.dtypes[0].name)
            elif n.op is Op.SUM_TO:
                if (n.inputs[0].shape.rank or 0) > 4:
                    raise UnimplementedError(n, n, f"the CUDA target sums up to rank 4, not {n.describe()}")
                self.sources[id(n)] = T.sum_to_source(n.dtypes[0].name)
            elif n.op is Op.RESHAPE:
                if any(isinstance(s, tuple) and len(s) == 3 for s in n.attrs.spec):
                    raise UnimplementedError(n, n, f"the CUDA target cannot reshape to computed shapes yet: "
                                             f"{n.describe()}")
            elif n.op not in (Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.ASSIGN, Op.NO_OP, Op.IDENTITY,
                              Op.STOP_GRADIENT):
                raise UnimplementedError(n, n, f"the CUDA target has no kernel for {n.op.value} yet "
                                         f"({n.describe()}); it runs fused elementwise loops, reductions, "
                                         "2-D matmuls, SumTo, reshapes and assignments so far")
        cuda = _cuda()
        self.consts = {id(n.outputs[0]): _Value(cuda.to_device(np.ascontiguousarray(n.attrs.value).reshape(-1)),
                                                tuple(n.attrs.value.shape))
                       for n in self.schedule.order if n.op is Op.CONST}
        self.writes = [v.attrs.uid for v in self.schedule.writes]

    # -- running
    def _var(self, var: Operation) -> _Value:
        return _Value(self.state.device_buffer(var), tuple(var.attrs.shape.as_list()))

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        cuda = _cuda()
        state = self.state
        for var in self.schedule.needs_init:
            state.check_initialized(var)
        env: dict[int, _Value] = dict(self.consts)
        for ph, v in zip(self.program.feeds, feeds):
            a = np.ascontiguousarray(np.asarray(v, dtype=ph.dtypes[0].np))
            env[id(ph.outputs[0])] = _Value(cuda.to_device(a.reshape(-1)), a.shape)
        snaps: dict[int, _Value] = {}
        pending = sorted(self.schedule.snapshots.items(), key=lambda kv: kv[1][1])
        for k, n in enumerate(self.schedule.order):
            for sid, (var, at) in pending:
                if at == k:  # a read of the variable scheduled after an assignment to it
                    cur = self._var(var)
                    copy = cuda.device_array_like(cur.array)
                    copy.copy_to_device(cur.array)
                    snaps[sid] = _Value(copy, cur.shape)

            def value(j: int) -> _Value:
                t = n.inputs[j]
                sid = self.schedule.reads.get((id(n), j))
                if sid is not None:
                    return snaps[sid]
                if t.node.op is Op.VARIABLE:
                    return self._var(t.node)
                return env[id(t)]
            self._step(n, value, env)
        state.initialized.update(self.writes)
        state.dirty.update(self.writes)
        outs = []
        for t in self.program.outputs:
            v = self._var(t.node) if t.node.op is Op.VARIABLE else env[id(t)]
            host = v.array.copy_to_host()
            outs.append(host.reshape(v.shape) if v.shape else t.dtype.as_numpy_dtype(host[0]))
        return outs

    def _step(self, n: Operation, value: Any, env: dict[int, _Value]) -> None:
        cuda = _cuda()
        op = n.op
        if op in (Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.NO_OP):
            return
        if op in (Op.IDENTITY, Op.STOP_GRADIENT):
            env[id(n.outputs[0])] = value(0)
            return
        if op is Op.FUSED:
            ins = [value(j) for j in range(len(n.inputs))]
            try:
                loop = np.broadcast_shapes(*[v.shape for v in ins]) if ins else ()
            except ValueError:
                raise InvalidArgumentError(n, n, f"shapes {[v.shape for v in ins]} do not broadcast\n"
                                           f"  in {n.describe()}") from None
            red = n.attrs.reduce
            shape = tuple(loop)
            if red is not None:
                shape = tuple(1 if j in red.axes else d for j, d in enumerate(loop)) if red.keepdims else \
                    tuple(d for j, d in enumerate(loop) if j not in red.axes)
            out = cuda.device_array(max(1, math.prod(shape)), dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [v.shaped() for v in ins] + [out], out.shape[0])
            env[id(n.outputs[0])] = _Value(out, shape)
        elif op is Op.MATMUL:
            a, b = value(0), value(1)
            ta, tb = n.attrs.transpose_a, n.attrs.transpose_b
            m = a.shape[1] if ta else a.shape[0]
            cols = b.shape[0] if tb else b.shape[1]
            out = cuda.device_array((m, cols), dtype=n.dtypes[0].np)
            grid = ((cols + T.TILE - 1) // T.TILE, (m + T.TILE - 1) // T.TILE)
            if m and cols:
                kernel(self.sources[id(n)])[grid, (T.TILE, T.TILE)](a.shaped(), b.shaped(), out, ta, tb)
            env[id(n.outputs[0])] = _Value(out.reshape(-1), (m, cols))
        elif op is Op.SUM_TO:
            x, like = value(0), value(1)
            xs = (1,) * (4 - len(x.shape)) + tuple(x.shape)
            ls = (1,) * (4 - len(like.shape)) + tuple(like.shape)
            flags = [1 if ls[d] == 1 and xs[d] != 1 else 0 for d in range(4)]
            out = cuda.device_array(max(1, math.prod(like.shape)), dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [x.array.reshape(xs), out] + flags, out.shape[0])
            env[id(n.outputs[0])] = _Value(out, tuple(like.shape))
        elif op is Op.RESHAPE:
            from graphflow.ops.shape_ops import resolve_spec
            x = value(0)
            shapes = [value(j).shape for j in range(len(n.inputs))]
            dims = resolve_spec(n.attrs.spec, shapes, math.prod(x.shape))
            env[id(n.outputs[0])] = _Value(x.array, tuple(int(d) for d in dims))
        elif op is Op.ASSIGN:
            var = n.inputs[0].node
            dst, v = self.state.device_buffer(var), value(1)
            mode = {"set": 0, "add": 1, "sub": 2}[n.attrs.mode]
            _launch(T.ASSIGN, [dst, v.array.reshape(-1), mode], dst.shape[0])
            env[id(n.outputs[0])] = self._var(var)
        else:  # pragma: no cover - refused when built
            raise UnimplementedError(n, n, f"no CUDA kernel for {n.describe()}")


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)
