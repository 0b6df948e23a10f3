"""Special functions in CUDA kernels: compiler/special_math.py's functions (the CPU's too), their
source nested inside the kernel that calls them.

numba-cuda types a call to a device function (``cuda.jit(device=True)``, ``register_jitable``)
by compiling it for the current GPU, so ``cuda.compile_ptx`` fails without a driver; a function
defined inside the kernel is inlined by numba's closure inliner before typing instead, and
compiles anywhere (measured with numba-cuda 0.30.4: docs/architecture.md, the CUDA target). So a
kernel's ``gfmath.digamma(v)`` becomes ``digamma(v)``, the kernel begins with ``def digamma(x):``
and the definitions of what it calls, and the module defines the constants they read. Under the
simulator the nested functions see the kernel module's ``math``, libdevice's IEEE results
(``simmath``), as the kernel's own lines do.
"""
from __future__ import annotations

import functools
import inspect
import re
import textwrap

import numpy as np

from graphflow.compiler import special_math

_CALL = re.compile(r"\bgfmath\.(" + "|".join(special_math.FUNCTIONS) + r")\(")
_USE = re.compile(r"(?<![\w.])(" + "|".join(special_math.ALL) + r")\(")
_MYPY = re.compile(r"  # type: ignore\[[\w-]+\]")
_CONSTANT = re.compile(r"\b(_[A-Z][A-Z0-9_]*)\b")  # the module's constants: _EPS, _ZETA_A, ...


def calls(line: str) -> str:
    """``line`` with its calls of the shared special functions (``gfmath.<name>(``) calling the
    definitions ``nest`` puts in the kernel."""
    return _CALL.sub(r"\1(", line)


@functools.cache
def _definition(name: str) -> tuple[str, ...]:
    """The source of shared function ``name``, dedented, without its decorator and mypy's notes."""
    lines = textwrap.dedent(inspect.getsource(special_math.ALL[name])).split("\n")
    return tuple(_MYPY.sub("", line) for line in lines if not line.startswith("@"))


def _needed(names: set[str]) -> list[str]:
    """``names`` and the shared functions they call, transitively, callees first."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for callee in _USE.findall("\n".join(_definition(name))):
            if callee != name:
                visit(callee)
        order.append(name)
    for name in sorted(names):
        visit(name)
    return order


def _constant(name: str) -> str:
    value = getattr(special_math, name)
    if isinstance(value, np.ndarray):
        return f"{name} = np.array([{', '.join(repr(float(v)) for v in value)}])"
    return f"{name} = {float(value)!r}"


def nest(lines: list[str]) -> list[str]:
    """The kernel module ``lines`` (imports, ``@cuda.jit``, ``def kernel``; after ``calls``) with
    the shared functions it calls defined at the top of the kernel, and the module constants
    they read before it."""
    used = {m.group(1) for line in lines for m in _USE.finditer(line)}
    if not used:
        return lines
    order = _needed(used)
    constants = sorted({c for name in order for c in _CONSTANT.findall("\n".join(_definition(name)))})
    at = next(i for i, line in enumerate(lines) if line.startswith("def kernel("))
    defs = [f"    {line}" if line else "" for name in order for line in _definition(name)]
    return lines[:at - 1] + [_constant(c) for c in constants] + ["", ""] + lines[at - 1:at + 1] + defs + \
        lines[at + 1:]
