"""``from tensorflow.python.framework import ops``: the graph functions scripts call through it
(``ops.reset_default_graph()``, ``ops.get_default_graph()``, ``ops.convert_to_tensor``)."""
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph, reset_default_graph

__all__ = ["Graph", "Operation", "Tensor", "convert_to_tensor", "get_default_graph", "reset_default_graph"]
