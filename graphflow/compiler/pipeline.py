"""The compiler pipeline: the ordered list of passes, in one place."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

from graphflow.compiler import layout, passes, simplify
from graphflow.compiler.program import Program
from graphflow.compiler.verify import verify

Pass = Callable[[Program], Program]

PASSES: list[Pass] = [
    passes.fold_constants,
    simplify.simplify_algebra,
    passes.eliminate_dead_code,
    passes.remove_identities,
    passes.eliminate_common_subexpressions,
    layout.sink_transposes,
    passes.fuse_elementwise,
]


def run_passes(program: Program, check: bool | None = None,
               on_pass: Callable[[str, Program], None] | None = None) -> Program:
    """Apply PASSES in order. ``check`` (or GRAPHFLOW_VERIFY=1) verifies after each pass;
    GRAPHFLOW_PRINT_AFTER=<pass name> prints the program after that pass."""
    if check is None:
        check = os.environ.get("GRAPHFLOW_VERIFY") == "1"
    show = os.environ.get("GRAPHFLOW_PRINT_AFTER", "")
    if check:
        verify(program, "build")
    if on_pass:
        on_pass("build", program)
    for p in PASSES:
        program = p(program)
        if check:
            verify(program, p.__name__)
        if on_pass:
            on_pass(p.__name__, program)
        if show in (p.__name__, "all"):
            print(f"# after {p.__name__}\n{format_program(program)}", file=sys.stderr)
    return program


def format_program(program: Program) -> str:
    """A readable listing: one line per node with its inputs, dtype and shape."""
    names: dict[int, str] = {}
    lines = []
    for k, n in enumerate(program.nodes):
        for i, t in enumerate(n.outputs):
            names[id(t)] = f"%{k}" + (f".{i}" if len(n.outputs) > 1 else "")
        args = ", ".join(names.get(id(t), t.name) for t in n.inputs)
        outs = ", ".join(f"{d.name}{s}" for d, s in zip(n.dtypes, n.shapes))
        extra = ""
        if n.op.name == "FUSED":
            a = n.attrs
            extra = " {" + "; ".join(i.op.name for i in a.body) + (f"; {a.reduce.op.name}{list(a.reduce.axes)}"
                                                                    if a.reduce else "") + "}"
        ctl = (" ^" + ",".join(c.name for c in n.control_inputs)) if n.control_inputs else ""
        lines.append(f"%{k} = {n.op.name}({args}){extra} -> {outs}  # {n.name}{ctl}")
    lines.append("return " + ", ".join(names.get(id(t), t.name) for t in program.outputs))
    return "\n".join(lines)
