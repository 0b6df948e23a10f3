"""contrib.layers' layers without weights, and the layer combinators: pooling (2-D, 3-D, N-D),
``dropout``, ``flatten``, ``one_hot_encoding``, ``unit_norm``, ``softmax``, ``maxout``,
``spatial_softmax``, ``dense_to_sparse``, images <-> sequences, ``scale_gradient``, and ``repeat`` /
``stack``, which apply a layer several times under numbered scopes (``conv3/conv3_1``...), as TF
1.15 names them.

    net = repeat(net, 2, conv2d, 64, [3, 3], scope="conv1")   # conv1/conv1_1, conv1/conv1_2
    net = max_pool2d(net, [2, 2], scope="pool1")
    net = stack(net, fully_connected, [32, 64, 128], scope="fc")   # fc/fc_1 ... fc/fc_3
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops.array_ops import gather_nd, one_hot
from graphflow.ops.conv_ops import avg_pool, max_pool
from graphflow.ops.elementwise_ops import not_equal, sqrt, square
from graphflow.ops.index_ops import meshgrid
from graphflow.ops.nn_ops import dropout as _nn_dropout
from graphflow.ops.nn_ops import softmax as _nn_softmax
from graphflow.ops.pool_extras import avg_pool3d as _nn_avg_pool3d
from graphflow.ops.pool_extras import max_pool3d as _nn_max_pool3d
from graphflow.ops.pool_extras import pool as _nn_pool
from graphflow.ops.reduce_ops import reduce_max, reduce_sum
from graphflow.ops.run_time_axes import concat, transpose
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.sparse_ops import SparseTensor
from graphflow.ops.state_ops import linspace
from graphflow.ops.variables import constant_initializer, ones_initializer, variable_scope
from graphflow.tf1.contrib.framework.arg_scope import add_arg_scope
from graphflow.tf1.contrib.framework.variables import model_variable
from graphflow.tf1.contrib.layers.utils import collect_named_outputs, get_variable_collections, int_list
from graphflow.tf1.custom_gradient import custom_gradient
from graphflow.tf1.graph_functions import name_scope
from graphflow.tf1.layers.core import _training

__all__ = ["avg_pool2d", "avg_pool3d", "dense_to_sparse", "dropout", "flatten", "images_to_sequence", "max_pool2d",
           "max_pool3d", "maxout", "one_hot_encoding", "poincare_normalize", "pool", "repeat", "scale_gradient",
           "sequence_to_images", "softmax", "spatial_softmax", "stack", "unit_norm"]

Outputs = Sequence[str] | None



def _pool(op: Callable[..., Tensor], n: int, default: str, formats: tuple[str, str], inputs: TensorLike,
          kernel_size: int | Sequence[int], stride: int | Sequence[int], padding: str, data_format: str,
          outputs_collections: Outputs, scope: str | None) -> Tensor:
    if data_format not in formats:
        raise ValueError(f"data_format has to be either {formats[1]} or {formats[0]}.")
    first = data_format == formats[1]
    k, s = int_list(kernel_size, n, "kernel_size"), int_list(stride, n, "stride")
    with name_scope(scope, default, [inputs]) as sc:
        x = convert_to_tensor(inputs)
        window = [1, 1, *k] if first else [1, *k, 1]
        strides = [1, 1, *s] if first else [1, *s, 1]
        y = op(x, window, strides, padding.upper(), data_format=data_format)
        return collect_named_outputs(outputs_collections, sc, y)


@add_arg_scope
def max_pool2d(inputs: TensorLike, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 2,
               padding: str = "VALID", data_format: str = "NHWC", outputs_collections: Outputs = None,
               scope: str | None = None) -> Tensor:
    """2-D max pooling (stride 2, VALID by default); name scope ``MaxPool2D``."""
    return _pool(max_pool, 2, "MaxPool2D", ("NHWC", "NCHW"), inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs: TensorLike, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 2,
               padding: str = "VALID", data_format: str = "NHWC", outputs_collections: Outputs = None,
               scope: str | None = None) -> Tensor:
    """2-D average pooling (stride 2, VALID by default); name scope ``AvgPool2D``."""
    return _pool(avg_pool, 2, "AvgPool2D", ("NHWC", "NCHW"), inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def max_pool3d(inputs: TensorLike, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 2,
               padding: str = "VALID", data_format: str = "NDHWC", outputs_collections: Outputs = None,
               scope: str | None = None) -> Tensor:
    """3-D max pooling; name scope ``MaxPool3D``."""
    return _pool(_nn_max_pool3d, 3, "MaxPool3D", ("NDHWC", "NCDHW"), inputs, kernel_size, stride, padding,
                 data_format, outputs_collections, scope)


@add_arg_scope
def avg_pool3d(inputs: TensorLike, kernel_size: int | Sequence[int], stride: int | Sequence[int] = 2,
               padding: str = "VALID", data_format: str = "NDHWC", outputs_collections: Outputs = None,
               scope: str | None = None) -> Tensor:
    """3-D average pooling; name scope ``AvgPool3D``."""
    return _pool(_nn_avg_pool3d, 3, "AvgPool3D", ("NDHWC", "NCDHW"), inputs, kernel_size, stride, padding,
                 data_format, outputs_collections, scope)



@add_arg_scope
def pool(inputs: TensorLike, kernel_size: int | Sequence[int], pooling_type: str, padding: str = "VALID",
         data_format: str | None = None, dilation_rate: int | Sequence[int] = 1, stride: int | Sequence[int] = 1,
         outputs_collections: Outputs = None, scope: str | None = None) -> Tensor:
    """N-D "MAX" or "AVG" pooling with dilation (``tf.nn.pool``); name scope ``<type>_pool``."""
    with name_scope(scope, f"{pooling_type.lower()}_pool", [inputs]) as sc:
        x = convert_to_tensor(inputs)
        if x.shape.rank is None:
            raise ValueError("pool needs inputs of known rank")
        n = x.shape.rank - 2
        y = _nn_pool(x, int_list(kernel_size, n, "kernel_size"), pooling_type, padding.upper(),
                     dilation_rate=int_list(dilation_rate, n, "dilation_rate"), strides=int_list(stride, n, "stride"),
                     data_format=data_format)
        return collect_named_outputs(outputs_collections, sc, y)


@add_arg_scope
def dropout(inputs: TensorLike, keep_prob: float | Tensor = 0.5, noise_shape: Any = None,
            is_training: bool | Tensor = True, outputs_collections: Outputs = None, scope: str | None = None,
            seed: int | None = None) -> Tensor:
    """Dropout keeping ``keep_prob`` when ``is_training`` (a bool or a fed bool tensor); the
    identity otherwise; scope ``Dropout``."""
    with variable_scope(scope, default_name="Dropout", values=[inputs]) as sc:
        x = convert_to_tensor(inputs)
        training = _training(is_training)
        if training is False:
            y = x
        else:
            dropped = _nn_dropout(x, keep_prob=keep_prob, noise_shape=noise_shape, seed=seed)
            y = dropped if training is True else M.where_v1(training, dropped, x)
        return collect_named_outputs(outputs_collections, sc.name, y)


@add_arg_scope
def flatten(inputs: TensorLike, outputs_collections: Outputs = None, scope: str | None = None) -> Tensor:
    """``[batch, -1]`` (the inputs need a known rank of at least 2); name scope ``Flatten``."""
    with name_scope(scope, "Flatten", [inputs]) as sc:
        x = convert_to_tensor(inputs)
        if x.shape.rank is None or x.shape.rank < 2:
            raise ValueError(f"Inputs must have a least 2 dimensions, got shape {x.shape}")
        dims = x.shape.as_list()
        if all(d is not None for d in dims[1:]):
            y = reshape(x, [-1 if dims[0] is None else dims[0], prod(dims[1:])])
        else:
            y = reshape(x, [shape(x)[0], -1])  # type: ignore[arg-type]
        return collect_named_outputs(outputs_collections, sc, y)


@add_arg_scope
def one_hot_encoding(labels: TensorLike, num_classes: int, on_value: float = 1.0, off_value: float = 0.0,
                     outputs_collections: Outputs = None, scope: str | None = None) -> Tensor:
    """``one_hot(labels, num_classes)`` (float32); name scope ``OneHotEncoding``."""
    with name_scope(scope, "OneHotEncoding", [labels]) as sc:
        ids = convert_to_tensor(labels)
        if ids.dtype == _dt.int32:
            ids = M.cast(ids, _dt.int64)
        y = one_hot(ids, num_classes, on_value=on_value, off_value=off_value)
        return collect_named_outputs(outputs_collections, sc, y)


def unit_norm(inputs: TensorLike, dim: int, epsilon: float = 1e-7, scope: str | None = None) -> Tensor:
    """``inputs / sqrt(epsilon + sum(inputs^2, dim))``; scope ``UnitNorm``."""
    with variable_scope(scope, default_name="UnitNorm", values=[inputs]):
        x = convert_to_tensor(inputs)
        if x.shape.rank is None:
            raise ValueError("Inputs must have a defined rank.")
        if dim < 0 or dim >= x.shape.rank:
            raise ValueError(f"dim must be positive but smaller than the input rank, got {dim}")
        lengths = sqrt(M.add(convert_to_tensor(epsilon, dtype=x.dtype), reduce_sum(square(x), dim, keepdims=True)))
        return M.truediv(x, lengths)


def softmax(logits: TensorLike, scope: str | None = None) -> Tensor:
    """Softmax over the last axis of inputs of any rank; scope ``softmax``."""
    with variable_scope(scope, default_name="softmax", values=[logits]):
        x = convert_to_tensor(logits)
        classes = x.shape.as_list()[-1]
        y = reshape(_nn_softmax(reshape(x, [-1, classes])), shape(x))
        y.set_shape(x.shape)
        return y


def maxout(inputs: TensorLike, num_units: int, axis: int = -1, scope: str | None = None) -> Tensor:
    """The maximum over groups of ``channels / num_units`` features along ``axis``."""
    with variable_scope(scope, default_name="MaxOut", values=[inputs]):
        x = convert_to_tensor(inputs)
        dims = x.shape.as_list()
        channels = dims[axis]
        if channels is None or channels % num_units:
            raise ValueError(f"number of features({channels}) is not a multiple of num_units({num_units})")
        dyn = shape(x)
        sizes: list[Any] = [d if d is not None else dyn[i] for i, d in enumerate(dims)]
        sizes[axis] = num_units
        sizes.append(channels // num_units)
        grouped = reshape(x, sizes)
        return reduce_max(grouped, -1, keepdims=False)


def poincare_normalize(x: TensorLike, axis: int | Sequence[int] = 1, epsilon: float = 1e-5,
                       name: str | None = None) -> Tensor:
    """Project into the Poincaré ball: ``x * min((1 - epsilon) / |x|, 1)`` over ``axis``."""
    with name_scope(name, "poincare_normalize", [x]):
        t = convert_to_tensor(x)
        inv_norm = M.rsqrt(reduce_sum(square(t), axis, keepdims=True))
        return M.multiply(t, M.minimum(M.multiply(convert_to_tensor(1.0 - epsilon, dtype=t.dtype), inv_norm),
                                       convert_to_tensor(1.0, dtype=t.dtype)))


def spatial_softmax(features: TensorLike, temperature: float | None = None, name: str | None = None,
                    variables_collections: Any = None, trainable: bool = True, data_format: str = "NHWC") -> Tensor:
    """The expected image coordinates in [-1, 1] of each channel's softmax over positions:
    ``[batch, 2 * channels]`` as (x, y) per channel, with a learned ``temperature`` variable."""
    with variable_scope(name, default_name="spatial_softmax", values=[features]):
        f = convert_to_tensor(features)
        if data_format == "NCHW":
            _, channels, height, width = f.shape.as_list()
            flat = reshape(f, [-1, height * width])
        else:
            _, height, width, channels = f.shape.as_list()
            flat = reshape(transpose(f, [0, 3, 1, 2]), [-1, height * width])
        pos_x, pos_y = meshgrid(linspace(-1.0, 1.0, height), linspace(-1.0, 1.0, width), indexing="ij")
        pos_x = M.cast(reshape(pos_x, [height * width]), f.dtype)
        pos_y = M.cast(reshape(pos_y, [height * width]), f.dtype)
        init = ones_initializer() if temperature is None else constant_initializer(temperature)
        temp = model_variable("temperature", [], dtype=_dt.float32, initializer=init, trainable=trainable,
                              collections=get_variable_collections(variables_collections, "temperature"))
        attention = _nn_softmax(M.truediv(flat, M.cast(temp, f.dtype)))
        expected = concat([reduce_sum(M.multiply(pos_x, attention), [1], keepdims=True),
                           reduce_sum(M.multiply(pos_y, attention), [1], keepdims=True)], 1)
        return reshape(expected, [-1, int(channels) * 2])


def dense_to_sparse(tensor: TensorLike, eos_token: Any = 0, outputs_collections: Outputs = None,
                    scope: str | None = None) -> SparseTensor:
    """The entries of ``tensor`` other than ``eos_token`` as a SparseTensor of its shape."""
    with variable_scope(scope, default_name="dense_to_sparse", values=[tensor]):
        t = convert_to_tensor(tensor)
        indices = M.where_v1(not_equal(t, convert_to_tensor(eos_token, dtype=t.dtype)))
        out = SparseTensor(indices, gather_nd(t, indices), shape(t, out_type=_dt.int64))
        if outputs_collections:
            get_default_graph().add_to_collections(list(outputs_collections), out)
        return out


def images_to_sequence(inputs: TensorLike, data_format: str = "NHWC", outputs_collections: Outputs = None,
                       scope: str | None = None) -> Tensor:
    """``[N, H, W, C]`` images to ``[W, N * H, C]`` sequences (a row per time step)."""
    with variable_scope(scope, default_name="ImagesToSequence", values=[inputs]) as sc:
        x = convert_to_tensor(inputs)
        if data_format == "NCHW":
            x = transpose(x, [0, 2, 3, 1])
        n, h, w, c = x.shape.as_list()
        dyn = shape(x)
        rows = n * h if n is not None and h is not None else dyn[0] * dyn[1]
        y = reshape(transpose(x, [2, 0, 1, 3]), [w if w is not None else -1, rows, c])
        return collect_named_outputs(outputs_collections, sc.name, y)


def sequence_to_images(inputs: TensorLike, height: int, output_data_format: str = "channels_last",
                       outputs_collections: Outputs = None, scope: str | None = None) -> Tensor:
    """``[W, N * height, C]`` sequences back to ``[N, height, W, C]`` images (NCHW for
    ``channels_first``)."""
    with variable_scope(scope, default_name="SequenceToImages", values=[inputs]) as sc:
        x = convert_to_tensor(inputs)
        width, rows, depth = x.shape.as_list()
        batches = rows // height if rows is not None else shape(x)[1] // height
        y = transpose(reshape(x, [width if width is not None else -1, batches, height, depth]), [1, 2, 0, 3])
        if output_data_format == "channels_first":
            y = transpose(y, [0, 3, 1, 2])
        return collect_named_outputs(outputs_collections, sc.name, y)


def scale_gradient(inputs: TensorLike, gradient_multiplier: float | Tensor) -> Tensor:
    """The identity whose gradient is multiplied by ``gradient_multiplier``."""
    @custom_gradient
    def scaled(x: Tensor) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
        return M.identity(x), lambda dy: M.multiply(dy, convert_to_tensor(gradient_multiplier, dtype=dy.dtype))
    return scaled(convert_to_tensor(inputs))


def _layer_name(layer: Any, default: str) -> str:
    func = getattr(layer, "func", layer)  # a functools.partial names its function
    return getattr(func, "__name__", default)


def repeat(inputs: TensorLike, repetitions: int, layer: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """``layer`` applied ``repetitions`` times with the same arguments, the k-th under
    ``<scope>/<scope>_k`` (scope ``Repeat``, the layer's name inside it by default)."""
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, default_name="Repeat", values=[inputs]):
        out = convert_to_tensor(inputs)
        base = scope if scope is not None else _layer_name(layer, "repeat")
        for i in range(repetitions):
            kwargs["scope"] = f"{base}_{i + 1}"
            out = layer(out, *args, **kwargs)
        return out


def stack(inputs: TensorLike, layer: Callable[..., Tensor], stack_args: Sequence[Any], **kwargs: Any) -> Tensor:
    """``layer`` applied once per entry of ``stack_args`` (a value or a tuple of positional
    arguments), the k-th under ``<scope>/<scope>_k`` (scope ``Stack``)."""
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, default_name="Stack", values=[inputs]):
        out = convert_to_tensor(inputs)
        base = scope if scope is not None else _layer_name(layer, "stack")
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = f"{base}_{i + 1}"
            out = layer(out, *(layer_args if isinstance(layer_args, (list, tuple)) else [layer_args]), **kwargs)
        return out
