"""Host ops beside the compiled call: strings and printing.

Compiled code has no strings, so one ``sess.run`` signature whose graph holds host nodes (string
tensors, ``Kind.HOST`` ops such as ``tf.py_func``, printing) runs in stages: the host nodes that
need no compiled value (string constants and feeds, their parsing) run first with their numpy
references and feed the compiled program; then the compiled program runs, fetching what the
remaining host nodes need; then those run (formatting, joining, printing, a py_func of compiled
values). Where compiled nodes read such a host value again, a second compiled program takes it,
and so on. A ``tf.Print`` consumed by compiled nodes is its input there (``compiler.program.build``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core.errors import InvalidArgumentError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.runtime import queues, readers, session_ops, session_tensors, tracing  # noqa: F401 (handlers)
from graphflow.runtime.state import State

# ops that also take string tensors (their numpy references work on object arrays)
_STRING_OK = {Op.IDENTITY, Op.ADD, Op.EQUAL, Op.NOT_EQUAL, Op.CONST, Op.PLACEHOLDER,
              Op.PLACEHOLDER_WITH_DEFAULT, Op.RESHAPE, Op.TRANSPOSE, Op.CONCAT, Op.SLICE, Op.GATHER,
              Op.TILE, Op.SHAPE, Op.SELECT, Op.BROADCAST_TO, Op.STOP_GRADIENT, Op.BOOLEAN_MASK, Op.GATHER_ND}


# nodes each compiled program that reads them holds itself: a variable is state every program
# reads and writes in place (never a value passed between programs), a constant is cheap
_EVERY_STAGE = {Op.VARIABLE, Op.CONST}


def is_host(n: Operation) -> bool:
    if get(n.op).kind is Kind.HOST:
        return True
    return any(d.is_string for d in n.dtypes) or any(t.dtype.is_string for t in n.inputs)


class HostPlan:
    """The split of one signature into stages: host nodes, a compiled program, host nodes, a
    compiled program... Host nodes run at the first host stage after every value they read; a
    compiled node in the first compiled stage after every value it reads (a ``tf.py_func`` of
    compiled values whose result compiled nodes read again makes three stages). Each compiled
    stage is a program of its own, fed the values earlier stages computed."""

    def __init__(self, leaves: Sequence[Tensor | Operation], feeds: Sequence[tuple[Tensor, int]],
                 nodes: list[Operation], host: set[int]) -> None:
        fed = {id(t) for t, _ in feeds}
        # stage numbers: host stage k is 2k, compiled stage k is 2k + 1 (nodes come in uid order,
        # so every input's stage is known before its reader's)
        stage: dict[int, int] = {}

        def at(t: Tensor, compiled: bool) -> int:  # the stage after which a reader may take t
            if id(t) in fed or (compiled and t.node.op in _EVERY_STAGE):
                return 0
            if compiled and t.node.op is Op.PRINT and id(t.node) in host:  # compiled code takes a Print's input
                return at(t.node.inputs[0], compiled)
            return stage.get(id(t.node), 0)
        for n in nodes:
            compiled = id(n) not in host
            before = max([at(t, compiled) for t in n.inputs] + [stage.get(id(c), 0) for c in n.control_inputs] + [0])
            if id(n) in host:
                stage[id(n)] = before + (before % 2)  # the next even stage
            else:
                stage[id(n)] = before + 1 - (before % 2)  # the next odd stage
        self.stage = stage
        last = max(stage.values(), default=0)
        self.host_stages: list[list[Operation]] = [[] for _ in range(last // 2 + 1)]
        for n in nodes:
            if id(n) in host:
                self.host_stages[stage[id(n)] // 2].append(n)
        n_compiled = (last + 1) // 2
        self.inner_fetch: list[list[Tensor]] = [[] for _ in range(n_compiled)]
        self.inner_feed: list[list[Tensor]] = [[] for _ in range(n_compiled)]
        self.inner_targets: list[list[Operation]] = [[] for _ in range(n_compiled)]

        def want(t: Tensor, into: list[Tensor]) -> None:
            if all(t is not u for u in into):
                into.append(t)

        def fetched(t: Tensor) -> None:  # a compiled value a later stage (or the caller) reads
            want(t, self.inner_fetch[stage[id(t.node)] // 2])

        def targeted(c: Operation) -> None:
            if id(c) not in host and c.op is not Op.PLACEHOLDER:
                into = self.inner_targets[stage[id(c)] // 2]
                if c not in into:
                    into.append(c)
        for n in nodes:
            s = stage[id(n)]
            for c in n.control_inputs:
                if id(c) not in host and stage[id(c)] != s:
                    targeted(c)
            for t in n.inputs:
                src = t.node
                if id(t) in fed or (id(n) not in host and src.op is Op.PRINT and id(src) in host) or \
                        (id(n) not in host and src.op in _EVERY_STAGE):
                    continue
                if id(n) in host:
                    if id(src) not in host:
                        fetched(t)
                elif id(src) in host or stage[id(src)] != s:
                    want(t, self.inner_feed[s // 2])  # a host value or an earlier program's
                    if id(src) not in host:
                        fetched(t)
        for x in leaves:
            if isinstance(x, Tensor) and id(x) not in fed and id(x.node) not in host:
                fetched(x)
            elif isinstance(x, Operation) and id(x) not in host:
                targeted(x)
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
    """Runs a HostPlan: its host stages and compiled programs in turn."""

    def __init__(self, p: HostPlan, outputs: Sequence[Tensor],
                 compile_inner: Callable[[list[Tensor], list[Operation], list[tuple[Tensor, int]]], Any],
                 state: State | None = None) -> None:
        self.plan = p
        self.state = state
        self.outputs = list(outputs)
        self.compile_inner = compile_inner
        self.inner: dict[tuple[int, tuple[int, ...]], Any] = {}  # by stage and the ranks of the values fed to it
        self.compiling = threading.Lock()  # (queue-runner threads running one op: compiled once)

    def __call__(self, feeds: Sequence[Any]) -> list[Any]:
        p = self.plan
        env: dict[int, Any] = {id(t): v for t, v in zip(p.feeds, feeds)}
        for k, nodes in enumerate(p.host_stages):
            for n in nodes:
                self._run(n, env, self.state)
            if k < len(p.inner_fetch) and (p.inner_fetch[k] or p.inner_targets[k]):
                self._compiled(k, feeds, env)
        out = []
        for t in self.outputs:
            v = env[id(t)]
            out.append(v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v)
        return out

    def _compiled(self, k: int, feeds: Sequence[Any], env: dict[int, Any]) -> None:
        """Compiled stage ``k``: its program (built per ranks of the values fed to it) on the
        numeric feeds and the values earlier stages computed."""
        p = self.plan
        fed = [env[id(t)] for t in p.inner_feed[k]]
        ranks = tuple(np.ndim(v) for v in fed)
        inner = self.inner.get((k, ranks))
        if inner is None:
            with self.compiling:
                inner = self.inner.get((k, ranks))
                if inner is None:
                    sig = [(t, r) for _, t, r in p.numeric_feeds] + list(zip(p.inner_feed[k], ranks))
                    inner = self.inner[(k, ranks)] = self.compile_inner(p.inner_fetch[k], p.inner_targets[k], sig)
        vals = [feeds[i] for i, _, _ in p.numeric_feeds] + [v[()] if np.ndim(v) == 0 else v for v in fed]
        for t, v in zip(p.inner_fetch[k], inner(vals)):
            env[id(t)] = v

    @staticmethod
    def _run(n: Operation, env: dict[int, Any], state: State | None) -> None:
        if n.op is Op.IS_INITIALIZED:  # the session's state answers
            env[id(n.outputs[0])] = np.bool_(state is not None and n.attrs.uid in state.initialized)
            return
        answer = session_ops.handler(n.op)
        if answer is not None:  # values and objects the session keeps between runs
            args = [env[id(t)] for t in n.inputs]
            with tracing.host_step(n.name, n.op.value):
                for t, v in zip(n.outputs, answer(n, args, state)):
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
