"""The resize weights of image_resize.py built in the graph, for images whose height or width is
known only at run time (a decoded JPEG, a random crop): the same float32 coordinate rules, with
``one_hot`` rows of the run-time input size in place of the numpy matrices. The output size must
still be static, so each matrix is ``[n_out, n_in]`` with a run-time ``n_in``.
"""
from __future__ import annotations

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.ops import elementwise_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import one_hot
from graphflow.ops.state_ops import constant
from graphflow.ops.state_ops import range as _range

__all__ = ["area_weights", "bicubic_weights", "bilinear_weights", "nearest_taps"]

_F = _dt.float32


def _scale(n_in: Tensor, n_out: int, align_corners: bool) -> Tensor:
    nf = M.cast(n_in, _F)
    if align_corners and n_out > 1:
        return (nf - 1.0) / np.float32(n_out - 1)
    return nf / np.float32(n_out)


def _coords(n_in: Tensor, n_out: int, align_corners: bool, shift: float, offset: float) -> Tensor:
    i = constant(np.arange(n_out, dtype=np.float32) + np.float32(shift))
    return i * _scale(n_in, n_out, align_corners) - np.float32(offset)


def _rows(idx: Tensor, n_in: Tensor, w: Tensor, dt: _dt.DType) -> Tensor:
    """``[n_out, n_in]``: weight ``w[o]`` at column ``idx[o]`` of row ``o``."""
    return one_hot(idx, n_in, dtype=dt) * S.expand_dims(M.cast(w, dt), 1)


def bilinear_weights(n_in: Tensor, n_out: int, align_corners: bool, half_pixel: bool, dt: _dt.DType) -> Tensor:
    v = _coords(n_in, n_out, align_corners, 0.5 if half_pixel else 0.0, 0.5 if half_pixel else 0.0)
    lo_f = M.floor(v)
    lo = M.maximum(M.cast(lo_f, _dt.int32), 0)
    hi = M.minimum(M.cast(M.ceil(v), _dt.int32), n_in - 1)
    lerp = v - lo_f
    return _rows(lo, n_in, 1.0 - lerp, dt) + _rows(hi, n_in, lerp, dt)


def nearest_taps(n_in: Tensor, n_out: int, align_corners: bool, half_pixel: bool) -> Tensor:
    v = _coords(n_in, n_out, align_corners, 0.5 if half_pixel else 0.0, 0.0)
    idx = M.minimum(M.cast(M.floor(v + 0.5) if align_corners else M.floor(v), _dt.int32), n_in - 1)
    return M.maximum(idx, 0) if half_pixel else idx


def bicubic_weights(n_in: Tensor, n_out: int, align_corners: bool, half_pixel: bool, dt: _dt.DType,
                    table: np.ndarray) -> Tensor:
    """``table`` is image_resize's ``[1025, 2]`` coefficient table for the rule in use."""
    v = _coords(n_in, n_out, align_corners, 0.5 if half_pixel else 0.0, 0.5 if half_pixel else 0.0)
    loc_f = M.floor(v)
    loc = M.cast(loc_f, _dt.int32)
    # TF's lrintf rounds half to even; M.round does too (TF1's round)
    off = M.cast(M.round((v - loc_f) * np.float32(table.shape[0] - 1)), _dt.int32)
    near, far = constant(table[:, 0]), constant(table[:, 1])
    n = table.shape[0] - 1

    def pick(t: Tensor, at: Tensor) -> Tensor:
        return R.reduce_sum(one_hot(at, n + 1, dtype=_F) * S.expand_dims(t, 0), axis=1)
    ws = [pick(far, off), pick(near, off), pick(near, n - off), pick(far, n - off)]
    taps = [loc + k for k in (-1, 0, 1, 2)]
    clamped = [M.minimum(M.maximum(t, 0), n_in - 1) for t in taps]
    if half_pixel:  # Keys: taps outside the image are dropped and the rest renormalised
        ws = [M.where(M.equal(c, t), w, ST.zeros_like(w)) for c, t, w in zip(clamped, taps, ws)]
        total = ws[0] + ws[1] + ws[2] + ws[3]
        big = M.greater_equal(M.abs(total), np.float32(1000.0 * np.finfo(np.float32).tiny))
        ws = [M.where(big, w / M.where(big, total, ST.ones_like(total)), w) for w in ws]
    out = _rows(clamped[0], n_in, ws[0], dt)
    for c, w in zip(clamped[1:], ws[1:]):
        out = out + _rows(c, n_in, w, dt)
    return out


def area_weights(n_in: Tensor, n_out: int, align_corners: bool, dt: _dt.DType) -> Tensor:
    """Box coverage of each input cell; cover past the last cell goes to it (TF clamps indices)."""
    s = _scale(n_in, n_out, align_corners)
    o = constant(np.arange(n_out, dtype=np.float32))
    start, stop = S.expand_dims(o * s, 1), S.expand_dims((o + 1.0) * s, 1)
    i = S.expand_dims(M.cast(_range(n_in), _F), 0)
    cover = M.maximum(M.minimum(i + 1.0, stop) - M.maximum(i, start), 0.0)
    past = M.maximum(stop - M.maximum(M.cast(n_in, _F), start), 0.0)
    last = one_hot(ST.zeros_like(o, dtype=_dt.int32) + (n_in - 1), n_in, dtype=_F)
    w = (cover + past * last) / M.where(M.equal(s, 0.0), np.float32(1.0), s)
    # a one-pixel axis with align_corners has scale 0: every box is that pixel
    w = M.where(M.equal(s, 0.0), ST.ones_like(w), w)
    return M.cast(w, dt)
