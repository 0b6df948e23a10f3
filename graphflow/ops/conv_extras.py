"""tf.nn's other convolutions, built on conv2d and its gradients.

``conv3d`` folds the depth taps into channels: for each depth tap it takes a strided depth slice of
the (padded) input, concatenates the slices along channels and runs one conv2d over the images of
every output depth with the filter reshaped to ``[kh, kw, kd * C, O]``. Its transposes and filter
gradients (and the depthwise ones) are the gradients of the forward composite with respect to a
zero stand-in input, which the forward value never reaches (the maps are linear). ``convolution``
and ``conv_transpose`` pick the 1-, 2- or 3-D form by rank; ``atrous_*`` are dilated conv2d's.
"""
from __future__ import annotations

import builtins

import numpy as np

from graphflow.core.autodiff import gradients
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import conv_ops as C
from graphflow.ops.array_ops import pad
from graphflow.ops.concat_ops import concat
from graphflow.ops.depthwise_ops import depthwise_conv2d
from graphflow.ops.elementwise_ops import add_name
from graphflow.ops.shape_ops import reshape, transpose
from graphflow.ops.state_ops import fill, zeros

__all__ = ["atrous_conv2d", "atrous_conv2d_transpose", "conv1d_transpose", "conv3d", "conv3d_backprop_filter",
           "conv3d_backprop_filter_v2", "conv3d_transpose", "conv_transpose", "convolution",
           "depthwise_conv2d_backprop_filter", "depthwise_conv2d_backprop_input", "depthwise_conv2d_native",
           "depthwise_conv2d_native_backprop_filter", "depthwise_conv2d_native_backprop_input"]


def spatial(value: C.IntOrInts | None, n: int, what: str, channels_first: bool) -> list[int]:
    """An int, ``n`` ints, or ``n + 2`` ints laid out as the data format (outer entries 1)."""
    v = np.atleast_1d(np.asarray(1 if value is None else value)).tolist()
    if len(v) == 1:
        v = v * n
    elif len(v) == n + 2:
        outer = (v[0], v[1]) if channels_first else (v[0], v[-1])
        if outer != (1, 1):
            raise ValueError(f"{what} in the batch and channel dimensions must be 1, got {v}")
        v = v[2:] if channels_first else v[1:-1]
    if len(v) != n or not all(isinstance(d, int) and d >= 1 for d in v):
        raise ValueError(f"{what} must be a positive int or a list of 1, {n} or {n + 2} positive ints, got {value!r}")
    return [int(d) for d in v]


def static_ints(value: TensorLike, what: str) -> list[int]:
    """The value of a shape argument, which must be known when the graph is built."""
    v = static_value(value) if isinstance(value, Tensor) else np.asarray(value)
    if v is None:
        raise ValueError(f"{what} must be known when the graph is built, got {value}")
    return [int(d) for d in np.asarray(v).reshape(-1)]


def _stand_in(sizes: TensorLike, dtype: object) -> Tensor:
    """A zero tensor of shape ``sizes`` (a tensor, or ints mixed with scalar tensors such as a
    run-time batch size): the point a linear map's gradient is taken at."""
    mixed = isinstance(sizes, (list, tuple)) and any(isinstance(d, Tensor) for d in sizes)
    if mixed or isinstance(sizes, Tensor) and static_value(sizes) is None:
        return fill(sizes, convert_to_tensor(0, dtype=dtype))  # type: ignore[arg-type]
    return zeros(static_ints(sizes, "the shape"), dtype)  # type: ignore[arg-type]


def _adjoint(forward: Tensor, at: Tensor, dy: TensorLike, name: str | None) -> Tensor:
    g = gradients(forward, [at], grad_ys=convert_to_tensor(dy, dtype=forward.dtype))[0]
    if g is None:
        raise ValueError(f"{forward.name} does not depend on {at.name}")
    return add_name(g, name)


# ---- 3-D --------------------------------------------------------------------------------------------

