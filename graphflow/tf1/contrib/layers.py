"""``tf.contrib.layers``: flatten, fully_connected, conv2d, the xavier / variance-scaling
initializers and the l1 / l2 regularizers, with TF 1.15's defaults and variable names
(``fully_connected/weights``, ``Conv/biases``...)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops.conv_ops import IntOrInts
from graphflow.ops.conv_ops import conv2d as _conv
from graphflow.ops.linalg_ops import matmul, tensordot
from graphflow.ops.nn_ops import bias_add, l2_loss, relu
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.ops.sparse_embedding import safe_embedding_lookup_sparse
from graphflow.ops.variables import (
    Initializer,
    InitializerLike,
    _ReuseMode,
    get_variable,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.ops.variables import variance_scaling_initializer as _vs
from graphflow.tf1.layers.core import BatchNormalization, Flatten, Regularizer, TensorFn

__all__ = ["conv2d", "flatten", "fully_connected", "l1_regularizer", "l2_regularizer", "variance_scaling_initializer",
           "xavier_initializer", "safe_embedding_lookup_sparse"]


def flatten(inputs: TensorLike, outputs_collections: Sequence[str] | None = None, scope: str | None = None) -> Tensor:
    """``[batch, -1]``."""
    return Flatten(name=scope or "Flatten")(inputs)


def xavier_initializer(uniform: bool = True, seed: int | None = None, dtype: DTypeLike | None = None) -> Initializer:
    return glorot_uniform_initializer(seed=seed) if uniform else glorot_normal_initializer(seed=seed)


def variance_scaling_initializer(factor: float = 2.0, mode: str = "FAN_IN", uniform: bool = False,
                                 seed: int | None = None, dtype: DTypeLike | None = None) -> Initializer:
    """contrib's form (factor, FAN_IN/FAN_OUT/FAN_AVG, uniform) of variance scaling."""
    modes = {"FAN_IN": "fan_in", "FAN_OUT": "fan_out", "FAN_AVG": "fan_avg"}
    if mode not in modes:
        raise ValueError(f"variance_scaling_initializer mode must be FAN_IN, FAN_OUT or FAN_AVG, got {mode!r}")
    return _vs(scale=factor, mode=modes[mode], distribution="uniform" if uniform else "truncated_normal", seed=seed)


def _regularizer(scale: float, what: str, penalty: Callable[[Tensor], Tensor]) -> Regularizer:
    """``scale * penalty(w)`` (None, no loss, when scale is 0)."""
    if scale < 0:
        raise ValueError(f"{what} scale must be >= 0, got {scale}")
    if scale == 0:
        return lambda w: None
    return lambda w: M.multiply(convert_to_tensor(scale, dtype=w.dtype), penalty(w), name=what)


