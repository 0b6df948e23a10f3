"""``tf.contrib.seq2seq``'s ``Decoder`` interface and ``dynamic_decode`` (TF 1.15's behaviour).

A decoder says how one step goes (``initialize`` and ``step``); ``dynamic_decode`` runs its steps
in one native ``while_loop`` until every row has finished or ``maximum_iterations`` steps have
run. Each step's outputs go to TensorArrays, stacked after the loop ([time, batch, ...], then
batch-major unless ``output_time_major``). A row's sequence length is the step at which it first
finished, plus one. With ``impute_finished`` a finished row emits zeros and keeps its state, so
the outputs and state past a row's end are as if decoding had stopped there (and gradients
through them are zero).
"""
from __future__ import annotations

from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat
from graphflow.ops.control_flow import while_loop
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variables import VariableScope, variable_scope

__all__ = ["Decoder", "dynamic_decode"]


class Decoder:
    """What ``dynamic_decode`` runs: ``initialize() -> (finished, first_inputs, initial_state)``
    and ``step(time, inputs, state) -> (outputs, next_state, next_inputs, finished)``, with
    ``batch_size``, ``output_size`` and ``output_dtype`` (structures of the per-row output
    shapes and dtypes, as ``outputs``). ``finalize(outputs, final_state, sequence_lengths)``,
    where a decoder has one, rewrites the stacked time-major outputs and the final state after
    the loop; ``tracks_own_finished`` says the decoder's ``finished`` already includes the rows
    that finished before (``dynamic_decode`` then does not OR them in)."""

    @property
    def batch_size(self) -> Tensor | int:
        raise NotImplementedError

    @property
    def output_size(self) -> Any:
        raise NotImplementedError

    @property
    def output_dtype(self) -> Any:
        raise NotImplementedError

    @property
    def tracks_own_finished(self) -> bool:
        return False

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any, Any]:
        raise NotImplementedError

    def step(self, time: Tensor, inputs: Any, state: Any, name: str | None = None) -> tuple[Any, Any, Any, Tensor]:
        raise NotImplementedError

    def finalize(self, outputs: Any, final_state: Any, sequence_lengths: Tensor) -> tuple[Any, Any]:
        return outputs, final_state


def _row_shape(size: Any) -> TensorShape:
    """A per-row output size (an int, a shape, a list) as a TensorShape."""
    if isinstance(size, Tensor):
        return TensorShape(None)
    return as_shape([size] if isinstance(size, int) else size)


def _zeros(batch: Tensor | int, size: Any, dtype: Any) -> Tensor:
    shape = _row_shape(size)
    if shape.rank is not None and shape.is_fully_defined():
        dims = concat([S.reshape(convert_to_tensor(batch, dtype=_dt.int32), [1]),
                       ST.constant(shape.as_list(), dtype=_dt.int32)], 0) if shape.rank else \
            S.reshape(convert_to_tensor(batch, dtype=_dt.int32), [1])
        out = ST.zeros(dims, dtype)
        out.set_shape(TensorShape([batch if isinstance(batch, int) else None] + shape.as_list()))
        return out
    raise ValueError(f"dynamic_decode needs the decoder's per-row output sizes known, got {size}")


def _transpose_batch_time(t: Tensor) -> Tensor:
    rank = t.shape.rank
    if rank is None or rank < 2:
        return t
    return S.transpose(t, [1, 0] + list(range(2, rank)))


def _rows(finished: Tensor, like: Tensor) -> Tensor:
    """``finished`` ([batch], or [batch, beam] for beam search) spread over ``like``, whose leading
    dims are those."""
    rank, own = like.shape.rank, finished.shape.rank
    if rank is None or own is None or rank <= own:
        return finished
    spread = S.reshape(finished, concat([S.shape(finished), ST.ones([rank - own], _dt.int32)], 0))
    return R.broadcast_to(spread, S.shape(like))


