"""float16's bits in compiled CPU code, which carries float16 values as float32 (numba has no
float16): the bits of a float32 rounded to float16 (to nearest, ties to even, as numpy's
``astype``) and back. ``tf.bitcast`` from and to float16 reads and writes them."""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _to_half(f):  # type: ignore[no-untyped-def]
    """numpy's npy_floatbits_to_halfbits: float32 bits -> float16 bits."""
    sign = (f >> 16) & 0x8000
    e = f & 0x7F800000
    if e >= 0x47800000:  # overflow, infinity or NaN
        if e == 0x7F800000 and (f & 0x007FFFFF) != 0:
            bits = 0x7C00 + ((f & 0x007FFFFF) >> 13)
            return sign + (bits if bits != 0x7C00 else 0x7C01)  # a NaN stays a NaN
        return sign + 0x7C00
    if e <= 0x38000000:  # a float16 subnormal, or zero
        if e < 0x33000000:
            return sign
        e >>= 23
        sig = 0x00800000 + (f & 0x007FFFFF)
        if (sig & ((1 << (126 - e)) - 1)) != 0:
            sig |= 1  # the bits shifted out, as one sticky bit
        sig >>= 113 - e
        if (sig & 0x3FFF) != 0x1000:
            sig += 0x1000
        return sign + (sig >> 13)
    sig = f & 0x007FFFFF
    if (sig & 0x3FFF) != 0x1000:
        sig += 0x1000
    return sign + ((e - 0x38000000) >> 13) + (sig >> 13)  # a carry out of sig rounds the exponent up


@_jit
def _from_half(h):  # type: ignore[no-untyped-def]
    """numpy's npy_halfbits_to_floatbits: float16 bits -> float32 bits."""
    sign = (h & 0x8000) << 16
    e = h & 0x7C00
    if e == 0:
        sig = h & 0x03FF
        if sig == 0:
            return sign
        sig <<= 1
        shift = 0
        while (sig & 0x0400) == 0:
            sig <<= 1
            shift += 1
        return sign + ((112 - shift) << 23) + ((sig & 0x03FF) << 13)
    if e == 0x7C00:
        return sign + 0x7F800000 + ((h & 0x03FF) << 13)
    return sign + (((h & 0x7FFF) + 0x1C000) << 13)


@_jit
def half_bits(values):  # type: ignore[no-untyped-def]
    """The float16 bits (uint16) of each float32 of a flat array, rounded as numpy rounds."""
    f32 = values.view(np.uint32)
    out = np.empty(values.size, np.uint16)
    for i in range(values.size):
        out[i] = _to_half(np.int64(f32[i]))
    return out


@_jit
def half_values(bits):  # type: ignore[no-untyped-def]
    """The float16 values (as float32) of a flat array of float16 bits (uint16)."""
    out = np.empty(bits.size, np.uint32)
    for i in range(bits.size):
        out[i] = _from_half(np.int64(bits[i]))
    return out.view(np.float32)
