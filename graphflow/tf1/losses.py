"""``gf.losses``: TF1's ``tf.losses`` functions with weights and reductions.

Every loss computes per-element losses, weights them, reduces them (by default the weighted sum
divided by the number of non-zero weights) and adds the result to ``GraphKeys.LOSSES``.
Floating inputs keep their dtype (float16 is computed in float32); TF1 computes in float32.
"""
from __future__ import annotations

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import broadcast_shapes
from graphflow.core.types import TensorLike
from graphflow.ops import nn_ops as nn
from graphflow.ops._build import as_tensors
from graphflow.ops.math_ops import abs as absolute
from graphflow.ops.math_ops import (
    add_n,
    cast,
    divide,
    equal,
    greater,
    identity,
    log,
    maximum,
    minimum,
    square,
    stop_gradient,
    where,
)
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.ops.shape_ops import shape, size, squeeze
from graphflow.ops.state_ops import constant, ones_like, zeros_like
from graphflow.ops.variables import GraphKeys

__all__ = [
    "Reduction", "compute_weighted_loss", "add_loss", "get_losses", "get_regularization_losses",
    "get_regularization_loss", "get_total_loss", "absolute_difference", "mean_squared_error",
    "huber_loss", "log_loss", "hinge_loss", "cosine_distance", "mean_pairwise_squared_error", "sigmoid_cross_entropy",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy",
]


class Reduction:
    """How a weighted loss tensor becomes the returned loss (TF1 ``tf.losses.Reduction``)."""

    NONE = "none"  # the weighted per-element losses
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"  # divided by the number of elements
    MEAN = "weighted_mean"  # divided by the sum of the (broadcast) weights
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"  # divided by the non-zero weights
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"invalid reduction {key!r}; expected one of {cls.all()}")


def _compute_dtype(d: _dt.DType) -> _dt.DType:
    return d if d.is_floating and d != _dt.float16 else _dt.float32


def _fit_weights(losses: Tensor, weights: TensorLike) -> Tensor:
    w = convert_to_tensor(weights, dtype_hint=losses.dtype)
    w = cast(w, losses.dtype)
    out = broadcast_shapes([losses.shape, w.shape])
    if out is None or not out.is_compatible_with(losses.shape):
        raise ValueError(f"weights {w.name} of shape {w.shape} cannot be broadcast to the losses "
                         f"{losses.name} of shape {losses.shape}")
    return w


def _safe_div(num: Tensor, den: Tensor) -> Tensor:
    """``num / den``, 0 where ``den`` is 0 (TF1's ``div_no_nan``)."""
    zero = constant(0, dtype=den.dtype)
    positive = greater(den, zero)
    return where(positive, divide(num, where(positive, den, constant(1, dtype=den.dtype))), zero)


