"""contrib.layers' summary helpers: a scalar summary for a scalar, a histogram otherwise;
activations with their zero fraction (and, for relu6, the fraction at 6); whole collections."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.ops import math_ops as M
from graphflow.ops.elementwise_ops import greater
from graphflow.ops.nn_extras import zero_fraction
from graphflow.ops.reduce_ops import reduce_mean
from graphflow.ops.variables import GraphKeys
from graphflow.tf1 import summary

__all__ = ["summarize_activation", "summarize_activations", "summarize_biases", "summarize_collection",
           "summarize_tensor", "summarize_tensors", "summarize_variables", "summarize_weights"]


def _scalar(tensor: Tensor, tag: str | None = None) -> Tensor:
    return summary.scalar(tag or f"{tensor.op.name}_summary", tensor)


def _histogram(tensor: Tensor, tag: str | None = None) -> Tensor:
    return summary.histogram(tag or f"{tensor.op.name}_summary", tensor)


def summarize_tensor(tensor: Tensor, tag: str | None = None) -> Tensor:
    """A scalar summary for a scalar, a histogram for anything else (tag ``<op name>_summary``)."""
    return _scalar(tensor, tag) if tensor.shape.rank == 0 else _histogram(tensor, tag)


def summarize_activation(op: Tensor) -> Tensor:
    """``<name>/activation`` histogram, and ``<name>/zeros`` for relu, relu6 and softplus
    outputs (``<name>/sixes`` for relu6)."""
    name = op.op.name
    if op.op.type in ("Relu", "Softplus", "Relu6"):
        _scalar(zero_fraction(op), f"{name}/zeros")
    if op.op.type == "Relu6":
        _scalar(reduce_mean(M.cast(greater(op, 6.0), _dt.float32)), f"{name}/sixes")
    return _histogram(op, f"{name}/activation")


def summarize_tensors(tensors: Sequence[Tensor],
                      summarizer: Callable[[Tensor], Tensor] = summarize_tensor) -> list[Tensor]:
    return [summarizer(t) for t in tensors]


def summarize_collection(collection: str, name_filter: str | None = None,
                         summarizer: Callable[[Tensor], Tensor] = summarize_tensor) -> list[Tensor]:
    """Summaries of the collection's tensors whose op names match ``name_filter``."""
    chosen = [t for t in get_default_graph().get_collection(collection)
              if name_filter is None or re.match(name_filter, t.op.name)]
    return summarize_tensors(chosen, summarizer)


summarize_variables = functools.partial(summarize_collection, GraphKeys.GLOBAL_VARIABLES)
summarize_weights = functools.partial(summarize_collection, GraphKeys.WEIGHTS)
summarize_biases = functools.partial(summarize_collection, GraphKeys.BIASES)


def summarize_activations(name_filter: str | None = None,
                          summarizer: Callable[[Tensor], Tensor] = summarize_activation) -> list[Tensor]:
    """Summaries of the ACTIVATIONS collection."""
    return summarize_collection(GraphKeys.ACTIVATIONS, name_filter, summarizer)
