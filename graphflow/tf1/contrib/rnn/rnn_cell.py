"""TF 1.15's ``contrib/rnn/python/ops/rnn_cell.py``: the contrib LSTM variants, with TF's variable
names, defaults and state structures (every state an ``LSTMStateTuple(c, h)`` or one tensor).

- LayerNormBasicLSTMCell: BasicLSTMCell's gates (``kernel``; ``bias`` only without layer norm),
  each of i, j, f, o and the new cell layer-normalised (``input``, ``transform``, ``forget``,
  ``output``, ``state``: ``gamma``/``beta``), dropout (``dropout_keep_prob``) on ``act(j)``.
- NASCell: the searched cell of Zoph & Le (2017): ``kernel`` (inputs) and ``recurrent_kernel``
  (state) to 8 branches, two layers of combinations, an optional projection
  (``projection_weights``) and recurrent bias (``bias``).
- UGRNNCell: ``g, c = split(W [x, h] + b)``; ``h = sigmoid(g + forget_bias) h + (1 - .) act(c)``.
- IntersectionRNNCell: a state passed through time and an output through depth, each gated
  (``in_projection/`` maps inputs to num_units when their depths differ).
- CoupledInputForgetGateLSTMCell: the input gate is ``1 - forget`` (``W_0``, ``B``; peepholes
  ``W_F_diag``, ``W_O_diag``; projection ``W_P_0``).
- PhasedLSTMCell (Neil et al. 2016): inputs ``(times [batch, 1], x)``; LSTM gates from
  ``mask_gates/`` (input, forget), ``new_input/``, ``output_gate/`` (peepholes feed c to the
  gates' kernels), then an oscillating time gate per unit (``period``, ``phase``, ``ratio_on``)
  opening the update: ``k`` rises and falls over the first ``ratio_on`` of each period and leaks
  (``leak``) otherwise. The cycle ratio keeps the cell's dtype (TF casts it to float32).
- GLSTMCell: the group LSTM of Kuchaiev & Ginsburg (2017): inputs and state split into
  ``number_of_groups`` slices, each with its own gates' kernel (``group<k>/kernel``), the gates
  concatenated with ``bias_i``, ``bias_j``, ``bias_f``, ``bias_o``; projection ``projection/kernel``.

The wrappers (HighwayWrapper, AttentionCellWrapper), the independently recurrent cells
(IndRNNCell, IndyGRUCell, IndyLSTMCell, SRUCell) and the convolutional LSTMs of the same TF
module live in ``wrappers.py``, ``ind_cells.py`` and ``conv_lstm.py`` and are re-exported here,
with the core cells TF1 code reaches through ``tf.contrib.rnn.rnn_cell``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops.activation_ops import relu
from graphflow.ops.array_ops import concat, split
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import bias_add, dropout, moments
from graphflow.ops.state_ops import random_uniform
from graphflow.ops.variables import (
    InitializerLike,
    VariableScope,
    _ReuseMode,
    constant_initializer,
    get_variable,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.contrib.rnn.conv_lstm import Conv1DLSTMCell, Conv2DLSTMCell, Conv3DLSTMCell, ConvLSTMCell
from graphflow.tf1.contrib.rnn.ind_cells import IndRNNCell, IndyGRUCell, IndyLSTMCell, SRUCell
from graphflow.tf1.contrib.rnn.wrappers import AttentionCellWrapper, HighwayWrapper
from graphflow.tf1.nn.rnn_cell import (
    Activation,
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
    RNNState,
    StateSize,
)

Reuse = bool | _ReuseMode | None


class LayerNorm:
    """contrib.layers.layer_norm over a [batch, n] value's last dim (epsilon 1e-12), its ``gamma``
    (``norm_gain``) and ``beta`` (``norm_shift``) made under ``scope`` in the current scope."""

    def __init__(self, cell: RNNCell, scope: str, n: int, dtype: DTypeLike, gain: float, shift: float) -> None:
        with variable_scope(scope):
            self.gamma = cell._variable("gamma", [n], dtype, constant_initializer(gain))
            self.beta = cell._variable("beta", [n], dtype, constant_initializer(shift))

    def __call__(self, x: Tensor) -> Tensor:
        mean, var = moments(x, [1], keep_dims=True)
        return (x - mean) * M.rsqrt(var + 1e-12) * self.gamma + self.beta


class LayerNormBasicLSTMCell(RNNCell):
    _default = "layer_norm_basic_lstm_cell"

    def __init__(self, num_units: int, forget_bias: float = 1.0, input_size: int | None = None,
                 activation: Activation | None = None, layer_norm: bool = True, norm_gain: float = 1.0,
                 norm_shift: float = 0.0, dropout_keep_prob: TensorLike = 1.0, dropout_prob_seed: int | None = None,
                 reuse: Reuse = None) -> None:
        super().__init__(reuse)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._activation = activation or M.tanh
        self._layer_norm = layer_norm
        self._gain, self._shift = norm_gain, norm_shift
        self._keep_prob = dropout_keep_prob
        self._seed = dropout_prob_seed

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._kernel = self._variable("kernel", [input_depth + n, 4 * n], dtype)
        if self._layer_norm:
            self._norms = {s: LayerNorm(self, s, n, dtype, self._gain, self._shift)
                           for s in ("input", "transform", "forget", "output", "state")}
        else:
            self._bias = self._variable("bias", [4 * n], dtype)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c, h = state  # type: ignore[misc]
        gates = matmul(concat([inputs, h], 1), self._kernel)
        if not self._layer_norm:
            gates = bias_add(gates, self._bias)
        i, j, f, o = split(gates, 4, 1)
        if self._layer_norm:
            i, j, f, o = (self._norms[s](g) for s, g in zip(("input", "transform", "forget", "output"), (i, j, f, o)))
        g = self._activation(j)
        if not isinstance(self._keep_prob, (int, float)) or self._keep_prob < 1:
            g = dropout(g, keep_prob=self._keep_prob, seed=self._seed)
        new_c = c * M.sigmoid(f + self._forget_bias) + M.sigmoid(i) * g
        if self._layer_norm:
            new_c = self._norms["state"](new_c)
        new_h = self._activation(new_c) * M.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)


class NASCell(RNNCell):
    _default = "nas_cell"

    def __init__(self, num_units: int, num_proj: int | None = None, use_biases: bool = False,
                 reuse: Reuse = None) -> None:
        super().__init__(reuse)
        self._num_units = int(num_units)
        self._num_proj = num_proj
        self._use_biases = use_biases

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_proj or self._num_units))
    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._w_m = self._variable("recurrent_kernel", [self._num_proj or n, 8 * n], dtype)
        self._w_i = self._variable("kernel", [input_depth, 8 * n], dtype)
        if self._use_biases:
            self._bias = self._variable("bias", [8 * n], dtype, zeros_initializer())
        if self._num_proj is not None:
            self._w_proj = self._variable("projection_weights", [n, self._num_proj], dtype)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c_prev, m_prev = state  # type: ignore[misc]
        m_mat = matmul(m_prev, self._w_m)
        if self._use_biases:
            m_mat = bias_add(m_mat, self._bias)
        m = split(m_mat, 8, 1)
        x = split(matmul(inputs, self._w_i), 8, 1)
        sig, tanh = M.sigmoid, M.tanh
        l1 = [sig(x[0] + m[0]), relu(x[1] + m[1]), sig(x[2] + m[2]), relu(x[3] * m[3]),
              tanh(x[4] + m[4]), sig(x[5] + m[5]), tanh(x[6] + m[6]), sig(x[7] + m[7])]
        l2_0 = tanh(tanh(l1[0] * l1[1]) + c_prev)
        l2_1 = tanh(l1[2] + l1[3])
        l2_2 = tanh(l1[4] * l1[5])
        l2_3 = sig(l1[6] + l1[7])
        new_c = l2_0 * l2_1
        new_m = tanh(new_c * tanh(l2_2 + l2_3))
        if self._num_proj is not None:
            new_m = matmul(new_m, self._w_proj)
        return new_m, LSTMStateTuple(new_c, new_m)


class UGRNNCell(RNNCell):
    _default = "ugrnn_cell"

    def __init__(self, num_units: int, initializer: InitializerLike | None = None, forget_bias: float = 1.0,
                 activation: Activation | None = None, reuse: Reuse = None) -> None:
        super().__init__(reuse)
        self._num_units = int(num_units)
        self._initializer = initializer
        self._forget_bias = forget_bias
        self._activation = activation or M.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._kernel = self._variable("kernel", [input_depth + n, 2 * n], dtype, self._initializer)
        self._bias = self._variable("bias", [2 * n], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        assert isinstance(state, Tensor)
        g_act, c_act = split(bias_add(matmul(concat([inputs, state], 1), self._kernel), self._bias), 2, 1)
        g = M.sigmoid(g_act + self._forget_bias)
        new = g * state + (1.0 - g) * self._activation(c_act)
        return new, new


class IntersectionRNNCell(RNNCell):
    _default = "intersection_rnn_cell"

    def __init__(self, num_units: int, num_in_proj: int | None = None, initializer: InitializerLike | None = None,
                 forget_bias: float = 1.0, y_activation: Activation | None = None, reuse: Reuse = None) -> None:
        super().__init__(reuse)
        self._num_units = int(num_units)
        self._num_in_proj = num_in_proj
        self._initializer = initializer
        self._forget_bias = forget_bias
        self._y_activation = y_activation or relu

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._in_proj = None
        if input_depth != n:
            if not self._num_in_proj:
                raise ValueError("Must have input size == output size for Intersection RNN. To fix, num_in_proj "
                                 "should be set to num_units at cell init "
                                 f"(inputs' depth {input_depth}, num_units {n})")
            with variable_scope("in_projection"):
                self._in_proj = (self._variable("kernel", [input_depth, n], dtype, self._initializer),
                                 self._variable("bias", [n], dtype, zeros_initializer()))
        self._kernel = self._variable("kernel", [2 * n, 4 * n], dtype, self._initializer)
        self._bias = self._variable("bias", [4 * n], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        assert isinstance(state, Tensor)
        if self._in_proj is not None:
            inputs = bias_add(matmul(inputs, self._in_proj[0]), self._in_proj[1])
        mat = bias_add(matmul(concat([inputs, state], 1), self._kernel), self._bias)
        gh_act, h_act, gy_act, y_act = split(mat, 4, 1)
        gh = M.sigmoid(gh_act + self._forget_bias)
        gy = M.sigmoid(gy_act + self._forget_bias)
        new_state = gh * state + (1.0 - gh) * M.tanh(h_act)
        new_y = gy * inputs + (1.0 - gy) * self._y_activation(y_act)
        return new_y, new_state


class CoupledInputForgetGateLSTMCell(RNNCell):
    _default = "coupled_input_forget_gate_lstm_cell"

    def __init__(self, num_units: int, use_peepholes: bool = False, initializer: InitializerLike | None = None,
                 num_proj: int | None = None, proj_clip: float | None = None, num_unit_shards: int = 1,
                 num_proj_shards: int = 1, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Activation | None = None, reuse: Reuse = None, layer_norm: bool = False,
                 norm_gain: float = 1.0, norm_shift: float = 0.0) -> None:
        super().__init__(reuse)
        if num_unit_shards != 1 or num_proj_shards != 1:
            raise ValueError("CoupledInputForgetGateLSTMCell: sharded weights (num_unit_shards, num_proj_shards "
                             f"other than 1) are not supported, got {num_unit_shards}, {num_proj_shards}")
        self._num_units = int(num_units)
        self._use_peepholes = use_peepholes
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or M.tanh
        self._layer_norm = layer_norm
        self._gain, self._shift = norm_gain, norm_shift

    @property
    def state_size(self) -> StateSize:
        out = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, out) if self._state_is_tuple else self._num_units + out

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._w = self._variable("W_0", [input_depth + (self._num_proj or n), 3 * n], dtype, self._initializer)
        self._b = self._variable("B", [3 * n], dtype, zeros_initializer())
        if self._layer_norm:
            self._norms = {s: LayerNorm(self, s, n, dtype, self._gain, self._shift)
                           for s in ("transform", "forget", "output", "state")}
        if self._use_peepholes:
            self._w_f = self._variable("W_F_diag", [n], dtype, self._initializer)
            self._w_o = self._variable("W_O_diag", [n], dtype, self._initializer)
        if self._num_proj is not None:
            self._w_p = self._variable("W_P_0", [n, self._num_proj], dtype, self._initializer)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        n = self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state  # type: ignore[misc]
        else:
            assert isinstance(state, Tensor)
            c_prev, m_prev = state[:, :n], state[:, n:]
        mat = matmul(concat([inputs, m_prev], 1), self._w)
        if not self._layer_norm:
            mat = bias_add(mat, self._b)
        j, f, o = split(mat, 3, 1)
        if self._layer_norm:
            j, f, o = (self._norms[s](g) for s, g in zip(("transform", "forget", "output"), (j, f, o)))
        f_act = M.sigmoid(f + self._forget_bias + (self._w_f * c_prev if self._use_peepholes else 0.0))
        c = f_act * c_prev + (1 - f_act) * self._activation(j)
        if self._layer_norm:
            c = self._norms["state"](c)
        m = M.sigmoid(o + (self._w_o * c if self._use_peepholes else 0.0)) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._w_p)
            if self._proj_clip is not None:
                m = M.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, (LSTMStateTuple(c, m) if self._state_is_tuple else concat([c, m], 1))


class PhasedLSTMCell(RNNCell):
    _default = "phased_lstm_cell"

    def __init__(self, num_units: int, use_peepholes: bool = False, leak: float = 0.001, ratio_on: float = 0.1,
                 trainable_ratio_on: bool = True, period_init_min: float = 1.0, period_init_max: float = 1000.0,
                 reuse: Reuse = None) -> None:
        super().__init__(reuse)
        self._num_units = int(num_units)
        self._use_peepholes = use_peepholes
        self._leak = leak
        self._ratio_on = ratio_on
        self._trainable_ratio_on = trainable_ratio_on
        self._period_range = (period_init_min, period_init_max)

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    def __call__(self, inputs: Sequence[TensorLike], state: RNNState,  # type: ignore[override]
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        times, x = (convert_to_tensor(v) for v in inputs)
        self.ensure_built(x.shape, x.dtype, scope)
        return self.call((times, x), state)  # type: ignore[arg-type]

    def _linear(self, scope: str, depth: int, size: int, dtype: DTypeLike) -> tuple[Tensor, Tensor]:
        with variable_scope(scope):
            return self._variable("kernel", [depth, size], dtype), \
                self._variable("bias", [size], dtype, zeros_initializer())

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        gates_in = input_depth + n + (n if self._use_peepholes else 0)
        self._mask = self._linear("mask_gates", gates_in, 2 * n, dtype)
        self._new_input = self._linear("new_input", input_depth + n, n, dtype)
        self._out_gate = self._linear("output_gate", gates_in, n, dtype)
        low, high = (math.log(v) for v in self._period_range)

        def exp_uniform(shape: Sequence[int], dtype: DTypeLike = dtype, partition_info: object = None) -> Tensor:
            return M.exp(random_uniform(shape, low, high, dtype))
        self._period = self._variable("period", [n], dtype, exp_uniform)
        period0 = self._period.initial_value  # type: ignore[attr-defined]

        def below_period(shape: Sequence[int], dtype: DTypeLike = dtype, partition_info: object = None) -> Tensor:
            return random_uniform(shape, 0.0, 1.0, dtype) * period0
        self._phase = self._variable("phase", [n], dtype, below_period)
        self._ratio = get_variable("ratio_on", [n], dtype=dtype, initializer=constant_initializer(self._ratio_on),
                                   trainable=self._trainable_ratio_on)
        if self._trainable_ratio_on:
            self.variables.append(self._ratio)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        times, x = inputs  # type: ignore[misc]
        c_prev, h_prev = state  # type: ignore[misc]
        peep = [c_prev] if self._use_peepholes else []
        gate, forget = split(M.sigmoid(bias_add(matmul(concat([x, h_prev] + peep, 1), self._mask[0]),
                                                self._mask[1])), 2, 1)
        new_input = M.tanh(bias_add(matmul(concat([x, h_prev], 1), self._new_input[0]), self._new_input[1]))
        new_c = c_prev * forget + gate * new_input
        peep = [new_c] if self._use_peepholes else []
        out_gate = M.sigmoid(bias_add(matmul(concat([x, h_prev] + peep, 1), self._out_gate[0]), self._out_gate[1]))
        new_h = M.tanh(new_c) * out_gate
        shifted = M.cast(times, new_c.dtype) - self._phase
        # TF's modulo passes the gradient to its first argument only
        cycle = (M.stop_gradient(M.floormod(shifted, self._period) - shifted) + shifted) / self._period
        k_up = 2 * cycle / self._ratio
        k = M.where(cycle < self._ratio, 2 - k_up, self._leak * cycle)
        k = M.where(cycle < 0.5 * self._ratio, k_up, k)
        new_c = k * new_c + (1 - k) * c_prev
        new_h = k * new_h + (1 - k) * h_prev
        return new_h, LSTMStateTuple(new_c, new_h)


class GLSTMCell(RNNCell):
    _default = "glstm_cell"

    def __init__(self, num_units: int, initializer: InitializerLike | None = None, num_proj: int | None = None,
                 number_of_groups: int = 1, forget_bias: float = 1.0, activation: Activation | None = None,
                 reuse: Reuse = None) -> None:
        super().__init__(reuse)
        if num_units % number_of_groups or (num_proj and num_proj % number_of_groups):
            raise ValueError(f"GLSTMCell: num_units ({num_units}) and num_proj ({num_proj}) must be divisible by "
                             f"number_of_groups ({number_of_groups})")
        self._num_units = int(num_units)
        self._initializer = initializer
        self._num_proj = num_proj
        self._groups = int(number_of_groups)
        self._forget_bias = forget_bias
        self._activation = activation or M.tanh

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_proj or self._num_units))
    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        g = self._groups
        if input_depth % g:
            raise ValueError(f"GLSTMCell: the inputs' depth ({input_depth}) must be divisible by number_of_groups "
                             f"({g})")
        self._in_group = input_depth // g
        self._out_group = (self._num_proj or self._num_units) // g
        unit_group = self._num_units // g
        self._kernels = []
        for k in range(g):
            with variable_scope(f"group{k}"):
                self._kernels.append(self._variable("kernel", [self._in_group + self._out_group, 4 * unit_group],
                                                    dtype, self._initializer))
        self._biases = [self._variable(f"bias_{b}", [self._num_units], dtype, zeros_initializer()) for b in "ijfo"]
        if self._num_proj is not None:
            with variable_scope("projection"):
                self._proj = self._variable("kernel", [self._num_units, self._num_proj], dtype, self._initializer)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c_prev, m_prev = state  # type: ignore[misc]
        assert isinstance(m_prev, Tensor)
        a, b = self._in_group, self._out_group
        parts: list[list[Tensor]] = [[], [], [], []]
        for k, kernel in enumerate(self._kernels):
            x = concat([inputs[:, k * a:(k + 1) * a], m_prev[:, k * b:(k + 1) * b]], 1)
            for gate, part in zip(parts, split(matmul(x, kernel), 4, 1)):
                gate.append(part)
        i, j, f, o = (bias_add(concat(p, 1), bias) for p, bias in zip(parts, self._biases))
        c = M.sigmoid(f + self._forget_bias) * c_prev + M.sigmoid(i) * M.tanh(j)
        m = M.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._proj)
        return m, LSTMStateTuple(c, m)


__all__ = ["AttentionCellWrapper", "BasicLSTMCell", "BasicRNNCell", "Conv1DLSTMCell", "Conv2DLSTMCell",
           "Conv3DLSTMCell", "ConvLSTMCell", "CoupledInputForgetGateLSTMCell", "DeviceWrapper", "DropoutWrapper",
           "GLSTMCell", "GRUCell", "HighwayWrapper", "IndRNNCell", "IndyGRUCell", "IndyLSTMCell",
           "IntersectionRNNCell", "LSTMCell", "LSTMStateTuple", "LayerNormBasicLSTMCell", "MultiRNNCell", "NASCell",
           "PhasedLSTMCell", "RNNCell", "ResidualWrapper", "SRUCell", "UGRNNCell"]
