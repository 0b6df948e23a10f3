"""The CPU target: lowers a scheduled program to native code built with ``numba.njit``.

Two kinds of glue share one walk over the schedule and the same registry emitters:

- small programs become one ``njit`` entry with every loop inline: one native call per
  ``sess.run`` (the scalar-add graph costs a few microseconds);
- larger programs become a plain Python function calling one kernel per compute node. Each
  kernel is a unit of its own (``compiler/kernels.py``), named by what it computes, so the T
  copies of an unrolled LSTM step, or the same layer in two graphs or two processes, compile once.

Numba's compile time grows faster than linearly with function size, and typing an njit entry
that calls many kernels still costs tens of milliseconds per call site, while a Python call of a
jitted kernel costs about a microsecond (docs/architecture.md has the measurements).
Elementwise chains become explicit loop nests (``compiler/fused_loops.py``); matmul calls BLAS
through ``blas.gemm``; other ops use the ``cpu`` emitter in their registry row.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np

from graphflow.compiler.capabilities import KERNEL
from graphflow.compiler.cpu import control_flow, split
from graphflow.compiler.cpu import rules as _rules  # noqa: F401  (registers the CPU rule of every primitive)
from graphflow.compiler.cpu.assign_plans import assign_fusions, assign_groups, gemm_updates
from graphflow.compiler.cpu.chains import chain_kernel, chain_plan
from graphflow.compiler.cpu.interface import CpuRule
from graphflow.compiler.emitter import Emitter
from graphflow.compiler.fused_loops import (
    GroupPart,
    apply_mode,
    fused_body,
    fused_group_body,
    same_shape_at_run_time,
)
from graphflow.compiler.kernels import JIT_DECORATOR, Kernel, KernelEmitter, finish
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Read, Schedule, Step, plan
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, get

TARGET = "cpu"
GLUE_ABOVE = 12  # compute nodes above which a program is Python glue over shared kernels
_SOURCES = (Op.PLACEHOLDER, Op.CONST, Op.VARIABLE, Op.NO_OP)
_HOST_CALLS = (Op.ALLREDUCE, Op.ALLGATHER, Op.BROADCAST)
# what an entry's parameter passes (``Generated.args``): a feed's index, a variable or random
# node, or a constant's array
ArgSource = Union[int, Operation, np.ndarray]


@dataclass
class Generated:
    """Generated source plus how to call it: ``args`` lists (kind, object) per parameter, kinds
    being feed (index into program.feeds), var (variable node), rng (random node), const (array).

    ``glue`` programs are Python source whose entry takes a one-element ``site`` list first; it
    holds the call site that was running when a kernel raised, ``site_errors[site]`` the offset
    of that site's checks in ``errors``. ``kernels`` are bound as ``k0, k1, ...``."""

    source: str
    args: list[tuple[str, ArgSource]]
    errors: list[tuple[Operation, str]]
    # a run-time check may fire after a variable was written: the caller must restore the buffers
    checks_after_write: bool = False
    glue: bool = False
    kernels: list[Kernel] = field(default_factory=list)
    site_errors: list[int] = field(default_factory=list)
    # per kernel call: the argument types the glue passes, (numpy dtype name, ndim or -1 for scalars)
    arg_types: list[tuple[tuple[str, int], ...]] = field(default_factory=list)
    # traced glue (entry(site, trace, ...)): per timed call site, what it computes (name, op, nodes)
    trace_labels: list[tuple[str, str, tuple[str, ...]]] | None = None


