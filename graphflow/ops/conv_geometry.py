"""The convolution and pooling primitives' attributes, TF1's output-size and padding rules, and
their numpy references (the test oracle): what the op rows, the CPU and CUDA rules and the
references all read, defined once.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

Padding = Union[str, tuple[tuple[int, int], tuple[int, int]]]  # "SAME", "VALID" or ((t, b), (l, r))
Sizes = Union[tuple[Union[int, None], ...], None]
# what the builders accept for strides, ksize and dilations: an int, or 1, 2 or 4 ints (None: 1)
IntOrInts = Union[int, Sequence[int]]
# what the builders accept for padding: "SAME", "VALID", or explicit (before, after) pairs
PaddingLike = Union[str, Sequence[Sequence[int]]]


@dataclass(frozen=True)
class ConvAttrs:
    strides: tuple[int, int]
    dilations: tuple[int, int]
    padding: Padding
    sizes: Sizes = None  # backprop ops: static dims of the result (None where known at run time)


@dataclass(frozen=True)
class PoolAttrs:
    ksize: tuple[int, int]
    strides: tuple[int, int]
    padding: Padding
    sizes: Sizes = None  # AVG_POOL_GRAD: static dims of the result
    gather: bool = False  # MAX_POOL_GRAD: read the gradient at the winners instead of scattering


# ---- geometry (TF1's output-size and padding rules) ---------------------------------------------

def pads(padding: Padding) -> tuple[bool, tuple[int, int], tuple[int, int]]:
    if padding == "SAME":
        return True, (0, 0), (0, 0)
    if padding == "VALID":
        return False, (0, 0), (0, 0)
    return False, padding[0], padding[1]  # type: ignore[return-value]


def window(size: int, k: int, stride: int, dilation: int, same: bool, before: int,
           after: int) -> tuple[int, int]:
    """TF1's output-size rule along one spatial dim: (output size, padding before). SAME gives
    ceil(size / stride) outputs and pads total//2 before; otherwise the padding is explicit
    (VALID is explicit zeros). The output size is -1 when the window does not fit.

    The one copy of the rule: plain integer arithmetic, so the shape rules and references call it
    here and the CPU target's generated code calls it compiled (``compiler/cpu/conv_kernels.py``
    jits this function)."""
    eff = (k - 1) * dilation + 1
    if same:
        out = (size + stride - 1) // stride
        return out, max((out - 1) * stride + eff - size, 0) // 2
    span = size + before + after - eff
    if span < 0:
        return -1, before
    return span // stride + 1, before


def geometry(size: int | None, k: int | None, stride: int, dilation: int, padding: Padding,
             axis: int) -> tuple[int | None, int]:
    """(output size or None if unknown, padding before) along spatial ``axis`` (0 rows, 1 columns):
    ``window`` for known sizes, and a clear error where the window does not fit."""
    same, *pairs = pads(padding)
    before, after = pairs[axis]
    if size is None or k is None:
        return (None if not same or size is None else -(-size // stride)), before
    out, before = window(size, k, stride, dilation, same, before, after)
    if out < 0:
        what = "height" if axis == 0 else "width"
        eff = (k - 1) * dilation + 1
        raise ValueError(f"the {'dilated ' if dilation > 1 else ''}window {what} {eff} is larger than the "
                         f"padded input {what} {size + before + after}")
    return out, before


# ---- numpy references (explicit padding + sliding windows) ---------------------------------------

def _refgeometry(h: int, w: int, kh: int, kw: int, at: ConvAttrs | PoolAttrs,
                  dil: tuple[int, int]) -> tuple[int, int, int, int]:
    oh, pt = geometry(h, kh, at.strides[0], dil[0], at.padding, 0)
    ow, pl = geometry(w, kw, at.strides[1], dil[1], at.padding, 1)
    return oh, ow, pt, pl  # type: ignore[return-value]


def _padded(x: np.ndarray, oh: int, ow: int, kh: int, kw: int, pt: int, pl: int, at: ConvAttrs | PoolAttrs,
            dil: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """``x`` padded so that every window of every output lies inside it."""
    need_h = (oh - 1) * at.strides[0] + (kh - 1) * dil[0] + 1
    need_w = (ow - 1) * at.strides[1] + (kw - 1) * dil[1] + 1
    pb = max(need_h - pt - x.shape[1], 0)
    pr = max(need_w - pl - x.shape[2], 0)
    return np.pad(x, [(0, 0), (pt, pb), (pl, pr), (0, 0)], constant_values=value)


def _window(p: int, q: int, oh: int, ow: int, at: ConvAttrs | PoolAttrs,
            dil: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
    """Index of kernel tap (p, q) for all outputs at once."""
    sh, sw = at.strides
    y0, x0 = p * dil[0], q * dil[1]
    return (slice(None), slice(y0, y0 + (oh - 1) * sh + 1, sh), slice(x0, x0 + (ow - 1) * sw + 1, sw),
            slice(None))


def _conv_ref(at: ConvAttrs, x: np.ndarray, f: np.ndarray) -> np.ndarray:
    kh, kw, _, o = f.shape
    oh, ow, pt, pl = _refgeometry(x.shape[1], x.shape[2], kh, kw, at, at.dilations)
    xp = _padded(x, oh, ow, kh, kw, pt, pl, at, at.dilations)
    out = np.zeros((x.shape[0], oh, ow, o), dtype=np.result_type(x, f))
    for p in range(kh):
        for q in range(kw):
            out += xp[_window(p, q, oh, ow, at, at.dilations)] @ f[p, q]
    return out


def _backprop_input_ref(at: ConvAttrs, sizes: np.ndarray, f: np.ndarray, dy: np.ndarray) -> np.ndarray:
    n, h, w, c = (int(v) for v in sizes)
    kh, kw = f.shape[:2]
    oh, ow, pt, pl = _refgeometry(h, w, kh, kw, at, at.dilations)
    dxp = _padded(np.zeros((n, h, w, c), dy.dtype), oh, ow, kh, kw, pt, pl, at, at.dilations)
    for p in range(kh):
        for q in range(kw):
            dxp[_window(p, q, oh, ow, at, at.dilations)] += dy @ f[p, q].T
    return dxp[:, pt:pt + h, pl:pl + w]


def _backprop_filter_ref(at: ConvAttrs, x: np.ndarray, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
    kh, kw, c, o = (int(v) for v in sizes)
    oh, ow, pt, pl = _refgeometry(x.shape[1], x.shape[2], kh, kw, at, at.dilations)
    xp = _padded(x, oh, ow, kh, kw, pt, pl, at, at.dilations)
    out = np.zeros((kh, kw, c, o), dtype=dy.dtype)
    for p in range(kh):
        for q in range(kw):
            out[p, q] = np.tensordot(xp[_window(p, q, oh, ow, at, at.dilations)], dy, axes=([0, 1, 2], [0, 1, 2]))
    return out


def _taps(x: np.ndarray, at: PoolAttrs, value: float) -> tuple[np.ndarray, list[Any], int, int, int, int]:
    """Every window tap of ``x`` stacked on a new leading axis (row-major over the window)."""
    kh, kw = at.ksize
    oh, ow, pt, pl = _refgeometry(x.shape[1], x.shape[2], kh, kw, at, (1, 1))
    xp = _padded(x, oh, ow, kh, kw, pt, pl, at, (1, 1), value)
    idx = [_window(p, q, oh, ow, at, (1, 1)) for p in range(kh) for q in range(kw)]
    return np.stack([xp[i] for i in idx]), idx, oh, ow, pt, pl


def _max_pool_ref(at: PoolAttrs, x: np.ndarray) -> np.ndarray:
    return _taps(x, at, -np.inf)[0].max(axis=0).astype(x.dtype)


def _max_pool_grad_ref(at: PoolAttrs, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    taps, idx, oh, ow, pt, pl = _taps(x, at, -np.inf)
    winner = taps.argmax(axis=0)  # first maximum, as TF1
    h, w = x.shape[1], x.shape[2]
    if at.gather:
        gp = _padded(g, oh, ow, *at.ksize, pt, pl, at, (1, 1))
        return np.sum([np.where(winner == k, gp[i], 0) for k, i in enumerate(idx)], axis=0).astype(g.dtype)
    dxp = _padded(np.zeros(x.shape, g.dtype), oh, ow, *at.ksize, pt, pl, at, (1, 1))
    for k, i in enumerate(idx):
        dxp[i] += np.where(winner == k, g, 0)
    return dxp[:, pt:pt + h, pl:pl + w]


def _avg_pool_ref(at: PoolAttrs, x: np.ndarray) -> np.ndarray:
    taps = _taps(x, at, 0.0)[0]
    count = _taps(np.ones(x.shape[:3] + (1,)), at, 0.0)[0].sum(axis=0)
    return (taps.sum(axis=0) / count).astype(x.dtype)


def _avg_pool_grad_ref(at: PoolAttrs, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
    n, h, w, c = (int(v) for v in sizes)
    _, idx, oh, ow, pt, pl = _taps(np.zeros((n, h, w, 1)), at, 0.0)
    count = _taps(np.ones((n, h, w, 1)), at, 0.0)[0].sum(axis=0)
    dxp = _padded(np.zeros((n, h, w, c), dy.dtype), oh, ow, *at.ksize, pt, pl, at, (1, 1))
    for i in idx:
        dxp[i] += dy / count
    return dxp[:, pt:pt + h, pl:pl + w]
