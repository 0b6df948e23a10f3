"""TF 1.15's ``contrib/rnn/python/ops/rnn.py``: bidirectional layers stacked, each layer's
concatenated forward and backward outputs the next layer's inputs (variables under
``stack_bidirectional_rnn/cell_<i>/``); and the two helpers of core TF's rnn.py that contrib.rnn
exports (``transpose_batch_time``, ``best_effort_input_batch_size``)."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import shape_ops as S
from graphflow.ops.array_ops import concat
from graphflow.ops.variables import VariableScope, variable_scope
from graphflow.tf1.nn.rnn import bidirectional_dynamic_rnn, static_bidirectional_rnn
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState


def transpose_batch_time(x: TensorLike) -> Tensor:
    """``x`` [batch, time, ...] as [time, batch, ...] (and back); a tensor of rank < 2 as it is."""
    t = convert_to_tensor(x)
    if t.shape.rank is not None and t.shape.rank < 2:
        return t
    return S.transpose(t, [1, 0] + list(range(2, t.shape.rank or 2)))


def best_effort_input_batch_size(flat_input: Sequence[TensorLike]) -> int | Tensor:
    """The batch size of time-major inputs [time, batch, ...]: the first known static dim 1, else
    the first input's run-time one."""
    tensors = [convert_to_tensor(x) for x in flat_input]
    for t in tensors:
        if t.shape.rank is None or t.shape.rank < 2:
            raise ValueError(f"Expected the inputs to be time-major, of rank >= 2, got {t.shape}")
        dim = t.shape.as_list()[1]
        if dim is not None:
            return int(dim)
    return S.shape(tensors[0])[1]


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


__all__ = ["best_effort_input_batch_size", "stack_bidirectional_dynamic_rnn", "stack_bidirectional_rnn",
           "transpose_batch_time"]
