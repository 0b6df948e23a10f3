"""Numba kernels for convolution and pooling, called by the generated CPU code (conv_ops emitters).

Layout is NHWC throughout (NCHW is transposed around these by the public functions). Convolutions
are im2col + one BLAS matrix product (``np.dot`` lowers to SciPy's BLAS); the gathers and
scatters that build and undo the column matrix run in parallel over images. Every function is
specialised only on dtype (all arrays are rank 4), so each compiles once and is cached on disk.

Geometry arguments: ``sh, sw`` strides, ``dh, dw`` dilations, ``pt, pl`` the padding before the
first row/column (padding after is implied by the output size ``oh, ow``).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)
_pjit = numba.njit(cache=True, error_model="numpy", nogil=True, parallel=True)


@_jit
def geometry(size, k, stride, dilation, same, pad_before, pad_after):  # type: ignore[no-untyped-def]
    """(output size, padding before) along one spatial dim, TF1's rules: SAME gives
    ceil(size / stride) outputs and pads total//2 before; otherwise the padding is explicit
    (VALID is explicit zeros). The output size is negative when the window does not fit."""
    eff = (k - 1) * dilation + 1
    if same:
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2
    span = size + pad_before + pad_after - eff
    if span < 0:
        return -1, pad_before
    return span // stride + 1, pad_before


@_pjit
def im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """Column matrix (n*oh*ow, kh*kw*c): row (b, i, j) holds the receptive field of output
    (b, i, j) in (kernel row, kernel column, channel) order; padding reads as zero."""
    n, h, w, c = x.shape
    cols = np.empty((n * oh * ow, kh * kw * c), dtype=x.dtype)
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                row = cols[(b * oh + i) * ow + j]
                for p in range(kh):
                    y = i * sh - pt + p * dh
                    for q in range(kw):
                        xx = j * sw - pl + q * dw
                        base = (p * kw + q) * c
                        if 0 <= y < h and 0 <= xx < w:
                            src = x[b, y, xx]
                            for ch in range(c):
                                row[base + ch] = src[ch]
                        else:
                            for ch in range(c):
                                row[base + ch] = 0
    return cols


@_pjit
def col2im(cols, n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """The adjoint of :func:`im2col`: scatter-add each column row back onto an (n, h, w, c) image
    (parallel over images, so no two threads touch the same cell)."""
    out = np.zeros((n, h, w, c), dtype=cols.dtype)
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                row = cols[(b * oh + i) * ow + j]
                for p in range(kh):
                    y = i * sh - pt + p * dh
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q * dw
                        if xx < 0 or xx >= w:
                            continue
                        dst = out[b, y, xx]
                        base = (p * kw + q) * c
                        for ch in range(c):
                            dst[ch] += row[base + ch]
    return out


@_jit
def conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """NHWC input, HWIO filter -> (n, oh, ow, o)."""
    kh, kw, c, o = f.shape
    n = x.shape[0]
    cols = im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow)
    return np.dot(cols, f.reshape(kh * kw * c, o)).reshape(n, oh, ow, o)


@_jit
def conv2d_backprop_input(dy, f, n, h, w, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (n, h, w, c) input: dy @ F^T, then col2im."""
    kh, kw, c, o = f.shape
    oh, ow = dy.shape[1], dy.shape[2]
    dcols = np.dot(dy.reshape(n * oh * ow, o), f.reshape(kh * kw * c, o).T)
    return col2im(dcols, n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow)


@_jit
def conv2d_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (kh, kw, c, o) filter: cols^T @ dy."""
    n, oh, ow, o = dy.shape
    c = x.shape[3]
    cols = im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow)
    return np.dot(cols.T, dy.reshape(n * oh * ow, o)).reshape(kh, kw, c, o)


# ---- pooling -----------------------------------------------------------------------------------


@_pjit
def max_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """Window maxima; padding never wins (a NaN in a window propagates)."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), dtype=x.dtype)
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                dst = out[b, i, j]
                for ch in range(c):
                    dst[ch] = -np.inf
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        src = x[b, y, xx]
                        for ch in range(c):
                            v = src[ch]
                            if v > dst[ch] or v != v:
                                dst[ch] = v
    return out


@_pjit
def max_pool_route(x, g, gather, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """The max-pool gradient and its adjoint. Each window's winner is its first maximum in
    row-major scan order (TF1). ``gather`` False: scatter-add ``g`` (pooled shape) onto the
    winners, giving the input's shape; True: read ``g`` (input shape) at the winners."""
    n, h, w, c = x.shape
    if gather:
        out = np.empty((n, oh, ow, c), dtype=g.dtype)
    else:
        out = np.zeros((n, h, w, c), dtype=g.dtype)
    for b in prange(n):
        best = np.empty(c, dtype=x.dtype)
        at = np.empty(c, dtype=np.int64)
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    best[ch] = -np.inf
                    at[ch] = -1
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        src = x[b, y, xx]
                        for ch in range(c):
                            v = src[ch]
                            if at[ch] < 0 or v > best[ch]:
                                best[ch] = v
                                at[ch] = y * w + xx
                for ch in range(c):
                    k = at[ch]
                    if gather:
                        out[b, i, j, ch] = g[b, k // w, k % w, ch] if k >= 0 else 0
                    elif k >= 0:
                        out[b, k // w, k % w, ch] += g[b, i, j, ch]
    return out


@_jit
def _window_count(i, j, kh, kw, sh, sw, pt, pl, h, w):  # type: ignore[no-untyped-def]
    """Number of non-padding cells under window (i, j) (the SAME-padding divisor, as TF1)."""
    y0 = i * sh - pt
    x0 = j * sw - pl
    rows = min(y0 + kh, h) - max(y0, 0)
    cols = min(x0 + kw, w) - max(x0, 0)
    return max(rows, 0) * max(cols, 0)


@_pjit
def avg_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    n, h, w, c = x.shape
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                dst = out[b, i, j]
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        src = x[b, y, xx]
                        for ch in range(c):
                            dst[ch] += src[ch]
                cnt = _window_count(i, j, kh, kw, sh, sw, pt, pl, h, w)
                scale = 1 / max(cnt, 1)
                for ch in range(c):
                    dst[ch] = dst[ch] * scale
    return out


@_pjit
def avg_pool_grad(dy, n, h, w, kh, kw, sh, sw, pt, pl):  # type: ignore[no-untyped-def]
    """Spread each pooled gradient evenly over its window's non-padding cells."""
    oh, ow, c = dy.shape[1], dy.shape[2], dy.shape[3]
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                src = dy[b, i, j]
                cnt = _window_count(i, j, kh, kw, sh, sw, pt, pl, h, w)
                scale = 1 / max(cnt, 1)
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        dst = out[b, y, xx]
                        for ch in range(c):
                            dst[ch] += src[ch] * scale
    return out