class CpuEmitter(Emitter):
    """Emits the entry (inline) and resolves parameters, variables and snapshots."""

    python = False  # one njit entry
    trace = False  # (only glue is traced)

    def __init__(self, program: Program, sched: Schedule) -> None:
        super().__init__()
        self.program = program
        self.sched = sched
        self.params: list[str] = []
        self.args: list[tuple[str, ArgSource]] = []
        self.var_param: dict[int, str] = {}
        self.snap_names: dict[int, str] = {}
        self.steps: dict[int, Step] = {id(step.node): step for step in plan(sched)}  # the shared walk
        self.current_program: Program | None = None  # a COND/WHILE sub-program being emitted

    def param(self, kind: str, obj: ArgSource) -> str:
        name = f"a{len(self.params)}"
        self.params.append(name)
        self.args.append((kind, obj))
        return name

    def var_buffer(self, var: Operation) -> str:
        if id(var) not in self.var_param:
            self.var_param[id(var)] = self.param("var", var)
        return self.var_param[id(var)]

    def var_value(self, var: Operation) -> str:
        buf = self.var_buffer(var)
        return f"{buf}[0]" if var.shapes[0].rank == 0 else buf

    def input(self, node: Operation, j: int) -> str:
        """Expression for input ``j`` of ``node``, read as the schedule's plan says (a variable
        read after an assignment it is not ordered after reads the snapshot taken before it)."""
        t = node.inputs[j]
        if t.node.op is Op.VARIABLE:
            step = self.steps.get(id(node))
            if step is not None and step.inputs[j].read is Read.SNAPSHOT:
                return self.snap_names[step.inputs[j].snapshot]
            return self.var_value(t.node)
        return self.value(t)

    def const(self, n: Operation) -> None:
        value = n.attrs.value
        if value.ndim == 0:
            self.define(n.outputs[0], self.lit(value.item(), n.dtypes[0]), fresh=False)
        else:
            self.define(n.outputs[0], self.param("const", value), fresh=False)

    def compute(self, n: Operation, owner: Operation, inputs: list[int], deferred: dict[int, int]) -> None:
        emit_body(self, n, [self.input(owner, j) for j in inputs], deferred)

    def compute_chain(self, group: list[Operation], program: Program) -> None:
        """Elementwise loops placed together (cpu/chains.py): inline, each its own loop nest."""
        for m in group:
            emit_node(self, m, {})


