"""contrib.layers' layers with weights: ``fully_connected``, the N-D ``convolution`` (``conv1d``,
``conv2d``, ``conv3d``), the transposed, separable and in-plane convolutions and ``bias_add``,
with TF 1.15's defaults (relu, SAME padding, Xavier weights), scopes (``fully_connected``,
``Conv``, ``Conv2d_transpose``, ``SeparableConv2d``...) and variable names (``weights``,
``biases``, ``depthwise_weights``...). Each is an ``add_arg_scope`` function; its variables are
model variables; its output joins ``outputs_collections`` under the scope's name.

    net = conv2d(images, 32, [3, 3], scope="conv1")      # conv1/weights, conv1/biases
    net = fully_connected(flatten(net), 10, activation_fn=None, scope="logits")
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import activation_ops as A
from graphflow.ops.conv_extras import conv3d_transpose as _nn_conv3d_transpose
from graphflow.ops.conv_extras import convolution as _nn_convolution
from graphflow.ops.conv_ops import conv2d_transpose as _nn_conv2d_transpose
from graphflow.ops.depthwise_ops import depthwise_conv2d
from graphflow.ops.depthwise_ops import separable_conv2d as _nn_separable_conv2d
from graphflow.ops.linalg_ops import matmul, tensordot
from graphflow.ops.nn_ops import bias_add as _bias_add
from graphflow.ops.run_time_args import tile
from graphflow.ops.shape_ops import shape
from graphflow.ops.variables import GraphKeys, InitializerLike, Variable, get_variable, variable_scope
from graphflow.ops.variables import zeros_initializer as _zeros
from graphflow.tf1.contrib.framework.arg_scope import add_arg_scope
from graphflow.tf1.contrib.framework.variables import model_variable
from graphflow.tf1.contrib.layers.regularizers import Regularizer, xavier_initializer
from graphflow.tf1.contrib.layers.utils import collect_named_outputs, get_variable_collections, int_list

__all__ = ["bias_add", "conv1d", "conv2d", "conv2d_in_plane", "conv2d_transpose", "conv3d", "conv3d_transpose",
           "convolution", "convolution1d", "convolution2d", "convolution2d_in_plane", "convolution2d_transpose",
           "convolution3d", "convolution3d_transpose", "elu", "fully_connected", "legacy_fully_connected",
           "legacy_linear", "legacy_relu", "linear", "relu", "relu6", "separable_conv2d",
           "separable_convolution2d"]

Activation = Callable[[Tensor], Tensor] | None
_XAVIER, _ZEROS = xavier_initializer(), _zeros()  # TF1's defaults: one instance each, as in its signatures
Collections = Mapping[str, Sequence[str]] | Sequence[str] | None
_CHANNELS_FIRST = ("NCW", "NCHW", "NCDHW")



def _weights(name: str, shape_: list[int], x: Tensor, initializer: InitializerLike | None,
             regularizer: Regularizer | None, trainable: bool, collections: Collections, key: str) -> Variable:
    return model_variable(name, shape_, dtype=x.dtype.base_dtype, initializer=initializer, regularizer=regularizer,
                          trainable=trainable, collections=get_variable_collections(collections, key))


def _finish(y: Tensor, x: Tensor, num_outputs: int, channels_first: bool, activation_fn: Activation,
            normalizer_fn: Callable[..., Tensor] | None, normalizer_params: dict[str, Any] | None,
            biases_initializer: InitializerLike | None, biases_regularizer: Regularizer | None, trainable: bool,
            collections: Collections, outputs_collections: Sequence[str] | None, alias: str) -> Tensor:
    """Biases (unless a normalizer replaces them), the normalizer, the activation, the collection."""
    if normalizer_fn is not None:
        y = normalizer_fn(y, **(normalizer_params or {}))
    elif biases_initializer is not None:
        b = _weights("biases", [num_outputs], x, biases_initializer, biases_regularizer, trainable, collections,
                     "biases")
        y = _bias_add(y, b, data_format="NCHW" if channels_first and y.shape.rank and y.shape.rank > 2 else None)
    if activation_fn is not None:
        y = activation_fn(y)
    return collect_named_outputs(outputs_collections, alias, y)


def _input_depth(x: Tensor, channels_first: bool, what: str) -> int:
    depth = x.shape.as_list()[1 if channels_first else -1]
    if depth is None:
        raise ValueError(f"{what}: the channel dimension of the inputs must be known, got shape {x.shape}")
    return int(depth)


def _convolution(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int],
                stride: int | Sequence[int] = 1, padding: str = "SAME", data_format: str | None = None,
                rate: int | Sequence[int] = 1,
                activation_fn: Activation = A.relu, normalizer_fn: Callable[..., Tensor] | None = None,
                normalizer_params: dict[str, Any] | None = None,
                weights_initializer: InitializerLike | None = _XAVIER,
                weights_regularizer: Regularizer | None = None,
                biases_initializer: InitializerLike | None = _ZEROS, biases_regularizer: Regularizer | None = None,
                reuse: bool | None = None, variables_collections: Collections = None,
                outputs_collections: Sequence[str] | None = None, trainable: bool = True, scope: str | None = None,
                conv_dims: int | None = None) -> Tensor:
    """An N-D convolution (N from the inputs' rank, or ``conv_dims``), then biases or the
    normalizer, then ``activation_fn``; variables ``<scope>/weights`` and ``<scope>/biases``."""
    x = convert_to_tensor(inputs)
    rank = x.shape.rank
    if rank is None:
        raise ValueError("convolution needs inputs of known rank")
    if conv_dims is not None and conv_dims + 2 != rank:
        raise ValueError(f"Convolution expects input with rank {conv_dims + 2}, got {rank}")
    if rank not in (3, 4, 5):
        raise ValueError(f"Convolution not supported for input with rank {rank}")
    if data_format is not None and data_format not in _CHANNELS_FIRST + ("NWC", "NHWC", "NDHWC"):
        raise ValueError(f"Invalid data_format: {data_format!r}")
    channels_first = data_format in _CHANNELS_FIRST
    n = rank - 2
    fmt = {3: "NCW", 4: "NCHW", 5: "NCDHW"}[rank] if channels_first else {3: "NWC", 4: "NHWC", 5: "NDHWC"}[rank]
    with variable_scope(scope, default_name="Conv", values=[x], reuse=reuse) as sc:
        depth = _input_depth(x, channels_first, "convolution")
        w = _weights("weights", int_list(kernel_size, n, "kernel_size") + [depth, int(num_outputs)], x,
                     weights_initializer, weights_regularizer, trainable, variables_collections, "weights")
        y = _nn_convolution(x, w, padding=padding.upper(), strides=int_list(stride, n, "stride"),
                        dilation_rate=int_list(rate, n, "rate"), data_format=fmt)
        return _finish(y, x, int(num_outputs), channels_first, activation_fn, normalizer_fn, normalizer_params,
                       biases_initializer, biases_regularizer, trainable, variables_collections,
                       outputs_collections, sc.name)


convolution = add_arg_scope(_convolution)


@add_arg_scope
def convolution1d(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int], *args: Any,
                  **kwargs: Any) -> Tensor:
    """``convolution`` of ``[batch, width, channels]`` inputs (its own arg_scope entry, as TF1's)."""
    return _convolution(inputs, num_outputs, kernel_size, *args, **{**kwargs, "conv_dims": 1})


@add_arg_scope
def convolution2d(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int], *args: Any,
                  **kwargs: Any) -> Tensor:
    """``convolution`` of ``[batch, height, width, channels]`` inputs (also ``conv2d``)."""
    return _convolution(inputs, num_outputs, kernel_size, *args, **{**kwargs, "conv_dims": 2})


@add_arg_scope
def convolution3d(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int], *args: Any,
                  **kwargs: Any) -> Tensor:
    """``convolution`` of ``[batch, depth, height, width, channels]`` inputs."""
    return _convolution(inputs, num_outputs, kernel_size, *args, **{**kwargs, "conv_dims": 3})


