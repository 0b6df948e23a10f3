"""The generated driver of a CUDA executable: Python source, straight-line over the schedule,
calling each node's step (its registered ``CudaRule``) with its inputs as local variables, taking
the snapshots of variables at their scheduled points and reading the checks' counters before
assignments and control flow (``compiler/schedule.plan``). Compiled once per executable; the
dump writes it beside the kernels' sources.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphflow.compiler.cuda.device import Value, snapshot
from graphflow.compiler.cuda.rule import CudaRule, Prepared
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Read, Step
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op

# driver(dev, checks, feeds) -> the program's outputs
Driver = Callable[[Any, Any, Sequence[Value]], list[Value]]


@dataclass(frozen=True)
class Generated:
    source: str
    driver: Driver


def _unfed(n: Operation) -> Value:
    raise InvalidArgumentError(n, n, f"You must feed a value for placeholder {n.describe()}")


def generate(program: Program, plan: Sequence[Step], rules: Sequence[CudaRule],
             prepared: Sequence[Prepared]) -> Generated:
    """The driver of ``program`` run in the order of ``plan`` (``rules`` and ``prepared`` align
    with it)."""
    scope: dict[str, Any] = {"snapshot": snapshot, "unfed": _unfed}
    names: dict[int, str] = {}  # id(tensor) -> its local
    lines = ["def driver(dev, checks, feeds):"]
    for i, ph in enumerate(program.feeds):
        names[id(ph.outputs[0])] = f"f{i}"
        lines.append(f"    f{i} = feeds[{i}]  # {ph.name}")
    node = {id(s.node): f"n{k}" for k, s in enumerate(plan)}  # the nodes as globals: n<position>
    scope.update({f"n{k}": s.node for k, s in enumerate(plan)})

    def ref(n: Operation) -> str:
        if id(n) not in node:  # (a node outside the schedule: an unfed placeholder's)
            node[id(n)] = f"x{len(node)}"
            scope[node[id(n)]] = n
        return node[id(n)]

    def value(t: Tensor) -> str:
        if id(t) in names:
            return names[id(t)]
        return f"unfed({ref(t.node)})"

    for k, (step, rule, prep) in enumerate(zip(plan, rules, prepared)):
        n = step.node
        for sid, var in step.snapshots:  # a read of the variable scheduled after an assignment to it
            lines.append(f"    snap{sid} = snapshot(dev, {ref(var)})  # {var.name} before {n.name}")
        if rule.step is None:
            continue
        if rule.flush:  # the checks so far pass before anything is written
            lines.append("    checks.flush()")
        args = []
        for inp in step.inputs:
            if inp.read is Read.SNAPSHOT:
                args.append(f"snap{inp.snapshot}")
            elif inp.read is Read.VARIABLE:
                args.append(f"dev.variable({ref(inp.tensor.node)})")
            elif inp.read is Read.TARGET:
                args.append("None")
            else:
                args.append(value(inp.tensor))
        outs = [f"t{k}_{o}" for o in range(len(n.outputs))]
        for t, name in zip(n.outputs, outs):
            names[id(t)] = name
        scope[f"s{k}"], scope[f"p{k}"] = rule.step, prep
        call = f"s{k}(dev, {ref(n)}, [{', '.join(args)}], p{k})"
        lines.append(f"    # {n.name.replace(chr(10), ' ')} ({n.op.value})")
        if len(outs) == 1:
            lines.append(f"    {outs[0]} = {call}[0]")
        elif outs:
            lines.append(f"    {', '.join(outs)} = {call}[:{len(outs)}]")
        else:
            lines.append(f"    {call}")
    lines.append("    checks.flush()")
    results = [f"dev.variable({ref(t.node)})" if t.node.op is Op.VARIABLE else value(t)
               for t in program.outputs]
    lines.append(f"    return [{', '.join(results)}]")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<graphflow cuda driver>", "exec"), scope)  # generated above, not user data
    return Generated(source, scope["driver"])
