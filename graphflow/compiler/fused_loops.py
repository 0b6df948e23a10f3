"""Loop nests for FUSED nodes: an elementwise body per element, optionally accumulated into a
reduction. Written against the shared ``Emitter``, so every kind of glue (an inline entry or a
kernel of its own) gets the same loops. What a loop may assume of its caller (flat arrays,
shapes compared by the caller, a failure counter instead of raising) it reads from the emitter's
declared ``caps``."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from graphflow.compiler.emitter import Emitter
from graphflow.compiler.fused import FusedAttrs
from graphflow.core import dtypes
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, get
from graphflow.core.shapes import TensorShape

_INIT = {Op.REDUCE_SUM: 0, Op.REDUCE_MEAN: 0, Op.REDUCE_PROD: 1, Op.REDUCE_ANY: False, Op.REDUCE_ALL: True}


@dataclass
class Broadcasts:
    """One loop nest's leaves (their names in the code) and, for each leaf dim whose broadcast is
    known only at run time, the name of its hoisted index multiplier (0 where the dim is 1, else
    1), keyed by (leaf name, dim); filled where the general (broadcasting) path is emitted."""

    leaves: list[str]
    mults: dict[tuple[str, int], str] = field(default_factory=dict)


# the value at one element: (index names, exact (no run-time broadcast), flat loop) -> its name
Element = Callable[[list[str], bool, bool], str]


def acc_dtype(op: Op, d: DType) -> DType:
    if op in (Op.REDUCE_SUM, Op.REDUCE_MEAN, Op.REDUCE_PROD) and d.name in ("float16", "float32"):
        return dtypes.float64
    return d


def init_value(op: Op, d: DType) -> bool | int | float:
    if op is Op.REDUCE_MAX:
        return float("-inf") if d.is_floating else d.min
    if op is Op.REDUCE_MIN:
        return float("inf") if d.is_floating else d.max
    return _INIT[op]


def combine(op: Op, acc: str, v: str) -> str:
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


def fused_body(em: Emitter, n: Operation, leaves: list[str], target: tuple[str, str] | None) -> None:
    """One loop nest computing the fused body per element; reductions accumulate in it."""
    at: FusedAttrs = n.attrs
    rank = at.loop_shape.rank
    assert rank is not None
    bc = Broadcasts(leaves)
    red = at.reduce
    dt = n.dtypes[0]

    def element(idx: list[str], exact: bool, flat: bool = False) -> str:
        return element_value(em, n, leaves, idx, exact, flat, mults=bc.mults)

    ambiguous = ambiguous_dims(n, at, rank)
    variants = [True] if not ambiguous else [True, False]

    if red is None:
        if rank == 0:
            v = element([], True)
            if target is None:
                em.define(n.outputs[0], v)
            else:
                buf, mode = target
                em.line(f"{buf}[0] = " + apply_mode(f"{buf}[0]", v, mode))
            return
        size = _flat_size(em, n, leaves, ambiguous) if target is None else None
        if size is not None:
            # every array has the loop's shape: one flat loop, the same kernel for every rank
            # (the caller passes the arrays flattened and reshapes the result; flat assignments
            # are fused_group_body's)
            em.flattened = True
            out = em.empty([size], dt)
            with em.loops([f"{out}.shape[0]"]) as idx:
                v = element(idx, True, flat=True)
                em.line(f"{out}[{idx[0]}] = {v}")
            em.define(n.outputs[0], out)
            return
        loop_dims = loop_extents(em, n, leaves, rank)
        if target is None:
            out = em.empty(loop_dims, dt)
        else:
            out = target[0]

        def body(exact: bool) -> None:
            with em.loops(loop_dims) as idx:
                v = element(idx, exact)
                dst = em.index(out, idx)
                em.line(f"{dst} = " + (apply_mode(dst, v, target[1]) if target else v))
        _variants(em, bc, variants, ambiguous, loop_dims, body)
        if target is None:
            em.define(n.outputs[0], out)
        return

    # reductions
    acc_dt = acc_dtype(red.op, dt)
    init = em.lit(init_value(red.op, dt), acc_dt)
    size = _flat_size(em, n, leaves, ambiguous)
    if size is not None:  # a full reduction over same-shaped arrays: one flat loop for every rank
        em.flattened = True
        count = size
        acc = em.fresh("acc")
        em.line(f"{acc} = {init}")
        with em.loops([size]) as idx:
            em.line(f"{acc} = {combine(red.op, acc, element(idx, True, flat=True))}")
        r = em.fresh("r")
        em.line(f"{r} = {finish_value(em, red.op, dt, acc_dt, acc, count)}")
        em.define(n.outputs[0], r)
        return
    loop_dims = loop_extents(em, n, leaves, rank)
    axes = set(red.axes)
    kept = [j for j in range(rank) if j not in axes]
    count = " * ".join(loop_dims[j] for j in sorted(axes)) or "1"
    out_dims = [("1" if j in axes else loop_dims[j]) for j in range(rank)] if red.keepdims else \
        [loop_dims[j] for j in kept]
    return _reduce_nest(em, n, bc, rank, loop_dims, kept, axes, count, out_dims, init, acc_dt,
                        variants, ambiguous, element)


def _reduce_nest(em: Emitter, n: Operation, bc: Broadcasts, rank: int, loop_dims: list[str], kept: list[int],
                 axes: set[int], count: str, out_dims: list[str], init: str, acc_dt: DType, variants: list[bool],
                 ambiguous: list[tuple[int, int, int]], element: Element) -> None:
    """A reduction's loop nest: the kept dims outside, the reduced ones inside (or an
    accumulator array indexed by the kept dims)."""
    at: FusedAttrs = n.attrs
    red = at.reduce
    assert red is not None
    dt = n.dtypes[0]

    def finish(acc: str) -> str:
        return finish_value(em, red.op, dt, acc_dt, acc, count)

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
                    v = element(idx, exact, False)
                    em.line(f"{acc} = {combine(red.op, acc, v)}")
                if out is None:
                    em.line(f"{scalar_out} = {finish(acc)}")
                else:
                    oidx = _expand(kept, kidx, rank) if red.keepdims else kidx
                    em.line(f"{em.index(out, oidx)} = {finish(acc)}")
        if scalar_out is not None:
            em.line(f"{scalar_out} = {init}")
        _variants(em, bc, variants, ambiguous, loop_dims, body)
        result = out if out is not None else scalar_out
        assert result is not None
        em.define(n.outputs[0], result)
        return

    # general: accumulate into an array indexed by the kept dims
    acc_arr = em.fresh("acc")
    em.line(f"{acc_arr} = np.full({em.shape_tuple(out_dims)}, {init}, dtype={em.np_dtype(acc_dt)})")

    def body_general(exact: bool) -> None:
        with em.loops(loop_dims) as idx:
            v = element(idx, exact, False)
            oidx = [("0" if j in axes else idx[j]) for j in range(rank)] if red.keepdims else [idx[j] for j in kept]
            dst = em.index(acc_arr, oidx)
            em.line(f"{dst} = {combine(red.op, dst, v)}")
    _variants(em, bc, variants, ambiguous, loop_dims, body_general)
    out = em.empty(out_dims, dt)
    flat_o, flat_a = em.fresh("fo"), em.fresh("fa")
    em.line(f"{flat_o} = {out}.reshape(-1)")
    em.line(f"{flat_a} = {acc_arr}.reshape(-1)")
    with em.loops([f"{flat_o}.size"]) as (i,):
        em.line(f"{flat_o}[{i}] = {finish(f'{flat_a}[{i}]')}")
    em.define(n.outputs[0], out)


def finish_value(em: Emitter, op: Op, dt: DType, acc_dt: DType, acc: str, count: str) -> str:
    """A reduction's value from its accumulator (``count`` elements reduced)."""
    if op is Op.REDUCE_MEAN:
        if dt.is_floating:
            return f"{em.np_dtype(dt)}({acc} / ({count}))"
        # truncation toward zero, as TF1's C++ integer division
        return f"{em.np_dtype(dt)}((abs({acc}) // max(1, {count})) * (1 if {acc} >= 0 else -1))"
    # numba computes int32 arithmetic in int64: integer results are cast back to their dtype
    return f"{em.np_dtype(dt)}({acc})" if acc_dt != dt or dt.is_integer else acc