class GlueEmitter(CpuEmitter):
    """Emits a Python entry that calls one shared kernel per compute node."""

    python = True

    def __init__(self, program: Program, sched: Schedule, trace: bool = False) -> None:
        super().__init__(program, sched)
        self.trace = trace
        self.trace_labels: list[tuple[str, str, tuple[str, ...]]] = []
        self.kernels: list[Kernel] = []
        self.kernel_names: dict[str, str] = {}
        self.site_errors: list[int] = []
        self.arg_types: list[tuple[tuple[str, int], ...]] = []

    def timed(self, text: str, n: Operation) -> None:
        """The kernel call ``text`` computing ``n``, between two clock readings when tracing."""
        if not self.trace:
            self.line(text)
            return
        names = tuple(n.attrs.names) if n.op is Op.FUSED and n.attrs.names else (n.name,)
        self.line("t_start = clock()")
        self.line(text)
        self.line(f"trace.append(({len(self.trace_labels)}, t_start, clock()))")
        self.trace_labels.append((n.name, n.op.value, names))

    def const(self, n: Operation) -> None:  # every constant is bound once, not rebuilt per run
        self.define(n.outputs[0], self.param("const", n.attrs.value), fresh=False)

    def compute(self, n: Operation, owner: Operation, inputs: list[int], deferred: dict[int, int]) -> None:
        sources = [(owner, j) for j in inputs]
        params = [f"p{j}" for j in range(len(inputs))]
        arrays = same_shape_at_run_time(n) if n.op is Op.FUSED and owner is n else None
        if arrays is not None:
            self._call_guarded(n, sources, params, arrays, deferred)
            return
        sub = KernelEmitter()
        emit_body(sub, n, params, deferred)
        self._call(sub, n, sources)

    def _call_guarded(self, n: Operation, sources: list[tuple[Operation, int]], params: list[str],
                      arrays: list[int], deferred: dict[int, int]) -> None:
        """An elementwise loop whose inputs have one shape unless a run-time dim broadcasts: the
        glue compares their shapes and calls the flat kernel (shared by every rank), or else the
        broadcasting one, which is compiled only if that ever happens."""
        flat = KernelEmitter(replace(KERNEL, assume_same_shape=True))
        general = KernelEmitter(replace(KERNEL, can_flatten=False))
        emit_body(flat, n, params, deferred)
        emit_body(general, n, params, deferred)
        kf = finish(flat, n, len(sources), flat.value(n.outputs[0]))
        if kf.errors:  # checks of its own: one site cannot number both kernels' checks
            self._call(general, n, sources)
            return
        kg = replace(finish(general, n, len(sources), general.value(n.outputs[0])), lazy=True)
        names = [self.kernel_names.setdefault(k.source, f"k{len(self.kernel_names)}") for k in (kf, kg)]
        self.kernels += [kf, kg]
        args_f, args_g = self._arguments(kf, sources), self._arguments(kg, sources)
        self._site(kg)
        ins = [self.input(owner, j) for owner, j in sources]
        first = ins[arrays[0]]
        same = " and ".join(f"{ins[j]}.shape == {first}.shape" for j in arrays[1:])
        out = self.fresh("o")
        t = n.outputs[0]
        call_f, call_g = f"{names[0]}({', '.join(args_f)})", f"{names[1]}({', '.join(args_g)})"
        if t.shape.rank == 0:  # a full reduction
            self.timed(f"{out} = {self.np_dtype(t.dtype)}({call_f} if {same} else {call_g})", n)
        else:
            self.timed(f"{out} = {call_f}.reshape({first}.shape) if {same} else {call_g}", n)
        self.define(t, out, fresh=kf.fresh and kg.fresh)

    def compute_chain(self, group: list[Operation], program: Program) -> None:
        """The elementwise loops ``group`` (cpu/chains.py) as one kernel call when their array
        leaves have one shape at run time (the matrices it reads through folded slices: the rows
        and the columns planned), else one by one."""
        p = chain_plan(program, group, self.input)
        fold, sources, stored, first = p.fold, p.sources, p.stored, p.first
        ins = [self.input(owner, j) for owner, j in sources]
        sub = KernelEmitter(replace(KERNEL, assume_same_shape=True))
        kern = finish(sub, group[-1], len(sources), chain_kernel(sub, group, p.leaf, len(sources), stored, fold,
                                                                 p.reads, first))
        name = self.kernel_names.setdefault(kern.source, f"k{len(self.kernel_names)}")
        self.kernels.append(kern)
        shaped = [f".reshape({ins[first]}.shape)" if kern.flat else ""] * len(stored)
        names = {id(m): self.fresh("o") for m in stored}
        cat = self.fresh("o") if fold.concat is not None else None
        with self.block(f"if {' and '.join(p.tests) or 'True'}:"):
            args = self._arguments(kern, sources)
            self._site(kern)
            outs = self.fresh("ch")
            self.line(f"{outs} = {name}({', '.join(args)})")
            for i, m in enumerate(stored):
                self.line(f"{names[id(m)]} = {outs}[{i}]{shaped[i]}")
            if cat is not None:
                self.line(f"{cat} = {outs}[{len(stored)}]")
        first_lazy = len(self.kernels)
        with self.block("else:"):  # a run-time broadcast, or other shapes: the nodes one by one
            for n in fold.nodes:
                if n is not fold.concat:
                    emit_node(self, n, {})
            for m in group:
                emit_node(self, m, {})
            for m in stored:
                self.line(f"{names[id(m)]} = {self.value(m.outputs[0])}")
            if fold.concat is not None:
                emit_node(self, fold.concat, {})
                self.line(f"{cat} = {self.value(fold.concat.outputs[0])}")
        self.kernels[first_lazy:] = [replace(x, lazy=True) for x in self.kernels[first_lazy:]]
        for m in stored:
            self.define(m.outputs[0], names[id(m)], fresh=id(m.outputs[0]) in self.fresh_values)
        if fold.concat is not None and cat is not None:
            t = fold.concat.outputs[0]
            self.define(t, cat, fresh=id(t) in self.fresh_values)

    def compute_group(self, parts: list[Operation]) -> None:
        """Fused assignments ``parts`` (the last one's value reads the others' new values) as
        one kernel: a leaf shared by several parts is passed once."""
        sub = KernelEmitter()
        sources: list[tuple[Operation, int]] = []
        # a part's variable read where the loop writes it: read from its buffer (no second
        # pointer to the same array, which keeps LLVM from vectorising the loop)
        param = {self.var_buffer(a.inputs[0].node): sub.var_buffer(a.inputs[0].node) for a in parts}
        plan: list[GroupPart] = []
        for k, a in enumerate(parts):
            if a.inputs[1].node in parts[:k]:  # its value is an earlier part's new value, as it is
                plan.append((None, [], (sub.var_buffer(a.inputs[0].node), a.attrs.mode),
                             {0: parts.index(a.inputs[1].node)}))
                continue
            f = a.inputs[1].node
            subst = {j: parts.index(t.node) for j, t in enumerate(f.inputs) if t.node in parts[:k]}
            names = []
            for j in range(len(f.inputs)):
                if j in subst:
                    names.append("")
                    continue
                e = self.input(f, j)
                if e not in param:
                    param[e] = f"p{len(sources)}"
                    sources.append((f, j))
                names.append(param[e])
            plan.append((f, names, (sub.var_buffer(a.inputs[0].node), a.attrs.mode), subst))
        fused_group_body(sub, plan)
        var = parts[-1].inputs[0]
        large = var.shape.is_fully_defined() and int(np.prod(var.shape.as_list())) >= split.FLAT_SPLIT
        self._call(sub, parts[-1], sources, split_flat=large)

    def gemm_update(self, n: Operation, mm: Operation, scale: tuple[Operation, int] | None) -> None:
        """Assignment ``n`` of ``var - s * (a @ b)``: one GEMM into the variable's buffer, alpha
        -s and beta 1 (compiler/cpu/blas.py), instead of a product buffer and a loop over it."""
        sub = KernelEmitter()
        B = sub.use("graphflow.compiler.cpu.blas")
        dst = sub.var_buffer(n.inputs[0].node)
        at = mm.attrs
        alpha = "-np.float64(p2)" if scale is not None else "-1.0"
        sub.line(f"{B}.gemm(np.ascontiguousarray(p0), {at.transpose_a}, np.ascontiguousarray(p1), "
                 f"{at.transpose_b}, {dst}, {alpha}, 1.0)")
        self._call(sub, n, [(mm, 0), (mm, 1)] + ([scale] if scale is not None else []))

    def before_raise(self) -> None:
        """The glue's own checks are numbered in the program's errors, not a kernel's: no site."""
        self.line("site[0] = -1")

    def _site(self, k: Kernel) -> None:
        """Before a call of kernel ``k``: if it has checks, record which site runs (kernels number
        their own checks; the site gives their offset in the program's errors)."""
        if not k.errors:
            return
        self.line(f"site[0] = {len(self.site_errors)}")
        self.site_errors.append(len(self.errors))
        self.beliefs.update(len(self.errors) + i for i in k.beliefs)
        self.errors.extend(k.errors)

    def _call(self, sub: KernelEmitter, n: Operation, sources: list[tuple[Operation, int]],
              split_flat: bool = False) -> None:
        """Finish the kernel ``sub`` emitted for ``n`` and call it on ``sources`` (input j of owner).
        ``split_flat``: where it is a flat kernel writing only in place, the call goes through
        ``split.flat``, which splits its arrays between the step's threads."""
        multi = n.op is not Op.ASSIGN and len(n.outputs) > 1  # returns a tuple (unique's two)
        result = None if n.op is Op.ASSIGN else \
            "(" + "".join(sub.value(t) + ", " for t in n.outputs) + ")" if multi else sub.value(n.outputs[0])
        k = finish(sub, n, len(sources), result)
        name = self.kernel_names.setdefault(k.source, f"k{len(self.kernel_names)}")
        self.kernels.append(k)
        args = self._arguments(k, sources)
        self._site(k)
        call = f"{name}({', '.join(args)})"
        if result is None:
            sliced = self._sliced(k, sources) if split_flat else None
            if sliced is not None and any(sliced):
                call = f"{self.use('graphflow.compiler.cpu.split')}.flat({name}, ({', '.join(args)},), {tuple(sliced)})"
            self.timed(call, n)
            return
        out = self.fresh("o")
        if multi:
            self.timed(f"{out} = {call}", n)
            for i, t in enumerate(n.outputs):
                self.define(t, f"{out}[{i}]", fresh=False)
            return
        t = n.outputs[0]
        if t.shape.rank == 0:
            call = f"{self.np_dtype(t.dtype)}({call})"
        elif k.flat and t.shape.is_fully_defined():
            call = f"{call}.reshape({self.shape_tuple([str(d) for d in t.shape.as_list()])})"
        elif k.flat:  # shaped like its one non-scalar input (fused_loops._flat_size)
            like = next(self.input(o, i) for o, i in sources if o.inputs[i].shape.rank == t.shape.rank)
            call = f"{call}.reshape({like}.shape)"
        elif k.shortcut is not None:
            cond, j = k.shortcut
            ins = [self.input(owner, i) for owner, i in sources]
            cond = re.sub(r"\bp(\d+)\b", lambda m: ins[int(m.group(1))], cond)
            call = f"{ins[j]} if {cond} else {call}"
        self.timed(f"{out} = {call}", n)
        self.define(t, out, fresh=k.fresh)

    def _sliced(self, k: Kernel, sources: list[tuple[Operation, int]]) -> list[bool] | None:
        """Which of a flat in-place kernel's arguments are its flat arrays (every other one a
        scalar), or None where its call cannot be split: not flat, or it allocates results, takes
        lifted literals, or a parameter (a random op's counter: its draws follow the index)."""
        if not k.flat or k.outs or k.consts or any(kind != "dst" for kind, _ in k.extras):
            return None
        return [bool(owner.inputs[j].shape.rank) for owner, j in sources] + \
            [bool(o.shapes[0].rank) for _, o in k.extras]

    def _arguments(self, k: Kernel, sources: list[tuple[Operation, int]]) -> list[str]:
        """The call's argument expressions (allocating the buffers the kernel fills), recording
        their types for the compile helper: inputs, extras, buffers, lifted literals."""
        flat = k.flat  # arrays go in flattened

        def rank(t: Tensor) -> int:
            r = t.shape.rank or 0
            return min(r, 1) if flat else r

        tensors = [owner.inputs[j] for owner, j in sources]
        ins = [self.input(owner, j) for owner, j in sources]
        args = [f"{a}.reshape(-1)" if flat and t.shape.rank else a for a, t in zip(ins, tensors)]
        types = [_arg_type(t.dtype, rank(t), False) for t in tensors]
        for kind, o in k.extras:
            buf = self.var_buffer(o) if kind == "dst" else self.param(kind, o)
            args.append(f"{buf}.reshape(-1)" if flat and kind == "dst" and o.shapes[0].rank else buf)
            types.append(_arg_type(o.dtypes[0], rank(o.outputs[0]), True) if kind == "dst" else ("uint64", 1))
        for dims, d in k.outs:
            buf = self.fresh("r")
            # a flat kernel's inputs arrive flattened: their dim 0 is the caller's size
            shape = [str(x) if isinstance(x, int) else f"{ins[x[1]]}.size" if flat else
                     f"{ins[x[1]]}.shape[{x[2]}]" for x in dims]
            self.line(f"{buf} = np.empty({self.shape_tuple(shape)}, dtype={self.np_dtype(d)})")
            args.append(buf)
            types.append(_arg_type(d, len(dims), True))
        args += [str(c) for c in k.consts]
        self.arg_types.append(tuple(types) + (("int64", -1),) * len(k.consts))
        return args


