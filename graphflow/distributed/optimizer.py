"""The TF1 optimizer wrapper of ``graphflow.distributed.DistributedOptimizer``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core.ir import Operation, Tensor
from graphflow.distributed.fusion import allreduce_gradients
from graphflow.ops.variables import Variable
from graphflow.tf1.train.optimizers import Optimizer


class DistributedTrainOptimizer(Optimizer):
    """Horovod's ``DistributedOptimizer`` for ``gf.train`` optimizers: ``compute_gradients`` is the
    wrapped optimizer's, then averaged over the ranks (one fused allreduce per dtype);
    ``apply_gradients`` and the slots are the wrapped optimizer's."""

    def __init__(self, optimizer: Optimizer, name: str | None = None, average: bool = True) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer wraps a gf.train or gf.optim optimizer, got {optimizer!r}")
        super().__init__(name=name or f"Distributed{optimizer.get_name()}")
        self._optimizer = optimizer
        self._average = average

    def compute_gradients(self, *args: Any, **kwargs: Any) -> list[tuple[Tensor | None, Variable]]:
        pairs = self._optimizer.compute_gradients(*args, **kwargs)
        grads = allreduce_gradients([g for g, _ in pairs], self._average)
        return [(g, v) for g, (_, v) in zip(grads, pairs)]

    def apply_gradients(self, grads_and_vars: Sequence[tuple[Tensor | None, Variable]],
                        global_step: Variable | None = None,
                        name: str | None = None) -> Operation:
        return self._optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        return self._optimizer.get_slot(var, name)

    def get_slot_names(self) -> list[str]:
        return self._optimizer.get_slot_names()

    def variables(self) -> list[Any]:
        return self._optimizer.variables()
