"""Counter-based random numbers shared by every target.

Element ``i`` of run ``counter`` of a random op with key ``key`` is a pure function of
(key, counter, i), so the numpy reference, the CPU kernels and the CUDA kernels draw the same
numbers, and a new session replays the same sequence. Stateless ops (``tf.random.stateless_*``)
draw from the same function with the key taken from their seed tensor and a fixed counter. The
functions are written so that they run both on numpy uint64 arrays and as scalars inside numba
kernels.
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_PI = 6.283185307179586
_INV53 = 1.0 / 9007199254740992.0
_STATELESS = np.uint64(0x5EED5EED5EED5EED)
DEFAULT_GRAPH_SEED = 87654321  # TF1's graph seed where only an op seed is set (tf.get_seed, tf.test.TestCase)


@register_jitable
def mix64(z):  # type: ignore[no-untyped-def]
    """splitmix64's finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@register_jitable
def bits(key, counter, i):  # type: ignore[no-untyped-def]
    return mix64(key ^ mix64(counter * _GOLDEN + i))


@register_jitable
def uniform01(key, counter, i):  # type: ignore[no-untyped-def]
    """A float64 in [0, 1)."""
    return (bits(key, counter, i) >> _S11) * _INV53


@register_jitable
def uniform_in(key, counter, i, mantissa):  # type: ignore[no-untyped-def]
    """A float in [0, 1) from the top ``mantissa`` bits of the stream: 53, 24 or 11 give float64,
    float32 or float16 values exactly, so casting to that dtype cannot round up to 1 (which
    ``uniform01``'s 53 bits do for one draw in 2**25 in float32: dropout at keep_prob 1 then
    dropped an element)."""
    return (bits(key, counter, i) >> np.uint64(64 - mantissa)) * (2.0 ** -mantissa)


@register_jitable
def normal(key, counter, i):  # type: ignore[no-untyped-def]
    """A standard normal by Box-Muller from two uniforms of the same element."""
    j = i * np.uint64(2)
    u1 = 1.0 - uniform01(key, counter, j)
    u2 = uniform01(key, counter, j + np.uint64(1))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(_TWO_PI * u2)


@register_jitable
def truncated_normal_scalar(key, counter, i):  # type: ignore[no-untyped-def]
    """A standard normal redrawn until it lies within two standard deviations (TF1's rule)."""
    r = np.uint64(0)
    while True:
        z = normal(key, counter + r * np.uint64(0x100000000), i)
        if abs(z) <= 2.0:
            return z
        r += np.uint64(1)


@register_jitable
def stateless_key(seed0, seed1):  # type: ignore[no-untyped-def]
    """The key of a stateless op's stream: a pure function of its two seed words (uint64),
    apart from the keys ``key_from_seeds`` derives (the ``_STATELESS`` tag)."""
    return mix64(mix64(seed0 ^ _STATELESS) ^ (seed1 * _GOLDEN))


def truncated_normal_array(key, counter, idx):  # type: ignore[no-untyped-def]
    """Vectorised form of :func:`truncated_normal_scalar` for the numpy reference."""
    out = normal(key, counter, idx)
    r = np.uint64(0)
    bad = np.abs(out) > 2.0
    while bad.any():
        r += np.uint64(1)
        redraw = normal(key, counter + r * np.uint64(0x100000000), idx[bad])
        out[bad] = redraw
        bad = np.abs(out) > 2.0
    return out


def key_from_seeds(graph_seed: int | None, op_seed: int | None) -> int:
    """TF1's seed rules: both None is nondeterministic; one set derives the other."""
    if graph_seed is None and op_seed is None:
        import os
        return int.from_bytes(os.urandom(8), "little")
    g = DEFAULT_GRAPH_SEED if graph_seed is None else int(graph_seed)
    o = 0 if op_seed is None else int(op_seed)
    with np.errstate(over="ignore"):
        k = mix64(np.uint64(g % 2**64) * _GOLDEN + np.uint64(o % 2**64))
    return int(k)


