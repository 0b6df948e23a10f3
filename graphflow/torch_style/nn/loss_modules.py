"""PyTorch's loss modules: each holds its options and applies the ``F`` function of its name
(``reduction`` "mean", "sum" or "none"; the legacy ``size_average`` / ``reduce`` mapped as PyTorch
maps them)."""
from __future__ import annotations

import graphflow.torch_style.nn.functional_loss as FL
from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.torch_style.nn.modules import Module


class _Loss(Module):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = FL.legacy_reduction(size_average, reduce, reduction)


class MSELoss(_Loss):
    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class NLLLoss(_Loss):
    def __init__(self, weight: TensorLike | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(NLLLoss):
    """``NLLLoss(log_softmax(input, 1))``, or class-probability targets; ``label_smoothing``."""

    def __init__(self, weight: TensorLike | None = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                                label_smoothing=self.label_smoothing)


class BCELoss(_Loss):
    def __init__(self, weight: TensorLike | None = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(BCELoss):
    def __init__(self, weight: TensorLike | None = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", pos_weight: TensorLike | None = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.pos_weight = pos_weight

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                   pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:  # noqa: A002
        return FL.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
