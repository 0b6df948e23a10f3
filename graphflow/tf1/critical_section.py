"""``tf.CriticalSection``: functions whose executions must not overlap, in TF1's graph mode.

A graphflow session runs a program's nodes one after another, so two executions can never
overlap within a run; what remains of TF's mutex is the order and the checks. Each ``execute``
builds ``fn``'s ops under a control dependency on the previous execution of the same critical
section (the same ``shared_name``) in the same graph, so a later execution sees what an earlier
one assigned: the canonical counter, ``f1 + f2`` of two executions of ``v.assign_add(1)`` after a
read, gives 0 + 1 as TF's serialised executions do. Unlike TF's mutex, the order is a dependency:
fetching a later execution also runs the earlier ones of its graph (TF runs only what is fetched,
in some serial order).

TF's checks: executing a critical section inside one of its own executions raises ``ValueError``
(a deadlock in TF), and so does a variable used by executions of two different critical sections
where either asked for exclusive access (the default).
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.ops.constant_ops import group
from graphflow.ops.elementwise_ops import identity
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variables import add_to_collections, get_collection

CRITICAL_SECTIONS = "critical_sections"
CRITICAL_SECTION_EXECUTIONS = "critical_section_executions"

_STACK = threading.local()  # the signatures of the executions being built, innermost last
# graph -> signature -> the op the next execution of that critical section runs after
_LAST: weakref.WeakKeyDictionary[Graph, dict[tuple, Operation]] = weakref.WeakKeyDictionary()


class _ExecutionSignature(NamedTuple):
    """One execution: its critical section's signature, the variables its ops use, and whether
    it asked for exclusive access to them (TF's record, in the same collection)."""
    op: Operation
    handle: tuple
    resources: list
    exclusive_resource_access: bool


@contextlib.contextmanager
def _push(signature: tuple) -> Iterator[None]:
    stack = _STACK.__dict__.setdefault("value", [])
    if signature in stack:
        raise ValueError(f"Attempting to lock a CriticalSection (signature={signature}) in which we are already "
                         "running. This is illegal and may cause deadlocks.")
    stack.append(signature)
    try:
        yield
    finally:
        stack.pop()


def _identity(x: Any) -> Any:
    if isinstance(x, TensorArray):
        return x.identity()
    if isinstance(x, Operation):
        return group(x)
    return identity(x)


class CriticalSection:
    """A critical section: ``execute(fn)`` runs ``fn``'s ops after the previous execution's.

    >>> import graphflow as gf
    >>> v = gf.Variable(0.0)
    >>> def count():
    ...     value = v.read_value()
    ...     with gf.control_dependencies([value]):
    ...         with gf.control_dependencies([v.assign_add(1.0)]):
    ...             return gf.identity(value)
    >>> cs = gf.CriticalSection()
    >>> total = cs.execute(count) + cs.execute(count)  # 0 + 1 when run after initialising v
    """

    def __init__(self, name: str | None = None, shared_name: str | None = None,
                 critical_section_def: object = None, import_scope: str | None = None) -> None:
        if critical_section_def is not None and name is not None:
            raise ValueError(f"Arguments critical_section_def={critical_section_def} and shared_name={shared_name} "
                             "are mutually exclusive. Please only specify one of them.")
        if critical_section_def is not None:
            raise ValueError("Argument `critical_section_def` is not supported.")
        self._handle = group(name=name or "CriticalSection")  # names the section in the graph
        self._signature = ("", shared_name or self._handle.name)
        add_to_collections([CRITICAL_SECTIONS], self)

    @property
    def name(self) -> str:
        return self._handle.name

    def execute(self, fn: Callable[[], Any], exclusive_resource_access: bool = True, name: str | None = None) -> Any:
        """``fn()``'s results, its ops built to run after this section's previous execution; raises
        ``ValueError`` for a nested execution of this section, or for variables shared with another
        section's executions where either asked for exclusive access."""
        graph = get_default_graph()
        with graph.name_scope(name or "critical_section_execute"):
            with _push(self._signature):
                before = {id(op) for op in graph.get_operations()}
                previous = _LAST.setdefault(graph, {}).get(self._signature)
                with graph.control_dependencies([previous] if previous is not None else []):
                    r = fn()
                created = [op for op in graph.get_operations() if id(op) not in before]
            resources = _variables_used(created)
            self._check_multiple_access_to_resources(resources, exclusive_resource_access)
            flat = flatten(r)
            if r is None or not flat:
                raise ValueError(f"CriticalSection.execute: fn must return at least one tensor or operation, "
                                 f"got {r!r}")
            r_flat = [_identity(x) for x in flat]
            ran = group(*[x for x in r_flat if not isinstance(x, TensorArray)])  # (a TensorArray is a value)
            with graph.control_dependencies([ran]):
                outputs = [_identity(x) for x in r_flat]
            _LAST[graph][self._signature] = ran
            add_to_collections([CRITICAL_SECTION_EXECUTIONS], _ExecutionSignature(
                ran, self._signature, resources, exclusive_resource_access))
            return pack_as(r, outputs)

    def _check_multiple_access_to_resources(self, resources: list, exclusive: bool) -> None:
        for sg in get_collection(CRITICAL_SECTION_EXECUTIONS):
            if sg.handle == self._signature or not (exclusive or sg.exclusive_resource_access):
                continue
            shared = [r for r in resources if any(r is s for s in sg.resources)]
            if shared:
                raise ValueError(
                    f"This execution would access resources: {[t.name for t in shared]}. Either this lock "
                    f"(CriticalSection: {self.name}) or lock '{sg.op.name}' (CriticalSection: {sg.handle[1]}) "
                    "requested exclusive resource access of this resource. Did you mean to call execute with "
                    "keyword argument exclusive_resource_access=False?")


def _variables_used(ops: list[Operation]) -> list[Tensor]:
    """The variables the ops read or assign directly (TF's captured resources)."""
    found: list[Tensor] = []
    for op in ops:
        for t in op.inputs:
            if t.node.op is Op.VARIABLE and not any(t is f for f in found):
                found.append(t)
    return found
