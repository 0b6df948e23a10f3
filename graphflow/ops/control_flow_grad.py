"""What the gradients of COND and WHILE share: the check that a function they rebuild draws no
new random numbers (control_flow.py differentiates COND, control_flow_while.py WHILE)."""
from __future__ import annotations

from typing import Any

from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.ops.func_graph import FuncGraph, _needed


def no_random(g: FuncGraph, n: Operation, top: bool = True) -> None:
    """The gradient rebuilds the function: a random op there would draw new numbers, not the
    forward pass's, so such gradients are refused rather than wrong (a while body's own draws,
    ``top=False``, are recorded by the loop and read back instead)."""
    live = _needed(g)
    for m in g.get_operations():
        if id(m) not in live:
            continue  # e.g. the initializers of variables made inside (they run in the root graph)
        if m.op is Op.RANDOM and top:
            raise NotImplementedError(f"the gradient of {n.describe()} would rebuild the random op "
                                      f"{m.describe()} with new numbers; gradients through random ops "
                                      "inside control flow are not supported (draw the noise outside "
                                      "and pass it in)")
        for sub in _subgraphs(m):
            no_random(sub, n, True)


def _subgraphs(m: Operation) -> list[Any]:
    at = m.attrs
    return list(getattr(at, "branches", ())) + [x for x in (getattr(at, "cond", None), getattr(at, "body", None))
                                                if x is not None and hasattr(x, "get_operations")]