conv1d, conv2d, conv3d = convolution1d, convolution2d, convolution3d


def _transpose_size(size: Any, k: int, s: int, padding: str) -> Any:
    return size * s if padding == "SAME" else size * s + max(k - s, 0)


def _transposed(conv: Callable[..., Tensor], n: int, default_scope: str, inputs: TensorLike, num_outputs: int,
                kernel_size: int | Sequence[int], stride: int | Sequence[int], padding: str, data_format: str,
                activation_fn: Activation, normalizer_fn: Callable[..., Tensor] | None,
                normalizer_params: dict[str, Any] | None, weights_initializer: InitializerLike | None,
                weights_regularizer: Regularizer | None, biases_initializer: InitializerLike | None,
                biases_regularizer: Regularizer | None, reuse: bool | None, variables_collections: Collections,
                outputs_collections: Sequence[str] | None, trainable: bool, scope: str | None) -> Tensor:
    x = convert_to_tensor(inputs)
    channels_first = data_format in _CHANNELS_FIRST
    padding = padding.upper()
    ks, ss = int_list(kernel_size, n, "kernel_size"), int_list(stride, n, "stride")
    with variable_scope(scope, default_name=default_scope, values=[x], reuse=reuse) as sc:
        depth = _input_depth(x, channels_first, default_scope)
        w = _weights("weights", ks + [int(num_outputs), depth], x, weights_initializer, weights_regularizer,
                     trainable, variables_collections, "weights")
        dims = shape(x)
        spatial = range(2, n + 2) if channels_first else range(1, n + 1)
        static = x.shape.as_list()
        sizes = [static[a] if static[a] is not None else dims[a] for a in spatial]
        out = [_transpose_size(s, k, st, padding) for s, k, st in zip(sizes, ks, ss)]
        batch = static[0] if static[0] is not None else dims[0]
        out_shape = [batch, int(num_outputs), *out] if channels_first else [batch, *out, int(num_outputs)]
        strides = [1, 1, *ss] if channels_first else [1, *ss, 1]
        y = conv(x, w, out_shape, strides=strides, padding=padding, data_format=data_format)
        return _finish(y, x, int(num_outputs), channels_first, activation_fn, normalizer_fn, normalizer_params,
                       biases_initializer, biases_regularizer, trainable, variables_collections,
                       outputs_collections, sc.name)


