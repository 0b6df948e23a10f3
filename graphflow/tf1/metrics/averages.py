"""The averaging ``tf.metrics``: ``mean_tensor`` (an elementwise mean), the means of derived
values (``mean_cosine_distance``, ``mean_relative_error``, ``percentage_below``, the absolute and
squared errors and the latter's root) and the
per-class ones over a streaming confusion (``mean_iou``, ``mean_per_class_accuracy``)."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import matrix_diag_part
from graphflow.ops.misc_ops import confusion_matrix
from graphflow.ops.shape_ops import reshape
from graphflow.ops.update_ops import scatter_add
from graphflow.tf1.metrics.core import (
    Metric,
    broadcast_weights,
    div_no_nan,
    mean,
    metric_variable,
    publish,
    remove_squeezable,
)


def mean_tensor(values: TensorLike, weights: TensorLike | None = None,
                metrics_collections: Sequence[str] | None = None,
                updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The elementwise (weighted) mean of every ``values`` seen so far; ``values`` needs a fully
    known static shape (the accumulators take it).

    >>> import graphflow as gf
    >>> value, update = gf.metrics.mean_tensor(gf.constant([[1.0, 2.0]]))
    >>> value.shape.as_list()
    [1, 2]
    """
    with get_default_graph().name_scope(name or "mean"):
        v = M.cast(convert_to_tensor(values), _dt.float32)
        dims = v.shape.as_list() if v.shape.rank is not None else None
        if dims is None or None in dims:
            raise ValueError(f"mean_tensor needs values of a fully known shape, got {v.shape}")
        total = metric_variable("total_tensor", dims)
        count = metric_variable("count_tensor", dims)
        v, _, w_in = remove_squeezable(v, None, weights)
        w = broadcast_weights(v, w_in)
        new_total = total.assign_add(v * w)
        new_count = count.assign_add(ST.ones_like(v) * w)
        value = div_no_nan(total.read_value(), M.maximum(count.read_value(), 0.0))
        update = div_no_nan(new_total, M.maximum(new_count, 0.0))
    return publish(value, update, metrics_collections, updates_collections)


def mean_cosine_distance(labels: TensorLike, predictions: TensorLike, dim: int,
                         weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                         updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """``1 - mean(sum(labels * predictions, dim))`` for unit-normalised inputs; ``weights``
    weigh the reduced values (``dim`` kept as a dim of 1)."""
    pred = convert_to_tensor(predictions)
    pred, lab, w = remove_squeezable(pred, M.cast(convert_to_tensor(labels), pred.dtype), weights)
    assert lab is not None
    radial = R.reduce_sum(pred * lab, axis=[dim], keepdims=True)
    value, update = mean(radial, w, None, None, name or "mean_cosine_distance")
    return publish(1.0 - value, 1.0 - update, metrics_collections, updates_collections)


def mean_relative_error(labels: TensorLike, predictions: TensorLike, normalizer: TensorLike,
                        weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                        updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The mean of ``|labels - predictions| / normalizer`` (0 where ``normalizer`` is 0)."""
    pred = convert_to_tensor(predictions)
    pred, lab, w = remove_squeezable(pred, M.cast(convert_to_tensor(labels), pred.dtype), weights)
    assert lab is not None
    pred, norm, _ = remove_squeezable(pred, M.cast(convert_to_tensor(normalizer), pred.dtype), None)
    assert norm is not None
    zero = M.equal(norm, M.zeros_like_scalar(norm))
    relative = M.where(zero, ST.zeros_like(lab), M.abs(lab - pred) / M.where(zero, ST.ones_like(norm), norm))
    return mean(relative, w, metrics_collections, updates_collections, name or "mean_relative_error")


def percentage_below(values: TensorLike, threshold: float, weights: TensorLike | None = None,
                     metrics_collections: Sequence[str] | None = None,
                     updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The (weighted) fraction of values below ``threshold``."""
    v = convert_to_tensor(values)
    if not v.dtype.is_floating:  # compared exactly, not against a threshold truncated to an int
        v = M.cast(v, _dt.float64)
    below = M.cast(M.less(v, M.cast(convert_to_tensor(threshold), v.dtype)), _dt.float32)
    return mean(below, weights, metrics_collections, updates_collections, name or "percentage_below_threshold")


def _flat_weights(weights: TensorLike | None) -> Tensor | None:
    if weights is None:
        return None
    w = convert_to_tensor(weights)
    return reshape(w, [-1]) if w.shape.rank is None or w.shape.rank > 1 else w


def mean_iou(labels: TensorLike, predictions: TensorLike, num_classes: int, weights: TensorLike | None = None,
             metrics_collections: Sequence[str] | None = None,
             updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The mean over classes of intersection / union from a streaming confusion matrix (classes
    never seen are left out of the mean). The update op returns the updated float64 confusion
    matrix, as TF1's does.

    >>> import graphflow as gf
    >>> value, update = gf.metrics.mean_iou([0, 1, 1], [0, 1, 0], num_classes=2)
    >>> update.shape.as_list()
    [2, 2]
    """
    with get_default_graph().name_scope(name or "mean_iou"):
        lab = reshape(M.cast(convert_to_tensor(labels), _dt.int64), [-1])
        pred = reshape(M.cast(convert_to_tensor(predictions), _dt.int64), [-1])
        w = _flat_weights(weights)
        total = metric_variable("total_confusion_matrix", [num_classes, num_classes], _dt.float64)
        update = total.assign_add(confusion_matrix(lab, pred, num_classes, weights=w, dtype=_dt.float64))
        cm = total.read_value()
        diag = M.cast(matrix_diag_part(cm), _dt.float32)
        union = M.cast(R.reduce_sum(cm, 0), _dt.float32) + M.cast(R.reduce_sum(cm, 1), _dt.float32) - diag
        valid = R.reduce_sum(M.cast(M.not_equal(union, 0.0), _dt.float32))
        iou = diag / M.where(M.greater(union, 0.0), union, ST.ones_like(union))
        value = M.where(M.greater(valid, 0.0), R.reduce_sum(iou) / valid, M.zeros_like_scalar(valid))
    return publish(value, update, metrics_collections, updates_collections)


def mean_per_class_accuracy(labels: TensorLike, predictions: TensorLike, num_classes: int,
                            weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                            updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The mean over classes of each class's (weighted) accuracy. As TF1's, the update op
    returns the per-class accuracies (a vector), the value their mean."""
    with get_default_graph().name_scope(name or "mean_accuracy"):
        lab = reshape(M.cast(convert_to_tensor(labels), _dt.int64), [-1])
        pred = reshape(M.cast(convert_to_tensor(predictions), _dt.int64), [-1])
        total = metric_variable("total", [num_classes])
        count = metric_variable("count", [num_classes])
        seen = M.cast(ST.ones_like(lab), _dt.float32)
        correct = M.cast(M.equal(pred, lab), _dt.float32)
        w = _flat_weights(weights)
        if w is not None:
            w = M.cast(w, _dt.float32)
            seen, correct = seen * w, correct * w
        new_total = scatter_add(total, lab, seen)
        new_count = scatter_add(count, lab, correct)
        value = R.reduce_mean(div_no_nan(count.read_value(), M.maximum(total.read_value(), 0.0)))
        update = div_no_nan(new_count, M.maximum(new_total, 0.0))
    return publish(value, update, metrics_collections, updates_collections)


def _error_mean(kind: str, labels: TensorLike, predictions: TensorLike, weights: TensorLike | None,
                metrics_collections: Sequence[str] | None, updates_collections: Sequence[str] | None,
                name: str | None) -> Metric:
    """The mean of ``|predictions - labels|`` (``mae``) or its square (``mse``, ``rmse``: then rooted),
    the error taken in the predictions' float dtype."""
    pred = convert_to_tensor(predictions)
    if not pred.dtype.is_floating:
        pred = M.cast(pred, _dt.float32)
    pred, lab, w = remove_squeezable(pred, M.cast(convert_to_tensor(labels), pred.dtype), weights)
    assert lab is not None
    err = M.abs(pred - lab) if kind == "mae" else M.square(pred - lab)
    default = {"mae": "mean_absolute_error", "mse": "mean_squared_error", "rmse": "root_mean_squared_error"}[kind]
    value, update = mean(err, w, None, None, name or default)
    if kind == "rmse":
        value, update = M.sqrt(value), M.sqrt(update)
    return publish(value, update, metrics_collections, updates_collections)


def mean_absolute_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                        metrics_collections: Sequence[str] | None = None,
                        updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The (weighted) mean of ``|predictions - labels|``."""
    return _error_mean("mae", labels, predictions, weights, metrics_collections, updates_collections, name)


def mean_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                       metrics_collections: Sequence[str] | None = None,
                       updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The (weighted) mean of ``(predictions - labels) ** 2``."""
    return _error_mean("mse", labels, predictions, weights, metrics_collections, updates_collections, name)


def root_mean_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike | None = None,
                            metrics_collections: Sequence[str] | None = None,
                            updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The square root of ``mean_squared_error``."""
    return _error_mean("rmse", labels, predictions, weights, metrics_collections, updates_collections, name)
