"""tf.linalg's LinearOperators and tf.linalg.experimental.conjugate_gradient: each operator's dense
form against numpy, and its matmul, solve, determinant and trace against the dense matrix's, on
every target; a gradient through an operator in float64; against tf.compat.v1 when installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import graphflow as gf
from tests.harness import TARGETS, check_gradient, run
from tests.optional import tf1

L = gf.linalg
RS = np.random.RandomState(3)
SQ = RS.randn(2, 3, 3) + 3 * np.eye(3)
SPD = (lambda a: a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))(RS.randn(3, 3))
D = RS.uniform(1, 2, (2, 3))
V = RS.randn(3)
COL, ROW = RS.randn(3), RS.randn(3)
TRI = np.stack([RS.randn(3), RS.randn(3) + 4, RS.randn(3)])


def _tri(d: np.ndarray) -> np.ndarray:
    return np.diag(d[1]) + np.diag(d[0][:-1], 1) + np.diag(d[2][1:], -1)


# name -> (operator builder over the module, dense numpy matrix)
OPERATORS: dict[str, tuple[Any, np.ndarray]] = {
    "full": (lambda m: m.linalg.LinearOperatorFullMatrix(SQ), SQ),
    "diag": (lambda m: m.linalg.LinearOperatorDiag(D), D[..., None] * np.eye(3)),
    "identity": (lambda m: m.linalg.LinearOperatorIdentity(3, batch_shape=[2], dtype=m.float64),
                 np.broadcast_to(np.eye(3), (2, 3, 3))),
    "scaled_identity": (lambda m: m.linalg.LinearOperatorScaledIdentity(3, np.array([2.0, -0.5])),
                        np.array([2.0, -0.5])[:, None, None] * np.eye(3)),
    "lower_triangular": (lambda m: m.linalg.LinearOperatorLowerTriangular(SQ), np.tril(SQ)),
    "adjoint": (lambda m: m.linalg.LinearOperatorAdjoint(m.linalg.LinearOperatorFullMatrix(SQ)),
                np.swapaxes(SQ, -1, -2)),
    "inversion": (lambda m: m.linalg.LinearOperatorInversion(m.linalg.LinearOperatorFullMatrix(SQ)),
                  np.linalg.inv(SQ)),
    "composition": (lambda m: m.linalg.LinearOperatorComposition(
        [m.linalg.LinearOperatorFullMatrix(SQ), m.linalg.LinearOperatorDiag(D)]), SQ @ (D[..., None] * np.eye(3))),
    "kronecker": (lambda m: m.linalg.LinearOperatorKronecker(
        [m.linalg.LinearOperatorFullMatrix(SQ[0, :2, :2]), m.linalg.LinearOperatorFullMatrix(SQ[1])]),
        np.kron(SQ[0, :2, :2], SQ[1])),
    "block_diag": (lambda m: m.linalg.LinearOperatorBlockDiag(
        [m.linalg.LinearOperatorFullMatrix(SQ[0]), m.linalg.LinearOperatorFullMatrix(SQ[1, :2, :2])]),
        sla.block_diag(SQ[0], SQ[1, :2, :2])),
    "block_lower_triangular": (lambda m: m.linalg.LinearOperatorBlockLowerTriangular(
        [[m.linalg.LinearOperatorFullMatrix(SQ[0])],
         [m.linalg.LinearOperatorFullMatrix(SQ[1, :2, :]), m.linalg.LinearOperatorFullMatrix(SQ[1, :2, :2])]]),
        np.block([[SQ[0], np.zeros((3, 2))], [SQ[1, :2, :], SQ[1, :2, :2]]])),
    "householder": (lambda m: m.linalg.LinearOperatorHouseholder(V), np.eye(3) - 2 * np.outer(V, V) / V.dot(V)),
    "permutation": (lambda m: m.linalg.LinearOperatorPermutation(np.array([2, 0, 1], np.int32), dtype=m.float64),
                    np.eye(3)[[2, 0, 1]]),
    "toeplitz": (lambda m: m.linalg.LinearOperatorToeplitz(COL, ROW), sla.toeplitz(COL, np.r_[COL[0], ROW[1:]])),
    "tridiag": (lambda m: m.linalg.LinearOperatorTridiag(TRI), _tri(TRI)),
    "low_rank_update": (lambda m: m.linalg.LinearOperatorLowRankUpdate(
        m.linalg.LinearOperatorDiag(D[0]), SQ[0, :, :2], diag_update=np.array([1.5, 0.5])),
        np.diag(D[0]) + SQ[0, :, :2] @ np.diag([1.5, 0.5]) @ SQ[0, :, :2].T),
}


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_matches_its_dense_matrix(name: str, device: str) -> None:
    build, dense = OPERATORS[name]
    rhs = RS.randn(*dense.shape[:-1], 2)
    with gf.Graph().as_default():
        op = build(gf)
        assert op.shape.as_list() == list(dense.shape)
        want = [dense, dense @ rhs, np.swapaxes(dense, -1, -2) @ rhs, np.linalg.solve(dense, rhs),
                np.linalg.det(dense), np.linalg.slogdet(dense)[1], np.trace(dense, axis1=-2, axis2=-1),
                np.einsum("...ij,...j->...i", dense, rhs[..., 0])]
        got = run([op.to_dense(), op.matmul(rhs), op.matmul(rhs, adjoint=True), op.solve(rhs),
                   op.determinant(), op.log_abs_determinant(), op.trace(), op.matvec(rhs[..., 0])], device=device)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


def test_operator_algebra() -> None:
    with gf.Graph().as_default():
        full = L.LinearOperatorFullMatrix(SPD, is_self_adjoint=True, is_positive_definite=True)
        diag = L.LinearOperatorDiag(D[0])
        got = run([(full @ diag).to_dense(), full.inverse().to_dense(), full.adjoint().to_dense(),
                   full.cholesky().to_dense(), full.eigvals(), diag.inverse().matmul(np.eye(3)),
                   full.add_to_tensor(np.eye(3)), full.solvevec(V)])
    want = [SPD @ np.diag(D[0]), np.linalg.inv(SPD), SPD, np.linalg.cholesky(SPD), np.linalg.eigvalsh(SPD),
            np.diag(1 / D[0]), SPD + np.eye(3), np.linalg.solve(SPD, V)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)


def test_bad_operators_say_what_was_expected() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="always singular"):
            L.LinearOperatorZeros(3, is_non_singular=True)
        with pytest.raises(ValueError, match="row i to hold i \\+ 1"):
            L.LinearOperatorBlockLowerTriangular([[L.LinearOperatorIdentity(2)], [L.LinearOperatorIdentity(2)]])
        with pytest.raises(NotImplementedError, match="singular"):
            L.LinearOperatorZeros(2, dtype=gf.float64).solve(np.ones((2, 1)))
        np.testing.assert_array_equal(run(L.LinearOperatorZeros(2, 3, dtype=gf.float64).to_dense()), np.zeros((2, 3)))


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
def test_gradient_through_operators(device: str) -> None:
    with gf.Graph().as_default():
        check_gradient(lambda c, r, d: L.LinearOperatorComposition(
            [L.LinearOperatorToeplitz(c, r), L.LinearOperatorDiag(d)]).solve(np.eye(3)),
            [COL + 4.0 * np.eye(3)[0], ROW, D[0]], device=device)


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
def test_conjugate_gradient_solves_spd_systems(device: str) -> None:
    with gf.Graph().as_default():
        state = L.experimental.conjugate_gradient(L.LinearOperatorFullMatrix(SPD), V, tol=1e-12, max_iter=10)
        i, x = run([state.i, state.x], device=device)
    np.testing.assert_allclose(x, np.linalg.solve(SPD, V), rtol=1e-9)
    assert 1 <= i <= 10


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", sorted(set(OPERATORS) - {"scaled_identity"}))
def test_dense_forms_and_products_match_tf1(name: str) -> None:
    tf = tf1()
    build, dense = OPERATORS[name]
    rhs = RS.randn(*dense.shape[:-1], 2)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            op = build(m)
            with m.Session(graph=g) as s:
                return s.run([op.to_dense(), op.matmul(rhs), op.solve(rhs), op.log_abs_determinant()])
    for a, b in zip(evaluate(gf), evaluate(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
