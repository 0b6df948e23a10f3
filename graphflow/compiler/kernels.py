"""Kernels as reusable units: one program node's computation as a jitted function of its own,
named by what it computes.

A kernel is emitted by the same registry emitters as inline code, into a fresh ``Emitter`` whose
inputs are parameters (``p0``, ``p1``, ...), so its text depends only on the op chain, dtypes,
ranks and broadcast pattern. Integer literals (static sizes, slice bounds, strides) are then lifted
into trailing parameters (``c0``, ``c1``, ...): x[:, 3, :] and x[:, 4, :], or the same gate loop
over 128 and 512 columns, are one kernel. The canonical text is the kernel's identity: its module
is written once under that hash in the cache directory and compiled once (numba's ``cache=True``),
for every executable, graph and process that needs it. Loop-free kernels are not compiled at all:
the glue runs their Python function (``interpretable``).
"""
from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from graphflow.compiler.capabilities import KERNEL, Capabilities
from graphflow.compiler.emitter import Emitter
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation

# a dim of a buffer the caller allocates: a literal, or ("in", j, k) for dim k of input j
CallerDim = Union[int, tuple[str, int, int]]

JIT_DECORATOR = "@numba.njit(cache=True, error_model='numpy', nogil=True, no_cfunc_wrapper=True)"


@dataclass(frozen=True)
class Kernel:
    """A kernel's module source (defining ``kernel``) and what one call site passes it.

    ``extras`` are the non-input parameters in order, each (kind, object) with kind "dst" (the
    buffer of the variable an assignment writes) or "rng" (a random op's counter state);
    ``consts`` the lifted literals; ``errors`` the messages of its checks, by local index.
    """

    source: str
    extras: tuple[tuple[str, Operation], ...]
    # buffers the caller allocates and passes after the extras: (dims, dtype) per buffer
    outs: tuple[tuple[tuple[CallerDim, ...], DType], ...]
    consts: tuple[int, ...]
    errors: tuple[tuple[Operation, str], ...]
    fresh: bool  # the result is a new array (not a view of an input)
    # a flat elementwise loop: the caller passes every array flattened (rank 1) and gives the
    # result its shape, so one kernel serves every rank
    flat: bool = False
    # loop-free (views, shape checks, scalar arithmetic, one library call): the glue runs its
    # Python source as it is instead of compiling it (see ``interpretable``)
    interpreted: bool = False
    # a condition over the inputs (``p<j>`` names) under which the result is input ``j`` itself:
    # the glue tests it first and calls the kernel, which numba then compiles, only when it fails
    shortcut: tuple[str, int] | None = None
    # called only where the glue's fast path does not apply (a shortcut, or the broadcasting
    # fallback of a flat loop): compiled when first called, never ahead by the compile helper
    lazy: bool = False
    beliefs: frozenset[int] = frozenset()  # which of ``errors`` check the graph's own shapes (Emitter.check)


class KernelEmitter(Emitter):
    """An emitter whose node inputs are parameters and whose state arrives as arguments.

    Arrays whose dims the caller can compute (literals and input dims) are allocated by the
    caller and passed in: a kernel without ``np.empty`` compiles about a third faster (numba
    links and optimises the allocator's code into every function that calls it). What its code
    may assume of the glue that calls it is in ``caps`` (by default ``capabilities.KERNEL``)."""

    def __init__(self, caps: Capabilities = KERNEL) -> None:
        super().__init__(caps)
        self.extras: list[tuple[str, str, Operation]] = []  # (parameter, kind, node)
        self.outs: list[tuple[str, tuple[CallerDim, ...], DType]] = []  # (parameter, dims, dtype)

    def empty(self, dims: Sequence[str], d: DType, prefix: str = "o") -> str:
        spec = [_caller_dim(x) for x in dims]
        known = [x for x in spec if x is not None]
        if not dims or len(known) < len(spec):
            return super().empty(dims, d, prefix)
        name = f"r{len(self.outs)}"
        self.outs.append((name, tuple(known), d))
        return name

    def param(self, kind: str, obj: Operation) -> str:
        for name, k, o in self.extras:
            if k == kind and o is obj:
                return name
        name = f"dst{sum(k == 'dst' for _, k, _ in self.extras)}" if kind == "dst" else f"q{len(self.extras)}"
        self.extras.append((name, kind, obj))
        return name

    def var_buffer(self, var: Operation) -> str:
        return self.param("dst", var)

    def var_value(self, var: Operation) -> str:
        buf = self.var_buffer(var)
        return f"{buf}[0]" if var.shapes[0].rank == 0 else buf


