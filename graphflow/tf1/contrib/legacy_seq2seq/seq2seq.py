"""TF 1.15's ``tf.contrib.legacy_seq2seq``: sequence-to-sequence models over static lists of step
tensors (one [batch, depth] input, or [batch] int32 symbols, per step), with TF's scopes and
variable names.

- rnn_decoder: ``cell`` over the decoder inputs from ``initial_state``; with ``loop_function``
  every step after the first reads ``loop_function(prev_output, i)`` instead of its input.
- basic_rnn_seq2seq / tied_rnn_seq2seq: an encoder static_rnn whose final state starts the
  decoder; the basic model's encoder is a copy of ``cell`` (its own variables), the tied one shares.
- embedding_rnn_decoder / _seq2seq, embedding_tied_rnn_seq2seq: symbols embedded
  (``embedding``); ``feed_previous`` (a bool, or a bool tensor choosing between both decoders at
  run time) feeds back the argmax of the previous output (through ``output_projection`` when
  given; otherwise the decoder cell is wrapped in an OutputProjectionWrapper to the symbols).
- attention_decoder: ``num_heads`` additive attention reads of ``attention_states`` [batch,
  length, size] (``AttnW_<a>``, ``AttnV_<a>``, ``Attention_<a>/``), mixed into each input
  (``kernel``/``bias``) and into the output (``AttnOutputProjection/``); with
  ``initial_state_attention`` the first read comes from the initial state instead of zeros.
- embedding_attention_decoder / _seq2seq: the above with embeddings, the encoder's outputs the
  attention states.
- one2many_rnn_seq2seq: one encoder, one embedding decoder per named decoder input list.

TF's module also holds the losses and ``model_with_buckets`` (``loss.py``): re-exported here.
"""
from __future__ import annotations

import contextlib
import copy
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat
from graphflow.ops.control_flow import cond
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import embedding_lookup, softmax, xw_plus_b
from graphflow.ops.variables import get_variable, get_variable_scope, variable_scope
from graphflow.tf1.contrib.legacy_seq2seq.loss import model_with_buckets, sequence_loss, sequence_loss_by_example
from graphflow.tf1.contrib.rnn.core_rnn_cell import EmbeddingWrapper, Linear, OutputProjectionWrapper
from graphflow.tf1.nn.rnn import static_rnn
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState

LoopFunction = Callable[[Tensor, int], Tensor]
Projection = tuple[TensorLike, TensorLike]
Steps = Sequence[TensorLike]

# the encoder copies made of a cell, per scope: a later model under reuse=True (another bucket)
# gets the same copy, as TF1's fresh deep copy would get the same variables by name
_COPIES: weakref.WeakKeyDictionary[RNNCell, dict[str, RNNCell]] = weakref.WeakKeyDictionary()


def _encoder_copy(cell: RNNCell) -> RNNCell:
    """TF1's ``copy.deepcopy(cell)``: a cell of the same configuration whose variables are its own
    (graph objects the cell holds, e.g. a keep probability placeholder, are shared)."""
    scope = get_variable_scope()
    copies = _COPIES.setdefault(cell, {})
    if scope.reuse and scope.name in copies:
        return copies[scope.name]
    memo: dict[int, Any] = {}
    _keep_graph_objects(cell, memo, set())
    copies[scope.name] = copy.deepcopy(cell, memo)
    return copies[scope.name]


def _keep_graph_objects(obj: Any, memo: dict[int, Any], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (Tensor, Operation, Graph)):
        memo[id(obj)] = obj
    elif isinstance(obj, (list, tuple, set)):
        for x in obj:
            _keep_graph_objects(x, memo, seen)
    elif isinstance(obj, dict):
        for x in obj.values():
            _keep_graph_objects(x, memo, seen)
    elif hasattr(obj, "__dict__") and not callable(obj):
        for x in vars(obj).values():
            _keep_graph_objects(x, memo, seen)


def _named(wrapper: RNNCell, name: str) -> RNNCell:
    # a wrapper made anew for each model opens its TF name, not a numbered one: under reuse=True
    # (model_with_buckets' later buckets) it finds the first model's variables
    wrapper._name = name
    return wrapper


