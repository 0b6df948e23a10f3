"""``tf.contrib.seq2seq``'s beam search (TF 1.15): ``tile_batch``, ``BeamSearchDecoder`` and its
state and output tuples.

The decoder keeps ``beam_width`` hypotheses per batch row. Its cell runs on ``batch * beam_width``
rows (the initial state must already be tiled that way, with ``tile_batch``); each step adds the
log-softmax of the logits to every beam's log probability (a finished beam can only extend with
``end_token``, at log probability 0), divides by the length penalty ``((5 + length) / 6) **
length_penalty_weight`` (lengths not counting a new ``end_token``; computed in float32, as TF),
optionally adds the coverage penalty of attentional cells, and keeps the ``beam_width`` best of the
``beam_width * vocab`` candidates (of equal scores the lower index). A candidate's index gives its
parent beam (index // vocab) and its word (index % vocab); the cell state, log probabilities,
lengths and finished flags follow the parent beams. At step 0 only beam 0 is alive (the others
start finished with log probability -inf), so the first beams are the best distinct words.
``finalize`` traces the beams back with ``gather_tree``: ``predicted_ids`` [batch, time, beam],
best beam first.
"""
from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, gather, stack, tile
from graphflow.ops.control_flow import cond
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.nn_ops import embedding_lookup, log_softmax
from graphflow.ops.sort_ops import top_k
from graphflow.ops.tensor_array import TensorArray
from graphflow.tf1.contrib.seq2seq.beam_search_ops import gather_tree, gather_tree_from_array
from graphflow.tf1.contrib.seq2seq.decoder import Decoder
from graphflow.tf1.graph_functions import name_scope

__all__ = ["BeamSearchDecoder", "BeamSearchDecoderOutput", "BeamSearchDecoderState", "FinalBeamSearchDecoderOutput",
           "tile_batch"]


class BeamSearchDecoderState(namedtuple("BeamSearchDecoderState",
                                        ("cell_state", "log_probs", "finished", "lengths",
                                         "accumulated_attention_probs"))):
    pass