@add_arg_scope
def convolution2d_transpose(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int],
                            stride: int | Sequence[int] = 1, padding: str = "SAME", data_format: str = "NHWC",
                            activation_fn: Activation = A.relu, normalizer_fn: Callable[..., Tensor] | None = None,
                            normalizer_params: dict[str, Any] | None = None,
                            weights_initializer: InitializerLike | None = _XAVIER,
                            weights_regularizer: Regularizer | None = None,
                            biases_initializer: InitializerLike | None = _ZEROS,
                            biases_regularizer: Regularizer | None = None, reuse: bool | None = None,
                            variables_collections: Collections = None,
                            outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                            scope: str | None = None) -> Tensor:
    """A 2-D transposed convolution (weights ``[kh, kw, num_outputs, in_channels]``), scope
    ``Conv2d_transpose``; the output is ``in * stride`` (SAME) or ``in * stride + max(k - stride, 0)``."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    return _transposed(_nn_conv2d_transpose, 2, "Conv2d_transpose", inputs, num_outputs, kernel_size, stride, padding,
                       data_format, activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                       weights_regularizer, biases_initializer, biases_regularizer, reuse, variables_collections,
                       outputs_collections, trainable, scope)


@add_arg_scope
def convolution3d_transpose(inputs: TensorLike, num_outputs: int, kernel_size: int | Sequence[int],
                            stride: int | Sequence[int] = 1, padding: str = "SAME", data_format: str = "NDHWC",
                            activation_fn: Activation = A.relu, normalizer_fn: Callable[..., Tensor] | None = None,
                            normalizer_params: dict[str, Any] | None = None,
                            weights_initializer: InitializerLike | None = _XAVIER,
                            weights_regularizer: Regularizer | None = None,
                            biases_initializer: InitializerLike | None = _ZEROS,
                            biases_regularizer: Regularizer | None = None, reuse: bool | None = None,
                            variables_collections: Collections = None,
                            outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                            scope: str | None = None) -> Tensor:
    """The 3-D form of ``convolution2d_transpose`` (scope ``Conv3d_transpose``)."""
    if data_format not in ("NDHWC", "NCDHW"):
        raise ValueError("data_format has to be either NCDHW or NDHWC.")
    return _transposed(_nn_conv3d_transpose, 3, "Conv3d_transpose", inputs, num_outputs, kernel_size, stride, padding,
                       data_format, activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                       weights_regularizer, biases_initializer, biases_regularizer, reuse, variables_collections,
                       outputs_collections, trainable, scope)


conv2d_transpose, conv3d_transpose = convolution2d_transpose, convolution3d_transpose


@add_arg_scope
def separable_convolution2d(inputs: TensorLike, num_outputs: int | None, kernel_size: int | Sequence[int],
                            depth_multiplier: int = 1, stride: int | Sequence[int] = 1, padding: str = "SAME",
                            data_format: str = "NHWC", rate: int | Sequence[int] = 1,
                            activation_fn: Activation = A.relu, normalizer_fn: Callable[..., Tensor] | None = None,
                            normalizer_params: dict[str, Any] | None = None,
                            weights_initializer: InitializerLike | None = _XAVIER,
                            pointwise_initializer: InitializerLike | None = None,
                            weights_regularizer: Regularizer | None = None,
                            biases_initializer: InitializerLike | None = _ZEROS,
                            biases_regularizer: Regularizer | None = None, reuse: bool | None = None,
                            variables_collections: Collections = None,
                            outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                            scope: str | None = None) -> Tensor:
    """A depthwise convolution (``depthwise_weights [kh, kw, C, depth_multiplier]``) then, when
    ``num_outputs`` is given, a 1x1 pointwise one (``pointwise_weights``); scope ``SeparableConv2d``."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    x = convert_to_tensor(inputs)
    channels_first = data_format == "NCHW"
    kh, kw = int_list(kernel_size, 2, "kernel_size")
    sh, sw = int_list(stride, 2, "stride")
    strides = [1, 1, sh, sw] if channels_first else [1, sh, sw, 1]
    with variable_scope(scope, default_name="SeparableConv2d", values=[x], reuse=reuse) as sc:
        depth = _input_depth(x, channels_first, "separable_convolution2d")
        dw = _weights("depthwise_weights", [kh, kw, depth, int(depth_multiplier)], x, weights_initializer,
                      weights_regularizer, trainable, variables_collections, "weights")
        if num_outputs is not None:
            pw = _weights("pointwise_weights", [1, 1, depth * int(depth_multiplier), int(num_outputs)], x,
                          pointwise_initializer or weights_initializer, weights_regularizer, trainable,
                          variables_collections, "weights")
            y = _nn_separable_conv2d(x, dw, pw, strides, padding.upper(), rate=int_list(rate, 2, "rate"),
                                 data_format=data_format)
            outputs = int(num_outputs)
        else:
            y = depthwise_conv2d(x, dw, strides, padding.upper(), rate=int_list(rate, 2, "rate"),
                                 data_format=data_format)
            outputs = depth * int(depth_multiplier)
        return _finish(y, x, outputs, channels_first, activation_fn, normalizer_fn, normalizer_params,
                       biases_initializer, biases_regularizer, trainable, variables_collections,
                       outputs_collections, sc.name)


