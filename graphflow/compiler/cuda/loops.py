"""CUDA kernels from the shared kernel units: a flat elementwise kernel of
the CPU glue (``compiler/kernels.py``: one fused chain, its arrays passed flattened) becomes a
``numba.cuda`` kernel with one thread per element. The body is the same text the registry's
scalar templates produced; only the loop header, the CPU's float32 math helpers (``cpu/fastmath``,
written with CUDA's ``math``) and numpy's scalar functions (CUDA's ``math``) differ, and the special
functions both targets share (``compiler/special_math.py``) are nested in the kernel (``special.py``),
so the two targets share the registry, the passes, the schedule and the kernel identities.

Reductions (``reduction_source``) are generated from the FUSED node itself: one thread per output
element runs the reduced dims serially, with the element values from the shared
``fused_loops.element_value`` and the CPU's accumulator rules, or a block per output with a
shared-memory tree (``fused_source(n, tree=True)``). The fixed kernels are templates.py,
index_kernels.py and linalg.py; the runtime is runtime/cuda/executable.py.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from graphflow.compiler import fused_loops as FL
from graphflow.compiler.capabilities import KERNEL
from graphflow.compiler.cuda import simmath as cuda_simmath
from graphflow.compiler.cuda import special
from graphflow.compiler.fused import FusedAttrs
from graphflow.compiler.kernels import JIT_DECORATOR, Kernel, KernelEmitter
from graphflow.core import dtypes
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.platform.cuda import require, simulating

# numpy scalar functions of the templates -> CUDA's math library
_MATH = {"np.exp": "math.exp", "np.log": "math.log", "np.log1p": "math.log1p", "np.expm1": "math.expm1",
         "np.sqrt": "math.sqrt", "np.sin": "math.sin", "np.cos": "math.cos", "np.tan": "math.tan",
         "np.tanh": "math.tanh", "np.arcsin": "math.asin", "np.arccos": "math.acos", "np.arctan": "math.atan",
         "np.sinh": "math.sinh", "np.cosh": "math.cosh", "np.arcsinh": "math.asinh", "np.arccosh": "math.acosh",
         "np.arctanh": "math.atanh", "np.floor": "math.floor", "np.ceil": "math.ceil", "np.isnan": "math.isnan",
         "np.isinf": "math.isinf", "np.isfinite": "math.isfinite", "np.arctan2": "math.atan2",
         "np.copysign": "math.copysign",
         "np.power": "math.pow", "np.fabs": "math.fabs"}
_LOOP = re.compile(r"^    for (i\d+) in range\(r0\.shape\[0\]\):$")
_CALL = re.compile(r"\b(np\.[a-z0-9_]+)\(")


class NotOnCudaError(NotImplementedError):
    """A kernel kind the CUDA target does not generate yet."""


def cuda_source(k: Kernel) -> str:
    """The CUDA module (defining ``kernel``) of a flat elementwise CPU kernel."""
    if not k.flat or k.extras or len(k.outs) != 1 or k.errors:
        raise NotOnCudaError("the CUDA target generates flat elementwise kernels so far (one output, no "
                             "variables, no run-time checks)")
    lines = k.source.split("\n")
    try:
        start = lines.index(JIT_DECORATOR)
    except ValueError:
        raise NotOnCudaError("not a jitted kernel") from None
    body = lines[start + 1:]
    out = ["import math", "import numpy as np", "from numba import cuda", "", "", "@cuda.jit", body[0]]
    looped = False
    for line in body[1:]:
        m = _LOOP.match(line)
        if m:
            out += [f"    {m.group(1)} = cuda.grid(1)", f"    if {m.group(1)} < r0.shape[0]:"]
            looped = True
            continue
        if line.strip() == "return r0":
            continue
        if "for " in line or "while " in line:
            raise NotOnCudaError("a kernel with loops of its own")
        out += _translate_body([line])
    if not looped:
        raise NotOnCudaError("not a flat loop")
    return "\n".join(special.nest(out)) + "\n"


# compiler/cpu/fastmath.py's float32 helpers (the CPU's vectorisable versions of what CUDA's math
# library has), written with it; its special functions are compiler/special_math.py's (``special``)
_INLINE = {"gfmath.exp": "math.exp({})", "gfmath.tanh": "math.tanh({})",
           "gfmath.sigmoid": "(1.0 / (1.0 + math.exp(-({}))))",
           # round half to even: floor(x + 1/2), one less where that went up from an exact half to odd
           "np.rint": "(math.floor(({0}) + 0.5) - (1.0 if (math.floor(({0}) + 0.5) - ({0}) == 0.5 and "
                      "math.fmod(math.floor(({0}) + 0.5), 2.0) != 0.0) else 0.0))"}


def _cpu_math(line: str) -> str:
    while "gfmath." in line or "np.rint(" in line:
        start = line.index("gfmath.") if "gfmath." in line else line.index("np.rint(")
        open_at = line.index("(", start)
        name = line[start:open_at]
        if name not in _INLINE:
            raise NotOnCudaError(f"{name} has no CUDA translation yet")
        depth, end = 0, open_at
        for end in range(open_at, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        line = line[:start] + _INLINE[name].format(line[open_at + 1:end]) + line[end + 1:]
    return line


def _translate_body(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = _cpu_math(special.calls(line))
        for name in set(_CALL.findall(line)):
            if name in _MATH:
                line = line.replace(name + "(", _MATH[name] + "(")
            elif name not in ("np.float32", "np.float64", "np.int32", "np.int64", "np.int8", "np.int16",
                              "np.uint8", "np.uint16", "np.uint32", "np.uint64", "np.bool_"):
                raise NotOnCudaError(f"{name} has no CUDA translation")
        out.append(line)
    return out


# threads per output of a tree reduction (a power of two); the simulator, which runs every thread as
# a Python thread, runs the same kernel with 16
TREE = 16 if simulating() else 128


def fused_source(n: Operation, tree: bool = False) -> str:
    """The CUDA module of FUSED node ``n``: its inputs ``p0, p1, ...`` (rank-0 ones as 1-element
    arrays, so device results feed it without a copy to the host), then the flat output buffer
    ``r0``. One thread per output element (row-major); a reduction runs its reduced dims serially
    in that thread, with the element values of the shared ``fused_loops.element_value`` and the
    CPU's accumulator rules.

    ``tree`` (reductions only): one block of ``TREE`` threads per output element instead, each
    thread accumulating every TREE-th reduced element, then a shared-memory tree combining the
    threads' partial results (no warp shuffles: the simulator has none). The runtime picks it
    for few outputs over many elements (a loss, a full sum), where one thread per output would
    leave the GPU idle."""
    if n.op is not Op.FUSED:
        raise NotOnCudaError("not a fused node")
    at, red = n.attrs, n.attrs.reduce
    rank = at.loop_shape.rank
    if rank is None:
        raise NotOnCudaError("a fused loop of unknown rank")
    params = [f"p{j}" for j in range(len(n.inputs))]
    guarded = bool(FL.guard_messages(n))  # per-element checks count failures into ``bad``
    em = KernelEmitter(replace(KERNEL, guard_counter="bad" if guarded else None))
    leaves = [f"s{j}" if not t.shape.rank else f"p{j}" for j, t in enumerate(n.inputs)]
    for j, t in enumerate(n.inputs):
        if not t.shape.rank:
            em.line(f"s{j} = p{j}[0]")
    loop_dims = FL.loop_extents(em, n, leaves, rank)
    ambiguous = FL.ambiguous_dims(n, at, rank)
    bc = FL.Broadcasts(leaves)
    for li, k, _ in ambiguous:  # a dim that broadcasts only at run time: index it by 0 when it is 1
        m = em.fresh("m")
        em.line(f"{m} = 0 if {leaves[li]}.shape[{k}] == 1 else 1")
        bc.mults[(leaves[li], k)] = m
    exact = not ambiguous
    axes = sorted(red.axes) if red is not None else []
    kept = [j for j in range(rank) if j not in axes]
    if tree:
        if red is None:
            raise NotOnCudaError("a tree is for reductions")
        _tree_body(em, n, bc, loop_dims, axes, kept, exact)
    else:
        _thread_body(em, n, bc, loop_dims, axes, kept, exact)
    if any(not m.startswith("Incompatible shapes") for _, m in em.errors):
        raise NotOnCudaError("a fused loop with run-time checks other than shape agreement")
    head = ["import math", "import numpy as np", "from numba import cuda, boolean, float32, float64, int64", "",
            "", "@cuda.jit", f"def kernel({', '.join(params + ['r0'] + (['bad'] if guarded else []))}):"]
    half = {f"p{j}" for j, t in enumerate(n.inputs) if t.dtype.name == "float16"}
    return "\n".join(special.nest(head + _translate_body(_widen(_without_checks(em.lines), half)))) + "\n"


_LOAD = re.compile(r"^(\s*\w+ = )(p\d+)(\[.*\])$")


def _widen(lines: list[str], half: set[str]) -> list[str]:
    """float16 elements read as float32, the CPU's compute type for float16 (CUDA's math library
    has no half-precision functions numba-cuda can type without a GPU driver)."""
    if not half:
        return lines
    out = []
    for line in lines:
        m = _LOAD.match(line)
        out.append(f"{m.group(1)}float32({m.group(2)}{m.group(3)})" if m and m.group(2) in half else line)
    return out


def _out_index(em: KernelEmitter, loop_dims: list[str], kept: list[int], idx: list[str], flat: str) -> None:
    rest = flat
    for j in reversed(kept):  # row-major decomposition of the output index
        name, q = em.fresh("k"), em.fresh("q")
        em.line(f"{name} = {rest} % ({loop_dims[j]})")
        em.line(f"{q} = {rest} // ({loop_dims[j]})")
        idx[j], rest = name, q


def _tree_body(em: KernelEmitter, n: Operation, bc: FL.Broadcasts, loop_dims: list[str], axes: list[int],
               kept: list[int], exact: bool) -> None:
    at: FusedAttrs = n.attrs
    red, dt = at.reduce, n.dtypes[0]
    assert red is not None
    acc_dt = FL.acc_dtype(red.op, dt)
    if acc_dt.name == "float16":  # float16 elements are read as float32 (``_widen``)
        acc_dt = dtypes.float32
    shared = "boolean" if acc_dt.is_bool else "int64" if acc_dt.is_integer else acc_dt.name
    count = " * ".join(f"({loop_dims[j]})" for j in axes) or "1"
    idx = [""] * len(loop_dims)
    em.line("t = cuda.blockIdx.x")
    em.line("lane = cuda.threadIdx.x")
    em.line(f"part = cuda.shared.array({TREE}, dtype={shared})")
    _out_index(em, loop_dims, kept, idx, "t")
    em.line(f"acc = {em.lit(FL.init_value(red.op, dt), acc_dt)}")
    em.line("q = lane")
    with em.block(f"while q < {count}:"):
        rest = "q"
        for j in reversed(axes):
            name, r = em.fresh("k"), em.fresh("q")
            em.line(f"{name} = {rest} % ({loop_dims[j]})")
            em.line(f"{r} = {rest} // ({loop_dims[j]})")
            idx[j], rest = name, r
        v = FL.element_value(em, n, bc.leaves, idx, exact, False, mults=bc.mults)
        em.line(f"acc = {FL.combine(red.op, 'acc', v)}")
        em.line(f"q += {TREE}")
    em.line("part[lane] = acc")
    em.line("cuda.syncthreads()")
    em.line(f"s = {TREE // 2}")
    with em.block("while s > 0:"):
        with em.block("if lane < s:"):
            em.line("a = part[lane]")
            em.line("b = part[lane + s]")
            em.line(f"part[lane] = {FL.combine(red.op, 'a', 'b')}")
        em.line("cuda.syncthreads()")
        em.line("s //= 2")
    with em.block("if lane == 0:"):
        em.line(f"r0[t] = {FL.finish_value(em, red.op, dt, acc_dt, 'part[0]', count)}")


def _thread_body(em: KernelEmitter, n: Operation, bc: FL.Broadcasts, loop_dims: list[str], axes: list[int],
                 kept: list[int], exact: bool) -> None:
    at: FusedAttrs = n.attrs
    red, dt = at.reduce, n.dtypes[0]
    leaves, mults = bc.leaves, bc.mults
    em.line("t = cuda.grid(1)")
    with em.block("if t < r0.shape[0]:"):
        idx = [""] * len(loop_dims)
        _out_index(em, loop_dims, kept, idx, "t")
        if red is None:
            em.line(f"r0[t] = {FL.element_value(em, n, leaves, idx, exact, False, mults=mults)}")
        else:
            acc_dt = FL.acc_dtype(red.op, dt)
            acc = em.fresh("acc")
            em.line(f"{acc} = {em.lit(FL.init_value(red.op, dt), acc_dt)}")
            with em.loops([loop_dims[j] for j in axes]) as ridx:
                for j, name in zip(axes, ridx):
                    idx[j] = name
                v = FL.element_value(em, n, leaves, idx, exact, False, mults=mults)
                em.line(f"{acc} = {FL.combine(red.op, acc, v)}")
            count = " * ".join(loop_dims[j] for j in axes) or "1"
            em.line(f"r0[t] = {FL.finish_value(em, red.op, dt, acc_dt, acc, count)}")


def _without_checks(lines: list[str]) -> list[str]:
    """The lines without the shape-agreement checks (``if not (...): raise ...``): kernels cannot
    raise; the host checks the shapes before the launch."""
    out: list[str] = []
    skip = False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        if line.strip().startswith("if not (") and i + 1 < len(lines) and "raise ValueError" in lines[i + 1]:
            skip = True
            continue
        out.append(line)
    return out


def reduction_source(n: Operation) -> tuple[str, int]:
    """``fused_source`` of a FUSED reduction, and its number of inputs."""
    if n.op is not Op.FUSED or n.attrs.reduce is None:
        raise NotOnCudaError("not a fused reduction")
    return fused_source(n), len(n.inputs)


def node_arg_types(n: Operation) -> list[tuple[str, int]]:
    """The argument types of ``fused_source``'s kernel: the node's inputs (arrays by rank,
    rank-0 values as 1-element arrays), then the flat output buffer."""
    types = [(t.dtype.name, t.shape.rank if t.shape.rank else 1) for t in n.inputs]
    return types + [(n.dtypes[0].name, 1)]


def signature(arg_types: Sequence[tuple[str, int]]) -> str:
    """A numba signature from the glue's argument types ((dtype, ndim or -1 for scalars) each):
    C-contiguous arrays."""
    parts = []
    for dtype, ndim in arg_types:
        name = "boolean" if dtype == "bool" else dtype
        parts.append(name if ndim < 0 else f"{name}[{', '.join([':'] * (ndim - 1) + ['::1'])}]")  # C order
    return f"void({', '.join(parts)})"


def load(source: str) -> Any:
    """The ``kernel`` of a CUDA module source (compiled by numba.cuda when first launched)."""
    scope: dict[str, Any] = {}
    exec(compile(source, "<graphflow cuda kernel>", "exec"), scope)  # generated by graphflow, not user data
    simulated(scope)
    return scope["kernel"]


def simulated(scope: dict[str, Any]) -> None:
    """Under Numba's simulator, give a kernel module's functions libdevice's IEEE ``math``
    (``cuda_simmath``) in place of Python's, which raises where a GPU returns inf or NaN."""
    if "math" in scope and simulating():
        scope["math"] = cuda_simmath


def compile_ptx(source: str, arg_types: Sequence[tuple[str, int]], cc: tuple[int, int] = (9, 0)) -> str:
    """PTX of the kernel for compute capability ``cc`` (needs numba-cuda's NVVM, not a GPU);
    ``UnimplementedError`` saying what to install where this process cannot compile PTX."""
    cuda = require("ptx")
    ptx, _ = cuda.compile_ptx(load(source).py_func, signature(arg_types), cc=cc)
    return ptx


def launch(source: str, args: list[Any], size: int, threads: int = 128) -> None:
    """Run the kernel on ``args`` (inputs, the output buffer, lifted literals: the CPU kernel's
    parameters) with one thread per element of its ``size``-element output."""
    kernel = load(source)
    kernel[(size + threads - 1) // threads, threads](*args)
