"""CUDA kernels of the search, sort, scan and scatter primitives: argmax / argmin, cumulative
products, top-k (and full sorts), unique, boolean masks, gather_nd, the scatter-adds that are the
gathers' gradients, and SumTo above rank 4. Every array is passed flat with its geometry as
integers, so one compiled kernel serves every rank; bad indices are counted into ``bad[0]`` and
the host raises the CPU's error after the launch.

Parallel where the work is: one thread per output element (arg-reductions, gathers, top-k ranks,
unique's first occurrences), atomic adds for scatters. Prefix counts (unique, boolean_mask) run
in one thread: their length is a batch or vocabulary, and the result's size must come back to
the host anyway before anything can be allocated for it.
"""
from __future__ import annotations

# x [outer, length, inner] -> out [outer, inner]: the first best position (NaN wins, as numpy's)
ARG = """
from numba import cuda


@cuda.jit
def kernel(x, out, length, inner, is_max):
    t = cuda.grid(1)
    if t < out.shape[0]:
        i = t % inner
        base = (t // inner) * length * inner + i
        best = x[base]
        bi = 0
        for r in range(1, length):
            v = x[base + r * inner]
            if best == best and ((v > best if is_max else v < best) or v != v):
                best = v
                bi = r
        out[t] = bi
"""

# x [outer, length, inner] -> running products along ``length`` (TF1's exclusive / reverse)
CUMPROD = """
from numba import cuda


@cuda.jit
def kernel(x, out, length, inner, exclusive, reverse):
    t = cuda.grid(1)
    if t < x.shape[0] // max(length, 1):
        i = t % inner
        base = (t // inner) * length * inner + i
        acc = x[base] * 0 + 1
        for k in range(length):
            j = base + (length - 1 - k if reverse else k) * inner
            if exclusive:
                out[j] = acc
                acc = acc * x[j]
            else:
                acc = acc * x[j]
                out[j] = acc
"""

# x [rows, n] -> out [rows, k]: element i of a row goes to slot rank(i) when that is below k,
# rank(i) counting the elements before it in a stable descending order (NaN after all numbers)
TOP_K = """
from numba import cuda


@cuda.jit
def kernel(x, out, n, k):
    t = cuda.grid(1)
    if t < x.shape[0]:
        row = t // n
        i = t - row * n
        v = x[t]
        vnan = v != v
        rank = 0
        for j in range(n):
            w = x[row * n + j]
            wnan = w != w
            if vnan:
                before = wnan and j < i
            elif wnan:
                before = False
            else:
                before = w > v or (w == v and j < i)
            if before:
                rank += 1
        if rank < k:
            out[row * k + rank] = i
"""

# own[i]: the first position holding x[i]'s value (NaNs are one value, as numpy's unique);
# flags[i] = 1 where that is i itself
UNIQUE_FIRST = """
from numba import cuda


@cuda.jit
def kernel(x, own, flags):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        first = i
        for j in range(i):
            w = x[j]
            if w == v or (w != w and v != v):
                first = j
                break
        own[i] = first
        flags[i] = 1 if first == i else 0
"""

# y[pos[i]] = x[i] at first occurrences; idx[i] = pos[own[i]]
UNIQUE_WRITE = """
from numba import cuda


@cuda.jit
def kernel(x, own, pos, y, idx):
    i = cuda.grid(1)
    if i < x.shape[0]:
        if own[i] == i:
            y[pos[i]] = x[i]
        idx[i] = pos[own[i]]
"""

# pos[i] = the number of nonzero flags before i; total[0] = all of them (one thread)
SCAN = """
from numba import cuda


@cuda.jit
def kernel(flags, pos, total):
    if cuda.grid(1) == 0:
        c = 0
        for i in range(flags.shape[0]):
            pos[i] = c
            if flags[i]:
                c += 1
        total[0] = c
"""

# boolean_mask: x [m, inner] rows where mask -> out [count, inner]
MASK_GATHER = """
from numba import cuda


@cuda.jit
def kernel(x, mask, pos, out, inner):
    t = cuda.grid(1)
    if t < x.shape[0]:
        i = t // inner
        if mask[i]:
            out[pos[i] * inner + t - i * inner] = x[t]
"""

