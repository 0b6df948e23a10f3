"""The program of a FuncGraph (a COND branch, a WHILE's cond or body): built, optimised and
scheduled like any program, once per FuncGraph, for every target that compiles control flow."""
from __future__ import annotations

import weakref
from typing import Union

from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program, build
from graphflow.compiler.schedule import Schedule, schedule
from graphflow.ops.func_graph import FuncGraph

# each FuncGraph's programs (per number of outputs computed, or their indices), kept as long as
# the FuncGraph lives
_Lowered = dict[Union[int, tuple[int, ...]], tuple[Program, Schedule]]
_LOWERED: weakref.WeakKeyDictionary[FuncGraph, _Lowered] = weakref.WeakKeyDictionary()


def sub_program(g: FuncGraph, n_outputs: int | tuple[int, ...] | None = None) -> tuple[Program, Schedule]:
    """The program of a FuncGraph computing its first ``n_outputs`` outputs (all by default), or
    the outputs of those indices (a loop body leaves out the values it saves for a gradient that
    no gradient reads): its argument and capture placeholders are the feeds."""
    n = len(g.outputs) if n_outputs is None else n_outputs
    cached = _LOWERED.setdefault(g, {}).get(n)
    if cached is not None:
        return cached
    phs = list(g.inputs) + [ph for _, ph in g.captures]
    for ph in phs:
        if ph.shape.rank is None:
            raise NotImplementedError(f"control flow over {ph.name} of unknown rank: compiled loops "
                                      "and branches need each value's rank (give the loop variable "
                                      "or captured tensor a shape)")
    outputs = [g.outputs[i] for i in n] if isinstance(n, tuple) else list(g.outputs[:n])
    prog = run_passes(build(outputs, [], [(ph, ph.shape.rank) for ph in phs]))
    out = (prog, schedule(prog))
    _LOWERED[g][n] = out
    return out
