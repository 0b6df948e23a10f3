"""PyTorch's update rules: SGD (momentum, dampening, nesterov, weight decay), Adam (amsgrad),
AdamW, RMSprop (momentum, centered) and Adagrad (lr decay), each parameter's state in graph
variables (slots), one step counter per optimizer."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.autodiff import gradients
from graphflow.core.ir import Operation, Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops.variables import GraphKeys, Variable


class _Feed:
    """A value the Session feeds on every run (the current learning rate)."""

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def next_values(self) -> list[Any]:
        return [np.float64(self.value)]


class Optimizer:
    defaults: dict[str, Any] = {}

    def __init__(self, params: Iterable[Variable | dict[str, Any]],
                 **options: float | bool | tuple[float, float]) -> None:
        self.params = [p for p in _params(params)]
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not (isinstance(p, Variable) and p.dtype.is_floating):
                raise TypeError(f"optimizer parameters must be floating gf.Variables, got {p!r}")
        self.options = {**self.defaults, **options}
        g = self.params[0].graph
        self._lr = _Feed(self.options["lr"])
        with g.control_dependencies(None):
            self.lr_tensor = ST.placeholder_with_default(np.float64(self._lr.value), [], name="lr")
            self.step_count = Variable(ST.zeros([], _dt.int64), trainable=False, name="optimizer_step")
        g.__dict__.setdefault("_auto_feeds", {})[id(self.lr_tensor)] = (self._lr, 0, self.lr_tensor)
        self.param_groups = [{"params": self.params, **self.options}]
        self.state: dict[int, dict[str, Variable]] = {}

    # the scheduler's handle on the rate
    @property
    def lr(self) -> float:
        return self._lr.value

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr.value = float(value)
        self.param_groups[0]["lr"] = float(value)

    def _slot(self, p: Variable, name: str, init: TensorLike = 0.0) -> Variable:
        slots = self.state.setdefault(id(p), {})
        if name not in slots:
            with p.graph.control_dependencies(None):
                slots[name] = Variable(ST.zeros(p.shape.as_list(), p.dtype) + init, trainable=False,
                                       name=f"{p.node.name}/{type(self).__name__}_{name}")
        return slots[name]

    def minimize(self, loss: TensorLike, name: str | None = None) -> Operation:
        """The op computing the gradients of ``loss`` and applying one update."""
        grads = self._reduce_gradients(gradients(loss, self.params))
        g = get_default_graph()
        with g.name_scope(name or type(self).__name__):
            step = self.step_count.assign_add(1)  # the step number t of this update (from 1)
            t = M.cast(step, _dt.float64)
            ups = []
            for p, grad in zip(self.params, grads):
                if grad is None:
                    continue
                lr = M.cast(self.lr_tensor, p.dtype)
                ups.append(self._update(p, grad, lr, t))
        updates = g.get_collection(GraphKeys.UPDATE_OPS)
        return ST.group(*ups, *updates, name=name or "step")

    step = minimize

    @staticmethod
    def _reduce_gradients(grads: list[Any]) -> list[Any]:
        """The gradients the update applies (``graphflow.distributed.DistributedOptimizer``
        replaces this with the average over the ranks)."""
        return grads

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Gradients are recomputed by every run of the train op: nothing to clear."""

    def _update(self, p: Variable, g: Tensor, lr: Tensor, t: Tensor) -> Operation:
        raise NotImplementedError


def _params(params: Iterable[Variable | dict[str, Any]]) -> list[Variable]:
    out = []
    for p in params:
        if isinstance(p, dict):  # a parameter group
            out += list(p["params"])
        else:
            out.append(p)
    return out


def _c(v: float, like: Tensor) -> Tensor:
    return ST.constant(v, dtype=like.dtype)


class SGD(Optimizer):
    defaults = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}

    def _update(self, p: Variable, g: Tensor, lr: Tensor, t: Tensor) -> Operation:
        o = self.options
        if o["weight_decay"]:
            g = g + _c(o["weight_decay"], p) * p
        if o["momentum"]:
            buf = self._slot(p, "momentum_buffer")
            first = M.equal(t, 1.0)  # PyTorch starts the buffer at the first gradient
            new = M.where(first, g, _c(o["momentum"], p) * buf + _c(1 - o["dampening"], p) * g)
            nb = buf.assign(new)
            g = g + _c(o["momentum"], p) * nb if o["nesterov"] else nb
        return p.assign_sub(lr * g).node


class Adam(Optimizer):
    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
    decoupled = False

    def _update(self, p: Variable, g: Tensor, lr: Tensor, t: Tensor) -> Operation:
        o = self.options
        b1, b2 = o["betas"]
        target: Tensor = p
        if o["weight_decay"]:
            if self.decoupled:
                target = p.assign(p * (1 - lr * _c(o["weight_decay"], p)))
            else:
                g = g + _c(o["weight_decay"], p) * p
        m = self._slot(p, "exp_avg").assign(_c(b1, p) * self._slot(p, "exp_avg") + _c(1 - b1, p) * g)
        v = self._slot(p, "exp_avg_sq").assign(_c(b2, p) * self._slot(p, "exp_avg_sq") + _c(1 - b2, p) * g * g)
        if o["amsgrad"]:
            v = self._slot(p, "max_exp_avg_sq").assign(M.maximum(self._slot(p, "max_exp_avg_sq"), v))
        tt = M.cast(t, p.dtype)
        bc1 = 1 - M.pow(_c(b1, p), tt)
        bc2 = 1 - M.pow(_c(b2, p), tt)
        denom = M.sqrt(v) / M.sqrt(bc2) + _c(o["eps"], p)
        if target is not p:  # decoupled decay: update after the decay's write
            with get_default_graph().control_dependencies([target.node]):
                return p.assign_sub(lr / bc1 * m / denom).node
        return p.assign_sub(lr / bc1 * m / denom).node


class AdamW(Adam):
    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False}
    decoupled = True


class RMSprop(Optimizer):
    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}

    def _update(self, p: Variable, g: Tensor, lr: Tensor, t: Tensor) -> Operation:
        o = self.options
        if o["weight_decay"]:
            g = g + _c(o["weight_decay"], p) * p
        a = _c(o["alpha"], p)
        sq = self._slot(p, "square_avg").assign(a * self._slot(p, "square_avg") + (1 - a) * g * g)
        if o["centered"]:
            ga = self._slot(p, "grad_avg").assign(a * self._slot(p, "grad_avg") + (1 - a) * g)
            avg = M.sqrt(sq - ga * ga) + _c(o["eps"], p)
        else:
            avg = M.sqrt(sq) + _c(o["eps"], p)
        if o["momentum"]:
            buf = self._slot(p, "momentum_buffer").assign(_c(o["momentum"], p) * self._slot(p, "momentum_buffer")
                                                          + g / avg)
            return p.assign_sub(lr * buf).node
        return p.assign_sub(lr * g / avg).node


class Adagrad(Optimizer):
    defaults = {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}

    def _update(self, p: Variable, g: Tensor, lr: Tensor, t: Tensor) -> Operation:
        o = self.options
        if o["weight_decay"]:
            g = g + _c(o["weight_decay"], p) * p
        clr = lr / (1 + (M.cast(t, p.dtype) - 1) * _c(o["lr_decay"], p))
        s = self._slot(p, "sum", o["initial_accumulator_value"])
        ns = s.assign(s + g * g)
        return p.assign_sub(clr * g / (M.sqrt(ns) + _c(o["eps"], p))).node
