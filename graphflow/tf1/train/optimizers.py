"""Optimizers with TF1's update rules, defaults, slot variables and names.

Slots are non-trainable global variables named ``"<var>/<OptimizerName>"``, ``"<var>/<Name>_1"``...
as in TF1, so ``Saver`` saves them and ``global_variables_initializer`` initialises them. Every
update reads the slot values from before the step and writes the new ones; the train op runs the
graph's ``UPDATE_OPS`` first when ``minimize`` builds it, then the updates, then the global step.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import graphflow.tf1.train.schedules as schedules
from graphflow.core import dtypes as _dt
from graphflow.core.autodiff import gradients
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops.math_ops import cast, sqrt
from graphflow.ops.state_ops import constant, fill, group
from graphflow.ops.variables import GraphKeys, Variable
from graphflow.tf1.train.schedules import *  # noqa: F401,F403 - gf.train re-exports them from here

__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "RMSPropOptimizer",
           "AdamOptimizer", "AdagradOptimizer", *schedules.__all__]

# a hyperparameter (learning rate, momentum...): a number or tensor, or a callable returning one,
# read when the update is built
HyperLike = Union[TensorLike, Callable[[], TensorLike]]


class Optimizer:
    """Base class: ``minimize`` = ``compute_gradients`` + ``apply_gradients`` (TF1 semantics).

    A subclass names its slots in ``_create_slots`` and builds one variable's update in
    ``_apply_dense`` from ``self._hyper(name, dtype)`` tensors and ``self._slot_of(var, name)``.
    """

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking: bool = False, name: str = "Optimizer") -> None:
        if not name:
            raise ValueError("an optimizer needs a non-empty name")
        self._name = name
        self._hyper_values: dict[str, HyperLike] = {}
        self._hyper_cache: dict[tuple[str, _dt.DType], Tensor] = {}
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slots: dict[tuple[str, Graph], Variable] = {}

    def get_name(self) -> str:
        return self._name

    # -- public API
    def compute_gradients(self, loss: TensorLike | Callable[[], TensorLike], var_list: Sequence[Variable] | None = None,
                          gate_gradients: int = GATE_OP, aggregation_method: int | None = None,
                          colocate_gradients_with_ops: bool = False, grad_loss: TensorLike | None = None,
                          **_: object) -> list[tuple[Tensor | None, Variable]]:
        """``[(gradient or None, variable)]`` for ``var_list`` (default: the trainable variables)."""
        if callable(loss) and not isinstance(loss, Tensor):
            loss = loss()
        loss = convert_to_tensor(loss)
        if var_list is None:
            var_list = loss.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"var_list must hold gf.Variable objects, got {v!r}")
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Sequence[tuple[Any, Variable]],
                        global_step: Variable | None = None, name: str | None = None) -> Operation:
        """One op that applies every (gradient, variable) update, then increments ``global_step``."""
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        checked: list[tuple[Tensor, Variable]] = []
        for grad, var in pairs:
            if not isinstance(var, Variable):
                raise TypeError(f"apply_gradients needs (gradient, gf.Variable) pairs, got variable {var!r}")
            if grad is None:
                continue
            grad = convert_to_tensor(grad)
            if grad.dtype != var.dtype:
                raise ValueError(f"gradient {grad.name} of variable {var.name} has dtype {grad.dtype.name}, "
                                 f"expected the variable's dtype {var.dtype.name}")
            if not grad.shape.is_compatible_with(var.shape):
                raise ValueError(f"gradient {grad.name} of variable {var.name} has shape {grad.shape}, "
                                 f"expected the variable's shape {var.shape}")
            checked.append((grad, var))
        if not checked:
            raise ValueError("No gradients provided for any variable: "
                             + ", ".join(f"({g}, {v.name})" for g, v in pairs))
        graph = checked[0][1].graph
        with graph.as_default():
            # slots belong to no name scope and no control context (TF1's init_scope)
            with graph.name_scope(None), graph.control_dependencies(None):
                self._create_slots([v for _, v in checked])
            with graph.name_scope(name or self._name):
                self._hyper_cache = {}
                updates = []
                for grad, var in checked:
                    with graph.name_scope("update_" + var.node.name):
                        updates.append(self._apply_dense(grad, var))
                finish = self._finish(updates)
                if global_step is not None:
                    with graph.control_dependencies([finish]):
                        finish = group(global_step.assign_add(1), name="update_global_step")
            return group(finish, name=name or self._name)

    def minimize(self, loss: TensorLike | Callable[[], TensorLike], global_step: Variable | None = None,
                 var_list: Sequence[Variable] | None = None, gate_gradients: int = GATE_OP,
                 aggregation_method: int | None = None, colocate_gradients_with_ops: bool = False,
                 name: str | None = None, grad_loss: TensorLike | None = None) -> Operation:
        """``compute_gradients`` then ``apply_gradients``; the graph's ``UPDATE_OPS`` (batch-norm
        moving averages) run before the updates.

        >>> import graphflow as gf
        >>> w = gf.Variable(1.0)
        >>> train_op = gf.train.AdamOptimizer(0.1).minimize(w * w)
        """
        gv = self.compute_gradients(loss, var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in gv):
            raise ValueError("No gradients provided for any variable, check your graph for ops that do "
                             "not support gradients, between variables "
                             + ", ".join(v.name for _, v in gv) + f" and loss {convert_to_tensor(loss).name}")
        graph = gv[0][1].graph
        update_ops = graph.get_collection(GraphKeys.UPDATE_OPS)
        if not update_ops:
            return self.apply_gradients(gv, global_step=global_step, name=name)
        with graph.control_dependencies(update_ops):
            return self.apply_gradients(gv, global_step=global_step, name=name)

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """The slot ``name`` (e.g. ``"m"`` for Adam) created for ``var``, or None."""
        return self._slots.get(name, {}).get(var)

    def _slot_of(self, var: Variable, name: str) -> Variable:
        return self._slots[name][var]

    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def variables(self) -> list[Variable]:
        """Every variable this optimizer created in the default graph (slots and e.g. Adam's
        ``beta1_power``), sorted by name."""
        g = get_default_graph()
        found = [v for (_, graph), v in self._non_slots.items() if graph is g]
        found += [s for slots in self._slots.values() for s in slots.values() if s.graph is g]
        return sorted(found, key=lambda v: v.name)

    # -- for subclasses
    def _create_slots(self, var_list: list[Variable]) -> None:
        """Create this optimizer's slots for each variable (none by default)."""

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define _apply_dense")

    def _finish(self, updates: list[Any]) -> Operation:
        return group(*updates, name="update")

    def _hyper(self, name: str, dtype: _dt.DType) -> Tensor:
        """Hyperparameter ``name`` as a ``dtype`` tensor (a tensor, or a callable, or a number)."""
        key = (name, dtype)
        t = self._hyper_cache.get(key)
        if t is None:
            value = self._hyper_values[name]
            if callable(value) and not isinstance(value, Tensor):
                value = value()
            t = cast(value, dtype) if isinstance(value, Tensor) else constant(value, dtype=dtype, name=name)
            self._hyper_cache[key] = t
        return t

    def _slot(self, var: Variable, slot_name: str, value: float, op_name: str | None = None) -> Variable:
        """Get or create ``var``'s slot ``slot_name``, a variable filled with ``value`` named
        ``"<var>/<op_name or the optimizer's name>"`` (made unique)."""
        slots = self._slots.setdefault(slot_name, {})
        if var in slots:
            return slots[var]
        g = var.graph
        vname = g.unique_name(f"{var.node.name}/{op_name or self._name}", mark_as_used=False)
        with g.name_scope(vname + "/Initializer/"):
            init = fill(var.shape.as_list(), constant(value, dtype=var.dtype))
        slot = Variable(init, trainable=False, name=vname)
        slots[var] = slot
        return slot

    def _non_slot(self, name: str, value: float, like: Variable) -> Variable:
        """Get or create a per-graph variable of this optimizer that is not tied to one variable."""
        key = (name, like.graph)
        v = self._non_slots.get(key)
        if v is None:
            v = self._non_slots[key] = Variable(constant(value, dtype=like.dtype, name=name + "/initial_value"),
                                                trainable=False, name=name)
        return v


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``; the learning rate may be a tensor."""

    def __init__(self, learning_rate: HyperLike, use_locking: bool = False, name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate}

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        return var.assign_sub(self._hyper("learning_rate", var.dtype) * grad)


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad; var -= lr * accum`` (Nesterov: ``var -= lr * grad +
    lr * momentum * accum``). Slot ``"momentum"``, named ``"<var>/Momentum"``."""

    def __init__(self, learning_rate: HyperLike, momentum: HyperLike, use_locking: bool = False, name: str = "Momentum",
                 use_nesterov: bool = False) -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "momentum": momentum}
        self._nesterov = use_nesterov

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "momentum", 0.0)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        lr, mu = self._hyper("learning_rate", var.dtype), self._hyper("momentum", var.dtype)
        accum = self._slot_of(var, "momentum")
        accum_t = accum.assign(accum * mu + grad)
        if self._nesterov:
            return var.assign_sub(grad * lr + accum_t * mu * lr)
        return var.assign_sub(accum_t * lr)


