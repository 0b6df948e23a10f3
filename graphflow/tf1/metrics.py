"""``tf.metrics``: streaming metrics over local variables.

Each metric returns ``(value, update_op)``: ``update_op`` folds one batch into accumulators kept
in local variables (collections LOCAL_VARIABLES and METRIC_VARIABLES; initialise them with
``gf.local_variables_initializer()``) and evaluates to the updated metric; ``value`` reads the
metric from the accumulators without changing them. The metrics live by kind in
``metrics_core`` (``mean`` and the shared pieces), ``metrics_thresholds``, ``metrics_at_k`` and
``metrics_averages``; this module holds the counting and regression ones and is the namespace.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.tf1.metrics_at_k import (
    average_precision_at_k,
    precision_at_k,
    precision_at_top_k,
    recall_at_k,
    recall_at_top_k,
    sparse_average_precision_at_k,
    sparse_precision_at_k,
)
from graphflow.tf1.metrics_averages import (
    mean_cosine_distance,
    mean_iou,
    mean_per_class_accuracy,
    mean_relative_error,
    mean_tensor,
    percentage_below,
)
from graphflow.tf1.metrics_core import METRIC_VARIABLES, broadcast_weights, div_no_nan, mean, metric_variable, publish
from graphflow.tf1.metrics_thresholds import (
    auc,
    false_negatives_at_thresholds,
    false_positives_at_thresholds,
    precision_at_thresholds,
    recall_at_thresholds,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
    true_negatives_at_thresholds,
    true_positives_at_thresholds,
)

__all__ = [
    "METRIC_VARIABLES", "accuracy", "auc", "average_precision_at_k", "false_negatives",
    "false_negatives_at_thresholds", "false_positives", "false_positives_at_thresholds", "mean",
    "mean_absolute_error", "mean_cosine_distance", "mean_iou", "mean_per_class_accuracy", "mean_relative_error",
    "mean_squared_error", "mean_tensor", "percentage_below", "precision", "precision_at_k",
    "precision_at_thresholds", "precision_at_top_k", "recall", "recall_at_k", "recall_at_thresholds",
    "recall_at_top_k", "root_mean_squared_error", "sensitivity_at_specificity", "sparse_average_precision_at_k",
    "sparse_precision_at_k", "specificity_at_sensitivity", "true_negatives", "true_negatives_at_thresholds",
    "true_positives", "true_positives_at_thresholds",
]


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


def _regression(kind: str, labels: TensorLike, predictions: TensorLike, weights: TensorLike | None,
                metrics_collections: Sequence[str] | None,
                updates_collections: Sequence[str] | None, name: str | None) -> tuple[Tensor, Tensor]:
    lab = M.cast(convert_to_tensor(labels), _dt.float32)
    pred = M.cast(convert_to_tensor(predictions), _dt.float32)
    err = M.abs(pred - lab) if kind == "mae" else M.square(pred - lab)
    value, update = mean(err, weights, None, None, name or {"mae": "mean_absolute_error",
                                                            "mse": "mean_squared_error",
                                                            "rmse": "root_mean_squared_error"}[kind])
    if kind == "rmse":
        value, update = M.sqrt(value), M.sqrt(update)
    return publish(value, update, metrics_collections, updates_collections)


def mean_absolute_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                        metrics_collections: Sequence[str] | None = None,
                        updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor,
                        Tensor]:
    return _regression("mae", labels, predictions, weights, metrics_collections, updates_collections, name)


def mean_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                       metrics_collections: Sequence[str] | None = None,
                       updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor,
                       Tensor]:
    return _regression("mse", labels, predictions, weights, metrics_collections, updates_collections, name)


def root_mean_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                            metrics_collections: Sequence[str] | None = None,
                            updates_collections: Sequence[str] | None = None,
                            name: str | None = None) -> tuple[Tensor, Tensor]:
    return _regression("rmse", labels, predictions, weights, metrics_collections, updates_collections, name)
