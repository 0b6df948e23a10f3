"""PyTorch's functional convolution, pooling, padding and resizing (``F.conv2d``, ``F.max_pool2d``,
``F.pad``, ``F.interpolate``...) on channels-first inputs: [N, C, L] and [N, C, H, W], or the
unbatched [C, L] and [C, H, W]; OIHW weights."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Union

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, gather, stack
from graphflow.ops.array_ops import pad as _pad
from graphflow.ops.conv_ops import IntOrInts, avg_pool, conv2d_transpose, max_pool
from graphflow.ops.conv_ops import conv2d as _conv

# a convolution's padding: an int or one per spatial dim, or "same" / "valid"
ConvPadding = Union[IntOrInts, str]


def _pair(v: IntOrInts, what: str = "value") -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(v)
    if len(v) == 1:
        return int(v[0]), int(v[0])
    if len(v) != 2:
        raise ValueError(f"{what} must be an int or a pair, got {v}")
    return int(v[0]), int(v[1])


def _one(v: IntOrInts) -> int:
    return int(v if isinstance(v, (int, np.integer)) else tuple(v)[0])


def _batched(x: TensorLike, spatial: int, what: str) -> tuple[Tensor, bool]:
    """``x`` with a batch dim (added for unbatched inputs) and whether one was added."""
    t = convert_to_tensor(x)
    if t.shape.rank == spatial + 1:
        return S.expand_dims(t, 0), True
    if t.shape.rank != spatial + 2:
        raise ValueError(f"F.{what} expects a {spatial + 1}-D (unbatched) or {spatial + 2}-D (batched) input, got "
                         f"shape {t.shape} ({t.name})")
    return t, False


def _unbatched(y: Tensor, added: bool) -> Tensor:
    return S.squeeze(y, [0]) if added else y


def _conv_pads(padding: ConvPadding, kernel: tuple[int, int], stride: tuple[int, int],
               dilation: tuple[int, int]) -> str | list[list[int]]:
    if isinstance(padding, str):
        if padding == "valid":
            return "VALID"
        if padding != "same":
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        # PyTorch's "same": total padding d (k - 1), the odd one after
        pads = [[0, 0], [0, 0]]
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads.append([total // 2, total - total // 2])
        return pads
    ph, pw = _pair(padding, "padding")
    return [[0, 0], [0, 0], [ph, ph], [pw, pw]] if ph or pw else "VALID"


def conv2d(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None, stride: IntOrInts = 1,  # noqa: A002
           padding: ConvPadding = 0, dilation: IntOrInts = 1, groups: int = 1) -> Tensor:
    """Cross-correlation of [N, C_in, H, W] with an OIHW weight [C_out, C_in / groups, kh, kw];
    ``padding`` an int, a pair, "same" or "valid"."""
    x, added = _batched(input, 2, "conv2d")
    w = convert_to_tensor(weight)
    if w.shape.rank != 4:
        raise ValueError(f"F.conv2d expects a 4-D [out, in / groups, kh, kw] weight, got {w.shape} ({w.name})")
    cout, cin_g, kh, kw = w.shape.as_list()
    cin = x.shape.as_list()[1]
    if cin is not None and cin_g is not None and cin != cin_g * groups:
        raise ValueError(f"F.conv2d: input {x.name} has {cin} channels; the weight {w.name} {w.shape} with groups "
                         f"{groups} expects {cin_g * groups}")
    st, dil = _pair(stride, "stride"), _pair(dilation, "dilation")
    pads = _conv_pads(padding, (kh, kw), st, dil)
    hwio = S.transpose(w, [2, 3, 1, 0])
    strides, dilations = st, dil  # the pairs ConvAttrs holds
    if groups == 1:
        y = _conv(x, hwio, strides, pads, data_format="NCHW", dilations=dilations)
    else:
        go = cout // groups
        y = concat([_conv(x[:, g * cin_g:(g + 1) * cin_g], hwio[:, :, :, g * go:(g + 1) * go], strides, pads,
                          data_format="NCHW", dilations=dilations) for g in range(groups)], 1)
    if bias is not None:
        y = y + S.reshape(convert_to_tensor(bias), [1, -1, 1, 1])
    return _unbatched(y, added)


def conv1d(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None, stride: IntOrInts = 1,  # noqa: A002
           padding: ConvPadding = 0, dilation: IntOrInts = 1, groups: int = 1) -> Tensor:
    """Cross-correlation of [N, C_in, L] with a [C_out, C_in / groups, k] weight."""
    x, added = _batched(input, 1, "conv1d")
    pad = padding if isinstance(padding, str) else (0, _one(padding))
    y = conv2d(S.expand_dims(x, 2), S.expand_dims(convert_to_tensor(weight), 2), bias, (1, _one(stride)), pad,
               (1, _one(dilation)), groups)
    return _unbatched(S.squeeze(y, [2]), added)


def conv_transpose2d(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None,  # noqa: A002
                     stride: IntOrInts = 1, padding: IntOrInts = 0, output_padding: IntOrInts = 0, groups: int = 1,
                     dilation: IntOrInts = 1) -> Tensor:
    """The gradient of a convolution: [N, C_in, H, W] -> [N, C_out, H_out, W_out], weight
    [C_in, C_out / groups, kh, kw], ``H_out = (H - 1) stride - 2 padding + dilation (k - 1) +
    output_padding + 1``."""
    x, added = _batched(input, 2, "conv_transpose2d")
    w = convert_to_tensor(weight)
    h, wd = x.shape.as_list()[2:]
    if h is None or wd is None:
        raise ValueError(f"F.conv_transpose2d needs static spatial dims, got {x.shape} ({x.name})")
    cin, cout_g, kh, kw = w.shape.as_list()
    (sh, sw), (dh, dw) = _pair(stride, "stride"), _pair(dilation, "dilation")
    full_h, full_w = (h - 1) * sh + dh * (kh - 1) + 1, (wd - 1) * sw + dw * (kw - 1) + 1
    filt = S.transpose(w, [2, 3, 1, 0])  # [in, out, kh, kw] -> [kh, kw, out, in]
    n = S.shape(x)[0]
    cin_g = cin // groups

    def one(xg: Tensor, fg: Tensor) -> Tensor:
        return conv2d_transpose(xg, fg, stack([n, cout_g, full_h, full_w]), (sh, sw), "VALID",
                                data_format="NCHW", dilations=(dh, dw))
    y = one(x, filt) if groups == 1 else \
        concat([one(x[:, g * cin_g:(g + 1) * cin_g], filt[:, :, :, g * cin_g:(g + 1) * cin_g])
                for g in range(groups)], 1)
    (ph, pw), (oh, ow) = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    if oh or ow:
        y = _pad(y, [[0, 0], [0, 0], [0, oh], [0, ow]])
    y = y[:, :, ph:full_h + oh - ph, pw:full_w + ow - pw]
    if bias is not None:
        y = y + S.reshape(convert_to_tensor(bias), [1, -1, 1, 1])
    return _unbatched(y, added)


# ---- pooling -------------------------------------------------------------------------------------

def _ceil_extra(size: int | None, k: int, s: int, p: int) -> int:
    """The extra padding after the input that ``ceil_mode`` needs (PyTorch's rule: the last
    window starts inside the input or its left padding)."""
    if size is None:
        raise ValueError("ceil_mode=True needs static spatial dims")
    out = -(-(size + 2 * p - k) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + k - (size + 2 * p))


def _pool_geometry(x: Tensor, kernel_size: IntOrInts, stride: IntOrInts | None, padding: IntOrInts,
                   ceil_mode: bool) -> tuple[tuple[int, int], tuple[int, int], list[list[int]]]:
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if stride is not None and stride != [] else k
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"pad should be at most half of the effective kernel size, got padding {p} for kernel {k}")
    h, w = x.shape.as_list()[2:]
    extra = (_ceil_extra(h, k[0], s[0], p[0]), _ceil_extra(w, k[1], s[1], p[1])) if ceil_mode else (0, 0)
    return k, s, [[0, 0], [0, 0], [p[0], p[0] + extra[0]], [p[1], p[1] + extra[1]]]


def max_pool2d(input: TensorLike, kernel_size: IntOrInts, stride: IntOrInts | None = None,  # noqa: A002
               padding: IntOrInts = 0, dilation: IntOrInts = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """The window maximum; the padding never wins (it is -inf)."""
    if _pair(dilation, "dilation") != (1, 1) or return_indices:
        raise ValueError("F.max_pool2d supports dilation=1 and return_indices=False")
    x, added = _batched(input, 2, "max_pool2d")
    k, s, pads = _pool_geometry(x, kernel_size, stride, padding, ceil_mode)
    if any(a or b for a, b in pads):
        x = _pad(x, pads, constant_values=-np.inf)
    return _unbatched(max_pool(x, k, s, "VALID", "NCHW"), added)


def avg_pool2d(input: TensorLike, kernel_size: IntOrInts, stride: IntOrInts | None = None,  # noqa: A002
               padding: IntOrInts = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The window mean; zero padding counts unless ``count_include_pad=False``."""
    x, added = _batched(input, 2, "avg_pool2d")
    k, s, pads = _pool_geometry(x, kernel_size, stride, padding, ceil_mode)
    if ceil_mode and any(b != a for a, b in pads[2:]):
        raise ValueError("F.avg_pool2d(ceil_mode=True) is supported only where it adds no partial window")

    def mean(t: Tensor) -> Tensor:
        if any(a or b for a, b in pads):
            t = _pad(t, pads)
        return avg_pool(t, k, s, "VALID", "NCHW")
    y = mean(x)
    if not count_include_pad and any(a or b for a, b in pads):
        y = y / mean(ST.ones_like(x))  # the share of each window inside the input
    if divisor_override is not None:
        y = y * (k[0] * k[1] / divisor_override)
    return _unbatched(y, added)