def _flat_size(em: Emitter, n: Operation, leaves: list[str], ambiguous: list[tuple[int, int, int]]) -> str | None:
    """In a kernel, the element count of a loop that can run flat over flattened arrays (every
    non-scalar input has the loop's shape; a reduction must be over every dim), else None."""
    at: FusedAttrs = n.attrs
    if not em.caps.can_flatten or not _flat_kind(at):
        return None
    arrays = [j for j, t in enumerate(n.inputs) if t.shape.rank]
    if not arrays:
        return None
    if em.caps.assume_same_shape:  # the caller compared the shapes
        return f"{leaves[arrays[0]]}.shape[0]"
    if ambiguous:
        return None
    if at.loop_shape.is_fully_defined() and all(n.inputs[j].shape == at.loop_shape for j in arrays):
        size = str(at.loop_shape.num_elements())
        shown = "[" + ",".join(str(d) for d in at.loop_shape.as_list()) + "]"
        for j in arrays:  # the inputs arrive flattened: their sizes are what can be checked
            em.check(f"{leaves[j]}.shape[0] == {size}", n,
                     f"Incompatible shapes: an input of {{0}} elements vs. {shown}", (f"{leaves[j]}.shape[0]",),
                     belief=True)
        return size
    if len(arrays) == 1 and n.inputs[arrays[0]].shape.as_list() == at.loop_shape.as_list():
        return f"{leaves[arrays[0]]}.shape[0]"
    return None


