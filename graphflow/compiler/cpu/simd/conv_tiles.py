"""The register tiles of the direct convolutions and the jitted loops that run them, written in the
SIMD vocabulary (``vector.py``). NHWC images, HWIO filters, both copied first into the padded
buffers of ``conv.py`` (a zero border, output channels padded to whole tiles).

Two tiles, each generated as source for its sizes and compiled where a loop calls it with literal
sizes (an ``overload``), so nothing is written per shape by hand:

- ``forward``: ``rw`` output pixels of one row times ``nv`` vectors of output channels, ``rw * nv``
  accumulators in registers; the loops over the filter's rows, columns and input channels load
  ``nv`` weight vectors and broadcast one input value per pixel. Pixel ``r`` reads at ``r * step``
  from the first (``step`` = stride x channels, a literal: every broadcast address is then a base
  register plus a constant, and no pixel needs a register of its own).
- ``filter``: the filter gradient's ``rw`` consecutive (filter column, input channel) entries times
  ``nv`` vectors of output channels, summed over every output pixel of one image: per pixel,
  ``nv`` loads of the output gradient and ``rw`` broadcasts of the input; the sums are added to the
  gradient at the end.

With a unit dilation along the width, a filter row's columns and input channels are one
contiguous run of ``kw * c`` values of the padded input row, so both tiles take them as one loop
(``kw_n`` = 1, ``cq`` = ``kw * c``).

The row loops (``forward_rows``, ``filter_rows``) take the two tile widths a row is split into as
literals (``conv.py`` plans them: balanced widths, so no tile is a sliver and none overhangs) and
run a range of images, so the caller can split a batch between threads.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.extending import overload

from graphflow.compiler.cpu.simd.vector import NAMES

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)


def forward_source(rw: int, nv: int, lanes: int, step: int) -> str:
    """One forward tile: ``rw`` pixels (``step`` elements apart in the padded input) x ``nv``
    vectors of output channels, over the ``taps`` entries of the receptive field (``offs``: each
    entry's offset in the padded input from the window's first)."""
    block = nv * lanes
    out = ["def tile(xf, wf, yf, offs, xa, wb, yb, taps, o, rw, nv, lanes, step):"]
    out += [f"    a{r}_{v} = vzero(wf, {lanes})" for r in range(rw) for v in range(nv)]
    out += ["    for t in range(taps):",
            "        xk = xa + offs[t]",
            f"        wk = wb + t * {block}"]
    out += [f"        w{v} = vload(wf, wk + {v * lanes}, {lanes})" for v in range(nv)]
    for r in range(rw):
        out.append(f"        b = vsplat_at(xf, xk + {r * step}, {lanes})")
        out += [f"        a{r}_{v} = vfma(b, w{v}, a{r}_{v})" for v in range(nv)]
    out += [f"    vstore(yf, yb + {r} * o + {v * lanes}, a{r}_{v})" for r in range(rw) for v in range(nv)]
    return "\n".join(out) + "\n"


def filter_source(rw: int, nv: int, lanes: int) -> str:
    """One filter-gradient tile: ``rw`` consecutive input entries x ``nv`` vectors of output
    channels, summed over an image's output pixels (``poffs``: each pixel's offset in the padded
    input from the first; one loop over all of them, not a short one per row) and added to the
    gradient."""
    out = ["def tile(xf, dyf, gf, poffs, xb, dyb, gb, o, rw, nv, lanes):"]
    out += [f"    a{r}_{v} = vzero(gf, {lanes})" for r in range(rw) for v in range(nv)]
    out += ["    for t in range(poffs.size):",
            "        xj = xb + poffs[t]",
            "        dj = dyb + t * o"]
    out += [f"        d{v} = vload(dyf, dj + {v * lanes}, {lanes})" for v in range(nv)]
    for r in range(rw):
        out.append(f"        b = vsplat_at(xf, xj + {r}, {lanes})")
        out += [f"        a{r}_{v} = vfma(b, d{v}, a{r}_{v})" for v in range(nv)]
    for r in range(rw):
        for v in range(nv):
            at = f"gb + {r} * o + {v * lanes}"
            out.append(f"    vstore(gf, {at}, vadd(vload(gf, {at}, {lanes}), a{r}_{v}))")
    return "\n".join(out) + "\n"


def _literal(*ts: object) -> bool:
    return all(isinstance(t, types.IntegerLiteral) for t in ts)


def _compiled(source: str) -> object:
    scope = dict(NAMES)
    exec(source, scope)  # noqa: S102  (source generated above from four literal ints)
    return scope["tile"]


def _forward_tile(xf, wf, yf, offs, xa, wb, yb, taps, o, rw, nv, lanes, step):  # type: ignore[no-untyped-def]
    """Stands for the generated forward tile in jitted code (``_forward_impl``)."""
    raise TypeError("tiles are compiled into jitted loops; from Python, call conv.conv2d")


@overload(_forward_tile, jit_options={"error_model": "numpy", "nogil": True})
def _forward_impl(xf, wf, yf, offs, xa, wb, yb, taps, o, rw, nv, lanes, step):  # type: ignore[no-untyped-def]
    # (numba requires the implementation's signature to be the stub's)
    if not _literal(rw, nv, lanes, step):
        return None
    return _compiled(forward_source(rw.literal_value, nv.literal_value, lanes.literal_value, step.literal_value))


def _filter_tile(xf, dyf, gf, poffs, xb, dyb, gb, o, rw, nv, lanes):  # type: ignore[no-untyped-def]
    """Stands for the generated filter-gradient tile in jitted code (``_filter_impl``)."""
    raise TypeError("tiles are compiled into jitted loops; from Python, call conv.conv2d_backprop_filter")


@overload(_filter_tile, jit_options={"error_model": "numpy", "nogil": True})
def _filter_impl(xf, dyf, gf, poffs, xb, dyb, gb, o, rw, nv, lanes):  # type: ignore[no-untyped-def]
    if not _literal(rw, nv, lanes):
        return None
    return _compiled(filter_source(rw.literal_value, nv.literal_value, lanes.literal_value))


@_jit
def forward_rows(xf, wf, yf, offs, n0, n1, oh, ow, hp, wp, c, sh, sw, o_pad,  # type: ignore[no-untyped-def]
                 na, nb, wa, wb, nv, lanes, step):
    """Images n0..n1-1 of the forward convolution: each output row in ``na`` tiles of ``wa``
    pixels then ``nb`` of ``wb``, for every block of ``nv * lanes`` output channels (``offs``:
    the receptive field, as ``window_offsets`` lists it)."""
    block = nv * lanes
    taps = offs.size
    for b in range(n0, n1):
        for i in range(oh):
            xrow = (b * hp + i * sh) * wp * c
            yrow = (b * oh + i) * ow * o_pad
            for co in range(0, o_pad, block):
                for t in range(na):
                    j = t * wa
                    _forward_tile(xf, wf, yf, offs, xrow + j * sw * c, co * taps, yrow + j * o_pad + co, taps, o_pad,
                                  wa, nv, lanes, step)
                for t in range(nb):
                    j = na * wa + t * wb
                    _forward_tile(xf, wf, yf, offs, xrow + j * sw * c, co * taps, yrow + j * o_pad + co, taps, o_pad,
                                  wb, nv, lanes, step)


def window_offsets(kh: int, kw: int, c: int, dh: int, dw: int, wp: int) -> np.ndarray:
    """Each (filter row, column, input channel)'s offset from a window's first element in an
    image ``wp`` pixels wide, in the filter's order (the forward tile's receptive field)."""
    i, j, ci = np.meshgrid(np.arange(kh), np.arange(kw), np.arange(c), indexing="ij")
    return ((i * dh * wp + j * dw) * c + ci).reshape(-1).astype(np.int64)


@_jit
def filter_rows(xf, dyf, gf, poffs, n0, n1, oh, ow, hp, wp, c, dh, kh, kw_n, cq, o_pad, dw_step,  # type: ignore[no-untyped-def]
                na, nb, wa, wb, nv, lanes):
    """Adds images n0..n1-1's part of the filter gradient to ``gf`` ((kh, kw_n * cq, o_pad) flat):
    for each filter row and column, the ``cq`` entries in ``na`` tiles of ``wa`` then ``nb`` of
    ``wb``, for every block of ``nv * lanes`` output channels (``poffs``: ``pixel_offsets``)."""
    block = nv * lanes
    for b in range(n0, n1):
        dyb = b * oh * ow * o_pad
        for k in range(kh):
            for kw in range(kw_n):
                xb = (b * hp + k * dh) * wp * c + kw * dw_step
                gb = (k * kw_n + kw) * cq * o_pad
                for co in range(0, o_pad, block):
                    for t in range(na):
                        q = t * wa
                        _filter_tile(xf, dyf, gf, poffs, xb + q, dyb + co, gb + q * o_pad + co, o_pad, wa, nv, lanes)
                    for t in range(nb):
                        q = na * wa + t * wb
                        _filter_tile(xf, dyf, gf, poffs, xb + q, dyb + co, gb + q * o_pad + co, o_pad, wb, nv, lanes)


def pixel_offsets(oh: int, ow: int, sh: int, sw: int, wp: int, c: int) -> np.ndarray:
    """Each output pixel's window's offset from the first one's in a padded image ``wp`` pixels
    wide, in row-major order (the filter-gradient tile's loop)."""
    i, j = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    return ((i * sh * wp + j * sw) * c).reshape(-1).astype(np.int64)


# (explicit loops: numba compiles a 4-d slice assignment in seconds, these in a fraction)
@_jit
def padded(x, pt, pl, hp, wp, c_pad):  # type: ignore[no-untyped-def]
    """``x`` (n, h, w, c) inside a zero border: ``pt`` rows above, ``pl`` columns left, (hp, wp)
    in all, its channels padded with zeros to ``c_pad``."""
    xp = np.empty(x.shape[0] * hp * wp * c_pad, dtype=x.dtype)
    padded_into(x, pt, pl, hp, wp, c_pad, xp, 0, x.shape[0])
    return xp


@_jit
def padded_into(x, pt, pl, hp, wp, c_pad, xp, b0, b1):  # type: ignore[no-untyped-def]
    """:func:`padded`'s images b0..b1-1 into the flat ``xp``, border included (the caller may
    split a batch between threads)."""
    n, h, w, c = x.shape
    xf = np.ascontiguousarray(x).reshape(-1)
    image = hp * wp * c_pad
    for b in range(b0, b1):
        base = b * image
        for k in range(image):
            xp[base + k] = 0
        for i in range(h):
            src = (b * h + i) * w * c
            dst = base + ((i + pt) * wp + pl) * c_pad
            if c == c_pad:
                for k in range(w * c):
                    xp[dst + k] = xf[src + k]
            else:
                for j in range(w):
                    for k in range(c):
                        xp[dst + j * c_pad + k] = xf[src + j * c + k]


@_jit
def packed(f, o_pad, flip, block):  # type: ignore[no-untyped-def]
    """The (kh, kw, c, o) filter in the forward tile's layout: output channels zero-padded to
    ``o_pad`` and cut into blocks of ``block``, each block's (kh, kw, c, block) contiguous (a tile
    then streams its weights in order). With ``flip``, the input gradient's filter instead: turned
    half a turn in its rows and columns, input and output channels swapped (``o_pad`` then pads
    ``c``)."""
    kh, kw, c, o = f.shape
    ff = np.ascontiguousarray(f).reshape(-1)
    cin = o if flip else c
    fp = np.zeros(kh * kw * cin * o_pad, dtype=f.dtype)
    for i in range(kh):
        for j in range(kw):
            for ci in range(cin):
                for k in range(c if flip else o):
                    if flip:
                        v = ff[(((kh - 1 - i) * kw + (kw - 1 - j)) * c + k) * o + ci]
                    else:
                        v = ff[((i * kw + j) * c + ci) * o + k]
                    ob, kk = k // block, k % block
                    fp[(((ob * kh + i) * kw + j) * cin + ci) * block + kk] = v
    return fp


@_jit
def cropped(y, rows, o_pad, o):  # type: ignore[no-untyped-def]
    """The first ``o`` of every ``o_pad`` channels of the flat ``y`` (``rows`` pixels)."""
    out = np.empty(rows * o, dtype=y.dtype)
    for r in range(rows):
        for k in range(o):
            out[r * o + k] = y[r * o_pad + k]
    return out
