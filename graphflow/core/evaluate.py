"""Build-time values: one node's numpy reference, and the constant value of a tensor when it
follows from constants and static shapes alone (what reshape or a reduction needs to know about a
shape or axis argument before anything runs)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core.errors import OpError, error_class_of
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, get

_SOURCES = {Op.PLACEHOLDER, Op.PLACEHOLDER_WITH_DEFAULT, Op.VARIABLE, Op.RANDOM}  # values fed or drawn when run
_LIMIT = 4096  # elements: shape/axis arithmetic only, never bulk data


def evaluate(node: Operation, args: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Outputs of one stateless node from its input values, via its numpy reference."""
    row = get(node.op)
    with np.errstate(all="ignore"):
        try:
            result = row.reference(node.attrs, *args)
        except (ValueError, IndexError) as e:
            # a host op's own OpError (a dataset's OutOfRangeError) keeps its class
            kind = type(e) if isinstance(e, OpError) else error_class_of(node)
            raise kind(node, node, f"{e}\n  in {node.describe()}") from None
    outs = result if isinstance(result, (tuple, list)) else (result,)
    return tuple(np.asarray(o).astype(d.np, copy=False) for o, d in zip(outs, node.dtypes))


def static_value(t: Tensor) -> np.ndarray | None:
    """The value of ``t`` if it follows from constants and static shapes alone, else None.

    >>> import graphflow as gf
    >>> static_value(gf.shape(gf.zeros((2, 3))) * 2).tolist()
    [4, 6]
    """
    n = t.node
    if n.op is Op.CONST:
        return np.asarray(n.attrs.value)
    if n.op is Op.SHAPE:
        s = n.inputs[0].shape
        return np.array(s.as_list(), dtype=n.dtypes[0].np) if s.is_fully_defined() else None
    row = get(n.op)
    if (n.op in _SOURCES or row.stateful or n.control_inputs or len(n.outputs) != 1
            or not all(s.is_fully_defined() and (s.num_elements() or 0) <= _LIMIT for s in n.shapes)):
        return None
    args = []
    for x in n.inputs:
        v = static_value(x)
        if v is None:
            return None
        args.append(v)
    try:
        return evaluate(n, args)[0]
    except OpError:  # no value (1 // 0): the node raises when it runs, as in TF1
        return None