# its gradient: x [count, inner] back to the rows where mask, zeros elsewhere -> out [m, inner]
MASK_SCATTER = """
from numba import cuda


@cuda.jit
def kernel(x, mask, pos, out, inner):
    t = cuda.grid(1)
    if t < out.shape[0]:
        i = t // inner
        out[t] = x[pos[i] * inner + t - i * inner] if mask[i] else 0
"""

# the flat offset of row r's index tuple in a [d0, .., dk-1] grid (ok: every component in range)
_ND_OFFSET = """
        k = dims.shape[0]
        r = t // inner
        off = 0
        ok = True
        for j in range(k):
            i = indices[r * k + j]
            if i < 0 or i >= dims[j]:
                ok = False
            off = off * dims[j] + i"""

# params [d0, .., dk-1, inner], indices [rows, k] -> out [rows, inner]
GATHER_ND = """
from numba import cuda


@cuda.jit
def kernel(params, indices, dims, out, inner, bad):
    t = cuda.grid(1)
    if t < out.shape[0]:""" + _ND_OFFSET + """
        if ok:
            out[t] = params[off * inner + t - r * inner]
        else:
            cuda.atomic.add(bad, 0, 1)
            out[t] = 0
"""

# the gather's gradient: g [outer, count, inner] added into out [outer, n, inner] (zeros) at the
# rows the indices name; repeated indices add up (atomically)
SCATTER_ADD = """
from numba import cuda


@cuda.jit
def kernel(g, indices, out, n, inner, bad):
    t = cuda.grid(1)
    count = indices.shape[0]
    if t < g.shape[0]:
        c = t % inner
        r = t // inner
        j = r % count
        i = indices[j]
        if i < 0 or i >= n:
            cuda.atomic.add(bad, 0, 1)
        else:
            cuda.atomic.add(out, ((r // count) * n + i) * inner + c, g[t])
"""

# gather_nd's gradient: g [rows, inner] added into out [d0, .., dk-1, inner] (zeros)
SCATTER_ND_ADD = """
from numba import cuda


@cuda.jit
def kernel(g, indices, dims, out, inner, bad):
    t = cuda.grid(1)
    if t < g.shape[0]:""" + _ND_OFFSET + """
        if ok:
            cuda.atomic.add(out, off * inner + t - r * inner, g[t])
        else:
            cuda.atomic.add(bad, 0, 1)
"""

# SumTo at any rank: out (the kept dims, row-major) = x summed over the dims flagged in ``red``;
# ``count`` is the number of elements each output sums
SUM_TO_ND = """
from numba import cuda, {acc} as acc_t


@cuda.jit
def kernel(x, out, dims, red, count):
    t = cuda.grid(1)
    if t < out.shape[0]:
        acc = acc_t(0)
        for q in range(count):
            rest_t = t
            rest_q = q
            off = 0
            stride = 1
            for d in range(dims.shape[0] - 1, -1, -1):
                if red[d]:
                    c = rest_q % dims[d]
                    rest_q //= dims[d]
                else:
                    c = rest_t % dims[d]
                    rest_t //= dims[d]
                off += c * stride
                stride *= dims[d]
            acc += x[off]
        out[t] = acc
"""


def sum_to_nd_source(dtype: str) -> str:
    """SUM_TO_ND for ``dtype``: float64 accumulators for floats (the CPU's rule), int64 for ints."""
    return SUM_TO_ND.format(acc="float64" if dtype.startswith("float") else "int64")


# (name, source) of every kernel here, for the PTX tests
ALL = [("arg", ARG), ("cumprod", CUMPROD), ("top_k", TOP_K), ("unique_first", UNIQUE_FIRST),
       ("unique_write", UNIQUE_WRITE), ("scan", SCAN), ("mask_gather", MASK_GATHER),
       ("mask_scatter", MASK_SCATTER), ("gather_nd", GATHER_ND), ("scatter_add", SCATTER_ADD),
       ("scatter_nd_add", SCATTER_ND_ADD)]
