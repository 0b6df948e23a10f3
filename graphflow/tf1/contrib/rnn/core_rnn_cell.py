"""TF 1.15's ``contrib/rnn/python/ops/core_rnn_cell.py``: the wrappers that left core TF
(``EmbeddingWrapper``, ``InputProjectionWrapper``, ``OutputProjectionWrapper``) and the ``_Linear``
they share: ``kernel`` [sum of the args' depths, output_size] and ``bias`` (zeros) in the scope
that is current when it is made.

A wrapper here is a cell of its own (unlike DropoutWrapper): its first call opens its scope
(``output_projection_wrapper``...), its variables and the wrapped cell's (nested, e.g.
``rnn/output_projection_wrapper/basic_lstm_cell/kernel``) are made there, and later calls reuse
them.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import shape_ops as S
from graphflow.ops.array_ops import concat
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import bias_add, embedding_lookup
from graphflow.ops.variables import (
    InitializerLike,
    VariableScope,
    get_variable,
    random_uniform_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.nn.rnn_cell import Activation, RNNCell, RNNState


class Linear:
    """``concat(args, 1) @ kernel + bias``, its variables made in the current scope on construction."""

    def __init__(self, args: Tensor | Sequence[Tensor], output_size: int, build_bias: bool,
                 bias_initializer: InitializerLike | None = None,
                 kernel_initializer: InitializerLike | None = None) -> None:
        args = [args] if isinstance(args, Tensor) else list(args)
        depth = sum(int(a.shape.as_list()[1]) for a in args)
        dtype = args[0].dtype
        self.kernel = get_variable("kernel", [depth, output_size], dtype=dtype, initializer=kernel_initializer)
        self.bias = get_variable("bias", [output_size], dtype=dtype,
                                 initializer=bias_initializer or zeros_initializer()) if build_bias else None

    @property
    def variables(self) -> list[Tensor]:
        found: list[Tensor] = [self.kernel]
        return found + ([self.bias] if self.bias is not None else [])

    def __call__(self, args: Tensor | Sequence[Tensor]) -> Tensor:
        x = args if isinstance(args, Tensor) else (args[0] if len(args) == 1 else concat(list(args), 1))
        out = matmul(x, self.kernel)
        return bias_add(out, self.bias) if self.bias is not None else out


class ScopedWrapper(RNNCell):
    """A cell around ``cell`` whose first call opens its own variable scope, in which ``step``
    makes its variables and calls the wrapped cell; later calls run ``step`` without a scope."""

    def __init__(self, cell: RNNCell, reuse: object = None, name: str | None = None) -> None:
        super().__init__(reuse, name)  # type: ignore[arg-type]
        self._cell = cell

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size: int | Tensor, dtype: DTypeLike) -> RNNState:
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: TensorLike, state: RNNState,
                 scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
        x = inputs if isinstance(inputs, (list, tuple)) else convert_to_tensor(inputs)
        opened = contextlib.nullcontext() if self._built else \
            _scope(scope if scope is not None else self._name, self._default, self._reuse)
        with opened:
            out, new = self.step(x, state)  # type: ignore[arg-type]
        self._built = True
        return out, new

    def step(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        raise NotImplementedError

    def _own(self, layer: Linear) -> Linear:
        self.variables.extend(layer.variables)
        return layer

    @property
    def trainable_variables(self) -> list[Tensor]:
        return list(self.variables) + [v for v in self._cell.trainable_variables if v not in self.variables]


def _scope(name: str | VariableScope | None, default: str, reuse: object) -> contextlib.AbstractContextManager:
    return variable_scope(name, default_name=default, reuse=reuse)  # type: ignore[arg-type]


class OutputProjectionWrapper(ScopedWrapper):
    """The cell's output projected to ``output_size`` (``kernel``, ``bias``), then ``activation``."""

    _default = "output_projection_wrapper"

    def __init__(self, cell: RNNCell, output_size: int, activation: Activation | None = None,
                 reuse: object = None) -> None:
        super().__init__(cell, reuse)
        if output_size < 1:
            raise ValueError(f"OutputProjectionWrapper: output_size must be positive, got {output_size}")
        self._output_size = int(output_size)
        self._activation = activation
        self._linear: Linear | None = None

    output_size = property(lambda self: self._output_size)

    def step(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        out, new = self._cell(inputs, state)
        if self._linear is None:
            self._linear = self._own(Linear(out, self._output_size, True))
        projected = self._linear(out)
        return (self._activation(projected) if self._activation else projected), new


class InputProjectionWrapper(ScopedWrapper):
    """The inputs projected to ``num_proj`` (``kernel``, ``bias``; then ``activation``) before the cell."""

    _default = "input_projection_wrapper"

    def __init__(self, cell: RNNCell, num_proj: int, activation: Activation | None = None,
                 input_size: object | None = None, reuse: object = None) -> None:
        super().__init__(cell, reuse)
        self._num_proj = int(num_proj)
        self._activation = activation
        self._linear: Linear | None = None

    def step(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        if self._linear is None:
            self._linear = self._own(Linear(inputs, self._num_proj, True))
        projected = self._linear(inputs)
        if self._activation:
            projected = self._activation(projected)
        return self._cell(projected, state)


class EmbeddingWrapper(ScopedWrapper):
    """Integer inputs ([batch] or [batch, 1]) looked up in ``embedding``
    [embedding_classes, embedding_size] (uniform in +-sqrt(3) unless ``initializer``) before the cell."""

    _default = "embedding_wrapper"

    def __init__(self, cell: RNNCell, embedding_classes: int, embedding_size: int,
                 initializer: InitializerLike | None = None, reuse: object = None) -> None:
        super().__init__(cell, reuse)
        if embedding_classes <= 0 or embedding_size <= 0:
            raise ValueError(f"EmbeddingWrapper: embedding_classes and embedding_size must be positive, "
                             f"got {embedding_classes}, {embedding_size}")
        self._classes = int(embedding_classes)
        self._size = int(embedding_size)
        self._initializer = initializer
        self._embedding: Tensor | None = None

    def step(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, RNNState]:
        if self._embedding is None:
            dtype = _state_dtype(state)
            init = self._initializer or random_uniform_initializer(-math.sqrt(3), math.sqrt(3))
            self._embedding = get_variable("embedding", [self._classes, self._size], dtype=dtype, initializer=init)
            self.variables.append(self._embedding)
        embedded = embedding_lookup(self._embedding, S.reshape(inputs, [-1]))
        return self._cell(embedded, state)


def _state_dtype(state: RNNState) -> DTypeLike:
    while isinstance(state, (list, tuple)):
        state = state[0]
    return state.dtype


__all__ = ["EmbeddingWrapper", "InputProjectionWrapper", "Linear", "OutputProjectionWrapper", "ScopedWrapper"]
