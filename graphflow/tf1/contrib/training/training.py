"""``tf.contrib.training``'s train op (TF 1.15): ``create_train_op`` (the loss, returned once the
gradients are applied) and the gradient transformations slim's ``learning`` applies with it."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphflow.core.ir import Tensor
from graphflow.ops import check_ops
from graphflow.ops.constant_ops import constant, no_op
from graphflow.ops.elementwise_ops import identity, multiply
from graphflow.ops.indexed_slices import IndexedSlices
from graphflow.ops.nn_ops import clip_by_norm, global_norm
from graphflow.ops.variables import GraphKeys, Variable, get_collection, get_collection_ref, trainable_variables
from graphflow.tf1 import summary
from graphflow.tf1.graph_functions import control_dependencies, name_scope
from graphflow.tf1.python.platform import tf_logging as logging
from graphflow.tf1.train.schedules import get_or_create_global_step

GradsAndVars = list[tuple[Any, Variable]]
_USE_GLOBAL_STEP: Any = 0  # TF1's sentinel: the graph's global step


def _scaled(grad: Any, fn: Callable[[Tensor], Tensor]) -> Any:
    if isinstance(grad, IndexedSlices):
        return IndexedSlices(fn(grad.values), grad.indices, grad.dense_shape)
    return fn(grad)


def clip_gradient_norms(gradients_to_variables: Sequence[tuple[Any, Variable]], max_norm: float) -> GradsAndVars:
    """Each gradient clipped to L2 norm ``max_norm`` (``clip_by_norm``; None gradients kept)."""
    return [(None if g is None else _scaled(g, lambda t: clip_by_norm(t, max_norm)), v)
            for g, v in gradients_to_variables]


def multiply_gradients(grads_and_vars: GradsAndVars, gradient_multipliers: Mapping[Any, Any]) -> GradsAndVars:
    """Scale the gradients of the variables (or variable op names) ``gradient_multipliers`` names."""
    if not isinstance(grads_and_vars, list):
        raise ValueError("`grads_and_vars` must be a list.")
    if not gradient_multipliers:
        raise ValueError("`gradient_multipliers` is empty.")
    if not isinstance(gradient_multipliers, dict):
        raise ValueError("`gradient_multipliers` must be a dict.")
    out = []
    for grad, var in grads_and_vars:
        key = var if var in gradient_multipliers else var.op.name
        if key in gradient_multipliers:
            if grad is None:
                raise ValueError("Requested multiple of `None` gradient.")
            m = gradient_multipliers[key]
            factor: Tensor = m if isinstance(m, Tensor) else constant(m, dtype=grad.dtype)
            grad = _scaled(grad, functools.partial(multiply, y=factor))
        out.append((grad, var))
    return out


def add_gradients_summaries(grads_and_vars: GradsAndVars) -> list[Tensor]:
    """A histogram of each gradient and a scalar of its norm, named ``<var>/gradient(_norm)``."""
    summaries = []
    for grad, var in grads_and_vars:
        if grad is None:
            logging.info("Var %s has no gradient", var.op.name)
            continue
        values = grad.values if isinstance(grad, IndexedSlices) else grad
        summaries.append(summary.histogram(var.op.name + "/gradient", values))
        summaries.append(summary.scalar(var.op.name + "/gradient_norm", global_norm([values])))
    return summaries


def create_train_op(total_loss: Tensor, optimizer: Any, global_step: Any = _USE_GLOBAL_STEP,
                    update_ops: Sequence[Any] | None = None, variables_to_train: Sequence[Variable] | None = None,
                    transform_grads_fn: Callable[[GradsAndVars], GradsAndVars] | None = None,
                    summarize_gradients: bool = False, gate_gradients: int = 1, aggregation_method: int | None = None,
                    colocate_gradients_with_ops: bool = False, check_numerics: bool = True) -> Tensor:
    """The loss, computed after ``UPDATE_OPS`` (batch-norm statistics) and returned once the
    gradients (passed through ``transform_grads_fn``) are applied and the global step incremented;
    added to ``GraphKeys.TRAIN_OP``.

    >>> import graphflow as gf
    >>> w = gf.Variable(3.0)
    >>> train_op = create_train_op(w * w, gf.train.GradientDescentOptimizer(0.1))
    """
    if global_step is _USE_GLOBAL_STEP:
        global_step = get_or_create_global_step()
    wanted = list(get_collection(GraphKeys.UPDATE_OPS))
    updates = wanted if update_ops is None else list(update_ops)
    if any(u not in updates for u in wanted):
        logging.warning("update_ops in create_train_op does not contain all the update_ops in GraphKeys.UPDATE_OPS")
    if updates:
        with control_dependencies(updates):
            barrier = no_op(name="update_barrier")
        with control_dependencies([barrier]):
            total_loss = identity(total_loss)
    variables = trainable_variables() if variables_to_train is None else list(variables_to_train)
    if not variables:
        raise ValueError("create_train_op: no variables to train")
    grads = optimizer.compute_gradients(total_loss, variables, gate_gradients=gate_gradients,
                                        aggregation_method=aggregation_method,
                                        colocate_gradients_with_ops=colocate_gradients_with_ops)
    if transform_grads_fn is not None:
        grads = transform_grads_fn(grads)
    if summarize_gradients:
        with name_scope("summarize_grads"):
            add_gradients_summaries(grads)
    apply = optimizer.apply_gradients(grads, global_step=global_step)
    with name_scope("train_op"):
        if check_numerics:
            total_loss = check_ops.check_numerics(total_loss, "LossTensor is inf or nan")
        with control_dependencies([apply]):
            train_op = identity(total_loss)
    train_ops = get_collection_ref(GraphKeys.TRAIN_OP)
    if train_op not in train_ops:
        train_ops.append(train_op)
    return train_op
