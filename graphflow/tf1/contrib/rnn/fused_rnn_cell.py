"""TF 1.15's ``contrib/rnn/python/ops/fused_rnn_cell.py``: the fused-cell interface
``outputs, final_state = cell(inputs, initial_state, dtype, sequence_length, scope)`` over
time-major inputs ([time, batch, depth] or a list of steps), an adaptor that runs an RNNCell so,
and a wrapper that runs a fused cell backwards in time."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_extras import reverse_sequence
from graphflow.ops.array_ops import stack, unstack
from graphflow.ops.index_ops import reverse
from graphflow.ops.variables import VariableScope
from graphflow.tf1.nn.rnn import dynamic_rnn, static_rnn
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState

FusedResult = tuple[Tensor | list[Tensor], RNNState]


class FusedRNNCell:
    """The interface: a subclass defines ``__call__``."""

    def __call__(self, inputs: TensorLike | Sequence[TensorLike], initial_state: RNNState | None = None,
                 dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                 scope: str | VariableScope | None = None) -> FusedResult:
        raise NotImplementedError


class FusedRNNCellAdaptor(FusedRNNCell):
    """An RNNCell run as a fused cell: static_rnn over the steps, or dynamic_rnn (time-major)."""

    def __init__(self, cell: RNNCell, use_dynamic_rnn: bool = False) -> None:
        self._cell = cell
        self._use_dynamic_rnn = use_dynamic_rnn

    def __call__(self, inputs: TensorLike | Sequence[TensorLike], initial_state: RNNState | None = None,
                 dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                 scope: str | VariableScope | None = None) -> FusedResult:
        is_list = isinstance(inputs, (list, tuple))
        if self._use_dynamic_rnn:
            x = stack([convert_to_tensor(i) for i in inputs]) if is_list else convert_to_tensor(inputs)  # type: ignore[union-attr]
            outputs, state = dynamic_rnn(self._cell, x, sequence_length, initial_state, dtype, time_major=True,
                                         scope=scope)
            return (unstack(outputs) if is_list else outputs), state
        steps = list(inputs) if is_list else unstack(convert_to_tensor(inputs))  # type: ignore[arg-type]
        outs, state = static_rnn(self._cell, steps, initial_state, dtype, sequence_length, scope=scope)
        return (outs if is_list else stack(outs)), state


class TimeReversedFusedRNN(FusedRNNCell):
    """``cell`` run on the inputs reversed in time (each row over its ``sequence_length``), its
    outputs reversed back."""

    def __init__(self, cell: FusedRNNCell | RNNCell) -> None:
        self._cell = FusedRNNCellAdaptor(cell) if isinstance(cell, RNNCell) else cell

    def __call__(self, inputs: TensorLike | Sequence[TensorLike], initial_state: RNNState | None = None,
                 dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                 scope: str | VariableScope | None = None) -> FusedResult:
        is_list = isinstance(inputs, (list, tuple))
        x = stack([convert_to_tensor(i) for i in inputs]) if is_list else convert_to_tensor(inputs)  # type: ignore[union-attr]

        def flip(v: Tensor) -> Tensor:
            if sequence_length is None:
                return reverse(v, [0])
            return reverse_sequence(v, sequence_length, seq_axis=0, batch_axis=1)
        outputs, state = self._cell(flip(x), initial_state, dtype, sequence_length, scope)
        out = flip(outputs if isinstance(outputs, Tensor) else stack(outputs))
        return (unstack(out) if is_list else out), state


__all__ = ["FusedRNNCell", "FusedRNNCellAdaptor", "TimeReversedFusedRNN"]
