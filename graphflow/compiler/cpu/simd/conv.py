"""Direct convolutions on the host's vector registers: the forward convolution, its input gradient
and its filter gradient, NHWC input and HWIO filter, as the glue's convolution kernels call them
(``compiler/cpu/conv_calls.py``).

Each call copies its operands once into the buffers the tiles read (``conv_tiles.py``): the input
inside a zero border (the padding, so no tile tests bounds), the filter with its output channels
padded to whole tiles. It plans the tiles (``tile_shape``: the vectors of output channels per tile
that pad them least, and as many pixels of accumulators as the host's vector registers hold
beside the weights and one broadcast; ``widths``: each output row, or each filter row's entries,
split into balanced tiles) and runs the row loop compiled for the plan's
literal sizes: tile widths, the vector count and width, and the pixel step (stride x channels).
Those sizes are all the loop is specialised on: a new batch size never compiles again (a new
output width may: it can change the tile widths), and each specialisation is cached on disk like
every kernel library. ``threads`` > 1 splits the images between threads (``split.py``; the loops run without the
GIL), each with its own filter-gradient sum.

The input gradient is the forward convolution of the padded output gradient with the filter
turned half a turn and its channels swapped, for unit strides; for other strides
``conv2d_backprop_input`` returns None and the caller keeps the im2col path, which stays the
oracle in the tests too.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types

from graphflow.compiler.cpu import split
from graphflow.compiler.cpu.simd import conv_tiles as tiles
from graphflow.compiler.cpu.simd.vector import host_features, host_lanes

REGISTERS = 32 if "avx512f" in host_features() else 16
VECTORS = 2  # the most vectors of output channels per tile


def tile_shape(channels: int, lanes: int, registers: int = REGISTERS) -> tuple[int, int]:
    """(widest tile, vectors per pixel) for ``channels`` output channels: the vector count (at most
    ``VECTORS``) that pads the channels least, the wider on a tie; then that many weight vectors,
    one broadcast, and as many pixels of accumulators as the remaining registers hold.

    >>> tile_shape(64, 8, 16), tile_shape(6, 8, 16), tile_shape(24, 8, 16)
    ((6, 2), (13, 1), (13, 1))
    """
    nv = min(range(VECTORS, 0, -1), key=lambda v: _rounded(channels, v * lanes))
    return max(1, (registers - nv - 2) // nv), nv


def widths(n: int, widest: int) -> tuple[int, int, int, int]:
    """``n`` split into the fewest tiles of at most ``widest``, as even as can be: (na, nb, wa, wb),
    ``na`` tiles of ``wa`` then ``nb`` of ``wb`` = ``wa`` - 1 (``nb`` 0 and ``wb`` = ``wa`` where
    they divide evenly)."""
    count = max(1, -(-n // widest))
    lo, extra = divmod(n, count)
    if extra == 0:
        return count, 0, lo, lo
    return extra, count - extra, lo + 1, lo


def usable(dtype: Any) -> bool:
    """Whether the direct kernels serve ``dtype``: float32 and float64 on a host with vectors of at
    least 4 of them (elsewhere im2col and BLAS do better)."""
    d = np.dtype(dtype)
    return d in (np.dtype(np.float32), np.dtype(np.float64)) and host_lanes(d) >= 4


_entries: dict[tuple[Any, ...], Callable[..., None]] = {}
_entries_lock = threading.Lock()

# The row loops' arguments besides the literals: (buffers of the op's dtype, int64 offset tables,
# run-time ints); every buffer is a writable C-contiguous 1-D array
_ARGS = {"forward_rows": (3, 1, 12), "filter_rows": (3, 1, 15)}


def _signature(loop: Any, dtype: np.dtype, literals: tuple[int, ...]) -> tuple[Any, ...]:
    buffers, tables, ints = _ARGS[loop.py_func.__name__]
    return ((numba.typeof(np.empty(1, dtype)),) * buffers + (numba.typeof(np.empty(1, np.int64)),) * tables
            + (types.int64,) * ints + tuple(types.IntegerLiteral(v) for v in literals))


def _entry(loop: Any, dtype: np.dtype, literals: tuple[int, ...]) -> Callable[..., None]:
    """``loop`` compiled (or loaded from the disk cache) for ``dtype`` and the ``literals``; its
    machine-code entry, which Python calls without numba's dispatch (a literal argument would send
    every call through a failed compile first). Looked up by plain values: building numba's
    signature costs about 0.3 ms, more than a small convolution."""
    key = (loop.py_func.__name__, dtype.str, literals)
    fn = _entries.get(key)
    if fn is None:
        with _entries_lock:
            fn = _entries.get(key)
            if fn is None:
                fn = _entries[key] = loop.compile(_signature(loop, dtype, literals))
    return fn


def _forward_literals(dtype: np.dtype, c: int, out_c: int, sw: int, ow: int) -> tuple[tuple[int, int], tuple[int, ...]]:
    """The forward loop's tile counts (na, nb) and literals (wa, wb, nv, lanes, step)."""
    lanes = host_lanes(dtype)
    widest, nv = tile_shape(out_c, lanes)
    na, nb, wa, wb = widths(ow, widest)
    return (na, nb), (wa, wb, nv, lanes, sw * c)


