"""``from tensorflow.python.ops import control_flow_ops``: graphflow's functions under TF1's internal
module, with the module's own ``with_dependencies`` and TF1's low-level dataflow pair
``switch`` / ``merge``.

TF1's ``switch(data, pred)`` forwards ``data`` to one of two outputs and marks the other *dead*;
ops fed by a dead tensor do not run, and ``merge(inputs)`` forwards whichever input is alive.
graphflow has no dead tensors, so the pair is emulated: each switch output remembers its
predicate and side, and ``merge`` traces each input back to the switch outputs it was computed
from and builds a select over their predicates. Every branch is computed (the predicate only
chooses the result); docs/differences.md says so. The common public use is TF-slim's
``apply_with_random_selector``::

    merge([func(switch(x, tf.equal(sel, case))[1], case) for case in range(n)])[0]
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence

from graphflow.core.dtypes import int32
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.constant_ops import constant
from graphflow.ops.elementwise_ops import identity, logical_and, logical_not, where
from graphflow.tf1.python._view import view

view(__name__, '')

# a switch output -> (its predicate, the side it forwards: True for output_true); a merge output
# -> None (a merge ends deadness: its output is alive whenever one input is)
_gates: weakref.WeakKeyDictionary[Tensor, tuple[Tensor, bool] | None] = weakref.WeakKeyDictionary()


def with_dependencies(dependencies: Sequence[Tensor | Operation], output_tensor: TensorLike,
                      name: str | None = None) -> Tensor:
    """``output_tensor``, computed only after every op of ``dependencies`` has run.

    >>> import graphflow as gf
    >>> from graphflow.python.ops import control_flow_ops
    >>> y = control_flow_ops.with_dependencies([gf.no_op()], gf.constant(1.0))
    """
    with get_default_graph().control_dependencies(list(dependencies)):
        return identity(output_tensor, name=name)


def switch(data: TensorLike, pred: TensorLike, dtype: DTypeLike | None = None,
           name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(output_false, output_true)``: ``data`` forwarded to the side ``pred`` picks. Both outputs
    hold ``data`` in graphflow (there are no dead tensors); ``merge`` reads which side was picked.

    >>> import graphflow as gf
    >>> from graphflow.python.ops import control_flow_ops
    >>> f, t = control_flow_ops.switch(gf.constant(2.0), gf.constant(True))
    """
    x = convert_to_tensor(data, dtype=dtype)
    p = convert_to_tensor(pred)
    if p.shape.rank not in (None, 0):
        raise ValueError(f"switch: pred must be a scalar bool, got shape {p.shape}")
    with get_default_graph().name_scope(name or "Switch"):
        output_false, output_true = identity(x, name="output_false"), identity(x, name="output_true")
    _gates[output_false] = (p, False)
    _gates[output_true] = (p, True)
    return output_false, output_true


def _alive_when(t: Tensor) -> list[tuple[Tensor, bool]]:
    """The (predicate, side) pairs of the switch outputs that ``t`` is computed from, stopping at
    merges (TF1 would run ``t`` only when every one of them is alive)."""
    found: list[tuple[Tensor, bool]] = []
    seen: set[int] = set()
    stack = [t]
    while stack:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        if u in _gates:
            gate = _gates[u]
            if gate is None:
                continue
            found.append(gate)
        stack.extend(u.op.inputs)
    return found


def merge(inputs: Sequence[TensorLike], name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(output, value_index)``: the input whose switches are all on their chosen side, and its
    index. Every input is computed; where several are alive, the first wins (TF1 takes whichever
    arrives first). An input computed from no switch output raises ValueError.

    >>> import graphflow as gf
    >>> from graphflow.python.ops import control_flow_ops
    >>> x, sel = gf.constant([1.0, 2.0]), gf.constant(1)
    >>> y, i = control_flow_ops.merge([control_flow_ops.switch(x, gf.equal(sel, c))[1] * (c + 1)
    ...                                for c in range(2)])
    """
    ts = [convert_to_tensor(t) for t in inputs]
    if not ts:
        raise ValueError("merge: needs at least one input")
    conds: list[Tensor] = []
    for k, t in enumerate(ts):
        gates = _alive_when(t)
        if not gates:
            raise ValueError(
                f"merge: input {k} ({t.name}) is computed from no switch output; graphflow has no dead "
                "tensors, so merge can only choose among inputs derived from control_flow_ops.switch")
        cond: Tensor | None = None
        for p, side in gates:
            c = p if side else logical_not(p)
            cond = c if cond is None else logical_and(cond, c)
        assert cond is not None
        conds.append(cond)
    with get_default_graph().name_scope(name or "Merge"):
        output, index = ts[-1], constant(len(ts) - 1, int32)
        for k in range(len(ts) - 2, -1, -1):
            output = where(conds[k], ts[k], output)
            index = where(conds[k], constant(k, int32), index)
        output = identity(output, name="output")
        index = identity(index, name="value_index")
    _gates[output] = None
    _gates[index] = None
    return output, index