def _as_2d(fn: Callable[..., Tensor], input: TensorLike, what: str, *args: object,  # noqa: A002
           **kwargs: object) -> Tensor:
    """A 1-D pooling as the 2-D one over a height of 1."""
    x, added = _batched(input, 1, what)
    return _unbatched(S.squeeze(fn(S.expand_dims(x, 2), *args, **kwargs), [2]), added)


def max_pool1d(input: TensorLike, kernel_size: IntOrInts, stride: IntOrInts | None = None,  # noqa: A002
               padding: IntOrInts = 0, dilation: IntOrInts = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    st = (1, _one(stride)) if stride is not None else None
    return _as_2d(max_pool2d, input, "max_pool1d", (1, _one(kernel_size)), st, (0, _one(padding)),
                  (1, _one(dilation)), ceil_mode, return_indices)


def avg_pool1d(input: TensorLike, kernel_size: IntOrInts, stride: IntOrInts | None = None,  # noqa: A002
               padding: IntOrInts = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    st = (1, _one(stride)) if stride is not None else None
    return _as_2d(avg_pool2d, input, "avg_pool1d", (1, _one(kernel_size)), st, (0, _one(padding)), ceil_mode,
                  count_include_pad)


def _adaptive_axis(x: Tensor, axis: int, out: int | None, reduce: Callable[..., Tensor]) -> Tensor:
    """PyTorch's adaptive bins along one axis: bin i covers [floor(i n / out), ceil((i + 1) n / out))."""
    n = x.shape.as_list()[axis]
    if out is None or out == n:
        return x
    if n is None:
        raise ValueError(f"adaptive pooling needs static spatial dims, got {x.shape} ({x.name})")
    idx: list[slice] = [slice(None)] * x.shape.rank
    bins = []
    for i in range(out):
        idx[axis] = slice((i * n) // out, -(-((i + 1) * n) // out))
        bins.append(reduce(x[tuple(idx)], axis=axis))
    return stack(bins, axis)


def _adaptive(input: TensorLike, output_size: int | Sequence[int | None] | None, spatial: int,  # noqa: A002
              reduce: Callable[..., Tensor], what: str) -> Tensor:
    x, added = _batched(input, spatial, what)
    sizes = [output_size] * spatial if isinstance(output_size, (int, np.integer)) or output_size is None else \
        list(output_size)
    for d, o in enumerate(sizes):
        x = _adaptive_axis(x, 2 + d, None if o is None else int(o), reduce)
    return _unbatched(x, added)


def adaptive_avg_pool2d(input: TensorLike, output_size: int | Sequence[int | None] | None) -> Tensor:  # noqa: A002
    return _adaptive(input, output_size, 2, R.reduce_mean, "adaptive_avg_pool2d")


def adaptive_max_pool2d(input: TensorLike, output_size: int | Sequence[int | None] | None,  # noqa: A002
                        return_indices: bool = False) -> Tensor:
    if return_indices:
        raise ValueError("F.adaptive_max_pool2d supports return_indices=False")
    return _adaptive(input, output_size, 2, R.reduce_max, "adaptive_max_pool2d")


def adaptive_avg_pool1d(input: TensorLike, output_size: int | Sequence[int | None] | None) -> Tensor:  # noqa: A002
    return _adaptive(input, output_size, 1, R.reduce_mean, "adaptive_avg_pool1d")


# ---- padding and resizing ------------------------------------------------------------------------

def pad(input: TensorLike, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (last_before, last_after, second_last_before,
    ...)``; ``mode`` "constant", "reflect", "replicate" or "circular"."""
    x = convert_to_tensor(input)
    pairs = [int(v) for v in pad]
    if len(pairs) % 2 or len(pairs) // 2 > (x.shape.rank or 0):
        raise ValueError(f"F.pad: pad {tuple(pairs)} must hold a (before, after) pair for at most "
                         f"{x.shape.rank} dims of {x.name}")
    r = x.shape.rank
    per_dim = [[0, 0] for _ in range(r)]
    for i in range(len(pairs) // 2):
        per_dim[r - 1 - i] = [pairs[2 * i], pairs[2 * i + 1]]
    if mode == "constant":
        return _pad(x, per_dim, constant_values=0 if value is None else value)
    if mode == "reflect":
        return _pad(x, per_dim, mode="REFLECT")
    if mode not in ("replicate", "circular"):
        raise ValueError(f"F.pad mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    for d, (a, b) in enumerate(per_dim):
        if a or b:
            n = S.shape(x)[d]
            src = ST.range(-a, n + b)
            src = M.clip_by_value(src, 0, n - 1) if mode == "replicate" else M.floormod(src, n)
            x = gather(x, src, axis=d)
    return x


def interpolate(input: TensorLike, size: IntOrInts | None = None,  # noqa: A002
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of [N, C, ...] by nearest neighbour (PyTorch's "nearest": source
    index ``floor(i * in / out)``, or ``floor(i / scale_factor)`` when a factor is given)."""
    if mode != "nearest":
        raise ValueError(f"F.interpolate supports mode='nearest', got {mode!r}")
    x = convert_to_tensor(input)
    spatial = x.shape.as_list()[2:]
    if any(d is None for d in spatial):
        raise ValueError(f"F.interpolate needs static spatial dims, got {x.shape} ({x.name})")
    if (size is None) == (scale_factor is None):
        raise ValueError("F.interpolate: give exactly one of size and scale_factor")
    for d, n in enumerate(spatial):
        if size is not None:
            out = int(size if isinstance(size, (int, np.integer)) else size[d])
            src = [min(int(math.floor(i * n / out)), n - 1) for i in range(out)]
        else:
            f = float(scale_factor if isinstance(scale_factor, (int, float)) else scale_factor[d])
            out = int(math.floor(n * f))
            src = [min(int(math.floor(i / f)), n - 1) for i in range(out)]
        x = gather(x, ST.constant(np.array(src, np.int32), _dt.int32), axis=2 + d)
    return x