def _filter_literals(dtype: np.dtype, c: int, o: int, kw: int, dw: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The filter-gradient loop's (kw_n, cq, dw_step, na, nb) and literals (wa, wb, nv, lanes)."""
    lanes = host_lanes(dtype)
    widest, nv = tile_shape(o, lanes)
    kw_n, cq, dw_step = (1, kw * c, 0) if dw == 1 else (kw, c, dw * c)
    na, nb, wa, wb = widths(cq, widest)
    return (kw_n, cq, dw_step, na, nb), (wa, wb, nv, lanes)


def _padded(x: np.ndarray, pt: int, pl: int, hp: int, wp: int, c_pad: int, threads: int) -> np.ndarray:
    """``tiles.padded``, its images split between ``threads`` where they are many."""
    if threads == 1 or x.size < split.FLAT_SPLIT:
        return tiles.padded(x, pt, pl, hp, wp, c_pad)  # type: ignore[no-any-return]
    x = np.ascontiguousarray(x)
    xp = np.empty(x.shape[0] * hp * wp * c_pad, dtype=x.dtype)
    split.run(x.shape[0], threads, lambda _, lo, hi: tiles.padded_into(x, pt, pl, hp, wp, c_pad, xp, lo, hi))
    return xp


def _rounded(n: int, block: int) -> int:
    return -(-n // block) * block


def _block(channels: int, dtype: Any) -> int:
    """Output channels per tile."""
    lanes = host_lanes(np.dtype(dtype))
    return tile_shape(channels, lanes)[1] * lanes


def _padded_channels(n: int, dtype: Any) -> int:
    """``n`` output channels rounded up to whole tiles."""
    return _rounded(n, _block(n, dtype))


def worth(out_channels: int, dtype: Any, pixels: int = 1, im2col_pixels: int = 1) -> bool:
    """Whether the direct kernel's work, ``pixels`` outputs of ``out_channels`` rounded up to whole
    tiles, is at most twice what im2col multiplies (``im2col_pixels`` of them, unrounded; more
    than that, and im2col with BLAS does better). The pixels differ for the input gradient, which
    the direct kernel computes at every input pixel, windows over the padding included (a VALID
    5x5 convolution of 14x14 images: 196 against im2col's 100)."""
    return _padded_channels(out_channels, dtype) * pixels <= 2 * out_channels * im2col_pixels


def _forward(xp: np.ndarray, wp_: np.ndarray, n: int, hp: int, wp: int, c: int, kh: int, kw: int, out_c: int,
             sh: int, sw: int, dh: int, dw: int, oh: int, ow: int, threads: int) -> np.ndarray:
    """The forward loop over the padded input ``xp`` and packed filter ``wp_`` -> (n, oh, ow, out_c)."""
    o_pad = _padded_channels(out_c, xp.dtype)
    offs = tiles.window_offsets(kh, kw, c, dh, dw, wp)
    (na, nb), literals = _forward_literals(xp.dtype, c, out_c, sw, ow)
    y = np.empty(n * oh * ow * o_pad, dtype=xp.dtype)
    run = _entry(tiles.forward_rows, xp.dtype, literals)
    split.run(n, threads, lambda _, lo, hi: run(xp, wp_, y, offs, lo, hi, oh, ow, hp, wp, c, sh, sw, o_pad,
                                                na, nb, *literals))
    if o_pad != out_c:
        y = tiles.cropped(y, n * oh * ow, o_pad, out_c)
    return y.reshape(n, oh, ow, out_c)


def conv2d(x: np.ndarray, f: np.ndarray, sh: int, sw: int, dh: int, dw: int, pt: int, pl: int, oh: int,
           ow: int, threads: int = 1) -> np.ndarray:
    """NHWC input, HWIO filter -> (n, oh, ow, o), as ``conv_kernels.conv2d`` (same arguments)."""
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    o_pad = _padded_channels(o, x.dtype)
    hp = max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(pl + w, (ow - 1) * sw + (kw - 1) * dw + 1)
    xp = _padded(x, pt, pl, hp, wp, c, threads)
    fp = tiles.packed(f, o_pad, False, _block(o, x.dtype))
    return _forward(xp, fp, n, hp, wp, c, kh, kw, o, sh, sw, dh, dw, oh, ow, threads)


def conv2d_backprop_input(dy: np.ndarray, f: np.ndarray, n: int, h: int, w: int, sh: int, sw: int, dh: int, dw: int,
                          pt: int, pl: int, threads: int = 1) -> np.ndarray | None:
    """Gradient of :func:`conv2d` in its (n, h, w, c) input, or None where the strides are not 1
    or the padding before exceeds the filter's reach (the caller's im2col path computes those)."""
    kh, kw, c, o = f.shape
    oh, ow = dy.shape[1], dy.shape[2]
    pt2, pl2 = (kh - 1) * dh - pt, (kw - 1) * dw - pl
    if sh != 1 or sw != 1 or pt2 < 0 or pl2 < 0:
        return None
    c_pad = _padded_channels(c, dy.dtype)
    hp = max(pt2 + oh, h + (kh - 1) * dh)
    wp = max(pl2 + ow, w + (kw - 1) * dw)
    dyp = _padded(dy, pt2, pl2, hp, wp, o, threads)
    g = tiles.packed(f, c_pad, True, _block(c, dy.dtype))
    return _forward(dyp, g, n, hp, wp, o, kh, kw, c, 1, 1, dh, dw, h, w, threads)


def conv2d_backprop_filter(x: np.ndarray, dy: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                           pt: int, pl: int, threads: int = 1) -> np.ndarray:
    """Gradient of :func:`conv2d` in its (kh, kw, c, o) filter."""
    n, h, w, c = x.shape
    oh, ow, o = dy.shape[1], dy.shape[2], dy.shape[3]
    o_pad = _padded_channels(o, x.dtype)
    hp = max(pt + h, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(pl + w, (ow - 1) * sw + (kw - 1) * dw + 1)
    xp = _padded(x, pt, pl, hp, wp, c, threads)
    if o_pad == o and dy.flags.c_contiguous and dy.flags.writeable:  # read in place
        dyp = dy.reshape(-1)
    else:
        dyp = _padded(dy, 0, 0, oh, ow, o_pad, threads)
    (kw_n, cq, dw_step, na, nb), literals = _filter_literals(x.dtype, c, o, kw, dw)
    size = kh * kw_n * cq * o_pad
    sums = [np.zeros(size, dtype=x.dtype) for _ in range(max(1, min(threads, n)))]
    poffs = tiles.pixel_offsets(oh, ow, sh, sw, wp, c)
    run = _entry(tiles.filter_rows, x.dtype, literals)
    parts = split.run(n, threads, lambda k, lo, hi: run(xp, dyp, sums[k], poffs, lo, hi, oh, ow, hp, wp, c, dh, kh,
                                                      kw_n, cq, o_pad, dw_step, na, nb, *literals))
    g = sums[0]
    for k in range(1, parts):
        g += sums[k]
    if o_pad != o:
        g = tiles.cropped(g, kh * kw * c, o_pad, o)
    return g.reshape(kh, kw, c, o)


def _planned(kind: str, dtype: np.dtype, h: int, w: int, c: int, kw: int, o: int, sh: int, sw: int, dw: int,
             pt: int, pl: int, kh: int, dh: int, oh: int, ow: int) -> tuple[Any, tuple[int, ...]] | None:
    """The row loop and literals ``kind`` of these shapes runs on the direct kernels, or None where
    it takes im2col (the rules of ``conv_calls``)."""
    if not usable(dtype):
        return None
    if kind == "forward" and worth(o, dtype):
        return tiles.forward_rows, _forward_literals(dtype, c, o, sw, ow)[1]
    if kind == "input" and worth(c, dtype, h * w, oh * ow) and sh == sw == 1 and \
            (kh - 1) * dh >= pt and (kw - 1) * dw >= pl:
        return tiles.forward_rows, _forward_literals(dtype, o, c, 1, w)[1]
    if kind == "filter" and worth(o, dtype):
        return tiles.filter_rows, _filter_literals(dtype, c, o, kw, dw)[1]
    return None


def direct(kind: str, dtype: str, h: int, w: int, c: int, kh: int, kw: int, o: int, sh: int, sw: int, dh: int,
           dw: int, pt: int, pl: int, oh: int, ow: int) -> bool:
    """Whether ``kind`` of these shapes runs on the direct kernels (else im2col), as
    :func:`prepare`'s arguments."""
    return _planned(kind, np.dtype(dtype), h, w, c, kw, o, sh, sw, dw, pt, pl, kh, dh, oh, ow) is not None


def prepared(kind: str, dtype: str, h: int, w: int, c: int, kh: int, kw: int, o: int, sh: int, sw: int, dh: int,
             dw: int, pt: int, pl: int, oh: int, ow: int) -> bool:
    """Whether :func:`prepare` of these arguments has nothing left to compile: the row loop's
    specialisation is loaded or in the disk cache (or the call takes im2col). The compile helper
    asks this before it starts for a graph."""
    plan = _planned(kind, np.dtype(dtype), h, w, c, kw, o, sh, sw, dw, pt, pl, kh, dh, oh, ow)
    if plan is None:
        return True
    loop, literals = plan
    sig = _signature(loop, np.dtype(dtype), literals)
    return sig in loop.overloads or loop._cache.load_overload(sig, loop.targetctx) is not None  # noqa: SLF001


def prepare(kind: str, dtype: str, h: int, w: int, c: int, kh: int, kw: int, o: int, sh: int, sw: int, dh: int,
            dw: int, pt: int, pl: int, oh: int, ow: int) -> None:
    """Compile (or load from the disk cache) what ``kind`` ("forward", "input" or "filter": the
    convolution or one of its gradients) of an (h, w, c) image and a (kh, kw, c, o) filter runs
    here (output (oh, ow)), by running it on one zero image: the compile helper (``runtime/compile_pool.py``) calls
    this for a new graph's convolutions while the graph's own process starts its first step. The
    specialisations depend on the channels, the filter, the strides and the output width, never
    on the batch."""
    same = np.dtype(dtype)
    if _planned(kind, same, h, w, c, kw, o, sh, sw, dw, pt, pl, kh, dh, oh, ow) is None:
        return
    x = np.zeros((1, h, w, c), same)
    f = np.zeros((kh, kw, c, o), same)
    dy = np.zeros((1, oh, ow, o), same)
    if kind == "forward":
        conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow)
    elif kind == "input":
        conv2d_backprop_input(dy, f, 1, h, w, sh, sw, dh, dw, pt, pl)
    else:
        conv2d_backprop_filter(x, dy, kh, kw, sh, sw, dh, dw, pt, pl)
