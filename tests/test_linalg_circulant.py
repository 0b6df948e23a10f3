"""tf.linalg's circulant operators on real spectra: the dense form and every method against numpy's
FFTs (the operator is the real part of IDFT(spectrum * DFT(x))), on every target; a float64 gradient
through the spectrum; the Hermitian check; bad arguments; against tf.compat.v1 (with a real
``input_output_dtype``) when TensorFlow is installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, run
from tests.optional import tf1

RS = np.random.RandomState(7)


def _hermitian(v: np.ndarray, depth: int) -> np.ndarray:
    """v + v[-k]: a real spectrum whose operator is a real matrix."""
    axes = tuple(range(-depth, 0))
    return v + np.roll(np.flip(v, axes), 1, axes)


def _dense(s: np.ndarray, depth: int) -> np.ndarray:
    """Column j of the operator is real(IDFT(s * DFT(e_j))) over the block dims."""
    block = s.shape[-depth:]
    n = int(np.prod(block))
    axes = tuple(range(-depth, 0))
    out = np.zeros(s.shape[:-depth] + (n, n))
    for b in np.ndindex(s.shape[:-depth]):
        for j in range(n):
            e = np.eye(n)[j].reshape(block)
            out[b][:, j] = np.real(np.fft.ifftn(s[b] * np.fft.fftn(e, axes=axes), axes=axes)).ravel()
    return out


CLASSES = {1: "LinearOperatorCirculant", 2: "LinearOperatorCirculant2D", 3: "LinearOperatorCirculant3D"}
# name -> (block depth, spectrum)
SPECTRA: dict[str, tuple[int, np.ndarray]] = {
    "1d_batch_odd": (1, _hermitian(RS.uniform(1, 2, (2, 5)), 1)),
    "1d_even": (1, _hermitian(RS.uniform(1, 2, (6,)), 1)),
    "2d": (2, _hermitian(RS.uniform(1, 2, (3, 4)), 2)),
    "2d_batch": (2, _hermitian(RS.uniform(-2, 2, (2, 2, 3)), 2)),
    "3d": (3, _hermitian(RS.uniform(1, 2, (2, 3, 2)), 3)),
}


def _op(m: Any, depth: int, s: Any, **kw: Any) -> Any:
    return getattr(m.linalg, CLASSES[depth])(s, input_output_dtype=m.float64, **kw)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(SPECTRA))
def test_operator_matches_numpys_ffts(name: str, device: str) -> None:
    depth, s = SPECTRA[name]
    dense = _dense(s, depth)
    n = dense.shape[-1]
    rhs = RS.randn(*dense.shape[:-1], 2)
    axes = tuple(range(-depth, 0))
    with gf.Graph().as_default():
        op = _op(gf, depth, s)
        assert op.shape.as_list() == list(dense.shape) and op.block_depth == depth
        assert op.block_shape.as_list() == list(s.shape[-depth:])
        got = run([op.to_dense(), op.matmul(rhs), op.matmul(rhs, adjoint=True), op.solve(rhs), op.determinant(),
                   op.log_abs_determinant(), op.trace(), op.diag_part(), op.eigvals(), op.convolution_kernel(),
                   op.matvec(rhs[..., 0]), op.spectrum], device=device)
    want = [dense, dense @ rhs, np.swapaxes(dense, -1, -2) @ rhs, np.linalg.solve(dense, rhs),
            np.linalg.det(dense), np.linalg.slogdet(dense)[1], np.trace(dense, axis1=-2, axis2=-1),
            np.diagonal(dense, axis1=-2, axis2=-1), s.reshape(s.shape[:-depth] + (n,)),
            np.real(np.fft.ifftn(s, axes=axes)), np.einsum("...ij,...j->...i", dense, rhs[..., 0]), s]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dense, np.swapaxes(dense, -1, -2), atol=1e-12)  # Hermitian: a symmetric matrix


@pytest.mark.parametrize("device", TARGETS)
def test_a_spectrum_that_is_not_hermitian_gives_tfs_real_parts(device: str) -> None:
    """TF's real-dtype operator returns the real part of its complex action; so does graphflow's."""
    s = RS.uniform(1, 2, (5,))
    rhs = RS.randn(5, 2)
    with gf.Graph().as_default():
        op = gf.linalg.LinearOperatorCirculant(s)
        got = run([op.to_dense(), op.matmul(rhs), op.solve(rhs), op.determinant()], device=device)
    solve = np.real(np.fft.ifft(np.fft.fft(rhs, axis=0) / s[:, None], axis=0))
    for g, w in zip(got, [_dense(s, 1), _dense(s, 1) @ rhs, solve, np.prod(s)]):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
def test_gradient_through_the_spectrum(device: str) -> None:
    rhs = RS.randn(3, 4, 2)
    with gf.Graph().as_default():
        check_gradient(lambda s: gf.linalg.LinearOperatorCirculant2D(s).matmul(rhs.reshape(12, 2)),
                       [RS.uniform(1, 2, (3, 4))], device=device)
        check_gradient(lambda s: gf.linalg.LinearOperatorCirculant(s).solve(rhs[0]), [_hermitian(
            RS.uniform(1, 2, (4,)), 1)], device=device)


def test_hermitian_and_other_assertions() -> None:
    good = SPECTRA["2d"][1]
    bad = good.copy()
    bad[0, 1] += 1.0
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3, 4])
        op = gf.linalg.LinearOperatorCirculant2D(x)
        checks = [op.assert_hermitian_spectrum(), op.assert_non_singular(), op.assert_positive_definite()]
        with gf.Session() as s:
            s.run(checks, {x: good})
            with pytest.raises(gf.errors.InvalidArgumentError, match="Not Hermitian"):
                s.run(checks[0], {x: bad})
            with pytest.raises(gf.errors.InvalidArgumentError, match="Singular operator"):
                s.run(checks[1], {x: np.where(np.arange(12).reshape(3, 4) == 5, 0.0, good)})
            with pytest.raises(gf.errors.InvalidArgumentError, match="Not positive definite"):
                s.run(checks[2], {x: -good})


def test_bad_arguments_say_what_was_expected() -> None:
    with gf.Graph().as_default():
        with pytest.raises(TypeError, match="does not support dtype .complex64"):
            gf.linalg.LinearOperatorCirculant([1.0, 2.0], input_output_dtype=np.complex64)
        with pytest.raises(TypeError, match="floating point"):
            gf.linalg.LinearOperatorCirculant(np.array([1, 2], np.int32))
        with pytest.raises(ValueError, match="block shape.*known"):
            gf.linalg.LinearOperatorCirculant2D(gf.placeholder(gf.float32, [2, None]))
        with pytest.raises(ValueError, match="always square"):
            gf.linalg.LinearOperatorCirculant([1.0, 2.0], is_square=False)
        op = gf.linalg.LinearOperatorCirculant(gf.placeholder(gf.float32, [None, 4]))
        assert op.shape.as_list() == [None, 4, 4] and op.dtype == gf.float32


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", sorted(SPECTRA) + ["not_hermitian"])
def test_values_match_tf1(name: str) -> None:
    tf = tf1()
    depth, s = SPECTRA.get(name, (1, RS.uniform(1, 2, (5,))))
    n = int(np.prod(s.shape[-depth:]))
    rhs = RS.randn(*s.shape[:-depth], n, 2)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            op = _op(m, depth, s)
            parts = [op.to_dense(), op.matmul(rhs), op.matmul(rhs, adjoint=True), op.solve(rhs), op.determinant()]
            if name != "not_hermitian":
                parts += [op.log_abs_determinant(), op.trace(), op.diag_part(), m.math.real(op.convolution_kernel())]
            with m.Session(graph=g) as sess:
                return sess.run(parts)
    for a, b in zip(evaluate(gf), evaluate(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
