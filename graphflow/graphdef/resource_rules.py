"""The imports of TF's resource-variable ops (``VarHandleOp``, ``ReadVariableOp``,
``AssignVariableOp``...), what ``tf.compat.v1.Variable`` builds under TF 2's behaviour: graphflow
has one kind of variable, so a handle becomes a graphflow variable, a read its value and an
assignment an ``assign`` of it. Exports stay TF1's ``VariableV2`` / ``Assign``."""
from __future__ import annotations

from typing import Any

from graphflow.graphdef.import_rules import IMPORT, Node, _gf, _parse_input, _rule, _variable_of


@_rule("VarHandleOp")
def _handle(n: Node) -> Any:
    return IMPORT["VariableV2"](n)  # the same attributes: dtype and a fully defined shape


@_rule("ReadVariableOp")
def _read(n: Node) -> Any:
    return _gf().identity(_variable_of(n, n.inputs[0]), name=n.name)


@_rule("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
def _assign(n: Node) -> Any:
    var = _variable_of(n, n.inputs[0])
    if n.op == "AssignVariableOp":
        out = var.assign(n.inputs[1], name=n.name)
        if n.name == _parse_input(n.nd.input[0])[0] + "/Assign" and var.initializer is None:
            var.initializer = out.node  # tf.Variable's initializer is "<name>/Assign", as for ref variables
        return out.node
    return (var.assign_add if n.op == "AssignAddVariableOp" else var.assign_sub)(n.inputs[1], name=n.name).node


@_rule("VarIsInitializedOp")
def _is_initialized(n: Node) -> Any:
    return _gf().is_variable_initialized(_variable_of(n, n.inputs[0]), name=n.name)