def _flat_kind(at: FusedAttrs) -> bool:
    """An elementwise loop of rank >= 1, or a reduction of such a loop over every dim to a scalar:
    the kinds a flat loop can compute."""
    rank, red = at.loop_shape.rank, at.reduce
    return bool(rank) and (red is None or (not red.keepdims and set(red.axes) == set(range(rank or 0))))


def _expand(kept: list[int], kidx: list[str], rank: int) -> list[str]:
    full = ["0"] * rank
    for j, name in zip(kept, kidx):
        full[j] = name
    return full


def apply_mode(dst: str, v: str, mode: str) -> str:
    return v if mode == "set" else f"{dst} + {v}" if mode == "add" else f"{dst} - {v}"


def _variants(em: Emitter, bc: Broadcasts, variants: list[bool], ambiguous: list[tuple[int, int, int]],
              loop_dims: list[str], body: Callable[[bool], None]) -> None:
    """Emit ``body`` once when every leaf's shape is statically settled; else a fast path for
    leaves that match the loop shape at run time and a general broadcasting path (whose index
    multipliers go into ``bc.mults``)."""
    if len(variants) == 1:
        body(True)
        return
    cond = " and ".join(f"{bc.leaves[li]}.shape[{k}] == {loop_dims[j]}" for li, k, j in ambiguous)
    with em.block(f"if {cond}:"):
        body(True)
    with em.block("else:"):
        for li, k, _ in ambiguous:
            m = em.fresh("m")
            em.line(f"{m} = 0 if {bc.leaves[li]}.shape[{k}] == 1 else 1")
            bc.mults[(bc.leaves[li], k)] = m
        body(False)


