"""``tf.contrib.training`` (TF 1.15): ``HParams`` and its ``parse_values``, ``create_train_op`` and
its gradient transformations, and the checkpoint polling an evaluation loop uses. Its queue-based
batching (``bucket_by_sequence_length``, ``batch_sequences_with_states``, the resamplers) is not
here (issue 24: queues); slim's training loop is ``tf.contrib.slim.learning``."""
from graphflow.tf1.contrib.training.hparam import HParams, parse_values
from graphflow.tf1.contrib.training.training import (
    add_gradients_summaries,
    clip_gradient_norms,
    create_train_op,
    multiply_gradients,
)
from graphflow.tf1.train.checkpoint_utils import checkpoints_iterator

__all__ = ["HParams", "add_gradients_summaries", "checkpoints_iterator", "clip_gradient_norms", "create_train_op",
           "multiply_gradients", "parse_values"]
