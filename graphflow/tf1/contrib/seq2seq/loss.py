"""``tf.contrib.seq2seq.sequence_loss`` (TF 1.15's definition)."""
from __future__ import annotations

from collections.abc import Callable

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops.nn_ops import sparse_softmax_cross_entropy_with_logits

__all__ = ["sequence_loss"]


def sequence_loss(logits: TensorLike, targets: TensorLike, weights: TensorLike, average_across_timesteps: bool = True,
                  average_across_batch: bool = True, sum_over_timesteps: bool = False, sum_over_batch: bool = False,
                  softmax_loss_function: Callable[..., Tensor] | None = None, name: str | None = None) -> Tensor:
    """Weighted sparse softmax cross-entropy of ``logits`` [batch, time, classes] against
    ``targets`` [batch, time]: averaged (divided by the summed weights) or summed over the
    time and/or batch dims as the flags say; a scalar when both are reduced."""
    if (average_across_timesteps and sum_over_timesteps) or (average_across_batch and sum_over_batch):
        raise ValueError("sequence_loss: average_across_* and sum_over_* of one dim cannot both be set")
    lg = convert_to_tensor(logits)
    tg = convert_to_tensor(targets)
    w = M.cast(convert_to_tensor(weights), lg.dtype)
    if lg.shape.rank != 3 or tg.shape.rank != 2:
        raise ValueError(f"sequence_loss needs logits [batch, time, classes] and targets [batch, time], got "
                         f"{lg.shape} and {tg.shape}")
    classes = lg.shape.as_list()[-1] or S.shape(lg)[-1]
    flat_logits = S.reshape(lg, [-1, classes])
    flat_targets = S.reshape(tg, [-1])
    if softmax_loss_function is None:
        xent = sparse_softmax_cross_entropy_with_logits(labels=flat_targets, logits=flat_logits)
    else:
        xent = softmax_loss_function(labels=flat_targets, logits=flat_logits)
    xent = S.reshape(xent, S.shape(tg)) * w
    axes = ([0] if (average_across_batch or sum_over_batch) else []) + \
        ([1] if (average_across_timesteps or sum_over_timesteps) else [])
    if not axes:
        return xent
    total = R.reduce_sum(xent, axis=axes)
    if average_across_batch or average_across_timesteps:
        avg_axes = ([0] if average_across_batch else []) + ([1] if average_across_timesteps else [])
        if sum_over_batch or sum_over_timesteps:  # average over one dim, sum over the other
            total = R.reduce_sum(xent / M.maximum(R.reduce_sum(w, axis=avg_axes, keepdims=True), 1e-12), axis=axes)
            return M.identity(total, name=name)
        total = total / M.maximum(R.reduce_sum(w, axis=avg_axes), 1e-12)
    return M.identity(total, name=name)
