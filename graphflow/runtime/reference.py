"""The numpy reference executor: runs any program op by op with each row's numpy reference.

It is the test oracle: compiled results are compared against it. It follows the same schedule
(and so the same variable-read rule) as the compiled targets.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Input, Read, plan, schedule
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.runtime.state import State


def execute(program: Program, feeds: Sequence[np.ndarray], state: State) -> list[np.ndarray]:
    """Run ``program``; ``feeds`` align with ``program.feeds``. Returns the outputs' values."""
    sched = schedule(program)
    for var in sched.needs_init:
        state.check_initialized(var)
    values: dict[int, np.ndarray] = {}
    for ph, v in zip(program.feeds, feeds):
        values[id(ph.outputs[0])] = np.asarray(v)
    snaps: dict[int, np.ndarray] = {}
    current: dict[int, np.ndarray] = {}  # staged variable values (committed at the end)

    def read(var: Operation) -> np.ndarray:
        uid = var.attrs.uid
        if uid in current:
            return current[uid]
        return state.value(var).copy()

    def arg(i: Input) -> Any:
        if i.read is Read.SNAPSHOT:
            return snaps[i.snapshot]
        if i.read is Read.VARIABLE:
            return read(i.tensor.node)
        if i.read is Read.TARGET:
            return None
        return values[id(i.tensor)]

    for step in plan(sched):
        n = step.node
        for sid, var in step.snapshots:
            snaps[sid] = read(var).copy()
        if n.op is Op.PLACEHOLDER:
            if id(n.outputs[0]) not in values:
                raise InvalidArgumentError(n, n, f"You must feed a value for placeholder {n.describe()}")
            continue
        args = [arg(i) for i in step.inputs]
        if n.op is Op.VARIABLE:
            # a set-assign may target an uninitialized variable; only real reads need a value
            ready = n.attrs.uid in current or n.attrs.uid in state.initialized
            out: tuple[np.ndarray, ...] = (read(n) if ready else np.empty(0),)
        elif n.op is Op.ASSIGN:
            var = n.inputs[0].node
            new = np.asarray(args[1], dtype=var.attrs.dtype.np)
            if n.attrs.mode != "set":
                old = read(var)
                new = old + new if n.attrs.mode == "add" else old - new
            shape = tuple(var.attrs.shape.as_list())
            if new.shape != shape:
                raise InvalidArgumentError(n, n, f"assign of a value of shape {list(new.shape)} to "
                                           f"variable {var.name} of shape {list(shape)} in {n.describe()}")
            current[var.attrs.uid] = new.copy()
            out = (new.copy(),)
        elif n.op is Op.RANDOM:
            st = state.rng_state(n)
            out = evaluate(n, [st, *args])
            st[1] += np.uint64(1)
        else:
            out = evaluate(n, args)
        for t, v in zip(n.outputs, out):
            values[id(t)] = v
    for uid, v in current.items():
        var = next(w for w in sched.writes if w.attrs.uid == uid)
        state.write(var, v)
    return [values[id(t)].copy() for t in program.outputs]


class ReferenceExecutable:
    """Runs a program with the numpy reference (``gf.Session(device="reference")``)."""

    def __init__(self, program: Program, state: State) -> None:
        self.program = program
        self.state = state
        self.scalar = [t.shape.rank == 0 for t in program.outputs]

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        outs = execute(self.program, feeds, self.state)
        return [o[()] if s else o for o, s in zip(outs, self.scalar)]
