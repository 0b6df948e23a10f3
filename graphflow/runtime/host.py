"""Host ops beside the compiled call: strings and printing.

Compiled code has no strings, so one ``sess.run`` signature whose graph holds host nodes (string
tensors, ``Kind.HOST`` ops, printing) runs in three steps: the host nodes that need no compiled
value (string constants and feeds, their parsing) run first with their numpy references and feed
the compiled program; then the compiled program runs, fetching what the remaining host nodes
need; then those run (formatting, joining, printing). A ``tf.Print`` consumed by compiled nodes is
its input there (``compiler.program.build``). A host value that depends on a compiled value and
feeds compiled nodes again would need a second compiled call; that raises UnimplementedError.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core.errors import InvalidArgumentError, UnimplementedError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.runtime import tracing
from graphflow.runtime.session_tensors import SESSION_TENSOR_OPS, run_session_op
from graphflow.runtime.state import State

# ops that also take string tensors (their numpy references work on object arrays)
_STRING_OK = {Op.IDENTITY, Op.ADD, Op.EQUAL, Op.NOT_EQUAL, Op.CONST, Op.PLACEHOLDER,
              Op.PLACEHOLDER_WITH_DEFAULT, Op.RESHAPE, Op.TRANSPOSE, Op.CONCAT, Op.SLICE, Op.GATHER,
              Op.TILE, Op.SHAPE, Op.SELECT, Op.BROADCAST_TO, Op.STOP_GRADIENT, Op.BOOLEAN_MASK, Op.GATHER_ND}


def is_host(n: Operation) -> bool:
    if get(n.op).kind is Kind.HOST:
        return True
    return any(d.is_string for d in n.dtypes) or any(t.dtype.is_string for t in n.inputs)


class HostPlan:
    """The split of one signature into host nodes before and after one compiled program."""

    def __init__(self, leaves: Sequence[Tensor | Operation], feeds: Sequence[tuple[Tensor, int]],
                 nodes: list[Operation], host: set[int]) -> None:
        fed = {id(t) for t, _ in feeds}
        compiled_stage: set[int] = set()  # compiled nodes and host nodes that follow them
        self.pre: list[Operation] = []
        self.post: list[Operation] = []
        for n in nodes:
            if id(n) not in host:
                compiled_stage.add(id(n))
                continue
            after = any(id(t) not in fed and id(t.node) in compiled_stage for t in n.inputs)
            (self.post if after else self.pre).append(n)
            if after:
                compiled_stage.add(id(n))
        inner_fetch: list[Tensor] = []
        inner_feed: list[Tensor] = []
        targets: list[Operation] = []

        def want(t: Tensor, into: list[Tensor]) -> None:
            if all(t is not u for u in into):
                into.append(t)
        for n in nodes:
            if id(n) in host:
                for t in n.inputs:
                    if id(t) not in fed and id(t.node) not in host:
                        want(t, inner_fetch)
                targets.extend(c for c in n.control_inputs if id(c) not in host and c not in targets)
                continue
            for t in n.inputs:
                src = t.node
                if id(t) in fed or id(src) not in host or src.op is Op.PRINT:
                    continue
                if src in self.post:
                    raise UnimplementedError(n, n, f"{n.describe()} takes {t.name}, a host value "
                                             "(strings or printing) computed from compiled values; "
                                             "graphflow runs host ops before or after the compiled "
                                             "call, not between its parts")
                want(t, inner_feed)
        for x in leaves:
            if isinstance(x, Tensor) and id(x) not in fed and id(x.node) not in host:
                want(x, inner_fetch)
            elif isinstance(x, Operation) and id(x) not in host and x not in targets:
                targets.append(x)
        self.inner_fetch = inner_fetch
        self.inner_targets = targets
        self.inner_feed = inner_feed
        self.feeds = [t for t, _ in feeds]
        self.numeric_feeds = [(i, t, r) for i, (t, r) in enumerate(feeds) if not t.dtype.is_string]
        self.leaves = leaves


def plan(leaves: Sequence[Tensor | Operation], feeds: Sequence[tuple[Tensor, int]]) -> HostPlan | None:
    """The host plan of a signature, or None when it has no host nodes (the common case)."""
    fed = {id(t) for t, _ in feeds}
    seen: dict[int, Operation] = {}
    stack = [x.node if isinstance(x, Tensor) else x for x in leaves if id(x) not in fed]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        stack.extend(t.node for t in n.inputs if id(t) not in fed)
        stack.extend(n.control_inputs)
    host = {id(n) for n in seen.values() if is_host(n)}
    host.update(id(t.node) for t, _ in feeds if t.dtype.is_string)
    if not host:
        return None
    for n in seen.values():
        if id(n) in host and get(n.op).kind is not Kind.HOST and n.op not in _STRING_OK:
            bad = next((t for t in n.inputs if t.dtype.is_string), None)
            raise InvalidArgumentError(n, n, f"{n.op.value} does not take string tensors: expected "
                                       "numeric or bool inputs, given "
                                       f"{bad.name if bad is not None else 'a string output'} "
                                       f"(dtype string)\n  in {n.describe()}")
    return HostPlan(leaves, feeds, sorted(seen.values(), key=lambda n: n.uid), host)


class HostExecutable:
    """Runs a HostPlan: host nodes before, the compiled program, host nodes after."""

    def __init__(self, p: HostPlan, outputs: Sequence[Tensor],
                 compile_inner: Callable[[list[Tensor], list[Operation], list[tuple[Tensor, int]]], Any],
                 state: State | None = None) -> None:
        self.plan = p
        self.state = state
        self.outputs = list(outputs)
        self.compile_inner = compile_inner
        self.inner: dict[tuple[int, ...], Any] = {}  # by the ranks of the host values fed to it

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        p = self.plan
        env: dict[int, Any] = {id(t): v for t, v in zip(p.feeds, feeds)}
        for n in p.pre:
            self._run(n, env, self.state)
        if p.inner_fetch or p.inner_targets:
            fed = [env[id(t)] for t in p.inner_feed]
            ranks = tuple(np.ndim(v) for v in fed)
            inner = self.inner.get(ranks)
            if inner is None:
                sig = [(t, r) for _, t, r in p.numeric_feeds] + list(zip(p.inner_feed, ranks))
                inner = self.inner[ranks] = self.compile_inner(p.inner_fetch, p.inner_targets, sig)
            vals = [feeds[i] for i, _, _ in p.numeric_feeds] + [v[()] if np.ndim(v) == 0 else v for v in fed]
            for t, v in zip(p.inner_fetch, inner(vals)):
                env[id(t)] = v
        for n in p.post:
            self._run(n, env, self.state)
        out = []
        for t in self.outputs:
            v = env[id(t)]
            out.append(v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v)
        return out

    @staticmethod
    def _run(n: Operation, env: dict[int, Any], state: State | None) -> None:
        if n.op is Op.IS_INITIALIZED:  # the session's state answers
            env[id(n.outputs[0])] = np.bool_(state is not None and n.attrs.uid in state.initialized)
            return
        if n.op in SESSION_TENSOR_OPS:  # values the session keeps between runs
            args = [env[id(t)] for t in n.inputs]
            with tracing.host_step(n.name, n.op.value):
                for t, v in zip(n.outputs, run_session_op(n, args, state)):
                    env[id(t)] = v
            return
        if n.op is Op.PLACEHOLDER:
            if id(n.outputs[0]) not in env:
                raise InvalidArgumentError(n, n, f"You must feed a value for placeholder tensor "
                                           f"'{n.name}' with dtype {n.dtypes[0].name}: expected a "
                                           f"feed_dict entry, given none\n  placeholder {n.describe()}")
            return
        if n.outputs and id(n.outputs[0]) in env:
            return  # a fed tensor
        args = [env[id(t)] for t in n.inputs]
        with tracing.host_step(n.name, n.op.value):
            values = evaluate(n, args)
        for t, v in zip(n.outputs, values):
            env.setdefault(id(t), v)
