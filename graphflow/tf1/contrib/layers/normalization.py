"""contrib.layers' normalizations with TF 1.15's defaults and variable names: ``batch_norm``
(``BatchNorm/beta``, ``moving_mean``...; decay 0.999, no gamma unless ``scale``; updates in
UPDATE_OPS, or in place when ``updates_collections=None``), ``layer_norm``, ``instance_norm``,
``group_norm``. Each is an ``add_arg_scope`` function usable as a layer's ``normalizer_fn``.

    net = conv2d(images, 32, 3, normalizer_fn=batch_norm,
                 normalizer_params={"is_training": is_training, "updates_collections": None})
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops.nn_ops import batch_normalization, moments
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.variables import (
    GraphKeys,
    InitializerLike,
    Variable,
    ones_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.contrib.framework.arg_scope import add_arg_scope
from graphflow.tf1.contrib.framework.variables import model_variable
from graphflow.tf1.contrib.layers.regularizers import Regularizer
from graphflow.tf1.contrib.layers.utils import collect_named_outputs, get_variable_collections
from graphflow.tf1.layers.core import _training

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm"]

Activation = Callable[[Tensor], Tensor] | None


def _param(name: str, size: list[int], x: Tensor, init: InitializerLike | None, trainable: bool,
           collections: Any, regularizer: Regularizer | None = None) -> Variable:
    return model_variable(name, size, dtype=x.dtype.base_dtype, initializer=init, regularizer=regularizer,
                          trainable=trainable, collections=get_variable_collections(collections, name))


@add_arg_scope
def batch_norm(inputs: TensorLike, decay: float = 0.999, center: bool = True, scale: bool = False,
               epsilon: float = 0.001, activation_fn: Activation = None,
               param_initializers: dict[str, InitializerLike] | None = None,
               param_regularizers: dict[str, Regularizer] | None = None,
               updates_collections: str | None = GraphKeys.UPDATE_OPS, is_training: bool | Tensor = True,
               reuse: bool | None = None, variables_collections: Any = None,
               outputs_collections: Sequence[str] | None = None, trainable: bool = True,
               batch_weights: TensorLike | None = None, fused: bool | None = None, data_format: str = "NHWC",
               zero_debias_moving_mean: bool = False, scope: str | None = None, renorm: bool = False,
               renorm_clipping: dict[str, float] | None = None, renorm_decay: float = 0.99,
               adjustment: Callable[[Tensor], tuple[Tensor, Tensor]] | None = None) -> Tensor:
    """Batch normalization over every axis but the channels (the last, or axis 1 for NCHW);
    ``is_training`` may be a fed bool. The moving statistics update through ``updates_collections``
    (UPDATE_OPS: run them with the train op), or with the output when it is None."""
    if batch_weights is not None or renorm or zero_debias_moving_mean or adjustment is not None:
        raise ValueError("contrib batch_norm: batch_weights, renorm, zero_debias_moving_mean and adjustment are "
                         "not supported (docs/differences.md)")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    x = convert_to_tensor(inputs)
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"Inputs {x.name} has undefined rank.")
    axis = 1 if data_format == "NCHW" and rank > 2 else rank - 1
    channels = x.shape.as_list()[axis]
    if channels is None:
        raise ValueError(f"Inputs {x.name} has undefined channels dimension {x.shape}.")
    # TF 1.15 takes its fused function for rank 2 or 4 inputs when the updates are not in
    # UPDATE_OPS (or the inputs are 2-D), the Keras layer for updates in UPDATE_OPS, its own
    # unfused ops otherwise: the Keras layer makes gamma before beta, the others beta first; the
    # fused kernels (float16/32) move the variance towards the unbiased batch variance
    fusing = fused is not False and rank in (2, 4)
    fused_function = fusing and (rank == 2 or updates_collections != GraphKeys.UPDATE_OPS)
    keras_layer = not fused_function and updates_collections == GraphKeys.UPDATE_OPS
    unbiased = x.dtype.base_dtype.name in ("float16", "float32") and fusing and (rank == 4 or fused_function)
    inits = param_initializers or {}
    regs = param_regularizers or {}
    with variable_scope(scope, default_name="BatchNorm", values=[x], reuse=reuse) as sc:
        def beta() -> Tensor | None:
            return _param("beta", [channels], x, inits.get("beta", zeros_initializer()), trainable,
                          variables_collections, regs.get("beta")) if center else None

        def gamma() -> Tensor | None:
            return _param("gamma", [channels], x, inits.get("gamma", ones_initializer()), trainable,
                          variables_collections, regs.get("gamma")) if scale else None
        if keras_layer:
            g, b = gamma(), beta()
        else:
            b, g = beta(), gamma()
        moving_mean = _param("moving_mean", [channels], x, inits.get("moving_mean", zeros_initializer()), False,
                             variables_collections)
        moving_var = _param("moving_variance", [channels], x, inits.get("moving_variance", ones_initializer()),
                            False, variables_collections)
        training = _training(is_training)
        if isinstance(training, Tensor) and training.shape.rank != 0:
            training = reshape(training, [])
        if training is False:
            mean, var = M.identity(moving_mean), M.identity(moving_var)
        else:
            batch_mean, batch_var = moments(x, [a for a in range(rank) if a != axis])
            if unbiased:
                count = M.cast(R.reduce_prod(shape(x)) // shape(x)[axis], x.dtype)
                target_var = batch_var * count / M.maximum(count - 1.0, 1.0)
            else:
                target_var = batch_var
            if training is True:
                mean, var, target_mean = batch_mean, batch_var, batch_mean
            else:
                mean, var = M.where(training, batch_mean, moving_mean), M.where(training, batch_var, moving_var)
                target_mean = M.where(training, batch_mean, moving_mean)
                target_var = M.where(training, target_var, moving_var)
            # TF1's assign_moving_average makes ``1 - decay`` a float32 tensor, then casts it
            step = M.cast(convert_to_tensor(1.0 - decay, dtype=_dt.float32), x.dtype)
            updates = [moving_mean.assign_sub((moving_mean - target_mean) * step),
                       moving_var.assign_sub((moving_var - target_var) * step)]
            graph = get_default_graph()
            if updates_collections is None:  # in place: the statistics used wait for the updates
                with graph.control_dependencies(updates):
                    mean, var = M.identity(mean), M.identity(var)
            else:
                for update in updates:
                    graph.add_to_collection(updates_collections, update)
        bshape = [1] * rank
        bshape[axis] = channels

        def bcast(v: Tensor | None) -> Tensor | None:
            return None if v is None else reshape(v, bshape)
        y = batch_normalization(x, reshape(mean, bshape), reshape(var, bshape), bcast(b), bcast(g), epsilon)
        y.set_shape(x.shape)
        if activation_fn is not None:
            y = activation_fn(y)
        return collect_named_outputs(outputs_collections, sc.name, y)


@add_arg_scope
def layer_norm(inputs: TensorLike, center: bool = True, scale: bool = True, activation_fn: Activation = None,
               reuse: bool | None = None, variables_collections: Any = None,
               outputs_collections: Sequence[str] | None = None, trainable: bool = True,
               begin_norm_axis: int = 1, begin_params_axis: int = -1, scope: str | None = None) -> Tensor:
    """Normalize over the axes from ``begin_norm_axis`` on (every axis but the batch by default),
    then ``gamma`` and ``beta`` of the shape from ``begin_params_axis`` on; variance epsilon 1e-12."""
    x = convert_to_tensor(inputs)
    with variable_scope(scope, default_name="LayerNorm", values=[x], reuse=reuse) as sc:
        rank = x.shape.rank
        if rank is None:
            raise ValueError(f"Inputs {x.name} has undefined rank.")
        norm_axis = begin_norm_axis + rank if begin_norm_axis < 0 else begin_norm_axis
        params_axis = begin_params_axis + rank if begin_params_axis < 0 else begin_params_axis
        if not 0 <= params_axis < rank or not 0 <= norm_axis < rank:
            raise ValueError(f"begin_params_axis ({begin_params_axis}) and begin_norm_axis ({begin_norm_axis}) "
                             f"must be < rank(inputs) ({rank})")
        size = x.shape.as_list()[params_axis:]
        if any(d is None for d in size):
            raise ValueError(f"Inputs {x.name}: shape[begin_params_axis:] is not fully defined: {size}")
        beta = _param("beta", size, x, zeros_initializer(), trainable, variables_collections) if center else None
        gamma = _param("gamma", size, x, ones_initializer(), trainable, variables_collections) if scale else None
        mean, variance = moments(x, list(range(norm_axis, rank)), keep_dims=True)
        y = batch_normalization(x, mean, variance, beta, gamma, 1e-12)
        y.set_shape(x.shape)
        if activation_fn is not None:
            y = activation_fn(y)
        return collect_named_outputs(outputs_collections, sc.name, y)


@add_arg_scope
def instance_norm(inputs: TensorLike, center: bool = True, scale: bool = True, epsilon: float = 1e-6,
                  activation_fn: Activation = None, param_initializers: dict[str, InitializerLike] | None = None,
                  reuse: bool | None = None, variables_collections: Any = None,
                  outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                  data_format: str = "NHWC", scope: str | None = None) -> Tensor:
    """Normalize each example's each channel over its spatial axes; ``beta`` / ``gamma`` per channel."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    x = convert_to_tensor(inputs)
    inits = param_initializers or {}
    with variable_scope(scope, default_name="InstanceNorm", values=[x], reuse=reuse) as sc:
        rank = x.shape.rank
        if rank is None:
            raise ValueError(f"Inputs {x.name} has undefined rank.")
        channel_axis = 1 if data_format == "NCHW" else rank - 1
        channels = x.shape.as_list()[channel_axis]
        if channels is None:
            raise ValueError(f"Inputs {x.name} has undefined channels dimension {x.shape}.")
        bshape = [1] * rank
        bshape[channel_axis] = channels
        beta = gamma = None
        if center:
            beta = reshape(_param("beta", [channels], x, inits.get("beta", zeros_initializer()), trainable,
                                  variables_collections), bshape)
        if scale:
            gamma = reshape(_param("gamma", [channels], x, inits.get("gamma", ones_initializer()), trainable,
                                   variables_collections), bshape)
        axes = [a for a in range(1, rank) if a != channel_axis]
        mean, variance = moments(x, axes, keep_dims=True)
        y = batch_normalization(x, mean, variance, beta, gamma, epsilon)
        if activation_fn is not None:
            y = activation_fn(y)
        return collect_named_outputs(outputs_collections, sc.name, y)


