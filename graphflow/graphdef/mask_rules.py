"""Masks and variable readiness in TF1's GraphDef, both ways.

graphflow's ``BooleanMask`` (which ``tf.boolean_mask``, the one-argument ``tf.where`` and
``report_uninitialized_variables`` build) is exported as TF1's ``Where`` (the coordinates of the
mask's true entries) and ``GatherNd``; its gradient form (the rows scattered back) as ``Where`` and
``ScatterNd``. TF1's ``Where`` imports as the one-argument ``tf.where``, ``ScatterNd`` as
``tf.scatter_nd``; ``IsVariableInitialized`` goes both ways."""
from __future__ import annotations

from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.graphdef.export import Exporter, _t
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import GraphDefError, Node, _gf
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.ops.variables import Variable

_INT64 = ("type", _dt.int64)


@_export(Op.BOOLEAN_MASK)
def _boolean_mask(ex: Exporter, n: Operation, ins: list[str]) -> str:
    where = ex.helper(n, "Where", "Where", [ins[1]], T=("type", n.inputs[1].dtype))
    if not n.attrs.scatter:
        return ex.node(n.name, "GatherNd", [ins[0], where], Tparams=_t(n), Tindices=_INT64)
    like = n.inputs[2]
    shape = ex.helper(n, "Shape", "Shape", [ins[2]], T=("type", like.dtype), out_type=_INT64)
    return ex.node(n.name, "ScatterNd", [where, ins[0], shape], T=_t(n), Tindices=_INT64)


@_export(Op.IS_INITIALIZED)
def _is_initialized(ex: Exporter, n: Operation, ins: list[str]) -> str:
    var = n.graph.get_operation_by_name(n.attrs.name)  # the attrs name the variable asked about
    return ex.node(n.name, "IsVariableInitialized", [var.name], dtype=_t(var))


@_import("Where")
def _where(n: Node) -> Any:
    return _gf().where(n.inputs[0], name=n.name)


@_import("ScatterNd")
def _scatter_nd(n: Node) -> Any:
    return _gf().scatter_nd(*n.inputs, name=n.name)


@_import("IsVariableInitialized")
def _initialized(n: Node) -> Any:
    var = n.inputs[0]
    if not isinstance(var, Variable):
        raise GraphDefError(f"node {n.name!r} (IsVariableInitialized) asks about {var.name}, which is not a variable")
    return _gf().is_variable_initialized(var, name=n.name)