def _extract_argmax_and_embed(embedding: Tensor, output_projection: Projection | None = None,
                              update_embedding: bool = True) -> LoopFunction:
    """The loop function that feeds back the previous output's argmax symbol, embedded."""
    def loop_function(prev: Tensor, _: int) -> Tensor:
        if output_projection is not None:
            prev = xw_plus_b(prev, output_projection[0], output_projection[1])
        emb = embedding_lookup(embedding, R.argmax(prev, 1))
        return emb if update_embedding else M.stop_gradient(emb)
    return loop_function


def rnn_decoder(decoder_inputs: Steps, initial_state: RNNState, cell: RNNCell,
                loop_function: LoopFunction | None = None, scope: str | None = None) -> tuple[list[Tensor], RNNState]:
    """``(outputs, state)``: ``cell`` over ``decoder_inputs`` (variables under ``rnn_decoder/``)."""
    with variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs: list[Tensor] = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def basic_rnn_seq2seq(encoder_inputs: Steps, decoder_inputs: Steps, cell: RNNCell, dtype: DTypeLike = _dt.float32,
                      scope: str | None = None) -> tuple[list[Tensor], RNNState]:
    """An encoder (a copy of ``cell``) whose final state starts the decoder."""
    with variable_scope(scope or "basic_rnn_seq2seq"):
        _, enc_state = static_rnn(_encoder_copy(cell), encoder_inputs, dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(encoder_inputs: Steps, decoder_inputs: Steps, cell: RNNCell,
                     loop_function: LoopFunction | None = None, dtype: DTypeLike = _dt.float32,
                     scope: str | None = None) -> tuple[list[Tensor], RNNState]:
    """basic_rnn_seq2seq with one set of variables for the encoder and the decoder."""
    with variable_scope("combined_tied_rnn_seq2seq"):
        name = scope or "tied_rnn_seq2seq"
        _, enc_state = static_rnn(cell, encoder_inputs, dtype=dtype, scope=name)
        return rnn_decoder(decoder_inputs, enc_state, cell, loop_function=loop_function, scope=name)


def _check_projection(output_projection: Projection | None, num_symbols: int, dtype: DTypeLike) -> None:
    if output_projection is None:
        return
    weights = convert_to_tensor(output_projection[0], dtype=dtype)
    biases = convert_to_tensor(output_projection[1], dtype=dtype)
    if not weights.shape.is_compatible_with([None, num_symbols]) or \
            not biases.shape.is_compatible_with([num_symbols]):
        raise ValueError(f"output_projection must be (weights [?, {num_symbols}], biases [{num_symbols}]), "
                         f"got {weights.shape} and {biases.shape}")


def embedding_rnn_decoder(decoder_inputs: Steps, initial_state: RNNState, cell: RNNCell, num_symbols: int,
                          embedding_size: int, output_projection: Projection | None = None,
                          feed_previous: bool = False, update_embedding_for_previous: bool = True,
                          scope: str | None = None, dtype: DTypeLike = _dt.float32) -> tuple[list[Tensor], RNNState]:
    """rnn_decoder over embedded symbols (``embedding_rnn_decoder/embedding``)."""
    with variable_scope(scope or "embedding_rnn_decoder"):
        _check_projection(output_projection, num_symbols, dtype)
        embedding = get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        loop = _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous) \
            if feed_previous else None
        emb = [embedding_lookup(embedding, i) for i in decoder_inputs]
        return rnn_decoder(emb, initial_state, cell, loop_function=loop)


def _both_ways(feed_previous: TensorLike, decoder: Callable[[bool], tuple[list[Tensor], RNNState]],
               n_outputs: int) -> tuple[list[Tensor], RNNState]:
    """TF1's two decoders (feeding back, then not, sharing variables) chosen by a bool tensor."""
    built = []
    for feed in (True, False):
        with variable_scope(get_variable_scope(), reuse=None if feed else True):
            outputs, state = decoder(feed)
        built.append(list(outputs) + [convert_to_tensor(s) for s in flatten(state)])
    chosen = cond(convert_to_tensor(feed_previous), lambda: built[0], lambda: built[1])
    return list(chosen[:n_outputs]), pack_as(state, list(chosen[n_outputs:]))


