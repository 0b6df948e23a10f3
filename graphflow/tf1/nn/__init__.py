"""``tf.nn``: TF1's lowercase functions (activations, convolution and pooling, losses on logits,
normalisation, dropout, embeddings; from ``graphflow.ops``), the recurrent cells and runners, and
the sampled losses."""
# ruff: noqa: F401, F403, E402, I001
from graphflow.ops.nn_ops import *
from graphflow.ops.conv_ops import *
from graphflow.ops.math_ops import sigmoid, tanh
from graphflow.ops.sort_ops import top_k
from graphflow.ops.sparse_embedding import embedding_lookup_sparse, safe_embedding_lookup_sparse
from graphflow.ops.depthwise_ops import depthwise_conv2d, separable_conv2d
from graphflow.ops.nn_extras import *
from graphflow.ops.conv_extras import *
from graphflow.ops.pool_extras import *
from graphflow.ops.space_batch_ops import space_to_batch, with_space_to_batch
from graphflow.ops.array_extras import depth_to_space, space_to_depth
from graphflow.tf1.nn.sampled import (log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss,
                                      uniform_candidate_sampler)
from graphflow.tf1.nn.candidate_samplers import (all_candidate_sampler, compute_accidental_hits,
                                                  fixed_unigram_candidate_sampler)
from graphflow.ops.ctc_label_ops import collapse_repeated, ctc_unique_labels
from graphflow.tf1.nn.ctc_ops import (ctc_beam_search_decoder, ctc_beam_search_decoder_v2, ctc_greedy_decoder, ctc_loss,
                                  ctc_loss_v2)
from graphflow.tf1.nn import rnn_cell
from graphflow.tf1.nn.rnn import bidirectional_dynamic_rnn, dynamic_rnn, raw_rnn, static_bidirectional_rnn, static_rnn
