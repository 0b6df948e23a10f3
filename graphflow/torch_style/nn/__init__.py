"""``torch.nn``: the CamelCase modules (layers, activations, losses, recurrent and attention
modules) and ``functional``, PyTorch's F."""
# ruff: noqa: F401, E402, I001
from graphflow.torch_style.nn.modules import (CELU, ELU, GELU, GLU, SELU, Dropout, Flatten, Hardsigmoid, Hardswish,
                                              Hardtanh, Identity, LeakyReLU, Linear, LogSigmoid, LogSoftmax, Mish,
                                              Module, ModuleDict, ModuleList, PReLU, ReLU, ReLU6, Sequential, Sigmoid,
                                              SiLU, Softmax, Softplus, Softsign, Tanh)
from graphflow.torch_style.nn.loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
                                                   L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from graphflow.torch_style.nn.conv_modules import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,
                                                   AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, Bilinear, Conv1d,
                                                   Conv2d, ConvTranspose2d, Dropout1d, Dropout2d, Embedding, GroupNorm,
                                                   LayerNorm, MaxPool1d, MaxPool2d)
from graphflow.torch_style.nn.rnn_modules import GRU, LSTM, RNN
from graphflow.torch_style.nn.attention_modules import MultiheadAttention, TransformerEncoderLayer
from graphflow.torch_style.nn import functional, modules  # PyTorch's F; modules.set_default_dtype
