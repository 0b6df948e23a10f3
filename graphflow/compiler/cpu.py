"""The CPU target: lowers a scheduled program to one ``numba.njit`` entry function.

Elementwise chains become explicit loop nests built from the registry's scalar templates
(explicit loops compile about ten times faster in numba than array expressions); matmul calls
BLAS through ``np.dot``; other ops use the ``cpu`` emitter in their registry row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphflow.compiler.emitter import Emitter
from graphflow.compiler.fused import FusedAttrs
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Schedule
from graphflow.dtypes import DType
from graphflow.ir import Operation, Tensor
from graphflow.registry import Op, get

TARGET = "cpu"
JIT_DECORATOR = "@numba.njit(cache=True, error_model='numpy', nogil=True)"
OUTLINE_ABOVE = 24  # loop nests in one program before each gets a function of its own


@dataclass
class Generated:
    """Generated source plus how to call it: ``args`` lists (kind, object) per parameter, kinds
    being feed (index into program.feeds), var (variable node), rng (random node), const (array)."""

    source: str
    args: list[tuple[str, Any]]
    errors: list[tuple[Operation, str]]
    # a run-time check may fire after a variable was written: the caller must restore the buffers
    checks_after_write: bool = False


class CpuEmitter(Emitter):
    def __init__(self, program: Program, sched: Schedule) -> None:
        super().__init__()
        self.program = program
        self.sched = sched
        self.params: list[str] = []
        self.args: list[tuple[str, Any]] = []
        self.var_param: dict[int, str] = {}
        self.snap_names: dict[int, str] = {}
        self.functions: list[str] = []  # outlined loop nests, defined before the entry
        loops = sum(1 for n in program.nodes if n.op is Op.FUSED and n.attrs.loop_shape.rank)
        self.outline = loops > OUTLINE_ABOVE

    def param(self, kind: str, obj: Any) -> str:
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
        """Expression for input ``j`` of ``node``, honouring variable snapshots."""
        t = node.inputs[j]
        if t.node.op is Op.VARIABLE:
            sid = self.sched.reads.get((id(node), j))
            if sid is not None:
                return self.snap_names[sid]
            return self.var_value(t.node)
        return self.value(t)


def lower(program: Program, sched: Schedule) -> Generated:
    em = CpuEmitter(program, sched)
    for i, ph in enumerate(program.feeds):
        em.define(ph.outputs[0], em.param("feed", i), fresh=False)
    deferred = _assign_fusions(program, sched)
    pending = sorted(sched.snapshots.items(), key=lambda kv: kv[1][1])
    wrote = late = False
    for k, n in enumerate(sched.order):
        checks = len(em.errors)
        for sid, (var, at) in pending:
            if at == k:
                name = em.fresh("snap")
                src = em.var_value(var)
                em.line(f"{name} = {src}" if var.shapes[0].rank == 0 else f"{name} = {src}.copy()")
                em.snap_names[sid] = name
        if id(n) in deferred.values():
            continue  # emitted by the assignment that consumes it
        emit_node(em, n, deferred)
        late = late or (wrote and len(em.errors) > checks)
        wrote = wrote or n.op is Op.ASSIGN
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
    head = ["import numpy as np", "import numba"]
    head += [f"import {m} as {a}" for m, a in em.imports.items()]
    src = "\n".join(head) + "\n\n\n" + "".join(f + "\n\n" for f in em.functions) + JIT_DECORATOR + "\n" + \
        f"def entry({', '.join(em.params)}):\n" + ("\n".join(em.lines) or "    pass") + "\n"
    return Generated(src, em.args, em.errors, late)


def _assign_fusions(program: Program, sched: Schedule) -> dict[int, int]:
    """Assignments whose value is a single-use elementwise loop: the loop writes straight into the
    variable's buffer. Returns id(assign) -> id(fused node)."""
    uses: dict[int, int] = {}
    for n in program.nodes:
        for t in n.inputs:
            uses[id(t)] = uses.get(id(t), 0) + 1
    fetched = {id(t) for t in program.outputs}
    assigned = {id(n.inputs[0].node) for n in program.nodes if n.op is Op.ASSIGN}
    controls = {id(c) for n in program.nodes for c in n.control_inputs}
    out: dict[int, int] = {}
    for n in program.nodes:
        if n.op is not Op.ASSIGN:
            continue
        var, value = n.inputs
        f = value.node
        if (f.op is not Op.FUSED or f.attrs.reduce is not None or uses.get(id(value)) != 1
                or id(value) in fetched or id(f) in controls or not var.shape.is_fully_defined()
                or f.shapes[0] != var.shape):
            continue
        if any(t.node.op is Op.VARIABLE and t.node is not var.node and id(t.node) in assigned for t in f.inputs):
            continue
        out[id(n)] = id(f)
    return out