def _arg_type(dtype: DType, rank: int, buffer: bool) -> tuple[str, int]:
    """How a value reaches a kernel: arrays by dtype and rank (a variable's buffer has rank >= 1),
    rank-0 values as numpy scalars; float16 is carried as float32."""
    name = "float32" if dtype.name == "float16" else dtype.name
    if buffer:
        return name, max(rank, 1)
    return name, rank if rank else -1


def compute_nodes(program: Program) -> int:
    return sum(1 for n in program.nodes if n.op not in _SOURCES)


def lower(program: Program, sched: Schedule, glue: bool | None = None, trace: bool = False) -> Generated:
    """Lower to an inline entry, or (``glue``; by default for programs above GLUE_ABOVE compute
    nodes, or always with GRAPHFLOW_GLUE=1) to Python glue over shared kernels. ``trace``: glue
    that reads the clock around every kernel call (traced runs only; no cost in the others)."""
    if trace or any(n.op in _HOST_CALLS for n in program.nodes):
        glue = True  # a collective is a Python call between compiled kernels: only glue can make it
    if glue is None:
        forced = os.environ.get("GRAPHFLOW_GLUE", "")  # "1" or "0": tests run both kinds
        glue = forced == "1" if forced in ("0", "1") else compute_nodes(program) > GLUE_ABOVE
    em: CpuEmitter = GlueEmitter(program, sched, trace) if glue else CpuEmitter(program, sched)
    for i, ph in enumerate(program.feeds):
        em.define(ph.outputs[0], em.param("feed", i), fresh=False)
    deferred = assign_fusions(program, sched)
    groups = assign_groups(program, sched, deferred) if glue else {}
    updates = gemm_updates(program, deferred) if glue else {}
    skipped = set(deferred.values()) | {id(a) for parts in groups.values() for a in parts[:-1]} | \
        {id(u[0]) for u in updates.values()}
    wrote = late = False
    for n in sched.order:
        checks = len(em.errors)
        for sid, var in em.steps[id(n)].snapshots:  # the copies the plan takes before this node
            name = em.fresh("snap")
            src = em.var_value(var)
            em.line(f"{name} = {src}" if var.shapes[0].rank == 0 else f"{name} = {src}.copy()")
            em.snap_names[sid] = name
        if id(n) in skipped:
            continue  # emitted by the assignment that consumes it
        if id(n) in updates and isinstance(em, GlueEmitter):  # (only glue has updates and groups)
            em.gemm_update(n, *updates[id(n)])
            em.define(n.outputs[0], em.var_value(n.inputs[0].node), fresh=False)
        elif id(n) in groups and isinstance(em, GlueEmitter):
            em.compute_group(groups[id(n)])
            for a in groups[id(n)]:
                em.define(a.outputs[0], em.var_value(a.inputs[0].node), fresh=False)
        else:
            emit_node(em, n, deferred)
        late = late or (wrote and any(i not in em.beliefs for i in range(checks, len(em.errors))))
        wrote = wrote or n.op is Op.ASSIGN or (n.op is Op.COND and bool(n.attrs.writes))
    outs = []
    for t in program.outputs:
        if t.node.op is Op.VARIABLE:
            src = em.var_value(t.node)
            outs.append(src if t.shape.rank == 0 else f"{src}.copy()")
        else:
            e = em.value(t)
            is_fresh = id(t) in em.fresh_values or t.shape.rank == 0
            outs.append(e if is_fresh else f"{e}.copy()")
    em.line("return (" + "".join(o + ", " for o in outs) + ")")
    if isinstance(em, GlueEmitter):
        head = ["site", "trace"] if trace else ["site"]
        src = "def entry(" + ", ".join(head + em.params) + "):\n" + "\n".join(free_at_last_use(em.lines)) + "\n"
        if em.imports:  # the glue's own library calls (split.flat)
            src = "".join(f"import {m} as {a}\n" for m, a in em.imports.items()) + "\n\n" + src
        if trace:
            src = "from time import perf_counter_ns as clock\n\n\n" + src
        return Generated(src, em.args, em.errors, late, True, em.kernels, em.site_errors, em.arg_types,
                         em.trace_labels if trace else None)
    head = ["import numpy as np", "import numba"]
    head += [f"import {m} as {a}" for m, a in em.imports.items()]
    src = "\n".join(head) + "\n\n\n" + JIT_DECORATOR + "\n" + \
        f"def entry({', '.join(em.params)}):\n" + ("\n".join(em.lines) or "    pass") + "\n"
    return Generated(src, em.args, em.errors, late)


