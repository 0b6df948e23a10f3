"""The CUDA target's rule for a primitive, registered on its registry row
(``register_kernel(op, "cuda", CudaRule(...))``, ``compiler/cuda/rules.py``): what the build
prepares for a node (its kernel sources, what the run needs of the graph) and the step the
generated driver calls for it (``compiler/cuda/steps.py``, ``core_steps.py``)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graphflow.compiler.cuda.device import Device, Value
from graphflow.compiler.fused_loops import FixedDims  # a fused loop's dims the graph fixes
from graphflow.core.ir import Operation
from graphflow.ops.func_graph import FuncGraph


@dataclass(frozen=True)
class Prepared:
    """What the build fixes for one node: its kernel's CUDA module source (empty: none), a
    reduction's block-per-output variant (``tree``), a fused loop's dims the graph fixes and its
    per-element check messages, a constant's uploaded value."""

    source: str = ""
    tree: str = ""
    fixed: FixedDims | None = None
    guards: tuple[str, ...] = ()
    value: Value | None = None


Step = Callable[[Device, Operation, list[Value], Prepared], list[Value]]
Prepare = Callable[[Operation], Prepared]
NOTHING = Prepared()


@dataclass(frozen=True)
class CudaRule:
    """``step`` is None for nodes the driver binds itself (feeds, variables read in place, no-ops).

    ``prepare`` raises ``loops.NotOnCudaError`` for a node the target cannot run; ``checks``: its kernels
    count failures (``device.check_slot``); ``flush``: the checks so far are read before it runs
    (it writes variables or runs sub-programs that may); ``any_rank``: it runs on values of
    unknown rank; ``graphs``: the sub-programs built with it; ``kernels``: the fixed templates it
    launches, (name, source) each, listed in dumps."""

    step: Step | None
    prepare: Prepare | None = None
    checks: bool = False
    flush: bool = False
    any_rank: bool = False
    graphs: Callable[[Operation], Sequence[FuncGraph]] | None = None
    kernels: tuple[tuple[str, str], ...] = ()
