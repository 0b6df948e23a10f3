"""``tf.contrib.rnn`` as TF 1.15 exports it: the core cells and runners of ``tf.nn``, the wrappers
that left core (``core_rnn_cell``), contrib's own cells (``rnn_cell``, ``ind_cells``,
``conv_lstm``, ``wrappers``), the block cells (``lstm_ops``, ``gru_ops``), fused cells (``fused_rnn_cell``) and
the stacked bidirectional runners (``rnn``). TF's internal module paths
(``tf.contrib.rnn.python.ops.rnn_cell``...) name the same modules (graphflow/public_paths.py)."""
from graphflow.tf1.contrib.rnn import core_rnn_cell, fused_rnn_cell, gru_ops, lstm_ops, rnn, rnn_cell
from graphflow.tf1.contrib.rnn.conv_lstm import Conv1DLSTMCell, Conv2DLSTMCell, Conv3DLSTMCell, ConvLSTMCell
from graphflow.tf1.contrib.rnn.core_rnn_cell import EmbeddingWrapper, InputProjectionWrapper, OutputProjectionWrapper
from graphflow.tf1.contrib.rnn.fused_rnn_cell import FusedRNNCell, FusedRNNCellAdaptor, TimeReversedFusedRNN
from graphflow.tf1.contrib.rnn.gru_ops import GRUBlockCell, GRUBlockCellV2
from graphflow.tf1.contrib.rnn.lstm_ops import LSTMBlockCell, LSTMBlockFusedCell, LSTMBlockWrapper
from graphflow.tf1.contrib.rnn.rnn import (
    best_effort_input_batch_size,
    stack_bidirectional_dynamic_rnn,
    stack_bidirectional_rnn,
    transpose_batch_time,
)
from graphflow.tf1.contrib.rnn.rnn_cell import (
    AttentionCellWrapper,
    CoupledInputForgetGateLSTMCell,
    GLSTMCell,
    HighwayWrapper,
    IndRNNCell,
    IndyGRUCell,
    IndyLSTMCell,
    IntersectionRNNCell,
    LayerNormBasicLSTMCell,
    NASCell,
    PhasedLSTMCell,
    SRUCell,
    UGRNNCell,
)
from graphflow.tf1.nn.rnn import static_bidirectional_rnn, static_rnn
from graphflow.tf1.nn.rnn_cell import (
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)

LayerRNNCell = RNNCell  # TF's base of the cells that build their variables on the first call: every cell here

__all__ = ["AttentionCellWrapper", "BasicLSTMCell", "BasicRNNCell", "Conv1DLSTMCell", "Conv2DLSTMCell",
           "Conv3DLSTMCell", "ConvLSTMCell", "CoupledInputForgetGateLSTMCell", "DeviceWrapper", "DropoutWrapper",
           "EmbeddingWrapper", "FusedRNNCell", "FusedRNNCellAdaptor", "GLSTMCell", "GRUBlockCell", "GRUBlockCellV2",
           "GRUCell", "HighwayWrapper", "IndRNNCell", "IndyGRUCell", "IndyLSTMCell", "InputProjectionWrapper",
           "IntersectionRNNCell", "LSTMBlockCell", "LSTMBlockFusedCell", "LSTMBlockWrapper", "LSTMCell",
           "LSTMStateTuple", "LayerNormBasicLSTMCell", "LayerRNNCell", "MultiRNNCell", "NASCell",
           "OutputProjectionWrapper", "PhasedLSTMCell", "RNNCell", "ResidualWrapper", "SRUCell",
           "TimeReversedFusedRNN", "UGRNNCell", "best_effort_input_batch_size", "core_rnn_cell", "fused_rnn_cell",
           "gru_ops", "lstm_ops", "rnn", "rnn_cell", "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn",
           "static_bidirectional_rnn", "static_rnn", "transpose_batch_time"]
