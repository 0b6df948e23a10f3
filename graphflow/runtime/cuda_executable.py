"""The CUDA runtime (issue 11, first part): one executable per run signature, built from the same
passes and schedule as the CPU's, launching a numba.cuda kernel per scheduled node. Variables live
on the device between runs (``CudaState``): the host copy is refreshed only when the host reads
it (a fetch of the variable, Saver, ``state_dict``), and host writes (initial loads, restores) go
up once. Feeds go up once per run and fetches come back once; kernels are compiled once per
process for every executable that uses the same source.

Kernels: fused elementwise loops and reductions (``compiler/cuda.py``); matmul, SumTo,
assignments, convolutions, pooling, cross-entropy, checks, gathers, one-hot and data movement
(``compiler/cuda_templates.py``); reshapes as views; shapes, ranges, fills and random numbers made
on the host. ``cond`` and ``while_loop`` run on the host around their sub-programs' device
kernels (the predicate comes to the host once per branch or iteration). Any other op raises
UnimplementedError naming it when the executable is built.
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
_TEMPLATES = {Op.CONV2D: T.CONV2D, Op.CONV2D_BACKPROP_INPUT: T.CONV2D_BACKPROP_INPUT,
              Op.CONV2D_BACKPROP_FILTER: T.CONV2D_BACKPROP_FILTER, Op.MAX_POOL: T.POOL, Op.AVG_POOL: T.POOL,
              Op.MAX_POOL_GRAD: T.MAX_POOL_GRAD, Op.AVG_POOL_GRAD: T.AVG_POOL_GRAD, Op.SOFTMAX_XENT: T.XENT,
              Op.SOFTMAX_XENT_GRAD: T.XENT_GRAD, Op.CHECK: T.CHECK}
_THREADS = 128
_MOVES = {Op.TRANSPOSE, Op.SLICE, Op.SLICE_GRAD, Op.BROADCAST_TO, Op.TILE, Op.PAD, Op.CONCAT}
_MAPS: dict[Any, Any] = {}  # (op attributes, shapes) -> the index map on the device


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


def _upload(a: np.ndarray) -> _Value:
    a = np.asarray(a, order="C")  # (ascontiguousarray would make a 0-d value 1-d)
    return _Value(_cuda().to_device(a.reshape(-1) if a.ndim else a.reshape(1)), tuple(a.shape), a)


def _launch(source: str, args: Sequence[Any], size: int) -> None:
    if size:
        kernel(source)[(size + _THREADS - 1) // _THREADS, _THREADS](*args)


class CudaExecutable:
    """Built once per signature; ``__call__`` runs it: feeds up, kernels, fetches down."""

    def __init__(self, program: Program, state: CudaState, optimized: bool = False) -> None:
        self.program = program if optimized else run_passes(program)
        self.schedule = schedule(self.program)
        self.state = state
        self.sources: dict[int, str] = {}
        self.subs: dict[int, CudaExecutable] = {}  # id(FuncGraph) -> its executable
        for n in self.schedule.order:
            if any(d.name == "float16" for d in n.dtypes):
                raise UnimplementedError(n, n, f"the CUDA target has no float16 kernels yet ({n.describe()})")
            if n.op in (Op.COND, Op.WHILE):
                graphs = n.attrs.branches if n.op is Op.COND else (n.attrs.cond, n.attrs.body)
                for g in graphs:
                    self._sub(g)
            elif n.op is Op.FUSED:
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
            elif n.op in _TEMPLATES:
                self.sources[id(n)] = T.source(_TEMPLATES[n.op], n.dtypes[0].name if n.op is not Op.CHECK else "")
                if n.op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD) and n.inputs[-1].shape.rank != 2:
                    raise UnimplementedError(n, n, f"the CUDA target's cross-entropy takes [rows, classes], "
                                             f"not {n.describe()}")
                if n.op is Op.MAX_POOL_GRAD and n.attrs.gather:
                    raise UnimplementedError(n, n, f"no CUDA kernel for the second derivative of max pooling "
                                             f"({n.describe()})")
            elif n.op in _MOVES and (n.inputs[0].shape.rank is None):
                raise UnimplementedError(n, n, f"the CUDA target needs known ranks: {n.describe()}")
            elif n.op not in (Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.ASSIGN, Op.NO_OP, Op.IDENTITY, Op.COND,
                              Op.WHILE, Op.FILL,
                              Op.STOP_GRADIENT, Op.SHAPE, Op.RANGE, Op.RANDOM, Op.GATHER, Op.ONE_HOT) and \
                    n.op not in _MOVES:
                raise UnimplementedError(n, n, f"the CUDA target has no kernel for {n.op.value} yet "
                                         f"({n.describe()}); it runs fused elementwise loops, reductions, "
                                         "2-D matmuls, SumTo, reshapes, assignments, convolutions and their "
                                         "gradients, pooling, softmax cross-entropy, data movement, gathers, "
                                         "one-hot, range checks, shapes, ranges, fills, random numbers, cond "
                                         "and while_loop so far")
        self.consts = {id(n.outputs[0]): _upload(n.attrs.value) for n in self.schedule.order if n.op is Op.CONST}
        self.writes = [v.attrs.uid for v in self.schedule.writes]

    def kernel_sources(self) -> list[tuple[str, str]]:
        """(name, CUDA module source) of every kernel this executable launches."""
        named = [(n.name, src) for n in self.schedule.order for src in [self.sources.get(id(n))] if src]
        fixed = [("assign", T.ASSIGN)] if any(n.op is Op.ASSIGN for n in self.schedule.order) else []
        if any(n.op in _MOVES for n in self.schedule.order):
            fixed += [("gather_map", T.GATHER_MAP), ("scatter_map", T.SCATTER_MAP), ("fill", T.FILL)]
        return named + fixed

    def dump(self, folder: str) -> None:
        """Each kernel's CUDA source and, for the generated (fused) kernels where numba-cuda's NVVM
        is present (not under the simulator), their sm_90 PTX; and an index linking them."""
        import html
        import os
        os.makedirs(folder, exist_ok=True)
        rows = []
        types = {src: C.node_arg_types(n) for n in self.schedule.order if n.op is Op.FUSED
                 for src in [self.sources[id(n)]]}
        ptx_ok = callable(getattr(_cuda(), "compile_ptx", None))  # not under the simulator
        for k, (name, src) in enumerate(self.kernel_sources()):
            stem = f"cuda{k:03d}"
            with open(os.path.join(folder, stem + ".py"), "w") as f:
                f.write(f"# {name}\n" + src)
            links = f"<a href='{stem}.py'>{stem}.py</a>"
            if ptx_ok and src in types:
                with open(os.path.join(folder, stem + ".ptx"), "w") as f:
                    f.write(C.compile_ptx(src, types[src], (9, 0)))
                links += f", <a href='{stem}.ptx'>{stem}.ptx</a> (sm_90)"
            rows.append(f"<li>{html.escape(name)}: {links}</li>")
        with open(os.path.join(folder, "index.html"), "w") as f:
            f.write("<!doctype html><meta charset='utf-8'><title>graphflow CUDA dump</title>"
                    "<h1>graphflow CUDA executable</h1><ul>" + "".join(rows) + "</ul>\n")

    def _sub(self, g: Any) -> CudaExecutable:
        """The executable of a branch, loop condition or loop body (built once, sharing the state)."""
        from graphflow.compiler.control_flow import sub_program
        exe = self.subs.get(id(g))
        if exe is None:
            prog, _ = sub_program(g)
            exe = self.subs[id(g)] = CudaExecutable(prog, self.state, optimized=True)
        return exe

    # -- running
    def _var(self, var: Operation) -> _Value:
        return _Value(self.state.device_buffer(var), tuple(var.attrs.shape.as_list()))

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        values = [_upload(np.asarray(v, dtype=ph.dtypes[0].np)) for ph, v in zip(self.program.feeds, feeds)]
        outs = []
        for t, v in zip(self.program.outputs, self.run(values)):
            host = v.array.copy_to_host()
            if v.shape and 0 in v.shape:
                outs.append(np.zeros(v.shape, host.dtype))
            else:
                outs.append(host.reshape(v.shape) if v.shape else t.dtype.as_numpy_dtype(host[0]))
        return outs

    def run(self, feeds: Sequence[_Value]) -> list[_Value]:
        """Run on device values: the feeds in, the outputs out, nothing copied to the host."""
        cuda = _cuda()
        state = self.state
        for var in self.schedule.needs_init:
            state.check_initialized(var)
        env: dict[int, _Value] = dict(self.consts)
        for ph, v in zip(self.program.feeds, feeds):
            env[id(ph.outputs[0])] = v
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
        return [self._var(t.node) if t.node.op is Op.VARIABLE else env[id(t)] for t in self.program.outputs]

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
            _launch(self.sources[id(n)], [v.shaped() for v in ins] + [out], math.prod(shape))
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
        elif op is Op.FILL:
            dims = tuple(int(d) for d in value(1).numpy()) if len(n.inputs) > 1 else tuple(n.attrs.shape)
            out = cuda.device_array(max(1, math.prod(dims)), dtype=n.dtypes[0].np)
            _launch(T.FILL, [out, n.dtypes[0].np.type(value(0).numpy().reshape(()))], out.shape[0])
            env[id(n.outputs[0])] = _Value(out, dims)
        elif op is Op.SHAPE:  # shapes are known on the host: no transfer
            env[id(n.outputs[0])] = _upload(np.array(value(0).shape, n.dtypes[0].np))
        elif op is Op.RANGE:
            start, limit, delta = (value(j).numpy().reshape(()) for j in range(3))
            env[id(n.outputs[0])] = _upload(np.arange(start, limit, delta, dtype=n.dtypes[0].np))
        elif op is Op.RANDOM:  # graphflow's counter-based streams, drawn on the host: the CPU's numbers
            from graphflow.evaluate import evaluate
            st = self.state.rng_state(n)
            dims = [value(0).numpy()] if n.inputs else []
            (drawn,) = evaluate(n, [st, *dims])
            st[1] += np.uint64(1)
            env[id(n.outputs[0])] = _upload(drawn)
        elif op is Op.CHECK:
            at = n.attrs
            x = value(0)
            bad = cuda.to_device(np.zeros(1, np.int64))
            kind = {"range": 0, "true": 1, "finite": 2}[at.kind]
            hi = int(value(1).numpy().reshape(())) if at.kind == "range" and len(n.inputs) > 1 else int(at.hi)
            _launch(self.sources[id(n)], [x.array, bad, int(at.lo), hi, kind], x.array.shape[0])
            if int(bad.copy_to_host()[0]):  # checked before any later node runs: no variable half-updated
                message = {0: f"{at.message}: a value is outside the valid range [{at.lo}, {hi})", 1: at.message,
                           2: f"{at.message}: Tensor had NaN or Inf values"}[kind]  # the CPU's messages
                raise InvalidArgumentError(n, n, f"{message}\n  in {n.describe()}")
            env[id(n.outputs[0])] = x
        elif op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD):
            vals = [value(j) for j in range(len(n.inputs))]
            rows = vals[-1].shape[0]
            shape = (rows,) if op is Op.SOFTMAX_XENT else vals[-1].shape
            out = cuda.device_array(shape, dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [v.shaped() for v in vals] + [out], rows)
            env[id(n.outputs[0])] = _Value(out.reshape(-1), shape)
        elif op is Op.COND:
            at = n.attrs
            k = 0 if bool(value(0).numpy().reshape(())) else 1  # the predicate comes to the host
            outs = self._sub(at.branches[k]).run([value(i) for i in at.capture_index[k]])
            for t, v in zip(n.outputs, outs):
                env[id(t)] = v
        elif op is Op.WHILE:
            self._while(n, value, env)
        elif op in _MOVES:
            self._move(n, value, env)
        elif op is Op.GATHER:
            p, idx = value(0), value(1)
            ax = n.attrs.axis
            inner = math.prod(p.shape[ax + 1:])
            shape = tuple(p.shape[:ax]) + tuple(idx.shape) + tuple(p.shape[ax + 1:])
            out = cuda.device_array(max(1, math.prod(shape)), dtype=n.dtypes[0].np)
            bad = cuda.to_device(np.zeros(1, np.int64))
            _launch(T.GATHER, [p.array, idx.array, out, p.shape[ax], inner, bad], math.prod(shape))
            if int(bad.copy_to_host()[0]):
                raise InvalidArgumentError(n, n, f"gather indices out of range [0, {p.shape[ax]})\n  in {n.describe()}")
            env[id(n.outputs[0])] = _Value(out, shape)
        elif op is Op.ONE_HOT:
            idx = value(0)
            at = n.attrs
            shape = tuple(idx.shape[:at.axis]) + (at.depth,) + tuple(idx.shape[at.axis:])
            out = cuda.device_array(max(1, math.prod(shape)), dtype=n.dtypes[0].np)
            inner = math.prod(idx.shape[at.axis:])
            _launch(T.ONE_HOT, [idx.array, out, at.depth, inner, at.on, at.off], math.prod(shape))
            env[id(n.outputs[0])] = _Value(out, shape)
        elif op in (Op.CONV2D, Op.CONV2D_BACKPROP_INPUT, Op.CONV2D_BACKPROP_FILTER):
            self._conv(n, value, env)
        elif op in (Op.MAX_POOL, Op.AVG_POOL, Op.MAX_POOL_GRAD, Op.AVG_POOL_GRAD):
            self._pool(n, value, env)
        else:  # pragma: no cover - refused when built
            raise UnimplementedError(n, n, f"no CUDA kernel for {n.describe()}")

    def _while(self, n: Operation, value: Any, env: dict[int, _Value]) -> None:
        """The loop on the host around the body's device kernels (the condition's value comes to
        the host each iteration); emitted and recorded values are stacked on the device."""
        cuda = _cuda()
        at = n.attrs
        vals = [value(j) for j in range(at.n_vars)]
        limit = int(value(at.n_vars).numpy().reshape(())) if at.has_limit else None
        cond, body = self._sub(at.cond), self._sub(at.body)
        cond_caps = [value(i) for i in at.cond_index]
        body_caps = [value(i) for i in at.body_index]
        emitted: list[list[_Value]] = [[] for _ in range(at.n_emit)]
        recorded: list[list[_Value]] = [[] for _ in range(at.n_vars)]
        it = 0
        while (limit is None or it < limit) and bool(cond.run(vals + cond_caps)[0].numpy().reshape(())):
            for r, v in zip(recorded, vals):
                r.append(v)
            outs = body.run(vals + body_caps)
            vals = list(outs[:at.n_vars])
            for e, o in zip(emitted, outs[at.n_vars:]):
                e.append(o)
            it += 1

        def stack(items: list[_Value], like: Tensor) -> _Value:
            if items and all(v.shape == items[0].shape for v in items):
                shape = (len(items),) + tuple(items[0].shape)
                size = max(1, math.prod(items[0].shape))
                out = cuda.device_array(len(items) * size, dtype=like.dtype.np)
                for i, v in enumerate(items):  # flat slices: device-to-device copies
                    out[i * size:(i + 1) * size].copy_to_device(v.array.reshape(-1))
                return _Value(out, shape)
            empty = (0,) + tuple(d or 0 for d in like.shape.as_list()) if like.shape.rank is not None else (0,)
            return _Value(cuda.device_array(1, dtype=like.dtype.np), empty)
        results = vals + [stack(e, t) for e, t in zip(emitted, at.body.outputs[at.n_vars:])] + \
            [_upload(np.int32(it))] + [stack(r, t) for r, t in zip(recorded, at.body.inputs)]
        for t, v in zip(n.outputs, results):
            env[id(t)] = v

    def _move(self, n: Operation, value: Any, env: dict[int, _Value]) -> None:
        """Data movement through a cached index map (``_index_map``)."""
        cuda = _cuda()
        ins = [value(j) for j in range(len(n.inputs))]
        shapes = tuple(v.shape for v in ins)
        refs = tuple(tuple(v.numpy().reshape(-1).tolist()) for v in ins[1:]) if n.op is Op.SLICE else ()
        key = (id(n), shapes, refs)
        if key not in _MAPS:
            try:
                maps = _index_maps(n, shapes, ins)
            except (IndexError, ValueError) as e:
                raise InvalidArgumentError(n, n, f"{e}\n  in {n.describe()}") from None
            _MAPS[key] = [(cuda.to_device(m if m.size else np.zeros(1, np.int64)), shape, m.size) for m, shape in maps]
        maps = _MAPS[key]
        dt = n.dtypes[0].np
        if n.op in (Op.CONCAT, Op.SLICE_GRAD):
            shape = maps[0][1]
            out = cuda.device_array(max(1, math.prod(shape)), dtype=dt)
            _launch(T.FILL, [out, dt.type(0)], out.shape[0])
            sources = ins if n.op is Op.CONCAT else ins[:1]
            for v, (m, _, count) in zip(sources, maps):
                _launch(T.SCATTER_MAP, [v.array, m, out], count)
        else:
            (m, shape, count), = maps
            out = cuda.device_array(max(1, math.prod(shape)), dtype=dt)
            fill = dt.type(n.attrs.constant) if n.op is Op.PAD else dt.type(0)
            _launch(T.GATHER_MAP, [ins[0].array, m, out, fill], count)
        env[id(n.outputs[0])] = _Value(out, tuple(shape))

    def _conv(self, n: Operation, value: Any, env: dict[int, _Value]) -> None:
        from graphflow.ops.conv_ops import _geometry
        cuda = _cuda()
        at = n.attrs
        (sh, sw), (dh, dw) = at.strides, at.dilations
        if n.op is Op.CONV2D:
            x, w = value(0), value(1)
            xs, ws = x.shape, w.shape
        elif n.op is Op.CONV2D_BACKPROP_INPUT:
            xs, w, dy = tuple(int(d) for d in value(0).numpy()), value(1), value(2)
            ws = w.shape
        else:
            x, dy = value(0), value(2)
            xs, ws = x.shape, tuple(int(d) for d in value(1).numpy())
        if xs[3] != ws[2]:
            raise InvalidArgumentError(n, n, f"input depth {xs[3]} does not match the filter's input depth {ws[2]}"
                                       f"\n  in {n.describe()}")
        try:
            oh, pt = _geometry(xs[1], ws[0], sh, dh, at.padding, 0)
            ow, pl = _geometry(xs[2], ws[1], sw, dw, at.padding, 1)
        except ValueError as e:
            raise InvalidArgumentError(n, n, f"{e}\n  in {n.describe()}") from None
        geometry = [sh, sw, dh, dw, pt, pl]
        if n.op is Op.CONV2D:
            out = cuda.device_array((xs[0], oh, ow, ws[3]), dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [x.shaped(), w.shaped(), out] + geometry, out.size)
        elif n.op is Op.CONV2D_BACKPROP_INPUT:
            out = cuda.device_array(xs, dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [dy.shaped(), w.shaped(), out] + geometry, out.size)
        else:
            out = cuda.device_array(ws, dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [x.shaped(), dy.shaped(), out] + geometry, out.size)
        env[id(n.outputs[0])] = _Value(out.reshape(-1), tuple(out.shape))

    def _pool(self, n: Operation, value: Any, env: dict[int, _Value]) -> None:
        from graphflow.ops.conv_ops import _geometry
        cuda = _cuda()
        at = n.attrs
        (kh, kw), (sh, sw) = at.ksize, at.strides
        if n.op is Op.AVG_POOL_GRAD:
            sizes, dy = tuple(int(d) for d in value(0).numpy()), value(1)
            _, pt = _geometry(sizes[1], kh, sh, 1, at.padding, 0)
            _, pl = _geometry(sizes[2], kw, sw, 1, at.padding, 1)
            out = cuda.device_array(sizes, dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [dy.shaped(), out, kh, kw, sh, sw, pt, pl], out.size)
            env[id(n.outputs[0])] = _Value(out.reshape(-1), sizes)
            return
        x = value(0)
        oh, pt = _geometry(x.shape[1], kh, sh, 1, at.padding, 0)
        ow, pl = _geometry(x.shape[2], kw, sw, 1, at.padding, 1)
        if n.op is Op.MAX_POOL_GRAD:
            dy = value(1)
            out = cuda.to_device(np.zeros(x.shape, n.dtypes[0].np))
            _launch(self.sources[id(n)], [x.shaped(), dy.shaped(), out, kh, kw, sh, sw, pt, pl], dy.array.shape[0])
        else:
            out = cuda.device_array((x.shape[0], oh, ow, x.shape[3]), dtype=n.dtypes[0].np)
            _launch(self.sources[id(n)], [x.shaped(), out, kh, kw, sh, sw, pt, pl, n.op is Op.MAX_POOL], out.size)
        env[id(n.outputs[0])] = _Value(out.reshape(-1), tuple(out.shape))


def _index_maps(n: Operation, shapes: tuple, ins: list[_Value]) -> list[tuple[np.ndarray, tuple[int, ...]]]:
    """Per index map: for each element of the result (or, for concatenation and slice gradients,
    of each piece) the flat position it reads (or is written to); -1 reads the fill value."""
    op, at = n.op, n.attrs
    src = np.arange(math.prod(shapes[0]), dtype=np.int64).reshape(shapes[0])
    if op is Op.TRANSPOSE:
        m = src.transpose(at.perm)
    elif op is Op.SLICE:
        from graphflow.ops.slice_ops import _np_key
        m = src[_np_key(at, shapes[0], [v.numpy() for v in ins[1:]])]
    elif op is Op.BROADCAST_TO:
        m = np.broadcast_to(src, np.broadcast_shapes(shapes[0], shapes[1]))
    elif op is Op.TILE:
        m = np.tile(src, at.multiples)
    elif op is Op.PAD:
        m = np.pad(src, at.paddings, constant_values=-1)
    elif op is Op.CONCAT:
        out = np.concatenate([np.full(s, k, np.int64) for k, s in enumerate(shapes)], axis=at.axis)
        pos = np.arange(out.size, dtype=np.int64).reshape(out.shape)
        return [(pos[out == k].reshape(-1), out.shape) for k in range(len(shapes))]
    elif op is Op.SLICE_GRAD:
        from graphflow.ops.slice_ops import _np_key
        like = np.arange(math.prod(shapes[1]), dtype=np.int64).reshape(shapes[1])
        return [(np.ascontiguousarray(like[_np_key(at, shapes[1], [v.numpy() for v in ins[2:]])]).reshape(-1),
                 tuple(shapes[1]))]
    else:  # pragma: no cover - only _MOVES reach here
        raise UnimplementedError(n, n, f"no index map for {n.describe()}")
    return [(np.ascontiguousarray(m).reshape(-1), tuple(m.shape))]
