"""TF1's recurrent cells (``tf.nn.rnn_cell``, ``tf.contrib.rnn``) with TF1's gate order, variable
names and layouts: a cell makes ``<scope>/<cell name>/kernel`` and ``bias`` on its first call
(under ``rnn/`` in ``static_rnn`` / ``dynamic_rnn``) and reuses them on every later call.

- BasicRNNCell: ``h = act(W [x, h] + b)``.
- BasicLSTMCell / LSTMCell: ``i, j, f, o = split(W [x, h] + b, 4)``,
  ``c = c sigmoid(f + forget_bias) + sigmoid(i) act(j)``, ``h = act(c) sigmoid(o)``; LSTMCell adds
  peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``), ``cell_clip``, a projection
  (``projection/kernel``) and ``proj_clip``.
- GRUCell: ``r, u = split(sigmoid(W_g [x, h] + b_g), 2)`` (``gates/``, bias initialised to 1),
  ``c = act(W_c [x, r h] + b_c)`` (``candidate/``), ``h = u h + (1 - u) c``.
"""
from __future__ import annotations

import contextlib
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Union

from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, split
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import bias_add, dropout
from graphflow.ops.variables import (
    InitializerLike,
    VariableScope,
    _ReuseMode,
    constant_initializer,
    get_variable,
    variable_scope,
    zeros_initializer,
)

LSTMStateTuple = namedtuple("LSTMStateTuple", ["c", "h"])
LSTMStateTuple.dtype = property(lambda self: self.c.dtype)  # type: ignore[attr-defined]

# a cell's state: one tensor, or a tuple of states (an LSTMStateTuple, a MultiRNNCell's states)
RNNState = Union[Tensor, tuple["RNNState", ...]]
# the sizes of a state's parts, nested as the state is
StateSize = Union[int, tuple["StateSize", ...]]
# a cell's activation: a tensor in, a tensor out
Activation = Callable[[Tensor], Tensor]
# one step of a projected cell (RNNCell.projected): (the step's input share, state) -> (output, state)
StepFn = Callable[[Tensor, RNNState], tuple[Tensor, RNNState]]


class RNNCell:
    """The cell interface: ``output, new_state = cell(inputs, state)``; ``state_size``,
    ``output_size``, ``zero_state(batch_size, dtype)``."""

    _default = "rnn_cell"

    def __init__(self, reuse: bool | _ReuseMode | None = None, name: str | None = None, dtype: DTypeLike | None = None,
                 **kwargs: object) -> None:
        self._reuse = reuse
        self._name = name
        self._dtype = dtype
        self._built = False
        self.variables: list[Tensor] = []

    @property
    def state_size(self) -> StateSize:
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        raise NotImplementedError

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        self._built = True

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        raise NotImplementedError

    def _variable(self, name: str, shape: Sequence[int], dtype: DTypeLike,
                  initializer: InitializerLike | None = None) -> Tensor:
        v = get_variable(name, list(shape), dtype=dtype, initializer=initializer)
        self.variables.append(v)
        return v

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = convert_to_tensor(inputs)
        self.ensure_built(x.shape, x.dtype, scope)
        return self.call(x, state)

    def ensure_built(self, shape: TensorShape, dtype: DTypeLike, scope: str | VariableScope | None = None) -> None:
        """Create the cell's variables for inputs of ``shape`` and ``dtype`` (as the first call
        does), if not yet."""
        if self._built:
            return
        depth = shape.as_list()[-1] if shape.rank else None
        if depth is None:
            raise ValueError(f"{type(self).__name__}: the inputs' last dim must be known, got {shape}")
        with variable_scope(scope if scope is not None else self._name, default_name=self._default,
                            reuse=self._reuse):
            self.build(depth, self._dtype or dtype)
        self._built = True

    @property
    def projects(self) -> bool:
        """Whether ``projected`` splits this cell: a cell class that defines it, not a wrapper
        or stack, nor a subclass with a ``call`` of its own."""
        return False

    def projected(self, rows: Tensor) -> tuple[Tensor, StepFn]:
        """The cell split as PyTorch runs recurrent layers, where ``projects``: ``(xw, step)``,
        ``xw`` the inputs' share of the pre-activations for all ``rows`` ([steps * batch, depth]:
        one GEMM; the bias is added in the step, where the state's share joins it) and
        ``step(xw_t, state)`` the rest of one call given a step's rows of ``xw``. Builds the cell
        if needed; the weights' slices are taken here, outside any loop."""
        raise NotImplementedError(f"{type(self).__name__} has no projected form")

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        """Zeros of ``state_size`` for ``batch_size`` rows (an int or a scalar tensor)."""
        def zeros(size: int) -> Tensor:
            return ST.zeros([batch_size, size], dtype)
        return _map_structure(zeros, self.state_size)

    @property
    def trainable_variables(self) -> list[Tensor]:
        return list(self.variables)

    trainable_weights = trainable_variables
    weights = trainable_variables


