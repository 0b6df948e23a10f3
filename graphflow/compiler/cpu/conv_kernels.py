"""Numba kernels for convolution and pooling, called by the generated CPU code (conv_ops emitters).

Layout is NHWC throughout (NCHW is transposed around these by the public functions). Convolutions
are im2col + BLAS matrix products (``blas.product``, on the BLAS every compiled GEMM uses),
a chunk of images at a time. The loops here are serial: numba's ``parallel=True`` halved the
pooling loops on an idle 2-core machine but made them 20x slower whenever another process held a
core (its OpenMP workers spin), while the loops are a small part of a convolution's time. Every
function is specialised only on dtype (arrays are rank 4), so each compiles once, cached on disk.

Geometry arguments: ``sh, sw`` strides, ``dh, dw`` dilations, ``pt, pl`` the padding before the
first row/column (padding after is implied by the output size ``oh, ow``).
"""
from __future__ import annotations

import numba
import numpy as np

from graphflow.compiler.cpu.blas import product
from graphflow.compiler.cpu.simd.vector import (
    host_lanes,
    vload_n,
    vselect_eq,
    vselect_gt,
    vsplat_at,
    vstore,
    vstore_n,
    vzero,
)
from graphflow.ops.conv_geometry import window

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)
U = np.uintp  # unsigned index: no negative-index wraparound check, so loops vectorise
LANES = max(4, host_lanes(np.float32))  # vector width of the pooling gradient (float64 too: LLVM splits)


# (output size, padding before) along one spatial dim: the op layer's rule, compiled
geometry = _jit(window)


# Column matrices are built a few images at a time into one reused buffer of about this many
# elements: a whole-batch matrix (40 MB for the MNIST CNN's second layer) costs more in page faults
# and cache misses than the matrix product that reads it.
CHUNK_ELEMS = 1 << 22
SMALL_FILTER = 1 << 12  # elements of a filter (kh * kw * c * o) below which its gradient goes per image


