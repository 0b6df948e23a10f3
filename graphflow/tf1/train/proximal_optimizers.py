"""TF1's optimizers with L1/L2 regularisation in the update: FTRL-Proximal, proximal gradient
descent, proximal Adagrad and Adagrad dual averaging, and Adadelta.

Each follows the update of TF1's training kernel (``ApplyFtrlV2``, ``ApplyProximalGradientDescent``,
``ApplyProximalAdagrad``, ``ApplyAdagradDA``, ``ApplyAdadelta``) with TF1's slot names and
defaults. An L1 strength given as a number picks the kernel's branch when the graph is built; one
given as a tensor picks it when run.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.ops.elementwise_ops import abs as _abs
from graphflow.ops.elementwise_ops import maximum, sign, sqrt, where
from graphflow.ops.elementwise_ops import pow as _pow
from graphflow.ops.math_ops import cast
from graphflow.ops.state_ops import group, zeros_like
from graphflow.ops.variables import Variable
from graphflow.tf1.train.optimizers import HyperLike, Optimizer

__all__ = ["AdadeltaOptimizer", "AdagradDAOptimizer", "FtrlOptimizer", "ProximalAdagradOptimizer",
           "ProximalGradientDescentOptimizer"]


def _non_negative(what: str, value: HyperLike) -> None:
    if isinstance(value, (int, float)) and value < 0.0:
        raise ValueError(f"{what} must be at least 0, got {value}")


def _shrink(value: Tensor, threshold: Tensor, l1: HyperLike) -> Tensor:
    """``sign(value) * max(|value| - threshold, 0)``, TF1's soft threshold, where ``l1 > 0``; else
    ``value``."""
    shrunk = sign(value) * maximum(_abs(value) - threshold, 0.0)
    if isinstance(l1, (int, float)):
        return shrunk if l1 > 0.0 else value
    return where(threshold > 0.0, shrunk, value)


class AdadeltaOptimizer(Optimizer):
    """``accum = rho * accum + (1 - rho) * g**2``; ``update = sqrt(accum_update + eps) /
    sqrt(accum + eps) * g``; ``accum_update = rho * accum_update + (1 - rho) * update**2``;
    ``var -= lr * update``. Slots ``"accum"``, ``"accum_update"`` (``"<var>/Adadelta"``,
    ``"<var>/Adadelta_1"``)."""

    def __init__(self, learning_rate: HyperLike = 0.001, rho: HyperLike = 0.95, epsilon: HyperLike = 1e-8,
                 use_locking: bool = False, name: str = "Adadelta") -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "rho": rho, "epsilon": epsilon}

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "accum", 0.0)
            self._slot(v, "accum_update", 0.0)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        lr, rho, eps = (self._hyper(k, var.dtype) for k in ("learning_rate", "rho", "epsilon"))
        accum, accum_update = self._slot_of(var, "accum"), self._slot_of(var, "accum_update")
        accum_t = accum.assign(accum * rho + grad * grad * (1 - rho))
        update = sqrt(accum_update + eps) / sqrt(accum_t + eps) * grad
        # the kernel updates accum_update from the old value before moving the variable
        return group(accum_update.assign(accum_update * rho + update * update * (1 - rho)),
                     var.assign_sub(update * lr))


class ProximalGradientDescentOptimizer(Optimizer):
    """``v = var - lr * g``; ``var = shrink(v, lr * l1) / (1 + lr * l2)`` (no slots)."""

    def __init__(self, learning_rate: HyperLike, l1_regularization_strength: HyperLike = 0.0,
                 l2_regularization_strength: HyperLike = 0.0, use_locking: bool = False,
                 name: str = "ProximalGradientDescent") -> None:
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                              "l2": l2_regularization_strength}

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        lr, l1, l2 = (self._hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        moved = var - lr * grad
        return var.assign(_shrink(moved, lr * l1, self._hyper_values["l1"]) / (1 + lr * l2))


class ProximalAdagradOptimizer(Optimizer):
    """``accum += g**2``; ``a = lr / sqrt(accum)``; ``v = var - a * g``; ``var = shrink(v, a * l1) /
    (1 + a * l2)``. Slot ``"accumulator"`` (``"<var>/ProximalAdagrad"``)."""

    def __init__(self, learning_rate: HyperLike, initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: HyperLike = 0.0, l2_regularization_strength: HyperLike = 0.0,
                 use_locking: bool = False, name: str = "ProximalAdagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive, got {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                              "l2": l2_regularization_strength}
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "accumulator", self._initial)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        lr, l1, l2 = (self._hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        acc = self._slot_of(var, "accumulator")
        rate = lr / sqrt(acc.assign_add(grad * grad))
        moved = var - rate * grad
        return var.assign(_shrink(moved, rate * l1, self._hyper_values["l1"]) / (1 + rate * l2))


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013) as TF1's ``ApplyFtrlV2``, per coordinate, with ``p =
    -learning_rate_power``:

    ``g' = g + 2 * l2_shrinkage * var``; ``n' = n + g**2``; ``z += g' - (n'**p - n**p) / lr * var``;
    ``var = (sign(z) * l1 - z) / (n'**p / lr + 2 * l2)`` where ``|z| > l1``, else 0; ``n = n'``.
    ``beta`` adds ``beta / (2 * lr)`` to ``l2``. Slots ``"accum"`` (``n``, from
    ``initial_accumulator_value``) and ``"linear"`` (``z``), named ``"<var>/Ftrl"``, ``"<var>/Ftrl_1"``
    (or ``accum_name`` / ``linear_name``)."""

    def __init__(self, learning_rate: HyperLike, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, use_locking: bool = False, name: str = "Ftrl",
                 accum_name: str | None = None, linear_name: str | None = None,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float | None = None) -> None:
        if isinstance(learning_rate_power, (int, float)) and learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power must be at most 0, got {learning_rate_power}")
        if initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value must be at least 0, got {initial_accumulator_value}")
        for what, value in (("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            _non_negative(what, value)
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "power": learning_rate_power,
                              "l1": l1_regularization_strength, "l2": l2_regularization_strength,
                              "shrinkage": l2_shrinkage_regularization_strength, "beta": beta or 0.0}
        self._initial = initial_accumulator_value
        self._accum_name, self._linear_name = accum_name, linear_name

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "accum", self._initial, self._accum_name)
            self._slot(v, "linear", 0.0, self._linear_name)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        lr, power, l1, l2, shrinkage, beta = (self._hyper(k, var.dtype) for k in (
            "learning_rate", "power", "l1", "l2", "shrinkage", "beta"))
        l2 = l2 + beta / (2 * lr)
        accum, linear = self._slot_of(var, "accum"), self._slot_of(var, "linear")
        # n**-power, as sqrt(n) for TF1's default power (its kernel's special case, for the same rounding)
        scale: Callable[[Tensor], Tensor] = sqrt if self._hyper_values["power"] == -0.5 else lambda n: _pow(n, -power)
        shrunk_grad = grad if self._hyper_values["shrinkage"] == 0.0 else grad + 2 * shrinkage * var
        new_accum = accum + grad * grad
        linear_t = linear.assign_add(shrunk_grad - (scale(new_accum) - scale(accum)) / lr * var)
        solution = (sign(linear_t) * l1 - linear_t) / (scale(new_accum) / lr + 2 * l2)
        new_var = var.assign(where(_abs(linear_t) > l1, solution, zeros_like(solution)))
        with var.graph.control_dependencies([new_var]):  # the linear term above reads the old accumulator
            return accum.assign(new_accum)


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al., 2011), TF1's ``ApplyAdagradDA``: ``G += g``; ``S +=
    g**2``; ``t = global_step + 1``; ``var = -lr * shrink(G, l1 * t) / (l2 * t * lr + sqrt(S))``.
    Slots ``"gradient_accumulator"`` (zeros) and ``"gradient_squared_accumulator"`` (from
    ``initial_gradient_squared_accumulator_value``), named ``"<var>/AdagradDA"``,
    ``"<var>/AdagradDA_1"``. The global step is read, not incremented (``minimize(global_step=)``
    increments it)."""

    def __init__(self, learning_rate: HyperLike, global_step: Variable | Tensor,
                 initial_gradient_squared_accumulator_value: float = 0.1,
                 l1_regularization_strength: HyperLike = 0.0, l2_regularization_strength: HyperLike = 0.0,
                 use_locking: bool = False, name: str = "AdagradDA") -> None:
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive, got "
                             f"{initial_gradient_squared_accumulator_value}")
        if global_step is None:
            raise ValueError("AdagradDAOptimizer needs the global step (gf.train.get_or_create_global_step())")
        super().__init__(use_locking, name)
        self._hyper_values = {"learning_rate": learning_rate, "l1": l1_regularization_strength,
                              "l2": l2_regularization_strength}
        self._initial = initial_gradient_squared_accumulator_value
        self._global_step = global_step

    def _create_slots(self, var_list: list[Variable]) -> None:
        for v in var_list:
            self._slot(v, "gradient_accumulator", 0.0)
            self._slot(v, "gradient_squared_accumulator", self._initial)

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        lr, l1, l2 = (self._hyper(k, var.dtype) for k in ("learning_rate", "l1", "l2"))
        t = cast(cast(self._global_step, _dt.int64) + 1, var.dtype)
        g_acc = self._slot_of(var, "gradient_accumulator").assign_add(grad)
        gg_acc = self._slot_of(var, "gradient_squared_accumulator").assign_add(grad * grad)
        shrunk = _shrink(g_acc, l1 * t, self._hyper_values["l1"])
        return var.assign(-lr * shrunk / (l2 * t * lr + sqrt(gg_acc)))