def compute_weighted_loss(losses: TensorLike, weights: TensorLike = 1.0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weight ``losses``, reduce them by ``reduction`` and add the result to ``loss_collection``.

    >>> import graphflow as gf
    >>> gf.losses.compute_weighted_loss(gf.ones((2, 3)), weights=[[1.0], [0.0]]).shape.as_list()
    []
    """
    Reduction.validate(reduction)
    with get_default_graph().name_scope(scope or "weighted_loss"):
        loss = _reduce(convert_to_tensor(losses), weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def _reduce(raw: Tensor, weights: TensorLike, reduction: str) -> Tensor:
    Reduction.validate(reduction)
    ct = _compute_dtype(raw.dtype)
    x = cast(raw, ct)
    w = _fit_weights(x, weights)
    weighted = x * w
    if reduction == Reduction.NONE:
        loss = weighted
    else:
        loss = reduce_sum(weighted)
        if reduction == Reduction.MEAN:
            loss = _safe_div(loss, reduce_sum(ones_like(x) * w))
        elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
            loss = _safe_div(loss, _num_present(x, weights, w))
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            loss = _safe_div(loss, cast(size(x), ct))
    return identity(cast(loss, raw.dtype) if raw.dtype.is_floating else loss, name="value")


def _num_present(x: Tensor, weights: TensorLike, w: Tensor) -> Tensor:
    """The number of elements of ``x`` whose broadcast weight is non-zero."""
    if isinstance(weights, (int, float)) and weights != 0:
        return cast(size(x), x.dtype)
    zero = constant(0, dtype=x.dtype)
    present = where(equal(w, zero), zeros_like(w), ones_like(w))
    return reduce_sum(present * ones_like(x))


def add_loss(loss: Tensor, loss_collection: str | None = GraphKeys.LOSSES) -> None:
    """Add ``loss`` to ``loss_collection`` (``GraphKeys.LOSSES`` by default)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: str = GraphKeys.LOSSES) -> list[Tensor]:
    """The losses added to ``loss_collection`` (whose names match ``scope``)."""
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Tensor]:
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: str | None = None, name: str = "total_regularization_loss") -> Tensor:
    """The sum of the regularization losses (0.0 when there are none)."""
    losses = get_regularization_losses(scope)
    if not losses:
        return constant(0.0, name=name)
    return add_n(losses, name=name)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: str | None = None) -> Tensor:
    """The sum of every loss in ``GraphKeys.LOSSES`` (and the regularization losses)."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("get_total_loss: no losses have been added to the graph")
    return add_n(losses, name=name)


# ---- losses --------------------------------------------------------------------------------------------

def _pair(labels: TensorLike, predictions: TensorLike, what: str) -> tuple[Tensor, Tensor]:
    if labels is None or predictions is None:
        raise ValueError(f"{what} needs labels and predictions")
    p = convert_to_tensor(predictions)
    if not p.dtype.is_floating:
        p = cast(p, _dt.float32)
    lb = convert_to_tensor(labels, dtype_hint=p.dtype)
    lb = cast(lb, p.dtype)
    if not p.shape.is_compatible_with(lb.shape):
        raise ValueError(f"{what}: predictions {p.name} of shape {p.shape} and labels {lb.name} of "
                         f"shape {lb.shape} must have the same shape")
    return lb, p


def absolute_difference(labels: TensorLike, predictions: TensorLike, weights: TensorLike = 1.0,
                        scope: str | None = None,
                        loss_collection: str | None = GraphKeys.LOSSES,
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted ``|predictions - labels|``."""
    with get_default_graph().name_scope(scope or "absolute_difference"):
        lb, p = _pair(labels, predictions, "absolute_difference")
        losses = absolute(p - lb)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def mean_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike = 1.0,
                       scope: str | None = None,
                       loss_collection: str | None = GraphKeys.LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted ``(predictions - labels) ** 2``.

    >>> import graphflow as gf
    >>> gf.losses.mean_squared_error(gf.zeros((4, 1)), gf.ones((4, 1))).shape.as_list()
    []
    """
    with get_default_graph().name_scope(scope or "mean_squared_error"):
        lb, p = _pair(labels, predictions, "mean_squared_error")
        losses = square(p - lb)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def huber_loss(labels: TensorLike, predictions: TensorLike, weights: TensorLike = 1.0, delta: float = 1.0,
               scope: str | None = None, loss_collection: str | None = GraphKeys.LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """``0.5 * e ** 2`` for ``|e| <= delta``, ``delta * (|e| - 0.5 * delta)`` beyond, e the error."""
    with get_default_graph().name_scope(scope or "huber_loss"):
        lb, p = _pair(labels, predictions, "huber_loss")
        err = absolute(p - lb)
        d = constant(delta, dtype=p.dtype)
        quadratic = minimum(err, d)
        losses = constant(0.5, dtype=p.dtype) * square(quadratic) + d * (err - quadratic)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def log_loss(labels: TensorLike, predictions: TensorLike, weights: TensorLike = 1.0, epsilon: float = 1e-7,
             scope: str | None = None, loss_collection: str | None = GraphKeys.LOSSES,
             reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """``-labels * log(p + eps) - (1 - labels) * log(1 - p + eps)`` for probabilities p."""
    with get_default_graph().name_scope(scope or "log_loss"):
        lb, p = _pair(labels, predictions, "log_loss")
        eps, one = constant(epsilon, dtype=p.dtype), constant(1, dtype=p.dtype)
        losses = -lb * log(p + eps) - (one - lb) * log(one - p + eps)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def hinge_loss(labels: TensorLike, logits: TensorLike, weights: TensorLike = 1.0, scope: str | None = None,
               loss_collection: str | None = GraphKeys.LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """``max(0, 1 - (2 * labels - 1) * logits)`` for labels in {0, 1}."""
    with get_default_graph().name_scope(scope or "hinge_loss"):
        lb, lg = _pair(labels, logits, "hinge_loss")
        one = constant(1, dtype=lg.dtype)
        signed = constant(2, dtype=lg.dtype) * lb - one
        losses = nn.relu(one - signed * lg)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def cosine_distance(labels: TensorLike, predictions: TensorLike, axis: int | None = None,
                    weights: TensorLike = 1.0,
                    scope: str | None = None, loss_collection: str | None = GraphKeys.LOSSES,
                    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS, dim: int | None = None) -> Tensor:
    """``1 - sum(labels * predictions, axis)`` for unit-normalised inputs (keeps ``axis``)."""
    ax = axis if axis is not None else dim
    if ax is None:
        raise ValueError("cosine_distance needs axis")
    with get_default_graph().name_scope(scope or "cosine_distance_loss"):
        lb, p = _pair(labels, predictions, "cosine_distance")
        losses = constant(1, dtype=p.dtype) - reduce_sum(lb * p, axis=ax, keepdims=True)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def mean_pairwise_squared_error(labels: TensorLike, predictions: TensorLike, weights: TensorLike = 1.0,
                                scope: str | None = None,
                                loss_collection: str | None = GraphKeys.LOSSES) -> Tensor:
    """Per example, the mean over pairs of its elements i != j of
    ``((p_i - p_j) - (l_i - l_j)) ** 2``, weighted by ``weights`` (a scalar or one per example, of
    the labels' rank) and summed: with d = p - l over an example's n elements,
    ``2 * sum(d ** 2) / (n - 1) - 2 * sum(d) ** 2 / (n * (n - 1))``. Elements whose broadcast
    weight is 0 still enter the sums but not n (TF1's counting). Needs a known rank.

    >>> import graphflow as gf
    >>> gf.losses.mean_pairwise_squared_error(gf.zeros((2, 3)), gf.ones((2, 3))).shape.as_list()
    []
    """
    with get_default_graph().name_scope(scope or "mean_pairwise_squared_error"):
        lb, p = _pair(labels, predictions, "mean_pairwise_squared_error")
        ct = _compute_dtype(p.dtype)
        d = cast(p, ct) - cast(lb, ct)
        if d.shape.rank is None:
            raise ValueError(f"mean_pairwise_squared_error needs labels of known rank, got {d.shape}")
        axes = list(range(1, d.shape.rank))
        w = _fit_weights(d, weights)
        zero = constant(0, dtype=ct)
        present = where(equal(w, zero), zeros_like(w), ones_like(w)) * ones_like(d)
        n = reduce_sum(present, axis=axes, keepdims=True)
        two = constant(2, dtype=ct)
        term1 = two * _safe_div(reduce_sum(square(d), axis=axes, keepdims=True), maximum(n - 1, zero))
        term2 = two * _safe_div(square(reduce_sum(d, axis=axes, keepdims=True)), maximum(n * (n - 1), zero))
        loss = reduce_sum((term1 - term2) * w)
        loss = where(greater(reduce_sum(n), zero), loss, zeros_like(loss))
        loss = identity(cast(loss, p.dtype), name="value")
    add_loss(loss, loss_collection)
    return loss


def sigmoid_cross_entropy(multi_class_labels: TensorLike, logits: TensorLike, weights: TensorLike = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted sigmoid cross-entropy; labels are smoothed towards 1/2 by ``label_smoothing``."""
    with get_default_graph().name_scope(scope or "sigmoid_cross_entropy_loss"):
        lb, lg = _pair(multi_class_labels, logits, "sigmoid_cross_entropy")
        if label_smoothing:
            ls = constant(label_smoothing, dtype=lg.dtype)
            lb = lb * (constant(1, dtype=lg.dtype) - ls) + constant(0.5, dtype=lg.dtype) * ls
        losses = nn.sigmoid_cross_entropy_with_logits(labels=lb, logits=lg)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def softmax_cross_entropy(onehot_labels: TensorLike, logits: TensorLike, weights: TensorLike = 1.0,
                          label_smoothing: float = 0, scope: str | None = None,
                          loss_collection: str | None = GraphKeys.LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted softmax cross-entropy over the last axis (``weights`` per example); with
    ``label_smoothing`` the labels become ``labels * (1 - ls) + ls / num_classes``. No gradient
    flows into the labels.

    >>> import graphflow as gf
    >>> gf.losses.softmax_cross_entropy(gf.one_hot([0, 2], 3), gf.zeros((2, 3))).shape.as_list()
    []
    """
    with get_default_graph().name_scope(scope or "softmax_cross_entropy_loss"):
        lb, lg = _pair(onehot_labels, logits, "softmax_cross_entropy")
        lb = stop_gradient(lb)
        if label_smoothing:
            ls = constant(label_smoothing, dtype=lg.dtype)
            classes = cast(shape(lb)[-1], lg.dtype)
            lb = lb * (constant(1, dtype=lg.dtype) - ls) + ls / classes
        losses = nn.softmax_cross_entropy_with_logits_v2(labels=lb, logits=lg)
        loss = _reduce(losses, weights, reduction)
    add_loss(loss, loss_collection)
    return loss


def sparse_softmax_cross_entropy(labels: TensorLike, logits: TensorLike, weights: TensorLike = 1.0,
                                 scope: str | None = None,
                                 loss_collection: str | None = GraphKeys.LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted sparse softmax cross-entropy; labels (and weights) of shape ``[batch, 1]`` are
    squeezed to ``[batch]`` as TF1 does. Out-of-range labels raise InvalidArgumentError when run."""
    with get_default_graph().name_scope(scope or "sparse_softmax_cross_entropy_loss"):
        lg = convert_to_tensor(logits)
        lb = convert_to_tensor(labels)
        if lb.shape.rank is not None and lg.shape.rank is not None and lb.shape.rank == lg.shape.rank \
                and lb.shape.dims[-1] == 1:  # type: ignore[index]
            lb = squeeze(lb, [-1])
        w = weights
        if isinstance(w, Tensor) or not isinstance(w, (int, float)):
            wt = as_tensors(w, dtype=None)[0]
            if wt.shape.rank is not None and lb.shape.rank is not None and \
                    wt.shape.rank == lb.shape.rank + 1 and wt.shape.dims[-1] == 1:  # type: ignore[index]
                w = squeeze(wt, [-1])
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=lb, logits=lg)
        loss = _reduce(losses, w, reduction)
    add_loss(loss, loss_collection)
    return loss