separable_conv2d = separable_convolution2d


@add_arg_scope
def convolution2d_in_plane(inputs: TensorLike, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                           padding: str = "SAME", activation_fn: Activation = A.relu,
                           normalizer_fn: Callable[..., Tensor] | None = None,
                           normalizer_params: dict[str, Any] | None = None,
                           weights_initializer: InitializerLike | None = _XAVIER,
                           weights_regularizer: Regularizer | None = None,
                           biases_initializer: InitializerLike | None = _ZEROS,
                           biases_regularizer: Regularizer | None = None, reuse: bool | None = None,
                           variables_collections: Collections = None,
                           outputs_collections: Sequence[str] | None = None, trainable: bool = True,
                           scope: str | None = None) -> Tensor:
    """The same ``[kh, kw]`` filter (``weights [kh, kw, 1, 1]``) convolved with every channel on
    its own (NHWC); scope ``ConvInPlane``."""
    x = convert_to_tensor(inputs)
    kh, kw = int_list(kernel_size, 2, "kernel_size")
    sh, sw = int_list(stride, 2, "stride")
    with variable_scope(scope, default_name="ConvInPlane", values=[x], reuse=reuse) as sc:
        filters = _input_depth(x, False, "convolution2d_in_plane")
        w = _weights("weights", [kh, kw, 1, 1], x, weights_initializer, weights_regularizer, trainable,
                     variables_collections, "weights")
        y = depthwise_conv2d(x, tile(w, [1, 1, filters, 1]), [1, sh, sw, 1], padding.upper())
        return _finish(y, x, filters, False, activation_fn, normalizer_fn, normalizer_params, biases_initializer,
                       biases_regularizer, trainable, variables_collections, outputs_collections, sc.name)


conv2d_in_plane = convolution2d_in_plane


