"""Image resizing (TF1's ResizeBilinear, ResizeBicubic, ResizeArea, ResizeNearestNeighbor) as
separable linear maps built when the graph is built.

Every one of TF1's resize kernels reads each output row from input rows only and each output column
from input columns only, with weights that depend on the sizes and flags but never on the pixel
values. So for static sizes a resize is ``R @ image @ C^T`` per image and channel, with an
``[out_h, in_h]`` row matrix ``R`` and an ``[out_w, in_w]`` column matrix ``C`` computed here in numpy
with the kernels' own float32 coordinate rules:

- bilinear: legacy ``in = out * scale`` or half-pixel ``(out + 0.5) * scale - 0.5``; taps
  ``max(floor(in), 0)`` and ``min(ceil(in), n - 1)`` weighted ``1 - lerp`` and ``lerp``;
- bicubic: the same coordinates; weights read from TF's 1024-step coefficient table at
  ``rint(delta * 1024)``, a = -0.75 with clamped taps for the legacy rule, Keys' a = -0.5 with
  out-of-range taps dropped and the rest renormalised under half-pixel centers (TF couples the two);
- area: each output cell averages the input cells its box ``[out * scale, (out + 1) * scale)`` covers,
  by coverage (indices past the edge clamp to it, as TF's do);
- nearest: one tap, ``floor`` (or ``round`` with align_corners) of the legacy ``out * scale`` or the
  half-pixel ``(out + 0.5) * scale``, read with a gather so the dtype is kept.

An image whose height or width is known only at run time (a decoded JPEG) gets the same weights
built in the graph by image_resize_run_time.py.

Why matrices rather than a dedicated kernel: the two contractions are matmuls (the CPU's GEMM and
CUDA's BLAS, with no new kernel to write for either target), their gradients are the exact
transposed maps that TF's ResizeBilinearGrad / ResizeBicubicGrad compute, and they are
differentiable twice. The cost is O(out_h * in_h) per column, which for
extreme downscales of large images is more arithmetic than TF's kernels do; values agree with TF to
float32 rounding (TF sums the same products in a different order), not bit for bit. The output
size must be known when the graph is built (constant tensors fold); one computed at run time is an
error. Measured on a shared 2-core CPU, 8x224x224x3 images: bilinear to 299x299 took ~170 ms
against TF's ResizeBilinear ~57 ms, bicubic to 112x112 ~48 ms against ~16 ms, area to 56x56
~21 ms against ~16 ms: slower than TF's dedicated kernels, in exchange for exact gradients and
the device lowering that matmul already has.
"""
from __future__ import annotations

import enum

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import image_resize_run_time as RT
from graphflow.ops import shape_ops as S
from graphflow.ops.array_ops import gather
from graphflow.ops.linalg_ops import einsum
from graphflow.ops.state_ops import constant

__all__ = ["ResizeMethod", "area_matrix", "bicubic_matrix", "bilinear_matrix", "nearest_indices", "resize"]

_F = np.float32
_TABLE = 1024


class ResizeMethod(enum.IntEnum):
    """``tf.image.ResizeMethod`` (TF1's integer values)."""
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _scale(n_in: int, n_out: int, align_corners: bool) -> np.float32:
    if align_corners and n_out > 1:
        return _F(n_in - 1) / _F(n_out - 1)
    return _F(n_in) / _F(n_out)


def _coords(n_in: int, n_out: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """Each output index's source coordinate, in float32 as TF's kernels compute it."""
    s = _scale(n_in, n_out, align_corners)
    i = np.arange(n_out, dtype=_F)
    return ((i + _F(0.5)) * s - _F(0.5)).astype(_F) if half_pixel else (i * s).astype(_F)


def bilinear_matrix(n_in: int, n_out: int, align_corners: bool = False, half_pixel_centers: bool = False) -> np.ndarray:
    """``[n_out, n_in]`` weights of TF's bilinear resize along one axis.

    >>> bilinear_matrix(2, 4).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0], [0.0, 1.0]]
    """
    v = _coords(n_in, n_out, align_corners, half_pixel_centers)
    lo_f = np.floor(v)
    lo = np.maximum(lo_f.astype(np.int64), 0)
    hi = np.minimum(np.ceil(v).astype(np.int64), n_in - 1)
    lerp = (v - lo_f).astype(np.float64)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, lo), 1.0 - lerp)
    np.add.at(m, (rows, hi), lerp)
    return m


