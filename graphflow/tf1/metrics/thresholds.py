"""The ``tf.metrics`` built on confusion counts at a list of thresholds: ``auc``, the
``*_at_thresholds`` counts and ratios, ``sensitivity_at_specificity`` and
``specificity_at_sensitivity``.

A prediction counts as positive at threshold t when it is above t; predictions must lie in
[0, 1] (checked when run, as TF1 does).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather
from graphflow.ops.check_ops import assert_greater_equal, assert_less_equal
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.shape_ops import reshape
from graphflow.tf1.metrics.core import (
    Metric,
    broadcast_weights,
    div_no_nan,
    metric_variable,
    publish,
    remove_squeezable,
)

_EPSILON = 1e-7  # TF1's guard against 0 / 0 in the rates and its margin around [0, 1]
_NAMES = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives", "fp": "false_positives"}
Counts = dict[str, Tensor]


def _confusion_at_thresholds(labels: TensorLike, predictions: TensorLike, thresholds: Sequence[float],
                             weights: TensorLike | None, includes: Sequence[str]) -> tuple[Counts, Counts]:
    """(the accumulated counts, their updates) per threshold for the keys in ``includes``."""
    pred = M.cast(convert_to_tensor(predictions), _dt.float32)
    with get_default_graph().control_dependencies([
            assert_greater_equal(pred, 0.0, message="predictions must be in [0, 1]"),
            assert_less_equal(pred, 1.0, message="predictions must be in [0, 1]")]):
        pred = M.identity(pred)
    lab = M.cast(convert_to_tensor(labels), _dt.bool_)
    pred, lab_fit, w = remove_squeezable(pred, lab, weights)
    assert lab_fit is not None
    flat_p = reshape(pred, [-1])
    flat_w = reshape(broadcast_weights(pred, w), [-1])[None, :]
    positive = reshape(lab_fit, [-1])[None, :]
    above = M.greater(flat_p[None, :], ST.constant(np.asarray(thresholds, np.float32))[:, None])
    cases = {"tp": (positive, above), "fn": (positive, M.logical_not(above)),
             "tn": (M.logical_not(positive), M.logical_not(above)), "fp": (M.logical_not(positive), above)}
    values, updates = {}, {}
    for key in includes:
        label_case, pred_case = cases[key]
        batch = R.reduce_sum(M.cast(M.logical_and(label_case, pred_case), _dt.float32) * flat_w, axis=1)
        acc = metric_variable(_NAMES[key], [len(thresholds)])
        updates[key] = acc.assign_add(batch)
        values[key] = acc.read_value()
    return values, updates


def _threshold_metric(default: str, includes: Sequence[str], rate: Callable[[Counts], Tensor],
                      labels: TensorLike, predictions: TensorLike, thresholds: Sequence[float],
                      weights: TensorLike | None, metrics_collections: Sequence[str] | None,
                      updates_collections: Sequence[str] | None, name: str | None) -> Metric:
    with get_default_graph().name_scope(name or default):
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights, includes)
        value, update = rate(values), rate(updates)
    return publish(value, update, metrics_collections, updates_collections)


def _count_at_thresholds(key: str) -> Callable[..., Metric]:
    def metric(labels: TensorLike, predictions: TensorLike, thresholds: Sequence[float],
               weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
               updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
        return _threshold_metric(_NAMES[key], [key], lambda c: c[key], labels, predictions, thresholds, weights,
                                 metrics_collections, updates_collections, name)
    metric.__name__ = f"{_NAMES[key]}_at_thresholds"
    metric.__doc__ = (f"The running weighted count of {_NAMES[key].replace('_', ' ')} at each threshold "
                      "(a vector, one entry per threshold).")
    return metric


true_positives_at_thresholds = _count_at_thresholds("tp")
false_positives_at_thresholds = _count_at_thresholds("fp")
true_negatives_at_thresholds = _count_at_thresholds("tn")
false_negatives_at_thresholds = _count_at_thresholds("fn")


def precision_at_thresholds(labels: TensorLike, predictions: TensorLike, thresholds: Sequence[float],
                            weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                            updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """``tp / (tp + fp + 1e-7)`` at each threshold.

    >>> import graphflow as gf
    >>> p, _ = gf.metrics.precision_at_thresholds([True, False], [0.8, 0.3], [0.5])
    >>> p.shape.as_list()
    [1]
    """
    return _threshold_metric("precision_at_thresholds", ["tp", "fp"],
                             lambda c: c["tp"] / (_EPSILON + c["tp"] + c["fp"]), labels, predictions, thresholds,
                             weights, metrics_collections, updates_collections, name)


def recall_at_thresholds(labels: TensorLike, predictions: TensorLike, thresholds: Sequence[float],
                         weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                         updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """``tp / (tp + fn + 1e-7)`` at each threshold."""
    return _threshold_metric("recall_at_thresholds", ["tp", "fn"],
                             lambda c: c["tp"] / (_EPSILON + c["tp"] + c["fn"]), labels, predictions, thresholds,
                             weights, metrics_collections, updates_collections, name)


def _spread_thresholds(num_thresholds: int, top: float) -> list[float]:
    """TF1's grid: just below 0, (i + 1) / (n - 1) for the inner ones, then ``top``."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _EPSILON] + inner + [top]