def element_value(em: Emitter, n: Operation, leaves: list[str], idx: list[str], exact: bool, flat: bool,
                  preset: dict[int, str] | None = None, mults: dict[tuple[str, int], str] | None = None) -> str:
    """Emit the body of FUSED ``n`` for the element at ``idx``; returns the name of its value.
    Leaves load lazily, where first used (``preset`` gives some leaves' values already computed);
    ``flat`` loops index every non-scalar leaf by the one flat index; the general path of a loop
    with run-time broadcasts indexes by ``mults`` (``Broadcasts.mults``)."""
    at: FusedAttrs = n.attrs
    temps: list[str] = []
    loaded: dict[int, str] = dict(preset or {})

    def arg(a: tuple[str, int]) -> str:
        if a[0] == "t":
            return temps[a[1]]
        k = a[1]
        if k not in loaded:
            t = n.inputs[k]
            v = em.fresh("x")
            if flat:
                em.line(f"{v} = {leaves[k]}[{idx[0]}]" if t.shape.rank else f"{v} = {leaves[k]}")
            else:
                em.line(f"{v} = {_leaf_index(leaves[k], t, at.loop_shape, idx, exact, mults or {})}")
            loaded[k] = v
        return loaded[k]

    for ins in at.body:
        row = get(ins.op)
        assert row.scalar is not None, f"{ins.op.name} has no scalar template"
        args = [arg(a) for a in ins.args]
        guard = row.guard(ins.attrs, ins.in_dtypes, ins.dtype, *args) if row.guard else None
        v = em.fresh("e")
        expr = row.scalar(ins.attrs, ins.in_dtypes, ins.dtype, *args)
        flag = em.caps.guard_counter
        if guard is not None and flag:  # a CUDA kernel cannot raise: it counts, and computes 0
            with em.block(f"if not ({guard[0]}):"):
                em.line(f"cuda.atomic.add({flag}, 0, 1)")
            expr = f"({expr} if ({guard[0]}) else {em.lit(0, ins.dtype)})"
        elif guard is not None:
            em.check(guard[0], n, guard[1])
        if "gfmath." in expr:
            em.imports.setdefault("graphflow.compiler.cpu.fastmath", "gfmath")
        em.line(f"{v} = {expr}")
        temps.append(v)
    return arg(at.result)


# one part of a fused group: (FUSED node or None, its leaves, (buffer, mode), subst)
GroupPart = tuple[Operation | None, list[str], tuple[str, str], dict[int, int]]


def fused_group_body(em: Emitter, parts: Sequence[GroupPart]) -> None:
    """Same-shaped fused assignments (an optimizer's updates of one variable and its slots) as
    one flat loop: each part's new value is stored into its buffer and handed to the later parts
    that read it (``subst``: leaf index -> earlier part; a part with no FUSED node assigns the
    value of the part ``subst[0]``), so each array is read once per step."""
    em.flattened = True
    size = f"{parts[-1][2][0]}.shape[0]"
    for n, leaves, _, subst in parts:  # every array arrives flattened, the variable's size
        if n is None:
            continue
        for k, t in enumerate(n.inputs):
            if t.shape.rank and k not in subst:
                em.check(f"{leaves[k]}.shape[0] == {size}", n,
                         "Incompatible shapes: an input of {0} elements vs. a variable of {1}",
                         (f"{leaves[k]}.shape[0]", size), belief=True)
    with em.loops([size]) as idx:
        news: list[str] = []
        for n, leaves, (buf, mode), subst in parts:
            if n is None:  # the value is an earlier part's new value
                v = news[subst[0]]
            else:
                v = element_value(em, n, leaves, idx, True, True, {k: news[j] for k, j in subst.items()})
            dst = f"{buf}[{idx[0]}]"
            new = em.fresh("n")
            em.line(f"{new} = {apply_mode(dst, v, mode)}")
            em.line(f"{dst} = {new}")
            news.append(new)


def same_shape_at_run_time(n: Operation) -> list[int] | None:
    """An elementwise loop (or full reduction) over several inputs of the loop's rank whose dims
    are the loop's or unknown, so they might broadcast: their indices (a flat loop applies when
    their run-time shapes agree, as they do in nearly every gradient), else None."""
    at: FusedAttrs = n.attrs
    rank = at.loop_shape.rank
    if not _flat_kind(at) or at.loop_shape.is_fully_defined():
        return None
    arrays = [j for j, t in enumerate(n.inputs) if t.shape.rank]
    loop = at.loop_shape.as_list()
    if len(arrays) < 2 or any(n.inputs[j].shape.rank != rank or
                              any(d is not None and d != e for d, e in zip(n.inputs[j].shape.as_list(), loop))
                              for j in arrays):
        return None
    return arrays


