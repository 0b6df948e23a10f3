"""CPU rules for SLICE and SLICE_GRAD, and the result-buffer helpers the index rules share."""
from __future__ import annotations

import builtins
import contextlib
from collections.abc import Iterator, Sequence

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, kernel
from graphflow.ops.slice_ops import Bound, SliceAttrs, ValueOf, exact_error


def result_buffer(em: CpuEmit, dims: list[str], d: DType, zeros: bool = False) -> tuple[str, list[str] | None]:
    """An output buffer; rank 0 results live in a 1-element array (index ['0'])."""
    if not dims:
        name = em.fresh("o")
        em.line(f"{name} = np.zeros((1,), dtype={em.np_dtype(d)})")
        return name, ["0"]
    if zeros:
        name = em.fresh("o")
        em.line(f"{name} = np.zeros({em.shape_tuple(dims)}, dtype={em.np_dtype(d)})")
        return name, None
    return em.empty(dims, d), None


def bind_result(em: CpuEmit, t: Tensor, name: str, rank0: list[str] | None) -> None:
    em.define(t, f"{name}[0]" if rank0 else name)


def at_index(name: str, idx: Sequence[str], rank0: list[str] | None) -> str:
    idx = list(idx) or (rank0 or [])
    return f"{name}[{', '.join(idx)}]" if idx else name


def _slice_plan(em: CpuEmit, n: Operation, x_dims: list[str],
                refs: Sequence[tuple[Tensor, str]]) -> list[tuple[str, str, int]]:
    """Per input dim (start, length, stride) expressions, Python slice semantics; for shrink dims
    the length is '' (the dim is dropped)."""
    at: SliceAttrs = n.attrs
    ref_dims = [em.dims(t, e) for t, e in refs]
    plan = []

    def bound(b: Bound) -> str | None:
        if isinstance(b, ValueOf):
            v = em.fresh("b")
            em.line(f"{v} = int({refs[b.ref][1]})")
            return v
        if isinstance(b, tuple):
            return "(" + (" + ".join(ref_dims[r][j] for r, j in b) or "0") + ")"
        return None if b is None else str(b)

    for j, d in enumerate(x_dims):
        s = at.strides[j]
        static = _static_span(d, at.begin[j], at.end[j], s, j in at.shrink)
        if static is not None and at.exact and exact_error(at.begin[j], at.end[j], int(d), j):  # type: ignore[arg-type]
            static = None  # out of the dim: the check below raises when run
        if static is not None:  # known when the graph was built: no arithmetic at run time
            plan.append(static)
            continue
        b, e = bound(at.begin[j]), bound(at.end[j])
        start = em.fresh("st")
        if j in at.shrink:
            em.line(f"{start} = {b} + {d} if {b} < 0 else {b}")
            em.check(f"0 <= {start} < {d}", n, f"slice index {{0}} of dimension {j} out of bounds.", (start,))
            plan.append((start, "", 1))
            continue
        if at.exact:  # TF1's Slice: bounds (literals or run-time values) that must lie inside the dim
            first = b if b is not None else "0"
            em.check(f"0 <= {first} <= {d}", n, f"Expected begin[{j}] in [0, {{0}}], but got {{1}}", (d, first))
            if e is not None:
                em.check(f"{first} <= {e} <= {d}", n, f"Expected size[{j}] in [0, {{0}}], but got {{1}}",
                         (f"{d} - {first}", f"{e} - {first}"))
        stop, length = em.fresh("sp"), em.fresh("ln")
        lo, hi = ("0", d) if s > 0 else ("-1", f"{d} - 1")
        for name, v, default in ((start, b, lo if s > 0 else hi), (stop, e, hi if s > 0 else lo)):
            if v is None:
                em.line(f"{name} = {default}")
            else:
                em.line(f"{name} = {v} + {d} if {v} < 0 else {v}")
                em.line(f"{name} = min(max({name}, {lo}), {hi})")
        if s > 0:
            em.line(f"{length} = max(0, ({stop} - {start} + {s - 1}) // {s})")
        else:
            em.line(f"{length} = max(0, ({start} - {stop} + {-s - 1}) // {-s})")
        plan.append((start, length, s))
    return plan


def _static_span(d: str, b: Bound, e: Bound, stride: int, shrink: bool) -> tuple[str, str, int] | None:
    """(start, length, stride) of one dim as literals, when its size and bounds are static."""
    if not d.isdigit() or not all(v is None or isinstance(v, int) for v in (b, e)):
        return None
    size = int(d)
    if shrink:
        assert isinstance(b, int)  # the shape rule checked it is in range
        return str(b + size if b < 0 else b), "", 1
    r = range(*builtins.slice(b, e, stride).indices(size))
    return str(r.start), str(len(r)), stride


@contextlib.contextmanager
def _slice_loops(em: CpuEmit, plan: list[tuple[str, str, int]]) -> Iterator[tuple[list[str], list[str]]]:
    """Loop over the slice's result; yields (result index, source index)."""
    with em.loops([p[1] for p in plan if p[1]]) as idx:
        src = []
        it = iter(idx)
        for start, length, s in plan:
            if not length:
                src.append(start)
            else:
                i = next(it)
                src.append(f"{start} + {i} * {s}" if s != 1 else f"{start} + {i}")
        yield idx, src


def python_slice(start: str, length: str, stride: int) -> str:
    """The Python slice (or index, for a dropped dim) of a plan entry of ``_slice_plan``."""
    if not length:
        return start
    if stride > 0:
        return f"{start}:{start} + {length} * {stride}:{stride}" if stride != 1 else f"{start}:{start} + {length}"
    stop = f"{start} - {length} * {-stride}"
    return f"{start}:({stop} if {stop} >= 0 else None):{stride}"


@kernel(Op.SLICE, "cpu")
def _slice_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    x = n.inputs[0]
    plan = _slice_plan(em, n, em.dims(x, ins[0]), list(zip(n.inputs[1:], ins[1:])))
    out, r0 = result_buffer(em, [p[1] for p in plan if p[1]], n.dtypes[0])
    if em.caps.numpy_copies:  # a glue kernel: one numpy copy
        view = f"{ins[0]}[{', '.join(python_slice(*p) for p in plan)}]"
        em.line(f"{out}[{', '.join(r0 or [':'] * sum(1 for p in plan if p[1]))}] = {view}")
        bind_result(em, n.outputs[0], out, r0)
        return
    with _slice_loops(em, plan) as (idx, src):
        em.line(f"{at_index(out, idx, r0)} = {ins[0]}[{', '.join(src)}]")
    bind_result(em, n.outputs[0], out, r0)


@kernel(Op.SLICE_GRAD, "cpu")
def _slice_grad_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    like = n.inputs[1]
    x_dims = em.dims(like, ins[1])
    plan = _slice_plan(em, n, x_dims, list(zip(n.inputs[2:], ins[2:])))
    em.check_shape(ins[0], [p[1] for p in plan if p[1]], n, "the gradient against the slice")
    out, _ = result_buffer(em, x_dims, n.dtypes[0], zeros=True)
    if em.caps.numpy_copies and x_dims:  # a glue kernel: one numpy copy
        em.line(f"{out}[{', '.join(python_slice(*p) for p in plan)}] = {ins[0]}")
        em.define(n.outputs[0], out)
        return
    with _slice_loops(em, plan) as (idx, src):
        em.line(f"{out}[{', '.join(src)}] = {em.index(ins[0], idx)}")
    em.define(n.outputs[0], out)
