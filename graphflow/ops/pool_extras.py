"""tf.nn's other pooling functions, built on the 2-D pooling primitives and on window stacks.

Box pooling is separable: a 3-D max (or average, whose SAME divisor is a product of per-axis
counts) is a 2-D pool over height and width followed by one over depth. ``pool`` and the ``_v2``
forms pick the rank; dilated ``pool`` goes through ``with_space_to_batch``. ``max_pool_with_argmax``
and the grayscale morphology (``dilation2d``, ``erosion2d``) stack the kh x kw strided windows of
the input padded with the dtype's lowest value and reduce over the stack.
"""
from __future__ import annotations

import builtins
from collections.abc import Callable

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import conv_ops as C
from graphflow.ops.array_ops import pad
from graphflow.ops.concat_ops import stack
from graphflow.ops.conv_extras import spatial
from graphflow.ops.elementwise_ops import add_name
from graphflow.ops.index_ops import reverse
from graphflow.ops.math_ops import cast
from graphflow.ops.reduce_ops import argmax, reduce_max
from graphflow.ops.shape_ops import reshape, shape, transpose
from graphflow.ops.space_batch_ops import with_space_to_batch
from graphflow.ops.state_ops import constant
from graphflow.ops.state_ops import range as _range

__all__ = ["avg_pool3d", "avg_pool_v2", "dilation2d", "erosion2d", "max_pool3d", "max_pool_v2",
           "max_pool_with_argmax", "pool"]

Pool2d = Callable[..., Tensor]


def _pool3d(fn: Pool2d, input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts,  # noqa: A002
            padding: str, data_format: str | None, name: str | None) -> Tensor:
    fmt = C._check_format(data_format or "NDHWC", ("NDHWC", "NCDHW"))
    cf = fmt == "NCDHW"
    x = convert_to_tensor(input)
    if cf:
        x = transpose(x, [0, 2, 3, 4, 1])
    kd, kh, kw = spatial(ksize, 3, "ksize", cf)
    sd, sh, sw = spatial(strides, 3, "strides", cf)
    dims = x.shape.as_list() if x.shape.rank == 5 else None
    if dims is None or None in dims[1:]:
        raise ValueError(f"3-D pooling needs an input of static [?, D, H, W, C], got {x.shape}")
    _, depth, height, width, ch = dims
    plane = fn(reshape(x, [-1, height, width, ch]), [kh, kw], [sh, sw], padding)
    ho, wo = plane.shape.as_list()[1:3]
    deep = fn(reshape(plane, [-1, depth, ho * wo, ch]), [kd, 1], [sd, 1], padding)
    y = reshape(deep, [-1, deep.shape.as_list()[1], ho, wo, ch])
    if cf:
        y = transpose(y, [0, 4, 1, 2, 3])
    return add_name(y, name)


