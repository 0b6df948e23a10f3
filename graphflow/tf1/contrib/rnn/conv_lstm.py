"""TF 1.15's convolutional LSTM cells (contrib ``rnn_cell.py``, Shi et al. 2015): BasicLSTMCell's
gates (i, j, f, o) from one "SAME" convolution of ``concat([inputs, h], -1)`` (``kernel``
kernel_shape + [in + out channels, 4 out channels], ``biases``), the state an
``LSTMStateTuple(c, h)`` of feature maps ``input_shape[:-1] + [output_channels]``; with
``skip_connection`` the inputs are concatenated to the output (not to the state's h, which TF 1.15
also extends, so that its second step fails on the channel count). Conv1D/2D/3DLSTMCell fix the
number of spatial dims."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike
from graphflow.ops import math_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, split
from graphflow.ops.conv_extras import convolution
from graphflow.ops.variables import InitializerLike, zeros_initializer
from graphflow.tf1.nn.rnn_cell import LSTMStateTuple, RNNCell, RNNState


class ConvLSTMCell(RNNCell):
    _default = "conv_lstm_cell"

    def __init__(self, conv_ndims: int, input_shape: Sequence[int], output_channels: int,
                 kernel_shape: Sequence[int], use_bias: bool = True, skip_connection: bool = False,
                 forget_bias: float = 1.0, initializers: InitializerLike | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if conv_ndims != len(input_shape) - 1:
            raise ValueError(f"Invalid input_shape {list(input_shape)} for conv_ndims={conv_ndims}: it should "
                             "list the spatial dims and the channels")
        self._ndims = conv_ndims
        self._input_shape = list(input_shape)
        self._channels = int(output_channels)
        self._kernel_shape = list(kernel_shape)
        self._use_bias = use_bias
        self._skip = skip_connection
        self._forget_bias = forget_bias
        self._initializer = initializers
        out = self._channels + (self._input_shape[-1] if skip_connection else 0)
        self._state_shape = TensorShape(self._input_shape[:-1] + [self._channels])
        self._output_shape = TensorShape(self._input_shape[:-1] + [out])

    state_size = property(lambda self: LSTMStateTuple(self._state_shape, self._state_shape))
    output_size = property(lambda self: self._output_shape)

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        def zeros() -> Tensor:
            return ST.zeros([batch_size] + self._state_shape.as_list(), dtype)  # type: ignore[operator]
        return LSTMStateTuple(zeros(), zeros())

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        depth = input_depth + self._channels
        self._kernel = self._variable("kernel", self._kernel_shape + [depth, 4 * self._channels], dtype,
                                      self._initializer)
        if self._use_bias:
            self._bias = self._variable("biases", [4 * self._channels], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c, h = state  # type: ignore[misc]
        gates = convolution(concat([inputs, h], self._ndims + 1), self._kernel, padding="SAME")
        if self._use_bias:
            gates = gates + self._bias
        i, j, f, o = split(gates, 4, self._ndims + 1)
        new_c = M.sigmoid(f + self._forget_bias) * c + M.sigmoid(i) * M.tanh(j)
        new_h = M.tanh(new_c) * M.sigmoid(o)
        out = concat([new_h, inputs], self._ndims + 1) if self._skip else new_h
        return out, LSTMStateTuple(new_c, new_h)


class Conv1DLSTMCell(ConvLSTMCell):
    _default = "conv_1d_lstm_cell"

    def __init__(self, name: str | None = None, **kwargs: object) -> None:
        super().__init__(conv_ndims=1, name=name, **kwargs)  # type: ignore[arg-type]


class Conv2DLSTMCell(ConvLSTMCell):
    _default = "conv_2d_lstm_cell"

    def __init__(self, name: str | None = None, **kwargs: object) -> None:
        super().__init__(conv_ndims=2, name=name, **kwargs)  # type: ignore[arg-type]


class Conv3DLSTMCell(ConvLSTMCell):
    _default = "conv_3d_lstm_cell"

    def __init__(self, name: str | None = None, **kwargs: object) -> None:
        super().__init__(conv_ndims=3, name=name, **kwargs)  # type: ignore[arg-type]


__all__ = ["Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell", "ConvLSTMCell"]