def emit_node(em: CpuEmitter, n: Operation, deferred: dict[int, int]) -> None:
    op = n.op
    if op is Op.PLACEHOLDER:
        if id(n.outputs[0]) not in em.exprs:
            raise AssertionError(f"unfed placeholder {n.describe()} reached lowering")
        return
    if op is Op.CONST:
        value = n.attrs.value
        if value.ndim == 0:
            em.define(n.outputs[0], em.lit(value.item(), n.dtypes[0]), fresh=False)
        else:
            em.define(n.outputs[0], em.param("const", value), fresh=False)
        return
    if op is Op.VARIABLE:  # fetched variables are copied at return
        em.define(n.outputs[0], em.var_value(n), fresh=False)
        return
    if op is Op.NO_OP:
        return
    if op is Op.ASSIGN:
        _emit_assign(em, n, deferred)
        return
    if op is Op.FUSED:
        emit_fused(em, n)
        return
    if op is Op.RANDOM:
        ins = [em.input(n, j) for j in range(len(n.inputs))]
        get(op).kernels[TARGET](em, n, [em.param("rng", n)] + ins)
        return
    kern = get(op).kernels.get(TARGET)
    if kern is None:
        raise NotImplementedError(f"op {op.name} has no {TARGET} kernel ({n.describe()})")
    kern(em, n, [em.input(n, j) for j in range(len(n.inputs))])


def _emit_assign(em: CpuEmitter, n: Operation, deferred: dict[int, int]) -> None:
    var = n.inputs[0].node
    buf = em.var_buffer(var)
    mode = n.attrs.mode
    fused_id = deferred.get(id(n))
    if fused_id is not None:
        emit_fused(em, n.inputs[1].node, target=(buf, mode))
    else:
        value = em.input(n, 1)
        if var.shapes[0].rank == 0:
            op = {"set": "=", "add": "+=", "sub": "-="}[mode]
            em.line(f"{buf}[0] {op} {value}")
        else:
            static = var.shapes[0].as_list()
            vt = n.inputs[1]
            vd = em.dims(vt, value)
            cond = " and ".join(f"{a} == {b}" for a, b in zip(vd, static) if a != str(b)) or "True"
            if cond != "True":
                em.check(cond, n, f"assigned value shape does not match variable shape {static}")
            flat_b, flat_v = em.fresh("fb"), em.fresh("fv")
            em.line(f"{flat_b} = {buf}.reshape(-1)")
            em.line(f"{flat_v} = {value}.reshape(-1)")
            sym = {"set": "=", "add": "+=", "sub": "-="}[mode]
            with em.loops([f"{flat_b}.size"]) as (i,):
                em.line(f"{flat_b}[{i}] {sym} {flat_v}[{i}]")
    em.define(n.outputs[0], em.var_value(var), fresh=False)


# ---- fused elementwise loops and reductions ------------------------------------------------------

_INIT = {Op.REDUCE_SUM: 0, Op.REDUCE_MEAN: 0, Op.REDUCE_PROD: 1, Op.REDUCE_ANY: False, Op.REDUCE_ALL: True}


