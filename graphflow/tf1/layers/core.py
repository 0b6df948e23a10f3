"""TF1's layers. Each layer object owns a variable scope (``dense``, ``dense_1``, ... unless
named), creates its variables with ``get_variable`` on its first call and reuses them on later
calls; the functional forms build a layer and call it once. ``training`` may be a Python bool
or a fed bool tensor (dropout then scales a keep probability chosen by it; batch normalization
selects batch or moving statistics and updates the moving ones through ``UPDATE_OPS``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

import numpy as np

import graphflow.ops.nn_ops as NN
from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DimsLike, DTypeLike, ShapeLike, TensorLike
from graphflow.ops import conv_ops as C
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.conv_ops import IntOrInts
from graphflow.ops.depthwise_ops import separable_conv2d as sep
from graphflow.ops.linalg_ops import matmul, tensordot
from graphflow.ops.nn_ops import bias_add, moments
from graphflow.ops.variables import (
    GraphKeys,
    InitializerLike,
    VariableScope,
    _ReuseMode,
    get_variable,
    glorot_uniform_initializer,
    ones_initializer,
    variable_scope,
    zeros_initializer,
)
from graphflow.tf1.layers.input_spec import InputSpec, check_input

# an activation or a constraint: a tensor in, a tensor out
TensorFn = Callable[[Tensor], Tensor]
# a regularizer: a variable (or a layer's output) in, its loss (or None) out
Regularizer = Callable[[Tensor], Union[Tensor, None]]


def _tuple(v: IntOrInts, n: int, what: str) -> tuple[int, ...]:
    t = (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(x) for x in v)
    if len(t) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {v!r}")
    return t


def _padding(p: str) -> str:
    up = p.upper()
    if up not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'same' or 'valid', got {p!r}")
    return up


def _channels_first(data_format: str) -> bool:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format == "channels_first"


class Layer:
    """The base: a name (unique in the graph unless given), variables made on first call."""

    _default = "layer"

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: DTypeLike | None = None,
                 _reuse: bool | _ReuseMode | None = None, **kwargs: object) -> None:
        self.trainable = trainable
        self.name = name
        self.dtype = dtype
        self._reuse = _reuse
        self.built = False
        self._scope: VariableScope | None = None
        self.variables: list[Tensor] = []
        self.updates: list[Tensor] = []
        self.input_spec: InputSpec | list[InputSpec] | None = None

    def build(self, input_shape: TensorShape | None) -> None:
        self.built = True

    def _weight_options(self, activation: TensorFn | None, use_bias: bool, kernel_initializer: InitializerLike | None,
                        bias_initializer: InitializerLike | None, kernel_regularizer: Regularizer | None,
                        bias_regularizer: Regularizer | None, activity_regularizer: Regularizer | None) -> None:
        """The options every layer with a kernel and a bias takes."""
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer or zeros_initializer()
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer

    def call(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        raise NotImplementedError

    def add_weight(self, name: str, shape: ShapeLike, initializer: InitializerLike | None = None,
                   regularizer: Regularizer | None = None, trainable: bool = True,
                   dtype: DTypeLike | None = None) -> Tensor:
        collections = None if trainable and self.trainable else [GraphKeys.GLOBAL_VARIABLES]
        v = get_variable(name, shape, dtype=dtype or self.dtype or _dt.float32, initializer=initializer,
                         regularizer=regularizer, trainable=trainable and self.trainable,
                         collections=collections)
        self.variables.append(v)
        return v

    @property
    def trainable_variables(self) -> list[Tensor]:
        return [v for v in self.variables if getattr(v, "trainable", False)]

    trainable_weights = trainable_variables
    weights = property(lambda self: list(self.variables))

    def __call__(self, inputs: TensorLike, *args: Any, **kwargs: Any) -> Tensor:
        x = convert_to_tensor(inputs) if not isinstance(inputs, (list, tuple)) else inputs
        if self.dtype is None and isinstance(x, Tensor) and x.dtype.is_floating:
            self.dtype = x.dtype  # TF1 layers take their variables' dtype from the first inputs
        check_input(self.input_spec, x, self.name or self._default)
        if self._scope is None:
            with variable_scope(self.name, default_name=self._default, reuse=self._reuse) as scope:
                self._scope = scope
                self.name = scope.name.rsplit("/", 1)[-1]
                self.build(x.shape if isinstance(x, Tensor) else None)
                self.built = True
                return self.call(x, *args, **kwargs)
        with variable_scope(self._scope, reuse=True):
            return self.call(x, *args, **kwargs)

    apply = __call__


def _activate(y: Tensor, activation: Callable[[Tensor], Tensor] | None) -> Tensor:
    return activation(y) if activation is not None else y


class Dense(Layer):
    _default = "dense"

    def __init__(self, units: int, activation: TensorFn | None = None, use_bias: bool = True,
                 kernel_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
                 kernel_regularizer: Regularizer | None = None, bias_regularizer: Regularizer | None = None,
                 activity_regularizer: Regularizer | None = None, kernel_constraint: TensorFn | None = None,
                 bias_constraint: TensorFn | None = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.units = int(units)
        self.input_spec = InputSpec(min_ndim=2)
        self._weight_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                             bias_regularizer, activity_regularizer)

    def build(self, input_shape: TensorShape) -> None:
        last = input_shape.as_list()[-1] if input_shape.rank else None
        if last is None:
            raise ValueError(f"The last dimension of the inputs to Dense should be defined, got {input_shape}")
        self.kernel = self.add_weight("kernel", [last, self.units], self.kernel_initializer or
                                      glorot_uniform_initializer(), self.kernel_regularizer)
        self.bias = self.add_weight("bias", [self.units], self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None

    def compute_output_shape(self, input_shape: ShapeLike) -> TensorShape:
        return TensorShape(input_shape)[:-1].concatenate([self.units])

    _compute_output_shape = compute_output_shape  # (TF 1.4's name, which decoders of that era call)

    def call(self, inputs: Tensor) -> Tensor:
        x = M.cast(inputs, self.kernel.dtype) if inputs.dtype != self.kernel.dtype else inputs
        y = matmul(x, self.kernel) if x.shape.rank == 2 else tensordot(x, self.kernel, [[x.shape.rank - 1], [0]])
        if self.bias is not None:
            y = bias_add(y, self.bias)
        out = _activate(y, self.activation)
        _activity(self, out)
        return out


def _activity(layer: Layer, out: Tensor) -> None:
    reg = getattr(layer, "activity_regularizer", None)
    if reg is not None:
        loss = reg(out)
        if loss is not None:
            get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)


class _Conv(Layer):
    rank = 2

    def __init__(self, filters: int, kernel_size: IntOrInts, strides: IntOrInts = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: IntOrInts = 1, activation: TensorFn | None = None,
                 use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
                 bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
                 bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
                 kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        r = self.rank
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, r, "kernel_size")
        self.strides = _tuple(strides, r, "strides")
        self.padding = _padding(padding)
        self.channels_first = _channels_first(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.dilation_rate = _tuple(dilation_rate, r, "dilation_rate")
        self._weight_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                             bias_regularizer, activity_regularizer)

    def _in_channels(self, input_shape: TensorShape) -> int:
        c = input_shape.as_list()[1 if self.channels_first else -1]
        if c is None:
            raise ValueError(f"The channel dimension of the inputs should be defined, got {input_shape}")
        return c

    def build(self, input_shape: TensorShape) -> None:
        c = self._in_channels(input_shape)
        self.kernel = self.add_weight("kernel", list(self.kernel_size) + [c, self.filters],
                                      self.kernel_initializer or glorot_uniform_initializer(),
                                      self.kernel_regularizer)
        self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None

    def _finish(self, y: Tensor) -> Tensor:
        if self.bias is not None:
            y = bias_add(y, self.bias, data_format="NCHW" if self.channels_first else None)  # (any rank)
        out = _activate(y, self.activation)
        _activity(self, out)
        return out

    def call(self, inputs: Tensor) -> Tensor:
        if self.rank == 1:
            y = C.conv1d(inputs, self.kernel, self.strides[0], self.padding,
                         data_format="NCW" if self.channels_first else "NWC", dilations=self.dilation_rate[0])
        else:
            fmt = "NCHW" if self.channels_first else "NHWC"
            y = C.conv2d(inputs, self.kernel, list(self.strides), self.padding, data_format=fmt,
                         dilations=list(self.dilation_rate))
        return self._finish(y)


class Conv2D(_Conv):
    _default = "conv2d"
    rank = 2


class Conv1D(_Conv):
    _default = "conv1d"
    rank = 1


class SeparableConv2D(_Conv):
    _default = "separable_conv2d"

    def __init__(self, filters: int, kernel_size: IntOrInts, strides: IntOrInts = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: IntOrInts = 1, depth_multiplier: int = 1,
                 activation: TensorFn | None = None, use_bias: bool = True,
                 depthwise_initializer: InitializerLike | None = None,
                 pointwise_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
                 depthwise_regularizer: Regularizer | None = None, pointwise_regularizer: Regularizer | None = None,
                 bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         None, bias_initializer, None, bias_regularizer, activity_regularizer,
                         trainable=trainable, name=name, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer

    def build(self, input_shape: TensorShape) -> None:
        c = self._in_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", list(self.kernel_size) + [c, self.depth_multiplier],
            self.depthwise_initializer or glorot_uniform_initializer(), self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", [1, 1, c * self.depth_multiplier, self.filters],
            self.pointwise_initializer or glorot_uniform_initializer(), self.pointwise_regularizer)
        self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None

    def call(self, inputs: Tensor) -> Tensor:
        fmt = "NCHW" if self.channels_first else "NHWC"
        strides = [1, 1] + list(self.strides) if self.channels_first else [1] + list(self.strides) + [1]
        y = sep(inputs, self.depthwise_kernel, self.pointwise_kernel, strides, self.padding, data_format=fmt,
                dilations=list(self.dilation_rate))
        return self._finish(y)


class _Pool(Layer):
    rank = 2
    kind = "max"

    def __init__(self, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                 data_format: str = "channels_last", name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = _tuple(pool_size, self.rank, "pool_size")
        self.strides = _tuple(strides, self.rank, "strides")
        self.padding = _padding(padding)
        self.channels_first = _channels_first(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs: Tensor) -> Tensor:
        if self.rank == 1:
            fn = C.max_pool1d if self.kind == "max" else C.avg_pool1d
            return fn(inputs, list(self.pool_size), list(self.strides), self.padding,
                      data_format="NCW" if self.channels_first else "NWC")
        fn = C.max_pool if self.kind == "max" else C.avg_pool
        if self.channels_first:
            return fn(inputs, [1, 1] + list(self.pool_size), [1, 1] + list(self.strides), self.padding, "NCHW")
        return fn(inputs, [1] + list(self.pool_size) + [1], [1] + list(self.strides) + [1], self.padding, "NHWC")


class MaxPooling2D(_Pool):
    _default = "max_pooling2d"


class AveragePooling2D(_Pool):
    _default = "average_pooling2d"
    kind = "avg"


class MaxPooling1D(_Pool):
    _default = "max_pooling1d"
    rank = 1


class AveragePooling1D(_Pool):
    _default = "average_pooling1d"
    rank = 1
    kind = "avg"


class Flatten(Layer):
    _default = "flatten"

    def __init__(self, data_format: str = "channels_last", name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.channels_first = _channels_first(data_format)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs
        if self.channels_first and x.shape.rank and x.shape.rank > 2:
            x = S.transpose(x, [0] + list(range(2, x.shape.rank)) + [1])
        rest = x.shape.as_list()[1:]
        if None in rest:
            return S.reshape(x, [S.shape(x)[0], -1])
        return S.reshape(x, [-1, int(np.prod(rest, dtype=np.int64))])


def _training(training: bool | Tensor) -> bool | Tensor:
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    t = convert_to_tensor(training)
    if not t.dtype.is_bool:
        raise TypeError(f"training must be a Python bool or a bool tensor, got {t.name} of dtype {t.dtype.name}")
    return t


class Dropout(Layer):
    _default = "dropout"

    def __init__(self, rate: float = 0.5, noise_shape: DimsLike | None = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs: Tensor, training: bool | Tensor = False) -> Tensor:
        tr = _training(training)
        if tr is False:
            return M.identity(inputs)
        rate = convert_to_tensor(self.rate, dtype=inputs.dtype) if not isinstance(self.rate, Tensor) \
            else M.cast(self.rate, inputs.dtype)
        keep = 1.0 - rate if tr is True else M.where(tr, 1.0 - rate, ST.ones_like(rate))
        return NN.dropout(inputs, keep_prob=keep, noise_shape=self.noise_shape, seed=self.seed)


class BatchNormalization(Layer):
    _default = "batch_normalization"

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: InitializerLike | None = None,
                 gamma_initializer: InitializerLike | None = None,
                 moving_mean_initializer: InitializerLike | None = None,
                 moving_variance_initializer: InitializerLike | None = None,
                 beta_regularizer: Regularizer | None = None, gamma_regularizer: Regularizer | None = None,
                 trainable: bool = True, name: str | None = None, fused: bool | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center, self.scale = center, scale
        self.inits = (beta_initializer or zeros_initializer(), gamma_initializer or ones_initializer(),
                      moving_mean_initializer or zeros_initializer(), moving_variance_initializer or ones_initializer())
        self.regs = (beta_regularizer, gamma_regularizer)
        self.fused = fused

    def build(self, input_shape: TensorShape) -> None:
        r = input_shape.rank
        if r is None:
            raise ValueError("BatchNormalization needs inputs of known rank")
        self.ax = self.axis % r
        n = input_shape.as_list()[self.ax]
        if n is None:
            raise ValueError(f"BatchNormalization needs the size of axis {self.axis} known, got {input_shape}")
        # TF1 takes the fused kernel for 4-D float16/float32 inputs normalised over the channel
        # axis; that kernel updates the moving variance with the unbiased batch variance
        self.unbiased = r == 4 and self.ax in (1, 3) and self.fused is not False and \
            (self.dtype or _dt.float32).name in ("float16", "float32")
        self.gamma = self.add_weight("gamma", [n], self.inits[1], self.regs[1]) if self.scale else None
        self.beta = self.add_weight("beta", [n], self.inits[0], self.regs[0]) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", [n], self.inits[2], trainable=False)
        self.moving_variance = self.add_weight("moving_variance", [n], self.inits[3], trainable=False)

    def call(self, inputs: Tensor, training: bool | Tensor = False) -> Tensor:
        x = inputs
        r = x.shape.rank
        axes = [a for a in range(r) if a != self.ax]
        shape = [1] * r
        shape[self.ax] = -1

        def bcast(v: Tensor | None) -> Tensor | None:
            return None if v is None else S.reshape(v, shape)
        tr = _training(training)
        if isinstance(tr, Tensor) and tr.shape.rank != 0:  # a predicate, as TF1's cond needs: a scalar
            tr = S.reshape(tr, [])  # (so the statistics it picks keep their static shape)
        if tr is False:
            mean, var = self.moving_mean, self.moving_variance
        else:
            bm, bv = moments(x, axes)
            if tr is True:
                mean, var = bm, bv
            else:
                mean, var = M.where(tr, bm, self.moving_mean), M.where(tr, bv, self.moving_variance)
            count = R.reduce_prod(M.cast(S.shape(x), x.dtype)) / M.cast(S.shape(x)[self.ax], x.dtype)
            update_var = bv * count / M.maximum(count - 1.0, 1.0) if self.unbiased else bv
            decay = 1.0 - self.momentum
            new_mean = bm if tr is True else M.where(tr, bm, self.moving_mean)
            new_var = update_var if tr is True else M.where(tr, update_var, self.moving_variance)
            ups = [self.moving_mean.assign_sub((self.moving_mean - new_mean) * decay),
                   self.moving_variance.assign_sub((self.moving_variance - new_var) * decay)]
            g = get_default_graph()
            for u in ups:
                g.add_to_collection(GraphKeys.UPDATE_OPS, u)
            self.updates += ups
        return NN.batch_normalization(x, bcast(mean), bcast(var), bcast(self.beta), bcast(self.gamma), self.epsilon)


# ---- functional forms ----------------------------------------------------------------------------

def dense(inputs: TensorLike, units: int, activation: TensorFn | None = None, use_bias: bool = True,
          kernel_initializer: InitializerLike | None = None, bias_initializer: InitializerLike | None = None,
          kernel_regularizer: Regularizer | None = None, bias_regularizer: Regularizer | None = None,
          activity_regularizer: Regularizer | None = None, kernel_constraint: TensorFn | None = None,
          bias_constraint: TensorFn | None = None, trainable: bool = True, name: str | None = None,
          reuse: bool | _ReuseMode | None = None) -> Tensor:
    """``activation(inputs @ kernel + bias)`` with variables ``<name>/kernel`` and ``<name>/bias``.

    >>> import graphflow as gf
    >>> gf.layers.dense(gf.zeros((2, 3)), 4).shape.as_list()
    [2, 4]
    """
    return Dense(units, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                 bias_regularizer, activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def conv2d(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrInts = (1, 1),
           activation: TensorFn | None = None, use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
           bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
           bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
           kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None, trainable: bool = True,
           name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    return Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                  kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                  activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def conv1d(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = 1, padding: str = "valid",
           data_format: str = "channels_last", dilation_rate: IntOrInts = 1, activation: TensorFn | None = None,
           use_bias: bool = True, kernel_initializer: InitializerLike | None = None,
           bias_initializer: InitializerLike | None = None, kernel_regularizer: Regularizer | None = None,
           bias_regularizer: Regularizer | None = None, activity_regularizer: Regularizer | None = None,
           kernel_constraint: TensorFn | None = None, bias_constraint: TensorFn | None = None, trainable: bool = True,
           name: str | None = None, reuse: bool | _ReuseMode | None = None) -> Tensor:
    return Conv1D(filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                  kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                  activity_regularizer, trainable=trainable, name=name, _reuse=reuse)(inputs)


def separable_conv2d(inputs: TensorLike, filters: int, kernel_size: IntOrInts, strides: IntOrInts = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrInts = (1, 1),
                     depth_multiplier: int = 1, activation: TensorFn | None = None, use_bias: bool = True,
                     depthwise_initializer: InitializerLike | None = None,
                     pointwise_initializer: InitializerLike | None = None,
                     bias_initializer: InitializerLike | None = None, depthwise_regularizer: Regularizer | None = None,
                     pointwise_regularizer: Regularizer | None = None, bias_regularizer: Regularizer | None = None,
                     activity_regularizer: Regularizer | None = None, trainable: bool = True, name: str | None = None,
                     reuse: bool | _ReuseMode | None = None, **kwargs: object) -> Tensor:
    return SeparableConv2D(filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
                           activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
                           depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
                           trainable=trainable, name=name, _reuse=reuse)(inputs)


def max_pooling2d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    return MaxPooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling2d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    return AveragePooling2D(pool_size, strides, padding, data_format, name=name)(inputs)


def max_pooling1d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    return MaxPooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def average_pooling1d(inputs: TensorLike, pool_size: IntOrInts, strides: IntOrInts, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    return AveragePooling1D(pool_size, strides, padding, data_format, name=name)(inputs)


def flatten(inputs: TensorLike, name: str | None = None, data_format: str = "channels_last") -> Tensor:
    return Flatten(data_format, name=name)(inputs)


def dropout(inputs: TensorLike, rate: float = 0.5, noise_shape: DimsLike | None = None, seed: int | None = None,
            training: bool | Tensor = False, name: str | None = None) -> Tensor:
    """Dropout when ``training`` (a Python bool or a fed bool tensor), else the identity."""
    return Dropout(rate, noise_shape, seed, name=name)(inputs, training=training)


def batch_normalization(inputs: TensorLike, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                        center: bool = True, scale: bool = True, beta_initializer: InitializerLike | None = None,
                        gamma_initializer: InitializerLike | None = None,
                        moving_mean_initializer: InitializerLike | None = None,
                        moving_variance_initializer: InitializerLike | None = None,
                        beta_regularizer: Regularizer | None = None, gamma_regularizer: Regularizer | None = None,
                        beta_constraint: TensorFn | None = None, gamma_constraint: TensorFn | None = None,
                        training: bool | Tensor = False, trainable: bool = True, name: str | None = None,
                        reuse: bool | _ReuseMode | None = None, renorm: bool = False,
                        renorm_clipping: dict[str, float] | None = None, renorm_momentum: float = 0.99,
                        fused: bool | None = None, virtual_batch_size: int | None = None,
                        adjustment: Callable[[Tensor], tuple[Tensor, Tensor]] | None = None) -> Tensor:
    """Batch normalization over every axis but ``axis``; with ``training`` (bool or fed tensor)
    batch statistics are used and the moving ones updated through ``UPDATE_OPS``."""
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise ValueError("batch_normalization: renorm, virtual_batch_size and adjustment are not supported")
    return BatchNormalization(axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
                              moving_mean_initializer, moving_variance_initializer, beta_regularizer,
                              gamma_regularizer, trainable=trainable, name=name, fused=fused,
                              _reuse=reuse)(inputs, training=training)
