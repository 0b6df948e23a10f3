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

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


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


# Column matrices are built a few images at a time into one reused buffer of about this many
# elements: a whole-batch matrix (40 MB for the MNIST CNN's second layer) costs more in page faults
# and cache misses than the matrix product that reads it.
CHUNK_ELEMS = 1 << 22


@_jit
def _images_per_chunk(n, rows_per_image, k):  # type: ignore[no-untyped-def]
    """Images per chunk, evened out so the last chunk is not a sliver."""
    chunks = max(1, (n * rows_per_image * k + CHUNK_ELEMS - 1) // CHUNK_ELEMS)
    chunks = min(chunks, max(n, 1))
    return max(1, (n + chunks - 1) // chunks)


@_jit
def _im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf):  # type: ignore[no-untyped-def]
    """Rows of the column matrix for images b0..b1-1 into flat ``colsf``: row (b, i, j) holds the
    receptive field of output (b, i, j) in (kernel row, kernel column, channel) order; padding
    reads as zero. With no column dilation a kernel row is one contiguous run of the image."""
    k = kh * kw * c
    run = kw * c
    r = 0
    for b in range(b0, b1):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    y = i * sh - pt + p * dh
                    dst = r * k + p * run
                    if y < 0 or y >= h:
                        colsf[dst:dst + run] = 0
                        continue
                    row = ((b * h) + y) * w
                    x0 = j * sw - pl
                    if dw == 1:
                        q0 = min(max(0, -x0), kw)
                        q1 = max(min(kw, w - x0), q0)
                        colsf[dst:dst + q0 * c] = 0
                        src = (row + x0 + q0) * c
                        colsf[dst + q0 * c:dst + q1 * c] = xf[src:src + (q1 - q0) * c]
                        colsf[dst + q1 * c:dst + run] = 0
                    else:
                        for q in range(kw):
                            xx = x0 + q * dw
                            d = dst + q * c
                            if 0 <= xx < w:
                                colsf[d:d + c] = xf[(row + xx) * c:(row + xx + 1) * c]
                            else:
                                colsf[d:d + c] = 0
                r += 1


@_jit
def _col2im(colsf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, outf):  # type: ignore[no-untyped-def]
    """The adjoint of :func:`_im2col`: add each row back onto the flat (n, h, w, c) ``outf``."""
    k = kh * kw * c
    r = 0
    for b in range(b0, b1):
        for i in range(oh):
            for j in range(ow):
                for p in range(kh):
                    y = i * sh - pt + p * dh
                    if y < 0 or y >= h:
                        continue
                    row = ((b * h) + y) * w
                    src = r * k + p * kw * c
                    x0 = j * sw - pl
                    if dw == 1:
                        q0 = min(max(0, -x0), kw)
                        q1 = max(min(kw, w - x0), q0)
                        d = outf[(row + x0 + q0) * c:(row + x0 + q1) * c]
                        d += colsf[src + q0 * c:src + q1 * c]
                    else:
                        for q in range(kw):
                            xx = x0 + q * dw
                            if 0 <= xx < w:
                                d = outf[(row + xx) * c:(row + xx + 1) * c]
                                d += colsf[src + q * c:src + (q + 1) * c]
                r += 1


@_jit
def conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """NHWC input, HWIO filter -> (n, oh, ow, o): im2col a chunk of images, one GEMM per chunk."""
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    k = kh * kw * c
    per = oh * ow
    f2 = f.reshape(k, o)
    out = np.empty((n * per, o), dtype=x.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=x.dtype)
    xf = x.reshape(-1)
    colsf = cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        _im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf)
        np.dot(cols[:(b1 - b0) * per], f2, out[b0 * per:b1 * per])
    return out.reshape(n, oh, ow, o)


@_jit
def conv2d_backprop_input(dy, f, n, h, w, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (n, h, w, c) input: dy @ F^T, then col2im."""
    kh, kw, c, o = f.shape
    oh, ow = dy.shape[1], dy.shape[2]
    k = kh * kw * c
    per = oh * ow
    ft = np.ascontiguousarray(f.reshape(k, o).T)
    dy2 = dy.reshape(n * per, o)
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=dy.dtype)
    outf = out.reshape(-1)
    colsf = cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        rows = (b1 - b0) * per
        np.dot(dy2[b0 * per:b1 * per], ft, cols[:rows])
        _col2im(colsf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, outf)
    return out


@_jit
def conv2d_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (kh, kw, c, o) filter: sum of dy^T @ cols
    over chunks (computed transposed: the long dim is the inner one of both operands)."""
    n, h, w, c = x.shape
    oh, ow, o = dy.shape[1], dy.shape[2], dy.shape[3]
    k = kh * kw * c
    per = oh * ow
    dy2 = dy.reshape(n * per, o)
    acc = np.zeros((o, k), dtype=dy.dtype)
    part = np.empty((o, k), dtype=dy.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=x.dtype)
    xf = x.reshape(-1)
    colsf = cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        _im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf)
        np.dot(dy2[b0 * per:b1 * per].T, cols[:(b1 - b0) * per], part)
        acc += part
    return np.ascontiguousarray(acc.T).reshape(kh, kw, c, o)


# ---- pooling -----------------------------------------------------------------------------------


@_jit
def max_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """Window maxima; padding never wins (a NaN in a window propagates)."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), dtype=x.dtype)
    for b in range(n):
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


@_jit
def max_pool_route(x, g, gather, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """The max-pool gradient and its adjoint. Each window's winner is its first maximum in
    row-major scan order (TF1). ``gather`` False: scatter-add ``g`` (pooled shape) onto the
    winners, giving the input's shape; True: read ``g`` (input shape) at the winners."""
    n, h, w, c = x.shape
    if gather:
        out = np.empty((n, oh, ow, c), dtype=g.dtype)
    else:
        out = np.zeros((n, h, w, c), dtype=g.dtype)
    for b in range(n):
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


@_jit
def avg_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    n, h, w, c = x.shape
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for b in range(n):
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


@_jit
def avg_pool_grad(dy, n, h, w, kh, kw, sh, sw, pt, pl):  # type: ignore[no-untyped-def]
    """Spread each pooled gradient evenly over its window's non-padding cells."""
    oh, ow, c = dy.shape[1], dy.shape[2], dy.shape[3]
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    for b in range(n):
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