def max_pool3d(input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts, padding: str,  # noqa: A002
               data_format: str = "NDHWC", name: str | None = None) -> Tensor:
    """Max pooling over ``[kd, kh, kw]`` windows of an NDHWC (or NCDHW) tensor.

    >>> import graphflow as gf
    >>> gf.nn.max_pool3d(gf.zeros((1, 4, 4, 4, 2)), 2, 2, "VALID").shape.as_list()
    [1, 2, 2, 2, 2]
    """
    return _pool3d(C.max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool3d(input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts, padding: str,  # noqa: A002
               data_format: str = "NDHWC", name: str | None = None) -> Tensor:
    """Average pooling over ``[kd, kh, kw]`` windows; SAME windows average their real cells only."""
    return _pool3d(C.avg_pool, input, ksize, strides, padding, data_format, name)


def _by_rank(kind: str, input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts,  # noqa: A002
             padding: str, data_format: str | None, name: str | None) -> Tensor:
    x = convert_to_tensor(input)
    rank = x.shape.rank
    if rank == 3:
        fn = C.max_pool1d if kind == "MAX" else C.avg_pool1d
        return fn(x, ksize, strides, padding, data_format or "NWC", name)
    if rank == 4:
        fn2 = C.max_pool if kind == "MAX" else C.avg_pool
        return fn2(x, ksize, strides, padding, data_format or "NHWC", name)
    if rank == 5:
        fn3 = max_pool3d if kind == "MAX" else avg_pool3d
        return fn3(x, ksize, strides, padding, data_format or "NDHWC", name)
    raise ValueError(f"pooling needs an input of rank 3, 4 or 5, got {x.name} of shape {x.shape}")


def max_pool_v2(input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts, padding: str,  # noqa: A002
                data_format: str | None = None, name: str | None = None) -> Tensor:
    """Max pooling of 1 to 3 spatial dims, picked by the input's rank."""
    return _by_rank("MAX", input, ksize, strides, padding, data_format, name)


def avg_pool_v2(input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts, padding: str,  # noqa: A002
                data_format: str | None = None, name: str | None = None) -> Tensor:
    """Average pooling of 1 to 3 spatial dims, picked by the input's rank."""
    return _by_rank("AVG", input, ksize, strides, padding, data_format, name)


def pool(input: TensorLike, window_shape: C.IntOrInts, pooling_type: str, padding: str,  # noqa: A002
         dilation_rate: C.IntOrInts | None = None, strides: C.IntOrInts | None = None, name: str | None = None,
         data_format: str | None = None, dilations: C.IntOrInts | None = None) -> Tensor:
    """N-D (1 to 3 spatial dims) ``"MAX"`` or ``"AVG"`` pooling with optional dilated windows
    (which need unit strides and VALID padding, as TF1).

    >>> import graphflow as gf
    >>> gf.nn.pool(gf.zeros((1, 6, 6, 2)), [2, 2], "MAX", "VALID", strides=[2, 2]).shape.as_list()
    [1, 3, 3, 2]
    """
    kind = pooling_type.upper()
    if kind not in ("MAX", "AVG"):
        raise ValueError(f"pooling_type must be 'MAX' or 'AVG', got {pooling_type!r}")
    window = np.atleast_1d(np.asarray(window_shape)).astype(int).tolist()
    n = len(window)
    rate = spatial(dilation_rate if dilation_rate is not None else dilations, n, "dilation_rate", False)
    step = spatial(strides, n, "strides", False)
    if any(r > 1 for r in rate):
        if any(s > 1 for s in step):
            raise ValueError("pool: strides must be 1 when dilation_rate is not 1 (TF1)")
        if padding.upper() == "SAME":  # the space-to-batch padding would enter the windows
            raise ValueError("pool: SAME padding with a dilation_rate > 1 is not implemented (as TF1)")

        def undilated(x: Tensor, _n: int, pad_mode: str) -> Tensor:
            return _by_rank(kind, x, window, [1] * n, pad_mode, data_format, None)
        return add_name(with_space_to_batch(input, rate, padding, undilated, window, data_format=data_format),
                        name)
    return _by_rank(kind, input, window, step, padding, data_format, name)


# ---- window stacks -------------------------------------------------------------------------------

def _lowest(dtype: _dt.DType) -> float:
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    return float("-inf") if np_dtype.kind == "f" else float(np.iinfo(np_dtype).min)


def _windows(x: Tensor, kh: int, kw: int, sh: int, sw: int, rh: int, rw: int, padding: str,
             what: str) -> tuple[Tensor, int, int, int, int]:
    """(the kh*kw strided windows stacked on a new last axis, output height, width, top, left)."""
    dims = x.shape.as_list() if x.shape.rank == 4 else None
    if dims is None or None in dims[1:]:
        raise ValueError(f"{what} needs an input of static [?, H, W, C], got {x.shape}")
    mode = C._padding(padding, False)
    if not isinstance(mode, str):
        raise ValueError(f"{what} padding must be 'SAME' or 'VALID', got {padding!r}")
    h, w = dims[1], dims[2]
    ho, top = C.geometry(h, kh, sh, rh, mode, 0)
    wo, left = C.geometry(w, kw, sw, rw, mode, 1)
    assert ho is not None and wo is not None
    bottom = max((ho - 1) * sh + (kh - 1) * rh + 1 - h - top, 0)
    right = max((wo - 1) * sw + (kw - 1) * rw + 1 - w - left, 0)
    xp = x
    if top or bottom or left or right:
        xp = pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], constant_values=_lowest(x.dtype))
    taps = [xp[:, builtins.slice(i * rh, i * rh + (ho - 1) * sh + 1, sh),
               builtins.slice(j * rw, j * rw + (wo - 1) * sw + 1, sw)] for i in range(kh) for j in range(kw)]
    return stack(taps, axis=-1), ho, wo, top, left


