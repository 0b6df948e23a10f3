"""A graph as TF1's ``GraphDef`` protobuf (the published message definitions, as TensorBoard
ships them in ``tensorboard.compat.proto``): what ``FileWriter.add_graph`` writes for
TensorBoard's graph tab and ``Graph.as_graph_def()`` returns.

Each node keeps its name (so TensorBoard groups it by name scope), its op's name (graphflow's
primitives carry TF1's op names where TF1 has the op), its inputs (``name:i``, ``^name`` for
control inputs), ``T`` / ``dtype`` and ``_output_shapes`` attributes, a ``Const``'s value and a
``Placeholder``'s or variable's shape.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape

if TYPE_CHECKING:
    from tensorboard.compat.proto.tensor_pb2 import TensorProto

_TF_TYPES = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7, "int64": 9,
             "bool": 10, "float16": 19}
_CONST_LIMIT = 1 << 20  # values of larger constants are left out of graph pictures


def protos() -> Any:
    try:
        from tensorboard.compat.proto import attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("graph files use TensorFlow's published protobuf messages, shipped by TensorBoard: "
                          "pip install tensorboard (or graphflow's 'tensorboard' extra)") from e
    return attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2


def tf_type(dtype: _dt.DType) -> int:
    return _TF_TYPES[dtype.name]


def shape_proto(shape: TensorShape) -> Any:
    _, _, _, tensor_shape_pb2 = protos()
    if shape.rank is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d)
                                                  for d in shape.as_list()])


def tensor_proto(value: npt.ArrayLike) -> TensorProto:
    from tensorboard.util import tensor_util
    return tensor_util.make_tensor_proto(np.asarray(value))


def input_name(t: Tensor) -> str:
    return t.node.name if t.index == 0 else f"{t.node.name}:{t.index}"


def node_def(n: Operation, add_shapes: bool = True) -> Any:
    attr_value_pb2, _, node_def_pb2, _ = protos()
    nd = node_def_pb2.NodeDef(name=n.name, op=n.op.value)
    nd.input.extend([input_name(t) for t in n.inputs] + [f"^{c.name}" for c in n.control_inputs])
    nd.device = n.device
    if n.dtypes:
        key = "dtype" if n.op in (Op.CONST, Op.PLACEHOLDER, Op.VARIABLE, Op.PLACEHOLDER_WITH_DEFAULT) else "T"
        nd.attr[key].type = tf_type(n.dtypes[0])
    if n.op is Op.CONST and np.asarray(n.attrs.value).size <= _CONST_LIMIT:
        nd.attr["value"].tensor.CopyFrom(tensor_proto(n.attrs.value))
    if n.op in (Op.PLACEHOLDER, Op.VARIABLE, Op.PLACEHOLDER_WITH_DEFAULT):
        nd.attr["shape"].shape.CopyFrom(shape_proto(n.shapes[0]))
    if add_shapes and n.shapes:
        nd.attr["_output_shapes"].list.shape.extend([shape_proto(s) for s in n.shapes])
    return nd


def as_graph_def(graph: Graph | None = None, add_shapes: bool = True) -> Any:
    """The ``GraphDef`` of every node built in ``graph`` (the default graph when None)."""
    _, graph_pb2, _, _ = protos()
    g = graph or get_default_graph()
    gd = graph_pb2.GraphDef()
    gd.node.extend([node_def(n, add_shapes) for n in g.get_operations()])
    gd.versions.producer = 27  # TF 1.15's GraphDef version
    return gd
