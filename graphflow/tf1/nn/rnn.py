"""Running cells over sequences: ``static_rnn`` (one cell call per listed step),
``dynamic_rnn`` (a native WHILE loop over the time dim, its outputs the loop's stacked emits),
their bidirectional forms, and ``raw_rnn`` (a cell run by a ``loop_fn`` that decides each step's
input, when each row finishes, what is emitted and any extra loop state; the emitted values go to
TensorArrays, and rows that finished emit zeros and keep their state, as TF1's). Variables live
under ``rnn/`` (``bidirectional_rnn/fw``, ``/bw``). With ``sequence_length``, outputs past a row's
length are zero and its state stops changing.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import reverse_sequence
from graphflow.ops.array_ops import concat, gather, stack, unstack
from graphflow.ops.control_flow import make_while, while_loop
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.index_ops import reverse
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variables import VariableScope, variable_scope
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState, StepFn


def _initial(cell: RNNCell, initial_state: RNNState | None, batch: int | Tensor, dtype: DTypeLike | None) -> RNNState:
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If no initial_state is provided, dtype must be specified")
    return cell.zero_state(batch, dtype)


def _batch_of(x: Tensor, axis: int) -> int | Tensor:
    d = x.shape.as_list()[axis] if x.shape.rank else None
    return d if d is not None else S.shape(x)[axis]


def _masked(t: int | Tensor, lengths: Tensor | None, out: Tensor, old: RNNState,
            new: RNNState) -> tuple[Tensor, RNNState]:
    """Rows whose sequence has ended (t >= length) output zeros and keep their state; a state's
    scalars (an AttentionWrapper's step count) and TensorArrays have no rows and go on, as TF1's."""
    if lengths is None:
        return out, new
    alive = M.less(M.cast(t, lengths.dtype), lengths)

    def rows(v: Tensor) -> Tensor:  # alive [batch] against v [batch, ...] (a ConvLSTMCell's feature maps)
        rank = v.shape.rank or 2
        return S.expand_dims(alive, 1) if rank == 2 else S.reshape(alive, [-1] + [1] * (rank - 1))
    out = M.where(rows(out), out, ST.zeros_like(out))
    merged = [n if isinstance(n, TensorArray) or convert_to_tensor(n).shape.rank == 0 else
              M.where(rows(convert_to_tensor(n)), n, o) for n, o in zip(flatten(new), flatten(old))]
    return out, pack_as(new, merged)


def static_rnn(cell: RNNCell, inputs: Sequence[TensorLike], initial_state: RNNState | None = None,
               dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
               scope: str | VariableScope | None = None) -> tuple[list[Tensor], RNNState]:
    """``outputs[t], state = cell(inputs[t], state)`` for the listed steps."""
    xs = [convert_to_tensor(x) for x in inputs]
    if not xs:
        raise ValueError("static_rnn needs a non-empty list of inputs")
    lengths = M.cast(convert_to_tensor(sequence_length), _dt.int32) if sequence_length is not None else None
    with variable_scope(scope or "rnn"):
        state = _initial(cell, initial_state, _batch_of(xs[0], 0), dtype)
        outs = []
        for t, x in enumerate(xs):
            out, new = cell(x, state)
            out, state = _masked(t, lengths, out, state, new)
            outs.append(out)
    return outs, state


def static_bidirectional_rnn(cell_fw: RNNCell, cell_bw: RNNCell, inputs: Sequence[TensorLike],
                             initial_state_fw: RNNState | None = None, initial_state_bw: RNNState | None = None,
                             dtype: DTypeLike | None = None, sequence_length: TensorLike | None = None,
                             scope: str | VariableScope | None = None) -> tuple[list[Tensor], RNNState, RNNState]:
    """Forward and backward static_rnn; each output is ``concat([fw[t], bw[t]], 1)``."""
    xs = [convert_to_tensor(x) for x in inputs]
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            fw, state_fw = static_rnn(cell_fw, xs, initial_state_fw, dtype, sequence_length, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            if sequence_length is None:
                rev = xs[::-1]
            else:
                rev = unstack(reverse_sequence(stack(xs), sequence_length, seq_axis=0, batch_axis=1))
            bw, state_bw = static_rnn(cell_bw, rev, initial_state_bw, dtype, sequence_length, scope=bw_scope)
            bw = bw[::-1] if sequence_length is None else \
                unstack(reverse_sequence(stack(bw), sequence_length, seq_axis=0, batch_axis=1))
    return [concat([f, b], 1) for f, b in zip(fw, bw)], state_fw, state_bw


def dynamic_rnn(cell: RNNCell, inputs: TensorLike, sequence_length: TensorLike | None = None,
                initial_state: RNNState | None = None, dtype: DTypeLike | None = None,
                parallel_iterations: int | None = None, swap_memory: bool = False, time_major: bool = False,
                scope: str | VariableScope | None = None) -> tuple[Tensor, RNNState]:
    """``(outputs, final state)`` of ``cell`` over the time dim of ``inputs`` ([batch, time, depth],
    or [time, batch, depth] when ``time_major``), as one native loop whatever the length."""
    nested = isinstance(inputs, (tuple, list))  # a tuple of inputs (PhasedLSTMCell's (times, x))
    flat = [convert_to_tensor(v) for v in flatten(inputs)] if nested else [convert_to_tensor(inputs)]
    for x in flat:
        if x.shape.rank is None or x.shape.rank < 3:
            raise ValueError(f"dynamic_rnn needs inputs of rank >= 3 ([batch, time, depth]), got {x.shape}")
    flat_t = [x if time_major else S.transpose(x, [1, 0] + list(range(2, x.shape.rank or 3))) for x in flat]
    xt = flat_t[0]
    steps = S.shape(xt)[0]
    lengths = M.cast(convert_to_tensor(sequence_length), _dt.int32) if sequence_length is not None else None
    with variable_scope(scope or "rnn"):
        state0 = _initial(cell, initial_state, _batch_of(xt, 1), dtype)
        if nested or any(isinstance(s, TensorArray) for s in flatten(state0)):  # (an AttentionWrapper's history)
            def read(t: Tensor) -> Any:
                return pack_as(inputs, [gather(v, t) for v in flat_t]) if nested else gather(xt, t)
            return _dynamic_rnn_with_arrays(cell, read, xt, steps, lengths, state0, time_major)
        flat0 = [convert_to_tensor(s) for s in flatten(state0)]
        seq, call = _projected(cell, xt)
        step_shape = seq.shape.as_list()[1:]

        def body(t: Tensor, *state: Tensor) -> list[Tensor]:
            xs = gather(seq, t)
            xs.set_shape(step_shape)
            old = pack_as(state0, list(state))
            out, new = call(xs, old)
            out, new = _masked(t, lengths, out, old, new)
            return [t + 1] + [convert_to_tensor(n) for n in flatten(new)] + [out]
        node = make_while(lambda t, *s: t < steps, body, [ST.constant(0)] + flat0,
                          [TensorShape([])] + [s.shape for s in flat0], None, None, "rnn")
    k = len(flat0)
    final = pack_as(state0, list(node.outputs[1:1 + k]))
    outs = node.outputs[1 + k]  # [time, batch, out...]
    outs.set_shape(xt.shape.as_list()[:2] + _output_dims(cell))
    return (outs if time_major else _swap_time_batch(outs)), final


def _output_dims(cell: RNNCell) -> list[int | None]:
    """A step output's dims past the batch: [output_size], or a ConvLSTMCell's feature map."""
    size = cell.output_size
    return size.as_list() if isinstance(size, TensorShape) else [size]  # type: ignore[unreachable]


def _swap_time_batch(x: Tensor) -> Tensor:
    return S.transpose(x, [1, 0] + list(range(2, x.shape.rank or 3)))


def _dynamic_rnn_with_arrays(cell: RNNCell, read: Callable[[Tensor], Any], xt: Tensor, steps: Tensor,
                             lengths: Tensor | None, state0: Any, time_major: bool) -> tuple[Tensor, Any]:
    """dynamic_rnn for a state holding TensorArrays or for nested inputs (``read(t)``: step t's
    inputs): a ``while_loop`` (which carries them) whose outputs go to a TensorArray of their own."""
    dtype = next(convert_to_tensor(s).dtype for s in flatten(state0) if not isinstance(s, TensorArray))
    outputs = TensorArray(dtype, size=steps, element_shape=[xt.shape.as_list()[1]] + _output_dims(cell))

    def body(t: Tensor, state: Any, outputs: TensorArray) -> tuple[Tensor, Any, TensorArray]:
        out, new = cell(read(t), state)
        out, new = _masked(t, lengths, out, state, new)
        return t + 1, new, outputs.write(t, out)
    _, final, outputs = while_loop(lambda t, *_: t < steps, body, (ST.constant(0), state0, outputs))
    outs = outputs.stack()
    return (outs if time_major else _swap_time_batch(outs)), final


def _projected(cell: RNNCell, xt: Tensor) -> tuple[Tensor, StepFn]:
    """What the loop reads a step of, and the step: for a cell of the projected form
    (``RNNCell.projected``) whose inputs are at least half as wide as its state, the inputs'
    share of every step's pre-activations computed before the loop in one GEMM ([time * batch,
    depth] rows, as PyTorch does), so each step multiplies only the state; otherwise the inputs
    and the cell itself.

    The width rule is measured (``tools/bench_rnn.py``'s step, batch 64, hidden 128, T=20,
    alternating processes, against the per-step form): inputs of 256 took 0.79x its time at one
    thread and 0.77x at two, inputs of 64 1.0x and 0.86x, inputs of 28 0.98-1.08x and
    1.08-1.13x: there the scatter of the projection's gradient into step order and the narrow
    GEMMs cost what the smaller steps save."""
    depth = xt.shape.as_list()[2] if xt.shape.rank == 3 else None
    if depth is None or not cell.projects or 2 * depth < cell.output_size:
        return xt, cell
    dims = S.shape(xt)
    xw, step = cell.projected(S.reshape(xt, [-1, int(xt.shape.as_list()[2])]))
    seq = S.reshape(xw, [dims[0], dims[1], int(xw.shape.as_list()[1])])
    seq.set_shape(xt.shape.as_list()[:2] + xw.shape.as_list()[1:])
    return seq, step


def bidirectional_dynamic_rnn(cell_fw: RNNCell, cell_bw: RNNCell, inputs: TensorLike,
                              sequence_length: TensorLike | None = None, initial_state_fw: RNNState | None = None,
                              initial_state_bw: RNNState | None = None, dtype: DTypeLike | None = None,
                              parallel_iterations: int | None = None, swap_memory: bool = False,
                              time_major: bool = False, scope: str | VariableScope | None = None
                              ) -> tuple[tuple[Tensor, Tensor], tuple[RNNState, RNNState]]:
    """``((outputs_fw, outputs_bw), (state_fw, state_bw))``; the backward pass reads each row
    reversed over its ``sequence_length``."""
    x = convert_to_tensor(inputs)
    t_ax, b_ax = (0, 1) if time_major else (1, 0)

    def flip(v: Tensor) -> Tensor:
        if sequence_length is None:
            return reverse(v, [t_ax])
        return reverse_sequence(v, sequence_length, seq_axis=t_ax, batch_axis=b_ax)
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, st_fw = dynamic_rnn(cell_fw, x, sequence_length, initial_state_fw, dtype, time_major=time_major,
                                        scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            out_bw, st_bw = dynamic_rnn(cell_bw, flip(x), sequence_length, initial_state_bw, dtype,
                                        time_major=time_major, scope=bw_scope)
    return (out_fw, flip(out_bw)), (st_fw, st_bw)


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