def l2_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * sum(w^2) / 2``."""
    return _regularizer(scale, "l2_regularizer", l2_loss)


def l1_regularizer(scale: float, scope: str | None = None) -> Regularizer:
    """``scale * sum(|w|)``."""
    return _regularizer(scale, "l1_regularizer", lambda w: reduce_sum(M.abs(w)))


def _relu(x: Tensor) -> Tensor:
    return relu(x)


def fully_connected(inputs: TensorLike, num_outputs: int, activation_fn: TensorFn = _relu,
                    normalizer_fn: Callable[..., Tensor] | None = None,
                    normalizer_params: dict[str, object] | None = None,
                    weights_initializer: InitializerLike | None = None, weights_regularizer: Regularizer | None = None,
                    biases_initializer: InitializerLike = "zeros", biases_regularizer: Regularizer | None = None,
                    reuse: bool | _ReuseMode | None = None, variables_collections: Sequence[str] | None = None,
                    outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                    scope: str | None = None) -> Tensor:
    """``activation_fn(inputs @ weights + biases)`` (relu by default, as contrib's)."""
    x = convert_to_tensor(inputs)
    with variable_scope(scope, default_name="fully_connected", reuse=reuse):
        depth = x.shape.as_list()[-1]
        w = get_variable("weights", [depth, int(num_outputs)], dtype=x.dtype,
                         initializer=weights_initializer or xavier_initializer(), regularizer=weights_regularizer,
                         trainable=trainable)
        y = matmul(x, w) if x.shape.rank == 2 else tensordot(x, w, [[x.shape.rank - 1], [0]])
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            init = zeros_initializer() if biases_initializer == "zeros" else biases_initializer
            b = get_variable("biases", [int(num_outputs)], dtype=x.dtype, initializer=init,
                             regularizer=biases_regularizer, trainable=trainable)
            y = bias_add(y, b)
        return activation_fn(y) if activation_fn is not None else y


def conv2d(inputs: TensorLike, num_outputs: int, kernel_size: IntOrInts, stride: IntOrInts = 1, padding: str = "SAME",
           data_format: str | None = None, rate: IntOrInts = 1, activation_fn: TensorFn = _relu,
           normalizer_fn: Callable[..., Tensor] | None = None, normalizer_params: dict[str, object] | None = None,
           weights_initializer: InitializerLike | None = None, weights_regularizer: Regularizer | None = None,
           biases_initializer: InitializerLike = "zeros", biases_regularizer: Regularizer | None = None,
           reuse: bool | _ReuseMode | None = None, variables_collections: Sequence[str] | None = None,
           outputs_collections: Sequence[str] | None = None, trainable: bool = True,
           scope: str | None = None) -> Tensor:
    """2-D convolution with contrib's defaults (SAME padding, relu), variables ``Conv/weights``."""
    x = convert_to_tensor(inputs)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    with variable_scope(scope, default_name="Conv", reuse=reuse):
        w = get_variable("weights", [kh, kw, x.shape.as_list()[-1], int(num_outputs)], dtype=x.dtype,
                         initializer=weights_initializer or xavier_initializer(), regularizer=weights_regularizer,
                         trainable=trainable)
        y = _conv(x, w, [1, sh, sw, 1], padding.upper(), dilations=[rate, rate] if isinstance(rate, int) else rate)
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            init = zeros_initializer() if biases_initializer == "zeros" else biases_initializer
            b = get_variable("biases", [int(num_outputs)], dtype=x.dtype, initializer=init,
                             regularizer=biases_regularizer, trainable=trainable)
            y = bias_add(y, b)
        return activation_fn(y) if activation_fn is not None else y


def batch_norm(inputs: TensorLike, decay: float = 0.999, center: bool = True, scale: bool = False,
               epsilon: float = 0.001, activation_fn: TensorFn | None = None,
               param_initializers: dict[str, InitializerLike] | None = None,
               param_regularizers: dict[str, Regularizer] | None = None, updates_collections: str = "update_ops",
               is_training: bool | Tensor = True, reuse: bool | _ReuseMode | None = None,
               variables_collections: Sequence[str] | None = None, outputs_collections: Sequence[str] | None = None,
               trainable: bool = True, batch_weights: TensorLike | None = None, fused: bool | None = None,
               data_format: str = "NHWC", zero_debias_moving_mean: bool = False, scope: str | None = None,
               renorm: bool = False, renorm_clipping: dict[str, float] | None = None, renorm_decay: float = 0.99,
               adjustment: Callable[[Tensor], tuple[Tensor, Tensor]] | None = None) -> Tensor:
    """contrib's batch norm: decay 0.999, no scale (gamma) by default, variables under
    ``BatchNorm/``, moving statistics updated through UPDATE_OPS; ``is_training`` may be a fed bool."""
    if (updates_collections not in ("update_ops", None) or batch_weights is not None or renorm
            or zero_debias_moving_mean):
        raise ValueError("contrib batch_norm supports the default updates_collections (UPDATE_OPS), no "
                         "batch_weights, renorm or zero_debias_moving_mean")
    inits = param_initializers or {}
    layer = BatchNormalization(axis=1 if data_format == "NCHW" else -1, momentum=decay, epsilon=epsilon, center=center,
                               scale=scale, beta_initializer=inits.get("beta"), gamma_initializer=inits.get("gamma"),
                               moving_mean_initializer=inits.get("moving_mean"),
                               moving_variance_initializer=inits.get("moving_variance"), trainable=trainable,
                               name=scope or "BatchNorm", _reuse=reuse)
    y = layer(inputs, training=is_training)
    return activation_fn(y) if activation_fn is not None else y
