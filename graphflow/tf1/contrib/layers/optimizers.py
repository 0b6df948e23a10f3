"""``tf.contrib.layers.optimize_loss``: one call from a loss to a training tensor, with TF 1.15's
options: an optimizer by name, class, instance or factory, a learning-rate variable and decay, the
UPDATE_OPS run first, gradient noise, per-variable multipliers, clipping, and the summaries.

    train_op = optimize_loss(loss, tf.train.get_or_create_global_step(), 0.1, "Adam",
                             clip_gradients=5.0)
    sess.run(train_op)   # the loss, computed before the step it triggers
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.ops import math_ops as M
from graphflow.ops.check_ops import assert_scalar
from graphflow.ops.nn_ops import clip_by_global_norm, global_norm
from graphflow.ops.state_ops import random_normal
from graphflow.ops.variables import GraphKeys, constant_initializer, get_variable, trainable_variables, variable_scope
from graphflow.tf1 import summary
from graphflow.tf1.train.optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from graphflow.tf1.train.proximal_optimizers import FtrlOptimizer
from graphflow.tf1.train.schedules import assert_global_step, get_global_step

__all__ = ["OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES", "optimize_loss"]

OPTIMIZER_CLS_NAMES: dict[str, Callable[..., Optimizer]] = {
    "Adagrad": AdagradOptimizer, "Adam": AdamOptimizer, "Ftrl": FtrlOptimizer,
    "Momentum": lambda learning_rate: MomentumOptimizer(learning_rate, momentum=0.9),
    "RMSProp": RMSPropOptimizer, "SGD": GradientDescentOptimizer}
OPTIMIZER_SUMMARIES = ["learning_rate", "loss", "gradients", "gradient_norm", "global_gradient_norm"]

GradsAndVars = list[tuple[Any, Any]]


def _with_dependencies(deps: Sequence[Any], output: Tensor) -> Tensor:
    with get_default_graph().control_dependencies(list(deps)):
        return M.identity(output)


def _make_optimizer(optimizer: Any, lr: Tensor | None, learning_rate: Any) -> Optimizer:
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError(f"Learning rate is None, but should be specified if optimizer is string ({optimizer}).")
        if optimizer not in OPTIMIZER_CLS_NAMES:
            raise ValueError(f"Optimizer name should be one of [{', '.join(OPTIMIZER_CLS_NAMES)}], you provided "
                             f"{optimizer}.")
        return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        if lr is None:
            raise ValueError(f"Learning rate is None, but should be specified if optimizer is class ({optimizer}).")
        return optimizer(learning_rate=lr)  # type: ignore[call-arg]  # a subclass taking TF1's argument
    if isinstance(optimizer, Optimizer):
        return optimizer
    if callable(optimizer):
        opt = optimizer(lr) if learning_rate is not None else optimizer()
        if not isinstance(opt, Optimizer):
            raise ValueError(f"Unrecognized optimizer: function should return subclass of Optimizer. Got {opt}.")
        return opt
    raise ValueError("Unrecognized optimizer: should be string, subclass of Optimizer, instance of subclass of "
                     f"Optimizer or function with one argument. Got {optimizer}.")


def _multiply(grads: GradsAndVars, multipliers: Mapping[Any, float]) -> GradsAndVars:
    out = []
    for grad, var in grads:
        key = var if var in multipliers else var.name if var.name in multipliers else None
        if grad is not None and key is not None:
            grad = M.multiply(grad, convert_to_tensor(multipliers[key], dtype=grad.dtype))
        out.append((grad, var))
    return out


def optimize_loss(loss: Tensor, global_step: Tensor | None, learning_rate: float | Tensor | None, optimizer: Any,
                  gradient_noise_scale: float | None = None, gradient_multipliers: Mapping[Any, float] | None = None,
                  clip_gradients: float | Callable[[GradsAndVars], GradsAndVars] | None = None,
                  learning_rate_decay_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
                  update_ops: Sequence[Any] | None = None, variables: Sequence[Any] | None = None,
                  name: str | None = None, summaries: Sequence[str] | None = None,
                  colocate_gradients_with_ops: bool = False, increment_global_step: bool = True) -> Tensor:
    """The loss, made to depend on one optimizer step over ``variables`` (trainable ones by
    default); running it trains. A float ``learning_rate`` becomes the non-trainable variable
    ``OptimizeLoss/learning_rate``; a float ``clip_gradients`` clips by global norm."""
    loss = convert_to_tensor(loss)
    assert_scalar(loss)
    if global_step is None:
        global_step = get_global_step()
    else:
        assert_global_step(global_step)
    with variable_scope(name, default_name="OptimizeLoss", values=[loss, global_step]):
        if update_ops is None:
            update_ops = list(dict.fromkeys(get_default_graph().get_collection(GraphKeys.UPDATE_OPS)))
        if update_ops:
            loss = _with_dependencies(update_ops, loss)
        lr: Tensor | None = None
        if learning_rate is not None:
            if isinstance(learning_rate, Tensor) and learning_rate.shape.rank == 0:
                lr = learning_rate
            elif isinstance(learning_rate, float):
                if learning_rate < 0.0:
                    raise ValueError(f"Invalid learning_rate {learning_rate}.")
                lr = get_variable("learning_rate", [], dtype=loss.dtype.base_dtype, trainable=False,
                                  initializer=constant_initializer(learning_rate))
            else:
                raise ValueError(f"Learning rate should be 0d Tensor or float. Got {learning_rate} of type "
                                 f"{type(learning_rate)}")
        if summaries is None:
            summaries = ["loss", "learning_rate", "global_gradient_norm"]
        for summ in summaries:
            if summ not in OPTIMIZER_SUMMARIES:
                raise ValueError(f"Summaries should be one of [{', '.join(OPTIMIZER_SUMMARIES)}], you provided "
                                 f"{summ}.")
        if lr is not None and learning_rate_decay_fn is not None:
            if global_step is None:
                raise ValueError("global_step is required for learning_rate_decay_fn.")
            lr = learning_rate_decay_fn(lr, global_step)
            if "learning_rate" in summaries:
                summary.scalar("learning_rate", lr)
        opt = _make_optimizer(optimizer, lr, learning_rate)
        if variables is None:
            variables = trainable_variables()
        grads: GradsAndVars = opt.compute_gradients(loss, list(variables))
        if gradient_noise_scale is not None:
            grads = [(g if g is None else M.add(g, M.multiply(random_normal(g.shape.as_list(), dtype=g.dtype),
                                                              convert_to_tensor(gradient_noise_scale, g.dtype))), v)
                     for g, v in grads]
        if gradient_multipliers is not None:
            grads = _multiply(grads, gradient_multipliers)
            if not grads:
                raise ValueError("Empty list of (gradient, var) pairs encountered. This is most likely to be caused "
                                 "by an improper value of gradient_multipliers.")
        present = [g for g, _ in grads if g is not None]
        if "global_gradient_norm" in summaries or "gradient_norm" in summaries:
            summary.scalar("global_norm/gradient_norm", global_norm(present))
        if isinstance(clip_gradients, float):
            clipped, _ = clip_by_global_norm([g for g, _ in grads], clip_gradients)
            grads = list(zip(clipped, [v for _, v in grads]))
        elif callable(clip_gradients):
            grads = clip_gradients(grads)
        elif clip_gradients is not None:
            raise ValueError(f"Unknown type {type(clip_gradients)} for clip_gradients")
        if "loss" in summaries:
            summary.scalar("loss", loss)
        for grad, var in grads:
            if grad is not None:
                tag = var.name.replace(":", "_")
                if "gradients" in summaries:
                    summary.histogram(f"gradients/{tag}", grad)
                if "gradient_norm" in summaries:
                    summary.scalar(f"gradient_norm/{tag}", global_norm([grad]))
        if clip_gradients is not None and ("global_gradient_norm" in summaries or "gradient_norm" in summaries):
            summary.scalar("global_norm/clipped_gradient_norm", global_norm([g for g, _ in grads if g is not None]))
        step = opt.apply_gradients(grads, global_step=global_step if increment_global_step else None,  # type: ignore[arg-type]
                                   name="train")
        return _with_dependencies([step], loss)