def embedding_rnn_seq2seq(encoder_inputs: Steps, decoder_inputs: Steps, cell: RNNCell, num_encoder_symbols: int,
                          num_decoder_symbols: int, embedding_size: int, output_projection: Projection | None = None,
                          feed_previous: bool | TensorLike = False, dtype: DTypeLike | None = None,
                          scope: str | None = None) -> tuple[list[Tensor], RNNState]:
    """Embedded encoder symbols (an EmbeddingWrapper round a copy of ``cell``) encoded, and
    embedding_rnn_decoder from the encoder's state."""
    dtype = dtype or _dt.float32
    with variable_scope(scope or "embedding_rnn_seq2seq"):
        encoder = _named(EmbeddingWrapper(_encoder_copy(cell), num_encoder_symbols, embedding_size),
                         "embedding_wrapper")
        _, enc_state = static_rnn(encoder, encoder_inputs, dtype=dtype)
        if output_projection is None:
            cell = _named(OutputProjectionWrapper(cell, num_decoder_symbols), "output_projection_wrapper")

        def decoder(feed: bool, update: bool = False) -> tuple[list[Tensor], RNNState]:
            return embedding_rnn_decoder(decoder_inputs, enc_state, cell, num_decoder_symbols, embedding_size,
                                         output_projection, feed, update, dtype=dtype)
        if isinstance(feed_previous, bool):
            return decoder(feed_previous, True)
        return _both_ways(feed_previous, decoder, len(decoder_inputs))


def embedding_tied_rnn_seq2seq(encoder_inputs: Steps, decoder_inputs: Steps, cell: RNNCell, num_symbols: int,
                               embedding_size: int, num_decoder_symbols: int | None = None,
                               output_projection: Projection | None = None, feed_previous: bool | TensorLike = False,
                               dtype: DTypeLike | None = None, scope: str | None = None
                               ) -> tuple[list[Tensor], RNNState]:
    """tied_rnn_seq2seq over one ``embedding`` for encoder and decoder symbols."""
    dtype = dtype or _dt.float32
    with variable_scope(scope or "embedding_tied_rnn_seq2seq"):
        _check_projection(output_projection, num_symbols, dtype)
        embedding = get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        emb_enc = [embedding_lookup(embedding, x) for x in encoder_inputs]
        emb_dec = [embedding_lookup(embedding, x) for x in decoder_inputs]
        out_symbols = num_decoder_symbols if num_decoder_symbols is not None else num_symbols
        if output_projection is None:
            cell = _named(OutputProjectionWrapper(cell, out_symbols), "output_projection_wrapper")

        def decoder(feed: bool, update: bool = False) -> tuple[list[Tensor], RNNState]:
            loop = _extract_argmax_and_embed(embedding, output_projection, update) if feed else None
            return tied_rnn_seq2seq(emb_enc, emb_dec, cell, loop_function=loop, dtype=dtype)
        if isinstance(feed_previous, bool):
            return decoder(feed_previous, True)
        return _both_ways(feed_previous, decoder, len(decoder_inputs))


