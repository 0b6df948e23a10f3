"""CUDA kernels of the core primitives that are not fused loops (the tiled matmul is
linalg.BATCH_MATMUL): SumTo up to rank 4, variable updates, convolutions and pooling with their gradients,
cross-entropy, run-time checks, gather, one-hot, and the index-map moves (gather / scatter by a
map, fill, copy). Sources are text, loaded and compiled like the generated ones
(``compiler/cuda/loops.py``); ``{dtype}`` is the element type's numba name."""
from __future__ import annotations

from graphflow.platform.cuda import simulating

# the tiled matmul's tile: TILE x TILE threads a block. Numba's simulator runs each of them as a
# Python thread (256 threads: 60 ms a launch), so there the same kernel runs with 4 x 4 tiles,
# which also takes the tile-boundary paths on the tests' small matrices
TILE = 4 if simulating() else 16


def _unflatten(names: tuple[str, ...], dims: tuple[str, ...]) -> str:
    """Kernel lines splitting the flat thread index ``t`` into the row-major indices ``names``
    (``dims`` the sizes of all but the first)."""
    lines, rest = [], "t"
    for j in range(len(names) - 1, 0, -1):
        lines.append(f"        {names[j]} = {rest} % {dims[j - 1]}")
        if j > 1:
            lines.append(f"        r = {rest} // {dims[j - 1]}")
            rest = "r"
    lines.append(f"        {names[0]} = {rest} // {dims[0]}")
    return "\n".join(lines) + "\n"


# out (flat, the kept dims row-major) = x summed over the dims whose flag is 1; x padded to rank 4
SUM_TO = """
import numpy as np
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(x, out, f0, f1, f2, f3):
    d0, d1, d2, d3 = x.shape
    t = cuda.grid(1)
    if t < out.shape[0]:
        rest = t
        k3 = 0
        k2 = 0
        k1 = 0
        k0 = 0
        if f3 == 0:
            k3 = rest % d3
            rest = rest // d3
        if f2 == 0:
            k2 = rest % d2
            rest = rest // d2
        if f1 == 0:
            k1 = rest % d1
            rest = rest // d1
        if f0 == 0:
            k0 = rest % d0
        acc = float64(0.0)
        for i0 in range(d0 if f0 else 1):
            for i1 in range(d1 if f1 else 1):
                for i2 in range(d2 if f2 else 1):
                    for i3 in range(d3 if f3 else 1):
                        acc += float64(x[i0 if f0 else k0, i1 if f1 else k1, i2 if f2 else k2, i3 if f3 else k3])
        out[t] = elem(acc)
"""

# a variable's flat buffer updated from a flat value: mode 0 set, 1 add, 2 subtract
ASSIGN = """
from numba import cuda


@cuda.jit
def kernel(dst, value, mode):
    t = cuda.grid(1)
    if t < dst.shape[0]:
        v = value[t if value.shape[0] > 1 else 0]
        if mode == 0:
            dst[t] = v
        elif mode == 1:
            dst[t] = dst[t] + v
        else:
            dst[t] = dst[t] - v
"""


def sum_to_source(dtype: str) -> str:
    return SUM_TO.format(dtype=dtype)


# ---- convolution and pooling: NHWC inputs, HWIO filters; one thread per output element ------------
# geometry arguments: strides sh, sw; dilations dh, dw; padding before pt, pl (TF1's rules, computed
# on the host by ops/conv_geometry.py's geometry)

CONV2D = """
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(x, w, y, sh, sw, dh, dw, pt, pl):
    n_, oh_, ow_, co_ = y.shape
    h_, w_, ci_ = x.shape[1], x.shape[2], x.shape[3]
    kh_, kw_ = w.shape[0], w.shape[1]
    t = cuda.grid(1)
    if t < n_ * oh_ * ow_ * co_:
""" + _unflatten(('n', 'oh', 'ow', 'co'), ('oh_', 'ow_', 'co_')) + """        acc = float64(0.0)
        for p in range(kh_):
            ih = oh * sh - pt + p * dh
            if 0 <= ih < h_:
                for q in range(kw_):
                    iw = ow * sw - pl + q * dw
                    if 0 <= iw < w_:
                        for c in range(ci_):
                            acc += float64(x[n, ih, iw, c]) * float64(w[p, q, c, co])
        y[n, oh, ow, co] = elem(acc)
"""