def conv3d(input: TensorLike, filter: TensorLike | None = None, strides: C.IntOrInts | None = None,  # noqa: A002
           padding: str | None = None, data_format: str = "NDHWC", dilations: C.IntOrInts = 1,
           name: str | None = None, filters: TensorLike | None = None) -> Tensor:
    """3-D convolution of an NDHWC input with a ``[kd, kh, kw, C, O]`` filter.

    >>> import graphflow as gf
    >>> gf.nn.conv3d(gf.zeros((1, 4, 5, 5, 2)), gf.zeros((2, 3, 3, 2, 4)), [1, 1, 1, 1, 1], "SAME").shape.as_list()
    [1, 4, 5, 5, 4]
    """
    fmt = C._check_format(data_format, ("NDHWC", "NCDHW"))
    cf = fmt == "NCDHW"
    x = convert_to_tensor(input)
    f = convert_to_tensor(filter if filter is not None else filters, dtype=x.dtype)
    if strides is None or padding is None:
        raise TypeError("conv3d needs strides and padding")
    sd, sh, sw = spatial(strides, 3, "strides", cf)
    dd, dh, dw = spatial(dilations, 3, "dilations", cf)
    mode = C._padding(padding, False) if isinstance(padding, str) else None
    if mode is None:
        raise ValueError(f"conv3d padding must be 'SAME' or 'VALID', got {padding!r}")
    if cf:
        x = transpose(x, [0, 2, 3, 4, 1])
    xd = x.shape.as_list() if x.shape.rank == 5 else None
    fd = f.shape.as_list() if f.shape.rank == 5 else None
    if xd is None or None in xd[1:] or fd is None or None in fd:
        raise ValueError(f"conv3d needs an input of static [?, D, H, W, C] and a static [kd, kh, kw, C, O] filter, "
                         f"got {x.shape} and {f.shape}")
    _, depth, height, width, ch = xd
    kd, kh, kw, fch, out_ch = fd
    if fch != ch:
        raise ValueError(f"conv3d: the input has {ch} channels, the filter {fch}")
    d_out, front = C.geometry(depth, kd, sd, dd, mode, 0)
    assert d_out is not None
    back = max((d_out - 1) * sd + (kd - 1) * dd + 1 - depth - front, 0)
    xp = pad(x, [[0, 0], [front, back], [0, 0], [0, 0], [0, 0]]) if front or back else x
    taps = [xp[:, builtins.slice(k * dd, k * dd + (d_out - 1) * sd + 1, sd)] for k in range(kd)]
    stacked = concat(taps, 4) if kd > 1 else taps[0]
    images = reshape(stacked, [-1, height, width, kd * ch])
    f2 = reshape(transpose(f, [1, 2, 0, 3, 4]), [kh, kw, kd * ch, out_ch])
    y4 = C.conv2d(images, f2, [sh, sw], mode, dilations=[dh, dw])
    ho, wo = y4.shape.as_list()[1:3]
    y = reshape(y4, [-1, d_out, ho, wo, out_ch])
    if cf:
        y = transpose(y, [0, 4, 1, 2, 3])
    return add_name(y, name)


def conv3d_transpose(value: TensorLike, filter: TensorLike | None = None,  # noqa: A002
                     output_shape: TensorLike | None = None, strides: C.IntOrInts | None = None,
                     padding: str = "SAME", data_format: str = "NDHWC", name: str | None = None,
                     input: TensorLike | None = None, filters: TensorLike | None = None,  # noqa: A002
                     dilations: C.IntOrInts | None = None) -> Tensor:
    """The transpose (input gradient) of conv3d; the filter is ``[kd, kh, kw, O, C]`` as TF1."""
    v = convert_to_tensor(value if value is not None else input)
    f = convert_to_tensor(filter if filter is not None else filters, dtype=v.dtype)
    if output_shape is None or strides is None:
        raise TypeError("conv3d_transpose needs output_shape and strides")
    x0 = _stand_in(output_shape, v.dtype)
    y = conv3d(x0, f, strides, padding, data_format, 1 if dilations is None else dilations)
    return _adjoint(y, x0, v, name or "conv3d_transpose")


