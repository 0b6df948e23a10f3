"""Optimizers (TF1 update rules and defaults)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.compiler.autodiff import gradients
from graphflow.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.ops.state_ops import group
from graphflow.variables import GraphKeys, Variable, trainable_variables

__all__ = ["Optimizer", "GradientDescentOptimizer"]


class Optimizer:
    """Base class: ``minimize`` = ``compute_gradients`` + ``apply_gradients`` (TF1 semantics)."""

    def __init__(self, use_locking: bool = False, name: str = "Optimizer") -> None:
        self._name = name

    def compute_gradients(self, loss: Tensor, var_list: Sequence[Variable] | None = None,
                          **_: Any) -> list[tuple[Tensor | None, Variable]]:
        loss = convert_to_tensor(loss)
        if var_list is None:
            var_list = list(trainable_variables()) or [v for v in loss.graph.get_collection(
                GraphKeys.TRAINABLE_VARIABLES)]
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, var_list)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Sequence[tuple[Tensor | None, Variable]],
                        global_step: Variable | None = None, name: str | None = None) -> Operation:
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: "
                             + ", ".join(v.name for _, v in grads_and_vars))
        g = get_default_graph()
        with g.name_scope(name or self._name):
            updates = [self._apply_dense(grad, var) for grad, var in pairs]
            if global_step is not None:
                with g.control_dependencies(updates):
                    updates = [global_step.assign_add(1)]
            return group(*updates, name=name or self._name)

    def minimize(self, loss: Tensor, global_step: Variable | None = None,
                 var_list: Sequence[Variable] | None = None, name: str | None = None, **_: Any) -> Operation:
        gv = self.compute_gradients(loss, var_list)
        if all(gr is None for gr, _ in gv):
            raise ValueError("No gradients provided for any variable, check your graph for ops that do "
                             "not support gradients, between variables " + ", ".join(v.name for _, v in gv)
                             + f" and loss {convert_to_tensor(loss).name}")
        return self.apply_gradients(gv, global_step=global_step, name=name)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define _apply_dense")


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``; the learning rate may be a tensor."""

    def __init__(self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._lr = learning_rate

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        lr = self._lr if not isinstance(self._lr, Tensor) else self._lr
        from graphflow.ops.math_ops import cast
        if isinstance(lr, Tensor) and lr.dtype != var.dtype:
            lr = cast(lr, var.dtype)
        return var.assign_sub(lr * grad)
