"""``tf.contrib.seq2seq``'s helpers (TF 1.15): what a ``BasicDecoder`` feeds its cell at each
step, how it turns the cell's outputs into sample ids, and when a row has finished.

- ``TrainingHelper``: teacher forcing; step t reads the given inputs at t, a row finishes at its
  sequence length.
- ``GreedyEmbeddingHelper`` / ``SampleEmbeddingHelper``: inference; the next input is the
  embedding of the argmax (or a sample) of the outputs, a row finishes on ``end_token``.
- ``ScheduledEmbeddingTrainingHelper`` / ``ScheduledOutputTrainingHelper``: scheduled sampling;
  each row, with ``sampling_probability``, takes the embedded sample (or the outputs themselves)
  instead of the given input.
- ``CustomHelper`` and ``InferenceHelper``: the three steps as functions.

Once every row has finished the next inputs are placeholders of the right shape (zeros, or the
start inputs), as TF1's, since the loop stops before using them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather
from graphflow.ops.concat_ops import concat
from graphflow.ops.control_flow import cond
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.nn_ops import embedding_lookup
from graphflow.ops.random_ops import categorical
from graphflow.ops.state_ops import random_uniform
from graphflow.tf1.contrib.seq2seq.decoder import _rows

__all__ = ["Helper", "CustomHelper", "TrainingHelper", "GreedyEmbeddingHelper", "SampleEmbeddingHelper",
           "ScheduledEmbeddingTrainingHelper", "ScheduledOutputTrainingHelper", "InferenceHelper"]

Embedding = Callable[[Tensor], Tensor]


def _embedding_fn(embedding: Any) -> Embedding:
    """A callable as it is; a params matrix looked up by id."""
    if callable(embedding):
        return embedding
    params = convert_to_tensor(embedding)
    return lambda ids: embedding_lookup(params, ids)


def _map(fn: Callable[[Tensor], Any], structure: Any) -> Any:
    return pack_as(structure, [fn(convert_to_tensor(t)) for t in flatten(structure)])


def _argmax_ids(outputs: Any, helper: str) -> Tensor:
    if not isinstance(outputs, Tensor):
        raise TypeError(f"{helper}.sample expects the outputs to be a single Tensor, got {type(outputs).__name__}")
    return M.cast(R.argmax(outputs, axis=-1), _dt.int32)


def _sample_ids(logits: Tensor, seed: int | None) -> Tensor:
    """One id per row drawn from softmax(``logits``) ([batch, classes] -> [batch] int32)."""
    return S.reshape(categorical(logits, 1, dtype=_dt.int32, seed=seed), [-1])


def _bernoulli(probability: Tensor, batch: Tensor, seed: int | None) -> Tensor:
    """[batch] bools, each true with ``probability`` (a scalar or one per row)."""
    u = random_uniform(S.reshape(batch, [1]), dtype=probability.dtype, seed=seed)
    return M.less(u, probability)


class Helper:
    """The interface ``BasicDecoder`` drives: ``initialize() -> (finished, next_inputs)``,
    ``sample(time, outputs, state) -> sample_ids`` and
    ``next_inputs(time, outputs, state, sample_ids) -> (finished, next_inputs, next_state)``, with
    ``batch_size``, ``sample_ids_shape`` and ``sample_ids_dtype``."""

    @property
    def batch_size(self) -> Tensor | int:
        raise NotImplementedError

    @property
    def sample_ids_shape(self) -> TensorShape:
        raise NotImplementedError

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        raise NotImplementedError

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        raise NotImplementedError

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        raise NotImplementedError

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        raise NotImplementedError


class CustomHelper(Helper):
    """A helper from three functions: ``initialize_fn() -> (finished, next_inputs)``,
    ``sample_fn(time, outputs, state) -> sample_ids`` and
    ``next_inputs_fn(time, outputs, state, sample_ids) -> (finished, next_inputs, next_state)``.
    Its batch size is known once ``initialize`` has run."""

    def __init__(self, initialize_fn: Callable[[], tuple[Any, Any]], sample_fn: Callable[..., Any],
                 next_inputs_fn: Callable[..., tuple[Any, Any, Any]], sample_ids_shape: Any = None,
                 sample_ids_dtype: DTypeLike | None = None) -> None:
        self._initialize_fn, self._sample_fn, self._next_inputs_fn = initialize_fn, sample_fn, next_inputs_fn
        self._sample_ids_shape = as_shape(sample_ids_shape if sample_ids_shape is not None else [])
        self._sample_ids_dtype = _dt.as_dtype(sample_ids_dtype or _dt.int32)
        self._batch_size: Tensor | None = None

    @property
    def batch_size(self) -> Tensor:
        if self._batch_size is None:
            raise ValueError("CustomHelper's batch_size is known only after initialize() has been called")
        return self._batch_size

    @property
    def sample_ids_shape(self) -> TensorShape:
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        return self._sample_ids_dtype

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        finished, next_inputs = self._initialize_fn()
        finished = convert_to_tensor(finished)
        if self._batch_size is None:
            self._batch_size = S.size(finished)
        return finished, next_inputs

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        return self._next_inputs_fn(time=time, outputs=outputs, state=state, sample_ids=sample_ids)


class TrainingHelper(Helper):
    """Teacher forcing: ``inputs`` [batch, time, ...] (``time_major``: [time, batch, ...], any
    nesting) are read one step at a time; a row finishes once ``time + 1`` reaches its
    ``sequence_length``. The sample ids are the argmax of the outputs."""

    def __init__(self, inputs: Any, sequence_length: TensorLike, time_major: bool = False,
                 name: str | None = None) -> None:
        inputs = _map(lambda t: t, inputs)
        if not time_major:
            inputs = _map(_time_major, inputs)
        self._inputs = inputs
        self._sequence_length = convert_to_tensor(sequence_length)
        if self._sequence_length.shape.rank != 1:
            raise ValueError(f"TrainingHelper expects sequence_length to be a vector, got shape "
                             f"{self._sequence_length.shape}")
        self._zero_inputs = _map(lambda t: ST.zeros_like(t[0]), inputs)
        self._batch_size = S.size(self._sequence_length)

    @property
    def inputs(self) -> Any:
        return self._inputs

    @property
    def sequence_length(self) -> Tensor:
        return self._sequence_length

    @property
    def batch_size(self) -> Tensor:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> TensorShape:
        return TensorShape([])

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        return _dt.int32

    def _read(self, time: Tensor, finished: Tensor) -> Any:
        """The inputs at ``time``, or zeros once every row has finished (``time`` may then be
        past the end)."""
        return cond(R.reduce_all(finished), lambda: self._zero_inputs,
                    lambda: _map(lambda t: gather(t, M.minimum(time, S.shape(t)[0] - 1)), self._inputs))

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        finished = M.equal(ST.constant(0, dtype=self._sequence_length.dtype), self._sequence_length)
        return finished, self._read(ST.constant(0), finished)

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        return _argmax_ids(outputs, type(self).__name__)

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        next_time = time + 1
        finished = M.greater_equal(M.cast(next_time, self._sequence_length.dtype), self._sequence_length)
        return finished, self._read(next_time, finished), state


def _time_major(t: Tensor) -> Tensor:
    rank = t.shape.rank
    if rank is None or rank < 2:
        raise ValueError(f"TrainingHelper expects inputs of rank 2 or more ([batch, time, ...]), got shape {t.shape}")
    return S.transpose(t, [1, 0] + list(range(2, rank)))


class GreedyEmbeddingHelper(Helper):
    """Greedy decoding: the argmax of the outputs is the sample, its embedding the next input; a
    row finishes when it samples ``end_token``. ``embedding`` is a params matrix or a callable
    on ids."""

    def __init__(self, embedding: Any, start_tokens: TensorLike, end_token: TensorLike) -> None:
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = M.cast(convert_to_tensor(start_tokens), _dt.int32)
        self._end_token = M.cast(convert_to_tensor(end_token), _dt.int32)
        if self._start_tokens.shape.rank != 1:
            raise ValueError(f"{type(self).__name__}: start_tokens must be a vector, got shape "
                             f"{self._start_tokens.shape}")
        if self._end_token.shape.rank != 0:
            raise ValueError(f"{type(self).__name__}: end_token must be a scalar, got shape {self._end_token.shape}")
        self._batch_size = S.size(self._start_tokens)
        self._start_inputs = self._embedding_fn(self._start_tokens)

    @property
    def batch_size(self) -> Tensor:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> TensorShape:
        return TensorShape([])

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        return _dt.int32

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        return M.not_equal(self._start_tokens, self._start_tokens), self._start_inputs

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        return _argmax_ids(outputs, type(self).__name__)

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        finished = M.equal(sample_ids, self._end_token)
        next_inputs = cond(R.reduce_all(finished), lambda: self._start_inputs,
                           lambda: self._embedding_fn(sample_ids))
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """As ``GreedyEmbeddingHelper``, but the sample is drawn from softmax(outputs /
    ``softmax_temperature``)."""

    def __init__(self, embedding: Any, start_tokens: TensorLike, end_token: TensorLike,
                 softmax_temperature: TensorLike | None = None, seed: int | None = None) -> None:
        super().__init__(embedding, start_tokens, end_token)
        self._temperature = softmax_temperature
        self._seed = seed

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        if not isinstance(outputs, Tensor):
            raise TypeError(f"SampleEmbeddingHelper.sample expects the outputs to be a single Tensor, got "
                            f"{type(outputs).__name__}")
        logits = outputs if self._temperature is None else outputs / M.cast(
            convert_to_tensor(self._temperature), outputs.dtype)
        return _sample_ids(logits, self._seed)


def _probability(p: TensorLike, helper: str) -> Tensor:
    t = convert_to_tensor(p)
    if t.shape.rank not in (0, 1):
        raise ValueError(f"{helper}: sampling_probability must be a scalar or a vector, got shape {t.shape}")
    return t


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """Scheduled sampling over ids: each row, with ``sampling_probability``, samples an id from
    the outputs (sample id -1 where it does not) and takes that id's embedding as its next input
    in place of the given one."""

    def __init__(self, inputs: Any, sequence_length: TensorLike, embedding: Any, sampling_probability: TensorLike,
                 time_major: bool = False, seed: int | None = None, scheduling_seed: int | None = None,
                 name: str | None = None) -> None:
        self._embedding_fn = _embedding_fn(embedding)
        self._sampling_probability = _probability(sampling_probability, type(self).__name__)
        self._seed, self._scheduling_seed = seed, scheduling_seed
        super().__init__(inputs, sequence_length, time_major=time_major, name=name)

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        logits = convert_to_tensor(outputs)
        select = _bernoulli(M.cast(self._sampling_probability, logits.dtype), self.batch_size,
                            self._scheduling_seed)
        return M.where(select, _sample_ids(logits, self._seed), ST.fill(S.reshape(self.batch_size, [1]), -1))

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        finished, base, state = super().next_inputs(time, outputs, state, sample_ids)
        sampled = M.greater(sample_ids, -1)
        embedded = self._embedding_fn(M.maximum(sample_ids, 0))
        base_t = convert_to_tensor(base)
        return finished, M.where(_rows(sampled, base_t), M.cast(embedded, base_t.dtype), base_t), state


class ScheduledOutputTrainingHelper(TrainingHelper):
    """Scheduled sampling over outputs: each row, with ``sampling_probability``, takes the
    outputs (through ``next_inputs_fn`` when given; joined with ``auxiliary_inputs``' step when
    given) as its next input in place of the given one. The sample ids are those choices."""

    def __init__(self, inputs: Any, sequence_length: TensorLike, sampling_probability: TensorLike,
                 time_major: bool = False, seed: int | None = None,
                 next_inputs_fn: Callable[[Tensor], Tensor] | None = None, auxiliary_inputs: Any = None,
                 name: str | None = None) -> None:
        self._sampling_probability = _probability(sampling_probability, type(self).__name__)
        self._seed, self._next_inputs_fn = seed, next_inputs_fn
        self._aux: Tensor | None = None
        if auxiliary_inputs is not None:  # joined to the given inputs, and to the outputs taken in their place
            aux = convert_to_tensor(auxiliary_inputs)
            inputs = concat([convert_to_tensor(inputs), M.cast(aux, convert_to_tensor(inputs).dtype)], -1)
            self._aux = aux if time_major else _time_major(aux)
        super().__init__(inputs, sequence_length, time_major=time_major, name=name)

    @property
    def sample_ids_shape(self) -> TensorShape:
        return TensorShape([])

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        return _dt.bool_

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        return _bernoulli(M.cast(self._sampling_probability, _dt.float32), self.batch_size, self._seed)

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        finished, base, state = super().next_inputs(time, outputs, state, sample_ids)
        base_t = convert_to_tensor(base)
        taken = convert_to_tensor(outputs) if self._next_inputs_fn is None else self._next_inputs_fn(outputs)
        if self._aux is not None:
            aux_t = gather(self._aux, M.minimum(time + 1, S.shape(self._aux)[0] - 1))
            taken = concat([taken, M.cast(aux_t, taken.dtype)], -1)
        return finished, M.where(_rows(sample_ids, base_t), M.cast(taken, base_t.dtype), base_t), state


class InferenceHelper(Helper):
    """Inference without embeddings: ``sample_fn(outputs)`` gives the sample ids, which are the
    next inputs (through ``next_inputs_fn`` when given); ``end_fn(sample_ids)`` says which rows
    finished."""

    def __init__(self, sample_fn: Callable[[Tensor], Tensor], sample_shape: Any, sample_dtype: DTypeLike,
                 start_inputs: TensorLike, end_fn: Callable[[Tensor], Tensor],
                 next_inputs_fn: Callable[[Tensor], Any] | None = None) -> None:
        self._sample_fn, self._end_fn, self._next_inputs_fn = sample_fn, end_fn, next_inputs_fn
        self._sample_shape = as_shape(sample_shape)
        self._sample_dtype = _dt.as_dtype(sample_dtype)
        self._start_inputs = convert_to_tensor(start_inputs)
        self._batch_size = S.shape(self._start_inputs)[0]

    @property
    def batch_size(self) -> Tensor:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> TensorShape:
        return self._sample_shape

    @property
    def sample_ids_dtype(self) -> _dt.DType:
        return self._sample_dtype

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        return M.less(ST.zeros(S.reshape(self._batch_size, [1]), _dt.int32), 0), self._start_inputs

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Tensor:
        return self._sample_fn(outputs)

    def next_inputs(self, time: Tensor, outputs: Any, state: Any, sample_ids: Tensor,
                    name: str | None = None) -> tuple[Tensor, Any, Any]:
        next_inputs = sample_ids if self._next_inputs_fn is None else self._next_inputs_fn(sample_ids)
        return convert_to_tensor(self._end_fn(sample_ids)), next_inputs, state
