"""Depthwise and separable 2-D convolution as compositions: ``depthwise_conv2d`` sums, over the
kh x kw filter taps, a strided slice of the (padded) input times that tap's per-channel weights,
so its node count is the filter's size whatever the channel count, and its gradients follow from
slicing, padding and products. ``separable_conv2d`` is a depthwise convolution then a 1x1 one.
TF1's output sizes and SAME padding (extra padding after) apply.
"""
from __future__ import annotations

import builtins

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import conv_ops as C
from graphflow.ops.array_ops import pad
from graphflow.ops.elementwise_ops import add_name
from graphflow.ops.shape_ops import expand_dims, reshape


def depthwise_conv2d(input: TensorLike, filter: TensorLike, strides: C.IntOrInts, padding: C.PaddingLike,  # noqa: A002
                     rate: C.IntOrInts | None = None, name: str | None = None, data_format: str | None = None,
                     dilations: C.IntOrInts | None = None) -> Tensor:
    """``out[n, i, j, c * M + m] = sum over taps of x[n, i*s + di*r, j*s + dj*r, c] * w[di, dj, c, m]``
    for a ``[kh, kw, C, M]`` filter (channel multiplier M).

    >>> import graphflow as gf
    >>> gf.nn.depthwise_conv2d(gf.zeros((1, 8, 8, 3)), gf.zeros((3, 3, 3, 2)), [1, 1, 1, 1], "SAME").shape.as_list()
    [1, 8, 8, 6]
    """
    fmt = C._check_format(data_format or "NHWC", ("NHWC", "NCHW"))
    cf = fmt == "NCHW"
    x = C._to_nhwc(convert_to_tensor(input), cf)
    w = convert_to_tensor(filter, dtype=x.dtype)
    sh, sw = C._pair(strides, "strides", cf)
    rh, rw = C._pair(dilations if dilations is not None else (rate if rate is not None else 1), "dilations", cf)
    if (sh > 1 or sw > 1) and (rh > 1 or rw > 1):
        raise ValueError("depthwise_conv2d: strides and dilations cannot both be > 1 (TF1)")
    xd = C._rank4(x.shape, "depthwise_conv2d input")
    wd = w.shape.as_list() if w.shape.rank == 4 else None
    if wd is None or None in wd:
        raise ValueError(f"depthwise_conv2d needs a filter of static shape [kh, kw, C, M], got {w.shape}")
    kh, kw, ch, mult = wd
    if xd[3] is not None and xd[3] != ch:
        raise ValueError(f"depthwise_conv2d: the input has {xd[3]} channels, the filter {ch}")
    pad_mode = C._padding(padding, cf)
    h_out, top = C.geometry(xd[1], kh, sh, rh, pad_mode, 0)
    w_out, left = C.geometry(xd[2], kw, sw, rw, pad_mode, 1)
    if h_out is None or w_out is None:
        raise ValueError(f"depthwise_conv2d needs static spatial dims, got input shape {x.shape}")
    eff_h, eff_w = (kh - 1) * rh + 1, (kw - 1) * rw + 1
    bottom = max((h_out - 1) * sh + eff_h - xd[1] - top, 0)  # type: ignore[operator]
    right = max((w_out - 1) * sw + eff_w - xd[2] - left, 0)  # type: ignore[operator]
    xp = pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) if top or bottom or left or right else x
    xe = expand_dims(xp, -1)  # [N, H, W, C, 1] against taps of [C, M]
    total = None
    for di in range(kh):
        for dj in range(kw):
            r0, c0 = di * rh, dj * rw
            window = xe[:, builtins.slice(r0, r0 + (h_out - 1) * sh + 1, sh),
                        builtins.slice(c0, c0 + (w_out - 1) * sw + 1, sw)]
            term = window * w[di, dj]
            total = term if total is None else total + term
    out = reshape(total, [-1, h_out, w_out, ch * mult])
    out = C._from_nhwc(out, cf)
    return add_name(out, name)


def separable_conv2d(input: TensorLike, depthwise_filter: TensorLike, pointwise_filter: TensorLike,  # noqa: A002
                     strides: C.IntOrInts, padding: C.PaddingLike, rate: C.IntOrInts | None = None,
                     name: str | None = None, data_format: str | None = None,
                     dilations: C.IntOrInts | None = None) -> Tensor:
    """A depthwise convolution, then a 1x1 convolution mixing its ``C * M`` channels."""
    fmt = data_format or "NHWC"
    d = depthwise_conv2d(input, depthwise_filter, strides, padding, rate, data_format=fmt, dilations=dilations)
    y = C.conv2d(d, pointwise_filter, [1, 1, 1, 1], "VALID", data_format=fmt)
    return add_name(y, name)

