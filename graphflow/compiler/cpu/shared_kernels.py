"""Shared numba kernels the generated CPU code calls (compiled once, cached on disk)."""
from __future__ import annotations

import numba
import numpy as np

from graphflow.core import rng

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)

normal = rng.normal
uniform_in = rng.uniform_in
truncated_normal = rng.truncated_normal_scalar
stateless_key = rng.stateless_key
bits = rng.bits


@_jit
def random_fill(out, state, dist, width):  # type: ignore[no-untyped-def]
    """Fill a flat array for one run of a random op; advances the op's counter. ``width``: the
    bits of the stream one draw takes (``state_ops.draw_bits``): uniform floats use that many
    significand bits, full-range integers (dist 3) the top ``width`` bits, wrapped into ``out``."""
    key = state[0]
    counter = state[1]
    for i in range(out.size):
        u = np.uint64(i)
        if dist == 0:
            out[i] = normal(key, counter, u)
        elif dist == 1:
            out[i] = truncated_normal(key, counter, u)
        elif dist == 3:
            out[i] = bits(key, counter, u) >> np.uint64(64 - width)
        else:
            out[i] = uniform_in(key, counter, u, width)
    state[1] = counter + np.uint64(1)


@_jit
def stateless_state(seed, stream):  # type: ignore[no-untyped-def]
    """The [key, counter] a stateless random op draws with: the key from its two seed words (as
    uint64, negative ones wrapped), the counter its stream."""
    st = np.empty(2, dtype=np.uint64)
    st[0] = stateless_key(np.uint64(np.int64(seed[0])), np.uint64(np.int64(seed[1])))
    st[1] = np.uint64(stream)
    return st


@_jit
def matmul_loops(a, b, out):  # type: ignore[no-untyped-def]
    """out = a @ b for 2-D arrays of dtypes BLAS does not cover (integers)."""
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            out[i, j] = 0
        for p in range(k):
            aip = a[i, p]
            for j in range(n):
                out[i, j] += aip * b[p, j]
