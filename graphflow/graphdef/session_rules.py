"""The session-tensor ops in TF1's GraphDef, both ways: ``GetSessionHandle``,
``GetSessionTensor`` and ``DeleteSessionTensor`` (ops/session_ops.py)."""
from __future__ import annotations

from typing import Any

from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.graphdef.export import Exporter, _in_t, _t
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import Node
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.ops import session_ops


@_export(Op.GET_SESSION_HANDLE)
def _get_handle(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "GetSessionHandle", ins, T=_in_t(n))


@_export(Op.GET_SESSION_TENSOR)
def _get_tensor(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "GetSessionTensor", ins, dtype=_t(n))


@_export(Op.DELETE_SESSION_TENSOR)
def _delete(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "DeleteSessionTensor", ins)


@_import("GetSessionHandle")
def _import_handle(n: Node) -> Any:
    return session_ops.get_session_handle(n.inputs[0], name=n.name)


@_import("GetSessionTensor")
def _import_tensor(n: Node) -> Any:
    return session_ops.read_session_tensor(n.inputs[0], n.attr("dtype"), name=n.name)


@_import("DeleteSessionTensor")
def _import_delete(n: Node) -> Any:
    return session_ops.free_session_tensor(n.inputs[0], name=n.name)