class RMSPropOptimizer(Optimizer):
    """TF1's RMSProp: ``ms = decay * ms + (1 - decay) * grad**2`` (``ms`` starts at ones);
    ``mom = momentum * mom + lr * grad / sqrt(ms + epsilon)``; ``var -= mom``. ``centered`` also
    tracks ``mg``, the mean gradient, and divides by ``sqrt(ms - mg**2 + epsilon)``.
    Slots ``"rms"``, (``"mg"``), ``"momentum"``, named ``"<var>/RMSProp"``, ``"<var>/RMSProp_1"``..."""

    def __init__(self, learning_rate: HyperLike, decay: HyperLike = 0.9, momentum: HyperLike = 0.0,
                 epsilon: HyperLike = 1e-10,
                 use_locking: bool = False, centered: bool = False, name: str = "RMSProp") -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "decay": decay, "momentum": momentum,
                              "epsilon": epsilon}
        self._centered = centered

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "rms", 1.0)
            if self._centered:
                self._slot(v, "mg", 0.0)
            self._slot(v, "momentum", 0.0)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        h = self._hyper
        lr, rho, mu, eps = (h(k, var.dtype) for k in ("learning_rate", "decay", "momentum", "epsilon"))
        ms, mom = self._slot_of(var, "rms"), self._slot_of(var, "momentum")
        ms_t = ms.assign(ms + (grad * grad - ms) * (1 - rho))
        denom = ms_t + eps
        if self._centered:
            mg = self._slot_of(var, "mg")
            mg_t = mg.assign(mg + (grad - mg) * (1 - rho))
            denom = ms_t - mg_t * mg_t + eps
        mom_t = mom.assign(mom * mu + grad * lr / sqrt(denom))
        return var.assign_sub(mom_t)


