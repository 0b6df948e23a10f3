"""The counting ``tf.metrics``: ``accuracy``, ``precision``, ``recall`` and the running counts of
true and false positives and negatives, predictions and labels read as bools (``accuracy``: as
equal values)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.tf1.metrics.core import broadcast_weights, div_no_nan, mean, metric_variable, publish


def accuracy(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
             metrics_collections: Sequence[str] | None = None,
             updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """The fraction of predictions equal to their labels, over everything seen so far."""
    lab = convert_to_tensor(labels)
    pred = M.cast(convert_to_tensor(predictions), lab.dtype)
    return mean(M.cast(M.equal(lab, pred), _dt.float32), weights, metrics_collections,
                updates_collections, name or "accuracy")


def _counts(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None) -> tuple[Tensor, Tensor, Tensor,
            Tensor]:
    lab = M.cast(convert_to_tensor(labels), _dt.bool_)
    pred = M.cast(convert_to_tensor(predictions), _dt.bool_)
    w = broadcast_weights(M.cast(lab, _dt.float32), weights)

    def count(a: Tensor, b: Tensor) -> Tensor:
        return R.reduce_sum(M.cast(M.logical_and(a, b), _dt.float32) * w)
    nl, np_ = M.logical_not(lab), M.logical_not(pred)
    return count(lab, pred), count(nl, pred), count(lab, np_), count(nl, np_)  # tp, fp, fn, tn


def _ratio(kind: str, labels: TensorLike, predictions: TensorLike, weights: TensorLike | None,
           metrics_collections: Sequence[str] | None,
           updates_collections: Sequence[str] | None, name: str | None) -> tuple[Tensor, Tensor]:
    with get_default_graph().name_scope(name or kind):
        tp, fp, fn, _ = _counts(labels, predictions, weights)
        other = fp if kind == "precision" else fn
        tp_v = metric_variable("true_positives")
        other_v = metric_variable("false_positives" if kind == "precision" else "false_negatives")
        new_tp = tp_v.assign_add(tp)
        new_other = other_v.assign_add(other)
        value = div_no_nan(tp_v.read_value(), tp_v.read_value() + other_v.read_value())
        update = div_no_nan(new_tp, new_tp + new_other)
    return publish(value, update, metrics_collections, updates_collections)


def precision(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
              metrics_collections: Sequence[str] | None = None,
              updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """true positives / (true positives + false positives), predictions and labels as bools."""
    return _ratio("precision", labels, predictions, weights, metrics_collections, updates_collections, name)


def recall(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
           metrics_collections: Sequence[str] | None = None,
           updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """true positives / (true positives + false negatives)."""
    return _ratio("recall", labels, predictions, weights, metrics_collections, updates_collections, name)


def _count_metric(which: int, default: str) -> Any:
    def metric(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
               metrics_collections: Sequence[str] | None = None,
               updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor, Tensor]:
        with get_default_graph().name_scope(name or default):
            c = _counts(labels, predictions, weights)[which]
            acc = metric_variable("count")
            update = acc.assign_add(c)
            value = acc.read_value()
        return publish(value, update, metrics_collections, updates_collections)
    metric.__name__ = default
    metric.__doc__ = f"The running count of {default.replace('_', ' ')}."
    return metric


true_positives = _count_metric(0, "true_positives")
false_positives = _count_metric(1, "false_positives")
false_negatives = _count_metric(2, "false_negatives")
true_negatives = _count_metric(3, "true_negatives")
