"""``from tensorflow.python.framework import ops``: the graph functions scripts call through it
(``ops.reset_default_graph()``, ``ops.get_default_graph()``, ``ops.convert_to_tensor``,
``ops.name_scope``, ``ops.control_dependencies``); its other names (``ops.add_to_collections``,
``ops.GraphKeys``, ``ops.IndexedSlices``, ``ops.colocate_with``...) resolve from ``tf.``."""
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph, reset_default_graph
from graphflow.tf1.graph_functions import control_dependencies, name_scope
from graphflow.tf1.python._view import view

__all__ = ["Graph", "Operation", "Tensor", "control_dependencies", "convert_to_tensor", "get_default_graph",
           "name_scope", "reset_default_graph"]

view(__name__, '')
