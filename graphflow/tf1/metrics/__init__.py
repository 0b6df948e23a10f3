"""``tf.metrics``: streaming metrics over local variables.

Each metric returns ``(value, update_op)``: ``update_op`` folds one batch into accumulators kept
in local variables (collections LOCAL_VARIABLES and METRIC_VARIABLES; initialise them with
``gf.local_variables_initializer()``) and evaluates to the updated metric; ``value`` reads the
metric from the accumulators without changing them. The modules, by kind: ``core`` (the
accumulators and ``mean``), ``classification`` (accuracy, precision, recall, counts),
``averages`` (means of values and errors, per-class means), ``thresholds`` (counts and rates at
thresholds, ``auc``) and ``at_k`` (ranking metrics).

>>> import graphflow as gf
>>> acc, update = gf.metrics.accuracy([1, 0, 1], [1, 1, 1])
>>> acc.dtype.name
'float32'
"""
from __future__ import annotations

from graphflow.tf1.metrics.at_k import (
    average_precision_at_k,
    precision_at_k,
    precision_at_top_k,
    recall_at_k,
    recall_at_top_k,
    sparse_average_precision_at_k,
    sparse_precision_at_k,
)
from graphflow.tf1.metrics.averages import (
    mean_absolute_error,
    mean_cosine_distance,
    mean_iou,
    mean_per_class_accuracy,
    mean_relative_error,
    mean_squared_error,
    mean_tensor,
    percentage_below,
    root_mean_squared_error,
)
from graphflow.tf1.metrics.classification import (
    accuracy,
    false_negatives,
    false_positives,
    precision,
    recall,
    true_negatives,
    true_positives,
)
from graphflow.tf1.metrics.core import METRIC_VARIABLES, mean
from graphflow.tf1.metrics.thresholds import (
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
