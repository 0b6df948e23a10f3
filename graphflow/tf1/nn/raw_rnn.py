"""``tf.nn.raw_rnn`` (TF 1.15): a cell run by a ``loop_fn`` that decides each step's input, when
each row finishes, what is emitted and any extra loop state, over a ``while_loop`` whose emitted
values go to TensorArrays. Rows that finished emit zeros and keep their state, as TF1's."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import stack
from graphflow.ops.control_flow import while_loop
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variables import VariableScope, variable_scope
from graphflow.tf1.nn.rnn_cell import RNNCell

__all__ = ["raw_rnn"]


def _rows(finished: Tensor, like: Tensor) -> Tensor:
    """``finished`` [batch] spread over ``like`` [batch, ...]."""
    rank = like.shape.rank or 1
    spread = S.reshape(finished, [-1] + [1] * (rank - 1)) if rank > 1 else finished
    out = R.broadcast_to(spread, S.shape(like))
    out.set_shape(like.shape)
    return out


def _keep(finished: Tensor, old: Any, new: Any) -> Any:
    """Per row: ``old`` where the row has finished, else ``new`` (structures alike); a scalar
    component has no rows and takes ``new``, as TF1's."""
    olds, news = flatten(old), [convert_to_tensor(n) for n in flatten(new)]
    return pack_as(new, [n if n.shape.rank == 0 else M.where(_rows(finished, n), o, n) for o, n in zip(olds, news)])


def raw_rnn(cell: RNNCell, loop_fn: Callable[..., Any], parallel_iterations: int | None = None,
            swap_memory: bool = False, scope: str | VariableScope | None = None) -> tuple[Any, Any, Any]:
    """``(emit_ta, final_state, final_loop_state)``: ``loop_fn(time, cell_output, cell_state,
    loop_state)`` returns ``(finished, next_input, next_cell_state, emit_output, next_loop_state)``;
    at time 0 (cell_output None) its cell state is the initial state and its emit output, when
    given, the structure (and dtypes) of what is emitted, else the cell's output. The loop runs
    until every row has finished.

    >>> import graphflow as gf
    >>> callable(raw_rnn)
    True
    """
    if not callable(loop_fn):
        raise TypeError("raw_rnn's loop_fn must be callable")
    with variable_scope(scope or "rnn"):
        time = ST.constant(0)
        finished, next_input, state, emit_structure, loop_state = loop_fn(time, None, None, None)
        finished = convert_to_tensor(finished)
        if not finished.dtype.is_bool or finished.shape.rank != 1:
            raise ValueError(f"raw_rnn's loop_fn must return finished as a bool vector [batch], got {finished}")
        if emit_structure is None:  # the cell's output: its zeros set the emitted structure
            batch = S.shape(finished)[0]
            emit_structure = ST.zeros(stack([batch, ST.constant(cell.output_size)]),
                                      flatten(state)[0].dtype if flatten(state) else "float32")
        zeros = [ST.zeros_like(convert_to_tensor(e)) for e in flatten(emit_structure)]
        arrays = [TensorArray(z.dtype, size=0, dynamic_size=True, element_shape=z.shape) for z in zeros]
        has_loop_state = loop_state is not None

        def body(time: Tensor, finished: Tensor, next_input: Any, state: Any, arrays: list[TensorArray],
                 loop_state: Any) -> tuple:
            output, cell_state = cell(next_input, state)
            outcome = loop_fn(time + 1, output, cell_state, loop_state if has_loop_state else None)
            next_finished, next_input, next_state, emit, next_loop_state = outcome
            emit = output if emit is None else emit
            if next_loop_state is None:  # TF1 keeps the loop state loop_fn did not replace
                next_loop_state = loop_state
            next_state = _keep(finished, state, next_state)
            emitted = [M.where(_rows(finished, z), z, convert_to_tensor(e)) for z, e in zip(zeros, flatten(emit))]
            arrays = [a.write(time, e) for a, e in zip(arrays, emitted)]
            finished = M.logical_or(finished, convert_to_tensor(next_finished))
            return (time + 1, finished, next_input, next_state, arrays,
                    next_loop_state if has_loop_state else ST.constant(0))

        out = while_loop(lambda time, finished, *rest: M.logical_not(R.reduce_all(finished)), body,
                         (time, finished, next_input, state, arrays, loop_state if has_loop_state else ST.constant(0)),
                         parallel_iterations=parallel_iterations or 32)
    _, _, _, final_state, final_arrays, final_loop_state = out
    return pack_as(emit_structure, final_arrays), final_state, final_loop_state if has_loop_state else None
