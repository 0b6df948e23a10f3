"""TF 1.15's ``contrib/rnn/python/ops/rnn.py``: bidirectional layers stacked, each layer's
concatenated forward and backward outputs the next layer's inputs (variables under
``stack_bidirectional_rnn/cell_<i>/``)."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_ops import concat
from graphflow.ops.variables import VariableScope, variable_scope
from graphflow.tf1.nn.rnn import bidirectional_dynamic_rnn, static_bidirectional_rnn
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState


def _check(cells_fw: Sequence[RNNCell], cells_bw: Sequence[RNNCell],
           initial_fw: Sequence[RNNState] | None, initial_bw: Sequence[RNNState] | None) -> None:
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if len(cells_fw) != len(cells_bw):
        raise ValueError(f"Forward and Backward cells must have the same depth, got {len(cells_fw)} "
                         f"and {len(cells_bw)}")
    for what, states in (("forward", initial_fw), ("backward", initial_bw)):
        if states is not None and len(states) != len(cells_fw):
            raise ValueError(f"{what} initial states must be a list of one state per cell ({len(cells_fw)}), "
                             f"got {len(states)}")


def stack_bidirectional_rnn(cells_fw: Sequence[RNNCell], cells_bw: Sequence[RNNCell], inputs: Sequence[TensorLike],
                            initial_states_fw: Sequence[RNNState] | None = None,
                            initial_states_bw: Sequence[RNNState] | None = None, dtype: DTypeLike | None = None,
                            sequence_length: TensorLike | None = None, scope: str | VariableScope | None = None
                            ) -> tuple[list[Tensor], tuple[RNNState, ...], tuple[RNNState, ...]]:
    """``(outputs, states_fw, states_bw)`` of static_bidirectional_rnn layers over a list of steps."""
    _check(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    if not inputs:
        raise ValueError("stack_bidirectional_rnn needs a non-empty list of inputs")
    layer = [convert_to_tensor(x) for x in inputs]
    states_fw, states_bw = [], []
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (fw, bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}") as cell_scope:
                layer, s_fw, s_bw = static_bidirectional_rnn(
                    fw, bw, layer, initial_states_fw[i] if initial_states_fw else None,
                    initial_states_bw[i] if initial_states_bw else None, dtype, sequence_length, scope=cell_scope)
            states_fw.append(s_fw)
            states_bw.append(s_bw)
    return layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(cells_fw: Sequence[RNNCell], cells_bw: Sequence[RNNCell], inputs: TensorLike,
                                    initial_states_fw: Sequence[RNNState] | None = None,
                                    initial_states_bw: Sequence[RNNState] | None = None,
                                    dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                                    parallel_iterations: int | None = None, time_major: bool = False,
                                    scope: str | VariableScope | None = None, swap_memory: bool = False
                                    ) -> tuple[Tensor, tuple[RNNState, ...], tuple[RNNState, ...]]:
    """``(outputs, states_fw, states_bw)`` of bidirectional_dynamic_rnn layers; outputs
    [batch, time, 2 * last depth] (time-major with ``time_major``)."""
    _check(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    layer = convert_to_tensor(inputs)
    states_fw, states_bw = [], []
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (fw, bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}"):
                outputs, (s_fw, s_bw) = bidirectional_dynamic_rnn(
                    fw, bw, layer, sequence_length, initial_states_fw[i] if initial_states_fw else None,
                    initial_states_bw[i] if initial_states_bw else None, dtype, time_major=time_major)
                layer = concat(list(outputs), 2)
            states_fw.append(s_fw)
            states_bw.append(s_bw)
    return layer, tuple(states_fw), tuple(states_bw)


__all__ = ["stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn"]
