"""``tf.contrib.seq2seq``'s attention (TF 1.15's behaviour): attention mechanisms that score a
query against a memory, and ``AttentionWrapper``, an RNN cell that attends over the memory at
every step.

A mechanism is built once, outside any loop, from the memory ([batch, max_time, depth], e.g. an
encoder's outputs): the memory's rows past each ``memory_sequence_length`` are zeroed (the
``values``), and ``keys = memory_layer(values)`` (a bias-free Dense, ``memory_layer/kernel``).
Each call ``mechanism(query, state)`` scores the query against the keys, masks the scores past
each row's length with ``score_mask_value`` (-inf by default, so softmax gives them weight 0) and
turns them into ``alignments`` with ``probability_fn`` (softmax by default):

- ``BahdanauAttention`` (additive): ``score = sum(v tanh(keys + W_q q), -1)``; normalized,
  ``sum(g v / |v| tanh(keys + W_q q + b), -1)`` (``query_layer/kernel``, ``attention_v``,
  ``attention_g``, ``attention_b`` under ``bahdanau_attention/``).
- ``LuongAttention`` (multiplicative): ``score = q . keys`` (the query's depth must be
  ``num_units``), scaled by the scalar ``luong_attention/attention_g`` when ``scale``.

``AttentionWrapper`` feeds ``cell_input_fn(inputs, previous attention)`` to its cell, queries each
mechanism with the cell's output, and makes the step's attention from the context (the
alignment-weighted sum of the values), through a bias-free ``attention_layer`` on
``[cell_output, context]`` when ``attention_layer_size`` is given. Its state is an
``AttentionWrapperState``; ``alignment_history`` keeps every step's alignments in a TensorArray.
Variables live under the wrapper's scope (``attention_wrapper`` unless named), as TF1's: e.g.
``rnn/attention_wrapper/bahdanau_attention/attention_v``.
"""
from __future__ import annotations

