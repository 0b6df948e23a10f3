"""``gf.nn``: TF1's lowercase functions (activations, convolution and pooling, losses on logits,
normalisation, dropout, embeddings, recurrent runners; from ``graphflow.nn.nn_ops`` and the ops)
beside PyTorch's CamelCase modules; ``graphflow.nn.functional`` is PyTorch's functional API."""
# ruff: noqa: F401, F403, E402, I001
from __future__ import annotations

from graphflow.nn.nn_ops import *
from graphflow.ops.conv_ops import *
from graphflow.ops.math_ops import sigmoid, tanh
from graphflow.ops.sort_ops import top_k
from graphflow.ops.depthwise_ops import depthwise_conv2d, separable_conv2d
from graphflow.nn.sampled import (log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss,
                                  uniform_candidate_sampler)
from graphflow.nn import rnn_cell
from graphflow.nn.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn, static_rnn
from graphflow.nn.modules import (CELU, ELU, GELU, GLU, SELU, Dropout, Flatten, Hardsigmoid, Hardswish, Hardtanh,
                                  Identity, LeakyReLU, Linear, LogSigmoid, LogSoftmax, Mish, Module, ModuleDict,
                                  ModuleList, PReLU, ReLU, ReLU6, Sequential, Sigmoid, SiLU, Softmax, Softplus,
                                  Softsign, Tanh)
from graphflow.nn.loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                                       MSELoss, NLLLoss, SmoothL1Loss)
from graphflow.nn.conv_modules import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,
                                       BatchNorm1d, BatchNorm2d, Bilinear, Conv1d, Conv2d, ConvTranspose2d, Dropout1d,
                                       Dropout2d, Embedding, GroupNorm, LayerNorm, MaxPool1d, MaxPool2d)
from graphflow.nn.rnn_modules import GRU, LSTM, RNN
from graphflow.nn.attention_modules import MultiheadAttention, TransformerEncoderLayer
from graphflow.nn import functional  # PyTorch's F
