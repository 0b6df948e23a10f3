"""TF 1.15's contrib wrappers of ``rnn_cell.py``.

- HighwayWrapper: ``out = x carry + cell(x) transform``, ``carry = sigmoid(x W_c + b_c)``
  (``carry_w``, ``carry_b`` at carry_bias_init) and ``transform = 1 - carry`` unless the gates are
  uncoupled (``transform_w``, ``transform_b`` at -carry_bias_init). It opens no scope of its own:
  its variables sit beside the wrapped cell's scope.
- AttentionCellWrapper: attention over the cell's last ``attn_length`` outputs (Bahdanau-style,
  Vinyals et al. 2015): the state is ``(cell state, attns, attn_states)``; the inputs are first
  mixed with the last attention read (``kernel``/``bias``), the new state (flattened) queries the
  window (``attention/attn_w``, ``attn_v``, ``attention/kernel``), and the output is
  ``attn_output_projection`` of the cell's output and the read, which also enters the window.
"""
from __future__ import annotations

import contextlib

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat
from graphflow.ops.func_graph import flatten
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import softmax, xw_plus_b
from graphflow.ops.variables import VariableScope, constant_initializer, get_variable, variable_scope
from graphflow.tf1.contrib.rnn.core_rnn_cell import Linear, ScopedWrapper
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState, StateSize, _Wrapper


class HighwayWrapper(_Wrapper):
    def __init__(self, cell: RNNCell, couple_carry_transform_gates: bool = True, carry_bias_init: float = 1.0) -> None:
        super().__init__(cell)
        self._couple = couple_carry_transform_gates
        self._carry_bias_init = carry_bias_init
        self._gates: list[Tensor] | None = None

    def _make_gates(self, depth: int, dtype: DTypeLike) -> list[Tensor]:
        b = self._carry_bias_init
        gates: list[Tensor] = [get_variable("carry_w", [depth, depth], dtype=dtype),
                 get_variable("carry_b", [depth], dtype=dtype, initializer=constant_initializer(b))]
        if not self._couple:
            gates += [get_variable("transform_w", [depth, depth], dtype=dtype),
                      get_variable("transform_b", [depth], dtype=dtype, initializer=constant_initializer(-b))]
        return gates

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = convert_to_tensor(inputs)
        out, new = self._cell(x, state, scope)
        if not out.shape.is_compatible_with(x.shape):
            raise ValueError(f"HighwayWrapper: the cell's output {out.shape} must match its inputs' shape {x.shape}")
        if self._gates is None:
            self._gates = self._make_gates(int(x.shape.as_list()[1]), x.dtype)
        carry = M.sigmoid(xw_plus_b(x, self._gates[0], self._gates[1]))
        transform = 1 - carry if self._couple else M.sigmoid(xw_plus_b(x, self._gates[2], self._gates[3]))
        return x * carry + out * transform, new

    @property
    def trainable_variables(self) -> list[Tensor]:
        return self._cell.trainable_variables + list(self._gates or [])


class AttentionCellWrapper(ScopedWrapper):
    _default = "attention_cell_wrapper"

    def __init__(self, cell: RNNCell, attn_length: int, attn_size: int | None = None,
                 attn_vec_size: int | None = None, input_size: int | None = None, state_is_tuple: bool = True,
                 reuse: object = None) -> None:
        super().__init__(cell, reuse)
        if attn_length <= 0:
            raise ValueError(f"AttentionCellWrapper: attn_length should be greater than zero, got {attn_length}")
        if not state_is_tuple and isinstance(cell.state_size, tuple):
            raise ValueError("AttentionCellWrapper: a cell whose state is a tuple needs state_is_tuple=True, "
                             f"got state_is_tuple=False with state_size {cell.state_size}")
        self._attn_length = int(attn_length)
        self._attn_size = int(attn_size if attn_size is not None else cell.output_size)
        self._attn_vec_size = int(attn_vec_size if attn_vec_size is not None else self._attn_size)
        self._input_size = input_size
        self._state_is_tuple = state_is_tuple
        self._layers: dict[str, Linear] = {}

    @property
    def state_size(self) -> StateSize:
        size = (self._cell.state_size, self._attn_size, self._attn_size * self._attn_length)
        return size if self._state_is_tuple else sum(flatten(size))  # type: ignore[arg-type]

    output_size = property(lambda self: self._attn_size)

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        parts = (self._cell.zero_state(batch_size, dtype), ST.zeros([batch_size, self._attn_size], dtype),
                 ST.zeros([batch_size, self._attn_size * self._attn_length], dtype))
        return parts if self._state_is_tuple else concat(flatten(parts), 1)  # type: ignore[arg-type]

    def _layer(self, key: str, args: list[Tensor], size: int) -> Linear:
        if key not in self._layers:
            self._layers[key] = self._own(Linear(args, size, True))
        return self._layers[key]

    def step(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        a = self._attn_size
        if self._state_is_tuple:
            cell_state, attns, attn_states = state  # type: ignore[misc]
        else:
            assert isinstance(state, Tensor)
            cell_size = int(self._cell.state_size)  # type: ignore[arg-type]
            cell_state, attns = state[:, :cell_size], state[:, cell_size:cell_size + a]
            attn_states = state[:, cell_size + a:]
        attn_states = S.reshape(attn_states, [-1, self._attn_length, a])
        input_size = self._input_size or int(inputs.shape.as_list()[1])
        inputs = self._layer("input", [inputs, attns], input_size)([inputs, attns])  # type: ignore[list-item]
        cell_output, new_state = self._cell(inputs, cell_state)
        new_state_cat = concat(flatten(new_state), 1) if self._state_is_tuple else new_state
        assert isinstance(new_state_cat, Tensor)
        new_attns, new_attn_states = self._attention(new_state_cat, attn_states)
        with variable_scope("attn_output_projection") if "output" not in self._layers else contextlib.nullcontext():
            output = self._layer("output", [cell_output, new_attns], a)([cell_output, new_attns])
        window = concat([new_attn_states, S.expand_dims(output, 1)], 1)
        window = S.reshape(window, [-1, self._attn_length * a])
        new = (new_state, new_attns, window)
        return output, (new if self._state_is_tuple else concat(flatten(new), 1))  # type: ignore[arg-type]

    def _attention(self, query: Tensor, attn_states: Tensor) -> tuple[Tensor, Tensor]:
        a, v_size, n = self._attn_size, self._attn_vec_size, self._attn_length
        with variable_scope("attention") if "query" not in self._layers else contextlib.nullcontext():
            if "query" not in self._layers:
                self._attn_w = get_variable("attn_w", [1, 1, a, v_size], dtype=query.dtype)
                self._attn_v = get_variable("attn_v", [v_size], dtype=query.dtype)
                self.variables.extend([self._attn_w, self._attn_v])
            y = self._layer("query", [query], v_size)([query])
        # the window's features: TF's 1x1 conv2d over [batch, length, 1, a], as one matmul
        features = S.reshape(matmul(S.reshape(attn_states, [-1, a]), S.reshape(self._attn_w, [a, v_size])),
                             [-1, n, v_size])
        s = R.reduce_sum(self._attn_v * M.tanh(features + S.expand_dims(y, 1)), [2])
        weights = softmax(s)
        new_attns = R.reduce_sum(S.expand_dims(weights, 2) * attn_states, [1])
        return new_attns, attn_states[:, 1:]

