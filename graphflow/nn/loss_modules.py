"""PyTorch's loss modules (``reduction`` "mean", "sum" or "none")."""
from __future__ import annotations

from typing import Any

from graphflow import dtypes as _dt
from graphflow.ir import Tensor, convert_to_tensor
from graphflow.nn.modules import Module
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import state_ops as ST


def _reduce(v: Tensor, reduction: str, weight: Tensor | None = None) -> Tensor:
    if reduction == "none":
        return v
    if reduction == "sum":
        return R.reduce_sum(v)
    if reduction == "mean":
        return R.reduce_sum(v) / R.reduce_sum(weight) if weight is not None else R.reduce_mean(v)
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


class _Loss(Module):
    def __init__(self, reduction: str = "mean", **kwargs: Any) -> None:
        super().__init__()
        self.reduction = reduction
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)


class MSELoss(_Loss):
    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        x, y = convert_to_tensor(input), convert_to_tensor(target)
        return _reduce(M.square(x - M.cast(y, x.dtype)), self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        x, y = convert_to_tensor(input), convert_to_tensor(target)
        return _reduce(M.abs(x - M.cast(y, x.dtype)), self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction, beta=beta)

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        x, y = convert_to_tensor(input), convert_to_tensor(target)
        d = M.abs(x - M.cast(y, x.dtype))
        b = self.beta
        return _reduce(M.where(d < b, 0.5 * d * d / b, d - 0.5 * b), self.reduction)


def _nll(logp: Tensor, target: Tensor, weight: Any, ignore_index: int, reduction: str) -> Tensor:
    from graphflow.ops.array_ops import one_hot
    n_classes = logp.shape.as_list()[1]
    t = M.cast(target, _dt.int32)
    valid = M.cast(M.not_equal(t, ignore_index), logp.dtype)
    safe = M.where(M.equal(t, ignore_index), ST.zeros_like(t), t)
    # class dim 1 (PyTorch's [N, C, ...]): move it last
    from graphflow.ops.shape_ops import transpose
    r = logp.shape.rank
    lp = transpose(logp, [0] + list(range(2, r)) + [1]) if r > 2 else logp
    picked = R.reduce_sum(lp * one_hot(safe, n_classes, dtype=logp.dtype), axis=-1)
    w = valid
    if weight is not None:
        w = w * R.reduce_sum(one_hot(safe, n_classes, dtype=logp.dtype) * M.cast(convert_to_tensor(weight), logp.dtype),
                             axis=-1)
    return _reduce(-picked * w, reduction, w if reduction == "mean" else None)


class NLLLoss(_Loss):
    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        return _nll(convert_to_tensor(input), convert_to_tensor(target), self.weight, self.ignore_index,
                    self.reduction)


class CrossEntropyLoss(_Loss):
    """``NLLLoss(log_softmax(input, 1))``; ``label_smoothing`` mixes in the uniform distribution."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)

    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        from graphflow.nn.functional import log_softmax
        x = convert_to_tensor(input)
        logp = log_softmax(x, axis=1)
        nll = _nll(logp, convert_to_tensor(target), self.weight, self.ignore_index,
                   "none" if self.label_smoothing else self.reduction)
        if not self.label_smoothing:
            return nll
        if self.weight is not None:
            raise ValueError("CrossEntropyLoss: weight with label_smoothing is not supported")
        eps = self.label_smoothing
        t = M.cast(convert_to_tensor(target), _dt.int32)
        valid = M.cast(M.not_equal(t, self.ignore_index), x.dtype)
        smooth = -R.reduce_mean(logp, axis=1) * valid
        total = (1 - eps) * nll + eps * smooth
        return _reduce(total, self.reduction, valid if self.reduction == "mean" else None)


class BCELoss(_Loss):
    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        p, y = convert_to_tensor(input), convert_to_tensor(target)
        y = M.cast(y, p.dtype)
        logp = M.maximum(M.log(p), -100.0)  # PyTorch clamps the logs at -100
        log1mp = M.maximum(M.log(1 - p), -100.0)
        return _reduce(-(y * logp + (1 - y) * log1mp), self.reduction)


class BCEWithLogitsLoss(_Loss):
    def forward(self, input: Any, target: Any) -> Tensor:  # noqa: A002
        from graphflow.nn.functional import sigmoid_cross_entropy_with_logits
        x, y = convert_to_tensor(input), convert_to_tensor(target)
        return _reduce(sigmoid_cross_entropy_with_logits(labels=M.cast(y, x.dtype), logits=x), self.reduction)