def max_pool_with_argmax(input: TensorLike, ksize: C.IntOrInts, strides: C.IntOrInts, padding: str,  # noqa: A002
                         data_format: str = "NHWC", Targmax: DTypeLike | None = None,  # noqa: N803
                         name: str | None = None, output_dtype: DTypeLike | None = None,
                         include_batch_in_index: bool = False) -> tuple[Tensor, Tensor]:
    """(max pool, flat index of each window's first maximum): ``(y * width + x) * channels + c``,
    plus ``b * height * width * channels`` when ``include_batch_in_index``.

    >>> import graphflow as gf
    >>> _, i = gf.nn.max_pool_with_argmax(gf.constant([[[[1.0], [3.0]], [[2.0], [0.0]]]]), 2, 2, "VALID")
    >>> i.eval().ravel().tolist()
    [1]
    """
    if data_format != "NHWC":
        raise ValueError(f"max_pool_with_argmax supports NHWC only (as TF1), got {data_format!r}")
    x = convert_to_tensor(input)
    kh, kw = spatial(ksize, 2, "ksize", False)
    sh, sw = spatial(strides, 2, "strides", False)
    taps, ho, wo, top, left = _windows(x, kh, kw, sh, sw, 1, 1, padding, "max_pool_with_argmax")
    _, h, w, ch = x.shape.as_list()
    out = reduce_max(taps, -1)
    k = argmax(taps, -1)
    rows = constant(np.arange(ho, dtype=np.int64).reshape(1, ho, 1, 1) * sh - top)
    cols = constant(np.arange(wo, dtype=np.int64).reshape(1, 1, wo, 1) * sw - left)
    chans = constant(np.arange(ch, dtype=np.int64).reshape(1, 1, 1, ch))
    y = rows + k // kw
    xx = cols + k % kw
    index = (y * w + xx) * ch + chans  # type: ignore[operator]
    if include_batch_in_index:
        batch = reshape(_range(shape(x, out_type=_dt.int64)[0]), [-1, 1, 1, 1])
        index = index + batch * (h * w * ch)  # type: ignore[operator]
    dtype = _dt.as_dtype(output_dtype or Targmax or _dt.int64)
    return add_name(out, name), cast(index, dtype)


def dilation2d(input: TensorLike, filter: TensorLike | None = None,  # noqa: A002
               strides: C.IntOrInts | None = None, rates: C.IntOrInts | None = None, padding: str | None = None,
               name: str | None = None, filters: TensorLike | None = None,
               dilations: C.IntOrInts | None = None) -> Tensor:
    """Grayscale dilation: ``out[b, y, x, c] = max over (i, j) of
    in[b, y*sh + i*rh - top, x*sw + j*rw - left, c] + filter[i, j, c]`` (NHWC, ``[kh, kw, C]``
    filter)."""
    x = convert_to_tensor(input)
    f = convert_to_tensor(filter if filter is not None else filters, dtype=x.dtype)
    if strides is None or padding is None:
        raise TypeError("dilation2d needs strides and padding")
    fd = f.shape.as_list() if f.shape.rank == 3 else None
    if fd is None or None in fd:
        raise ValueError(f"dilation2d needs a static [kh, kw, C] filter, got {f.shape}")
    kh, kw, _ = fd
    sh, sw = spatial(strides, 2, "strides", False)
    rh, rw = spatial(rates if rates is not None else dilations, 2, "rates", False)
    taps, *_ = _windows(x, kh, kw, sh, sw, rh, rw, padding, "dilation2d")
    weights = transpose(reshape(f, [kh * kw, -1]), [1, 0])  # [C, kh*kw] against the stack's last axes
    return add_name(reduce_max(taps + weights, -1), name)


def erosion2d(value: TensorLike, kernel: TensorLike, strides: C.IntOrInts, rates: C.IntOrInts, padding: str,
              name: str | None = None) -> Tensor:
    """Grayscale erosion: ``min over (i, j) of in[b, y*sh - i*rh, x*sw - j*rw, c] - kernel[i, j, c]``,
    the negated dilation of ``-value`` by the reflected kernel."""
    k = reverse(convert_to_tensor(kernel), [0, 1])
    return add_name(-dilation2d(-convert_to_tensor(value), k, strides, rates, padding), name)
