"""TF 1.15's ``contrib/rnn/python/ops/lstm_ops.py``: the LSTM "block" cells, the maths of LSTMCell
(gates i, j, f, o; optional peepholes ``w_i_diag``, ``w_f_diag``, ``w_o_diag``; ``cell_clip``)
under TF's fused op names. graphflow fuses the whole graph itself, so a block cell is LSTMCell
with the block cell's defaults:

- LSTMBlockCell: one step, variables ``lstm_cell/kernel`` and ``bias`` (a checkpoint of an
  LSTMCell without projection loads into it).
- LSTMBlockWrapper / LSTMBlockFusedCell: the whole sequence in one call,
  ``outputs, (c, h) = cell(inputs, initial_state, dtype, sequence_length)`` with time-major
  inputs [time, batch, depth] (or a list of steps); variables ``lstm_fused_cell/kernel``...
  Rows past their ``sequence_length`` output zeros and keep their final state.
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_ops import stack, unstack
from graphflow.ops.variables import VariableScope, _ReuseMode
from graphflow.tf1.nn.rnn import dynamic_rnn
from graphflow.tf1.nn.rnn_cell import LSTMCell, LSTMStateTuple, RNNState


class LSTMBlockCell(LSTMCell):
    _default = "lstm_cell"

    def __init__(self, num_units: int, forget_bias: float = 1.0, cell_clip: float | None = None,
                 use_peephole: bool = False, dtype: DTypeLike | None = None,
                 reuse: bool | _ReuseMode | None = None, name: str | None = None) -> None:
        super().__init__(num_units, use_peepholes=use_peephole, cell_clip=cell_clip if cell_clip and cell_clip > 0
                         else None, forget_bias=forget_bias, reuse=reuse, name=name, dtype=dtype)


class LSTMBlockWrapper:
    """A cell run over a whole sequence in one call (TF's abstract base of the fused LSTM)."""

    _default = "lstm_block_wrapper"

    def __init__(self, num_units: int, forget_bias: float = 1.0, cell_clip: float | None = None,
                 use_peephole: bool = False, reuse: bool | _ReuseMode | None = None,
                 dtype: DTypeLike | None = None, name: str | None = None) -> None:
        self._cell = LSTMBlockCell(num_units, forget_bias, cell_clip, use_peephole, dtype, reuse, name)
        self._cell._default = self._default

    num_units = property(lambda self: self._cell._num_units)

    def __call__(self, inputs: TensorLike | Sequence[TensorLike], initial_state: RNNState | None = None,
                 dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                 scope: str | VariableScope | None = None) -> tuple[Tensor | list[Tensor], RNNState]:
        is_list = isinstance(inputs, (list, tuple))
        x = stack([convert_to_tensor(i) for i in inputs]) if is_list else convert_to_tensor(inputs)  # type: ignore[union-attr]
        if x.shape.rank != 3:
            raise ValueError(f"{type(self).__name__} needs time-major inputs [time, batch, depth], got {x.shape}")
        self._cell.ensure_built(x.shape, dtype or x.dtype, scope)
        if initial_state is not None:
            initial_state = LSTMStateTuple(*initial_state)  # type: ignore[misc]
        outputs, state = dynamic_rnn(self._cell, x, sequence_length, initial_state, dtype or x.dtype,
                                     time_major=True, scope=scope)
        return (unstack(outputs) if is_list else outputs), state

    @property
    def trainable_variables(self) -> list[Tensor]:
        return self._cell.trainable_variables

    trainable_weights = trainable_variables
    variables = trainable_variables


class LSTMBlockFusedCell(LSTMBlockWrapper):
    _default = "lstm_fused_cell"


__all__ = ["LSTMBlockCell", "LSTMBlockFusedCell", "LSTMBlockWrapper"]
