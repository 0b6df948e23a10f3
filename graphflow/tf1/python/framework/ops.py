"""``from tensorflow.python.framework import ops``: the graph functions scripts call through it
(``ops.reset_default_graph()``, ``ops.get_default_graph()``, ``ops.convert_to_tensor``,
``ops.name_scope``, ``ops.control_dependencies``); its other names (``ops.add_to_collections``,
``ops.GraphKeys``, ``ops.IndexedSlices``, ``ops.colocate_with``...) resolve from ``tf.``."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph, reset_default_graph
from graphflow.tf1.graph_functions import control_dependencies, name_scope
from graphflow.tf1.python._view import view

__all__ = ["Graph", "Operation", "RegisterShape", "Tensor", "control_dependencies", "convert_to_tensor",
           "get_default_graph", "name_scope", "reset_default_graph", "uid"]

_uids = itertools.count(1)


def uid() -> int:
    """A number unique in this process (TF1's ``ops.uid()``)."""
    return next(_uids)


def RegisterShape(op_type: str) -> Callable[[Any], Any]:  # noqa: N802 - TF1's name
    """TF1's deprecated shape-function registration: a decorator that keeps the function and does
    nothing else (graphflow infers every op's shape from its registry row)."""
    def register(shape_func: Any) -> Any:
        return shape_func
    return register

view(__name__, '')
