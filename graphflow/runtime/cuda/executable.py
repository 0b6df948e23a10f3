"""The CUDA runtime: one executable per run signature, built from the same passes and schedule as
the CPU's, launching numba.cuda kernels per scheduled node (``docs/cuda.md``). Variables live on
the device between runs (``cuda_memory.CudaState``); feeds go up once per run and fetches come
back once.

Here: the build (each node's kernel source, or UnimplementedError naming what has none), the
walk over the schedule, and the core steps (fused loops and reductions, SumTo,
reshapes as views, assignments, fills, shapes, ranges and random numbers made on the host,
checks, cross-entropy, one-hot, cond and while_loop on the host around their sub-programs'
executables). The other primitives' steps are ``cuda_steps``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler import fused_loops as FL
from graphflow.compiler.cuda import index_kernels as K
from graphflow.compiler.cuda import linalg as LA
from graphflow.compiler.cuda import loops as C
from graphflow.compiler.cuda import templates as T
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import schedule
from graphflow.core.errors import InvalidArgumentError, UnimplementedError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op
from graphflow.runtime.cuda import steps as S
from graphflow.runtime.cuda.memory import (
                                           Checks,
                                           CudaState,
                                           Value,
                                           check_slot,
                                           launch,
                                           launch_grid,
                                           numba_cuda,
                                           recording,
                                           upload,
                                           zeros,
                                           )
from graphflow.runtime.cuda.steps import MOVES, STEPS

_TEMPLATES = {Op.CONV2D: T.CONV2D, Op.CONV2D_BACKPROP_INPUT: T.CONV2D_BACKPROP_INPUT,
              Op.CONV2D_BACKPROP_FILTER: T.CONV2D_BACKPROP_FILTER, Op.MAX_POOL: T.POOL, Op.AVG_POOL: T.POOL,
              Op.MAX_POOL_GRAD: T.MAX_POOL_GRAD, Op.AVG_POOL_GRAD: T.AVG_POOL_GRAD, Op.SOFTMAX_XENT: T.XENT,
              Op.SOFTMAX_XENT_GRAD: T.XENT_GRAD, Op.CHECK: T.CHECK}


# ops run without a kernel (views, host-made values, control flow) or by the executable itself
_CORE = {Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.ASSIGN, Op.NO_OP, Op.IDENTITY, Op.STOP_GRADIENT, Op.FILL,
         Op.SHAPE, Op.RANGE, Op.RANDOM, Op.ONE_HOT, Op.RESHAPE, Op.KEEP_DIMS}
_ANY_RANK = _CORE | {Op.COND, Op.WHILE}
# a reduction with fewer outputs than this, each of at least _TREE_ELEMENTS elements, runs a
# block of threads per output (a shared-memory tree) rather than a thread per output
_TREE_OUTPUTS, _TREE_ELEMENTS = 4096, 64


class CudaExecutable:
    """Built once per signature; ``__call__`` runs it: feeds up, kernels, fetches down."""

    def __init__(self, program: Program, state: CudaState, optimized: bool = False) -> None:
        self.program = program if optimized else run_passes(program)
        self.schedule = schedule(self.program)
        self.state = state
        self.sources: dict[int, str] = {}
        self.trees: dict[int, str] = {}  # a reduction's block-per-output kernel (``fused_source``)
        self.fixed: dict[int, Any] = {}  # a fused loop's dims the graph fixes (``fused_loops.fixed_dims``)
        self.subs: dict[int, CudaExecutable] = {}  # id(FuncGraph) -> its executable
        self.dump_folder: str | None = None  # set by ``dump``: the first run completes the dump
        for n in self.schedule.order:
            self._prepare(n)
        # nodes whose kernels count failures: the checking primitives, and fused loops with
        # per-element checks (an integer division's zero divisor)
        self.guards = {id(n): FL.guard_messages(n) for n in self.schedule.order if n.op is Op.FUSED}
        self.checks = Checks([n for n in self.schedule.order if n.op in S.CHECKING or self.guards.get(id(n))])
        self.consts = {id(n.outputs[0]): upload(n.attrs.value) for n in self.schedule.order if n.op is Op.CONST}
        self.writes = [v.attrs.uid for v in self.schedule.writes]

    def _prepare(self, n: Operation) -> None:
        """The node's kernel source (``sources``), or UnimplementedError naming what is missing."""
        def refuse(why: str) -> UnimplementedError:
            return UnimplementedError(n, n, f"the CUDA target {why} ({n.describe()})")
        rank = n.inputs[0].shape.rank if n.inputs else 0
        if n.op in (Op.COND, Op.WHILE):
            for g in (n.attrs.branches if n.op is Op.COND else (n.attrs.cond, n.attrs.body)):
                self._sub(g)
        elif n.op is Op.FUSED:
            self.fixed[id(n)] = FL.fixed_dims(n)
            try:
                self.sources[id(n)] = C.fused_source(n)
                if n.attrs.reduce is not None:
                    self.trees[id(n)] = C.fused_source(n, tree=True)
            except C.NotOnCudaError as e:
                raise refuse(f"cannot run this fused loop yet: {e}") from None
        elif rank is None and n.op not in _ANY_RANK:
            raise refuse("needs known ranks")
        elif n.op is Op.MATMUL:
            self.sources[id(n)] = LA.batch_matmul_source(n.dtypes[0].name)
        elif n.op is Op.SUM_TO:
            self.sources[id(n)] = (T.sum_to_source if rank <= 4 else K.sum_to_nd_source)(n.dtypes[0].name)
        elif n.op in _TEMPLATES:
            self.sources[id(n)] = T.source(_TEMPLATES[n.op], n.dtypes[0].name if n.op is not Op.CHECK else "")
            if n.op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD) and n.inputs[-1].shape.rank != 2:
                raise refuse("takes cross-entropy over [rows, classes]")
        elif n.op not in _CORE and n.op not in STEPS:
            raise refuse(f"has no kernel for {n.op.value} yet")

    def kernel_sources(self) -> list[tuple[str, str]]:
        """(name, CUDA module source) of every kernel this executable launches."""
        named = [(n.name + suffix, src) for n in self.schedule.order
                 for suffix, src in (("", self.sources.get(id(n))), (" (tree)", self.trees.get(id(n)))) if src]
        fixed = [("assign", T.ASSIGN)] if any(n.op is Op.ASSIGN for n in self.schedule.order) else []
        if any(n.op in MOVES for n in self.schedule.order):
            fixed += [("gather_map", T.GATHER_MAP), ("scatter_map", T.SCATTER_MAP), ("fill", T.FILL)]
        return named + fixed

    def dump(self, folder: str) -> None:
        """Write the kernels' sources now and, after the first run, every launched kernel with its
        argument types and PTX (``cuda_dump``)."""
        from graphflow.runtime.cuda import dump as cuda_dump
        cuda_dump.write(folder, self.kernel_sources(), {})
        self.dump_folder = folder

    def _sub(self, g: Any) -> CudaExecutable:
        """The executable of a branch, loop condition or loop body (built once, sharing the state)."""
        from graphflow.compiler.cpu.control_flow import sub_program
        exe = self.subs.get(id(g))
        if exe is None:
            prog, _ = sub_program(g)
            exe = self.subs[id(g)] = CudaExecutable(prog, self.state, optimized=True)
        return exe

    # -- running
    def _var(self, var: Operation) -> Value:
        return Value(self.state.device_buffer(var), tuple(var.attrs.shape.as_list()))

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        values = [upload(np.asarray(v, dtype=ph.dtypes[0].np)) for ph, v in zip(self.program.feeds, feeds)]
        if self.dump_folder is not None:  # the first run records what it launches for the dump
            from graphflow.runtime.cuda import dump as cuda_dump
            with recording() as launches:
                results = self.run(values)
            cuda_dump.write(self.dump_folder, self.kernel_sources(), launches)
            self.dump_folder = None
        else:
            results = self.run(values)
        outs = []
        for t, v in zip(self.program.outputs, results):
            host = v.array.copy_to_host()
            if v.shape and 0 in v.shape:
                outs.append(np.zeros(v.shape, host.dtype))
            else:
                outs.append(host.reshape(v.shape) if v.shape else t.dtype.as_numpy_dtype(host[0]))
        return outs

    def run(self, feeds: Sequence[Value]) -> list[Value]:
        """Run on device values: the feeds in, the outputs out, nothing copied to the host but
        the checks' counters (``cuda_memory.Checks``)."""
        state = self.state
        for var in self.schedule.needs_init:
            state.check_initialized(var)
        env: dict[int, Value] = dict(self.consts)
        for ph, v in zip(self.program.feeds, feeds):
            env[id(ph.outputs[0])] = v
        with self.checks:
            try:
                outs = self._run(env)
            finally:  # written even if a later node raised: the host copy must be refreshed
                state.dirty.update(uid for uid in self.writes if uid in state.device)
        state.initialized.update(self.writes)
        return outs

    def _run(self, env: dict[int, Value]) -> list[Value]:
        cuda = numba_cuda()
        snaps: dict[int, Value] = {}
        pending = sorted(self.schedule.snapshots.items(), key=lambda kv: kv[1][1])
        for k, n in enumerate(self.schedule.order):
            if n.op in (Op.ASSIGN, Op.COND, Op.WHILE):  # the checks so far pass before anything is written
                self.checks.flush()
            for sid, (var, at) in pending:
                if at == k:  # a read of the variable scheduled after an assignment to it
                    cur = self._var(var)
                    copy = cuda.device_array_like(cur.array)
                    copy.copy_to_device(cur.array)
                    snaps[sid] = Value(copy, cur.shape)

            def value(j: int) -> Value:
                t = n.inputs[j]
                sid = self.schedule.reads.get((id(n), j))
                if sid is not None:
                    return snaps[sid]
                if t.node.op is Op.VARIABLE:
                    return self._var(t.node)
                return env[id(t)]
            self._step(n, value, env)
        self.checks.flush()
        return [self._var(t.node) if t.node.op is Op.VARIABLE else env[id(t)] for t in self.program.outputs]

    def _step(self, n: Operation, value: Any, env: dict[int, Value]) -> None:
        cuda = numba_cuda()
        op = n.op
        if op in (Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.NO_OP):
            return
        if op in (Op.IDENTITY, Op.STOP_GRADIENT):
            env[id(n.outputs[0])] = value(0)
            return
        if op is Op.FUSED:
            ins = [value(j) for j in range(len(n.inputs))]
            shapes = [tuple(v.shape) for v in ins]
            try:
                loop = np.broadcast_shapes(*shapes) if ins else ()
            except ValueError:
                loop = None
            fixed = self.fixed[id(n)]
            if loop is None or len(loop) != n.attrs.loop_shape.rank or not FL.fits(fixed, shapes, loop):
                # kernels cannot raise: the host checks what they would read
                raise InvalidArgumentError(n, n, f"{FL.shape_mismatch(n, shapes)}\n  in {n.describe()}")
            red = n.attrs.reduce
            shape = tuple(loop)
            if red is not None:
                shape = tuple(1 if j in red.axes else d for j, d in enumerate(loop)) if red.keepdims else \
                    tuple(d for j, d in enumerate(loop) if j not in red.axes)
            out = cuda.device_array(max(1, math.prod(shape)), dtype=n.dtypes[0].np)
            size, args = math.prod(shape), [v.shaped() for v in ins] + [out]
            if self.guards[id(n)]:
                args.append(check_slot(n, self.guards[id(n)][0]))
            if red is not None and size < _TREE_OUTPUTS and math.prod(loop) >= _TREE_ELEMENTS * max(size, 1):
                launch_grid(self.trees[id(n)], size, C.TREE, args)  # few outputs of many elements: a block each
            else:
                launch(self.sources[id(n)], args, size)
            env[id(n.outputs[0])] = Value(out, shape)
        elif op is Op.MATMUL:
            env[id(n.outputs[0])] = S.batch_matmul(n, [value(0), value(1)], self.sources[id(n)])[0]
        elif op is Op.SUM_TO and len(value(0).shape) > 4:
            env[id(n.outputs[0])] = S.sum_to_nd(n, [value(0), value(1)], self.sources[id(n)])[0]
        elif op is Op.SUM_TO:
            x, like = value(0), value(1)
            xs = (1,) * (4 - len(x.shape)) + tuple(x.shape)
            ls = (1,) * (4 - len(like.shape)) + tuple(like.shape)
            flags = [1 if ls[d] == 1 and xs[d] != 1 else 0 for d in range(4)]
            if 0 in xs:  # the sum of nothing (an empty buffer is one element, not reshapable)
                env[id(n.outputs[0])] = zeros(tuple(like.shape), n.dtypes[0].np)
                return
            out = cuda.device_array(max(1, math.prod(like.shape)), dtype=n.dtypes[0].np)
            launch(self.sources[id(n)], [x.array.reshape(xs), out] + flags, out.shape[0])
            env[id(n.outputs[0])] = Value(out, tuple(like.shape))
        elif op is Op.RESHAPE:
            from graphflow.ops.shape_ops import resolve_spec
            x = value(0)
            shapes = [value(j).shape for j in range(len(n.inputs))]
            try:  # a computed dim ("v", input, element) comes to the host (a shape's value is there)
                dims = resolve_spec(n.attrs.spec, shapes, math.prod(x.shape),
                                    lambda item: int(value(item[1]).numpy().reshape(-1)[item[2]]))
            except ValueError as e:
                raise InvalidArgumentError(n, n, f"{e}\n  in {n.describe()}") from None
            env[id(n.outputs[0])] = Value(x.array, tuple(int(d) for d in dims))
        elif op is Op.KEEP_DIMS:  # a view: the reduced axes become dims of size 1
            from graphflow.ops.reduce_ops import norm_axes
            g, x = value(0), value(1)
            axes = norm_axes(n.attrs.axes, len(x.shape))
            dims = iter(g.shape)
            env[id(n.outputs[0])] = Value(g.array, tuple(1 if j in axes else next(dims) for j in range(len(x.shape))))
        elif op is Op.ASSIGN:
            var = n.inputs[0].node
            dst, v = self.state.device_buffer(var), value(1)
            mode = {"set": 0, "add": 1, "sub": 2}[n.attrs.mode]
            launch(T.ASSIGN, [dst, v.array.reshape(-1), mode], dst.shape[0])
            env[id(n.outputs[0])] = self._var(var)
        elif op is Op.FILL:
            dims = tuple(int(d) for d in value(1).numpy()) if len(n.inputs) > 1 else tuple(n.attrs.shape)
            out = cuda.device_array(max(1, math.prod(dims)), dtype=n.dtypes[0].np)
            launch(T.FILL, [out, n.dtypes[0].np.type(value(0).numpy().reshape(()))], out.shape[0])
            env[id(n.outputs[0])] = Value(out, dims)
        elif op is Op.SHAPE:  # shapes are known on the host: no transfer
            env[id(n.outputs[0])] = upload(np.array(value(0).shape, n.dtypes[0].np))
        elif op is Op.RANGE:  # on the host by its reference: TF1's lengths and errors
            env[id(n.outputs[0])] = upload(evaluate(n, [value(j).numpy().reshape(()) for j in range(3)])[0])
        elif op is Op.RANDOM:  # graphflow's counter-based streams, drawn on the host: the CPU's numbers
            st = self.state.rng_state(n)
            dims = [value(0).numpy()] if n.inputs else []
            (drawn,) = evaluate(n, [st, *dims])
            st[1] += np.uint64(1)
            env[id(n.outputs[0])] = upload(drawn)
        elif op is Op.CHECK:
            at = n.attrs
            x = value(0)
            kind = {"range": 0, "true": 1, "finite": 2}[at.kind]
            hi = int(value(1).numpy().reshape(())) if at.kind == "range" and len(n.inputs) > 1 else int(at.hi)
            message = {0: f"{at.message}: a value is outside the valid range [{at.lo}, {hi})", 1: at.message,
                       2: f"{at.message}: Tensor had NaN or Inf values"}[kind]  # the CPU's messages
            launch(self.sources[id(n)], [x.array, check_slot(n, message), int(at.lo), hi, kind], x.array.shape[0])
            env[id(n.outputs[0])] = x
        elif op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD):
            vals = [value(j) for j in range(len(n.inputs))]
            rows = vals[-1].shape[0]
            shape = (rows,) if op is Op.SOFTMAX_XENT else vals[-1].shape
            out = cuda.device_array(shape, dtype=n.dtypes[0].np)
            launch(self.sources[id(n)], [v.shaped() for v in vals] + [out], rows)
            env[id(n.outputs[0])] = Value(out.reshape(-1), shape)
        elif op is Op.COND:
            at = n.attrs
            k = 0 if bool(value(0).numpy().reshape(())) else 1  # the predicate comes to the host
            outs = self._sub(at.branches[k]).run([value(i) for i in at.capture_index[k]])
            for t, v in zip(n.outputs, outs):
                env[id(t)] = v
        elif op is Op.WHILE:
            self._while(n, value, env)
        elif op is Op.ONE_HOT:
            idx = value(0)
            at = n.attrs
            shape = tuple(idx.shape[:at.axis]) + (at.depth,) + tuple(idx.shape[at.axis:])
            out = cuda.device_array(max(1, math.prod(shape)), dtype=n.dtypes[0].np)
            inner = math.prod(idx.shape[at.axis:])
            launch(T.ONE_HOT, [idx.array, out, at.depth, inner, at.on, at.off], math.prod(shape))
            env[id(n.outputs[0])] = Value(out, shape)
        elif op in STEPS:
            for t, v in zip(n.outputs, STEPS[op](n, [value(j) for j in range(len(n.inputs))], self.sources.get(id(n)))):
                env[id(t)] = v
        else:  # pragma: no cover - refused when built
            raise UnimplementedError(n, n, f"no CUDA kernel for {n.describe()}")

    def _while(self, n: Operation, value: Any, env: dict[int, Value]) -> None:
        """The loop on the host around the body's device kernels (the condition's value comes to
        the host each iteration); emitted and recorded values are stacked on the device."""
        cuda = numba_cuda()
        at = n.attrs
        vals = [value(j) for j in range(at.n_vars)]
        limit = int(value(at.n_vars).numpy().reshape(())) if at.has_limit else None
        cond, body = self._sub(at.cond), self._sub(at.body)
        cond_caps = [value(i) for i in at.cond_index]
        body_caps = [value(i) for i in at.body_index]
        emitted: list[list[Value]] = [[] for _ in range(at.n_emit)]
        recorded: list[list[Value]] = [[] for _ in range(at.n_vars)]
        it = 0
        while (limit is None or it < limit) and bool(cond.run(vals + cond_caps)[0].numpy().reshape(())):
            for r, v in zip(recorded, vals):
                r.append(v)
            outs = body.run(vals + body_caps)
            vals = list(outs[:at.n_vars])
            for e, o in zip(emitted, outs[at.n_vars:]):
                e.append(o)
            it += 1

        def stack(items: list[Value], like: Tensor) -> Value:
            if items and all(v.shape == items[0].shape for v in items):
                shape = (len(items),) + tuple(items[0].shape)
                size = max(1, math.prod(items[0].shape))
                out = cuda.device_array(len(items) * size, dtype=like.dtype.np)
                for i, v in enumerate(items):  # flat slices: device-to-device copies
                    out[i * size:(i + 1) * size].copy_to_device(v.array.reshape(-1))
                return Value(out, shape)
            empty = (0,) + tuple(d or 0 for d in like.shape.as_list()) if like.shape.rank is not None else (0,)
            return Value(cuda.device_array(1, dtype=like.dtype.np), empty)
        results = vals + [stack(e, t) for e, t in zip(emitted, at.body.outputs[at.n_vars:])] + \
            [upload(np.int32(it))] + [stack(r, t) for r, t in zip(recorded, at.body.inputs)]
        for t, v in zip(n.outputs, results):
            env[id(t)] = v
