"""``tf.train.ExponentialMovingAverage``: shadow variables tracking decayed averages of variables.

``apply(var_list)`` creates one non-trainable shadow per variable (initialised to the variable's
initial value, in MOVING_AVERAGE_VARIABLES) and returns the op that moves every shadow:
``shadow -= (1 - decay) * (shadow - variable)``, with ``decay = min(decay, (1 + n) / (10 + n))``
when ``num_updates`` is given.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops.variables import GraphKeys, Variable, global_variables, trainable_variables

__all__ = ["ExponentialMovingAverage"]

MOVING_AVERAGE_VARIABLES = "moving_average_variables"


class ExponentialMovingAverage:
    """Maintains moving averages of variables (or of any tensors) with exponential decay.

    >>> import graphflow as gf
    >>> w = gf.Variable(1.0)
    >>> ema = gf.train.ExponentialMovingAverage(0.9)
    >>> ema.apply([w]).type
    'NoOp'
    """

    def __init__(self, decay: float, num_updates: TensorLike | None = None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage") -> None:
        if zero_debias:
            raise ValueError("ExponentialMovingAverage(zero_debias=True) is not supported; "
                             "expected zero_debias=False")
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict[int, Variable] = {}

    @property
    def name(self) -> str:
        return self._name

    def _decay_tensor(self, dtype: DType) -> Any:
        decay = convert_to_tensor(self._decay, dtype=dtype) if not isinstance(self._decay, Tensor) \
            else M.cast(self._decay, dtype)
        if self._num_updates is None:
            return decay
        n = M.cast(convert_to_tensor(self._num_updates), dtype)
        return M.minimum(decay, (1.0 + n) / (10.0 + n))

    def apply(self, var_list: Sequence[Tensor] | None = None) -> Operation:
        """Create the shadows (once per variable) and return the op updating them all."""
        items = list(var_list) if var_list is not None else trainable_variables()
        g = get_default_graph()
        updates = []
        for v in items:
            if not v.dtype.is_floating:
                raise TypeError(f"ExponentialMovingAverage needs floating variables or tensors, got "
                                f"{v.name} of dtype {v.dtype.name}")
            shadow = self._averages.get(id(v))
            if shadow is None:
                init = v.initial_value if isinstance(v, Variable) else ST.zeros(v.shape.as_list(), v.dtype)
                with g.control_dependencies(None):
                    shadow = Variable(init, trainable=False, name=self.average_name(v),
                                      collections=[GraphKeys.GLOBAL_VARIABLES, MOVING_AVERAGE_VARIABLES])
                self._averages[id(v)] = shadow
            decay = self._decay_tensor(v.dtype)
            updates.append(shadow.assign_sub((1.0 - decay) * (shadow - v)).node)
        return ST.group(*updates, name=self._name)

    def average(self, var: Tensor) -> Variable | None:
        """The shadow of ``var``, or None before ``apply`` made one."""
        return self._averages.get(id(var))

    def average_name(self, var: Tensor) -> str:
        return f"{var.node.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: Sequence[Variable] | None = None) -> dict[str, Any]:
        """Names for a Saver that loads each variable from its average in a checkpoint: shadow
        name -> variable (other global variables under their own names)."""
        out: dict[str, Any] = {}
        shadows = {id(s) for s in self._averages.values()}
        averaged = moving_avg_variables if moving_avg_variables is not None else \
            [v for v in global_variables() if id(v) in self._averages]
        for v in global_variables():
            if id(v) in shadows:
                continue
            out[self.average_name(v) if any(v is a for a in averaged) else v.node.name] = v
        return out
