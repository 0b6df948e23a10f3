"""TF 1.15's independently recurrent cells (contrib ``rnn_cell.py``): each unit sees only its own
previous state, through an element-wise recurrent weight instead of a matrix.

- IndRNNCell: ``h = act(x W + h * u + b)`` (``input_kernel``, ``recurrent_kernel`` [num_units],
  ``bias``; |u| clipped to ``recurrent_min_abs`` / ``recurrent_max_abs``; relu by default).
- IndyGRUCell: GRUCell with ``gates/kernel_w``, ``gates/kernel_u`` [1, 2n], ``gates/bias``,
  ``candidate/kernel``, ``candidate/kernel_u`` [1, n], ``candidate/bias``.
- IndyLSTMCell: BasicLSTMCell's gates from ``kernel_w`` and ``kernel_u`` [1, 4n], ``bias``.
- SRUCell: ``x_bar, f, r, x_tx = split(x W)``; ``c = f c + (1 - f) x_bar``,
  ``h = r act(c) + (1 - r) x_tx`` (``kernel``, ``bias`` [2n] on f and r).
"""
from __future__ import annotations

from graphflow.core.ir import Tensor
from graphflow.core.types import DTypeLike
from graphflow.ops import math_ops as M
from graphflow.ops.activation_ops import relu
from graphflow.ops.array_ops import concat, split, tile
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import bias_add
from graphflow.ops.variables import (
    InitializerLike,
    _ReuseMode,
    constant_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.nn.rnn_cell import Activation, LSTMStateTuple, RNNCell, RNNState

Reuse = bool | _ReuseMode | None


class IndRNNCell(RNNCell):
    _default = "ind_rnn_cell"

    def __init__(self, num_units: int, recurrent_min_abs: float = 0, recurrent_max_abs: float | None = None,
                 recurrent_kernel_initializer: InitializerLike | None = None,
                 input_kernel_initializer: InitializerLike | None = None, activation: Activation | None = None,
                 reuse: Reuse = None, name: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._min_abs, self._max_abs = recurrent_min_abs, recurrent_max_abs
        self._recurrent_init = recurrent_kernel_initializer or constant_initializer(1.0)
        self._input_init = input_kernel_initializer or random_normal_initializer(mean=0.0, stddev=0.001)
        self._activation = activation or relu

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._input_kernel = self._variable("input_kernel", [input_depth, n], dtype, self._input_init)
        u = self._variable("recurrent_kernel", [n], dtype, self._recurrent_init)
        if self._min_abs:
            u = M.sign(u) * M.maximum(M.abs(u), self._min_abs)
        if self._max_abs:
            u = M.clip_by_value(u, -self._max_abs, self._max_abs)
        self._recurrent = u
        self._bias = self._variable("bias", [n], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        assert isinstance(state, Tensor)
        out = self._activation(bias_add(matmul(inputs, self._input_kernel) + state * self._recurrent, self._bias))
        return out, out


class IndyGRUCell(RNNCell):
    _default = "indy_gru_cell"

    def __init__(self, num_units: int, activation: Activation | None = None, reuse: Reuse = None,
                 kernel_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
                 name: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._activation = activation or M.tanh
        self._kernel_init = kernel_initializer
        self._bias_init = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        uniform = random_uniform_initializer(-1, 1)
        with variable_scope("gates"):
            self._gate_w = self._variable("kernel_w", [input_depth, 2 * n], dtype, self._kernel_init)
            self._gate_u = self._variable("kernel_u", [1, 2 * n], dtype, uniform)
            self._gate_b = self._variable("bias", [2 * n], dtype, self._bias_init or constant_initializer(1.0))
        with variable_scope("candidate"):
            self._cand_w = self._variable("kernel", [input_depth, n], dtype, self._kernel_init)
            self._cand_u = self._variable("kernel_u", [1, n], dtype, uniform)
            self._cand_b = self._variable("bias", [n], dtype, self._bias_init or zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        assert isinstance(state, Tensor)
        gates = bias_add(matmul(inputs, self._gate_w) + tile(state, [1, 2]) * self._gate_u, self._gate_b)
        r, u = split(M.sigmoid(gates), 2, 1)
        cand = bias_add(matmul(inputs, self._cand_w) + r * state * self._cand_u, self._cand_b)
        new_h = u * state + (1 - u) * self._activation(cand)
        return new_h, new_h


class IndyLSTMCell(RNNCell):
    _default = "indy_lstm_cell"

    def __init__(self, num_units: int, forget_bias: float = 1.0, activation: Activation | None = None,
                 reuse: Reuse = None, kernel_initializer: InitializerLike | None = None,
                 bias_initializer: InitializerLike | None = None, name: str | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._activation = activation or M.tanh
        self._kernel_init = kernel_initializer
        self._bias_init = bias_initializer

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._w = self._variable("kernel_w", [input_depth, 4 * n], dtype, self._kernel_init)
        self._u = self._variable("kernel_u", [1, 4 * n], dtype, random_uniform_initializer(-1, 1))
        self._b = self._variable("bias", [4 * n], dtype, self._bias_init or zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c, h = state  # type: ignore[misc]
        gates = bias_add(matmul(inputs, self._w) + tile(h, [1, 4]) * self._u, self._b)
        i, j, f, o = split(gates, 4, 1)
        new_c = c * M.sigmoid(f + self._forget_bias) + M.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * M.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)


class SRUCell(RNNCell):
    _default = "sru_cell"

    def __init__(self, num_units: int, activation: Activation | None = None, reuse: Reuse = None,
                 name: str | None = None, **kwargs: object) -> None:
        super().__init__(reuse, name, kwargs.get("dtype"))  # type: ignore[arg-type]
        self._num_units = int(num_units)
        self._activation = activation or M.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._kernel = self._variable("kernel", [input_depth, 4 * n], dtype)
        self._bias = self._variable("bias", [2 * n], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        assert isinstance(state, Tensor)
        x_bar, f_pre, r_pre, x_tx = split(matmul(inputs, self._kernel), 4, 1)
        f, r = split(M.sigmoid(bias_add(concat([f_pre, r_pre], 1), self._bias)), 2, 1)
        c = f * state + (1.0 - f) * x_bar
        h = r * self._activation(c) + (1.0 - r) * x_tx
        return h, c
