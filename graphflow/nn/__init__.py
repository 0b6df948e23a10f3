"""``gf.nn``: TF1's lowercase functions (activations, convolution and pooling, losses on logits,
normalisation, dropout, embeddings, recurrent runners; from ``graphflow.nn.nn_ops`` and the ops)
beside PyTorch's CamelCase modules; ``graphflow.nn.functional`` is PyTorch's functional API."""
from __future__ import annotations

from graphflow.nn import rnn_cell  # noqa: F401,E402
from graphflow.nn.attention_modules import MultiheadAttention, TransformerEncoderLayer  # noqa: F401,E402
from graphflow.nn.conv_modules import (  # noqa: F401,E402
                                  AdaptiveAvgPool2d,
                                  AvgPool2d,
                                  BatchNorm1d,
                                  BatchNorm2d,
                                  Bilinear,
                                  Conv1d,
                                  Conv2d,
                                  ConvTranspose2d,
                                  Dropout2d,
                                  Embedding,
                                  GroupNorm,
                                  LayerNorm,
                                  MaxPool1d,
                                  MaxPool2d,
)
from graphflow.nn.loss_modules import (  # noqa: F401,E402
                                  BCELoss,
                                  BCEWithLogitsLoss,
                                  CrossEntropyLoss,
                                  L1Loss,
                                  MSELoss,
                                  NLLLoss,
                                  SmoothL1Loss,
)
from graphflow.nn.modules import (  # noqa: F401,E402
                                  ELU,
                                  GELU,
                                  Dropout,
                                  Flatten,
                                  Identity,
                                  LeakyReLU,
                                  Linear,
                                  LogSoftmax,
                                  Module,
                                  ModuleDict,
                                  ModuleList,
                                  ReLU,
                                  Sequential,
                                  Sigmoid,
                                  Softmax,
                                  Tanh,
)
from graphflow.nn.nn_ops import *  # noqa: F401,F403
from graphflow.nn.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn, static_rnn  # noqa: F401,E402
from graphflow.nn.rnn_modules import GRU, LSTM, RNN  # noqa: F401,E402
from graphflow.nn.sampled import (  # noqa: F401
                                  log_uniform_candidate_sampler,
                                  nce_loss,
                                  sampled_softmax_loss,
                                  uniform_candidate_sampler,
)
from graphflow.ops.conv_ops import *  # noqa: F401,F403
from graphflow.ops.depthwise_ops import depthwise_conv2d, separable_conv2d  # noqa: F401
from graphflow.ops.math_ops import sigmoid, tanh  # noqa: F401
from graphflow.ops.sort_ops import top_k  # noqa: F401
from graphflow.nn import functional  # noqa: F401,E402  (PyTorch's F)