def _acc_dtype(op: Op, d: DType) -> DType:
    from graphflow import dtypes
    if op in (Op.REDUCE_SUM, Op.REDUCE_MEAN, Op.REDUCE_PROD) and d.name in ("float16", "float32"):
        return dtypes.float64
    return d


def _init(op: Op, d: DType) -> Any:
    if op is Op.REDUCE_MAX:
        return float("-inf") if d.is_floating else d.min
    if op is Op.REDUCE_MIN:
        return float("inf") if d.is_floating else d.max
    return _INIT[op]


def _combine(op: Op, acc: str, v: str) -> str:
    if op in (Op.REDUCE_SUM, Op.REDUCE_MEAN):
        return f"{acc} + {v}"
    if op is Op.REDUCE_PROD:
        return f"{acc} * {v}"
    if op is Op.REDUCE_MAX:
        return f"{v} if ({v} > {acc} or {v} != {v}) else {acc}"
    if op is Op.REDUCE_MIN:
        return f"{v} if ({v} < {acc} or {v} != {v}) else {acc}"
    if op is Op.REDUCE_ANY:
        return f"{acc} or {v}"
    return f"{acc} and {v}"


def emit_fused(em: CpuEmitter, n: Operation, target: tuple[str, str] | None = None) -> None:
    """A fused loop nest; in large programs, outlined into its own jitted function.

    Numba's front end slows down faster than linearly with function size (an 874-line entry
    took 17 s before LLVM even started; outlined, the whole compile fell from 24 s to 19.5 s),
    while in small programs the extra functions cost more than they save (the tutorial step:
    2.7 s inline, 3.8 s outlined). Scalar-only bodies always stay inline.
    """
    leaves = [em.input(n, j) for j in range(len(n.inputs))]
    if n.attrs.loop_shape.rank == 0 or not em.outline:
        _fused_body(em, n, leaves, target)
        return
    params = [f"p{j}" for j in range(len(leaves))] + (["dst"] if target else [])
    sub = Emitter()
    sub.errors = em.errors
    sub._n = em._n
    _fused_body(sub, n, params[:len(leaves)], ("dst", target[1]) if target else None)
    em._n = sub._n
    name = em.fresh("k")
    ret = "" if target else f"    return {sub.value(n.outputs[0])}\n"
    em.functions.append(f"{JIT_DECORATOR}\ndef {name}({', '.join(params)}):\n" + "\n".join(sub.lines) + "\n" + ret)
    for module, alias in sub.imports.items():
        em.imports.setdefault(module, alias)
    call = f"{name}({', '.join(leaves + ([target[0]] if target else []))})"
    if target:
        em.line(call)
    else:
        out = em.fresh("o")
        em.line(f"{out} = {call}")
        em.define(n.outputs[0], out)