CONV2D_BACKPROP_INPUT = """
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(dy, w, dx, sh, sw, dh, dw, pt, pl):
    n_, h_, w_, ci_ = dx.shape
    oh_, ow_, co_ = dy.shape[1], dy.shape[2], dy.shape[3]
    kh_, kw_ = w.shape[0], w.shape[1]
    t = cuda.grid(1)
    if t < n_ * h_ * w_ * ci_:
""" + _unflatten(('n', 'ih', 'iw', 'c'), ('h_', 'w_', 'ci_')) + """        acc = float64(0.0)
        for p in range(kh_):
            a = ih + pt - p * dh
            if a >= 0 and a % sh == 0 and a // sh < oh_:
                oh = a // sh
                for q in range(kw_):
                    b = iw + pl - q * dw
                    if b >= 0 and b % sw == 0 and b // sw < ow_:
                        ow = b // sw
                        for co in range(co_):
                            acc += float64(dy[n, oh, ow, co]) * float64(w[p, q, c, co])
        dx[n, ih, iw, c] = elem(acc)
"""

CONV2D_BACKPROP_FILTER = """
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(x, dy, dw_, sh, sw, dh, dw, pt, pl):
    kh_, kw_, ci_, co_ = dw_.shape
    n_, h_, w_ = x.shape[0], x.shape[1], x.shape[2]
    oh_, ow_ = dy.shape[1], dy.shape[2]
    t = cuda.grid(1)
    if t < kh_ * kw_ * ci_ * co_:
""" + _unflatten(('p', 'q', 'c', 'co'), ('kw_', 'ci_', 'co_')) + """        acc = float64(0.0)
        for n in range(n_):
            for oh in range(oh_):
                ih = oh * sh - pt + p * dh
                if 0 <= ih < h_:
                    for ow in range(ow_):
                        iw = ow * sw - pl + q * dw
                        if 0 <= iw < w_:
                            acc += float64(x[n, ih, iw, c]) * float64(dy[n, oh, ow, co])
        dw_[p, q, c, co] = elem(acc)
"""

# the window maximum (padding never wins); avg: the mean over the window's real inputs (TF1)
POOL = """
import math
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(x, y, kh_, kw_, sh, sw, pt, pl, is_max):
    n_, oh_, ow_, c_ = y.shape
    h_, w_ = x.shape[1], x.shape[2]
    t = cuda.grid(1)
    if t < n_ * oh_ * ow_ * c_:
""" + _unflatten(('n', 'oh', 'ow', 'c'), ('oh_', 'ow_', 'c_')) + """        best = -math.inf
        acc = float64(0.0)
        count = 0
        for p in range(kh_):
            ih = oh * sh - pt + p
            if 0 <= ih < h_:
                for q in range(kw_):
                    iw = ow * sw - pl + q
                    if 0 <= iw < w_:
                        v = x[n, ih, iw, c]
                        if v > best or v != v:
                            best = v
                        acc += float64(v)
                        count += 1
        y[n, oh, ow, c] = elem(best) if is_max else elem(acc / count)
"""

# each output position sends its gradient to the first maximum of its window (TF1's rule); with
# ``gather`` (second derivatives) it reads dy, of x's shape, there instead (dx: the pooled shape)
MAX_POOL_GRAD = """
import math
from numba import cuda
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(x, dy, dx, kh_, kw_, sh, sw, pt, pl, gather):
    n_, oh_, ow_, c_ = dx.shape if gather else dy.shape
    h_, w_ = x.shape[1], x.shape[2]
    t = cuda.grid(1)
    if t < n_ * oh_ * ow_ * c_:
""" + _unflatten(('n', 'oh', 'ow', 'c'), ('oh_', 'ow_', 'c_')) + """        best = -math.inf
        bi = -1
        bj = -1
        for p in range(kh_):
            ih = oh * sh - pt + p
            for q in range(kw_):
                iw = ow * sw - pl + q
                if 0 <= ih < h_ and 0 <= iw < w_:
                    v = x[n, ih, iw, c]
                    if v > best or (v != v and best == best):
                        best = v
                        bi = ih
                        bj = iw
        if gather:  # the second derivative: dy (x's shape) read at the window's winner
            dx[n, oh, ow, c] = dy[n, bi, bj, c] if bi >= 0 else elem(0)
        elif bi >= 0:
            cuda.atomic.add(dx, (n, bi, bj, c), dy[n, oh, ow, c])
"""

# rows of the last axis: per-row cross-entropy of logits, and its gradient g (softmax S - labels)
XENT = """
import math
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(labels, logits, out):
    rows, cls = logits.shape
    i = cuda.grid(1)
    if i < rows:
        top = -math.inf
        for j in range(cls):
            top = max(top, float64(logits[i, j]))
        total = float64(0.0)
        for j in range(cls):
            total += math.exp(float64(logits[i, j]) - top)
        lse = math.log(total)
        acc = float64(0.0)
        for j in range(cls):
            acc += float64(labels[i, j]) * (lse - (float64(logits[i, j]) - top))
        out[i] = elem(acc)
"""

