"""``tf.nn``: TF1's lowercase functions (activations, convolution and pooling, losses on logits,
normalisation, dropout, embeddings; from ``graphflow.ops``), the recurrent cells and runners, and
the sampled losses."""
# ruff: noqa: F401, F403, E402, I001
from graphflow.ops.nn_ops import *
from graphflow.ops.conv_ops import *
from graphflow.ops.math_ops import sigmoid, tanh
from graphflow.ops.sort_ops import top_k
from graphflow.ops.depthwise_ops import depthwise_conv2d, separable_conv2d
from graphflow.tf1.nn.sampled import (log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss,
                                      uniform_candidate_sampler)
from graphflow.tf1.nn import rnn_cell
from graphflow.tf1.nn.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn, static_rnn
from graphflow.tf1.nn.raw_rnn import raw_rnn