class BeamSearchDecoderOutput(namedtuple("BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))):
    pass


class FinalBeamSearchDecoderOutput(namedtuple("FinalBeamDecoderOutput",
                                              ("predicted_ids", "beam_search_decoder_output"))):
    """``predicted_ids`` [batch, time, beam] (time-major with ``output_time_major``), best beam
    first, and the per-step ``beam_search_decoder_output``."""


# ---- tile_batch -----------------------------------------------------------------------------------

def _tile_one(t: Any, multiplier: int) -> Tensor:
    if isinstance(t, TensorArray):
        raise TypeError("tile_batch: a TensorArray cannot be tiled (TF1 neither): tile the tensors it is built from")
    t = convert_to_tensor(t)
    rank = t.shape.rank
    if rank is None or rank < 1:
        raise ValueError(f"tile_batch: t must have statically known rank >= 1, got {t.name} of shape {t.shape}")
    dims = t.shape.as_list()
    tiled = tile(S.expand_dims(t, 1), [1, multiplier] + [1] * (rank - 1))
    if all(d is not None for d in dims[1:]):
        out = S.reshape(tiled, [-1] + dims[1:])
    else:
        out = S.reshape(tiled, concat([S.shape(t)[:1] * multiplier, S.shape(t)[1:]], 0))
    out.set_shape([dims[0] * multiplier if dims[0] is not None else None] + dims[1:])
    return out


def tile_batch(t: Any, multiplier: int, name: str | None = None) -> Any:
    """Every tensor of the structure ``t``, ``[batch, ...]``, as ``[batch * multiplier, ...]``
    with each row repeated ``multiplier`` times in a row (rows ``t[0], t[0], ..., t[1], ...``).

    >>> import graphflow as gf
    >>> tile_batch(gf.zeros((2, 3)), 4).shape.as_list()
    [8, 3]
    """
    if not isinstance(multiplier, (int, np.integer)) or isinstance(multiplier, bool) or multiplier < 1:
        raise ValueError(f"tile_batch: multiplier must be a positive Python int, got {multiplier!r}")
    with name_scope(name, "tile_batch"):
        return pack_as(t, [_tile_one(x, int(multiplier)) for x in flatten(t)])


# ---- the beam search step's pieces ------------------------------------------------------------------

def _gather_beams(x: Tensor, indices: Tensor, batch: int | Tensor, range_size: int | Tensor,
                  static_batch: int | None) -> Tensor:
    """``x[b, indices[b, k], ...]`` for ``x`` [batch, range_size, ...] and ``indices`` [batch, k]."""
    rest = x.shape.as_list()[2:]
    rows = S.reshape(x, [batch * range_size] + ([-1] if rest else []))
    offsets = S.expand_dims(ST.range(batch) * range_size, 1)
    out = gather(rows, S.reshape(indices + offsets, [-1]))
    k = indices.shape.as_list()[1]
    if k is not None and all(d is not None for d in rest):
        out = S.reshape(out, [batch, k] + rest)
    else:
        out = S.reshape(out, concat([S.shape(indices), S.shape(x)[2:]], 0))
    out.set_shape([static_batch, k] + rest)
    return out


def _is_attention_state(s: Any) -> bool:
    fields = getattr(s, "_fields", ())
    return type(s).__name__ == "AttentionWrapperState" or ("alignments" in fields and "cell_state" in fields)


def _mean_alignments(alignments: Any) -> Tensor:
    if isinstance(alignments, (list, tuple)):
        if len(alignments) == 1:
            return convert_to_tensor(alignments[0])
        return R.reduce_mean(stack([convert_to_tensor(a) for a in alignments], -1), -1)
    return convert_to_tensor(alignments)


def _attention_probs(cell_state: Any, coverage_penalty_weight: Any) -> Tensor | None:
    """The (averaged) attention alignments [batch, beam, memory_time] of the attentional parts of
    ``cell_state`` when the coverage penalty is on, else None."""
    if _static_zero(coverage_penalty_weight):
        return None
    if _is_attention_state(cell_state):
        found = [cell_state]
    elif isinstance(cell_state, tuple):
        found = [s for s in cell_state if _is_attention_state(s)]
    else:
        found = []
    if not found:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional (no AttentionWrapperState "
                         "with alignments in the cell state)")
    probs = [_mean_alignments(s.alignments) for s in found]
    return probs[0] if len(probs) == 1 else R.reduce_mean(stack(probs, -1), -1)


def _static_zero(weight: Any) -> bool:
    if isinstance(weight, Tensor):
        v = static_value(weight)
        return v is not None and float(v) == 0.0
    return float(weight) == 0.0


def _length_penalty(lengths: Tensor, weight: Any) -> Tensor | None:
    """``((5 + lengths) / 6) ** weight`` in float32 (TF 1.15's GNMT penalty); None for weight 0."""
    if _static_zero(weight):
        return None
    w = convert_to_tensor(weight, dtype=_dt.float32)
    if w.shape.rank not in (0, None):
        raise ValueError(f"length_penalty_weight must be a scalar, got shape {w.shape}")
    return M.pow(5.0 + M.cast(lengths, _dt.float32), w) / M.pow(ST.constant(6.0, dtype=_dt.float32), w)


class BeamSearchDecoder(Decoder):
    """Beam search over ``cell``'s outputs (see the module's docstring). ``embedding`` is a
    callable on the ids or the ``params`` of ``embedding_lookup``; ``start_tokens`` [batch];
    ``initial_state`` tiled to ``batch * beam_width`` rows (``tile_batch``)."""

    def __init__(self, cell: Any, embedding: Any, start_tokens: TensorLike, end_token: TensorLike,
                 initial_state: Any, beam_width: int, output_layer: Callable[[Tensor], Tensor] | None = None,
                 length_penalty_weight: Any = 0.0, coverage_penalty_weight: Any = 0.0,
                 reorder_tensor_arrays: bool = True) -> None:
        if not callable(cell) or not hasattr(cell, "state_size") or not hasattr(cell, "output_size"):
            raise TypeError(f"cell must be an RNNCell, received: {type(cell).__name__}")
        if output_layer is not None and not callable(output_layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer).__name__}")
        if not isinstance(beam_width, (int, np.integer)) or isinstance(beam_width, bool) or beam_width < 1:
            raise ValueError(f"beam_width must be a positive Python int, got {beam_width!r}")
        self._cell = cell
        self._output_layer = output_layer
        self._beam_width = int(beam_width)
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._embedding_fn = embedding if callable(embedding) else (lambda ids: embedding_lookup(embedding, ids))
        tokens = convert_to_tensor(start_tokens, dtype=_dt.int32)
        if tokens.shape.rank != 1:
            raise ValueError(f"start_tokens must be a vector, got shape {tokens.shape}")
        self._end_token = convert_to_tensor(end_token, dtype=_dt.int32)
        if self._end_token.shape.rank != 0:
            raise ValueError(f"end_token must be a scalar, got shape {self._end_token.shape}")
        self._static_batch: int | None = tokens.shape.as_list()[0]
        self._batch_size: Tensor = S.size(tokens)
        if self._static_batch is None:
            v = static_value(self._batch_size)
            self._static_batch = int(v) if v is not None else None
        self._batch = self._static_batch if self._static_batch is not None else self._batch_size
        self._initial_cell_state = self._map(self._maybe_split, initial_state, what="initial_state")
        self._start_tokens = tile(S.expand_dims(tokens, 1), [1, self._beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        # beam 0 alive, the others finished
        beams = ST.range(self._beam_width)
        self._finished = R.broadcast_to(S.expand_dims(M.greater(beams, 0), 0), [self._batch, self._beam_width])
        self._finished.set_shape([self._static_batch, self._beam_width])

    # ---- the Decoder interface ---------------------------------------------------------------------

    @property
    def batch_size(self) -> Tensor:
        return self._batch_size

    @property
    def tracks_own_finished(self) -> bool:
        """The decoder reorders its beams and their finished flags each step, so ``dynamic_decode``
        must take ``finished`` as given."""
        return True

    @property
    def output_size(self) -> BeamSearchDecoderOutput:
        k = TensorShape([self._beam_width])
        return BeamSearchDecoderOutput(scores=k, predicted_ids=k, parent_ids=k)

    def _dtype(self) -> _dt.DType:
        """The scores' dtype: the initial cell state's first part's (TF 1.15)."""
        return flatten(self._initial_cell_state)[0].dtype

    @property
    def output_dtype(self) -> BeamSearchDecoderOutput:
        return BeamSearchDecoderOutput(scores=self._dtype(), predicted_ids=_dt.int32, parent_ids=_dt.int32)

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any, BeamSearchDecoderState]:
        """``(finished, start_inputs, initial_state)``: beam 0 alive with log probability 0, the
        others finished with -inf."""
        with name_scope(name, "BeamSearchDecoderInitialize"):
            dtype = self._dtype()
            log_probs = M.where(self._finished, ST.constant(-np.inf, dtype=dtype), ST.constant(0.0, dtype=dtype))
            attention = _attention_probs(self._initial_cell_state, self._coverage_penalty_weight)
            lengths = ST.zeros(stack([self._batch_size, self._beam_width]), _dt.int64)
            lengths.set_shape([self._static_batch, self._beam_width])
            state = BeamSearchDecoderState(cell_state=self._initial_cell_state, log_probs=log_probs,
                                           finished=self._finished, lengths=lengths,
                                           accumulated_attention_probs=attention if attention is not None else ())
        return self._finished, self._start_inputs, state

    def step(self, time: Tensor, inputs: Any, state: BeamSearchDecoderState,
             name: str | None = None) -> tuple[BeamSearchDecoderOutput, BeamSearchDecoderState, Any, Tensor]:
        """One beam search step: ``(outputs, next_state, next_inputs, finished)``."""
        with name_scope(name, "BeamSearchDecoderStep"):
            merged_inputs = pack_as(inputs, [self._merge(convert_to_tensor(x)) for x in flatten(inputs)])
            cell_state = self._map(self._maybe_merge, state.cell_state)
            cell_outputs, next_cell_state = self._cell(merged_inputs, cell_state)
            cell_outputs = pack_as(cell_outputs, [self._split(convert_to_tensor(o)) for o in flatten(cell_outputs)])
            next_cell_state = self._map(self._maybe_split, next_cell_state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            output, next_state = self._beam_search_step(cell_outputs, next_cell_state, state)
            finished = next_state.finished
            ids = output.predicted_ids
            next_inputs = cond(R.reduce_all(finished), lambda: self._start_inputs, lambda: self._embedding_fn(ids))
        return output, next_state, next_inputs, finished

    def finalize(self, outputs: BeamSearchDecoderOutput, final_state: BeamSearchDecoderState,
                 sequence_lengths: Tensor) -> tuple[FinalBeamSearchDecoderOutput, BeamSearchDecoderState]:
        """The beams traced back (``gather_tree`` up to each row's longest beam); with
        ``reorder_tensor_arrays`` the cell state's TensorArrays reordered along them, stacked."""
        longest = M.cast(R.reduce_max(final_state.lengths, axis=1), _dt.int32)
        predicted_ids = gather_tree(outputs.predicted_ids, outputs.parent_ids, longest, self._end_token)
        if self._reorder_tensor_arrays:
            cell_state = pack_as(final_state.cell_state,
                                 [self._sort_array(t, outputs.parent_ids, final_state.lengths)
                                  for t in flatten(final_state.cell_state)])
            final_state = final_state._replace(cell_state=cell_state)
        return FinalBeamSearchDecoderOutput(predicted_ids=predicted_ids, beam_search_decoder_output=outputs), \
            final_state

    # ---- [batch, beam, ...] <-> [batch * beam, ...] ------------------------------------------------------

    def _map(self, fn: Callable[[Any, str], Any], structure: Any, what: str = "cell state") -> Any:
        return pack_as(structure, [fn(t, what) for t in flatten(structure)])

    def _merge(self, t: Tensor, what: str = "inputs") -> Tensor:
        rest = t.shape.as_list()[2:]
        static = self._static_batch * self._beam_width if self._static_batch is not None else None
        if static is not None and all(d is not None for d in rest):
            out = S.reshape(t, [static] + rest)
        else:
            out = S.reshape(t, concat([S.reshape(self._batch_size * self._beam_width, [1]), S.shape(t)[2:]], 0))
        out.set_shape([static] + rest)
        return out

    def _split(self, t: Tensor, what: str = "cell output") -> Tensor:
        dims = t.shape.as_list()
        rows = self._static_batch * self._beam_width if self._static_batch is not None else None
        if rows is not None and dims[0] is not None and dims[0] != rows:
            raise ValueError(
                f"BeamSearchDecoder: {what} tensor {t.name} has {dims[0]} rows (shape {t.shape}) where "
                f"batch_size * beam_width = {self._static_batch} * {self._beam_width} = {rows} were expected; "
                f"tile the encoder's state with tf.contrib.seq2seq.tile_batch(state, multiplier=beam_width) (or "
                f"build the zero_state with batch_size * beam_width rows)")
        if self._static_batch is not None and all(d is not None for d in dims[1:]):
            out = S.reshape(t, [self._static_batch, self._beam_width] + dims[1:])
        else:
            out = S.reshape(t, concat([stack([self._batch_size, self._beam_width]), S.shape(t)[1:]], 0))
        out.set_shape([self._static_batch, self._beam_width] + dims[1:])
        return out

    def _maybe_split(self, t: Any, what: str = "cell state") -> Any:
        if isinstance(t, TensorArray):
            return t
        t = convert_to_tensor(t)
        if t.shape.rank is None:
            raise ValueError(f"BeamSearchDecoder: expected {what} tensor {t.name} to have a known rank")
        return self._split(t, what) if t.shape.rank >= 1 else t

    def _maybe_merge(self, t: Any, what: str = "cell state") -> Any:
        if isinstance(t, TensorArray):
            return t
        t = convert_to_tensor(t)
        if t.shape.rank is None:
            raise ValueError(f"BeamSearchDecoder: expected {what} tensor {t.name} to have a known rank")
        return self._merge(t) if t.shape.rank >= 2 else t

    def _sort_array(self, t: Any, parent_ids: Tensor, lengths: Tensor) -> Any:
        """A TensorArray of the cell state, stacked and reordered along the final beams when its
        elements are [batch * beam, ...] or [batch, beam, ...]; anything else as it is."""
        if not isinstance(t, TensorArray):
            return t
        element = t.element_shape
        if element.rank is None or element.rank < 1:
            warnings.warn(f"The TensorArray in the cell state is not amenable to sorting based on the beam search "
                          f"result: its elements need a known shape of rank >= 1, saw {element}", stacklevel=2)
            return t
        dims = element.as_list()
        batch, k = self._static_batch, self._beam_width
        if batch is not None and dims[0] is not None and \
                dims[0] != batch * k and (len(dims) < 2 or dims[1] is None or (dims[0], dims[1]) != (batch, k)):
            warnings.warn(f"TensorArray reordering expects elements reshapable to [batch_size, beam_width, -1], "
                          f"incompatible with {element}; set reorder_tensor_arrays=False to skip it", stacklevel=2)
            return t
        return gather_tree_from_array(t.stack(), parent_ids, lengths)

    # ---- one step ------------------------------------------------------------------------------------

    def _beam_search_step(self, logits: Any, next_cell_state: Any,
                          state: BeamSearchDecoderState) -> tuple[BeamSearchDecoderOutput, BeamSearchDecoderState]:
        batch, k, static_batch = self._batch, self._beam_width, self._static_batch
        end = self._end_token
        logits = convert_to_tensor(logits)
        vocab = logits.shape.as_list()[-1]
        if vocab is None:
            raise ValueError(f"BeamSearchDecoder needs the vocabulary size (the logits' last dim) known, got "
                             f"{logits.shape}")
        finished = state.finished
        not_finished = M.logical_not(finished)
        # a finished beam extends only with end_token, at log probability 0
        step_log_probs = log_softmax(logits)
        is_end = M.equal(ST.range(vocab), end)  # [vocab]
        fin3 = S.expand_dims(finished, 2)
        masked = M.where(M.logical_and(fin3, is_end), ST.constant(0.0, dtype=step_log_probs.dtype),
                         ST.constant(step_log_probs.dtype.min, dtype=step_log_probs.dtype))
        step_log_probs = M.where(fin3, masked, step_log_probs)
        total = S.expand_dims(state.log_probs, 2) + step_log_probs  # [batch, beam, vocab]
        # the candidates' lengths: +1 for a live beam's word other than end_token
        grows = M.cast(M.logical_and(S.expand_dims(not_finished, 2), M.logical_not(is_end)), _dt.int64)
        scores = total
        penalty = _length_penalty(S.expand_dims(state.lengths, 2) + grows, self._length_penalty_weight)
        if penalty is not None:
            scores = scores / M.cast(penalty, scores.dtype)
        accumulated = None
        attention = _attention_probs(next_cell_state, self._coverage_penalty_weight)
        if attention is not None:
            attention = attention * S.expand_dims(M.cast(not_finished, attention.dtype), 2)
            accumulated = state.accumulated_attention_probs + attention
            scores = scores + self._coverage_penalty(accumulated, finished, scores.dtype)
        # the beam_width best of beam_width * vocab candidates
        flat_scores = S.reshape(scores, [batch, k * vocab]) if static_batch is not None else \
            S.reshape(scores, stack([batch, k * vocab]))
        _, indices = top_k(flat_scores, k)
        indices.set_shape([static_batch, k])
        # the values gathered, not top_k's: -inf scores must stay -inf
        next_scores = _gather_beams(flat_scores, indices, batch, k * vocab, static_batch)
        next_log_probs = _gather_beams(S.reshape(total, [-1, k * vocab]), indices, batch, k * vocab, static_batch)
        word_ids = M.cast(M.floormod(indices, vocab), _dt.int32)
        beam_ids = M.cast(M.floordiv(indices, vocab), _dt.int32)

        def follow(x: Tensor) -> Tensor:
            return _gather_beams(x, beam_ids, batch, k, static_batch)

        prev_finished = follow(finished)
        next_finished = M.logical_or(prev_finished, M.equal(word_ids, end))
        next_lengths = follow(state.lengths) + M.cast(M.logical_not(prev_finished), _dt.int64)
        next_accumulated: Any = () if accumulated is None else follow(accumulated)

        def follow_state(t: Any) -> Any:
            if isinstance(t, TensorArray):
                return t
            t = convert_to_tensor(t)
            return follow(t) if t.shape.rank >= 2 else t

        next_cell_state = pack_as(next_cell_state, [follow_state(t) for t in flatten(next_cell_state)])
        next_state = BeamSearchDecoderState(cell_state=next_cell_state, log_probs=next_log_probs,
                                            finished=next_finished, lengths=next_lengths,
                                            accumulated_attention_probs=next_accumulated)
        return BeamSearchDecoderOutput(scores=next_scores, predicted_ids=word_ids, parent_ids=beam_ids), next_state

    def _coverage_penalty(self, accumulated: Tensor, finished: Tensor, dtype: _dt.DType) -> Tensor:
        """``weight * sum_t log(min(acc, 1))`` (zero entries counted as 1) for beams finished
        before this step, 0 for the others: [batch, beam, 1]."""
        acc = M.where(M.equal(accumulated, 0.0), ST.ones_like(accumulated), accumulated)
        penalty = R.reduce_sum(M.log(M.minimum(acc, 1.0)), 2) * M.cast(finished, acc.dtype)
        weighted = M.cast(penalty, dtype) * M.cast(convert_to_tensor(self._coverage_penalty_weight), dtype)
        return S.expand_dims(weighted, 2)