def _cubic_table(a: float) -> np.ndarray:
    x = np.arange(_TABLE + 1, dtype=_F) / _F(_TABLE)
    a = _F(a)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x1 = x + 1
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    return np.stack([near, far], axis=1).astype(_F)


def bicubic_matrix(n_in: int, n_out: int, align_corners: bool = False, half_pixel_centers: bool = False) -> np.ndarray:
    """``[n_out, n_in]`` weights of TF's bicubic resize along one axis (see the module docstring).

    >>> bicubic_matrix(3, 3).round(3).tolist()[1]
    [0.0, 1.0, 0.0]
    """
    keys = half_pixel_centers
    table = _cubic_table(-0.5 if keys else -0.75)
    v = _coords(n_in, n_out, align_corners, half_pixel_centers)
    loc = np.floor(v).astype(np.int64)
    off = np.rint((v - np.floor(v)) * _F(_TABLE)).astype(np.int64)
    w = np.stack([table[off, 1], table[off, 0], table[_TABLE - off, 0], table[_TABLE - off, 1]], axis=1)
    w = w.astype(np.float64)
    taps = loc[:, None] + np.arange(-1, 3)
    clamped = np.clip(taps, 0, n_in - 1)
    if keys:
        w = np.where(clamped == taps, w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        w = np.where(np.abs(total) >= 1000.0 * np.finfo(np.float32).tiny, w / np.where(total == 0, 1, total), w)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.repeat(np.arange(n_out), 4), clamped.reshape(-1)), w.reshape(-1))
    return m


def area_matrix(n_in: int, n_out: int, align_corners: bool = False) -> np.ndarray:
    """``[n_out, n_in]`` box-coverage weights of TF's area resize along one axis.

    >>> area_matrix(4, 2).tolist()
    [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    """
    s = _scale(n_in, n_out, align_corners)
    if s == 0:  # a one-pixel axis with align_corners: every box is that pixel (TF's result too)
        return np.ones((n_out, n_in))
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        start, stop = _F(o) * s, _F(o + 1) * s
        for i in range(int(np.floor(start)), int(np.ceil(stop))):
            cover = min(_F(i + 1), stop) - max(_F(i), start)
            m[o, min(i, n_in - 1)] += float(cover)
    return m / float(s)


