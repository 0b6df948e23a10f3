"""``tf.graph_util`` and ``tf.train.write_graph``: importing (``import_graph_def``), freezing
(variables to constants), pruning to what some nodes need, removing training-only nodes, the
device queries, and writing graph files atomically."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from graphflow.core.ir import Graph, Operation
from graphflow.core.shapes import TensorShape
from graphflow.core.types import SessionLike
from graphflow.graphdef.display import _TF_TYPES, protos, tensor_proto, tf_type
from graphflow.graphdef.export import export_graph_def
from graphflow.graphdef.importer import GraphDefError, GraphDefSource, _parse_input, import_graph_def, parse_graph_def

if TYPE_CHECKING:
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.node_def_pb2 import NodeDef

_VARIABLE_OPS = {"VariableV2", "Variable", "VarHandleOp"}


def _copy(gd: GraphDef, nodes: Sequence[NodeDef]) -> GraphDef:
    _, graph_pb2, _, _ = protos()
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(gd.versions)
    out.library.CopyFrom(gd.library)
    out.node.extend(nodes)
    return out


def extract_sub_graph(graph_def: GraphDefSource, dest_nodes: Sequence[str]) -> GraphDef:
    """The nodes ``dest_nodes`` need (inputs and control inputs, transitively), in file order."""
    gd = parse_graph_def(graph_def)
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list of node names")
    by_name = {n.name: n for n in gd.node}
    keep: set[str] = set()
    stack = []
    for d in dest_nodes:
        name = _parse_input(d)[0]
        if name not in by_name:
            raise GraphDefError(f"{name!r} is not a node of the graph")
        stack.append(name)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        for s in by_name[name].input:
            src = _parse_input(s)[0]
            if src not in by_name:
                raise GraphDefError(f"node {name!r} reads {s!r}: no node of that name")
            stack.append(src)
    return _copy(gd, [n for n in gd.node if n.name in keep])


def convert_variables_to_constants(sess: SessionLike, input_graph_def: GraphDefSource, output_node_names: Sequence[str],
                                   variable_names_whitelist: Sequence[str] | None = None,
                                   variable_names_blacklist: Sequence[str] | None = None) -> GraphDef:
    """``input_graph_def`` pruned to ``output_node_names``, its variables replaced by ``Const``
    nodes holding their values in ``sess``: a frozen graph that needs no checkpoint."""
    _, _, node_def_pb2, _ = protos()
    sub = extract_sub_graph(input_graph_def, output_node_names)
    names = [n.name for n in sub.node if n.op in _VARIABLE_OPS
             and (variable_names_whitelist is None or n.name in variable_names_whitelist)
             and n.name not in (variable_names_blacklist or [])]
    values = dict(zip(names, sess.run([sess.graph.get_tensor_by_name(f"{v}:0") for v in names]))) if names else {}
    nodes = []
    for n in sub.node:
        if n.name in values:
            v = np.asarray(values[n.name])
            c = node_def_pb2.NodeDef(name=n.name, op="Const")
            c.attr["dtype"].type = n.attr["dtype"].type
            c.attr["value"].tensor.CopyFrom(tensor_proto(v))
            nodes.append(c)
        elif n.op == "ReadVariableOp" and _parse_input(n.input[0])[0] in values:
            r = node_def_pb2.NodeDef(name=n.name, op="Identity", input=list(n.input))
            r.attr["T"].type = n.attr["dtype"].type
            nodes.append(r)
        else:
            nodes.append(n)
    return _copy(sub, nodes)


def remove_training_nodes(input_graph: GraphDefSource, protected_nodes: Sequence[str] | None = None) -> GraphDef:
    """Drop ``Identity`` and ``CheckNumerics`` nodes (their consumers read their input instead),
    except ``protected_nodes`` and nodes with control inputs."""
    gd = parse_graph_def(input_graph)
    protected = set(protected_nodes or [])
    drop: dict[str, str] = {}
    for n in gd.node:
        if n.op in ("Identity", "CheckNumerics") and n.name not in protected and \
                not any(s.startswith("^") for s in n.input) and n.input:
            drop[n.name] = n.input[0]

    def resolve(s: str) -> str:
        seen = set()
        while True:
            name, idx, ctrl = _parse_input(s)
            if name not in drop or idx != 0 or name in seen:
                return s
            seen.add(name)
            target = drop[name]
            s = ("^" + _parse_input(target)[0]) if ctrl else target
    nodes = []
    for n in gd.node:
        if n.name in drop:
            continue
        m = type(n)()
        m.CopyFrom(n)
        del m.input[:]
        m.input.extend(resolve(s) for s in n.input)
        nodes.append(m)
    return _copy(gd, nodes)


def graph_def_of(graph_or_graph_def: Graph | GraphDefSource) -> GraphDef:
    if isinstance(graph_or_graph_def, Graph):
        return export_graph_def(graph_or_graph_def)
    return parse_graph_def(graph_or_graph_def)


def write_graph(graph_or_graph_def: Graph | GraphDefSource, logdir: str, name: str, as_text: bool = True) -> str:
    """Write the graph as text (``.pbtxt``) or binary (``.pb``) GraphDef to ``logdir/name``,
    atomically (a crash leaves the old file or the new one, never half of one); returns the path."""
    from google.protobuf import text_format
    gd = graph_def_of(graph_or_graph_def)
    os.makedirs(logdir or ".", exist_ok=True)
    path = os.path.join(logdir, name)
    data = text_format.MessageToString(gd).encode() if as_text else gd.SerializeToString()
    fd, tmp = tempfile.mkstemp(dir=logdir or ".", prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def read_graph(path: str) -> GraphDef:
    """A GraphDef from a ``.pb`` (binary) or ``.pbtxt`` (text) file."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return parse_graph_def(data)
    except GraphDefError:
        try:
            return parse_graph_def(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise GraphDefError(f"{path}: neither a binary nor a text GraphDef") from None


def tensor_shape_from_node_def_name(graph: Graph, input_name: str) -> TensorShape:
    """The static shape of the tensor ``input_name`` names ("node" meaning "node:0")."""
    return graph.get_tensor_by_name(input_name if ":" in input_name else input_name + ":0").shape


# TF1's variable-related op types (what pin_variables_on_cpu pins)
_VARIABLE_RELATED = {"Assign", "AssignAdd", "AssignSub", "Queue", "ScatterAdd", "ScatterSub", "ScatterUpdate",
                     "TruncatedNormal", "Variable", "VariableV2"}


def must_run_on_cpu(node: Operation | NodeDef, pin_variables_on_cpu: bool = False) -> bool:
    """TF1's rule for nodes a GPU kernel cannot run: int32 and string constants, int32
    ``DynamicStitch`` and ``Cast`` from int32, and (``pin_variables_on_cpu``) variable-related ops.

    >>> import graphflow as gf
    >>> gf.graph_util.must_run_on_cpu(gf.constant(1).op)
    True
    """
    if isinstance(node, Operation):
        op_type = node.type
        dtype = node.inputs[0].dtype.name if op_type == "Cast" else node.dtypes[0].name if node.dtypes else ""
        if op_type == "Assign" and node.get_attr("mode") in ("add", "sub"):
            op_type = "AssignAdd" if node.get_attr("mode") == "add" else "AssignSub"
    else:
        op_type = node.op
        key = "dtype" if op_type == "Const" else "SrcT" if op_type == "Cast" else "T"
        dtype = _TF_TYPE_NAMES.get(node.attr[key].type, "") if key in node.attr else ""
    if pin_variables_on_cpu and op_type in _VARIABLE_RELATED:
        return True
    if op_type == "Const":
        return dtype in ("string", "int32")
    return op_type in ("DynamicStitch", "ParallelDynamicStitch", "Cast") and dtype == "int32"


_TF_TYPE_NAMES = {v: k for k, v in _TF_TYPES.items()}

__all__ = ["convert_variables_to_constants", "extract_sub_graph", "remove_training_nodes", "write_graph",
           "read_graph", "tf_type", "import_graph_def", "tensor_shape_from_node_def_name", "must_run_on_cpu"]