class AdamOptimizer(Optimizer):
    """TF1's Adam in the epsilon-hat form: ``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)``,
    ``m = beta1 * m + (1 - beta1) * g``, ``v = beta2 * v + (1 - beta2) * g**2``,
    ``var -= lr_t * m / (sqrt(v) + epsilon)``. Slots ``"m"``, ``"v"`` (``"<var>/Adam"``,
    ``"<var>/Adam_1"``); ``beta1_power`` and ``beta2_power`` hold ``beta**t``."""

    def __init__(self, learning_rate: HyperLike = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: HyperLike = 1e-08,
                 use_locking: bool = False, name: str = "Adam") -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "beta1": beta1, "beta2": beta2,
                              "epsilon": epsilon}

    def _create_slots(self, var_list: list[Variable]) -> None:
        first = min(var_list, key=lambda v: v.name)
        for name, key in (("beta1_power", "beta1"), ("beta2_power", "beta2")):
            value = self._hyper_values[key]
            if isinstance(value, Tensor) or callable(value):
                raise TypeError(f"AdamOptimizer's {key} must be a number (it initialises {name}), got {value!r}")
            self._non_slot(name, value, first)
        for v in var_list:
            self._slot(v, "m", 0.0)
            self._slot(v, "v", 0.0)

    def _powers(self, graph: Graph) -> tuple[Variable, Variable]:
        return self._non_slots[("beta1_power", graph)], self._non_slots[("beta2_power", graph)]

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        h = self._hyper
        lr, b1, b2, eps = (h(k, var.dtype) for k in ("learning_rate", "beta1", "beta2", "epsilon"))
        p1, p2 = (cast(p, var.dtype) for p in self._powers(var.graph))
        m, v = self._slot_of(var, "m"), self._slot_of(var, "v")
        alpha = lr * sqrt(1 - p2) / (1 - p1)
        m_t = m.assign(m + (grad - m) * (1 - b1))
        v_t = v.assign(v + (grad * grad - v) * (1 - b2))
        return var.assign_sub(m_t * alpha / (sqrt(v_t) + eps))

    def _finish(self, updates: list[Any]) -> Operation:
        graph = updates[0].graph
        p1, p2 = self._powers(graph)
        with graph.control_dependencies(updates):
            new1 = p1.assign(p1 * self._hyper("beta1", p1.dtype))
            new2 = p2.assign(p2 * self._hyper("beta2", p2.dtype))
        return group(*updates, new1, new2, name="update")


class AdagradOptimizer(Optimizer):
    """``accum += grad**2; var -= lr * grad / sqrt(accum)``, ``accum`` starting at
    ``initial_accumulator_value``. Slot ``"accumulator"`` (``"<var>/Adagrad"``)."""

    def __init__(self, learning_rate: HyperLike, initial_accumulator_value: float = 0.1, use_locking: bool = False,
                 name: str = "Adagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive, got {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate}
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "accumulator", self._initial)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Tensor:
        acc = self._slot_of(var, "accumulator")
        acc_t = acc.assign_add(grad * grad)
        return var.assign_sub(self._hyper("learning_rate", var.dtype) * grad / sqrt(acc_t))