def attention_decoder(decoder_inputs: Steps, initial_state: RNNState, attention_states: TensorLike, cell: RNNCell,
                      output_size: int | None = None, num_heads: int = 1, loop_function: LoopFunction | None = None,
                      dtype: DTypeLike | None = None, scope: str | None = None,
                      initial_state_attention: bool = False) -> tuple[list[Tensor], RNNState]:
    """rnn_decoder with ``num_heads`` attention reads of ``attention_states`` (module docstring)."""
    if not decoder_inputs:
        raise ValueError("Must provide at least 1 input to attention decoder.")
    if num_heads < 1:
        raise ValueError("With less than 1 heads, use a non-attention decoder.")
    att = convert_to_tensor(attention_states)
    dims = att.shape.as_list()
    if att.shape.rank != 3 or dims[2] is None:
        raise ValueError(f"Shape[2] of attention_states must be known: {att.shape}")
    out_size = output_size if output_size is not None else cell.output_size
    dtype = dtype or att.dtype
    attn_size = int(dims[2])
    length = dims[1] if dims[1] is not None else S.shape(att)[1]
    with variable_scope(scope or "attention_decoder"):
        keys, vs = [], []
        for a in range(num_heads):
            k = get_variable(f"AttnW_{a}", [1, 1, attn_size, attn_size], dtype=dtype)
            # TF's 1x1 conv2d over the states [batch, length, 1, size]: one matmul
            keys.append(S.reshape(matmul(S.reshape(att, [-1, attn_size]), S.reshape(k, [attn_size, attn_size])),
                                  [-1, length, attn_size]))
            vs.append(get_variable(f"AttnV_{a}", [attn_size], dtype=dtype))
        layers: dict[str, Linear] = {}

        def layer(key: str, args: list[Tensor], size: int, where: str | None) -> Tensor:
            if key not in layers:
                with variable_scope(where) if where else contextlib.nullcontext():
                    layers[key] = Linear(args, size, True)
            return layers[key](args)

        def attention(query: RNNState) -> list[Tensor]:
            q = concat(flatten(query), 1) if isinstance(query, (list, tuple)) else query
            reads = []
            for a in range(num_heads):
                y = layer(f"attention_{a}", [q], attn_size, f"Attention_{a}")  # type: ignore[list-item]
                s = R.reduce_sum(vs[a] * M.tanh(keys[a] + S.expand_dims(y, 1)), [2])
                weights = softmax(s)
                reads.append(R.reduce_sum(S.expand_dims(weights, 2) * att, [1]))
            return reads

        batch: Tensor = S.shape(convert_to_tensor(decoder_inputs[0]))[0]
        shape: list[int | Tensor] = [batch, attn_size]
        attns = [ST.zeros(shape, dtype) for _ in range(num_heads)]
        for a_ in attns:
            a_.set_shape([None, attn_size])
        if initial_state_attention:
            attns = attention(initial_state)
        outputs: list[Tensor] = []
        prev = None
        state = initial_state
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            x_in = convert_to_tensor(inp)
            input_size = x_in.shape.as_list()[1] if x_in.shape.rank == 2 else None
            if input_size is None:
                raise ValueError(f"Could not infer input size from input: {x_in.name} ({x_in.shape})")
            x = layer("input", [x_in] + attns, int(input_size), None)
            cell_output, state = cell(x, state)
            attns = attention(state)
            output = layer("output", [cell_output] + attns, out_size, "AttnOutputProjection")
            if loop_function is not None:
                prev = output
            outputs.append(output)
    return outputs, state


def embedding_attention_decoder(decoder_inputs: Steps, initial_state: RNNState, attention_states: TensorLike,
                                cell: RNNCell, num_symbols: int, embedding_size: int, num_heads: int = 1,
                                output_size: int | None = None, output_projection: Projection | None = None,
                                feed_previous: bool = False, update_embedding_for_previous: bool = True,
                                dtype: DTypeLike | None = None, scope: str | None = None,
                                initial_state_attention: bool = False) -> tuple[list[Tensor], RNNState]:
    """attention_decoder over embedded symbols (``embedding_attention_decoder/embedding``)."""
    dtype = dtype or _dt.float32
    _check_projection(output_projection, num_symbols, dtype)
    with variable_scope(scope or "embedding_attention_decoder"):
        embedding = get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        loop = _extract_argmax_and_embed(embedding, output_projection, update_embedding_for_previous) \
            if feed_previous else None
        emb = [embedding_lookup(embedding, i) for i in decoder_inputs]
        return attention_decoder(emb, initial_state, attention_states, cell, output_size=output_size,
                                 num_heads=num_heads, loop_function=loop, dtype=dtype,
                                 initial_state_attention=initial_state_attention)