@add_arg_scope
def group_norm(inputs: TensorLike, groups: int = 32, channels_axis: int = -1,
               reduction_axes: Sequence[int] = (-3, -2), center: bool = True, scale: bool = True,
               epsilon: float = 1e-6, activation_fn: Activation = None,
               param_initializers: dict[str, InitializerLike] | None = None, reuse: bool | None = None,
               variables_collections: Any = None, outputs_collections: Sequence[str] | None = None,
               trainable: bool = True, scope: str | None = None, mean_close_to_zero: bool = False) -> Tensor:
    """Split the channels into ``groups`` and normalize each group over the ``reduction_axes`` and
    its channels; ``beta`` / ``gamma`` per channel."""
    x = convert_to_tensor(inputs)
    inits = param_initializers or {}
    with variable_scope(scope, default_name="GroupNorm", values=[x], reuse=reuse) as sc:
        rank = x.shape.rank
        if rank is None:
            raise ValueError(f"Inputs {x.name} has undefined rank.")
        ca = channels_axis % rank
        red = [a % rank for a in reduction_axes]
        if ca in red:
            raise ValueError("reduction_axis must be mutually exclusive with the channels_axis")
        dims = x.shape.as_list()
        channels = dims[ca]
        if channels is None:
            raise ValueError(f"Inputs {x.name} has undefined channel dimension: {ca}.")
        if channels < groups:
            raise ValueError(f"Invalid groups {groups} for {channels} channels.")
        if channels % groups:
            raise ValueError(f"{groups} channels is not commensurate with {channels} groups.")
        dyn = shape(x)
        sizes: list[Any] = [d if d is not None else dyn[i] for i, d in enumerate(dims)]
        split = sizes[:ca] + [groups, channels // groups] + sizes[ca + 1:]
        grouped = reshape(x, split)
        axes = [a if a < ca else a + 1 for a in red] + [ca + 1]
        mean, variance = moments(grouped, axes, keep_dims=True)
        normed = M.multiply(M.subtract(grouped, mean),
                            M.rsqrt(M.add(variance, convert_to_tensor(epsilon, dtype=x.dtype))))
        y = reshape(normed, sizes)
        bshape = [1] * rank
        bshape[ca] = channels
        beta = _param("beta", [channels], x, inits.get("beta", zeros_initializer()), trainable,
                      variables_collections) if center else None
        gamma = _param("gamma", [channels], x, inits.get("gamma", ones_initializer()), trainable,
                       variables_collections) if scale else None
        if gamma is not None:
            y = M.multiply(y, reshape(gamma, bshape))
        if beta is not None:
            y = M.add(y, reshape(beta, bshape))
        if activation_fn is not None:
            y = activation_fn(y)
        return collect_named_outputs(outputs_collections, sc.name, y)
