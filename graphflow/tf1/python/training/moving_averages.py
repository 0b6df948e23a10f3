"""``from tensorflow.python.training import moving_averages``."""
from __future__ import annotations

from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.ops.variables import Variable
from graphflow.tf1.train.moving_averages import ExponentialMovingAverage

__all__ = ["ExponentialMovingAverage", "assign_moving_average"]


def assign_moving_average(variable: Variable, value: TensorLike, decay: float | Tensor, zero_debias: bool = True,
                          name: str | None = None) -> Tensor:
    """``variable -= (1 - decay) * (variable - value)`` (TF1's; zero_debias is not supported)."""
    if zero_debias:
        raise ValueError("assign_moving_average(zero_debias=True) is not supported; pass zero_debias=False")
    return variable.assign_sub((1.0 - decay) * (variable - value), name=name)
