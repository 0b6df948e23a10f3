"""TF 1.15's ``contrib/rnn/python/ops/gru_ops.py``: GRUCell's maths under the GRU block op's
variable names: GRUBlockCell's ``gru_cell/w_ru``, ``b_ru`` (gates, bias 1) and ``w_c``, ``b_c``
(candidate); GRUBlockCellV2's are GRUCell's own (``gates/kernel``... ), so GRUCell checkpoints
load into it."""
from __future__ import annotations

from graphflow.core.types import DTypeLike
from graphflow.ops.variables import _ReuseMode, constant_initializer, zeros_initializer
from graphflow.tf1.nn.rnn_cell import GRUCell


class GRUBlockCell(GRUCell):
    def __init__(self, num_units: int | None = None, cell_size: int | None = None,
                 reuse: bool | _ReuseMode | None = None, name: str | None = None) -> None:
        size = cell_size if num_units is None else num_units
        if size is None:
            raise ValueError("GRUBlockCell needs num_units (or the deprecated cell_size)")
        super().__init__(size, reuse=reuse, name=name)

    def build(self, input_depth: int, dtype: DTypeLike) -> None:
        n = self._num_units
        self._gate_kernel = self._variable("w_ru", [input_depth + n, 2 * n], dtype)
        self._gate_bias = self._variable("b_ru", [2 * n], dtype, constant_initializer(1.0))
        self._cand_kernel = self._variable("w_c", [input_depth + n, n], dtype)
        self._cand_bias = self._variable("b_c", [n], dtype, zeros_initializer())


class GRUBlockCellV2(GRUBlockCell):
    build = GRUCell.build


__all__ = ["GRUBlockCell", "GRUBlockCellV2"]