def embedding_attention_seq2seq(encoder_inputs: Steps, decoder_inputs: Steps, cell: RNNCell,
                                num_encoder_symbols: int, num_decoder_symbols: int, embedding_size: int,
                                num_heads: int = 1, output_projection: Projection | None = None,
                                feed_previous: bool | TensorLike = False, dtype: DTypeLike | None = None,
                                scope: str | None = None, initial_state_attention: bool = False
                                ) -> tuple[list[Tensor], RNNState]:
    """Embedded encoder symbols encoded; the encoder's outputs attended by
    embedding_attention_decoder from its final state."""
    dtype = dtype or _dt.float32
    with variable_scope(scope or "embedding_attention_seq2seq"):
        encoder = _named(EmbeddingWrapper(_encoder_copy(cell), num_encoder_symbols, embedding_size),
                         "embedding_wrapper")
        enc_outputs, enc_state = static_rnn(encoder, encoder_inputs, dtype=dtype)
        attention_states = concat([S.reshape(e, [-1, 1, cell.output_size]) for e in enc_outputs], 1)
        output_size = None
        if output_projection is None:
            cell = _named(OutputProjectionWrapper(cell, num_decoder_symbols), "output_projection_wrapper")
            output_size = num_decoder_symbols

        def decoder(feed: bool, update: bool = False) -> tuple[list[Tensor], RNNState]:
            return embedding_attention_decoder(
                decoder_inputs, enc_state, attention_states, cell, num_decoder_symbols, embedding_size,
                num_heads=num_heads, output_size=output_size, output_projection=output_projection,
                feed_previous=feed, update_embedding_for_previous=update, dtype=dtype,
                initial_state_attention=initial_state_attention)
        if isinstance(feed_previous, bool):
            return decoder(feed_previous, True)
        return _both_ways(feed_previous, decoder, len(decoder_inputs))


def one2many_rnn_seq2seq(encoder_inputs: Steps, decoder_inputs_dict: dict[str, Steps], enc_cell: RNNCell,
                         dec_cells_dict: dict[str, RNNCell], num_encoder_symbols: int,
                         num_decoder_symbols_dict: dict[str, int], embedding_size: int,
                         feed_previous: bool | TensorLike = False, dtype: DTypeLike | None = None,
                         scope: str | None = None) -> tuple[dict[str, list[Tensor]], dict[str, RNNState]]:
    """One encoder; for each name, an embedding_rnn_decoder (``one2many_decoder_<name>/``) with
    its own cell, wrapped to its symbols."""
    if set(decoder_inputs_dict) != set(dec_cells_dict) or set(decoder_inputs_dict) != set(num_decoder_symbols_dict):
        raise ValueError("one2many_rnn_seq2seq: decoder_inputs_dict, dec_cells_dict and num_decoder_symbols_dict "
                         f"must have the same keys, got {sorted(decoder_inputs_dict)}, {sorted(dec_cells_dict)}, "
                         f"{sorted(num_decoder_symbols_dict)}")
    dtype = dtype or _dt.float32
    outputs, states = {}, {}
    with variable_scope(scope or "one2many_rnn_seq2seq"):
        encoder = _named(EmbeddingWrapper(enc_cell, num_encoder_symbols, embedding_size), "embedding_wrapper")
        _, enc_state = static_rnn(encoder, encoder_inputs, dtype=dtype)
        for name, dec_inputs in decoder_inputs_dict.items():
            n_symbols = num_decoder_symbols_dict[name]
            with variable_scope("one2many_decoder_" + str(name)):
                dec_cell = _named(OutputProjectionWrapper(dec_cells_dict[name], n_symbols),
                                  "output_projection_wrapper")

                def decoder(feed: bool, update: bool = False) -> tuple[list[Tensor], RNNState]:
                    return embedding_rnn_decoder(dec_inputs, enc_state, dec_cell, n_symbols, embedding_size,
                                                 feed_previous=feed, update_embedding_for_previous=update,
                                                 dtype=dtype)
                if isinstance(feed_previous, bool):
                    outputs[name], states[name] = decoder(feed_previous, True)
                else:
                    outputs[name], states[name] = _both_ways(feed_previous, decoder, len(dec_inputs))
    return outputs, states


__all__ = ["attention_decoder", "basic_rnn_seq2seq", "embedding_attention_decoder", "embedding_attention_seq2seq",
           "embedding_rnn_decoder", "embedding_rnn_seq2seq", "embedding_tied_rnn_seq2seq", "model_with_buckets",
           "one2many_rnn_seq2seq", "rnn_decoder", "sequence_loss", "sequence_loss_by_example", "tied_rnn_seq2seq"]
