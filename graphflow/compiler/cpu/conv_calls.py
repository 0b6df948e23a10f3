"""Convolutions as the Python glue runs them: the direct SIMD kernels (``simd/conv.py``) where they
serve the dtype and shape, otherwise im2col: the chunk loop in Python, the column copies in the
jitted ``conv_kernels._im2col`` / ``_col2im``, the products in ``blas.gemm``.

The direct kernels run on as many threads as the step's BLAS may use (``gemm_threads.STEP_THREADS``,
which the runtime's load policy sets per step: a core another process keeps busy is not counted),
splitting the batch. They serve float32 and float64 on hosts with vectors of 4 or more, where the
channels they write (the forward's and filter gradient's output channels, the input gradient's
input channels), rounded up to whole tiles, at most double the work im2col does
(``simd.conv.worth``); the input gradient needs unit strides.

The glue's convolution kernels are loop-free and run as Python (``kernels.interpretable``); with
them calling these instead of ``conv_kernels.conv2d`` and its gradients, numba never compiles
those three drivers (0.7-0.9 s each, since each instantiates ``np.dot`` and the allocator for
its layouts): the only jitted code is the two copy loops and one GEMM, shared by every
convolution. A chunk costs a few microseconds of Python, and there are one to a few dozen per
call. ``blas.gemm`` lets the filter gradient accumulate over chunks in BLAS (beta 1) and the input
gradient read the filter transposed without a copy. Inline entries (small graphs, one njit
function) keep calling ``conv_kernels``' jitted drivers, which compute the same.
"""
from __future__ import annotations

import numpy as np

from graphflow.compiler.cpu import conv_kernels as _ck
from graphflow.compiler.cpu import split
from graphflow.compiler.cpu.blas import gemm
from graphflow.compiler.cpu.simd import conv as _direct

geometry = _ck.geometry.py_func  # plain arithmetic: nothing to compile
_images_per_chunk = _ck._images_per_chunk.py_func


def _direct_for(dtype: np.dtype, channels: int, pixels: int = 1, im2col_pixels: int = 1) -> bool:
    return _direct.usable(dtype) and _direct.worth(channels, dtype, pixels, im2col_pixels)


def conv2d(x: np.ndarray, f: np.ndarray, sh: int, sw: int, dh: int, dw: int, pt: int, pl: int, oh: int,
           ow: int) -> np.ndarray:
    """NHWC input, HWIO filter -> (n, oh, ow, o), as ``conv_kernels.conv2d``."""
    if _direct_for(x.dtype, f.shape[3]):
        return _direct.conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow, split.step_threads())
    return im2col_conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow)


def conv2d_backprop_input(dy: np.ndarray, f: np.ndarray, n: int, h: int, w: int, sh: int, sw: int, dh: int, dw: int,
                          pt: int, pl: int) -> np.ndarray:
    """Gradient of :func:`conv2d` in its (n, h, w, c) input."""
    if _direct_for(dy.dtype, f.shape[2], h * w, dy.shape[1] * dy.shape[2]):
        dx = _direct.conv2d_backprop_input(dy, f, n, h, w, sh, sw, dh, dw, pt, pl, split.step_threads())
        if dx is not None:
            return dx
    return im2col_backprop_input(dy, f, n, h, w, sh, sw, dh, dw, pt, pl)


def conv2d_backprop_filter(x: np.ndarray, dy: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                           pt: int, pl: int) -> np.ndarray:
    """Gradient of :func:`conv2d` in its (kh, kw, c, o) filter."""
    if _direct_for(x.dtype, dy.shape[3]):
        return _direct.conv2d_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl, split.step_threads())
    return im2col_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl)


def im2col_conv2d(x: np.ndarray, f: np.ndarray, sh: int, sw: int, dh: int, dw: int, pt: int, pl: int, oh: int,
                  ow: int) -> np.ndarray:
    """:func:`conv2d` as column copies and one GEMM per chunk of images."""
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    k, per = kh * kw * c, oh * ow
    f2 = f.reshape(k, o)
    out = np.empty((n * per, o), dtype=x.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=x.dtype)
    xf, colsf = x.reshape(-1), cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        _ck._im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf)
        gemm(cols[:(b1 - b0) * per], False, f2, False, out[b0 * per:b1 * per], 1.0, 0.0)
    return out.reshape(n, oh, ow, o)


