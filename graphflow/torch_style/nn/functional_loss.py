"""PyTorch's functional losses (``F.cross_entropy``, ``F.nll_loss``, ``F.mse_loss``...): inputs
[N, C] or [N, C, d1, ...] with the class dim 1, ``reduction`` "mean", "sum" or "none", and the
legacy ``size_average`` / ``reduce`` arguments mapped as PyTorch maps them."""
from __future__ import annotations

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import one_hot
from graphflow.ops.nn_ops import log_softmax, sigmoid_cross_entropy_with_logits
from graphflow.ops.special_ops import log_sigmoid, xlogy


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average`` / ``reduce`` pair."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def _reduce(v: Tensor, reduction: str, weight: Tensor | None = None) -> Tensor:
    if reduction == "none":
        return v
    if reduction == "sum":
        return R.reduce_sum(v)
    if reduction == "mean":
        return R.reduce_sum(v) / R.reduce_sum(weight) if weight is not None else R.reduce_mean(v)
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _pair(input: TensorLike, target: TensorLike, what: str) -> tuple[Tensor, Tensor]:  # noqa: A002
    x, y = convert_to_tensor(input), convert_to_tensor(target)
    if not x.dtype.is_floating:
        raise TypeError(f"F.{what} expects a floating-point input, got {x.dtype.name} ({x.name})")
    if x.shape.is_fully_defined() and y.shape.is_fully_defined() and x.shape.as_list() != y.shape.as_list():
        raise ValueError(f"F.{what}: the target {y.name} has shape {y.shape}, the input {x.name} has {x.shape}; "
                         "they must match")
    return x, M.cast(y, x.dtype)