XENT_GRAD = """
import math
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(g, labels, logits, out):
    rows, cls = logits.shape
    i = cuda.grid(1)
    if i < rows:
        top = -math.inf
        for j in range(cls):
            top = max(top, float64(logits[i, j]))
        total = float64(0.0)
        mass = float64(0.0)
        for j in range(cls):
            total += math.exp(float64(logits[i, j]) - top)
            mass += float64(labels[i, j])
        for j in range(cls):
            p = math.exp(float64(logits[i, j]) - top) / total
            out[i, j] = elem(float64(g[i]) * (p * mass - float64(labels[i, j])))
"""

# failures of a run-time check counted into bad[0] (the host raises right after the kernel): kind 0
# a value outside [lo, hi), 1 a false value, 2 NaN or Inf
CHECK = """
from numba import cuda


@cuda.jit
def kernel(x, bad, lo, hi, kind):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        if kind == 0:
            failed = v < lo or v >= hi
        elif kind == 1:
            failed = not v
        else:
            failed = v - v != 0
        if failed:
            cuda.atomic.add(bad, 0, 1)
"""


def source(template: str, dtype: str) -> str:
    return template.format(dtype=dtype)

# dx: each input position collects dy / (window's real inputs) from every window that covers it
AVG_POOL_GRAD = """
from numba import cuda, float64
from numba.core.types import {dtype} as elem


@cuda.jit
def kernel(dy, dx, kh_, kw_, sh, sw, pt, pl):
    n_, h_, w_, c_ = dx.shape
    oh_, ow_ = dy.shape[1], dy.shape[2]
    t = cuda.grid(1)
    if t < n_ * h_ * w_ * c_:
""" + _unflatten(('n', 'ih', 'iw', 'c'), ('h_', 'w_', 'c_')) + """        acc = float64(0.0)
        for oh in range(oh_):
            top = oh * sh - pt
            if top <= ih < top + kh_:
                rows = min(top + kh_, h_) - max(top, 0)
                for ow in range(ow_):
                    left = ow * sw - pl
                    if left <= iw < left + kw_:
                        cols = min(left + kw_, w_) - max(left, 0)
                        acc += float64(dy[n, oh, ow, c]) / (rows * cols)
        dx[n, ih, iw, c] = elem(acc)
"""


# ---- data movement: an index map (built on the host once per shape, cached on the device) says,
# for every output element, which input element it copies (-1: the fill value) -------------------
GATHER_MAP = """
from numba import cuda


@cuda.jit
def kernel(x, index, out, fill):
    t = cuda.grid(1)
    if t < out.shape[0]:
        j = index[t]
        out[t] = x[j] if j >= 0 else fill
"""

# out[index[t]] = x[t]: concatenation pieces and slice gradients written into their places
SCATTER_MAP = """
from numba import cuda


@cuda.jit
def kernel(x, index, out):
    t = cuda.grid(1)
    if t < x.shape[0]:
        out[index[t]] = x[t]
"""

FILL = """
from numba import cuda


@cuda.jit
def kernel(out, value):
    t = cuda.grid(1)
    if t < out.shape[0]:
        out[t] = value
"""

# out[t] = x[t], converted to out's type
COPY = """
from numba import cuda


@cuda.jit
def kernel(x, out):
    t = cuda.grid(1)
    if t < out.shape[0]:
        out[t] = x[t]
"""

# params [outer, n, inner] rows picked by indices (axis ``n``); bad indices counted into bad[0]
GATHER = """
from numba import cuda


@cuda.jit
def kernel(params, indices, out, n, inner, bad):
    t = cuda.grid(1)
    count = indices.shape[0]
    if t < out.shape[0]:
        k = t % inner
        r = t // inner
        j = r % count
        o = r // count
        i = indices[j]
        if i < 0 or i >= n:
            cuda.atomic.add(bad, 0, 1)
            out[t] = 0
        else:
            out[t] = params[(o * n + i) * inner + k]
"""

# indices [outer, inner] -> out [outer, depth, inner]
ONE_HOT = """
from numba import cuda


@cuda.jit
def kernel(indices, out, depth, inner, on, off):
    t = cuda.grid(1)
    if t < out.shape[0]:
        i = t % inner
        r = t // inner
        d = r % depth
        o = r // depth
        out[t] = on if indices[o * inner + i] == d else off
"""
