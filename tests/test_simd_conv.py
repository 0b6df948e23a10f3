"""The generated direct convolution (``compiler/cpu/simd/conv.py``) against the im2col kernel and
the numpy reference: random shapes with odd sizes and tails (pixels that do not fill a tile,
channels that do not fill a vector), strides, dilations, SAME / VALID / explicit padding, float32
and float64."""
from __future__ import annotations

import numpy as np
import pytest

from graphflow.ops.conv_geometry import ConvAttrs, _conv_ref, pads, window
from graphflow.runtime import cache

# loaded as generated code loads them: their machine code cached in the private cache folder
conv_kernels = cache.library("graphflow.compiler.cpu.conv_kernels")
simd_conv = cache.library("graphflow.compiler.cpu.simd.conv")

CASES = [  # (n, h, w, c, o, kh, kw, stride, dilation, padding)
    (1, 5, 5, 1, 1, 3, 3, (1, 1), (1, 1), "SAME"),
    (2, 7, 9, 3, 5, 3, 3, (1, 1), (1, 1), "SAME"),
    (3, 10, 11, 4, 16, 3, 2, (2, 2), (1, 1), "VALID"),
    (2, 9, 8, 5, 20, 2, 3, (1, 2), (2, 1), "SAME"),
    (1, 13, 6, 7, 33, 4, 4, (3, 1), (1, 1), ((1, 2), (0, 3))),
    (2, 14, 14, 32, 64, 5, 5, (1, 1), (1, 1), "SAME"),
    (1, 28, 28, 1, 32, 5, 5, (1, 1), (1, 1), "SAME"),
    (2, 6, 17, 9, 8, 1, 1, (1, 1), (1, 1), "VALID"),
]


def _geometry(h: int, w: int, kh: int, kw: int, stride: tuple[int, int], dil: tuple[int, int],
              padding: object) -> tuple[int, int, int, int]:
    same, (t, b), (left, r) = pads(padding)  # type: ignore[arg-type]
    oh, pt = window(h, kh, stride[0], dil[0], same, t, b)
    ow, pl = window(w, kw, stride[1], dil[1], same, left, r)
    return oh, ow, pt, pl


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_direct_convolution_agrees_with_im2col_and_numpy(case: tuple, dtype: type) -> None:
    n, h, w, c, o, kh, kw, stride, dil, padding = case
    rng = np.random.RandomState(h * 31 + w)
    x = rng.randn(n, h, w, c).astype(dtype)
    f = rng.randn(kh, kw, c, o).astype(dtype)
    oh, ow, pt, pl = _geometry(h, w, kh, kw, stride, dil, padding)
    got = simd_conv.conv2d(x, f, stride[0], stride[1], dil[0], dil[1], pt, pl, oh, ow)
    im2col = conv_kernels.conv2d(x, f, stride[0], stride[1], dil[0], dil[1], pt, pl, oh, ow)
    ref = _conv_ref(ConvAttrs(stride, dil, padding), x.astype(np.float64), f.astype(np.float64))  # the row's reference
    assert got.shape == (n, oh, ow, o) == im2col.shape == ref.shape
    assert got.dtype == dtype and got.flags.c_contiguous
    tol = 1e-4 * np.sqrt(kh * kw * c) if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, im2col, rtol=tol, atol=tol)


def test_a_new_batch_size_does_not_compile_again() -> None:
    x = np.ones((3, 6, 6, 2), np.float32)
    f = np.ones((3, 3, 2, 8), np.float32)
    simd_conv.conv2d(x, f, 1, 1, 1, 1, 1, 1, 6, 6)
    before = len(simd_conv._conv2d.signatures)
    y = simd_conv.conv2d(np.ones((5, 6, 6, 2), np.float32), f, 1, 1, 1, 1, 1, 1, 6, 6)
    assert len(simd_conv._conv2d.signatures) == before
    assert y[0, 2, 2, 0] == 18.0 and y[0, 0, 0, 0] == 8.0  # an interior window, a corner (4 of 9 taps)
