"""What every ``tf.metrics`` function is built from: the accumulator variables, TF1's
``div_no_nan``, the weights' fitting to the values, publishing into collections, and ``mean``
(the streaming mean most metrics reduce to)."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.shape_ops import expand_dims, squeeze
from graphflow.ops.variables import GraphKeys, Variable, add_to_collections

METRIC_VARIABLES = "metric_variables"

Metric = tuple[Tensor, Tensor]  # (value, update_op)


def metric_variable(name: str, shape: Sequence[int] = (), dtype: DTypeLike = _dt.float32) -> Variable:
    """A zero-initialised accumulator in LOCAL_VARIABLES and METRIC_VARIABLES."""
    return Variable(ST.zeros(list(shape), dtype), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def div_no_nan(a: Tensor, b: Tensor) -> Tensor:
    """``a / b``, 0 where ``b`` is 0 (even where ``a`` is NaN, as TF1's ``div_no_nan``)."""
    zero = M.equal(b, M.zeros_like_scalar(b))
    return M.where(zero, ST.zeros_like(a), a / M.where(zero, ST.ones_like(b), b))


def publish(value: Tensor, update: Tensor, metrics_collections: Sequence[str] | None,
            updates_collections: Sequence[str] | None) -> Metric:
    """Add ``value`` and ``update`` to the caller's collections; return the pair."""
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update)
    return value, update


def broadcast_weights(values: Tensor, weights: TensorLike | None) -> Tensor:
    """``weights`` (ones when None) cast to ``values``' dtype and broadcast to its shape."""
    if weights is None:
        return ST.ones_like(values)
    return M.cast(convert_to_tensor(weights), values.dtype) * ST.ones_like(values)


def remove_squeezable(predictions: Tensor, labels: Tensor | None,
                      weights: TensorLike | None) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """TF1's rank fixing by static ranks: a trailing dim of 1 goes from whichever of labels and
    predictions has one more dim; weights one dim longer than predictions lose their last dim,
    one shorter gain one (so [batch] weights weigh the rows of [batch, 1] values)."""
    def rank(t: Tensor) -> int | None:
        return t.shape.rank

    if labels is not None and rank(labels) is not None and rank(predictions) is not None:
        diff = rank(predictions) - rank(labels)  # type: ignore[operator]
        if diff == 1 and predictions.shape.as_list()[-1] in (1, None):
            predictions = squeeze(predictions, [-1])
        elif diff == -1 and labels.shape.as_list()[-1] in (1, None):
            labels = squeeze(labels, [-1])
    if weights is None:
        return predictions, labels, None
    w = convert_to_tensor(weights)
    if rank(w) not in (0, None) and rank(predictions) is not None:
        if rank(w) - rank(predictions) == 1:  # type: ignore[operator]
            w = squeeze(w, [-1])
        elif rank(predictions) - rank(w) == 1:  # type: ignore[operator]
            w = expand_dims(w, -1)
    return predictions, labels, w


def mean(values: TensorLike, weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
         updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The (weighted) mean of every value seen so far.

    >>> import graphflow as gf
    >>> value, update = gf.metrics.mean(gf.constant([1.0, 2.0, 3.0]))
    >>> value.shape.as_list()
    []
    """
    with get_default_graph().name_scope(name or "mean"):
        v = M.cast(convert_to_tensor(values), _dt.float32)
        v, _, w_in = remove_squeezable(v, None, weights)
        w = broadcast_weights(v, w_in)
        total = metric_variable("total")
        count = metric_variable("count")
        new_total = total.assign_add(R.reduce_sum(v * w))
        new_count = count.assign_add(R.reduce_sum(w))
        value = div_no_nan(total.read_value(), M.maximum(count.read_value(), 0.0))
        update = div_no_nan(new_total, M.maximum(new_count, 0.0))
    return publish(value, update, metrics_collections, updates_collections)