@add_arg_scope
def fully_connected(inputs: TensorLike, num_outputs: int, activation_fn: Activation = A.relu,
                    normalizer_fn: Callable[..., Tensor] | None = None,
                    normalizer_params: dict[str, Any] | None = None,
                    weights_initializer: InitializerLike | None = _XAVIER,
                    weights_regularizer: Regularizer | None = None,
                    biases_initializer: InitializerLike | None = _ZEROS,
                    biases_regularizer: Regularizer | None = None, reuse: bool | None = None,
                    variables_collections: Collections = None, outputs_collections: Sequence[str] | None = None,
                    trainable: bool = True, scope: str | None = None) -> Tensor:
    """``activation_fn(inputs @ weights + biases)`` over the last axis (relu by default); scope
    ``fully_connected``, variables ``weights [in, num_outputs]`` and ``biases``."""
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, int):
        raise ValueError(f"num_outputs type should be one of (int,), got {type(num_outputs)}.")
    x = convert_to_tensor(inputs)
    with variable_scope(scope, default_name="fully_connected", values=[x], reuse=reuse) as sc:
        depth = _input_depth(x, False, "fully_connected")
        w = _weights("weights", [depth, num_outputs], x, weights_initializer, weights_regularizer, trainable,
                     variables_collections, "weights")
        rank = x.shape.rank
        y = matmul(x, w) if rank == 2 else tensordot(x, w, [[rank - 1], [0]])
        return _finish(y, x, num_outputs, False, activation_fn, normalizer_fn, normalizer_params,
                       biases_initializer, biases_regularizer, trainable, variables_collections,
                       outputs_collections, sc.name)


relu = functools.partial(fully_connected, activation_fn=A.relu)
relu6 = functools.partial(fully_connected, activation_fn=A.relu6)
elu = functools.partial(fully_connected, activation_fn=A.elu)
linear = functools.partial(fully_connected, activation_fn=None)


@add_arg_scope
def bias_add(inputs: TensorLike, activation_fn: Activation = None, initializer: InitializerLike | None = _ZEROS,
             regularizer: Regularizer | None = None, reuse: bool | None = None,
             variables_collections: Collections = None, outputs_collections: Sequence[str] | None = None,
             trainable: bool = True, data_format: str = "NHWC", scope: str | None = None) -> Tensor:
    """``inputs + biases`` over the channel axis (the last, or axis 1 for NCHW); scope ``BiasAdd``."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    x = convert_to_tensor(inputs)
    with variable_scope(scope, default_name="BiasAdd", values=[x], reuse=reuse) as sc:
        channels_first = data_format == "NCHW" and (x.shape.rank or 0) > 2
        return _finish(x, x, _input_depth(x, channels_first, "bias_add"), channels_first, activation_fn, None, None,
                       initializer, regularizer, trainable, variables_collections, outputs_collections, sc.name)


def legacy_fully_connected(x: TensorLike, num_output_units: int, activation_fn: Activation = None,
                           weight_init: InitializerLike | None = _XAVIER,
                           bias_init: InitializerLike | None = _ZEROS, name: str | None = None,
                           weight_collections: Sequence[str] = (GraphKeys.WEIGHTS,),
                           bias_collections: Sequence[str] = (GraphKeys.BIASES,),
                           output_collections: Sequence[str] = (GraphKeys.ACTIVATIONS,), trainable: bool = True,
                           weight_regularizer: Regularizer | None = None,
                           bias_regularizer: Regularizer | None = None) -> Tensor:
    """The old fully connected layer: ``weights`` and ``bias`` (singular) in the WEIGHTS / BIASES
    collections, the output in ACTIVATIONS; no activation by default."""
    t = convert_to_tensor(x)
    with variable_scope(name, default_name="fully_connected", values=[t]):
        depth = _input_depth(t, False, "legacy_fully_connected")
        w = get_variable("weights", [depth, int(num_output_units)], dtype=t.dtype.base_dtype, initializer=weight_init,
                         regularizer=weight_regularizer, trainable=trainable,
                         collections=list(dict.fromkeys([*weight_collections, GraphKeys.GLOBAL_VARIABLES])))
        rank = t.shape.rank
        y = matmul(t, w) if rank == 2 else tensordot(t, w, [[rank - 1], [0]])
        if bias_init is not None:
            b = get_variable("bias", [int(num_output_units)], dtype=t.dtype.base_dtype, initializer=bias_init,
                             regularizer=bias_regularizer, trainable=trainable,
                             collections=list(dict.fromkeys([*bias_collections, GraphKeys.GLOBAL_VARIABLES])))
            y = _bias_add(y, b)
        if activation_fn is not None:
            y = activation_fn(y)
        get_default_graph().add_to_collections(list(dict.fromkeys([*output_collections, GraphKeys.ACTIVATIONS])), y)
        return y


legacy_relu = functools.partial(legacy_fully_connected, activation_fn=A.relu)
legacy_linear = functools.partial(legacy_fully_connected, activation_fn=None)
