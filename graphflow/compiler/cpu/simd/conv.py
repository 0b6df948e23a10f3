"""Direct convolutions written in the SIMD vocabulary (``vector.py``): register-tiled kernels whose
tile bodies are generated, NHWC input, HWIO filter.

A tile computes ``rw`` output pixels of one row times ``nv`` vectors of output channels: ``rw *
nv`` accumulators stay in registers while the loops over the filter's rows, columns and input
channels broadcast one input value per pixel and fused-multiply-add it with ``nv`` weight vectors.
``tile_source`` writes a tile's body for its (rw, nv, lanes); an ``overload`` compiles it where a
kernel calls ``_tile`` with literal sizes, so the kernels here are ordinary cached numba functions
and nothing is written per shape by hand. ``tile_shape`` picks the tile from the registers the
host has (16 vector registers with AVX2, 32 with AVX-512): accumulators, the weight vectors and
one broadcast.

The input is copied once into a zero-bordered buffer (the padding, and room for the last tile's
overhang), so tiles never test bounds; the filter is copied once with its output channels padded
to a whole number of tile widths. Batch, spatial sizes and channels are run-time values: a new
batch size never recompiles.
"""
from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import overload

from graphflow.compiler.cpu.simd.vector import NAMES, host_features, host_lanes

LANES32 = host_lanes(np.float32)
LANES64 = host_lanes(np.float64)
REGISTERS = 32 if "avx512f" in host_features() else 16


