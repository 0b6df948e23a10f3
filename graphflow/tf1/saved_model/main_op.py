"""``tf.saved_model.main_op``: the op a loader runs after restoring the variables."""
from __future__ import annotations

from graphflow.core.ir import Operation, get_default_graph
from graphflow.ops.state_ops import group
from graphflow.ops.variables import global_variables_initializer, local_variables_initializer
from graphflow.tf1.graph_functions import tables_initializer

__all__ = ["main_op", "main_op_with_restore"]


def main_op() -> Operation:
    """Initialize the global and local variables and the tables, as TF1's ``main_op`` (which
    overwrites restored globals: it is meant for ``main_op_with_restore``)."""
    return group(global_variables_initializer(), local_variables_initializer(), tables_initializer())


def main_op_with_restore(restore_op_name: str) -> Operation:
    """``main_op()``, then the restore op ``restore_op_name``."""
    g = get_default_graph()
    with g.control_dependencies([main_op()]):
        return group(g.as_graph_element(restore_op_name))