_GLUE_VALUE = re.compile(r"\b([or]\d+|snap\d+)\b")


def free_at_last_use(lines: list[str]) -> list[str]:
    """Glue lines with ``del`` after the last use of each intermediate array, so the allocator
    reuses dead values' memory within the run (a step's peak then follows the live values).
    A use inside a loop or branch lasts to the end of its top-level statement, and frees go only
    between top-level statements."""
    end = list(range(len(lines)))
    for i in range(len(lines) - 2, -1, -1):
        nxt = lines[i + 1]
        if nxt.startswith("     ") or nxt.lstrip().startswith(("else:", "elif ", "except", "finally:")):
            end[i] = end[i + 1]  # line i + 1 continues the statement line i is part of
    last: dict[str, int] = {}
    for i, text in enumerate(lines[:-1]):  # the return line keeps what it fetches
        for name in _GLUE_VALUE.findall(text):
            last[name] = end[i]
    fetched = set(_GLUE_VALUE.findall(lines[-1])) if lines else set()
    # only names bound at top level: one bound in a branch or loop may not exist there
    top = {m.group(1) for m in (re.match(r"    ([A-Za-z_]\w*) = ", t) for t in lines) if m}
    frees: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in fetched and name in top:
            frees.setdefault(i, []).append(name)
    out = []
    for i, text in enumerate(lines):
        out.append(text)
        if i in frees:
            out.append("    del " + ", ".join(sorted(frees[i])))
    return out