def conv3d_backprop_filter(input: TensorLike, filter_sizes: TensorLike, out_backprop: TensorLike,  # noqa: A002
                           strides: C.IntOrInts, padding: str, data_format: str = "NDHWC",
                           dilations: C.IntOrInts = 1, name: str | None = None) -> Tensor:
    """Gradient of conv3d with respect to its filter, of shape ``filter_sizes``."""
    x = convert_to_tensor(input)
    f0 = _stand_in(filter_sizes, x.dtype)
    return _adjoint(conv3d(x, f0, strides, padding, data_format, dilations), f0, out_backprop, name)


conv3d_backprop_filter_v2 = conv3d_backprop_filter


# ---- 1-D and 2-D transposes, rank dispatch ------------------------------------------------------------

def conv1d_transpose(input: TensorLike, filters: TensorLike, output_shape: TensorLike,  # noqa: A002
                     strides: C.IntOrInts, padding: str = "SAME", data_format: str = "NWC",
                     dilations: C.IntOrInts | None = None, name: str | None = None) -> Tensor:
    """The transpose of conv1d: ``filters`` are ``[w, out_channels, in_channels]``.

    >>> import graphflow as gf
    >>> gf.nn.conv1d_transpose(gf.zeros((1, 5, 4)), gf.zeros((3, 2, 4)), [1, 10, 2], 2).shape.as_list()
    [1, 10, 2]
    """
    fmt = C._check_format(data_format, ("NWC", "NCW"))
    cf = fmt == "NCW"
    x = convert_to_tensor(input)
    if cf:
        x = transpose(x, [0, 2, 1])
    f = convert_to_tensor(filters, dtype=x.dtype)
    out = static_ints(output_shape, "conv1d_transpose output_shape")
    if cf:
        out = [out[0], out[2], out[1]]
    (s,) = spatial(strides, 1, "strides", cf)
    (d,) = spatial(dilations, 1, "dilations", cf)
    x4 = reshape(x, [-1, 1] + x.shape.as_list()[1:])
    f4 = reshape(f, [1] + f.shape.as_list())
    y = C.conv2d_transpose(x4, f4, [out[0], 1, out[1], out[2]], [1, s], padding, dilations=[1, d])
    y = reshape(y, [-1, out[1], out[2]])
    if cf:
        y = transpose(y, [0, 2, 1])
    return add_name(y, name)


def atrous_conv2d(value: TensorLike, filters: TensorLike, rate: int, padding: str, name: str | None = None) -> Tensor:
    """conv2d with unit strides and dilation ``rate`` (NHWC, HWIO filters)."""
    return C.conv2d(value, filters, 1, padding, dilations=rate, name=name)


def atrous_conv2d_transpose(value: TensorLike, filters: TensorLike, output_shape: TensorLike, rate: int,
                            padding: str, name: str | None = None) -> Tensor:
    """The transpose of ``atrous_conv2d``: filters are ``[h, w, out_channels, in_channels]``."""
    return C.conv2d_transpose(value, filters, output_shape, 1, padding, dilations=rate, name=name)


def _rank(x: Tensor, what: str) -> int:
    if x.shape.rank not in (3, 4, 5):
        raise ValueError(f"{what} needs an input of rank 3, 4 or 5 (1 to 3 spatial dims), got {x.name} "
                         f"of shape {x.shape}")
    return int(x.shape.rank)  # type: ignore[arg-type]