def _fused_body(em: Emitter, n: Operation, leaves: list[str], target: tuple[str, str] | None) -> None:
    """One loop nest computing the fused body per element; reductions accumulate in it."""
    at: FusedAttrs = n.attrs
    rank = at.loop_shape.rank
    assert rank is not None
    loop_dims = _loop_dims(em, n, leaves, rank)
    red = at.reduce
    dt = n.dtypes[0]

    def element(idx: list[str], exact: bool) -> str:
        temps: list[str] = []
        loaded: dict[int, str] = {}

        def arg(a: tuple[str, int]) -> str:
            if a[0] == "t":
                return temps[a[1]]
            k = a[1]
            if k not in loaded:
                t = n.inputs[k]
                v = em.fresh("x")
                em.line(f"{v} = {_leaf_index(leaves[k], t, at.loop_shape, idx, exact, em._mults)}")
                loaded[k] = v
            return loaded[k]

        for ins in at.body:
            row = get(ins.op)
            assert row.scalar is not None, f"{ins.op.name} has no scalar template"
            args = [arg(a) for a in ins.args]
            v = em.fresh("e")
            em.line(f"{v} = {row.scalar(ins.attrs, ins.in_dtypes, ins.dtype, *args)}")
            temps.append(v)
        return arg(at.result)

    ambiguous = _ambiguous(n, at, rank)
    variants = [True] if not ambiguous else [True, False]

    if red is None:
        if rank == 0:
            v = element([], True)
            if target is None:
                em.define(n.outputs[0], v)
            else:
                buf, mode = target
                em.line(f"{buf}[0] = " + _apply_mode(f"{buf}[0]", v, mode))
            return
        if target is None:
            out = em.empty(loop_dims, dt)
        else:
            out = target[0]

        def body(exact: bool) -> None:
            with em.loops(loop_dims) as idx:
                v = element(idx, exact)
                dst = em.index(out, idx)
                em.line(f"{dst} = " + (_apply_mode(dst, v, target[1]) if target else v))
        _variants(em, variants, ambiguous, loop_dims, body)
        if target is None:
            em.define(n.outputs[0], out)
        return

    # reductions
    axes = set(red.axes)
    kept = [j for j in range(rank) if j not in axes]
    acc_dt = _acc_dtype(red.op, dt)
    init = em.lit(_init(red.op, dt), acc_dt)
    count = " * ".join(loop_dims[j] for j in sorted(axes)) or "1"
    out_dims = [("1" if j in axes else loop_dims[j]) for j in range(rank)] if red.keepdims else \
        [loop_dims[j] for j in kept]

    def finish(acc: str) -> str:
        if red.op is Op.REDUCE_MEAN:
            if dt.is_floating:
                return f"{em.np_dtype(dt)}({acc} / ({count}))"
            # truncation toward zero, as TF1's C++ integer division
            return f"{em.np_dtype(dt)}((abs({acc}) // max(1, {count})) * (1 if {acc} >= 0 else -1))"
        return f"{em.np_dtype(dt)}({acc})" if acc_dt != dt else acc

    suffix = sorted(axes) == list(range(rank - len(axes), rank))
    if not kept or suffix:
        out = None if not out_dims else em.empty(out_dims, dt)
        scalar_out = em.fresh("r") if out is None else None

        def body(exact: bool) -> None:
            with em.loops([loop_dims[j] for j in kept]) as kidx:
                acc = em.fresh("acc")
                em.line(f"{acc} = {init}")
                with em.loops([loop_dims[j] for j in sorted(axes)]) as ridx:
                    idx = [""] * rank
                    for j, name in zip(kept, kidx):
                        idx[j] = name
                    for j, name in zip(sorted(axes), ridx):
                        idx[j] = name
                    v = element(idx, exact)
                    em.line(f"{acc} = {_combine(red.op, acc, v)}")
                if out is None:
                    em.line(f"{scalar_out} = {finish(acc)}")
                else:
                    oidx = _expand(kept, kidx, rank) if red.keepdims else kidx
                    em.line(f"{em.index(out, oidx)} = {finish(acc)}")
        if scalar_out is not None:
            em.line(f"{scalar_out} = {init}")
        _variants(em, variants, ambiguous, loop_dims, body)
        em.define(n.outputs[0], out if out is not None else scalar_out)
        return

    # general: accumulate into an array indexed by the kept dims
    acc_arr = em.fresh("acc")
    em.line(f"{acc_arr} = np.full({em.shape_tuple(out_dims)}, {init}, dtype={em.np_dtype(acc_dt)})")

    def body_general(exact: bool) -> None:
        with em.loops(loop_dims) as idx:
            v = element(idx, exact)
            oidx = [("0" if j in axes else idx[j]) for j in range(rank)] if red.keepdims else [idx[j] for j in kept]
            dst = em.index(acc_arr, oidx)
            em.line(f"{dst} = {_combine(red.op, dst, v)}")
    _variants(em, variants, ambiguous, loop_dims, body_general)
    out = em.empty(out_dims, dt)
    flat_o, flat_a = em.fresh("fo"), em.fresh("fa")
    em.line(f"{flat_o} = {out}.reshape(-1)")
    em.line(f"{flat_a} = {acc_arr}.reshape(-1)")
    with em.loops([f"{flat_o}.size"]) as (i,):
        em.line(f"{flat_o}[{i}] = {finish(f'{flat_a}[{i}]')}")
    em.define(n.outputs[0], out)