def emit_node(em: CpuEmitter, n: Operation, deferred: dict[int, int]) -> None:
    op = n.op
    if op is Op.PLACEHOLDER:
        if id(n.outputs[0]) not in em.exprs:
            raise AssertionError(f"unfed placeholder {n.describe()} reached lowering")
        return
    if op is Op.CONST:
        em.const(n)
        return
    if op is Op.VARIABLE:  # fetched variables are copied at return
        em.define(n.outputs[0], em.var_value(n), fresh=False)
        return
    if op is Op.NO_OP:
        return
    if op in (Op.COND, Op.WHILE):  # sub-programs emitted inside an if / while
        (control_flow.emit_cond if op is Op.COND else control_flow.emit_while)(em, n, emit_node)
        return
    if op is Op.ASSIGN:
        fused = deferred.get(id(n))
        if fused is not None:
            f = n.inputs[1].node
            em.compute(n, f, list(range(len(f.inputs))), deferred)
        else:
            em.compute(n, n, [1], deferred)
        em.define(n.outputs[0], em.var_value(n.inputs[0].node), fresh=False)
        return
    if op is not Op.FUSED and TARGET not in get(op).kernels:
        raise NotImplementedError(f"op {op.name} has no {TARGET} kernel ({n.describe()})")
    em.compute(n, n, list(range(len(n.inputs))), deferred)


