"""``tf.contrib.seq2seq.BasicDecoder`` (TF 1.15): one cell call a step, its outputs through an
optional output layer, the sample ids and next inputs from a ``Helper``."""
from __future__ import annotations

from collections import namedtuple
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.tf1.contrib.seq2seq.decoder import Decoder
from graphflow.tf1.contrib.seq2seq.helper import Helper

__all__ = ["BasicDecoder", "BasicDecoderOutput"]

BasicDecoderOutput = namedtuple("BasicDecoderOutput", ("rnn_output", "sample_id"))


class BasicDecoder(Decoder):
    """``step``: ``cell_output, cell_state = cell(inputs, state)``, ``rnn_output =
    output_layer(cell_output)`` where given, ``sample_id = helper.sample(...)``, and the helper's
    ``next_inputs`` says which rows finished and what the cell reads next."""

    def __init__(self, cell: Any, helper: Helper, initial_state: Any, output_layer: Any = None) -> None:
        if not callable(cell) or not hasattr(cell, "output_size"):
            raise TypeError(f"BasicDecoder expects an RNNCell, got {type(cell).__name__}")
        if not isinstance(helper, Helper):
            raise TypeError(f"BasicDecoder expects a tf.contrib.seq2seq Helper, got {type(helper).__name__}")
        if output_layer is not None and not callable(output_layer):
            raise TypeError(f"BasicDecoder's output_layer must be a layer (tf.layers.Dense, ...), got "
                            f"{type(output_layer).__name__}")
        self._cell, self._helper, self._output_layer = cell, helper, output_layer
        self._initial_state = initial_state

    @property
    def batch_size(self) -> Tensor | int:
        return self._helper.batch_size

    def _rnn_output_size(self) -> Any:
        size = self._cell.output_size
        if self._output_layer is None:
            return size
        if hasattr(self._output_layer, "compute_output_shape"):  # (as TF1: the layer says its output shape)
            layer = self._output_layer
            return pack_as(size, [TensorShape(layer.compute_output_shape(TensorShape([None]).concatenate(s)))[1:]
                                  for s in flatten(size)])
        units = getattr(self._output_layer, "units", None)
        if units is None:
            raise ValueError(f"BasicDecoder cannot tell the output size of output_layer "
                             f"{type(self._output_layer).__name__}: it needs compute_output_shape or a `units` "
                             f"attribute, as tf.layers.Dense")
        return pack_as(size, [units for _ in flatten(size)])

    @property
    def output_size(self) -> BasicDecoderOutput:
        return BasicDecoderOutput(rnn_output=self._rnn_output_size(), sample_id=self._helper.sample_ids_shape)

    @property
    def output_dtype(self) -> BasicDecoderOutput:
        dtype = convert_to_tensor(flatten(self._initial_state)[0]).dtype
        return BasicDecoderOutput(pack_as(self._rnn_output_size(), [dtype for _ in flatten(self._rnn_output_size())]),
                                  self._helper.sample_ids_dtype)

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any, Any]:
        finished, first_inputs = self._helper.initialize()
        return finished, first_inputs, self._initial_state

    def step(self, time: Tensor, inputs: Any, state: Any, name: str | None = None) -> tuple[Any, Any, Any, Tensor]:
        cell_outputs, cell_state = self._cell(inputs, state)
        if self._output_layer is not None:
            cell_outputs = self._output_layer(cell_outputs)
        sample_ids = self._helper.sample(time=time, outputs=cell_outputs, state=cell_state)
        finished, next_inputs, next_state = self._helper.next_inputs(time=time, outputs=cell_outputs,
                                                                     state=cell_state, sample_ids=sample_ids)
        return BasicDecoderOutput(cell_outputs, sample_ids), next_state, next_inputs, finished

