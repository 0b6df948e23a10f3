"""The CPU target's emitter interface: what a CPU rule may ask of the emitter it is given.

A CPU rule is ``rule(em: CpuEmit, n: Operation, ins: list[str]) -> None`` (``CpuRule``),
registered on its primitive with ``kernel(op, "cpu")`` (``compiler/cpu/rules/``). Two emitters
satisfy ``CpuEmit``: ``cpu.lower.CpuEmitter`` (code inline in one njit entry) and
``kernels.KernelEmitter`` (a kernel of its own, called from Python glue). A rule never asks which
one it has: where the code may differ, it reads the declared ``em.caps``
(``compiler/capabilities.py``).

``ProgramEmit`` adds what lowering a whole (sub-)program needs beyond one node's code: the
program, the inputs of a node with variable snapshots resolved (``cpu/control_flow.py``).

The slot for generated SIMD kernels (the next issue): ``em.caps.vector_width`` says how many
lanes of an explicit vector type the machine offers (0: none generated). The generator lives in
``compiler/cpu/simd/``, and a rule reaches it through one method this protocol then gains,
``vector_kernel(spec) -> str``, that returns the call of a generated vector kernel for a
declared element-wise or reduction spec; a rule asks for it only when ``vector_width`` is
nonzero and otherwise writes its scalar loop, so an emitter without it needs no change.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from graphflow.compiler.capabilities import Capabilities
from graphflow.compiler.emitter import LitValue
from graphflow.compiler.program import Program
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor


class CpuEmit(Protocol):
    """The emitter a CPU rule writes through (see ``compiler/emitter.py`` for each method)."""

    caps: Capabilities  # what the caller of the code guarantees or allows
    node: Operation | None  # the node whose code is being emitted (its checks name it)
    fresh_values: set[int]  # ids of the tensors bound to arrays the code allocated itself
    flattened: bool  # set where every array must arrive flattened (only with caps.can_flatten)
    shortcut: tuple[str, int] | None  # set where the result may be an input (only with caps.shortcuts)

    # -- text and names
    def line(self, text: str) -> None: ...

    def block(self, header: str) -> AbstractContextManager[None]: ...

    def fresh(self, prefix: str = "v") -> str: ...

    def use(self, module: str) -> str: ...

    # -- values
    def define(self, t: Tensor, expr: str, fresh: bool = True) -> str: ...

    def value(self, t: Tensor) -> str: ...

    def dims(self, t: Tensor, expr: str | None = None, check: bool = True) -> list[str]: ...

    def np_dtype(self, d: DType) -> str: ...

    def lit(self, value: LitValue, d: DType) -> str: ...

    def shape_tuple(self, dims: Sequence[str]) -> str: ...

    def empty(self, dims: Sequence[str], d: DType, prefix: str = "o") -> str: ...

    def loops(self, dims: Sequence[str], prefix: str = "i") -> AbstractContextManager[list[str]]: ...

    def index(self, name: str, idx: Sequence[str]) -> str: ...

    # -- run-time checks
    def check(self, condition: str, node: Operation, message: str, values: Sequence[str] = (),
              exception: str = "ValueError", belief: bool = False) -> None: ...

    def check_shape(self, expr: str, dims: Sequence[str], node: Operation, what: str) -> None: ...

    def check_allocation(self, node: Operation, dims: Sequence[str], d: DType,
                         factors: Sequence[str] | None = None, note: str = "",
                         values: Sequence[str] = ()) -> None: ...

    # -- state: variables' buffers and values, random ops' counters
    def var_buffer(self, var: Operation) -> str: ...

    def var_value(self, var: Operation) -> str: ...


class ProgramEmit(CpuEmit, Protocol):
    """The emitter of a whole program's entry (``cpu.lower.CpuEmitter``), as control flow uses it."""

    program: Program  # the program being lowered
    current_program: Program | None  # the sub-program being emitted inside it, if any
    python: bool  # the entry is Python glue (values may be numpy views), not one njit function
    trace: bool  # (glue) every kernel call is timed, one call per node

    def input(self, node: Operation, j: int) -> str: ...

    def param(self, kind: str, obj: NDArray[np.int64]) -> str:
        """An argument of the entry bound once for every run (kind "const": the array itself, so
        what the entry writes into it persists from run to run)."""

    def compute_chain(self, group: list[Operation], program: Program) -> None:
        """(Python glue only) the elementwise loops ``group`` as one kernel call (cpu/chains.py)."""


CpuRule = Callable[[CpuEmit, Operation, list[str]], None]