def convolution(input: TensorLike, filter: TensorLike | None = None,  # noqa: A002
                padding: str | None = None, strides: C.IntOrInts | None = None,
                dilation_rate: C.IntOrInts | None = None, name: str | None = None, data_format: str | None = None,
                filters: TensorLike | None = None, dilations: C.IntOrInts | None = None) -> Tensor:
    """N-D convolution (1 to 3 spatial dims) picked by the input's rank; strides and dilation
    rates list the spatial dims only."""
    x = convert_to_tensor(input)
    f = filter if filter is not None else filters
    if f is None or padding is None:
        raise TypeError("convolution needs filter and padding")
    rank = _rank(x, "convolution")
    n = rank - 2
    cf = data_format is not None and data_format.startswith("NC")
    s = spatial(strides, n, "strides", cf)
    d = spatial(dilation_rate if dilation_rate is not None else dilations, n, "dilation_rate", cf)
    if rank == 3:
        return C.conv1d(x, f, s[0], padding, data_format=data_format or "NWC", dilations=d[0], name=name)
    if rank == 4:
        return C.conv2d(x, f, s, padding, data_format=data_format or "NHWC", dilations=d, name=name)
    return conv3d(x, f, [1, *s, 1] if not cf else [1, 1, *s], padding, data_format or "NDHWC",
                  [1, *d, 1] if not cf else [1, 1, *d], name)


def conv_transpose(input: TensorLike, filters: TensorLike, output_shape: TensorLike,  # noqa: A002
                   strides: C.IntOrInts, padding: str = "SAME", data_format: str | None = None,
                   dilations: C.IntOrInts | None = None, name: str | None = None) -> Tensor:
    """The transpose of ``convolution``, picked by the length of ``output_shape`` (3, 4 or 5)."""
    n = len(static_ints(output_shape, "conv_transpose output_shape"))
    if n == 3:
        return conv1d_transpose(input, filters, output_shape, strides, padding, data_format or "NWC", dilations, name)
    if n == 4:
        return C.conv2d_transpose(input, filters, output_shape, strides, padding, data_format or "NHWC",
                                  dilations, name)
    if n == 5:
        return conv3d_transpose(input, filters, output_shape, strides, padding, data_format or "NDHWC", name,
                                dilations=dilations)
    raise ValueError(f"conv_transpose needs an output_shape of length 3, 4 or 5, got {output_shape}")


# ---- depthwise: TF1's op names ---------------------------------------------------------------------

def depthwise_conv2d_native(input: TensorLike, filter: TensorLike, strides: C.IntOrInts,  # noqa: A002
                            padding: str, data_format: str = "NHWC", dilations: C.IntOrInts | None = None,
                            name: str | None = None) -> Tensor:
    """The depthwise convolution op: ``[kh, kw, C, M]`` filter, ``C * M`` output channels."""
    return depthwise_conv2d(input, filter, strides, padding, name=name, data_format=data_format,
                            dilations=dilations)


def depthwise_conv2d_native_backprop_input(input_sizes: TensorLike, filter: TensorLike,  # noqa: A002
                                           out_backprop: TensorLike, strides: C.IntOrInts, padding: str,
                                           data_format: str = "NHWC", dilations: C.IntOrInts | None = None,
                                           name: str | None = None) -> Tensor:
    """Gradient of the depthwise convolution with respect to its input, of shape ``input_sizes``."""
    f = convert_to_tensor(filter)
    x0 = _stand_in(input_sizes, f.dtype)
    y = depthwise_conv2d_native(x0, f, strides, padding, data_format, dilations)
    return _adjoint(y, x0, out_backprop, name)


def depthwise_conv2d_native_backprop_filter(input: TensorLike, filter_sizes: TensorLike,  # noqa: A002
                                            out_backprop: TensorLike, strides: C.IntOrInts, padding: str,
                                            data_format: str = "NHWC", dilations: C.IntOrInts | None = None,
                                            name: str | None = None) -> Tensor:
    """Gradient of the depthwise convolution with respect to its filter, of shape ``filter_sizes``."""
    x = convert_to_tensor(input)
    f0 = _stand_in(filter_sizes, x.dtype)
    y = depthwise_conv2d_native(x, f0, strides, padding, data_format, dilations)
    return _adjoint(y, f0, out_backprop, name)


depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter
