"""The ranking ``tf.metrics``: precision, recall and average precision of the top k predicted
classes against each example's set of label class ids.

Labels are int class ids ``[..., num_labels]`` (or ``[...]``, one label each), dense or a
SparseTensor whose entries are the ids (one of unknown rank is taken to have the predictions'
rank). TF1 computes these with sparse set operations; here each
row's sets are compared densely: ``equal`` of every predicted id against every label id, with
repeated ids counted once (as in a set) and a SparseTensor's absent entries left out. Counts and
results are float64, as in TF1; precision and recall are plain divisions (NaN before anything
is counted, as TF1's).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import broadcast_shapes
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.shape_ops import expand_dims, reshape, shape, size
from graphflow.ops.sort_ops import top_k
from graphflow.ops.sparse_ops import SparseTensor, SparseTensorValue, sparse_tensor_to_dense
from graphflow.tf1.metrics.core import Metric, div_no_nan, metric_variable, publish

Labels = Any  # a dense TensorLike of class ids, a SparseTensor or a SparseTensorValue


def _at_k_name(name: str, k: int | None = None, class_id: int | None = None) -> str:
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return f"{name}_class{class_id}" if class_id is not None else name


def _label_sets(labels: Labels, predictions_idx: Tensor) -> tuple[Tensor, Tensor, bool]:
    """(label ids ``[..., n]`` int64, which of them are present, whether they came sparse), with
    labels of one dim less than the predictions given a last dim of 1."""
    sparse = isinstance(labels, (SparseTensor, SparseTensorValue))
    want = predictions_idx.shape.rank
    if want is None:
        raise ValueError(f"metrics at k need predictions of known rank, got {predictions_idx.shape}")
    if sparse:
        sp = SparseTensor.from_value(labels)
        # the static rank densifying needs; an unknown one is taken as the predictions' (a reshape
        # that fails when run if it is not)
        rank = want if sp.shape.rank is None else sp.shape.rank
        sp = SparseTensor(reshape(sp.indices, [-1, rank]), sp.values, reshape(sp.dense_shape, [rank]))
        ids = sparse_tensor_to_dense(SparseTensor(sp.indices, M.cast(sp.values, _dt.int64), sp.dense_shape))
        marks = SparseTensor(sp.indices, ST.ones_like(M.cast(sp.values, _dt.int32)), sp.dense_shape)
        present = M.cast(sparse_tensor_to_dense(marks), _dt.bool_)
    else:
        ids = M.cast(convert_to_tensor(labels), _dt.int64)
        present = M.cast(ST.ones_like(ids), _dt.bool_)
    if ids.shape.rank is None:
        raise ValueError(f"metrics at k need labels of known rank, got {ids.shape}")
    if ids.shape.rank == want - 1:
        ids, present = expand_dims(ids, -1), expand_dims(present, -1)
    elif ids.shape.rank != want:
        raise ValueError(f"labels of shape {ids.shape} do not fit predictions of shape {predictions_idx.shape}: "
                         "their rank must be the predictions' or one less")
    return ids, present, sparse


def _member(a: Tensor, b: Tensor, b_present: Tensor) -> Tensor:
    """For each entry of ``a`` ``[..., n]``: whether its row of ``b`` ``[..., m]`` holds it."""
    same = M.equal(expand_dims(a, -1), expand_dims(b, -2))
    return R.reduce_any(M.logical_and(same, expand_dims(b_present, -2)), axis=-1)


def _first(ids: Tensor, present: Tensor) -> Tensor:
    """Present entries with no equal present entry before them in their row: one per set member."""
    pos = ST.range(shape(ids)[-1])
    before = M.less(expand_dims(pos, 0), expand_dims(pos, 1))  # [j, i]: i comes before j
    same = M.logical_and(M.equal(expand_dims(ids, -1), expand_dims(ids, -2)), expand_dims(present, -2))
    return M.logical_and(present, M.logical_not(R.reduce_any(M.logical_and(same, before), axis=-1)))


def _count(mask: Tensor) -> Tensor:
    return R.reduce_sum(M.cast(mask, _dt.float64), axis=-1)


def _row_counts(kind: str, pred: Tensor, ids: Tensor, present: Tensor, class_id: int | None) -> Tensor:
    """Per row: |P & L| (``tp``), |P - L| (``fp``) or |L - P| (``fn``) for the predicted set P and
    the label set L, both narrowed to ``{class_id}`` when it is given."""
    pred_present = M.cast(ST.ones_like(pred), _dt.bool_)
    if class_id is not None:
        in_p = R.reduce_any(M.equal(pred, M.cast(class_id, _dt.int64)), axis=-1)
        in_l = R.reduce_any(M.logical_and(M.equal(ids, M.cast(class_id, _dt.int64)), present), axis=-1)
        yes, no = {"tp": (in_p, in_l), "fp": (in_p, M.logical_not(in_l)),
                   "fn": (in_l, M.logical_not(in_p))}[kind]
        return M.cast(M.logical_and(yes, no), _dt.float64)
    if kind == "fn":
        return _count(M.logical_and(_first(ids, present), M.logical_not(_member(ids, pred, pred_present))))
    hit = _member(pred, ids, present)
    return _count(M.logical_and(_first(pred, pred_present), hit if kind == "tp" else M.logical_not(hit)))


def _row_weights(rows: Tensor, weights: TensorLike) -> Tensor:
    """``weights`` as float64 broadcast to the per-example ``rows``, which they may not outgrow."""
    w = M.cast(convert_to_tensor(weights), _dt.float64)
    out = broadcast_shapes([rows.shape, w.shape])
    if out is None or not out.is_compatible_with(rows.shape):
        raise ValueError(f"weights {w.name} of shape {w.shape} do not broadcast to the examples' shape {rows.shape}")
    return w * ST.ones_like(rows)


def _weighted_total(rows: Tensor, weights: TensorLike | None) -> Tensor:
    return R.reduce_sum(rows if weights is None else rows * _row_weights(rows, weights))


def _ratio_at_top_k(other: str, labels: Labels, predictions_idx: Tensor, k: int | None, class_id: int | None,
                    weights: TensorLike | None) -> Metric:
    """``tp / (tp + other)`` over streaming float64 counts (``other`` is ``fp`` or ``fn``)."""
    pred = M.cast(predictions_idx, _dt.int64)
    ids, present, _ = _label_sets(labels, pred)
    names = {"tp": "true_positive", "fp": "false_positive", "fn": "false_negative"}
    new, old = {}, {}
    for kind in ("tp", other):
        acc = metric_variable(_at_k_name(names[kind], k, class_id), dtype=_dt.float64)
        new[kind] = acc.assign_add(_weighted_total(_row_counts(kind, pred, ids, present, class_id), weights))
        old[kind] = acc.read_value()
    return old["tp"] / (old["tp"] + old[other]), new["tp"] / (new["tp"] + new[other])


def precision_at_top_k(labels: Labels, predictions_idx: TensorLike, k: int | None = None,
                       class_id: int | None = None, weights: TensorLike | None = None,
                       metrics_collections: Sequence[str] | None = None,
                       updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """Of the predicted class ids ``predictions_idx`` ``[..., k]``, the fraction in the labels
    (only class ``class_id`` counted when given); ``weights`` weigh the examples."""
    with get_default_graph().name_scope(name or _at_k_name("precision", k, class_id)):
        value, update = _ratio_at_top_k("fp", labels, convert_to_tensor(predictions_idx), k, class_id, weights)
    return publish(value, update, metrics_collections, updates_collections)


def recall_at_top_k(labels: Labels, predictions_idx: TensorLike, k: int | None = None, class_id: int | None = None,
                    weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                    updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """Of the label class ids, the fraction among the predicted ids ``predictions_idx``."""
    with get_default_graph().name_scope(name or _at_k_name("recall", k, class_id)):
        value, update = _ratio_at_top_k("fn", labels, convert_to_tensor(predictions_idx), k, class_id, weights)
    return publish(value, update, metrics_collections, updates_collections)


def precision_at_k(labels: Labels, predictions: TensorLike, k: int, class_id: int | None = None,
                   weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                   updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """``precision_at_top_k`` of the ``k`` highest-scored classes of ``predictions``.

    >>> import graphflow as gf
    >>> p, _ = gf.metrics.precision_at_k(gf.constant([[1], [0]], gf.int64), [[0.2, 0.8], [0.9, 0.1]], k=1)
    >>> p.dtype.name
    'float64'
    """
    with get_default_graph().name_scope(name or _at_k_name("precision", k, class_id)):
        _, idx = top_k(predictions, k)
        value, update = _ratio_at_top_k("fp", labels, idx, k, class_id, weights)
    return publish(value, update, metrics_collections, updates_collections)


sparse_precision_at_k = precision_at_k


def recall_at_k(labels: Labels, predictions: TensorLike, k: int, class_id: int | None = None,
                weights: TensorLike | None = None, metrics_collections: Sequence[str] | None = None,
                updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """``recall_at_top_k`` of the ``k`` highest-scored classes of ``predictions``."""
    with get_default_graph().name_scope(name or _at_k_name("recall", k, class_id)):
        _, idx = top_k(predictions, k)
        value, update = _ratio_at_top_k("fn", labels, idx, k, class_id, weights)
    return publish(value, update, metrics_collections, updates_collections)


def _average_precision(labels: Labels, predictions: Tensor, k: int) -> Tensor:
    """Each example's average precision of its top ``k`` classes: the precision at every rank
    holding a label, summed and divided by min(number of labels, k). Label ids at or above the
    number of classes become -1 first (TF1's cleaning)."""
    _, idx = top_k(predictions, k)
    pred = M.cast(idx, _dt.int64)
    ids, present, sparse = _label_sets(labels, pred)
    num_classes = M.cast(shape(predictions)[-1], _dt.int64)
    ids = M.where(M.greater_equal(ids, num_classes), -ST.ones_like(ids), ids)
    relevant = M.cast(_member(pred, ids, present), _dt.float64)
    precision_per_k = cumsum(relevant, axis=-1) / cumsum(ST.ones_like(relevant), axis=-1)
    precision_sum = R.reduce_sum(precision_per_k * relevant, axis=-1)
    # a SparseTensor's labels count as a set; dense labels count every id >= 0
    num_labels = _count(_first(ids, present)) if sparse else _count(M.greater_equal(ids, M.zeros_like_scalar(ids)))
    return precision_sum / M.minimum(num_labels, float(k))


def average_precision_at_k(labels: Labels, predictions: TensorLike, k: int, weights: TensorLike | None = None,
                           metrics_collections: Sequence[str] | None = None,
                           updates_collections: Sequence[str] | None = None, name: str | None = None) -> Metric:
    """The (weighted) mean over examples of the average precision at ``k``.

    >>> import graphflow as gf
    >>> ap, _ = gf.metrics.average_precision_at_k(gf.constant([[1]], gf.int64), [[0.2, 0.8]], k=2)
    >>> ap.shape.as_list()
    []
    """
    if k < 1:
        raise ValueError(f"average_precision_at_k needs k >= 1, got {k}")
    with get_default_graph().name_scope(name or _at_k_name("average_precision", k)):
        ap = _average_precision(labels, convert_to_tensor(predictions), k)
        if weights is None:
            batch_max = M.cast(size(ap), _dt.float64)
        else:
            w = _row_weights(ap, weights)
            ap, batch_max = ap * w, R.reduce_sum(w)
        max_acc = metric_variable("max", dtype=_dt.float64)
        total_acc = metric_variable("total", dtype=_dt.float64)
        new_max = max_acc.assign_add(batch_max)
        new_total = total_acc.assign_add(R.reduce_sum(ap))
        value = div_no_nan(total_acc.read_value(), max_acc.read_value())
        update = div_no_nan(new_total, new_max)
    return publish(value, update, metrics_collections, updates_collections)


sparse_average_precision_at_k = average_precision_at_k
