"""Lowering of COND and WHILE: their FuncGraphs become sub-programs (built, optimised and
scheduled like any program) whose code is emitted inside an ``if``/``else`` or a ``while`` of the
enclosing code, with the same emitter: inline njit code gets native branches and loops, glue
gets Python ones around the shared kernels. A loop's code is its body's once, whatever the
iteration count.

Loop values live in fresh names rebound each iteration (scalars cast to their dtype, arrays
copied when the body returns an array it does not own, so types stay stable for numba). Stacks
of per-iteration values (emitted values, and loop values a gradient reads) grow by doubling.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from graphflow.compiler.cpu.chains import chains, folds
from graphflow.compiler.cpu.interface import ProgramEmit
from graphflow.compiler.subprograms import sub_program
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape
from graphflow.ops.func_graph import FuncGraph

E = TypeVar("E", bound=ProgramEmit)
# how lower.py emits one node of a program (lower.emit_node), passed in so this module need not
# import lower.py, which dispatches COND and WHILE here
NodeEmitter = Callable[[E, Operation, dict[int, int]], None]


def emit_sub(em: E, g: FuncGraph, bindings: list[str], emit_node: NodeEmitter[E],
             n_outputs: int | tuple[int, ...] | None = None, n_owned: int | None = None) -> list[str]:
    """Emit the code computing ``g``'s first ``n_outputs`` outputs (all by default; or those of
    the indices ``n_outputs`` holds) with its feeds bound to ``bindings`` (each node by
    ``emit_node``); returns their expressions (by output index; "None" for outputs left out), the
    first ``n_owned`` (all by default) as values the caller may keep."""
    prog, sched = sub_program(g, n_outputs)
    for ph, expr in zip(prog.feeds, bindings):
        em.define(ph.outputs[0], expr, fresh=False)
    saved = em.current_program
    em.current_program = prog
    at = chains(prog, sched) if em.python and not em.trace else {}
    skip = {id(m) for chains_here in at.values() for chain in chains_here
            for m in chain + folds(prog, chain).nodes}
    try:
        for i, n in enumerate(list(sched.order) + [None]):
            for chain in at.get(i, []):
                em.compute_chain(chain, prog)
            if n is not None and id(n) not in skip:
                emit_node(em, n, {})
    finally:
        em.current_program = saved
    owned = len(prog.outputs) if n_owned is None else n_owned
    values = [_owned(em, t) if i < owned else em.value(t) for i, t in enumerate(prog.outputs)]
    if not isinstance(n_outputs, tuple):
        return values
    full = ["None"] * len(g.outputs)
    for i, v in zip(n_outputs, values):
        full[i] = v
    return full


def _owned(em: ProgramEmit, t: Tensor) -> str:
    """``t``'s value as a scalar of its dtype or an array the caller may keep (a copy unless the
    code made it fresh)."""
    e = em.value(t)
    if t.shape.rank == 0:
        return f"{em.np_dtype(t.dtype)}({e})"
    return e if id(t) in em.fresh_values else f"{e}.copy()"


def _used(em: ProgramEmit, t: Tensor) -> bool:
    prog = em.current_program or em.program
    return any(_reads(em, n, t) for n in prog.nodes) or any(x is t for x in prog.outputs)


def _reads(em: ProgramEmit, n: Operation, t: Tensor) -> bool:
    """Whether the code of ``n`` reads ``t``. A loop reads a captured tensor only where the
    program of its cond or body uses it: a gradient loop captures every stack its forward loop
    offers, and a stack no gradient value reads (the gates an LSTM step saved for their shape,
    whose use the optimiser folded away) is then neither filled nor kept."""
    if not any(x is t for x in n.inputs):
        return False
    if n.op is not Op.WHILE:
        return True
    at = n.attrs
    if any(x is t for x in n.inputs[:at.n_vars + (1 if at.has_limit else 0)]):
        return True
    n_out = _computed(em, n)
    return any(n.inputs[i] is t for i in _captures_read(at.cond, at.cond_index, at.n_vars, None)) or \
        any(n.inputs[i] is t for i in _captures_read(at.body, at.body_index, at.n_vars, n_out))


def _captures_read(g: FuncGraph, index: tuple[int, ...], n_args: int, n_out: int | tuple[int, ...] | None) -> set[int]:
    """The loop inputs (of ``index``, one per capture of ``g``) that the program of ``g``
    computing its first ``n_out`` outputs reads."""
    prog, _ = sub_program(g, n_out)
    read = {id(x) for m in prog.nodes for x in m.inputs} | {id(x) for x in prog.outputs}
    return {i for ph, i in zip(prog.feeds[n_args:], index) if id(ph.outputs[0]) in read}


def _computed(em: ProgramEmit, n: Operation) -> int | tuple[int, ...] | None:
    """Which of loop ``n``'s body outputs its code computes (None: all; a count: the first ones;
    else their indices): the values it saves for a gradient are left out where no gradient reads
    them (an LSTM step's biased gates, which the gradient reads through their activations only:
    then nothing but the gate slices reads them, and the gates' chain computes the bias add)."""
    at = n.attrs
    nv, ne = at.n_vars, at.n_emit
    first_saved, saved = at.meta.get("saved", (ne, []))
    unread = {nv + first_saved + j for j in range(len(saved)) if not _used(em, n.outputs[nv + first_saved + j])}
    if not unread:
        return None
    if len(unread) == len(saved):
        return nv + first_saved
    return tuple(i for i in range(len(at.body.outputs)) if i not in unread)


def emit_cond(em: E, n: Operation, emit_node: NodeEmitter[E]) -> None:
    at = n.attrs
    outs = [em.fresh("cv") for _ in n.outputs]
    for k, header in ((0, f"if {em.input(n, 0)}:"), (1, "else:")):
        with em.block(header):
            res = emit_sub(em, at.branches[k], [em.input(n, i) for i in at.capture_index[k]], emit_node)
            for o, r in zip(outs, res):
                em.line(f"{o} = {r}")
            if not outs:
                em.line("pass")
    for o, t in zip(outs, n.outputs):
        em.define(t, o)


def _stack(em: ProgramEmit, dtype: DType, shape: TensorShape) -> str:
    """A growable stack of values of static ``shape``: empty, of the right rank, with the dims the
    graph knows (a loop that never ran stacks nothing of that shape)."""
    if shape.rank is None:
        raise NotImplementedError("a while_loop value of unknown rank cannot be stacked across iterations: "
                                  "compiled loops need each value's rank (give the loop variables and the "
                                  "tensors they are computed from shapes)")
    buf = em.fresh("stk")
    dims = ["0"] + [str(d) if d is not None else "0" for d in shape.as_list()]
    em.line(f"{buf} = np.empty({em.shape_tuple(dims)}, dtype={em.np_dtype(dtype)})")
    return buf


def _shape_of(em: ProgramEmit, shape: TensorShape) -> str:
    """A name holding the shape of a value that has the same shape in every iteration, from the
    dims the graph knows until an iteration sets it (a loop that never ran keeps those)."""
    name = em.fresh("shp")
    em.line(f"{name} = {em.shape_tuple([str(d) if d is not None else '0' for d in shape.as_list()])}")
    return name


def _push_all(em: ProgramEmit, n: Operation, cap: str, it: str, items: list[tuple[str, str, int, DType]],
              hint: str | None = None) -> None:
    """Push each (stack, value, rank, dtype) of ``items`` at iteration ``it``. The stacks grow
    together (one capacity ``cap``, doubling, or at once to ``hint[0]``, the most iterations an
    earlier run of this entry made), and one check covers every value's shape."""
    if not items:
        return
    with em.block(f"if {it} == {cap}:"):
        em.line(f"{cap} = max(16, 2 * {cap}, int({hint}[0]))" if hint else f"{cap} = max(16, 2 * {cap})")
        for buf, value, rank, dtype in items:
            grown = em.fresh("grown")
            shape = f"{value}.shape" if rank else "()"
            em.line(f"{grown} = np.empty(({cap},) + {shape}, dtype={em.np_dtype(dtype)})")
            with em.block(f"if {it} > 0:"):
                em.line(f"{grown}[:{it}] = {buf}[:{it}]")
            em.line(f"{buf} = {grown}")
    same = [f"{value}.shape == {buf}.shape[1:]" for buf, value, rank, _ in items if rank]
    if same:
        em.check(" and ".join(same), n,
                 "Incompatible shapes: a loop value changed shape between iterations where its values are stacked "
                 "(for scan/map_fn results or the loop's gradient): expected one shape")
    for buf, value, _, _ in items:
        em.line(f"{buf}[{it}] = {value}")


def _push_padded(em: ProgramEmit, cap: str, it: str, items: list[tuple[str, str, str, int, DType]]) -> None:
    """Push each (stack, table, value, rank, dtype) of ``items`` at iteration ``it``: values whose
    shape changes between iterations (shape_invariants, a dynamic_size TensorArray) go zero-padded
    into a stack whose dims grow to the largest seen, and their shapes into the table."""
    if not items:
        return
    with em.block(f"if {it} == {cap}:"):
        em.line(f"{cap} = max(16, 2 * {cap})")
        for buf, tab, _, rank, dtype in items:
            grown, rows = em.fresh("grown"), em.fresh("grown")
            em.line(f"{grown} = np.zeros(({cap},) + {buf}.shape[1:], dtype={em.np_dtype(dtype)})")
            em.line(f"{rows} = np.zeros(({cap}, {rank}), dtype=np.int32)")
            with em.block(f"if {it} > 0:"):
                em.line(f"{grown}[:{it}] = {buf}[:{it}]")
                em.line(f"{rows}[:{it}] = {tab}[:{it}]")
            em.line(f"{buf} = {grown}")
            em.line(f"{tab} = {rows}")
    for buf, tab, value, rank, dtype in items:
        dims = range(rank)
        wider = " or ".join(f"{value}.shape[{d}] > {buf}.shape[{d + 1}]" for d in dims)
        with em.block(f"if {wider}:"):
            grown = em.fresh("grown")
            new = ", ".join(f"max({buf}.shape[{d + 1}], {value}.shape[{d}])" for d in dims)
            em.line(f"{grown} = np.zeros(({buf}.shape[0], {new}), dtype={em.np_dtype(dtype)})")
            old = ", ".join(f":{buf}.shape[{d + 1}]" for d in dims)
            em.line(f"{grown}[:{it}, {old}] = {buf}[:{it}]")
            em.line(f"{buf} = {grown}")
        em.line(f"{buf}[{it}, {', '.join(f':{value}.shape[{d}]' for d in dims)}] = {value}")
        for d in dims:
            em.line(f"{tab}[{it}, {d}] = {value}.shape[{d}]")


def emit_while(em: E, n: Operation, emit_node: NodeEmitter[E]) -> None:
    at = n.attrs
    nv, ne = at.n_vars, at.n_emit
    outs = n.outputs
    lv = [em.fresh("lv") for _ in range(nv)]
    for i, v in enumerate(lv):
        t = n.inputs[i]
        x = em.input(n, i)
        em.line(f"{v} = {em.np_dtype(t.dtype)}({x})" if at.shapes[i].rank == 0 else f"{v} = {x}.copy()")
    it = em.fresh("it")
    em.line(f"{it} = 0")
    limit = em.input(n, nv) if at.has_limit else None
    ragged = list(at.meta.get("ragged", ()))  # values whose shape changes: padded stacks and shape tables
    record = [i for i in range(nv) if _used(em, outs[nv + ne + 1 + i]) or
              (i in ragged and _used(em, outs[nv + ne + 1 + nv + ragged.index(i)]))]
    stacks = {i: _stack(em, outs[i].dtype, at.shapes[i]) for i in record}
    tables = {i: em.fresh("tab") for i in record if i in ragged}
    for i, tab in tables.items():
        em.line(f"{tab} = np.zeros((0, {at.shapes[i].rank}), dtype=np.int32)")
    cap_ragged = em.fresh("cap")
    if tables:
        em.line(f"{cap_ragged} = 0")
    # a saved value the gradient reads for its shape alone keeps one shape, not a stack (glue)
    first_saved, _ = at.meta.get("saved", (ne, []))
    shaped = {first_saved + j for j in at.meta.get("shape_only", ())} | set(at.meta.get("shape_only_emits", ())) \
        if em.python else set()
    used = [e for e in range(ne) if _used(em, outs[nv + e])]
    emits = {e: _stack(em, outs[nv + e].dtype, at.body.outputs[nv + e].shape) for e in used if e not in shaped}
    shapes = {e: _shape_of(em, at.body.outputs[nv + e].shape) for e in used if e in shaped}
    cap_in, cap_out = em.fresh("cap"), em.fresh("cap")  # the stacks of each push point grow together
    em.line(f"{cap_in} = 0")
    em.line(f"{cap_out} = 0")
    # (glue) the most iterations a run of this entry has made, kept between runs: the next run's
    # stacks start that large instead of doubling up to it (copying what they hold each time)
    hint = em.param("const", np.zeros(1, dtype=np.int64)) if em.python and (stacks or emits) else None
    n_out = _computed(em, n)  # the values saved for a gradient only where the gradient reads them
    # captures neither program reads are not bound (a stack the forward loop did not fill)
    cond_read = _captures_read(at.cond, at.cond_index, nv, None)
    body_read = _captures_read(at.body, at.body_index, nv, n_out)
    cond_caps = [em.input(n, i) if i in cond_read else "None" for i in at.cond_index]
    body_caps = [em.input(n, i) if i in body_read else "None" for i in at.body_index]
    with em.block("while True:"):
        if limit is not None:
            with em.block(f"if {it} >= {limit}:"):
                em.line("break")
        (c,) = emit_sub(em, at.cond, lv + cond_caps, emit_node)
        with em.block(f"if not {c}:"):
            em.line("break")
        _push_all(em, n, cap_in, it, [(buf, lv[i], at.shapes[i].rank, outs[i].dtype) for i, buf in stacks.items()
                                      if i not in tables], hint)
        _push_padded(em, cap_ragged, it, [(stacks[i], tab, lv[i], at.shapes[i].rank, outs[i].dtype)
                                          for i, tab in tables.items()])
        res = emit_sub(em, at.body, lv + body_caps, emit_node, n_out, nv)  # emits are copied when pushed
        # the next values (a value the body returns unchanged, such as an accumulator whose sum
        # moved after the loop, keeps its array: nothing is ever written into a loop value)
        moves = [i for i in range(nv) if at.body.outputs[i] is not at.body.inputs[i]]
        # emitted values are pushed before the loop values move on: one may be a loop value
        # itself (a gradient loop emits the gradient it received, the operand of a moved sum)
        _push_all(em, n, cap_out, it, [(buf, res[nv + e], outs[nv + e].shape.rank - 1, outs[nv + e].dtype)
                                       for e, buf in emits.items()], hint)
        for e, shape in shapes.items():
            em.line(f"{shape} = {res[nv + e]}.shape")
        tmp = {i: em.fresh("nx") for i in moves}
        for i in moves:
            em.line(f"{tmp[i]} = {res[i]}")
        for i in moves:
            em.line(f"{lv[i]} = {tmp[i]}")
        em.line(f"{it} += 1")
    if hint:
        with em.block(f"if {it} > {hint}[0]:"):
            em.line(f"{hint}[0] = {it}")
    for i, v in enumerate(lv):
        em.define(outs[i], v)
    # the stacks trimmed to the iterations run: Python glue keeps the view, an njit entry copies
    # (its type must not depend on the slice)
    trim = "" if em.python else ".copy()"
    for e, buf in emits.items():
        name = em.fresh("em")
        em.line(f"{name} = {buf}[:{it}]{trim}")
        em.define(outs[nv + e], name)
    for e, shape in shapes.items():  # every iteration's row is one array of the value's shape
        name, row = em.fresh("em"), em.fresh("row")
        em.line(f"{row} = np.zeros({shape}, dtype={em.np_dtype(outs[nv + e].dtype)})")
        em.line(f"{name} = np.lib.stride_tricks.as_strided({row}, ({it},) + {shape}, (0,) + {row}.strides)")
        em.define(outs[nv + e], name)
    count = em.fresh("cnt")
    em.line(f"{count} = np.int32({it})")
    em.define(outs[nv + ne], count)
    for i, buf in stacks.items():
        name = em.fresh("st")
        em.line(f"{name} = {buf}[:{it}]{trim}")
        em.define(outs[nv + ne + 1 + i], name)
    for i, tab in tables.items():
        name = em.fresh("st")
        em.line(f"{name} = {tab}[:{it}]{trim}")
        em.define(outs[nv + ne + 1 + nv + ragged.index(i)], name)


def lowers_itself(op: Op) -> bool:
    return op in (Op.COND, Op.WHILE)
