"""The IR checker run after every pass in tests (and on demand): catches a pass that broke the
program, naming the pass."""
from __future__ import annotations

from graphflow.compiler.program import Program
from graphflow.core.registry import Op


class VerificationError(AssertionError):
    pass


def verify(program: Program, after: str = "build") -> None:
    """Inputs are defined before use, outputs and targets exist, dtypes/shapes are well formed."""
    defined: set[int] = set()
    seen_nodes: set[int] = set()
    for n in program.nodes:
        for t in n.inputs:
            if id(t) not in defined:
                raise VerificationError(f"after pass {after}: {n.describe()} uses {t.name}, "
                                        "which no earlier node defines")
        for c in n.control_inputs:
            if id(c) not in seen_nodes:
                raise VerificationError(f"after pass {after}: {n.describe()} has control input "
                                        f"{c.name} that is not in the program before it")
        if len(n.dtypes) != len(n.shapes) or len(n.outputs) != len(n.dtypes):
            raise VerificationError(f"after pass {after}: {n.describe()} has mismatched outputs")
        if n.op is Op.ASSIGN and n.inputs[0].node.op is not Op.VARIABLE:
            raise VerificationError(f"after pass {after}: {n.describe()} assigns to a non-variable")
        seen_nodes.add(id(n))
        defined.update(id(t) for t in n.outputs)
    for t in program.outputs:
        if id(t) not in defined:
            raise VerificationError(f"after pass {after}: fetched {t.name} is not computed")
    for n in program.targets:
        if id(n) not in seen_nodes:
            raise VerificationError(f"after pass {after}: target {n.name} is not in the program")
