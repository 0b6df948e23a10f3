"""``slim.model_analyzer`` (TF 1.15): a table of a model's variables or of every op's outputs, and
their element (and byte) counts, printed as TF1 prints them."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Graph, Tensor
from graphflow.ops.variables import Variable


def tensor_description(var: Tensor | Variable) -> str:
    """``"(float32 3x3x8x16)"``: the dtype and the dims joined by ``x`` (``?`` for an unknown one,
    as TF1's ``Dimension`` prints it).

    >>> import graphflow as gf
    >>> tensor_description(gf.zeros([2, 3]))
    '(float32 2x3)'
    """
    dims = var.get_shape().as_list() if var.get_shape().rank is not None else []
    return f"({var.dtype.name} " + "x".join("?" if d is None else str(d) for d in dims) + ")"


def analyze_ops(graph: Graph, print_info: bool = False) -> int:
    """The number of output elements of every op of ``graph`` (unknown shapes count 0); with
    ``print_info``, one ``name -> (type shape), ... [size]`` line per op."""
    if print_info:
        print("---------")
        print("Operations: name -> (type shapes) [size]")
        print("---------")
    total = 0
    for op in graph.get_operations():
        shapes = [tensor_description(t) for t in op.outputs if t.get_shape().rank is not None]
        size = sum(t.get_shape().num_elements() or 0 for t in op.outputs)
        if print_info:
            print(op.name, "\t->", ", ".join(shapes), f"[{size}]")
        total += size
    return total


def analyze_vars(variables: Sequence[Variable], print_info: bool = False) -> tuple[int, int]:
    """(total elements, total bytes) of ``variables``; with ``print_info``, one
    ``name (type shape) [size, bytes: n]`` line per variable and the two totals.

    >>> import graphflow as gf
    >>> analyze_vars([gf.Variable(gf.zeros([3, 4]), name="w")])
    (12, 48)
    """
    if print_info:
        print("---------")
        print("Variables: name (type shape) [size]")
        print("---------")
    total_size = total_bytes = 0
    for var in variables:
        size = var.get_shape().num_elements() or 0
        nbytes = size * var.dtype.size
        total_size += size
        total_bytes += nbytes
        if print_info:
            print(var.name, tensor_description(var), f"[{size}, bytes: {nbytes}]")
    if print_info:
        print(f"Total size of variables: {total_size}")
        print(f"Total bytes of variables: {total_bytes}")
    return total_size, total_bytes
