"""``tf.metrics``: streaming metrics over local variables.

Each metric returns ``(value, update_op)``: ``update_op`` folds one batch into accumulators kept
in local variables (collections LOCAL_VARIABLES and METRIC_VARIABLES; initialise them with
``gf.local_variables_initializer()``) and evaluates to the updated metric; ``value`` reads the
metric from the accumulators without changing them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.shape_ops import reshape
from graphflow.ops.variables import GraphKeys, Variable, add_to_collections

METRIC_VARIABLES = "metric_variables"
_EPSILON = 1e-7  # TF1's guard in auc's rates


def _accumulator(name: str, shape: Sequence[int] = (), dtype: DTypeLike = _dt.float32) -> Variable:
    return Variable(ST.zeros(list(shape), dtype), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def _div_no_nan(a: Tensor, b: Tensor) -> Tensor:
    zero = M.equal(b, M.zeros_like_scalar(b))
    return M.where(zero, M.zeros_like_scalar(a) * a, a / M.where(zero, ST.ones_like(b), b))


def _publish(value: Tensor, update: Tensor, metrics_collections: Sequence[str] | None,
             updates_collections: Sequence[str] | None) -> tuple[Tensor, Tensor]:
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update)
    return value, update


def _weights(values: Tensor, weights: TensorLike | None) -> Tensor:
    if weights is None:
        return ST.ones_like(values)
    return M.cast(convert_to_tensor(weights), values.dtype) * ST.ones_like(values)


def mean(values: TensorLike, weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
         updates_collections: Sequence[str] | None = None, name: str | None = None) -> tuple[Tensor, Tensor]:
    """The (weighted) mean of every value seen so far."""
    with get_default_graph().name_scope(name or "mean"):
        v = M.cast(convert_to_tensor(values), _dt.float32)
        w = _weights(v, weights)
        total = _accumulator("total")
        count = _accumulator("count")
        new_total = total.assign_add(R.reduce_sum(v * w))
        new_count = count.assign_add(R.reduce_sum(w))
        value = _div_no_nan(total.read_value(), count.read_value())
        update = _div_no_nan(new_total, new_count)
    return _publish(value, update, metrics_collections, updates_collections)


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
    w = _weights(M.cast(lab, _dt.float32), weights)

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
        tp_v = _accumulator("true_positives")
        other_v = _accumulator("false_positives" if kind == "precision" else "false_negatives")
        new_tp = tp_v.assign_add(tp)
        new_other = other_v.assign_add(other)
        value = _div_no_nan(tp_v.read_value(), tp_v.read_value() + other_v.read_value())
        update = _div_no_nan(new_tp, new_tp + new_other)
    return _publish(value, update, metrics_collections, updates_collections)


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
            acc = _accumulator("count")
            update = acc.assign_add(c)
            value = acc.read_value()
        return _publish(value, update, metrics_collections, updates_collections)
    metric.__name__ = default
    metric.__doc__ = f"The running count of {default.replace('_', ' ')}."
    return metric


true_positives = _count_metric(0, "true_positives")
false_positives = _count_metric(1, "false_positives")
false_negatives = _count_metric(2, "false_negatives")
true_negatives = _count_metric(3, "true_negatives")


def auc(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None, num_thresholds: int = 200,
        metrics_collections: Sequence[str] | None = None, updates_collections: Sequence[str] | None = None,
        curve: str = "ROC",
        name: str | None = None, summation_method: str = "trapezoidal") -> tuple[Tensor, Tensor]:
    """The area under the ROC (or PR) curve, from confusion counts at ``num_thresholds``
    thresholds spread over [0, 1] (TF1's discretisation and trapezoidal sum)."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"auc curve must be 'ROC' or 'PR', got {curve!r}")
    if summation_method != "trapezoidal":
        raise ValueError(f"auc supports summation_method='trapezoidal', got {summation_method!r}")
    if num_thresholds < 2:
        raise ValueError(f"auc needs num_thresholds >= 2, got {num_thresholds}")
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([0.0 - _EPSILON] + inner + [1.0 + _EPSILON], np.float32)
    with get_default_graph().name_scope(name or "auc"):
        lab = M.cast(convert_to_tensor(labels), _dt.bool_)
        pred = M.cast(convert_to_tensor(predictions), _dt.float32)
        flat_l = _flat(lab)
        flat_p = _flat(pred)
        w = _flat(_weights(pred, weights))
        above = M.greater(flat_p[None, :], ST.constant(thresholds)[:, None])  # [thresholds, n]
        pos = flat_l[None, :]

        def count(a: Tensor, b: Tensor) -> Tensor:
            return R.reduce_sum(M.cast(M.logical_and(a, b), _dt.float32) * w[None, :], axis=1)
        parts = {"tp": count(pos, above), "fn": count(pos, M.logical_not(above)),
                 "tn": count(M.logical_not(pos), M.logical_not(above)),
                 "fp": count(M.logical_not(pos), above)}
        names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives", "fp": "false_positives"}
        accs = {k: _accumulator(names[k], [num_thresholds]) for k in parts}
        updated = {k: accs[k].assign_add(v) for k, v in parts.items()}
        value = _area({k: a.read_value() for k, a in accs.items()}, curve)
        update = _area(updated, curve)
    return _publish(value, update, metrics_collections, updates_collections)


def _flat(t: Tensor) -> Tensor:
    return reshape(t, [-1])


def _area(c: dict[str, Tensor], curve: str) -> Tensor:
    tp, fn, tn, fp = c["tp"], c["fn"], c["tn"], c["fp"]
    rec = (tp + _EPSILON) / (tp + fn + _EPSILON) if curve == "PR" else tp / (tp + fn + _EPSILON)
    if curve == "ROC":
        x, y = fp / (fp + tn + _EPSILON), rec
    else:
        x, y = rec, (tp + _EPSILON) / (tp + fp + _EPSILON)
    return R.reduce_sum((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2.0)


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
    return _publish(value, update, metrics_collections, updates_collections)


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
