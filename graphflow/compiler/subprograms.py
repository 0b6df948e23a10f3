"""The program of a FuncGraph (a COND branch, a WHILE's cond or body): built, optimised and
scheduled like any program, once per FuncGraph, for every target that compiles control flow."""
from __future__ import annotations

import weakref

from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program, build
from graphflow.compiler.schedule import Schedule, schedule
from graphflow.ops.func_graph import FuncGraph

# each FuncGraph's program, kept as long as the FuncGraph lives
_LOWERED: weakref.WeakKeyDictionary[FuncGraph, tuple[Program, Schedule]] = weakref.WeakKeyDictionary()


def sub_program(g: FuncGraph) -> tuple[Program, Schedule]:
    """The program of a FuncGraph: its argument and capture placeholders are the feeds."""
    cached = _LOWERED.get(g)
    if cached is not None:
        return cached
    phs = list(g.inputs) + [ph for _, ph in g.captures]
    for ph in phs:
        if ph.shape.rank is None:
            raise NotImplementedError(f"control flow over {ph.name} of unknown rank: compiled loops "
                                      "and branches need each value's rank (give the loop variable "
                                      "or captured tensor a shape)")
    prog = run_passes(build(list(g.outputs), [], [(ph, ph.shape.rank) for ph in phs]))
    out = (prog, schedule(prog))
    _LOWERED[g] = out
    return out
