"""Building one node from its primitive, inputs and attributes: what every builder does, the op
modules' and the core's own (``autodiff`` adds its sums and fills this way). The node goes into
the graph being traced when that is a control-flow function's, else into its inputs' graph."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.attrs import NO_ATTRS
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph, user_site
from graphflow.core.registry import Op


def graph_of(inputs: Sequence[object]) -> Graph:
    """Where a node of ``inputs`` is built: the default graph while it traces a function (a
    control-flow branch or body), else the first tensor's graph, else the default graph."""
    g = get_default_graph()
    if getattr(g, "is_func_graph", False):  # tracing a control-flow function: build in it
        return g
    for t in inputs:
        if isinstance(t, Tensor):
            return t.graph
    return get_default_graph()


def make_node(op: Op, inputs: Sequence[Tensor], attrs: object = NO_ATTRS, name: str | None = None,
              site: str | None = None, output_type: type | None = None,
              control_inputs: Sequence[Operation] = ()) -> Operation:
    """Add one ``op`` node reading ``inputs`` (``site``: the user's line, found when not given)."""
    return graph_of(inputs).add_node(op, list(inputs), attrs, name=name, site=site or user_site(),
                                     output_type=output_type, control_inputs=control_inputs)


def make(op: Op, inputs: Sequence[Tensor], attrs: object = NO_ATTRS, name: str | None = None,
         site: str | None = None, output_type: type | None = None,
         control_inputs: Sequence[Operation] = ()) -> Tensor:
    """Add one node and return its first output."""
    return make_node(op, inputs, attrs, name, site, output_type, control_inputs).outputs[0]