def im2col_backprop_input(dy: np.ndarray, f: np.ndarray, n: int, h: int, w: int, sh: int, sw: int, dh: int, dw: int,
                          pt: int, pl: int) -> np.ndarray:
    """Gradient of :func:`conv2d` in its (n, h, w, c) input: dy @ F^T per chunk, then col2im."""
    kh, kw, c, o = f.shape
    oh, ow = dy.shape[1], dy.shape[2]
    k, per = kh * kw * c, oh * ow
    f2 = f.reshape(k, o)
    dy2 = dy.reshape(n * per, o)
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=dy.dtype)
    outf, colsf = out.reshape(-1), cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        gemm(dy2[b0 * per:b1 * per], False, f2, True, cols[:(b1 - b0) * per], 1.0, 0.0)
        _ck._col2im(colsf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, outf)
    return out


def im2col_backprop_filter(x: np.ndarray, dy: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                           pt: int, pl: int) -> np.ndarray:
    """Gradient of :func:`conv2d` in its (kh, kw, c, o) filter: cols^T @ dy summed over chunks by
    BLAS itself (beta 1 after the first)."""
    n, h, w, c = x.shape
    oh, ow, o = dy.shape[1], dy.shape[2], dy.shape[3]
    k, per = kh * kw * c, oh * ow
    dy2 = dy.reshape(n * per, o)
    acc = np.zeros((k, o), dtype=dy.dtype)
    bc = 1 if k * o <= _ck.SMALL_FILTER else _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=x.dtype)
    xf, colsf = x.reshape(-1), cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        _ck._im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf)
        gemm(cols[:(b1 - b0) * per], True, dy2[b0 * per:b1 * per], False, acc, 1.0, 0.0 if b0 == 0 else 1.0)
    return acc.reshape(kh, kw, c, o)


POOL_SPLIT = 1 << 17  # input elements from which a max pool (or its gradient) splits its batch


def _pool_threads(x: np.ndarray) -> int:
    return split.step_threads() if x.size >= POOL_SPLIT else 1


def max_pool(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, pt: int, pl: int, oh: int, ow: int) -> np.ndarray:
    """``conv_kernels.max_pool``, its batch split between the step's threads when large."""
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    split.run(x.shape[0], _pool_threads(x),
              lambda _, lo, hi: _ck.max_pool_into(x, kh, kw, sh, sw, pt, pl, oh, ow, out, lo, hi))
    return out


def max_pool_route(x: np.ndarray, g: np.ndarray, gather: bool, kh: int, kw: int, sh: int, sw: int, pt: int, pl: int,
                   oh: int, ow: int) -> np.ndarray:
    """``conv_kernels.max_pool_route``, its batch split between the step's threads when large."""
    n, h, w, c = x.shape
    if not gather and tiles(kh, kw, sh, sw, pt, pl, h, w, oh, ow):
        out = np.empty((n, h, w, c), dtype=g.dtype)
        split.run(n, _pool_threads(x),
                  lambda _, lo, hi: _ck.max_pool_scatter_tiled_into(x, g, kh, kw, oh, ow, out, lo, hi))
        return out
    out = np.empty((n, oh, ow, c), dtype=g.dtype) if gather else np.zeros((n, h, w, c), dtype=g.dtype)
    split.run(n, _pool_threads(x),
              lambda _, lo, hi: _ck.max_pool_route_into(x, g, gather, kh, kw, sh, sw, pt, pl, oh, ow, out, lo, hi))
    return out


def tiles(kh: int, kw: int, sh: int, sw: int, pt: int, pl: int, h: int, w: int, oh: int, ow: int) -> bool:
    """Whether pooling windows tile the input: each cell under at most one window, none in the
    padding."""
    return kh == sh and kw == sw and pt == 0 and pl == 0 and oh * kh <= h and ow * kw <= w
