"""The CUDA runtime: one executable per run signature, built from the same passes and schedule as
the CPU's, running a generated driver that launches numba.cuda kernels per scheduled node
(``docs/cuda.md``). Variables live on the device between runs (``memory.CudaState``); feeds go
up once per run and fetches come back once.

The build asks each node's registered rule (``compiler/cuda/rules.py``) for its kernel sources,
or raises UnimplementedError naming what the target cannot run, then generates the driver
(``driver.py``). The executable is the ``Device`` the steps run against: it launches kernels,
hands out variables' buffers and random streams, and runs cond / while_loop sub-programs (their
own executables and drivers).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler.cuda import rules as _rules  # noqa: F401  (registers the CUDA rule of every primitive)
from graphflow.compiler.cuda.device import Checks, Value, upload
from graphflow.compiler.cuda.loops import NotOnCudaError
from graphflow.compiler.cuda.rule import NOTHING, CudaRule, Prepared
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import plan, schedule
from graphflow.compiler.subprograms import sub_program
from graphflow.core.errors import UnimplementedError
from graphflow.core.ir import Operation
from graphflow.core.registry import NotOnTarget, get
from graphflow.ops.func_graph import FuncGraph
from graphflow.runtime.cuda import dump as cuda_dump
from graphflow.runtime.cuda import memory
from graphflow.runtime.cuda.driver import generate
from graphflow.runtime.cuda.memory import CudaState, recording


class CudaExecutable:
    """Built once per signature; ``__call__`` runs it: feeds up, kernels, fetches down."""

    def __init__(self, program: Program, state: CudaState, optimized: bool = False) -> None:
        self.program = program if optimized else run_passes(program)
        self.schedule = schedule(self.program)
        self.state = state
        self.subs: dict[int, CudaExecutable] = {}  # id(FuncGraph) -> its executable
        self.dump_folder: str | None = None  # set by ``dump``: the first run completes the dump
        steps = plan(self.schedule)
        self.rules = [self._rule(s.node) for s in steps]
        self.prepared = [self._prepare(s.node, r) for s, r in zip(steps, self.rules)]
        # nodes whose kernels count failures: the checking primitives, and fused loops with
        # per-element checks (an integer division's zero divisor)
        self.checks = Checks([s.node for s, r, p in zip(steps, self.rules, self.prepared) if r.checks or p.guards])
        self.driver = generate(self.program, steps, self.rules, self.prepared)
        self.writes = [v.attrs.uid for v in self.schedule.writes]

    @staticmethod
    def _refuse(n: Operation, why: str) -> UnimplementedError:
        return UnimplementedError(n, n, f"the CUDA target {why} ({n.describe()})")

    def _rule(self, n: Operation) -> CudaRule:
        rule = get(n.op).kernels.get("cuda")
        if isinstance(rule, NotOnTarget):
            raise self._refuse(n, f"does not run {n.op.value}: {rule.reason}")
        if not isinstance(rule, CudaRule):
            raise self._refuse(n, f"has no kernel for {n.op.value} yet")
        return rule

    def _prepare(self, n: Operation, rule: CudaRule) -> Prepared:
        """The node's kernel sources, or UnimplementedError naming what is missing."""
        if not rule.any_rank and n.inputs and n.inputs[0].shape.rank is None:
            raise self._refuse(n, "needs known ranks")
        try:
            prepared = rule.prepare(n) if rule.prepare is not None else NOTHING
        except NotOnCudaError as e:
            raise self._refuse(n, str(e)) from None
        for g in rule.graphs(n) if rule.graphs is not None else ():
            self.sub(g)
        return prepared

    def kernel_sources(self) -> list[tuple[str, str]]:
        """(name, CUDA module source) of every kernel this executable launches."""
        named = [(n.name + suffix, src) for n, p in zip(self.schedule.order, self.prepared)
                 for suffix, src in (("", p.source), (" (tree)", p.tree)) if src]
        fixed = {name: src for r in self.rules for name, src in r.kernels}
        return named + list(fixed.items())

    def dump(self, folder: str) -> None:
        """Write the kernels' sources and the driver now and, after the first run, every launched
        kernel with its argument types and PTX (``dump``)."""
        cuda_dump.write(folder, self.kernel_sources(), {}, self.driver.source)
        self.dump_folder = folder

    # -- the Device the steps run against (``compiler/cuda/device.Device``)
    def sub(self, g: FuncGraph) -> CudaExecutable:
        """The executable of a branch, loop condition or loop body (built once, sharing the state)."""
        exe = self.subs.get(id(g))
        if exe is None:
            prog, _ = sub_program(g)
            exe = self.subs[id(g)] = CudaExecutable(prog, self.state, optimized=True)
        return exe

    def launch_grid(self, source: str, grid: int | tuple[int, ...], block: int | tuple[int, ...],
                    args: Sequence[object]) -> None:
        memory.launch_grid(source, grid, block, args)

    def variable(self, var: Operation) -> Value:
        return Value(self.state.device_buffer(var), tuple(var.attrs.shape.as_list()))

    def rng_state(self, n: Operation) -> np.ndarray:
        return self.state.rng_state(n)

    # -- running
    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        values = [upload(np.asarray(v, dtype=ph.dtypes[0].np)) for ph, v in zip(self.program.feeds, feeds)]
        if self.dump_folder is not None:  # the first run records what it launches for the dump
            with recording() as launches:
                results = self.run(values)
            cuda_dump.write(self.dump_folder, self.kernel_sources(), launches, self.driver.source)
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
        the checks' counters (``compiler/cuda/device.Checks``)."""
        state = self.state
        for var in self.schedule.needs_init:
            state.check_initialized(var)
        with self.checks:
            try:
                outs = self.driver.driver(self, self.checks, feeds)
            finally:  # written even if a later node raised: the host copy must be refreshed
                state.dirty.update(uid for uid in self.writes if uid in state.device)
        state.initialized.update(self.writes)
        return outs