def same_shaped(n: Operation) -> bool:
    """A statically known loop shape that every non-scalar input has exactly (no broadcasting)."""
    at: FusedAttrs = n.attrs
    return at.reduce is None and at.loop_shape.is_fully_defined() and all(
        t.shape.rank == 0 or t.shape == at.loop_shape for t in n.inputs)


def ambiguous_dims(n: Operation, at: FusedAttrs, rank: int) -> list[tuple[int, int, int]]:
    """(leaf, leaf dim, loop dim) triples whose broadcast is only known at run time: a leaf's
    unknown dim against a known loop dim, or against other leaves' unknown or fixed dims. A leaf
    whose unknown dim is the only one of size other than 1 in its loop dim defines that dim."""
    out = []
    for j in range(rank):
        unknown, fixed = [], 0
        for li, t in enumerate(n.inputs):
            r = t.shape.rank or 0
            k = j - (rank - r)
            if k >= 0 and t.shape.dims[k] is None:  # type: ignore[index]
                unknown.append((li, k, j))
            elif k >= 0 and t.shape.dims[k] != 1:  # type: ignore[index]
                fixed += 1
        static = at.loop_shape.dims[j]  # type: ignore[index]
        if (static is not None and static != 1) or (static is None and len(unknown) + fixed > 1):
            out.extend(unknown)
    return sorted(out)


def loop_extents(em: Emitter, n: Operation, leaves: list[str], rank: int) -> list[str]:
    """The loop's dims (literals where the graph fixes them, else read from the leaves that have
    them), then the checks that every leaf's run-time shape fits them (``_shape_checks``)."""
    at: FusedAttrs = n.attrs
    dims = []
    for j in range(rank):
        s = at.loop_shape.dims[j]  # type: ignore[index]
        if s is not None:
            dims.append(str(s))
            continue
        # every leaf dim that is not fixed at 1 may give the size (a fixed dim whose loop dim is
        # unknown appears where a rewrite made an input more static than the node it feeds)
        cands = []
        for li, t in enumerate(n.inputs):
            r = t.shape.rank or 0
            k = j - (rank - r)
            if k >= 0 and t.shape.dims[k] != 1:  # type: ignore[index]
                cands.append(f"{leaves[li]}.shape[{k}]")
        if not cands:  # every leaf has 1 here
            dims.append("1")
            continue
        d = em.fresh("d")
        em.line(f"{d} = {cands[0]}")
        for c in cands[1:]:
            em.line(f"{d} = {c} if {d} == 1 else {d}")
        dims.append(d)
    _shape_checks(em, n, leaves, dims)
    return dims


def _shape_checks(em: Emitter, n: Operation, leaves: list[str], dims: list[str]) -> None:
    """Before the loops: each leaf's run-time dims against the loop's, as ``_leaf_index`` reads
    them (a dim fixed at 1 must be 1; a broadcasting one the loop's or 1; any other the loop's),
    including dims the graph believes fixed, so no loop reads outside an input. One check per
    leaf, raising TF1's "Incompatible shapes" with both shapes."""
    at: FusedAttrs = n.attrs
    rank = len(dims)
    loose = {(li, k) for li, k, _ in ambiguous_dims(n, at, rank)}
    loop = "(" + "".join(f"{d}, " for d in dims) + ")"
    for li, t in enumerate(n.inputs):
        r = t.shape.rank or 0
        real: list[str] = []  # checks feeds can fail
        belief: list[str] = []  # checks only a contradiction of the graph can fail
        for k in range(r):
            j = rank - r + k
            got, want, d = f"{leaves[li]}.shape[{k}]", dims[j], t.shape.dims[k]  # type: ignore[index]
            fixed = d is not None and (d == 1 or at.loop_shape.dims[j] is not None)  # type: ignore[index]
            if d == 1 and at.loop_shape.dims[j] != 1:  # type: ignore[index]
                (belief if fixed else real).append(f"{got} == 1")
            elif d is None and (li, k) in loose:
                real.append(f"({got} == {want} or {got} == 1)")
            elif got != want:
                (belief if fixed else real).append(f"{got} == {want}")
        shapes = (f"{leaves[li]}.shape", loop) if li == 0 else (loop, f"{leaves[li]}.shape")
        for conds, holds in ((real, False), (belief, True)):
            if conds:
                em.check(" and ".join(conds), n, "Incompatible shapes: {0} vs. {1}", shapes, belief=holds)


