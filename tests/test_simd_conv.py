"""The generated direct convolutions (``compiler/cpu/simd/conv.py``: forward, input and filter
gradients) against the im2col kernels and the numpy reference: random shapes with odd sizes and tails (pixels that do not fill a tile,
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
    (3, 8, 7, 6, 19, 3, 3, (1, 1), (2, 2), "SAME"),
    (2, 9, 10, 3, 4, 3, 2, (1, 1), (1, 1), ((0, 1), (1, 0))),
]


def _geometry(h: int, w: int, kh: int, kw: int, stride: tuple[int, int], dil: tuple[int, int],
              padding: object) -> tuple[int, int, int, int]:
    same, (t, b), (left, r) = pads(padding)  # type: ignore[arg-type]
    oh, pt = window(h, kh, stride[0], dil[0], same, t, b)
    ow, pl = window(w, kw, stride[1], dil[1], same, left, r)
    return oh, ow, pt, pl


def _tol(dtype: type, k: int) -> float:
    return 1e-4 * np.sqrt(k) if dtype == np.float32 else 1e-12


def _case(case: tuple, dtype: type) -> tuple:
    n, h, w, c, o, kh, kw, stride, dil, padding = case
    rng = np.random.RandomState(h * 31 + w)
    x = rng.randn(n, h, w, c).astype(dtype)
    f = rng.randn(kh, kw, c, o).astype(dtype)
    oh, ow, pt, pl = _geometry(h, w, kh, kw, stride, dil, padding)
    dy = rng.randn(n, oh, ow, o).astype(dtype)
    return x, f, dy, (stride[0], stride[1], dil[0], dil[1], pt, pl), oh, ow


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_direct_convolution_agrees_with_im2col_and_numpy(case: tuple, dtype: type) -> None:
    x, f, _, geo, oh, ow = _case(case, dtype)
    n, h, w, c, o, kh, kw, stride, dil, padding = case
    got = simd_conv.conv2d(x, f, *geo, oh, ow)
    im2col = conv_kernels.conv2d(x, f, *geo, oh, ow)
    ref = _conv_ref(ConvAttrs(stride, dil, padding), x.astype(np.float64), f.astype(np.float64))
    assert got.shape == (n, oh, ow, o) == im2col.shape == ref.shape
    assert got.dtype == dtype and got.flags.c_contiguous
    tol = _tol(dtype, kh * kw * c)
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, im2col, rtol=tol, atol=tol)


def _adjoint_gap(attrs: ConvAttrs, x: np.ndarray, f: np.ndarray, dy: np.ndarray, gx: np.ndarray | None,
                 gf: np.ndarray) -> float:
    """How far the gradients miss the adjoint identities of the reference forward (float64, random
    probes): <conv(x', f), dy> = <x', gx> and <conv(x, f'), dy> = <f', gf>, relative."""
    rng = np.random.RandomState(7)
    x64, f64, dy64 = x.astype(np.float64), f.astype(np.float64), dy.astype(np.float64)
    gaps = []
    for _ in range(2):
        if gx is not None:
            xp = rng.randn(*x.shape)
            lhs, rhs = np.sum(_conv_ref(attrs, xp, f64) * dy64), np.sum(xp * gx)
            gaps.append(abs(lhs - rhs) / (abs(lhs) + 1.0))
        fp = rng.randn(*f.shape)
        lhs, rhs = np.sum(_conv_ref(attrs, x64, fp) * dy64), np.sum(fp * gf)
        gaps.append(abs(lhs - rhs) / (abs(lhs) + 1.0))
    return max(gaps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_direct_gradients_agree_with_im2col_and_the_adjoint_of_numpy(case: tuple, dtype: type) -> None:
    x, f, dy, geo, oh, ow = _case(case, dtype)
    n, h, w, c, o, kh, kw, stride, dil, padding = case
    gx = simd_conv.conv2d_backprop_input(dy, f, n, h, w, *geo)
    gf = simd_conv.conv2d_backprop_filter(x, dy, kh, kw, *geo)
    unit = stride == (1, 1) and geo[4] <= (kh - 1) * dil[0] and geo[5] <= (kw - 1) * dil[1]
    assert (gx is not None) == unit  # strided ones are left to im2col
    tol = _tol(dtype, oh * ow * n * max(c, o))
    if gx is not None:
        assert gx.shape == x.shape and gx.dtype == dtype and gx.flags.c_contiguous
        np.testing.assert_allclose(gx, conv_kernels.conv2d_backprop_input(dy, f, n, h, w, *geo), rtol=tol, atol=tol)
    assert gf.shape == f.shape and gf.dtype == dtype and gf.flags.c_contiguous
    np.testing.assert_allclose(gf, conv_kernels.conv2d_backprop_filter(x, dy, kh, kw, *geo), rtol=tol, atol=tol)
    assert _adjoint_gap(ConvAttrs(stride, dil, padding), x, f, dy, gx, gf) < (1e-4 if dtype == np.float32 else 1e-11)


@pytest.mark.parametrize("threads", [2, 3])
def test_a_batch_split_between_threads_sums_as_one(threads: int) -> None:
    x, f, dy, geo, oh, ow = _case(CASES[5], np.float64)
    n, h, w = x.shape[:3]
    np.testing.assert_allclose(simd_conv.conv2d(x, f, *geo, oh, ow, threads=threads),
                               simd_conv.conv2d(x, f, *geo, oh, ow), rtol=0, atol=0)
    np.testing.assert_allclose(simd_conv.conv2d_backprop_input(dy, f, n, h, w, *geo, threads=threads),
                               simd_conv.conv2d_backprop_input(dy, f, n, h, w, *geo), rtol=0, atol=0)
    np.testing.assert_allclose(simd_conv.conv2d_backprop_filter(x, dy, 5, 5, *geo, threads=threads),
                               simd_conv.conv2d_backprop_filter(x, dy, 5, 5, *geo), rtol=1e-12, atol=1e-12)


def test_a_new_batch_size_or_image_height_does_not_compile_again() -> None:
    f = np.ones((3, 3, 2, 8), np.float32)
    simd_conv.conv2d(np.ones((3, 6, 6, 2), np.float32), f, 1, 1, 1, 1, 1, 1, 6, 6)
    before = len(simd_conv._entries)
    y = simd_conv.conv2d(np.ones((5, 12, 6, 2), np.float32), f, 1, 1, 1, 1, 1, 1, 12, 6)
    assert len(simd_conv._entries) == before
    assert y[0, 2, 2, 0] == 18.0 and y[0, 0, 0, 0] == 8.0  # an interior window, a corner (4 of 9 taps)


@pytest.mark.parametrize("n,widest", [(14, 6), (28, 6), (5, 6), (6, 6), (160, 6), (1, 6), (13, 14)])
def test_rows_split_into_even_tiles(n: int, widest: int) -> None:
    na, nb, wa, wb = simd_conv.widths(n, widest)
    assert na * wa + nb * wb == n and 1 <= wa <= widest and wb in (wa, wa - 1) and (nb == 0 or wb == wa - 1)
    assert na + nb == -(-n // widest)  # the fewest tiles


def test_a_large_batch_splits_its_copies_between_threads_and_computes_the_same() -> None:
    """Above split.FLAT_SPLIT input elements the padded copies split their images too."""
    from graphflow.compiler.cpu import split
    rng = np.random.RandomState(5)
    x = rng.randn(33, 16, 16, 32)
    f = rng.randn(3, 3, 32, 16)
    assert x.size >= split.FLAT_SPLIT
    dy = rng.randn(33, 16, 16, 16)
    geo = (1, 1, 1, 1, 1, 1)
    for threads in (2, 3):
        np.testing.assert_array_equal(simd_conv.conv2d(x, f, *geo, 16, 16, threads=threads),
                                      simd_conv.conv2d(x, f, *geo, 16, 16))
        np.testing.assert_array_equal(simd_conv.conv2d_backprop_input(dy, f, 33, 16, 16, *geo, threads=threads),
                                      simd_conv.conv2d_backprop_input(dy, f, 33, 16, 16, *geo))
        np.testing.assert_allclose(simd_conv.conv2d_backprop_filter(x, dy, 3, 3, *geo, threads=threads),
                                   simd_conv.conv2d_backprop_filter(x, dy, 3, 3, *geo), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(simd_conv.conv2d(x, f, *geo, 16, 16, threads=2),
                               conv_kernels.conv2d(x, f, *geo, 16, 16), rtol=1e-12, atol=1e-11)