def sensitivity_at_specificity(labels: TensorLike, predictions: TensorLike, specificity: float,
                               weights: TensorLike | None = None, num_thresholds: int = 200,
                               metrics_collections: Sequence[str] | None = None,
                               updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The sensitivity (recall) at the first threshold whose specificity is nearest ``specificity``."""
    if not 0 <= specificity <= 1:
        raise ValueError(f"sensitivity_at_specificity: specificity must be in [0, 1], got {specificity}")

    def rate(c: Counts) -> Tensor:
        specificities = c["tn"] / (c["tn"] + c["fp"] + _EPSILON)
        i = R.argmin(M.abs(specificities - specificity), 0)
        tp = gather(c["tp"], i)
        return tp / (tp + gather(c["fn"], i) + _EPSILON)
    return _threshold_metric("sensitivity_at_specificity", ["tp", "fn", "tn", "fp"], rate, labels, predictions,
                             _spread_thresholds(num_thresholds, 1.0 + _EPSILON), weights, metrics_collections,
                             updates_collections, name)


def specificity_at_sensitivity(labels: TensorLike, predictions: TensorLike, sensitivity: float,
                               weights: TensorLike | None = None, num_thresholds: int = 200,
                               metrics_collections: Sequence[str] | None = None,
                               updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The specificity at the last threshold whose sensitivity is nearest ``sensitivity`` (TF1's
    grid here ends just below 1)."""
    if not 0 <= sensitivity <= 1:
        raise ValueError(f"specificity_at_sensitivity: sensitivity must be in [0, 1], got {sensitivity}")

    def rate(c: Counts) -> Tensor:
        gap = M.abs(c["tp"] / (c["tp"] + c["fn"] + _EPSILON) - sensitivity)
        nearest = M.cast(M.equal(gap, R.reduce_min(gap)), _dt.float32)
        i = R.argmax(cumsum(nearest), 0)  # the first index where the running count peaks: the last nearest
        tn = gather(c["tn"], i)
        return tn / (tn + gather(c["fp"], i) + _EPSILON)
    return _threshold_metric("specificity_at_sensitivity", ["tp", "fn", "tn", "fp"], rate, labels, predictions,
                             _spread_thresholds(num_thresholds, 1.0 - _EPSILON), weights, metrics_collections,
                             updates_collections, name)


def auc(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None, num_thresholds: int = 200,
        metrics_collections: Sequence[str] | None = None, updates_collections: Sequence[str] | None = None,
        curve: str = "ROC", name: str | None = None, summation_method: str = "trapezoidal",
        thresholds: Sequence[float] | None = None) -> Metric:
    """The area under the ROC (or PR) curve, from confusion counts at ``num_thresholds``
    thresholds spread over [0, 1] (or at the sorted ``thresholds`` between two just outside
    [0, 1]), summed as TF1 does: ``trapezoidal``, ``minoring``, ``majoring``, or
    ``careful_interpolation`` (for PR, the interpolation of Davis and Goadrich; for ROC, the
    trapezoids).

    >>> import graphflow as gf
    >>> area, _ = gf.metrics.auc([True, False, True], [0.9, 0.4, 0.6])
    >>> area.shape.as_list()
    []
    """
    if curve not in ("ROC", "PR"):
        raise ValueError(f"auc curve must be 'ROC' or 'PR', got {curve!r}")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"auc summation_method must be 'trapezoidal', 'careful_interpolation', 'minoring' or "
                         f"'majoring', got {summation_method!r}")
    if thresholds is not None:
        grid = [0.0 - _EPSILON] + sorted(thresholds) + [1.0 + _EPSILON]
    elif num_thresholds < 2:
        raise ValueError(f"auc needs num_thresholds >= 2, got {num_thresholds}")
    else:
        grid = _spread_thresholds(num_thresholds, 1.0 + _EPSILON)
    return _threshold_metric("auc", ["tp", "fn", "tn", "fp"], lambda c: _area(c, curve, summation_method),
                             labels, predictions, grid, weights, metrics_collections, updates_collections, name)


_AREA_EPSILON = 1e-6  # TF1's guard in auc's rates (not the thresholds' 1e-7)


def _area(c: Counts, curve: str, summation: str) -> Tensor:
    tp, fn, tn, fp = c["tp"], c["fn"], c["tn"], c["fp"]
    if curve == "PR" and summation == "careful_interpolation":
        return _interpolated_pr_area(tp, fp, fn)
    rec = (tp + _AREA_EPSILON) / (tp + fn + _AREA_EPSILON)
    if curve == "ROC":
        x, y = fp / (fp + tn + _AREA_EPSILON), rec
    else:
        x, y = rec, (tp + _AREA_EPSILON) / (tp + fp + _AREA_EPSILON)
    if summation == "minoring":
        heights = M.minimum(y[:-1], y[1:])
    elif summation == "majoring":
        heights = M.maximum(y[:-1], y[1:])
    else:
        heights = (y[:-1] + y[1:]) / 2.0
    return R.reduce_sum((x[:-1] - x[1:]) * heights)


def _interpolated_pr_area(tp: Tensor, fp: Tensor, fn: Tensor) -> Tensor:
    """TF1's closed form of the PR area with tp, fp and p = tp + fp linear between thresholds:
    per interval, slope * (dtp + intercept * log(p_a / p_b)) / (the positives), slope = dtp / dp."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    slope = div_no_nan(dtp, M.maximum(p[:-1] - p[1:], 0.0))
    intercept = tp[1:] - slope * p[1:]
    both = M.logical_and(M.greater(p[:-1], 0.0), M.greater(p[1:], 0.0))
    ratio = M.where(both, div_no_nan(p[:-1], M.maximum(p[1:], 0.0)), ST.ones_like(p[1:]))
    return R.reduce_sum(div_no_nan(slope * (dtp + intercept * M.log(ratio)), M.maximum(tp[1:] + fn[1:], 0.0)))