def guard_messages(n: Operation) -> list[str]:
    """The messages of the per-element checks (``OpDef.guard``) in FUSED ``n``'s body."""
    out = []
    for ins in n.attrs.body:
        row = get(ins.op)
        g = row.guard(ins.attrs, ins.in_dtypes, ins.dtype, *(f"a{k}" for k in range(len(ins.args)))) \
            if row.guard else None
        if g is not None and g[1] not in out:
            out.append(g[1])
    return out


# (input, dim, size) per input dim the graph fixes; (loop dim, size) per fixed loop dim
FixedDims = tuple[tuple[tuple[int, int, int], ...], tuple[tuple[int, int], ...]]


def fixed_dims(n: Operation) -> FixedDims:
    """What a host launching FUSED ``n``'s kernel must find at run time: (input, dim, size) for
    each input dim the graph fixes, and (loop dim, size) for each fixed loop dim (``fits``)."""
    ins = tuple((j, k, d) for j, t in enumerate(n.inputs) if t.shape.rank is not None
                for k, d in enumerate(t.shape.as_list()) if d is not None)
    at: FusedAttrs = n.attrs
    loop = tuple((k, d) for k, d in enumerate(at.loop_shape.as_list()) if d is not None) \
        if at.loop_shape.rank is not None else ()
    return ins, loop


def fits(fixed: FixedDims, shapes: Sequence[Sequence[int]], loop: tuple[int, ...]) -> bool:
    """The run-time ``shapes`` (which broadcast to ``loop``) keep the dims ``fixed_dims`` lists."""
    ins, lp = fixed
    return all(shapes[j][k] == d for j, k, d in ins) and all(loop[k] == d for k, d in lp)


def shape_mismatch(n: Operation, shapes: list[tuple[int, ...]]) -> str | None:
    """For a host launching the loop of FUSED ``n`` as a kernel (which cannot raise): TF1's
    message when the inputs' run-time ``shapes`` do not broadcast or break a dim the loop fixes,
    else None (the checks ``_shape_checks`` makes inside CPU loops)."""
    at: FusedAttrs = n.attrs
    loop: tuple[int, ...] = ()
    for s in shapes:
        try:
            loop = tuple(np.broadcast_shapes(loop, s))
        except ValueError:
            return f"Incompatible shapes: {_shown(loop)} vs. {_shown(s)}"
    fixed = at.loop_shape.as_list() if at.loop_shape.rank is not None else None
    if fixed is not None and (len(fixed) != len(loop) or any(d is not None and d != e for d, e in zip(fixed, loop))):
        return f"Incompatible shapes: {_shown(loop)} vs. {_shown(tuple(d if d is not None else -1 for d in fixed))}"
    for t, s in zip(n.inputs, shapes):
        want = t.shape.as_list() if t.shape.rank is not None else None
        if want is not None and (len(want) != len(s) or any(d is not None and d != e for d, e in zip(want, s))):
            return f"Incompatible shapes: {_shown(s)} vs. {_shown(loop)}"
    return None


def _shown(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _leaf_index(name: str, t: Tensor, loop_shape: TensorShape, idx: list[str], exact: bool,
                mults: dict[tuple[str, int], str]) -> str:
    r = t.shape.rank or 0
    if r == 0:
        return name
    rank = len(idx)
    loop, dims = loop_shape.as_list(), t.shape.as_list()
    parts = []
    for k in range(r):
        j = rank - r + k
        d = dims[k]
        if d == 1 and loop[j] != 1:
            parts.append("0")
        elif d is not None or exact or (name, k) not in mults:  # settled, or the dim's only definer
            parts.append(idx[j])
        else:
            # a multiplier hoisted out of the loops: a branch here gets unswitched by LLVM into
            # 2^k loop copies (a CNN gradient took 23 s to compile)
            parts.append(f"{idx[j]} * {mults[(name, k)]}")
    return f"{name}[{', '.join(parts)}]"