def finish(em: KernelEmitter, n: Operation, inputs: int, result: str | None) -> Kernel:
    """Wrap an emitted body into a canonical kernel module."""
    body = "\n".join(em.lines) or "    pass"
    if result is not None:
        body += f"\n    return {result}"
    body, consts = lift_literals(body)
    params = [f"p{j}" for j in range(inputs)] + [name for name, _, _ in em.extras] + \
        [name for name, _, _ in em.outs] + [f"c{k}" for k in range(len(consts))]
    head = ["import numpy as np", "import numba"] + [f"import {m} as {a}" for m, a in em.imports.items()]
    source = "\n".join(head) + "\n\n\n" + JIT_DECORATOR + f"\ndef kernel({', '.join(params)}):\n" + body + "\n"
    interpreted = interpretable(body, set(em.imports.values()))
    fresh = result is not None and any(em.exprs.get(id(t)) == result and id(t) in em.fresh_values
                                       for t in n.outputs)
    shortcut = em.shortcut if not em.outs else None
    return Kernel(source, tuple((k, o) for _, k, o in em.extras), tuple((dims, d) for _, dims, d in em.outs),
                  tuple(consts), tuple(em.errors), fresh, em.flattened, interpreted, shortcut,
                  lazy=shortcut is not None, beliefs=frozenset(em.beliefs))


# What a kernel may call and still run as plain Python: numpy's scalar types and constructors,
# views, and the library modules it imports (their functions are jitted and cached on their own)
_PYTHON_SAFE = frozenset({"if", "not", "and", "or", "ValueError", "MemoryError", "max", "min", "int", "float",
                          "abs", "np.int8", "np.int16", "np.int32", "np.int64", "np.uint8", "np.float32",
                          "np.float64", "np.bool_", "np.full", "np.zeros", "np.empty", "np.sqrt",
                          "np.floor", "np.ceil", "np.ascontiguousarray"})
_CALLED = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


def interpretable(body: str, libraries: set[str]) -> bool:
    """True when the kernel ``body`` has no loop and calls only what runs the same in numpy:
    shape checks, reshapes, scalar arithmetic, allocation and calls into library kernels. Numba
    would spend about 0.1 s compiling each such kernel (the conv and pooling wrappers, reshapes,
    an optimizer's scalar learning-rate arithmetic) for a few microseconds of work per call, so
    the glue calls its Python function instead (a 2-D matmul kernel among them: one call of
    ``blas.gemm``). numba's ``np.dot`` stays compiled (the generated code does not call it)."""
    if re.search(r"\b(for|while)\b", body):
        return False
    for name in _CALLED.findall(body):
        if name in _PYTHON_SAFE or name.endswith(".reshape") or name.split(".")[0] in libraries:
            continue
        return False
    return True


_INPUT_DIM = re.compile(r"p(\d+)\.shape\[(\d+)\]")


def _caller_dim(expr: str) -> CallerDim | None:
    """A dim the caller can compute: an int, ("in", j, k) for ``p<j>.shape[k]``, else None."""
    if expr.isdigit():
        return int(expr)
    m = _INPUT_DIM.fullmatch(expr)
    return ("in", int(m.group(1)), int(m.group(2))) if m else None


def lift_literals(body: str) -> tuple[str, list[int]]:
    """Replace integer literals by parameters ``c0, c1, ...``, except the tuple indices of
    ``.shape[k]``, which follow from the rank (part of the identity) and must stay literal for
    numba. The broadcast pattern stays in the text as its structure (``p0[c0, i2]`` for a
    broadcast leading dim, ``p0[i1, i2]`` for a full one).

    >>> lift_literals("    x = a.shape[2] * 64 + 1")
    ('    x = a.shape[2] * c0 + c1', [64, 1])
    """
    lines = body.split("\n")
    spots: list[tuple[int, int, int, int]] = []
    toks = list(tokenize.generate_tokens(io.StringIO(body).readline))
    for k, tok in enumerate(toks):
        if tok.type != tokenize.NUMBER or not tok.string.isdigit():
            continue
        value = int(tok.string)
        if k >= 2 and toks[k - 1].string == "[" and toks[k - 2].string == "shape":
            continue
        spots.append((tok.start[0] - 1, tok.start[1], tok.end[1], value))
    consts: list[int] = []
    names: dict[tuple[int, int], str] = {}
    for row, col, _, value in spots:
        names[(row, col)] = f"c{len(consts)}"
        consts.append(value)
    for row, col, end, _ in reversed(spots):
        line = lines[row]
        lines[row] = line[:col] + names[(row, col)] + line[end:]
    return "\n".join(lines), consts