def emit_body(em: CpuEmitter | KernelEmitter, n: Operation, ins: list[str], deferred: dict[int, int]) -> None:
    """The code computing ``n`` from input expressions ``ins`` (inline, or a kernel's body)."""
    op = n.op
    em.node = n
    if op is Op.ASSIGN:
        var = n.inputs[0].node
        if id(n) in deferred:
            fused_body(em, n.inputs[1].node, ins, (em.var_buffer(var), n.attrs.mode))
        else:
            _assign_body(em, n, ins[0])
    elif op is Op.FUSED:
        fused_body(em, n, ins, None)
    elif op is Op.RANDOM:
        rule(op)(em, n, [em.param("rng", n)] + ins)
    else:
        rule(op)(em, n, ins)


def rule(op: Op) -> CpuRule:
    """The CPU rule registered on ``op``'s row (``compiler/cpu/rules``)."""
    found: CpuRule = get(op).kernels[TARGET]
    return found


def _assign_body(em: CpuEmitter | KernelEmitter, n: Operation, value: str) -> None:
    var = n.inputs[0].node
    buf = em.var_buffer(var)
    mode = n.attrs.mode
    if var.shapes[0].rank == 0:
        em.line(f"{buf}[0] = " + apply_mode(f"{buf}[0]", value, mode))
        return
    static = var.shapes[0].as_list()
    vd = em.dims(n.inputs[1], value, check=False)  # the size is checked below, as it may arrive flat
    cond = " and ".join(f"{a} == {b}" for a, b in zip(vd, static) if a != str(b)) or "True"
    if cond != "True":
        em.check(cond, n, f"assigned value shape does not match variable shape {static}")
    elif em.caps.can_flatten:  # a kernel: the caller passes both flattened, so
        em.flattened = True  # one kernel copies into variables of every rank
    flat_b, flat_v = em.fresh("fb"), em.fresh("fv")
    em.line(f"{flat_b} = {buf}.reshape(-1)")
    em.line(f"{flat_v} = {value}.reshape(-1)")
    # the dims the graph fixes too: the sizes are checked (the value may arrive flat)
    em.check(f"{flat_v}.size == {flat_b}.size", n, "Assign requires shapes of both tensors to match: a "
             f"value of {{0}} elements for a variable of shape {static}", (f"{flat_v}.size",), belief=True)
    with em.loops([f"{flat_b}.size"]) as (i,):
        em.line(f"{flat_b}[{i}] = " + apply_mode(f"{flat_b}[{i}]", f"{flat_v}[{i}]", mode))
