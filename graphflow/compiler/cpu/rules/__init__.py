"""The CPU target's rules, one module per family of primitives: importing this package registers
each rule on its primitive (``register_kernel(op, "cpu", rule)``), beside the primitive's row that
``graphflow/ops`` registers. ``compiler/cpu/lower.py`` imports it, so the rules are in place
whenever the CPU target is.

A rule is ``rule(em: CpuEmit, n: Operation, ins: list[str]) -> None`` (``cpu/interface.py``): it
writes the code computing node ``n`` from the generated-code expressions ``ins`` of its inputs
through the emitter ``em`` and binds ``n``'s outputs. Where the code differs between an inline
entry and a kernel the glue calls, it reads the emitter's declared ``em.caps``, nothing else."""
from graphflow.compiler.cpu.rules import (  # noqa: F401
    array,
    check,
    collective,
    conv,
    cumulative,
    decomposition,
    gradient,
    linalg,
    reduce,
    shape,
    slices,
    solve,
    sort,
    state,
    xent,
)
