"""Convolution and pooling primitives (im2col + BLAS on the CPU) and their public functions.

Primitives work on NHWC tensors with HWIO filters; NCHW (and the 1-D forms) are transposes and
reshapes around them. CONV2D_BACKPROP_INPUT / _FILTER and AVG_POOL_GRAD take the run-time shape
of the tensor they produce as an int32 input (as TF1); its statically known dims ride in the
attrs for shape inference. MAX_POOL_GRAD recomputes each window's winner from the pooled input;
its ``gather`` form (read a gradient at the winners) is its own adjoint, so second derivatives of
max pooling need no further primitive.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, require
from graphflow.ops.array_ops import gather
from graphflow.ops.elementwise_ops import identity
from graphflow.ops.shape_ops import dims_named, reshape_spec, shape, squeeze, transpose

__all__ = ["conv1d", "conv2d", "conv2d_backprop_filter", "conv2d_backprop_input", "conv2d_transpose",
           "max_pool", "max_pool2d", "max_pool1d", "avg_pool", "avg_pool2d", "avg_pool1d"]

from graphflow.ops.conv_geometry import (  # noqa: F401  (the attrs' and rules' home)
    ConvAttrs,
    IntOrInts,
    Padding,
    PaddingLike,
    PoolAttrs,
    Sizes,
    _avg_pool_grad_ref,
    _avg_pool_ref,
    _backprop_filter_ref,
    _backprop_input_ref,
    _conv_ref,
    _max_pool_grad_ref,
    _max_pool_ref,
    geometry,
    pads,
)


def _rank4(s: TensorShape, what: str) -> list[int | None]:
    if s.rank is None:
        return [None] * 4
    if s.rank != 4:
        raise ValueError(f"{what} must be of rank 4, got shape {s}")
    return s.as_list()


def _conv_out(x: Sequence[int | None], f: Sequence[int | None], at: ConvAttrs) -> list[int | None]:
    oh, _ = geometry(x[1], f[0], at.strides[0], at.dilations[0], at.padding, 0)
    ow, _ = geometry(x[2], f[1], at.strides[1], at.dilations[1], at.padding, 1)
    return [x[0], oh, ow, f[3]]


def _pool_out(x: Sequence[int | None], at: PoolAttrs) -> list[int | None]:
    oh, _ = geometry(x[1], at.ksize[0], at.strides[0], 1, at.padding, 0)
    ow, _ = geometry(x[2], at.ksize[1], at.strides[1], 1, at.padding, 1)
    return [x[0], oh, ow, x[3]]


def _merge_dim(a: int | None, b: int | None, what: str) -> int | None:
    if a is not None and b is not None and a != b:
        raise ValueError(f"{what}: {a} and {b} differ")
    return a if a is not None else b


# ---- shape and dtype rules ------------------------------------------------------------------------

def _conv_shape(shapes: Sequence[TensorShape], at: ConvAttrs) -> list[TensorShape]:
    x, f = _rank4(shapes[0], "conv2d input"), _rank4(shapes[1], "conv2d filter")
    _merge_dim(x[3], f[2], f"conv2d input depth and filter in_channels (input {shapes[0]}, filter "
               f"{shapes[1]})")
    return [TensorShape(_conv_out(x, f, at))]


def _backprop_input_shape(shapes: Sequence[TensorShape], at: ConvAttrs) -> list[TensorShape]:
    f, dy = _rank4(shapes[1], "filter"), _rank4(shapes[2], "out_backprop")
    x = list(at.sizes or (None,) * 4)
    x[0] = _merge_dim(x[0], dy[0], "batch of input_sizes and out_backprop")
    x[3] = _merge_dim(x[3], f[2], "depth of input_sizes and filter in_channels")
    _check_out(_conv_out(x, f, at), dy, "out_backprop")
    return [TensorShape(x)]


def _backprop_filter_shape(shapes: Sequence[TensorShape], at: ConvAttrs) -> list[TensorShape]:
    x, dy = _rank4(shapes[0], "input"), _rank4(shapes[2], "out_backprop")
    f = list(at.sizes or (None,) * 4)
    f[2] = _merge_dim(f[2], x[3], "filter in_channels and input depth")
    f[3] = _merge_dim(f[3], dy[3], "filter out_channels and out_backprop depth")
    _check_out(_conv_out(x, f, at), dy, "out_backprop")
    return [TensorShape(f)]


def _check_out(want: Sequence[int | None], got: Sequence[int | None], what: str) -> None:
    for a, b in zip(want, got):
        if a is not None and b is not None and a != b:
            raise ValueError(f"{what} has shape {list(got)}, but the convolution's output shape is {list(want)}")


def _pool_shape(shapes: Sequence[TensorShape], at: PoolAttrs) -> list[TensorShape]:
    return [TensorShape(_pool_out(_rank4(shapes[0], "pooling input"), at))]


def _max_pool_grad_shape(shapes: Sequence[TensorShape], at: PoolAttrs) -> list[TensorShape]:
    x, g = _rank4(shapes[0], "orig_input"), _rank4(shapes[1], "grad")
    out = _pool_out(x, at)
    _check_out(g if at.gather else out, x if at.gather else g, "grad")
    return [TensorShape(out if at.gather else x)]


def _avg_pool_grad_shape(shapes: Sequence[TensorShape], at: PoolAttrs) -> list[TensorShape]:
    dy = _rank4(shapes[1], "grad")
    x = list(at.sizes or (None,) * 4)
    x[0] = _merge_dim(x[0], dy[0], "batch of orig_input_shape and grad")
    x[3] = _merge_dim(x[3], dy[3], "depth of orig_input_shape and grad")
    _check_out(_pool_out(x, at), dy, "grad")
    return [TensorShape(x)]


def _float_pair(dtypes: Sequence[DType], at: ConvAttrs | PoolAttrs) -> list[DType]:
    """Backprop ops: an integer sizes operand plus two float operands of one dtype."""
    sizes_at = 0 if dtypes[0].is_integer else 1
    if not dtypes[sizes_at].is_integer:
        raise TypeError(f"the sizes operand must be int32 or int64, got {dtypes[sizes_at].name}")
    return require("f")([d for i, d in enumerate(dtypes) if i != sizes_at], at)


# ---- gradient rules ----------------------------------------------------------------------------

def _sizes(t: Tensor) -> Tensor:
    return shape(t)


def _vjp_conv(n: Operation, g: Tensor) -> list:
    x, f = n.inputs
    return [_backprop_input(_sizes(x), f, g, n.attrs), _backprop_filter(x, _sizes(f), g, n.attrs)]


def _vjp_backprop_input(n: Operation, g: Tensor) -> list:
    sizes, f, dy = n.inputs
    at = replace(n.attrs, sizes=None)
    return [None, _backprop_filter(g, _sizes(f), dy, at), make(Op.CONV2D, [g, f], at, name="Conv2D")]


def _vjp_backprop_filter(n: Operation, g: Tensor) -> list:
    x, sizes, dy = n.inputs
    at = replace(n.attrs, sizes=None)
    return [_backprop_input(_sizes(x), g, dy, at), None, make(Op.CONV2D, [x, g], at, name="Conv2D")]


def _vjp_max_pool(n: Operation, g: Tensor) -> list:
    return [make(Op.MAX_POOL_GRAD, [n.inputs[0], g], n.attrs, name="MaxPoolGrad")]


def _vjp_max_pool_grad(n: Operation, g: Tensor) -> list:
    # piecewise linear in the gradient with the routing fixed by x: zero with respect to x (TF1)
    at = replace(n.attrs, gather=not n.attrs.gather)
    return [None, make(Op.MAX_POOL_GRAD, [n.inputs[0], g], at, name="MaxPoolGrad")]


def _vjp_avg_pool(n: Operation, g: Tensor) -> list:
    x = n.inputs[0]
    return [_avg_pool_grad(_sizes(x), g, n.attrs)]


def _vjp_avg_pool_grad(n: Operation, g: Tensor) -> list:
    return [None, make(Op.AVG_POOL, [g], replace(n.attrs, sizes=None), name="AvgPool")]


register(OpDef(Op.CONV2D, Kind.OTHER, _conv_shape, require("f"), _conv_ref, vjp=_vjp_conv))
register(OpDef(Op.CONV2D_BACKPROP_INPUT, Kind.OTHER, _backprop_input_shape, _float_pair,
               _backprop_input_ref, vjp=_vjp_backprop_input))
register(OpDef(Op.CONV2D_BACKPROP_FILTER, Kind.OTHER, _backprop_filter_shape, _float_pair,
               _backprop_filter_ref, vjp=_vjp_backprop_filter))
register(OpDef(Op.MAX_POOL, Kind.OTHER, _pool_shape, require("f"), _max_pool_ref, vjp=_vjp_max_pool))
register(OpDef(Op.MAX_POOL_GRAD, Kind.OTHER, _max_pool_grad_shape, require("f"), _max_pool_grad_ref,
               vjp=_vjp_max_pool_grad))
register(OpDef(Op.AVG_POOL, Kind.OTHER, _pool_shape, require("f"), _avg_pool_ref, vjp=_vjp_avg_pool))
register(OpDef(Op.AVG_POOL_GRAD, Kind.OTHER, _avg_pool_grad_shape, _float_pair, _avg_pool_grad_ref,
               vjp=_vjp_avg_pool_grad))


def _static_sizes(t: Tensor) -> Sizes:
    v = static_value(t)
    if v is not None:
        if v.shape != (4,):
            raise ValueError(f"a shape operand must hold 4 sizes, got {v.tolist()}")
        return tuple(int(d) for d in v)
    named = dims_named(t)  # ints and dims of other tensors (tf.shape(x)[0], 8, 8, 2): the known ones kept
    if named is None or len(named) != 4:
        return None
    return tuple(e if isinstance(e, int) and e >= 0 else e[0].shape.as_list()[e[1]] if isinstance(e, tuple) else None
                 for e in named)


def _backprop_input(sizes: Tensor, f: Tensor, dy: Tensor, at: ConvAttrs, name: str | None = None) -> Tensor:
    return make(Op.CONV2D_BACKPROP_INPUT, [sizes, f, dy], replace(at, sizes=_static_sizes(sizes)),
                name=name or "Conv2DBackpropInput")


def _backprop_filter(x: Tensor, sizes: Tensor, dy: Tensor, at: ConvAttrs, name: str | None = None) -> Tensor:
    return make(Op.CONV2D_BACKPROP_FILTER, [x, sizes, dy], replace(at, sizes=_static_sizes(sizes)),
                name=name or "Conv2DBackpropFilter")


def _avg_pool_grad(sizes: Tensor, dy: Tensor, at: PoolAttrs) -> Tensor:
    return make(Op.AVG_POOL_GRAD, [sizes, dy], replace(at, sizes=_static_sizes(sizes)), name="AvgPoolGrad")


# ---- argument parsing (TF1 conventions) ----------------------------------------------------------

def _check_format(data_format: str | None, allowed: tuple[str, str]) -> str:
    fmt = data_format or allowed[0]
    if fmt not in allowed:
        raise ValueError(f"data_format must be {allowed[0]!r} or {allowed[1]!r}, got {data_format!r}")
    return fmt


def _pair(value: IntOrInts | None, what: str, channels_first: bool) -> tuple[int, int]:
    """An int, 2 ints, or 4 ints laid out as the data format (batch and depth entries must be 1);
    None means 1 (TF1 wrappers pass ``dilations=None``)."""
    v = np.atleast_1d(np.asarray(1 if value is None else value)).tolist()
    if len(v) == 1:
        v = v * 2
    elif len(v) == 4:
        outer = (v[0], v[1]) if channels_first else (v[0], v[3])
        if outer != (1, 1):
            raise ValueError(f"{what} in the batch and depth dimensions must be 1, got {v}")
        v = v[2:] if channels_first else v[1:3]
    if len(v) != 2 or not all(isinstance(d, int) and d >= 1 for d in v):
        raise ValueError(f"{what} must be a positive int or a list of 1, 2 or 4 positive ints, got {value!r}")
    return int(v[0]), int(v[1])


def _padding(padding: PaddingLike, channels_first: bool) -> Padding:
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise ValueError(f"padding must be 'SAME', 'VALID' or explicit pairs, got {padding!r}")
        return p
    pairs = np.asarray(padding).tolist()
    if len(pairs) == 4:
        outer = [pairs[0], pairs[1]] if channels_first else [pairs[0], pairs[3]]
        if outer != [[0, 0], [0, 0]]:
            raise ValueError(f"explicit padding of the batch and depth dimensions must be 0, got {pairs}")
        pairs = pairs[2:] if channels_first else pairs[1:3]
    if (len(pairs) != 2 or any(len(p) != 2 for p in pairs)
            or not all(isinstance(v, int) and v >= 0 for p in pairs for v in p)):
        raise ValueError(f"explicit padding must be [[0, 0], [top, bottom], [left, right], [0, 0]] of "
                         f"non-negative ints, got {padding!r}")
    return ((pairs[0][0], pairs[0][1]), (pairs[1][0], pairs[1][1]))


def _to_nhwc(x: Tensor, channels_first: bool) -> Tensor:
    return transpose(x, [0, 2, 3, 1]) if channels_first else x


def _from_nhwc(x: Tensor, channels_first: bool) -> Tensor:
    return transpose(x, [0, 3, 1, 2]) if channels_first else x


def _named(y: Tensor, name: str | None) -> Tensor:
    if name and y.node.name.rsplit("/", 1)[-1] != name:
        return identity(y, name=name)
    return y


# ---- public functions -----------------------------------------------------------------------------

def conv2d(input: TensorLike, filters: TensorLike | None = None, strides: IntOrInts | None = None,  # noqa: A002
           padding: PaddingLike | None = None,
           data_format: str = "NHWC", dilations: IntOrInts = 1, name: str | None = None,
           filter: TensorLike | None = None, use_cudnn_on_gpu: bool = True) -> Tensor:  # noqa: A002
    """2-D convolution (cross-correlation) of ``input`` with HWIO ``filters``.

    >>> import graphflow as gf
    >>> x = gf.zeros((1, 28, 28, 1))
    >>> gf.nn.conv2d(x, gf.zeros((5, 5, 1, 32)), strides=1, padding="SAME").shape.as_list()
    [1, 28, 28, 32]
    """
    fmt = _check_format(data_format, ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters if filters is not None else filter, dtype=x.dtype)
    if strides is None or padding is None:
        raise TypeError("conv2d needs strides and padding")
    at = ConvAttrs(_pair(strides, "strides", cf), _pair(dilations, "dilations", cf), _padding(padding, cf))
    y = make(Op.CONV2D, [_to_nhwc(x, cf), f], at, name=None if cf else (name or "Conv2D"))
    return _named(_from_nhwc(y, cf), name) if cf else y


def conv2d_backprop_input(input_sizes: TensorLike, filter: TensorLike, out_backprop: TensorLike,  # noqa: A002
                          strides: IntOrInts, padding: PaddingLike, data_format: str = "NHWC", dilations: IntOrInts = 1,
                          name: str | None = None) -> Tensor:
    """Gradient of conv2d with respect to its input, of shape ``input_sizes`` (TF1's op)."""
    fmt = _check_format(data_format, ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    dy = convert_to_tensor(out_backprop)
    f = convert_to_tensor(filter, dtype=dy.dtype)
    sizes = convert_to_tensor(input_sizes, dtype=_dt.int32) if not isinstance(input_sizes, Tensor) \
        else input_sizes
    if cf:
        sizes = gather(sizes, [0, 2, 3, 1])
    at = ConvAttrs(_pair(strides, "strides", cf), _pair(dilations, "dilations", cf), _padding(padding, cf))
    y = _backprop_input(sizes, f, _to_nhwc(dy, cf), at, name=None if cf else name)
    return _named(_from_nhwc(y, cf), name) if cf else y


def conv2d_backprop_filter(input: TensorLike, filter_sizes: TensorLike, out_backprop: TensorLike,  # noqa: A002
                           strides: IntOrInts, padding: PaddingLike, data_format: str = "NHWC",
                           dilations: IntOrInts = 1, name: str | None = None) -> Tensor:
    """Gradient of conv2d with respect to its HWIO filter of shape ``filter_sizes`` (TF1's op)."""
    fmt = _check_format(data_format, ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x = convert_to_tensor(input)
    dy = convert_to_tensor(out_backprop, dtype=x.dtype)
    sizes = convert_to_tensor(filter_sizes, dtype=_dt.int32) if not isinstance(filter_sizes, Tensor) \
        else filter_sizes
    at = ConvAttrs(_pair(strides, "strides", cf), _pair(dilations, "dilations", cf), _padding(padding, cf))
    return _backprop_filter(_to_nhwc(x, cf), sizes, _to_nhwc(dy, cf), at, name=name)


def conv2d_transpose(value: TensorLike, filters: TensorLike | None = None, output_shape: TensorLike | None = None,
                     strides: IntOrInts | None = None,
                     padding: str = "SAME", data_format: str = "NHWC", dilations: IntOrInts | None = None,
                     name: str | None = None, filter: TensorLike | None = None) -> Tensor:  # noqa: A002
    """Transposed convolution (the gradient of conv2d); ``filters`` are HWOI, as TF1.

    >>> import graphflow as gf
    >>> y = gf.nn.conv2d_transpose(gf.zeros((1, 7, 7, 8)), gf.zeros((3, 3, 4, 8)), [1, 14, 14, 4], 2)
    >>> y.shape.as_list()
    [1, 14, 14, 4]
    """
    f = filters if filters is not None else filter
    if output_shape is None or strides is None:
        raise TypeError("conv2d_transpose needs output_shape and strides")
    return conv2d_backprop_input(output_shape, f, value, strides, padding, data_format,
                                 1 if dilations is None else dilations, name=name or "conv2d_transpose")


def conv1d(value: TensorLike | None = None, filters: TensorLike | None = None, stride: IntOrInts | None = None,
           padding: PaddingLike | None = None, use_cudnn_on_gpu: bool | None = None, data_format: str | None = "NWC",
           name: str | None = None, input: TensorLike | None = None, dilations: IntOrInts = 1,  # noqa: A002
           filter: TensorLike | None = None) -> Tensor:  # noqa: A002
    """1-D convolution of (batch, width, in_channels) ``value`` with (width, in, out) ``filters``,
    computed as conv2d over a height of 1.

    >>> import graphflow as gf
    >>> gf.nn.conv1d(gf.zeros((2, 10, 3)), gf.zeros((3, 3, 4)), 1, "VALID").shape.as_list()
    [2, 8, 4]
    """
    fmt = _check_format(data_format, ("NWC", "NCW"))
    x = convert_to_tensor(value if value is not None else input)
    f = convert_to_tensor(filters if filters is not None else filter, dtype=x.dtype)
    if fmt == "NCW":
        x = transpose(x, [0, 2, 1])
    s = _pair1(stride, "stride", fmt == "NCW")
    d = _pair1(dilations, "dilations", fmt == "NCW")
    pad = padding if isinstance(padding, str) else _explicit1(padding, fmt == "NCW")
    x4 = _insert_unit(x, 1)
    f4 = _insert_unit(f, 0)
    y = squeeze(conv2d(x4, f4, [1, s], pad, dilations=[1, d]), [1])
    if fmt == "NCW":
        y = transpose(y, [0, 2, 1])
    return _named(y, name)


def _pair1(value: IntOrInts | None, what: str, channels_first: bool) -> int:
    v = np.atleast_1d(np.asarray(1 if value is None else value)).tolist()
    if len(v) == 3:
        v = [v[2] if channels_first else v[1]]
    if len(v) != 1 or not isinstance(v[0], int) or v[0] < 1:
        raise ValueError(f"{what} must be a positive int or a list of 1 or 3 ints, got {value!r}")
    return int(v[0])


def _explicit1(padding: Sequence[Sequence[int]] | None, channels_first: bool) -> list[list[int]]:
    pairs = np.asarray(padding).tolist()
    if len(pairs) == 3:
        pairs = [pairs[2] if channels_first else pairs[1]]
    return [[0, 0]] + pairs


def _insert_unit(t: Tensor, axis: int) -> Tensor:
    if t.shape.rank != 3:
        raise ValueError(f"conv1d operands must be of rank 3, got {t.name} of shape {t.shape}")
    spec: list[Any] = [(0, j) for j in range(3)]
    spec.insert(axis, 1)
    return reshape_spec(t, tuple(spec))


def _pool(op: Op, value: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike,
          data_format: str | None, name: str | None, default_name: str) -> Tensor:
    fmt = _check_format(data_format, ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x = convert_to_tensor(value)
    pad = _padding(padding, cf)
    at = PoolAttrs(_pair(ksize, "ksize", cf), _pair(strides, "strides", cf), pad)
    y = make(op, [_to_nhwc(x, cf)], at, name=None if cf else (name or default_name))
    return _named(_from_nhwc(y, cf), name) if cf else y


def max_pool(value: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike, data_format: str = "NHWC",
             name: str | None = None, input: TensorLike | None = None) -> Tensor:  # noqa: A002
    """Max pooling over (ksize) windows of an NHWC (or NCHW) tensor.

    >>> import graphflow as gf
    >>> gf.nn.max_pool(gf.zeros((1, 28, 28, 32)), 2, 2, "SAME").shape.as_list()
    [1, 14, 14, 32]
    """
    return _pool(Op.MAX_POOL, value if value is not None else input, ksize, strides, padding,
                 data_format, name, "MaxPool")


def avg_pool(value: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike, data_format: str = "NHWC",
             name: str | None = None, input: TensorLike | None = None) -> Tensor:  # noqa: A002
    """Average pooling; with SAME padding each window averages only its non-padding cells (TF1).

    >>> import graphflow as gf
    >>> gf.nn.avg_pool(gf.zeros((1, 5, 5, 3)), 2, 2, "VALID").shape.as_list()
    [1, 2, 2, 3]
    """
    return _pool(Op.AVG_POOL, value if value is not None else input, ksize, strides, padding,
                 data_format, name, "AvgPool")


max_pool2d = max_pool
avg_pool2d = avg_pool


def _pool1d(fn: Callable[..., Tensor], x: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike,
            data_format: str | None, name: str | None) -> Tensor:
    fmt = _check_format(data_format, ("NWC", "NCW"))
    t = convert_to_tensor(x)
    if fmt == "NCW":
        t = transpose(t, [0, 2, 1])
    k = _pair1(ksize, "ksize", fmt == "NCW")
    s = _pair1(strides, "strides", fmt == "NCW")
    pad = padding if isinstance(padding, str) else _explicit1(padding, fmt == "NCW")
    y = squeeze(fn(_insert_unit(t, 1), [1, k], [1, s], pad), [1])
    if fmt == "NCW":
        y = transpose(y, [0, 2, 1])
    return _named(y, name)


def max_pool1d(input: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike,  # noqa: A002
               data_format: str = "NWC", name: str | None = None) -> Tensor:
    """Max pooling over the width of an NWC (or NCW) tensor."""
    return _pool1d(max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool1d(input: TensorLike, ksize: IntOrInts, strides: IntOrInts, padding: PaddingLike,  # noqa: A002
               data_format: str = "NWC", name: str | None = None) -> Tensor:
    """Average pooling over the width of an NWC (or NCW) tensor."""
    return _pool1d(avg_pool, input, ksize, strides, padding, data_format, name)