def dynamic_decode(decoder: Decoder, output_time_major: bool = False, impute_finished: bool = False,
                   maximum_iterations: Any = None, parallel_iterations: int = 32, swap_memory: bool = False,
                   scope: str | VariableScope | None = None) -> tuple[Any, Any, Tensor]:
    """``(final_outputs, final_state, final_sequence_lengths)`` of running ``decoder`` to the end.

    >>> callable(dynamic_decode)
    True
    """
    if not isinstance(decoder, Decoder):
        raise TypeError(f"dynamic_decode expects a Decoder (tf.contrib.seq2seq.BasicDecoder, BeamSearchDecoder, ...), "
                        f"got {type(decoder).__name__}")
    with variable_scope(scope or "decoder"):
        limit = None
        if maximum_iterations is not None:
            limit = convert_to_tensor(maximum_iterations, dtype=_dt.int32)
            if limit.shape.rank != 0:
                raise ValueError(f"dynamic_decode: maximum_iterations must be a scalar, got shape {limit.shape}")
        finished, inputs, state = decoder.initialize()
        finished = convert_to_tensor(finished)
        if limit is not None:
            finished = M.logical_or(finished, M.greater_equal(ST.constant(0), limit))
        batch = decoder.batch_size
        sizes, dtypes = decoder.output_size, decoder.output_dtype
        flat_sizes, flat_dtypes = flatten(sizes), flatten(dtypes)
        zeros = [_zeros(batch, s, d) for s, d in zip(flat_sizes, flat_dtypes)]
        arrays = [TensorArray(d, size=0, dynamic_size=True,
                              element_shape=TensorShape([None]).concatenate(_row_shape(s)))
                  for s, d in zip(flat_sizes, flat_dtypes)]
        lengths = ST.zeros_like(M.cast(finished, _dt.int32))
        time = ST.constant(0)

        def cond(time: Tensor, arrays: list, state: Any, inputs: Any, finished: Tensor, lengths: Tensor) -> Tensor:
            return M.logical_not(R.reduce_all(finished))

        def body(time: Tensor, arrays: list, state: Any, inputs: Any, finished: Tensor,
                 lengths: Tensor) -> tuple:
            outputs, next_state, next_inputs, decoder_finished = decoder.step(time, inputs, state)
            decoder_finished = convert_to_tensor(decoder_finished)
            if decoder.tracks_own_finished:
                next_finished = decoder_finished
            else:
                next_finished = M.logical_or(decoder_finished, finished)
            if limit is not None:
                next_finished = M.logical_or(next_finished, M.greater_equal(time + 1, limit))
            next_lengths = M.where(M.logical_and(M.logical_not(finished), next_finished),
                                   ST.fill(S.shape(lengths), time + 1), lengths)
            flat_out = [convert_to_tensor(o) for o in flatten(outputs)]
            if len(flat_out) != len(arrays):
                raise ValueError(f"the decoder's step returned {len(flat_out)} outputs where its output_size "
                                 f"has {len(arrays)}")
            if impute_finished:
                flat_out = [M.where(_rows(finished, o), z, o) for z, o in zip(zeros, flat_out)]
                olds, news = flatten(state), flatten(next_state)
                kept = [n if isinstance(n, TensorArray) or convert_to_tensor(n).shape.rank == 0
                        else M.where(_rows(finished, convert_to_tensor(n)), o, n) for o, n in zip(olds, news)]
                next_state = pack_as(next_state, kept)
            arrays = [a.write(time, o) for a, o in zip(arrays, flat_out)]
            return time + 1, arrays, next_state, next_inputs, next_finished, next_lengths

        out = while_loop(cond, body, (time, arrays, state, inputs, finished, lengths),
                         parallel_iterations=parallel_iterations, maximum_iterations=limit, swap_memory=swap_memory)
        _, final_arrays, final_state, _, _, final_lengths = out
        final_outputs = pack_as(sizes, [a.stack() for a in final_arrays])
        final_outputs, final_state = decoder.finalize(final_outputs, final_state, final_lengths)
        if not output_time_major:
            final_outputs = pack_as(final_outputs, [_transpose_batch_time(t) for t in flatten(final_outputs)])
    return final_outputs, final_state, final_lengths

