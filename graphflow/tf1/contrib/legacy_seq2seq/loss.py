"""TF 1.15's legacy_seq2seq losses over static lists of steps, and ``model_with_buckets``.

- sequence_loss_by_example: ``sum_t crossent(logits[t], targets[t]) * weights[t]`` per row,
  divided by ``sum_t weights[t] + 1e-12`` when ``average_across_timesteps``.
- sequence_loss: its sum over the rows, divided by the batch size when ``average_across_batch``.
- model_with_buckets: ``seq2seq`` built once per bucket (encoder length, decoder length) over the
  leading steps, later buckets reusing the first one's variables; one loss per bucket.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops.elementwise_ops import add_n
from graphflow.ops.nn_ops import sparse_softmax_cross_entropy_with_logits
from graphflow.ops.variables import get_variable_scope, variable_scope

LossFunction = Callable[..., Tensor]


def sequence_loss_by_example(logits: Sequence[TensorLike], targets: Sequence[TensorLike],
                             weights: Sequence[TensorLike], average_across_timesteps: bool = True,
                             softmax_loss_function: LossFunction | None = None, name: str | None = None) -> Tensor:
    """The weighted log-perplexity of each row [batch]."""
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError(f"Lengths of logits, weights, and targets must be the same {len(logits)}, {len(weights)}, "
                         f"{len(targets)}.")
    terms = []
    for logit, target, weight in zip(logits, targets, weights):
        if softmax_loss_function is None:
            crossent = sparse_softmax_cross_entropy_with_logits(labels=S.reshape(target, [-1]), logits=logit)
        else:
            crossent = softmax_loss_function(labels=target, logits=logit)
        terms.append(crossent * weight)
    log_perps = add_n(terms)
    if average_across_timesteps:
        log_perps = log_perps / (add_n([convert_to_tensor(w) for w in weights]) + 1e-12)
    return log_perps


def sequence_loss(logits: Sequence[TensorLike], targets: Sequence[TensorLike], weights: Sequence[TensorLike],
                  average_across_timesteps: bool = True, average_across_batch: bool = True,
                  softmax_loss_function: LossFunction | None = None, name: str | None = None) -> Tensor:
    """The weighted log-perplexity summed over the rows (their mean with ``average_across_batch``)."""
    cost = R.reduce_sum(sequence_loss_by_example(logits, targets, weights, average_across_timesteps,
                                                 softmax_loss_function))
    if not average_across_batch:
        return cost
    return cost / M.cast(S.shape(convert_to_tensor(targets[0]))[0], cost.dtype)


def model_with_buckets(encoder_inputs: Sequence[TensorLike], decoder_inputs: Sequence[TensorLike],
                       targets: Sequence[TensorLike], weights: Sequence[TensorLike],
                       buckets: Sequence[tuple[int, int]], seq2seq: Callable[[list, list], tuple[list[Tensor], Any]],
                       softmax_loss_function: LossFunction | None = None, per_example_loss: bool = False,
                       name: str | None = None) -> tuple[list[list[Tensor]], list[Tensor]]:
    """``(outputs per bucket, loss per bucket)``."""
    if len(encoder_inputs) < buckets[-1][0]:
        raise ValueError(f"Length of encoder_inputs ({len(encoder_inputs)}) must be at least that of last bucket "
                         f"({buckets[-1][0]}).")
    if len(targets) < buckets[-1][1]:
        raise ValueError(f"Length of targets ({len(targets)}) must be at least that of last bucket ({buckets[-1][1]}).")
    if len(weights) < buckets[-1][1]:
        raise ValueError(f"Length of weights ({len(weights)}) must be at least that of last bucket ({buckets[-1][1]}).")
    outputs, losses = [], []
    for j, (enc_len, dec_len) in enumerate(buckets):
        with variable_scope(get_variable_scope(), reuse=True if j > 0 else None):
            bucket_outputs, _ = seq2seq(list(encoder_inputs[:enc_len]), list(decoder_inputs[:dec_len]))
            outputs.append(bucket_outputs)
            loss = sequence_loss_by_example if per_example_loss else sequence_loss
            losses.append(loss(bucket_outputs, targets[:dec_len], weights[:dec_len],
                               softmax_loss_function=softmax_loss_function))
    return outputs, losses