@_jit
def _images_per_chunk(n, rows_per_image, k):  # type: ignore[no-untyped-def]
    """Images per chunk, evened out so the last chunk is not a sliver."""
    chunks = max(1, (n * rows_per_image * k + CHUNK_ELEMS - 1) // CHUNK_ELEMS)
    chunks = min(chunks, max(n, 1))
    return max(1, (n + chunks - 1) // chunks)


@_jit
def _padded_width(w, kw, sw, dw, pl, ow):  # type: ignore[no-untyped-def]
    """Width of a zero-padded image row that holds every window of every output column."""
    return max((ow - 1) * sw + (kw - 1) * dw + 1, pl + w)


@_jit
def _im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf):  # type: ignore[no-untyped-def]
    """Rows of the column matrix for images b0..b1-1 into flat ``colsf``: row (b, i, j) holds the
    receptive field of output (b, i, j) in (kernel row, kernel column, channel) order; padding
    reads as zero. Each image row is first copied into a zero-padded row buffer, so the copies
    need no bounds logic. Indices are cast to unsigned: numba then skips its negative-index
    wraparound and the copy loops vectorise (3-7x faster than slice assignment)."""
    k = kh * kw * c
    run = kw * c
    prow = np.zeros(_padded_width(w, kw, sw, dw, pl, ow) * c, dtype=colsf.dtype)
    r0 = 0
    for b in range(b0, b1):
        for i in range(oh):
            for p in range(kh):
                y = i * sh - pt + p * dh
                base = r0 * k + p * run
                if y < 0 or y >= h:
                    for j in range(ow):
                        d = base + j * k
                        for t in range(run):
                            colsf[U(d + t)] = 0
                    continue
                s0 = ((b * h) + y) * w * c
                for t in range(w * c):
                    prow[U(pl * c + t)] = xf[U(s0 + t)]
                if dw == 1:
                    for j in range(ow):
                        d = base + j * k
                        s = j * sw * c
                        for t in range(run):
                            colsf[U(d + t)] = prow[U(s + t)]
                else:
                    for j in range(ow):
                        for q in range(kw):
                            d = base + j * k + q * c
                            s = (j * sw + q * dw) * c
                            for t in range(c):
                                colsf[U(d + t)] = prow[U(s + t)]
            r0 += ow


@_jit
def _col2im(colsf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, outf):  # type: ignore[no-untyped-def]
    """The adjoint of :func:`_im2col`: add each row back onto the flat (n, h, w, c) ``outf``
    (through the same zero-padded row buffer, whose padding is then dropped)."""
    k = kh * kw * c
    run = kw * c
    prow = np.zeros(_padded_width(w, kw, sw, dw, pl, ow) * c, dtype=colsf.dtype)
    r0 = 0
    for b in range(b0, b1):
        for i in range(oh):
            for p in range(kh):
                y = i * sh - pt + p * dh
                if y < 0 or y >= h:
                    continue
                base = r0 * k + p * run
                if dw == 1:
                    for j in range(ow):
                        d = base + j * k
                        s = j * sw * c
                        for t in range(run):
                            prow[U(s + t)] += colsf[U(d + t)]
                else:
                    for j in range(ow):
                        for q in range(kw):
                            d = base + j * k + q * c
                            s = (j * sw + q * dw) * c
                            for t in range(c):
                                prow[U(s + t)] += colsf[U(d + t)]
                s0 = ((b * h) + y) * w * c
                for t in range(w * c):
                    outf[U(s0 + t)] += prow[U(pl * c + t)]
                prow[:] = 0
            r0 += ow


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
        product(cols[:(b1 - b0) * per], False, f2, False, out[b0 * per:b1 * per])
    return out.reshape(n, oh, ow, o)


@_jit
def conv2d_backprop_input(dy, f, n, h, w, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (n, h, w, c) input: dy @ F^T, then col2im."""
    kh, kw, c, o = f.shape
    oh, ow = dy.shape[1], dy.shape[2]
    k = kh * kw * c
    per = oh * ow
    f2 = f.reshape(k, o)
    dy2 = dy.reshape(n * per, o)
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    bc = _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=dy.dtype)
    outf = out.reshape(-1)
    colsf = cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        rows = (b1 - b0) * per
        product(dy2[b0 * per:b1 * per], False, f2, True, cols[:rows])
        _col2im(colsf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, outf)
    return out


@_jit
def conv2d_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl):  # type: ignore[no-untyped-def]
    """Gradient of :func:`conv2d` with respect to its (kh, kw, c, o) filter: the sum over chunks
    of cols^T @ dy, a (k, o) matrix that is the filter's layout (BLAS reads the column matrix
    transposed: 1.5x faster here than dy^T @ cols, which also needs a transposed copy)."""
    n, h, w, c = x.shape
    oh, ow, o = dy.shape[1], dy.shape[2], dy.shape[3]
    k = kh * kw * c
    per = oh * ow
    dy2 = dy.reshape(n * per, o)
    acc = np.zeros((k, o), dtype=dy.dtype)
    part = np.empty((k, o), dtype=dy.dtype)
    # a small filter (a first layer's k x o) makes each chunk's product tiny and BLAS's threads
    # cost more than they share: one image per chunk, whose columns stay in cache, is 2x faster
    bc = 1 if k * o <= SMALL_FILTER else _images_per_chunk(n, per, k)
    cols = np.empty((min(bc, n) * per, k), dtype=x.dtype)
    xf = x.reshape(-1)
    colsf = cols.reshape(-1)
    for b0 in range(0, n, bc):
        b1 = min(n, b0 + bc)
        _im2col(xf, h, w, c, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, colsf)
        product(cols[:(b1 - b0) * per], True, dy2[b0 * per:b1 * per], False, part)
        acc += part
    return acc.reshape(kh, kw, c, o)


# ---- pooling (flat NHWC indexing, channel loops innermost) ------------------------------------


@_jit
def max_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    """Window maxima; padding never wins (a NaN in a window propagates)."""
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    max_pool_into(x, kh, kw, sh, sw, pt, pl, oh, ow, out, 0, x.shape[0])
    return out


@_jit
def _columns(q, sw, pl, w, ow):  # type: ignore[no-untyped-def]
    """The output columns j whose window's column q lies inside the image: lo <= j < hi."""
    return max(0, (pl - q + sw - 1) // sw), min(ow, (w - 1 + pl - q) // sw + 1)


@_jit
def max_pool_into(x, kh, kw, sh, sw, pt, pl, oh, ow, out, b0, b1):  # type: ignore[no-untyped-def]
    """:func:`max_pool` of images b0..b1-1 into ``out`` (the glue splits a batch between threads).
    Per output row, each window cell (p, q) in scan order is folded into the whole row at once,
    over the columns where it lies inside the image; the channel loop is innermost where there
    are a vector's worth of channels, the column loop where there are fewer."""
    n, h, w, c = x.shape
    xf = x.reshape(-1)
    of = out.reshape(-1)
    for b in range(b0, b1):
        for i in range(oh):
            orow = (b * oh + i) * ow * c
            for k in range(ow * c):
                of[U(orow + k)] = -np.inf
            for p in range(kh):
                y = i * sh - pt + p
                if y < 0 or y >= h:
                    continue
                xrow = (b * h + y) * w * c
                for q in range(kw):
                    lo, hi = _columns(q, sw, pl, w, ow)
                    if c >= 8:
                        for j in range(lo, hi):
                            s = xrow + (j * sw - pl + q) * c
                            o = orow + j * c
                            for ch in range(c):
                                v = xf[U(s + ch)]
                                cur = of[U(o + ch)]
                                of[U(o + ch)] = v if (v > cur or v != v) else cur
                    else:
                        for ch in range(c):
                            for j in range(lo, hi):
                                v = xf[U(xrow + (j * sw - pl + q) * c + ch)]
                                cur = of[U(orow + j * c + ch)]
                                of[U(orow + j * c + ch)] = v if (v > cur or v != v) else cur


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
    max_pool_route_into(x, g, gather, kh, kw, sh, sw, pt, pl, oh, ow, out, 0, n)
    return out


@_jit
def max_pool_route_into(x, g, gather, kh, kw, sh, sw, pt, pl, oh, ow, out, b0, b1):  # type: ignore[no-untyped-def]
    """:func:`max_pool_route` of images b0..b1-1 into ``out`` (zeros where it scatters). A window's
    first cell sets the running maxima and their places; a later cell replaces them only where
    it is greater, as selects (the channel loop vectorises)."""
    n, h, w, c = x.shape
    xf = x.reshape(-1)
    gf = g.reshape(-1)
    of = out.reshape(-1)
    best = np.empty(c, dtype=x.dtype)
    at = np.empty(c, dtype=np.int64)
    for b in range(b0, b1):
        for i in range(oh):
            for j in range(ow):
                first = True
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        s = ((b * h + y) * w + xx) * c
                        if first:
                            for ch in range(c):
                                best[U(ch)] = xf[U(s + ch)]
                                at[U(ch)] = s + ch
                            first = False
                            continue
                        for ch in range(c):
                            v = xf[U(s + ch)]
                            better = v > best[U(ch)]
                            best[U(ch)] = v if better else best[U(ch)]
                            at[U(ch)] = s + ch if better else at[U(ch)]
                o = ((b * oh + i) * ow + j) * c
                if first:  # the window lies in the padding: no winner
                    if gather:
                        for ch in range(c):
                            of[U(o + ch)] = 0
                elif gather:
                    for ch in range(c):
                        of[U(o + ch)] = gf[U(at[U(ch)])]
                else:
                    for ch in range(c):
                        of[U(at[U(ch)])] += gf[U(o + ch)]


@_jit
def max_pool_scatter_tiled_into(x, g, kh, kw, oh, ow, out, b0, b1):  # type: ignore[no-untyped-def]
    """The max-pool gradient where the windows tile the input (strides equal to the window, no
    padding): of images b0..b1-1, every cell of ``out`` written once, ``g`` at its window's winner
    (the first maximum in scan order, as :func:`max_pool_route_into`; a NaN never wins a later
    cell), 0 elsewhere and in rows or columns no window covers. No zeroing pass and no
    read-modify-write of ``out``. The channels go ``LANES`` at a time in vector registers, the
    winner tracked by compare-and-blend: written as scalar loops, LLVM branched on every
    comparison, and with few channels (nothing to vectorise) on random data mispredicted half of
    them (LeNet's 6-channel gradient: 8.8 ns a cell, against 1.6 now)."""
    n, h, w, c = x.shape
    xf = x.reshape(-1)
    gf = g.reshape(-1)
    of = out.reshape(-1)
    cells = np.arange(kh * kw).astype(x.dtype)  # each cell's number, as the data's type
    zero = vzero(of, LANES)
    for b in range(b0, b1):
        for y in range(oh * kh, h):  # rows below the last window
            for k in range(w * c):
                of[U((b * h + y) * w * c + k)] = 0
        for y in range(oh * kh):  # columns right of the last window
            for k in range(ow * kw * c, w * c):
                of[U((b * h + y) * w * c + k)] = 0
        for i in range(oh):
            for j in range(ow):
                s0 = ((b * h + i * kh) * w + j * kw) * c
                o = ((b * oh + i) * ow + j) * c
                for c0 in range(0, c, LANES):
                    m = min(LANES, c - c0)
                    best = vload_n(xf, s0 + c0, m, LANES)
                    at = zero
                    for k in range(1, kh * kw):  # the later cells, in scan order
                        v = vload_n(xf, s0 + ((k // kw) * w + k % kw) * c + c0, m, LANES)
                        at = vselect_gt(v, best, vsplat_at(cells, k, LANES), at)
                        best = vselect_gt(v, best, v, best)
                    gv = vload_n(gf, o + c0, m, LANES)
                    for k in range(kh * kw):
                        s = s0 + ((k // kw) * w + k % kw) * c + c0
                        routed = vselect_eq(at, vsplat_at(cells, k, LANES), gv, zero)
                        if m == LANES:  # a masked store costs several plain ones on some cores
                            vstore(of, s, routed)
                        else:
                            vstore_n(of, s, routed, m)


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
    xf = x.reshape(-1)
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    of = out.reshape(-1)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                o = ((b * oh + i) * ow + j) * c
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        s = ((b * h + y) * w + xx) * c
                        for ch in range(c):
                            of[U(o + ch)] += xf[U(s + ch)]
                scale = 1 / max(_window_count(i, j, kh, kw, sh, sw, pt, pl, h, w), 1)
                for ch in range(c):
                    of[U(o + ch)] = of[U(o + ch)] * scale
    return out


@_jit
def avg_pool_grad(dy, n, h, w, kh, kw, sh, sw, pt, pl):  # type: ignore[no-untyped-def]
    """Spread each pooled gradient evenly over its window's non-padding cells."""
    oh, ow, c = dy.shape[1], dy.shape[2], dy.shape[3]
    df = dy.reshape(-1)
    out = np.zeros((n, h, w, c), dtype=dy.dtype)
    of = out.reshape(-1)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                o = ((b * oh + i) * ow + j) * c
                scale = 1 / max(_window_count(i, j, kh, kw, sh, sw, pt, pl, h, w), 1)
                for p in range(kh):
                    y = i * sh - pt + p
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        xx = j * sw - pl + q
                        if xx < 0 or xx >= w:
                            continue
                        s = ((b * h + y) * w + xx) * c
                        for ch in range(c):
                            of[U(s + ch)] += df[U(o + ch)] * scale
    return out