def tile_shape(lanes: int, registers: int = REGISTERS) -> tuple[int, int]:
    """(rw, nv) for a tile of ``lanes``-wide vectors: two weight vectors and as many pixels as the
    remaining registers hold accumulators for, less one for the broadcast."""
    nv = 2
    return max(1, (registers - nv - 1) // nv), nv


def tile_source(rw: int, nv: int, lanes: int) -> str:
    """The body of one tile: ``rw`` pixels x ``nv`` vectors of output channels."""
    out = ["def tile(xf, wf, yf, xb, wb, yb, kh_n, kw_n, c, o, dh_step, dw_step, sw_step, rw, nv, lanes):"]
    out += [f"    a{r}_{v} = vzero(wf, {lanes})" for r in range(rw) for v in range(nv)]
    out += ["    for kh in range(kh_n):",
            "        for kw in range(kw_n):",
            "            xk = xb + kh * dh_step + kw * dw_step",
            "            wk = wb + (kh * kw_n + kw) * c * o",
            "            for ci in range(c):"]
    out += [f"                w{v} = vload(wf, wk + ci * o + {v * lanes}, {lanes})" for v in range(nv)]
    for r in range(rw):
        out.append(f"                b = vsplat_at(xf, xk + {r} * sw_step + ci, {lanes})")
        out += [f"                a{r}_{v} = vfma(b, w{v}, a{r}_{v})" for v in range(nv)]
    out += [f"    vstore(yf, yb + {r} * o + {v * lanes}, a{r}_{v})" for r in range(rw) for v in range(nv)]
    return "\n".join(out) + "\n"


def _tile(xf, wf, yf, xb, wb, yb, kh_n, kw_n, c, o, dh_step, dw_step, sw_step, rw, nv, lanes):  # type: ignore[no-untyped-def]
    """Stands for the generated tile of (rw, nv, lanes) in jitted code (see ``_tile_impl``); the
    tile is made of vector intrinsics, which exist only there."""
    raise TypeError("_tile is compiled into jitted kernels; from Python, call conv2d")


@overload(_tile, jit_options={"error_model": "numpy", "nogil": True})
def _tile_impl(xf, wf, yf, xb, wb, yb, kh_n, kw_n, c, o, dh_step, dw_step, sw_step, rw, nv, lanes):  # type: ignore[no-untyped-def]
    # (numba requires the implementation's signature, annotations included, to be this one's)
    if not all(isinstance(t, types.IntegerLiteral) for t in (rw, nv, lanes)):
        return None
    scope = dict(NAMES)
    exec(tile_source(rw.literal_value, nv.literal_value, lanes.literal_value), scope)  # noqa: S102
    return scope["tile"]


_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


# (explicit loops: numba compiles a 4-d slice assignment in seconds, these in a fraction)
@_jit
def _padded(x, pt, pl, hp, wp):  # type: ignore[no-untyped-def]
    """``x`` inside a zero border: ``pt`` rows above, ``pl`` columns left, (hp, wp) in all."""
    n, h, w, c = x.shape
    xp = np.zeros(n * hp * wp * c, dtype=x.dtype)
    xf = x.reshape(-1)
    for b in range(n):
        for i in range(h):
            src = (b * h + i) * w * c
            dst = ((b * hp + i + pt) * wp + pl) * c
            for k in range(w * c):
                xp[dst + k] = xf[src + k]
    return xp.reshape(n, hp, wp, c)


@_jit
def _packed(f, o_pad):  # type: ignore[no-untyped-def]
    """The filter with its output channels padded with zeros to ``o_pad``."""
    kh, kw, c, o = f.shape
    fp = np.zeros(kh * kw * c * o_pad, dtype=f.dtype)
    ff = np.ascontiguousarray(f).reshape(-1)
    for r in range(kh * kw * c):
        for k in range(o):
            fp[r * o_pad + k] = ff[r * o + k]
    return fp.reshape(kh, kw, c, o_pad)


@_jit
def _cropped(y, ow, o):  # type: ignore[no-untyped-def]
    """(n, oh, ow, o) of the (n, oh, >= ow, >= o) tile output."""
    n, oh, wt, ot = y.shape
    out = np.empty(n * oh * ow * o, dtype=y.dtype)
    yf = y.reshape(-1)
    for r in range(n * oh):
        for j in range(ow):
            src = (r * wt + j) * ot
            dst = (r * ow + j) * o
            for k in range(o):
                out[dst + k] = yf[src + k]
    return out.reshape(n, oh, ow, o)


def _tile_for(dtype: Any) -> tuple[int, int, int]:
    """(rw, nv, lanes) of the tile for elements of ``dtype`` on this host (one-lane vectors where
    LLVM reports no SIMD unit: scalar code through the same kernel)."""
    lanes = host_lanes(np.dtype(str(dtype))) or 1
    return (*tile_shape(lanes), lanes)


def conv2d(x: np.ndarray, f: np.ndarray, sh: int, sw: int, dh: int, dw: int, pt: int, pl: int, oh: int,
           ow: int) -> np.ndarray:
    """NHWC input, HWIO filter -> (n, oh, ow, o), as ``conv_kernels.conv2d`` (same arguments). In
    jitted code this is the overload below, which compiles the host's tile for ``x``'s dtype in."""
    return _conv2d_entry(x, f, sh, sw, dh, dw, pt, pl, oh, ow)  # type: ignore[no-any-return]


@overload(conv2d, jit_options={"error_model": "numpy", "nogil": True})
def _conv2d_jitted(x, f, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    rw, nv, lanes = _tile_for(x.dtype)

    def impl(x, f, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
        return _conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow, rw, nv, lanes)
    return impl


@_jit
def _conv2d_entry(x, f, sh, sw, dh, dw, pt, pl, oh, ow):  # type: ignore[no-untyped-def]
    return conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow)


@_jit
def _conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow, rw, nv, lanes):  # type: ignore[no-untyped-def]
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    block = nv * lanes
    o_pad = (o + block - 1) // block * block
    tiles = (ow + rw - 1) // rw
    # rows and columns the windows read, the last tile's overhang included
    hp = max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(pl + w, (tiles * rw - 1) * sw + (kw - 1) * dw + 1)
    xp = _padded(np.ascontiguousarray(x), pt, pl, hp, wp)
    fp = _packed(f, o_pad)
    y = np.empty((n, oh, tiles * rw, o_pad), dtype=x.dtype)
    xf, wf, yf = xp.reshape(-1), fp.reshape(-1), y.reshape(-1)
    for b in range(n):
        for i in range(oh):
            for co in range(0, o_pad, block):
                for t in range(tiles):
                    j = t * rw
                    _tile(xf, wf, yf, ((b * hp + i * sh) * wp + j * sw) * c, co,
                          ((b * oh + i) * tiles * rw + j) * o_pad + co, kh, kw, c, o_pad,
                          dh * wp * c, dw * c, sw * c, rw, nv, lanes)
    if tiles * rw == ow and o_pad == o:
        return y
    return _cropped(y, ow, o)
