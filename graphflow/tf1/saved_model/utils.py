"""``tf.saved_model.utils``: a tensor as a signature's ``TensorInfo`` (its name, dtype and shape)
and back.

>>> import graphflow as gf
>>> with gf.Graph().as_default():
...     x = gf.placeholder(gf.float32, [None, 3], name="x")
...     info = build_tensor_info(x)
...     get_tensor_from_tensor_info(info) is x
True
>>> info.name, info.dtype
('x:0', 1)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Tensor, get_default_graph
from graphflow.graphdef.display import _TF_TYPES, shape_proto, tf_type
from graphflow.ops.sparse_ops import SparseTensor

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import TensorInfo

__all__ = ["build_tensor_info", "get_tensor_from_tensor_info", "dtype_of_enum"]

_DTYPES = {enum: _dt.as_dtype(name) for name, enum in _TF_TYPES.items()}


def dtype_of_enum(enum: int) -> _dt.DType | None:
    """graphflow's dtype of TF's ``DataType`` enum value (None for one graphflow lacks)."""
    return _DTYPES.get(enum)


def _tensor_info_class() -> Any:
    from tensorboard.compat.proto.meta_graph_pb2 import TensorInfo
    return TensorInfo


def build_tensor_info(tensor: Tensor | SparseTensor) -> TensorInfo:
    """The ``TensorInfo`` of a tensor (a ``SparseTensor``'s three parts as ``coo_sparse``)."""
    info = _tensor_info_class()()
    if isinstance(tensor, SparseTensor):
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        info.dtype = tf_type(tensor.dtype)
        info.tensor_shape.CopyFrom(shape_proto(tensor.shape))
        return info
    if not isinstance(tensor, Tensor):
        raise TypeError(f"build_tensor_info takes a graph tensor or SparseTensor, got {type(tensor).__name__}")
    info.name = tensor.name
    info.dtype = tf_type(tensor.dtype)
    info.tensor_shape.CopyFrom(shape_proto(tensor.shape))
    return info


def _scoped(name: str, import_scope: str | None) -> str:
    return f"{import_scope.rstrip('/')}/{name}" if import_scope else name


def get_tensor_from_tensor_info(tensor_info: TensorInfo, graph: Graph | None = None,
                                import_scope: str | None = None) -> Tensor | SparseTensor:
    """The tensor of ``graph`` (the default graph) a ``TensorInfo`` names (under ``import_scope``
    where the meta graph was loaded under one)."""
    g = graph or get_default_graph()
    which = tensor_info.WhichOneof("encoding")
    if which == "name":
        return g.get_tensor_by_name(_scoped(tensor_info.name, import_scope))
    if which == "coo_sparse":
        sp = tensor_info.coo_sparse
        parts = [g.get_tensor_by_name(_scoped(n, import_scope)) for n in
                 (sp.indices_tensor_name, sp.values_tensor_name, sp.dense_shape_tensor_name)]
        return SparseTensor(*parts)
    raise ValueError(f"Invalid TensorInfo.encoding: {which}; graphflow reads 'name' and 'coo_sparse'")