def nearest_indices(n_in: int, n_out: int, align_corners: bool = False, half_pixel_centers: bool = False) -> np.ndarray:
    """The input index TF's nearest-neighbour resize reads for each output index.

    >>> nearest_indices(3, 6).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    s = _scale(n_in, n_out, align_corners)
    i = np.arange(n_out, dtype=_F)
    v = ((i + _F(0.5)) * s).astype(_F) if half_pixel_centers else (i * s).astype(_F)
    idx = (np.floor(v + _F(0.5)) if align_corners else np.floor(v)).astype(np.int64)
    idx = np.minimum(idx, n_in - 1)
    return np.maximum(idx, 0) if half_pixel_centers else idx


def static_size(size: TensorLike, what: str) -> tuple[int, int]:
    """``size`` as two ints ``(height, width)``, folded from constants if it is a tensor."""
    v = static_value(size) if isinstance(size, Tensor) else np.asarray(size)
    if v is None:
        raise ValueError(f"{what}: size {size.name} is computed at run time; graphflow's resizes need a size known "
                         "when the graph is built (a Python list, a constant, or shapes of static tensors)")
    flat = np.asarray(v).reshape(-1)
    if flat.size != 2 or not np.issubdtype(flat.dtype, np.integer):
        raise ValueError(f"{what}: size must be 2 ints [new_height, new_width], got {v!r}")
    h, w = int(flat[0]), int(flat[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"{what}: size must be positive, got [{h}, {w}]")
    return h, w


def _hw(x: Tensor, what: str) -> tuple[int | None, int | None]:
    if x.shape.rank != 4:
        raise ValueError(f"{what}: images must be 4-D [batch, height, width, channels], got shape {x.shape}")
    h, w = x.shape.as_list()[1:3]
    return h, w


def _axis(x: Tensor, n: int | None, axis: int, n_out: int, method: ResizeMethod, align_corners: bool,
          half_pixel: bool, dt: _dt.DType) -> Tensor:
    """The ``[n_out, n]`` weights of one axis: numpy's when ``n`` is static, else built in the graph."""
    if n is not None:
        if method is ResizeMethod.AREA:
            m = area_matrix(n, n_out, align_corners)
        elif method is ResizeMethod.BILINEAR:
            m = bilinear_matrix(n, n_out, align_corners, half_pixel)
        else:
            m = bicubic_matrix(n, n_out, align_corners, half_pixel)
        return constant(m.astype(dt.np))
    size = S.shape(x)[axis]
    if method is ResizeMethod.AREA:
        return RT.area_weights(size, n_out, align_corners, dt)
    if method is ResizeMethod.BILINEAR:
        return RT.bilinear_weights(size, n_out, align_corners, half_pixel, dt)
    return RT.bicubic_weights(size, n_out, align_corners, half_pixel, dt, _cubic_table(-0.5 if half_pixel else -0.75))


def _taps(x: Tensor, n: int | None, axis: int, n_out: int, align_corners: bool, half_pixel: bool) -> Tensor:
    if n is not None:
        return constant(nearest_indices(n, n_out, align_corners, half_pixel).astype(np.int32))
    return RT.nearest_taps(S.shape(x)[axis], n_out, align_corners, half_pixel)


def resize(images: TensorLike, size: TensorLike, method: int = ResizeMethod.BILINEAR, align_corners: bool = False,
           half_pixel_centers: bool = False, dtype: _dt.DType | None = None, name: str | None = None) -> Tensor:
    """4-D ``images`` resized to ``size`` as TF's Resize* kernel for ``method``. Bilinear, bicubic and
    area give ``dtype`` (TF: float32; float64 inputs may keep float64 for gradient checks); nearest
    keeps the input's dtype.

    >>> import graphflow as gf
    >>> resize(gf.ones((1, 2, 3, 1)), [4, 6]).shape.as_list()
    [1, 4, 6, 1]
    """
    method = ResizeMethod(int(method))
    x = convert_to_tensor(images)
    what = f"resize ({method.name.lower()})"
    h, w = _hw(x, what)
    oh, ow = static_size(size, what)
    if method is ResizeMethod.AREA and half_pixel_centers:
        raise ValueError(f"{what}: half_pixel_centers is not an option of the area resize")
    if align_corners and half_pixel_centers:
        raise ValueError(f"{what}: align_corners and half_pixel_centers cannot both be True (TF1 refuses it too)")
    if method is ResizeMethod.NEAREST_NEIGHBOR:
        rows = _taps(x, h, 1, oh, align_corners, half_pixel_centers)
        cols = _taps(x, w, 2, ow, align_corners, half_pixel_centers)
        y = gather(gather(x, rows, axis=1), cols, axis=2)
        y.set_shape([None, oh, ow, None])
        return M.identity(y, name=name or "ResizeNearestNeighbor")
    dt = _dt.as_dtype(dtype or _dt.float32)
    r = _axis(x, h, 1, oh, method, align_corners, half_pixel_centers, dt)
    c = _axis(x, w, 2, ow, method, align_corners, half_pixel_centers, dt)
    xf = M.cast(x, dt) if x.dtype != dt else x
    y = einsum("pw,bowc->bopc", c, einsum("oh,bhwc->bowc", r, xf))
    y.set_shape([None, oh, ow, None])
    return M.identity(y, name=name or f"Resize{method.name.title().replace('_', '')}")
