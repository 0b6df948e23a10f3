"""One compiled ``sess.run`` signature: the generated entry function and how to call it."""
from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler.cpu import lower as cpu
from graphflow.compiler.cpu.gemm_threads import calls_blas
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import schedule
from graphflow.core.errors import ResourceExhaustedError, error_class_of
from graphflow.runtime import compile_pool, threads, tracing
from graphflow.runtime.cache import glue_entry, load_kernels, load_module
from graphflow.runtime.dump import dump_native, record_compiles
from graphflow.runtime.state import State, storage_dtype

_ERR = re.compile(r"graphflow-error-(\d+)")
_nothing = contextlib.nullcontext


class Executable:
    """Built once per signature; ``__call__`` is the hot path of ``sess.run``."""

    def __init__(self, program: Program, state: State, dump: str | None = None, trace: bool = False) -> None:
        self.source_program = program
        passes_seen: list[tuple[str, Program]] = []
        # seconds per compiler stage (dumps write them beside the per-kernel compile times)
        self.timings: dict[str, float] = {}
        clock = [time.perf_counter()]

        def lap(stage: str) -> None:
            now = time.perf_counter()
            self.timings[stage] = now - clock[0]
            clock[0] = now

        def on_pass(name: str, p: Program) -> None:
            lap(f"pass {name}")
            if dump:
                passes_seen.append((name, p))
        optimized = run_passes(program, on_pass=on_pass)
        self.program = optimized
        self.schedule = schedule(optimized)
        lap("schedule")
        self.generated = gen = cpu.lower(optimized, self.schedule, trace=trace)
        self.traced = trace
        lap("lower")
        self.site = [0]
        self.quiet = False
        self.helping = False  # a helper process compiles this executable's kernels too
        if gen.glue:
            self.kernels = load_kernels(gen.kernels)
            self.entry = glue_entry(gen.source, self.kernels)
            # a lazy kernel (behind a shortcut or a shape test) is compiled when first called, if ever
            self.helping = compile_pool.start([(disp, types) for disp, types, k in
                                               zip(self.kernels, gen.arg_types, gen.kernels) if not k.lazy])
            # interpreted kernels do their scalar arithmetic in numpy: it must stay as quiet as
            # compiled code (error_model="numpy") about division by zero and overflow
            self.quiet = any(k.interpreted for k in gen.kernels)
        else:
            self.kernels = []
            self.entry = load_module(gen.source).entry
        lap("load modules")
        # OpenBLAS's thread count is set around the steps that call the BLAS (runtime/threads.py)
        self.blas_threads = threads.POLICY if calls_blas([gen.source, *(k.source for k in gen.kernels)]) else None
        self.state = state
        self.needs_init = self.schedule.needs_init
        self.writes = [v.attrs.uid for v in self.schedule.writes]
        self.fixed: list[Any] = []
        self.feed_slots: list[int] = []
        for kind, obj in self.generated.args:
            if kind == "feed":
                self.feed_slots.append(len(self.fixed))
                self.fixed.append(None)
            elif kind == "var":
                self.fixed.append(state.buffer(obj))
            elif kind == "rng":
                self.fixed.append(state.rng_state(obj))
            else:
                arr = np.array(obj, dtype=storage_dtype(obj.dtype))
                self.fixed.append(arr[()] if arr.ndim == 0 else arr)
        written = set(self.writes)
        self.written_buffers = [state.buffer(v) for kind, v in self.generated.args
                                if kind == "var" and v.attrs.uid in written]
        self.out_scalar = [(t.shape.rank == 0, t.dtype.as_numpy_dtype) for t in optimized.outputs]
        # float16 is carried as float32 in compiled code (see storage_dtype)
        self.half_feeds = [i for i, ph in enumerate(optimized.feeds) if ph.dtypes[0].name == "float16"]
        self.half_outputs = [i for i, t in enumerate(optimized.outputs)
                             if t.dtype.name == "float16" and t.shape.rank != 0]
        self.passes_seen = passes_seen
        self.dump_folder: str | None = None

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        state = self.state
        for var in self.needs_init:
            if var.attrs.uid not in state.initialized:
                state.check_initialized(var)
        args = self.fixed
        if self.feed_slots:
            args = list(args)
            for slot, v in zip(self.feed_slots, feeds):
                args[slot] = v
            for i in self.half_feeds:
                args[self.feed_slots[i]] = np.asarray(feeds[i], dtype=np.float32)
        saved = [(b, b.copy()) for b in self.written_buffers] if self.generated.checks_after_write else []
        recorder = None
        if self.dump_folder is not None:  # the first run of a dumped executable: time each compile
            recorder = record_compiles()
            recorder.__enter__()
        restore_threads = self.blas_threads.enter() if self.blas_threads is not None else 0
        try:
            if self.traced:  # timestamps per kernel call into the run's trace (runtime/tracing.py)
                calls: list[tuple[int, int, int]] = []
                with np.errstate(all="ignore") if self.quiet else _nothing():
                    outs = self.entry(self.site, calls, *args)
                tracing.record_kernels(self.generated.trace_labels or [], calls)
            elif self.quiet:
                with np.errstate(all="ignore"):
                    outs = self.entry(self.site, *args)
            else:
                outs = self.entry(self.site, *args) if self.generated.glue else self.entry(*args)
        except (ValueError, MemoryError) as e:
            for buf, old in saved:  # errors never leave variables half-updated
                buf[...] = old
            m = _ERR.search(str(e))
            if not m:  # (a MemoryError no check foresaw: the session names the fetches)
                raise
            k = int(m.group(1))
            if self.generated.glue and self.site[0] >= 0:  # kernels number their own checks; the site says whose
                k += self.generated.site_errors[self.site[0]]
            node, message = self.generated.errors[k]
            if len(e.args) > 1:  # a check's run-time values (shapes as tuples)
                message = message.format(*(_shown(v) for v in e.args[1:]))
            kind = ResourceExhaustedError if isinstance(e, MemoryError) else error_class_of(node)
            raise kind(node, node, f"{message}\n  in {node.describe()}") from None
        finally:
            if restore_threads and self.blas_threads is not None:
                self.blas_threads.leave(restore_threads)
            if self.helping:  # the first run has compiled or loaded every kernel
                compile_pool.finish()
                self.helping = False
            if recorder is not None:
                recorder.__exit__(None, None, None)
        state.initialized.update(self.writes)
        if self.dump_folder is not None:
            dump_native(self, self.dump_folder, recorder)
            self.dump_folder = None
        result = [typ(o) if scalar else o for o, (scalar, typ) in zip(outs, self.out_scalar)]
        for i in self.half_outputs:
            result[i] = result[i].astype(np.float16)
        return result


def _shown(v: object) -> str:
    """A check's value as TF1's messages print it: shapes as ``[2,4]``."""
    return "[" + ",".join(str(d) for d in v) + "]" if isinstance(v, tuple) else str(v)
