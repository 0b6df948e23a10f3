"""The FUSED op: a chain of elementwise ops (optionally ending in a reduction) run as one loop.

The body is a tiny straight-line program over the node's inputs ("leaves"); every target lowers
it with the same per-op scalar templates from the registry.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.registry import Kind, Op, OpDef, get, register
from graphflow.core.shapes import TensorShape
from graphflow.ops.reduce_ops import ReduceAttrs

# An argument of a body instruction: ("in", k) is leaf k, ("t", j) is instruction j's result.
Arg = tuple[str, int]


@dataclass(frozen=True)
class Instr:
    op: Op
    attrs: Any
    args: tuple[Arg, ...]
    dtype: DType
    in_dtypes: tuple[DType, ...]


@dataclass(frozen=True)
class ReduceSpec:
    op: Op
    axes: tuple[int, ...]  # normalised, over the loop shape
    keepdims: bool


@dataclass(frozen=True, eq=False)
class FusedAttrs:
    body: tuple[Instr, ...]
    result: Arg
    loop_shape: TensorShape  # shape of the elementwise result (the reduction's input)
    reduce: Union[ReduceSpec, None]
    names: tuple[str, ...] = ()  # the fused nodes' names, for dumps and errors


def _reference(at: FusedAttrs, *leaves: np.ndarray) -> np.ndarray:
    temps: list[np.ndarray] = []

    def val(a: Arg) -> np.ndarray:
        return leaves[a[1]] if a[0] == "in" else temps[a[1]]

    for ins in at.body:
        out = get(ins.op).reference(ins.attrs, *[val(a) for a in ins.args])
        temps.append(np.asarray(out).astype(ins.dtype.np, copy=False))
    x = val(at.result)
    if at.reduce is None:
        return x
    return get(at.reduce.op).reference(ReduceAttrs(at.reduce.axes, at.reduce.keepdims),
                                       np.broadcast_to(x, [d for d in x.shape]))


def _no_shape_rule(shapes: Sequence[TensorShape], at: FusedAttrs) -> list[TensorShape]:
    raise AssertionError("FUSED nodes are built with their shapes; they are never re-inferred")


def _no_dtype_rule(in_dtypes: Sequence[DType], at: FusedAttrs) -> list[DType]:
    raise AssertionError("FUSED nodes are built with their dtypes; they are never re-inferred")


register(OpDef(Op.FUSED, Kind.OTHER, _no_shape_rule, _no_dtype_rule, _reference))