def _plain_call(cell: RNNCell) -> bool:
    """The cell is called through ``RNNCell.__call__`` (a subclass may wrap the call itself)."""
    return type(cell).__call__ is RNNCell.__call__


def _input_rows(kernel: Tensor, recurrent: int) -> tuple[Tensor, Tensor]:
    """A ``concat([inputs, state]) @ kernel`` kernel as its inputs' rows and its state's rows."""
    depth = int(kernel.shape.as_list()[0]) - recurrent
    return kernel[:depth], kernel[depth:]


def _map_structure(fn: Callable[..., Tensor], s: StateSize | RNNState) -> RNNState:
    if isinstance(s, (int, Tensor)) or not isinstance(s, (list, tuple)):
        return fn(s)
    return pack_as(s, [fn(x) for x in flatten(s)])


def _act(activation: Activation | None) -> Activation:
    return activation if activation is not None else M.tanh


class BasicRNNCell(RNNCell):
    _default = "basic_rnn_cell"

    def __init__(self, num_units: int, activation: Activation | None = None, reuse: bool | _ReuseMode | None = None,
                 name: str | None = None, dtype: DTypeLike | None = None, **kwargs: object) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._activation = _act(activation)

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        self._kernel = self._variable("kernel", [input_depth + self._num_units, self._num_units], dtype)
        self._bias = self._variable("bias", [self._num_units], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        out = self._activation(bias_add(matmul(concat([inputs, state], 1), self._kernel), self._bias))
        return out, out

    projects = property(lambda self: type(self).call is BasicRNNCell.call and _plain_call(self))

    def projected(self, rows: Tensor) -> tuple[Tensor, StepFn]:
        self.ensure_built(rows.shape, rows.dtype)
        w_x, w_h = _input_rows(self._kernel, self._num_units)

        def step(xw: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
            out = self._activation(bias_add(xw + matmul(state, w_h), self._bias))  # type: ignore[arg-type]
            return out, out
        return matmul(rows, w_x), step


class BasicLSTMCell(RNNCell):
    _default = "basic_lstm_cell"

    def __init__(self, num_units: int, forget_bias: float = 1.0, state_is_tuple: bool = True,
                 activation: Activation | None = None, reuse: bool | _ReuseMode | None = None, name: str | None = None,
                 dtype: DTypeLike | None = None, **kwargs: object) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _act(activation)

    @property
    def state_size(self) -> StateSize:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._kernel = self._variable("kernel", [input_depth + n, 4 * n], dtype)
        self._bias = self._variable("bias", [4 * n], dtype, zeros_initializer())

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c, h = state if self._state_is_tuple else split(state, 2, 1)
        return self._update(bias_add(matmul(concat([inputs, h], 1), self._kernel), self._bias), c)

    projects = property(lambda self: type(self).call is BasicLSTMCell.call and _plain_call(self))

    def projected(self, rows: Tensor) -> tuple[Tensor, StepFn]:
        self.ensure_built(rows.shape, rows.dtype)
        w_x, w_h = _input_rows(self._kernel, self._num_units)

        def step(xw: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
            c, h = state if self._state_is_tuple else split(state, 2, 1)  # type: ignore[misc]
            return self._update(bias_add(xw + matmul(h, w_h), self._bias), c)
        return matmul(rows, w_x), step

    def _update(self, gates: Tensor, c: Tensor) -> tuple[Tensor, RNNState]:
        i, j, f, o = split(gates, 4, 1)
        new_c = c * M.sigmoid(f + self._forget_bias) + M.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * M.sigmoid(o)
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(RNNCell):
    _default = "lstm_cell"

    def __init__(self, num_units: int, use_peepholes: bool = False, cell_clip: float | None = None,
                 initializer: InitializerLike | None = None, num_proj: int | None = None,
                 proj_clip: float | None = None, num_unit_shards: int | None = None, num_proj_shards: int | None = None,
                 forget_bias: float = 1.0, state_is_tuple: bool = True, activation: Activation | None = None,
                 reuse: bool | _ReuseMode | None = None, name: str | None = None, dtype: DTypeLike | None = None,
                 **kwargs: object) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _act(activation)

    @property
    def state_size(self) -> StateSize:
        out = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, out) if self._state_is_tuple else self._num_units + out

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        h = self._num_proj or n
        self._kernel = self._variable("kernel", [input_depth + h, 4 * n], dtype, self._initializer)
        self._bias = self._variable("bias", [4 * n], dtype, zeros_initializer())
        if self._use_peepholes:
            self._w_f = self._variable("w_f_diag", [n], dtype, self._initializer)
            self._w_i = self._variable("w_i_diag", [n], dtype, self._initializer)
            self._w_o = self._variable("w_o_diag", [n], dtype, self._initializer)
        if self._num_proj is not None:
            with variable_scope("projection"):
                self._proj = self._variable("kernel", [n, self._num_proj], dtype, self._initializer)

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        c_prev, m_prev = self._parts(state)
        return self._update(bias_add(matmul(concat([inputs, m_prev], 1), self._kernel), self._bias), c_prev)

    projects = property(lambda self: type(self).call is LSTMCell.call and _plain_call(self))

    def projected(self, rows: Tensor) -> tuple[Tensor, StepFn]:
        self.ensure_built(rows.shape, rows.dtype)
        w_x, w_h = _input_rows(self._kernel, self._num_proj or self._num_units)

        def step(xw: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
            c_prev, m_prev = self._parts(state)
            return self._update(bias_add(xw + matmul(m_prev, w_h), self._bias), c_prev)
        return matmul(rows, w_x), step

    def _parts(self, state: RNNState) -> tuple[Tensor, Tensor]:
        n = self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state  # type: ignore[misc]
            return c_prev, m_prev
        return state[:, :n], state[:, n:]  # type: ignore[index]

    def _update(self, lstm: Tensor, c_prev: Tensor) -> tuple[Tensor, RNNState]:
        i, j, f, o = split(lstm, 4, 1)
        fb = self._forget_bias
        if self._use_peepholes:
            c = (M.sigmoid(f + fb + self._w_f * c_prev) * c_prev
                 + M.sigmoid(i + self._w_i * c_prev) * self._activation(j))
        else:
            c = M.sigmoid(f + fb) * c_prev + M.sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = M.clip_by_value(c, -self._cell_clip, self._cell_clip)
        m = M.sigmoid(o + self._w_o * c) * self._activation(c) if self._use_peepholes else \
            M.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul(m, self._proj)
            if self._proj_clip is not None:
                m = M.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else concat([c, m], 1)
        return m, new_state


class GRUCell(RNNCell):
    _default = "gru_cell"

    def __init__(self, num_units: int, activation: Activation | None = None, reuse: bool | _ReuseMode | None = None,
                 kernel_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
                 name: str | None = None, dtype: DTypeLike | None = None, **kwargs: object) -> None:
        super().__init__(reuse, name, dtype)
        self._num_units = int(num_units)
        self._activation = _act(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        with variable_scope("gates"):
            self._gate_kernel = self._variable("kernel", [input_depth + n, 2 * n], dtype, self._kernel_initializer)
            self._gate_bias = self._variable("bias", [2 * n], dtype,
                                             self._bias_initializer or constant_initializer(1.0))
        with variable_scope("candidate"):
            self._cand_kernel = self._variable("kernel", [input_depth + n, n], dtype, self._kernel_initializer)
            self._cand_bias = self._variable("bias", [n], dtype, self._bias_initializer or zeros_initializer())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        value = M.sigmoid(bias_add(matmul(concat([inputs, state], 1), self._gate_kernel), self._gate_bias))
        r, u = split(value, 2, 1)
        cand = self._activation(bias_add(matmul(concat([inputs, r * state], 1), self._cand_kernel), self._cand_bias))
        new_h = u * state + (1 - u) * cand
        return new_h, new_h

    projects = property(lambda self: type(self).call is GRUCell.call and _plain_call(self))

    def projected(self, rows: Tensor) -> tuple[Tensor, StepFn]:
        self.ensure_built(rows.shape, rows.dtype)
        n = self._num_units
        g_x, g_h = _input_rows(self._gate_kernel, n)
        c_x, c_h = _input_rows(self._cand_kernel, n)

        def step(xw: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
            h: Tensor = state  # type: ignore[assignment]
            x_gates, x_cand = split(xw, [2 * n, n], 1)
            r, u = split(M.sigmoid(bias_add(x_gates + matmul(h, g_h), self._gate_bias)), 2, 1)
            new_h = u * h + (1 - u) * self._activation(bias_add(x_cand + matmul(r * h, c_h), self._cand_bias))
            return new_h, new_h
        return matmul(rows, concat([g_x, c_x], 1)), step


class MultiRNNCell(RNNCell):
    """Cells stacked: the output of cell k is the input of cell k + 1 (``cell_<k>`` scopes)."""

    _default = "multi_rnn_cell"

    def __init__(self, cells: Sequence[RNNCell], state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise ValueError("MultiRNNCell needs at least one cell")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self) -> StateSize:
        sizes = tuple(c.state_size for c in self._cells)
        return sizes if self._state_is_tuple else sum(flatten(sizes))

    output_size = property(lambda self: self._cells[-1].output_size)

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        return tuple(c.zero_state(batch_size, dtype) for c in self._cells)

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = convert_to_tensor(inputs)
        with variable_scope(scope if scope is not None else self._name, default_name=self._default) \
                if not self._built else contextlib.nullcontext():
            out, new = self._run(x, state)
        self._built = True
        return out, new

    def _run(self, x: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        states = list(state) if self._state_is_tuple else None
        new_states = []
        cur = x
        offset = 0
        for k, cell in enumerate(self._cells):
            if states is not None:
                s = states[k]
            else:
                size = sum(flatten(cell.state_size)) if isinstance(cell.state_size, tuple) else cell.state_size
                s = state[:, offset:offset + size]
                offset += size
            with variable_scope(f"cell_{k}") if not cell._built else contextlib.nullcontext():
                cur, ns = cell(cur, s)
            new_states.append(ns)
        return cur, tuple(new_states) if self._state_is_tuple else concat(new_states, 1)

    @property
    def trainable_variables(self) -> list[Tensor]:
        return [v for c in self._cells for v in c.trainable_variables]


class _Wrapper(RNNCell):
    def __init__(self, cell: RNNCell) -> None:
        super().__init__()
        self._cell = cell

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        return self._cell.zero_state(batch_size, dtype)

    @property
    def trainable_variables(self) -> list[Tensor]:
        return self._cell.trainable_variables


class DropoutWrapper(_Wrapper):
    """Dropout on the cell's inputs, outputs and new state; keep probabilities may be fed tensors."""

    def __init__(self, cell: RNNCell, input_keep_prob: TensorLike = 1.0, output_keep_prob: TensorLike = 1.0,
                 state_keep_prob: TensorLike = 1.0, variational_recurrent: bool = False,
                 input_size: object | None = None, dtype: DTypeLike | None = None, seed: int | None = None,
                 dropout_state_filter_visitor: Callable[[Tensor], bool] | None = None) -> None:
        super().__init__(cell)
        if variational_recurrent:
            raise ValueError("DropoutWrapper(variational_recurrent=True) is not supported")
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)
        self._seed = seed

    def _drop(self, x: Tensor, keep: TensorLike, k: int) -> Tensor:
        if isinstance(keep, (int, float)) and keep == 1:
            return x
        return dropout(x, keep_prob=keep, seed=None if self._seed is None else self._seed + k)

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = self._drop(convert_to_tensor(inputs), self._keep[0], 0)
        out, new = self._cell(x, state, scope)
        out = self._drop(out, self._keep[1], 1)
        if not (isinstance(self._keep[2], (int, float)) and self._keep[2] == 1):
            new = _map_structure(lambda s: self._drop(s, self._keep[2], 2), new)
        return out, new


class ResidualWrapper(_Wrapper):
    """``output = cell_output + inputs``."""

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = convert_to_tensor(inputs)
        out, new = self._cell(x, state, scope)
        return out + x, new




class DeviceWrapper(_Wrapper):
    """The cell's ops (and its variables, on the first call) placed on ``device``."""

    def __init__(self, cell: RNNCell, device: str) -> None:
        super().__init__(cell)
        self._device = device

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        with get_default_graph().device(self._device):
            return self._cell(inputs, state, scope)