import contextlib
import math
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Union

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, one_hot
from graphflow.ops.check_ops import assert_positive
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.index_ops import sequence_mask
from graphflow.ops.linalg_ops import cumsum, matmul
from graphflow.ops.nn_ops import softmax
from graphflow.ops.tensor_array import TensorArray
from graphflow.ops.variables import (
    InitializerLike,
    VariableScope,
    constant_initializer,
    get_variable,
    ones_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.layers.core import Dense, Layer
from graphflow.tf1.nn.rnn_cell import RNNCell, RNNState

__all__ = ["AttentionMechanism", "AttentionWrapper", "AttentionWrapperState", "BahdanauAttention",
           "LuongAttention", "hardmax", "safe_cumprod"]

# a dim known when the graph is built, or a scalar tensor when only the run knows it
Dim = Union[int, Tensor]
# scores [batch, max_time] -> probabilities [batch, max_time]
ProbabilityFn = Callable[[Tensor], Tensor]
# (keys, values) -> (keys, values): custom_key_value_fn
KeyValueFn = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
# (inputs, attention) -> the cell's inputs
CellInputFn = Callable[[Tensor, Tensor], Tensor]


def _dim(x: Tensor, axis: int) -> Dim:
    d = x.shape.as_list()[axis]
    return d if d is not None else S.shape(x)[axis]


def _zeros(batch_size: Dim, size: Dim, dtype: DTypeLike) -> Tensor:
    """Zeros of [batch_size, size], their static shape set where the sizes are ints."""
    out = ST.zeros([batch_size, size], dtype)
    out.set_shape([d if isinstance(d, int) else None for d in (batch_size, size)])
    return out


def hardmax(logits: TensorLike, name: str | None = None) -> Tensor:
    """One-hot rows: 1 at each row's largest logit (the first where several tie), 0 elsewhere."""
    x = convert_to_tensor(logits)
    if x.shape.rank is None or x.shape.rank < 1:
        raise ValueError(f"hardmax needs logits of rank >= 1, got shape {x.shape}")
    return one_hot(R.argmax(x, -1), _dim(x, -1), dtype=x.dtype, name=name or "Hardmax")


def safe_cumprod(x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False,
                 name: str | None = None) -> Tensor:
    """``cumprod(x)`` for ``x`` in (0, 1], computed as ``exp(cumsum(log(x)))`` with ``x`` clipped
    to [tiny, 1]: a product (and its gradient) that underflows or divides by zero directly stays
    finite this way."""
    t = convert_to_tensor(x)
    tiny = float(np.finfo(t.dtype.np).tiny)
    return M.exp(cumsum(M.log(M.clip_by_value(t, tiny, 1.0)), axis=axis, exclusive=exclusive, reverse=reverse),
                 name=name)


class AttentionMechanism:
    """What ``AttentionWrapper`` queries: ``keys`` and ``values`` ([batch, max_time, depth]),
    ``batch_size``, ``alignments_size`` (max_time), ``state_size``, ``initial_alignments`` and
    ``initial_state`` (zeros of [batch_size, alignments_size]), and ``mechanism(query, state) ->
    (alignments, next_state)``."""

    dtype: DTypeLike

    @property
    def keys(self) -> Tensor:
        raise NotImplementedError

    @property
    def values(self) -> Tensor:
        raise NotImplementedError

    @property
    def batch_size(self) -> Dim:
        raise NotImplementedError

    @property
    def alignments_size(self) -> Dim:
        raise NotImplementedError

    @property
    def state_size(self) -> Dim:
        return self.alignments_size

    def initial_alignments(self, batch_size: Dim, dtype: DTypeLike) -> Tensor:
        """The alignments before the first step: zeros of [batch_size, alignments_size]."""
        return _zeros(batch_size, self.alignments_size, dtype)

    def initial_state(self, batch_size: Dim, dtype: DTypeLike) -> Tensor:
        """The mechanism's state before the first step (its initial alignments)."""
        return self.initial_alignments(batch_size, dtype)

    def __call__(self, query: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    @property
    def variables(self) -> list[Tensor]:
        return []


def _prepare_memory(memory: TensorLike, memory_sequence_length: TensorLike | None,
                    what: str) -> tuple[Tensor, Tensor | None]:
    """The memory with each row's steps past its length zeroed, and the lengths as a tensor."""
    m = convert_to_tensor(memory)
    if m.shape.rank != 3:
        raise ValueError(f"{what}: memory must be of rank 3 ([batch_size, max_time, depth]), got shape {m.shape}")
    if m.shape.as_list()[2] is None:
        raise ValueError(f"{what}: expected memory {m.name} to have fully defined inner dims, but saw shape: "
                         f"{m.shape}")
    if memory_sequence_length is None:
        return m, None
    lengths = convert_to_tensor(memory_sequence_length)
    if lengths.shape.rank not in (None, 1):
        raise ValueError(f"{what}: memory_sequence_length must be a vector [batch_size], got shape {lengths.shape}")
    if not lengths.dtype.is_integer:
        raise ValueError(f"{what}: memory_sequence_length must be integers, got {lengths.dtype}")
    rows, given = m.shape.as_list()[0], lengths.shape.as_list()[0] if lengths.shape.rank == 1 else None
    if rows is not None and given is not None and rows != given:
        raise ValueError(f"{what}: memory_sequence_length and memory tensor batch sizes do not match: {given} "
                         f"lengths for a memory of shape {m.shape}")
    mask = sequence_mask(lengths, maxlen=_dim(m, 1), dtype=m.dtype)
    return m * S.expand_dims(mask, -1), lengths


class _BaseAttentionMechanism(AttentionMechanism):
    """Keeps the memory (masked: ``values``), its projection (``keys``) and the masking of scores
    past each row's length; a subclass scores a query in ``_score``. Its variables are made on
    the first call, under a scope named ``scope_default`` made in the scope the call runs in
    (the cell's), and reused by every later call."""

    scope_default = "attention"

    def __init__(self, query_layer: Dense | None, memory: TensorLike, probability_fn: ProbabilityFn,
                 memory_sequence_length: TensorLike | None, memory_layer: Dense | None,
                 score_mask_value: float | None, custom_key_value_fn: KeyValueFn | None, name: str) -> None:
        if not callable(probability_fn):
            raise TypeError(f"{name}: probability_fn must be callable, saw type: {type(probability_fn).__name__}")
        if custom_key_value_fn is not None and not callable(custom_key_value_fn):
            raise TypeError(f"{name}: custom_key_value_fn must be callable, saw type: "
                            f"{type(custom_key_value_fn).__name__}")
        self._query_layer = query_layer
        self._memory_layer = memory_layer
        self._name = name
        self._scope: VariableScope | None = None
        self._own: list[Tensor] = []
        values, lengths = _prepare_memory(memory, memory_sequence_length, name)
        layer_dtype = memory_layer.dtype if memory_layer is not None else None
        self.dtype = _dt.as_dtype(layer_dtype if layer_dtype is not None else values.dtype)
        if values.dtype != self.dtype:  # TF1's memory layer refuses it too (dtype defaults to float32)
            raise ValueError(f"{name}: the memory is {values.dtype.name} but the mechanism's dtype is "
                             f"{self.dtype.name}; pass dtype={values.dtype.name} to the mechanism")
        keys = memory_layer(values) if memory_layer is not None else values
        if custom_key_value_fn is not None:
            keys, values = custom_key_value_fn(keys, values)
        self._keys, self._values = keys, values
        self._batch_size = _dim(keys, 0)
        self._alignments_size = _dim(keys, 1)
        self._probability = probability_fn
        self._mask_value = float(-np.inf) if score_mask_value is None else score_mask_value
        self._score_mask: Tensor | None = None
        if lengths is not None:  # built once here, outside any loop that calls the mechanism
            check = assert_positive(lengths, message="All values in memory_sequence_length must be greater than zero.")
            with get_default_graph().control_dependencies([check]):
                self._score_mask = sequence_mask(lengths, maxlen=self._alignments_size)

    keys = property(lambda self: self._keys)
    values = property(lambda self: self._values)
    batch_size = property(lambda self: self._batch_size)
    alignments_size = property(lambda self: self._alignments_size)
    memory_layer = property(lambda self: self._memory_layer)
    query_layer = property(lambda self: self._query_layer)

    @property
    def variables(self) -> list[Tensor]:
        layers = [la for la in (self._memory_layer, self._query_layer) if la is not None]
        return [v for la in layers for v in la.variables] + list(self._own)

    @contextlib.contextmanager
    def _variable_scope(self) -> Iterator[None]:
        if self._scope is None:
            with variable_scope(None, default_name=self.scope_default) as scope:
                self._scope = scope
                yield
        else:
            with variable_scope(self._scope, reuse=True):
                yield

    def _variable(self, name: str, shape: Sequence[int], dtype: DTypeLike,
                  initializer: InitializerLike | None = None) -> Tensor:
        v = get_variable(name, list(shape), dtype=dtype, initializer=initializer)
        if all(v is not w for w in self._own):
            self._own.append(v)
        return v

    def _score(self, query: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, query: TensorLike, state: Tensor) -> tuple[Tensor, Tensor]:
        """``(alignments, next_state)`` for ``query`` [batch, depth]: the scores' probabilities
        ([batch, alignments_size]), which are the next state too."""
        q = convert_to_tensor(query)
        if q.shape.rank != 2:
            raise ValueError(f"{self._name}: the query must be of rank 2 ([batch_size, depth]), got shape {q.shape}")
        with self._variable_scope():
            score = self._score(q)
        if self._score_mask is not None:
            score = M.where(self._score_mask, score, ST.constant(self._mask_value, dtype=score.dtype))
        alignments = self._probability(score)
        return alignments, alignments


def _probability_fn(fn: ProbabilityFn | None) -> ProbabilityFn:
    return fn if fn is not None else softmax


def _dense(units: int, dtype: DTypeLike | None, default: str) -> Dense:
    """A bias-free Dense whose scope is ``default`` numbered as TF1 numbers layers' default names
    (``memory_layer``, then ``memory_layer_1`` for a second mechanism in the same scope)."""
    layer = Dense(units, use_bias=False, dtype=dtype if dtype is not None else _dt.float32)
    layer._default = default
    return layer


class BahdanauAttention(_BaseAttentionMechanism):
    """Additive attention (Bahdanau et al., 2015): ``score = sum(v tanh(keys + W_q q), -1)``, or
    with ``normalize`` the weight-normalised form ``sum(g v / |v| tanh(keys + W_q q + b), -1)``
    (Salimans and Kingma, 2016)."""

    scope_default = "bahdanau_attention"

    def __init__(self, num_units: int, memory: TensorLike, memory_sequence_length: TensorLike | None = None,
                 normalize: bool = False, probability_fn: ProbabilityFn | None = None,
                 score_mask_value: float | None = None, dtype: DTypeLike | None = None,
                 custom_key_value_fn: KeyValueFn | None = None, name: str = "BahdanauAttention") -> None:
        self._num_units = int(num_units)
        self._normalize = normalize
        super().__init__(_dense(self._num_units, dtype, "query_layer"), memory, _probability_fn(probability_fn),
                         memory_sequence_length, _dense(self._num_units, dtype, "memory_layer"),
                         score_mask_value, custom_key_value_fn, name)

    def _score(self, query: Tensor) -> Tensor:
        n, dtype = self._num_units, query.dtype
        processed = S.expand_dims(self._query_layer(query), 1)  # type: ignore[misc]
        v = self._variable("attention_v", [n], dtype)
        if not self._normalize:
            return R.reduce_sum(v * M.tanh(self._keys + processed), 2)
        g = self._variable("attention_g", [], dtype, constant_initializer(math.sqrt(1.0 / n)))
        b = self._variable("attention_b", [n], dtype, zeros_initializer())
        normed_v = g * v * M.rsqrt(R.reduce_sum(M.square(v)))
        return R.reduce_sum(normed_v * M.tanh(self._keys + processed + b), 2)


class LuongAttention(_BaseAttentionMechanism):
    """Multiplicative attention (Luong et al., 2015): ``score = q . keys``, the query's depth
    being ``num_units``; with ``scale``, times a learned scalar ``attention_g`` (starting at 1)."""

    scope_default = "luong_attention"

    def __init__(self, num_units: int, memory: TensorLike, memory_sequence_length: TensorLike | None = None,
                 scale: bool = False, probability_fn: ProbabilityFn | None = None,
                 score_mask_value: float | None = None, dtype: DTypeLike | None = None,
                 custom_key_value_fn: KeyValueFn | None = None, name: str = "LuongAttention") -> None:
        self._num_units = int(num_units)
        self._scale = scale
        super().__init__(None, memory, _probability_fn(probability_fn), memory_sequence_length,
                         _dense(self._num_units, dtype, "memory_layer"), score_mask_value,
                         custom_key_value_fn, name)

    def _score(self, query: Tensor) -> Tensor:
        depth, units = query.shape.as_list()[-1], self._keys.shape.as_list()[-1]
        if depth is not None and units is not None and depth != units:
            raise ValueError(f"{self._name}: incompatible inner dimensions between query and keys: the query "
                             f"{query.shape} has {depth} units, the keys {self._keys.shape} have {units}; perhaps "
                             f"num_units should be the query's depth ({depth})?")
        score = S.squeeze(matmul(S.expand_dims(query, 1), self._keys, transpose_b=True), [1])
        if self._scale:
            score = self._variable("attention_g", [], query.dtype, ones_initializer()) * score
        return score


class AttentionWrapperState(namedtuple("AttentionWrapperState", ["cell_state", "attention", "time", "alignments",
                                                                 "alignment_history", "attention_state"])):
    """An ``AttentionWrapper``'s state: the wrapped cell's state, the previous step's attention,
    the step (an int32 scalar), each mechanism's alignments, their history (TensorArrays, or
    ``()`` when not kept) and each mechanism's state; per mechanism a single item, or a tuple
    when the wrapper was given a list of mechanisms."""

    def clone(self, **kwargs: object) -> AttentionWrapperState:
        """This state with the fields in ``kwargs`` replaced, e.g. ``zero_state(...).clone(
        cell_state=encoder_state)``. A replacing tensor must have a shape compatible with the one
        it replaces, and takes on what that one knew of it."""
        new = self._replace(**kwargs)
        fields = []
        for key, old_value, new_value in zip(self._fields, self, new):
            olds, news = flatten(old_value), flatten(new_value)
            if len(olds) != len(news):
                raise ValueError(f"AttentionWrapperState.clone: {key} must have the structure of "
                                 f"{old_value!r}, got {new_value!r}")
            fields.append(pack_as(new_value, [_same_shape(key, o, n) for o, n in zip(olds, news)]))
        return AttentionWrapperState(*fields)


def _same_shape(key: str, old: object, new: object) -> object:
    if isinstance(old, Tensor) and isinstance(new, Tensor):
        if not old.shape.is_compatible_with(new.shape):
            raise ValueError(f"AttentionWrapperState.clone: the new {key} has shape {new.shape}, not compatible "
                             f"with the shape {old.shape} of the one it replaces")
        new.set_shape(old.shape.merge_with(new.shape))
    return new


# (mechanism, cell_output, mechanism state, attention layer or None) -> (attention, alignments, next mechanism state)
AttentionFn = Callable[[AttentionMechanism, Tensor, Tensor, Union[Layer, None]], tuple[Tensor, Tensor, Tensor]]


def _compute_attention(mechanism: AttentionMechanism, cell_output: Tensor, attention_state: Tensor,
                       attention_layer: Layer | None) -> tuple[Tensor, Tensor, Tensor]:
    """The step's attention from one mechanism: the context (the alignment-weighted sum of the
    values, [batch, depth]), or ``attention_layer([cell_output, context])`` when there is one."""
    alignments, next_state = mechanism(cell_output, attention_state)
    context = S.squeeze(matmul(S.expand_dims(alignments, 1), mechanism.values), [1])
    attention = attention_layer(concat([cell_output, context], 1)) if attention_layer is not None else context
    return attention, alignments, next_state


def _concat_inputs(inputs: Tensor, attention: Tensor) -> Tensor:
    return concat([inputs, attention], -1)


class AttentionWrapper(RNNCell):
    """``cell`` with attention over one mechanism or a list of them: each step feeds
    ``cell_input_fn(inputs, state.attention)`` to ``cell``, queries every mechanism with the
    cell's output, and outputs the step's attention (concatenated over the mechanisms), or the
    cell's output when not ``output_attention``."""

    _default = "attention_wrapper"

    def __init__(self, cell: RNNCell, attention_mechanism: AttentionMechanism | Sequence[AttentionMechanism],
                 attention_layer_size: int | Sequence[int] | None = None, alignment_history: bool = False,
                 cell_input_fn: CellInputFn | None = None, output_attention: bool = True,
                 initial_cell_state: RNNState | None = None, name: str | None = None,
                 attention_layer: Layer | Sequence[Layer] | None = None,
                 attention_fn: AttentionFn | None = None) -> None:
        super().__init__(name=name)
        if not isinstance(cell, RNNCell):
            raise TypeError(f"AttentionWrapper: cell must be an RNNCell, saw type: {type(cell).__name__}")
        self._is_multi = isinstance(attention_mechanism, (list, tuple))
        mechanisms = tuple(attention_mechanism) if isinstance(attention_mechanism, (list, tuple)) else \
            (attention_mechanism,)
        if not mechanisms:
            raise ValueError("AttentionWrapper needs at least one attention mechanism, got an empty list")
        for m in mechanisms:
            if not isinstance(m, AttentionMechanism):
                raise TypeError(f"AttentionWrapper: attention_mechanism must be an AttentionMechanism or a list of "
                                f"them, saw type: {type(m).__name__}")
        if cell_input_fn is not None and not callable(cell_input_fn):
            raise TypeError(f"AttentionWrapper: cell_input_fn must be callable, saw type: "
                            f"{type(cell_input_fn).__name__}")
        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("AttentionWrapper: only one of attention_layer_size and attention_layer should be set")
        self._attention_layers: tuple[Layer, ...] | None = None
        if attention_layer_size is not None:
            sizes = tuple(attention_layer_size) if isinstance(attention_layer_size, (list, tuple)) else \
                (attention_layer_size,)
            if len(sizes) != len(mechanisms):
                raise ValueError(f"AttentionWrapper: attention_layer_size must contain exactly one integer per "
                                 f"attention mechanism, saw: {len(sizes)} vs {len(mechanisms)}")
            self._attention_layers = tuple(_dense(int(s), m.dtype, "attention_layer")
                                           for s, m in zip(sizes, mechanisms))
            self._attention_size = sum(int(s) for s in sizes)
        elif attention_layer is not None:
            layers = tuple(attention_layer) if isinstance(attention_layer, (list, tuple)) else (attention_layer,)
            if len(layers) != len(mechanisms):
                raise ValueError(f"AttentionWrapper: attention_layer must contain exactly one layer per attention "
                                 f"mechanism, saw: {len(layers)} vs {len(mechanisms)}")
            self._attention_layers = layers
            self._attention_size = sum(_layer_units(la) for la in layers)
        else:
            depths = [m.values.shape.as_list()[-1] for m in mechanisms]
            self._attention_size = sum(int(d) for d in depths)
        self._cell = cell
        self._mechanisms = mechanisms
        self._cell_input_fn = cell_input_fn if cell_input_fn is not None else _concat_inputs
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        self._attention_fn = attention_fn if attention_fn is not None else _compute_attention
        self._initial_cell_state = initial_cell_state
        self._scope: VariableScope | None = None
        if initial_cell_state is not None:
            last = flatten(initial_cell_state)[-1]
            self._check_batch(_dim(convert_to_tensor(last), 0), "initial_cell_state")

    def _check_batch(self, batch_size: Dim, what: str) -> None:
        """Where both are known when the graph is built, the batch size must be every memory's
        (with beam search, the memory must be tiled to it: tf.contrib.seq2seq.tile_batch)."""
        for m in self._mechanisms:
            if isinstance(batch_size, int) and isinstance(m.batch_size, int) and batch_size != m.batch_size:
                raise ValueError(f"AttentionWrapper: non-matching batch sizes between the memory (encoder output, "
                                 f"{m.batch_size} rows) and {what} ({batch_size} rows). Are you using the "
                                 f"BeamSearchDecoder? You may need to tile the memory with "
                                 f"tf.contrib.seq2seq.tile_batch (multiplier=beam_width)")

    def _item_or_tuple(self, items: Sequence[object]) -> object:
        return tuple(items) if self._is_multi else items[0]

    @property
    def output_size(self) -> int:
        return self._attention_size if self._output_attention else self._cell.output_size

    @property
    def state_size(self) -> AttentionWrapperState:  # type: ignore[override]
        """The state's sizes as an AttentionWrapperState (``time`` a scalar shape)."""
        ms = self._mechanisms
        return AttentionWrapperState(
            cell_state=self._cell.state_size, attention=self._attention_size, time=TensorShape([]),
            alignments=self._item_or_tuple([m.alignments_size for m in ms]),
            alignment_history=self._item_or_tuple([m.alignments_size if self._alignment_history else () for m in ms]),
            attention_state=self._item_or_tuple([m.state_size for m in ms]))

    def zero_state(self, batch_size: Dim, dtype: DTypeLike) -> AttentionWrapperState:  # type: ignore[override]
        """The state before the first step: the cell's zero state (or ``initial_cell_state``),
        zero attention, time 0, the mechanisms' initial alignments and states, and empty
        TensorArrays for the alignment history when it is kept."""
        self._check_batch(batch_size, "the requested batch size")
        cell_state = self._initial_cell_state if self._initial_cell_state is not None else \
            self._cell.zero_state(batch_size, dtype)
        alignments = [m.initial_alignments(batch_size, dtype) for m in self._mechanisms]
        history = [TensorArray(dtype, size=0, dynamic_size=True, element_shape=a.shape) if self._alignment_history
                   else () for a in alignments]
        return AttentionWrapperState(
            cell_state=cell_state, attention=_zeros(batch_size, self._attention_size, dtype),
            time=ST.zeros([], _dt.int32), alignments=self._item_or_tuple(alignments),
            alignment_history=self._item_or_tuple(history),
            attention_state=self._item_or_tuple([m.initial_state(batch_size, dtype) for m in self._mechanisms]))

    def __call__(self, inputs: TensorLike, state: RNNState,  # type: ignore[override]
                 scope: str | VariableScope | None = None) -> tuple[Tensor, AttentionWrapperState]:
        """One step, its variables made under the wrapper's scope on the first call (the cell's,
        the mechanisms' scoring and the attention layers') and reused by every later call."""
        x = inputs if isinstance(inputs, (list, tuple)) else convert_to_tensor(inputs)
        if self._scope is None:
            with variable_scope(scope if scope is not None else self._name, default_name=self._default,
                                reuse=self._reuse) as vs:
                self._scope = vs
                out = self.call(x, state)  # type: ignore[arg-type]
            self._built = True
            return out
        with variable_scope(self._scope, reuse=True):
            return self.call(x, state)  # type: ignore[arg-type]

    def call(self, inputs: Tensor, state: RNNState) -> tuple[Tensor, AttentionWrapperState]:
        if not isinstance(state, AttentionWrapperState):
            raise TypeError(f"AttentionWrapper: expected state to be an AttentionWrapperState, received type "
                            f"{type(state).__name__} instead")
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state)
        self._check_batch(_dim(cell_output, 0), "the query (the cell's output)")
        states = state.attention_state if self._is_multi else [state.attention_state]
        histories = state.alignment_history if self._is_multi else [state.alignment_history]
        attentions, all_alignments, next_states, next_histories = [], [], [], []
        for i, m in enumerate(self._mechanisms):
            layer = self._attention_layers[i] if self._attention_layers is not None else None
            attention, alignments, next_attention_state = self._attention_fn(m, cell_output, states[i], layer)
            attentions.append(attention)
            all_alignments.append(alignments)
            next_states.append(next_attention_state)
            next_histories.append(histories[i].write(state.time, alignments) if self._alignment_history else ())
        attention = concat(attentions, 1)
        next_state = AttentionWrapperState(
            cell_state=next_cell_state, attention=attention, time=state.time + 1,
            alignments=self._item_or_tuple(all_alignments), alignment_history=self._item_or_tuple(next_histories),
            attention_state=self._item_or_tuple(next_states))
        return (attention if self._output_attention else cell_output), next_state

    @property
    def trainable_variables(self) -> list[Tensor]:
        out = list(self._cell.trainable_variables)
        for m in self._mechanisms:
            out += [v for v in m.variables if all(v is not w for w in out)]
        for layer in self._attention_layers or ():
            out += list(layer.trainable_variables)
        return out

    trainable_weights = trainable_variables
    weights = trainable_variables


def _layer_units(layer: Layer) -> int:
    """The output depth of a user's attention layer (a Dense's ``units``)."""
    units = getattr(layer, "units", None)
    if not isinstance(units, int):
        raise ValueError(f"AttentionWrapper: cannot tell the output depth of attention_layer {layer!r}; give a "
                         f"Dense (or a layer with integer `units`)")
    return units