def _expand(kept: list[int], kidx: list[str], rank: int) -> list[str]:
    full = ["0"] * rank
    for j, name in zip(kept, kidx):
        full[j] = name
    return full


def _apply_mode(dst: str, v: str, mode: str) -> str:
    return v if mode == "set" else f"{dst} + {v}" if mode == "add" else f"{dst} - {v}"


def _variants(em: CpuEmitter, variants: list[bool], ambiguous: list[tuple[int, int, int]],
              loop_dims: list[str], body: Any) -> None:
    """Emit ``body`` once when every leaf's shape is statically settled; else a fast path for
    leaves that match the loop shape at run time and a general broadcasting path."""
    if len(variants) == 1:
        body(True)
        return
    em_cond = " and ".join(f"{em_leaf}.shape[{k}] == {loop_dims[j]}" for em_leaf, k, j in
                           ((em._leaf_names[li], k, j) for li, k, j in ambiguous))
    with em.block(f"if {em_cond}:"):
        body(True)
    with em.block("else:"):
        for li, k, _ in ambiguous:
            m = em.fresh("m")
            em.line(f"{m} = 0 if {em._leaf_names[li]}.shape[{k}] == 1 else 1")
            em._mults[(em._leaf_names[li], k)] = m
        body(False)


def _ambiguous(n: Operation, at: FusedAttrs, rank: int) -> list[tuple[int, int, int]]:
    """(leaf, leaf dim, loop dim) triples whose broadcast is only known at run time."""
    out = []
    for li, t in enumerate(n.inputs):
        r = t.shape.rank or 0
        for k in range(r):
            j = rank - r + k
            if t.shape.dims[k] is None and at.loop_shape.dims[j] != 1:  # type: ignore[index]
                out.append((li, k, j))
    return out


def _loop_dims(em: CpuEmitter, n: Operation, leaves: list[str], rank: int) -> list[str]:
    at: FusedAttrs = n.attrs
    em._leaf_names = leaves  # type: ignore[attr-defined]
    em._mults = {}  # type: ignore[attr-defined]
    dims = []
    for j in range(rank):
        s = at.loop_shape.dims[j]  # type: ignore[index]
        if s is not None:
            dims.append(str(s))
            continue
        cands = []
        for li, t in enumerate(n.inputs):
            r = t.shape.rank or 0
            k = j - (rank - r)
            if k >= 0 and t.shape.dims[k] is None:  # type: ignore[index]
                cands.append(f"{leaves[li]}.shape[{k}]")
        assert cands, f"no leaf defines loop dim {j} of {n.describe()}"
        d = em.fresh("d")
        em.line(f"{d} = {cands[0]}")
        for c in cands[1:]:
            em.line(f"{d} = {c} if {d} == 1 else {d}")
        if len(cands) > 1:
            em.check(" and ".join(f"({c} == {d} or {c} == 1)" for c in cands), n,
                     f"incompatible shapes for broadcasting in dim {j}")
        dims.append(d)
    return dims


def _leaf_index(name: str, t: Tensor, loop_shape: Any, idx: list[str], exact: bool,
                mults: dict[tuple[str, int], str]) -> str:
    r = t.shape.rank or 0
    if r == 0:
        return name
    rank = len(idx)
    parts = []
    for k in range(r):
        j = rank - r + k
        d = t.shape.dims[k]
        if d == 1 and loop_shape.dims[j] != 1:
            parts.append("0")
        elif d is not None or exact:
            parts.append(idx[j])
        else:
            # a multiplier hoisted out of the loops: a branch here gets unswitched by LLVM into
            # 2^k loop copies (a CNN gradient took 23 s to compile)
            parts.append(f"{idx[j]} * {mults[(name, k)]}")
    return f"{name}[{', '.join(parts)}]"