def mse_loss(input: TensorLike, target: TensorLike, size_average: bool | None = None,  # noqa: A002
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    x, y = _pair(input, target, "mse_loss")
    return _reduce(M.square(x - y), legacy_reduction(size_average, reduce, reduction))


def l1_loss(input: TensorLike, target: TensorLike, size_average: bool | None = None,  # noqa: A002
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    x, y = _pair(input, target, "l1_loss")
    return _reduce(M.abs(x - y), legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input: TensorLike, target: TensorLike, size_average: bool | None = None,  # noqa: A002
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``."""
    x, y = _pair(input, target, "smooth_l1_loss")
    d = M.abs(x - y)
    v = d if beta == 0 else M.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(v, legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: TensorLike, target: TensorLike, reduction: str = "mean",  # noqa: A002
               delta: float = 1.0) -> Tensor:
    """``0.5 d^2`` for ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    x, y = _pair(input, target, "huber_loss")
    d = M.abs(x - y)
    return _reduce(M.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _classes_last(logp: Tensor) -> Tensor:
    """[N, C, d1, ...] -> [N, d1, ..., C]."""
    r = logp.shape.rank
    return S.transpose(logp, [0] + list(range(2, r)) + [1]) if r > 2 else logp


def _class_input(input: TensorLike, target: TensorLike, what: str) -> tuple[Tensor, Tensor, bool]:  # noqa: A002
    """The [N, C, ...] input and its target (a batch dim added to an unbatched [C] input)."""
    x, t = convert_to_tensor(input), convert_to_tensor(target)
    if not x.dtype.is_floating:
        raise TypeError(f"F.{what} expects floating-point scores, got {x.dtype.name} ({x.name})")
    if x.shape.rank == 1:
        return S.expand_dims(x, 0), S.expand_dims(t, 0), True
    if x.shape.rank is None or x.shape.rank < 2:
        raise ValueError(f"F.{what} expects an [N, C, ...] input, got {x.shape} ({x.name})")
    return x, t, False


def _picked(logp: Tensor, target: Tensor, weight: TensorLike | None, ignore_index: int,
            what: str) -> tuple[Tensor, Tensor, Tensor]:
    """Per element: ``-logp[target]``, its weight (0 where ignored) and the one-hot of the
    target, for class-index targets."""
    if not target.dtype.is_integer:
        raise TypeError(f"F.{what} expects integer class indices as the target, got {target.dtype.name} "
                        f"({target.name}); for class probabilities give a float target shaped like the input")
    n_classes = logp.shape.as_list()[1]
    if n_classes is None:
        raise ValueError(f"F.{what} needs a static number of classes (dim 1), got {logp.shape} ({logp.name})")
    t = M.cast(target, _dt.int32)
    ignored = M.equal(t, ignore_index)
    hot = one_hot(M.where(ignored, ST.zeros_like(t), t), n_classes, dtype=logp.dtype)
    w = M.cast(M.logical_not(ignored), logp.dtype)
    if weight is not None:
        w = w * R.reduce_sum(hot * M.cast(convert_to_tensor(weight), logp.dtype), axis=-1)
    return -R.reduce_sum(_classes_last(logp) * hot, axis=-1), w, hot


def nll_loss(input: TensorLike, target: TensorLike, weight: TensorLike | None = None,  # noqa: A002
             size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """``-input[n, target[n]] * weight[target[n]]``; "mean" divides by the summed weights."""
    logp, t, unbatched = _class_input(input, target, "nll_loss")
    red = legacy_reduction(size_average, reduce, reduction)
    loss, w, _ = _picked(logp, t, weight, ignore_index, "nll_loss")
    out = _reduce(loss * w, red, w if red == "mean" else None)
    return S.squeeze(out, [0]) if unbatched and red == "none" else out


def cross_entropy(input: TensorLike, target: TensorLike, weight: TensorLike | None = None,  # noqa: A002
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)`` for class indices; for class probabilities (a
    float target shaped like the input) ``-sum_c weight_c target_c log_softmax(input)_c``.
    ``label_smoothing`` eps mixes the target with the uniform distribution: (1 - eps) target +
    eps / C."""
    x, t, unbatched = _class_input(input, target, "cross_entropy")
    red = legacy_reduction(size_average, reduce, reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    logp = log_softmax(x, axis=1)
    n_classes = x.shape.as_list()[1]
    wc = None if weight is None else M.cast(convert_to_tensor(weight), x.dtype)
    if t.dtype.is_floating:  # class probabilities
        if n_classes is None:
            raise ValueError(f"F.cross_entropy needs a static number of classes, got {x.shape} ({x.name})")
        if t.shape.rank != x.shape.rank or not t.shape.is_compatible_with(x.shape):
            raise ValueError(f"F.cross_entropy: a float target holds class probabilities shaped like the input "
                             f"{x.shape} ({x.name}); got {t.shape} ({t.name}); class indices must be integers")
        p = _classes_last(M.cast(t, x.dtype))
        if label_smoothing:
            p = p * (1 - label_smoothing) + label_smoothing / n_classes
        lp = _classes_last(logp)
        loss = -R.reduce_sum(lp * p * wc if wc is not None else lp * p, axis=-1)
        out = _reduce(loss, red)
    else:
        nll, w, hot = _picked(logp, t, weight, ignore_index, "cross_entropy")
        loss = nll * w
        if label_smoothing:
            lp = _classes_last(logp)
            valid = M.cast(M.not_equal(M.cast(t, _dt.int32), ignore_index), x.dtype)
            smooth = -R.reduce_sum(lp * wc if wc is not None else lp, axis=-1) * valid / n_classes
            loss = (1 - label_smoothing) * loss + label_smoothing * smooth
        out = _reduce(loss, red, w if red == "mean" else None)
    return S.squeeze(out, [0]) if unbatched and red == "none" else out


def binary_cross_entropy(input: TensorLike, target: TensorLike, weight: TensorLike | None = None,  # noqa: A002
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` on probabilities, the logs clamped at -100 (PyTorch's)."""
    p, y = _pair(input, target, "binary_cross_entropy")
    v = -(y * M.maximum(M.log(p), -100.0) + (1 - y) * M.maximum(M.log(1 - p), -100.0))
    if weight is not None:
        v = v * M.cast(convert_to_tensor(weight), p.dtype)
    return _reduce(v, legacy_reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input: TensorLike, target: TensorLike,  # noqa: A002
                                     weight: TensorLike | None = None, size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: TensorLike | None = None) -> Tensor:
    """``-(pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))``, computed stably."""
    x, y = _pair(input, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        v = sigmoid_cross_entropy_with_logits(labels=y, logits=x)
    else:
        pw = M.cast(convert_to_tensor(pos_weight), x.dtype)
        v = -(pw * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
    if weight is not None:
        v = v * M.cast(convert_to_tensor(weight), x.dtype)
    return _reduce(v, legacy_reduction(size_average, reduce, reduction))


def kl_div(input: TensorLike, target: TensorLike, size_average: bool | None = None,  # noqa: A002
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """``target (log target - input)`` with ``input`` log-probabilities (0 where target is 0);
    "batchmean" divides the sum by the batch size."""
    x, y = _pair(input, target, "kl_div")
    v = M.exp(y) * (y - x) if log_target else xlogy(y, y) - y * x
    red = legacy_reduction(size_average, reduce, reduction)
    if red == "batchmean":
        return R.reduce_sum(v) / M.cast(S.shape(x)[0], x.dtype) if x.shape.rank else R.reduce_sum(v)
    return _reduce(v, red)
