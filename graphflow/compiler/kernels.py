"""Kernels as reusable units: one program node's computation as a jitted function of its own,
named by what it computes.

A kernel is emitted by the same registry emitters as inline code, into a fresh ``Emitter`` whose
inputs are parameters (``p0``, ``p1``, ...), so its text depends only on the op chain, dtypes,
ranks and broadcast pattern. Integer literals (static sizes, slice bounds, strides) are then lifted
into trailing parameters (``c0``, ``c1``, ...): x[:, 3, :] and x[:, 4, :], or the same gate loop
over 128 and 512 columns, are one kernel. The canonical text is the kernel's identity: its module
is written once under that hash in the cache directory and compiled once (numba's ``cache=True``),
for every executable, graph and process that needs it.
"""
from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from typing import Any

from graphflow.compiler.emitter import Emitter
from graphflow.ir import Operation

JIT_DECORATOR = "@numba.njit(cache=True, error_model='numpy', nogil=True)"


@dataclass(frozen=True)
class Kernel:
    """A kernel's module source (defining ``kernel``) and what one call site passes it.

    ``extras`` are the non-input parameters in order, each (kind, object) with kind "dst" (the
    buffer of the variable an assignment writes) or "rng" (a random op's counter state);
    ``consts`` the lifted literals; ``errors`` the messages of its checks, by local index.
    """

    source: str
    extras: tuple[tuple[str, Any], ...]
    consts: tuple[int, ...]
    errors: tuple[tuple[Operation, str], ...]
    returns: bool  # False for kernels that only write (assignments)
    fresh: bool  # the result is a new array (not a view of an input)


class KernelEmitter(Emitter):
    """An emitter whose node inputs are parameters and whose state arrives as arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.extras: list[tuple[str, str, Any]] = []  # (parameter, kind, object)

    def param(self, kind: str, obj: Any) -> str:
        for name, k, o in self.extras:
            if k == kind and o is obj:
                return name
        name = "dst" if kind == "dst" else f"q{len(self.extras)}"
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
        [f"c{k}" for k in range(len(consts))]
    head = ["import numpy as np", "import numba"] + [f"import {m} as {a}" for m, a in em.imports.items()]
    source = "\n".join(head) + "\n\n\n" + JIT_DECORATOR + f"\ndef kernel({', '.join(params)}):\n" + body + "\n"
    fresh = result is not None and any(em.exprs.get(id(t)) == result and id(t) in em.fresh_values
                                       for t in n.outputs)
    return Kernel(source, tuple((k, o) for _, k, o in em.extras), tuple(consts), tuple(em.errors),
                  result is not None, fresh)


def lift_literals(body: str) -> tuple[str, list[int]]:
    """Replace integer literals other than 0 and 1 by parameters ``c0, c1, ...``.

    0 and 1 stay: they carry the broadcast pattern (an index 0, a dim compared with 1). Tuple
    indices of ``.shape[k]`` stay too: they follow from the rank, which is part of the identity.

    >>> lift_literals("    x = a.shape[2] * 64 + 1")
    ('    x = a.shape[2] * c0 + 1', [64])
    """
    lines = body.split("\n")
    spots: list[tuple[int, int, int, int]] = []
    toks = list(tokenize.generate_tokens(io.StringIO(body).readline))
    for k, tok in enumerate(toks):
        if tok.type != tokenize.NUMBER or not tok.string.isdigit():
            continue
        value = int(tok.string)
        if value < 2 or (k >= 2 and toks[k - 1].string == "[" and toks[k - 2].string == "shape"):
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
