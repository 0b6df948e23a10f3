"""tf.linalg's decompositions and the composites over them: each against its numpy/SciPy reference
on every target, its float64 gradient by central differences (where TF1 has one), bad input named,
and against tf.compat.v1 when TensorFlow is installed. Decompositions with a sign or order
freedom (svd, qr, eigh) are compared through invariants: reconstructions, singular values,
|u|, u * u, as TF's own tests do."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla

import graphflow as gf
from graphflow.core.registry import NotOnTarget, Op, rows
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import tf1

RS = np.random.RandomState(11)
TALL = RS.randn(2, 4, 3)
WIDE = RS.randn(2, 3, 4)
SQ = RS.randn(2, 3, 3) + 2 * np.eye(3)
SPD = (lambda a: a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))(RS.randn(2, 3, 3))
LOW = np.tril(RS.randn(2, 3, 3)) + 3 * np.eye(3)
RHS = RS.randn(2, 3, 2)
SQRT_IN = 0.3 * SQ + 2 * np.eye(3)  # not symmetric; eigenvalues with real parts well above 0
TRI = np.stack([RS.randn(2, 4), RS.randn(2, 4) + 4.0, RS.randn(2, 4)], axis=-2)  # [2, 3, 4], compact


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _np_svd(x: np.ndarray, full: bool = False) -> tuple:
    u, s, vh = np.linalg.svd(x, full_matrices=full)
    return s, u, _t(vh)


def _recon_svd(x: Any) -> Any:
    s, u, v = gf.svd(x)
    return gf.matmul(u * gf.expand_dims(s, -2), v, transpose_b=True)


def _np_lu(x: np.ndarray) -> tuple:
    lus, perms = [], []
    for m in x.reshape((-1,) + x.shape[-2:]):
        lu, piv = sla.lu_factor(m)
        perm = np.arange(m.shape[0])
        for i, j in enumerate(piv):
            perm[i], perm[j] = perm[j], perm[i]
        lus.append(lu)
        perms.append(perm)
    return np.stack(lus).reshape(x.shape), np.stack(perms).reshape(x.shape[:-1]).astype(np.int32)


def _dense_tri(d: np.ndarray) -> np.ndarray:
    sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    out = np.zeros(main.shape + main.shape[-1:])
    for b in np.ndindex(main.shape[:-1]):
        out[b] = np.diag(main[b]) + np.diag(sup[b][:-1], 1) + np.diag(sub[b][1:], -1)
    return out


# name -> (graphflow fn, numpy reference, inputs, differentiable inputs or None)
CASES: dict[str, tuple[Any, Any, list[np.ndarray], list[int] | None]] = {
    "svd_values": (lambda x: gf.svd(x, compute_uv=False), lambda x: np.linalg.svd(x, compute_uv=False), [TALL], [0]),
    "svd_reconstruct": (_recon_svd, lambda x: x, [TALL], [0]),
    "svd_abs_u_v": (lambda x: gf.concat([gf.abs(gf.svd(x)[1]), gf.abs(gf.svd(x)[2])], -2),
                    lambda x: np.concatenate([np.abs(_np_svd(x)[1]), np.abs(_np_svd(x)[2])], -2), [TALL], None),
    "svd_u_squared_tall": (lambda x: gf.concat([gf.square(gf.svd(x)[1]), gf.square(gf.svd(x)[2])], -2),
                           lambda x: np.concatenate([_np_svd(x)[1] ** 2, _np_svd(x)[2] ** 2], -2), [TALL], [0]),
    "svd_u_squared_wide": (lambda x: gf.concat([gf.square(gf.svd(x)[1]), gf.square(gf.svd(x)[2])], -2),
                           lambda x: np.concatenate([_np_svd(x)[1] ** 2, _np_svd(x)[2] ** 2], -2), [WIDE], [0]),
    "svd_square_all": (lambda x: gf.concat([gf.square(gf.svd(x)[1]), gf.square(gf.svd(x)[2]),
                                            gf.expand_dims(gf.svd(x)[0], -2)], -2),
                       lambda x: np.concatenate([_np_svd(x)[1] ** 2, _np_svd(x)[2] ** 2, _np_svd(x)[0][..., None, :]],
                                                -2), [SQ], [0]),
    "svd_full_orthonormal": (lambda x: gf.matmul(gf.svd(x, full_matrices=True)[1], gf.svd(x, full_matrices=True)[1],
                                                 transpose_a=True), lambda x: np.broadcast_to(np.eye(4), (2, 4, 4)),
                             [TALL], None),
    "svd_full_abs_v": (lambda x: gf.abs(gf.svd(x, full_matrices=True)[2]),
                       lambda x: np.abs(_np_svd(x, True)[2]), [TALL], None),
    "qr_abs": (lambda x: gf.concat([gf.abs(gf.qr(x).q), gf.abs(gf.qr(x).r)], -2),
               lambda x: np.concatenate([np.abs(np.linalg.qr(x)[0]), np.abs(np.linalg.qr(x)[1])], -2), [TALL], None),
    "qr_squared_tall": (lambda x: gf.concat([gf.square(gf.qr(x).q), gf.square(gf.qr(x).r)], -2),
                        lambda x: np.concatenate([np.linalg.qr(x)[0] ** 2, np.linalg.qr(x)[1] ** 2], -2), [TALL], [0]),
    "qr_squared_square": (lambda x: gf.concat([gf.square(gf.qr(x).q), gf.square(gf.qr(x).r)], -2),
                          lambda x: np.concatenate([np.linalg.qr(x)[0] ** 2, np.linalg.qr(x)[1] ** 2], -2), [SQ], [0]),
    "qr_full": (lambda x: gf.concat([gf.abs(gf.qr(x, full_matrices=True).q), gf.abs(gf.qr(x, True).r)], -1),
                lambda x: np.concatenate([np.abs(np.linalg.qr(x, "complete")[0]),
                                          np.abs(np.linalg.qr(x, "complete")[1])], -1), [TALL], None),
    "qr_wide_reconstruct": (lambda x: gf.matmul(*gf.qr(x)), lambda x: x, [WIDE], None),
    "eigh_values": (lambda x: gf.linalg.eigh(x)[0], lambda x: np.linalg.eigh(x)[0], [SQ], [0]),
    "eigh_vectors_squared": (lambda x: gf.square(gf.linalg.eigh(x)[1]), lambda x: np.linalg.eigh(x)[1] ** 2, [SQ], [0]),
    "eigvalsh": (gf.linalg.eigvalsh, np.linalg.eigvalsh, [SQ], [0]),
    "self_adjoint_eigvals": (gf.self_adjoint_eigvals, np.linalg.eigvalsh, [SPD], [0]),
    "slogdet": (lambda x: gf.stack(list(gf.linalg.slogdet(x)), -1),
                lambda x: np.stack(np.linalg.slogdet(x), -1), [SQ * np.array([1, -1, 1])], [0]),
    "logdet": (gf.linalg.logdet, lambda x: np.linalg.slogdet(x)[1], [SPD], None),
    "lu": (lambda x: gf.linalg.lu(x).lu, lambda x: _np_lu(x)[0], [SQ], [0]),
    "lu_perm": (lambda x: gf.linalg.lu(x).p, lambda x: _np_lu(x)[1], [RS.randn(3, 4, 4)], None),
    "lu_reconstruct": (lambda x: gf.linalg.lu_reconstruct(*gf.linalg.lu(x)), lambda x: x, [RS.randn(3, 4, 4)], [0]),
    "lu_solve": (lambda a, b: gf.linalg.lu_solve(*gf.linalg.lu(a), b), np.linalg.solve, [SQ, RHS], [0, 1]),
    "lu_matrix_inverse": (lambda a: gf.linalg.lu_matrix_inverse(*gf.linalg.lu(a)), np.linalg.inv, [SQ], [0]),
    "expm": (gf.linalg.expm, lambda x: np.stack([sla.expm(m) for m in x]), [0.5 * SQ], [0]),
    "expm_large_norm": (gf.linalg.expm, lambda x: np.stack([sla.expm(m) for m in x]), [3.0 * SQ], None),
    "sqrtm": (gf.linalg.sqrtm, lambda x: np.stack([sla.sqrtm(m) for m in x]), [SQRT_IN], [0]),
    "sqrtm_spd_4d": (gf.matrix_square_root, lambda x: np.stack([sla.sqrtm(m) for m in x.reshape(-1, 3, 3)]).reshape(
        x.shape), [np.stack([SPD, SPD[::-1]])], [0]),
    "sqrtm_complex_eigenvalues": (gf.linalg.sqrtm, lambda x: np.real(sla.sqrtm(x)),
                                  [np.array([[1.0, -2.0, 0.5], [2.0, 1.0, 0.0], [0.0, 0.3, 4.0]])], [0]),
    "cholesky_solve": (gf.cholesky_solve, lambda c, b: np.linalg.solve(c @ _t(c), b), [LOW, RHS], [0, 1]),
    "triangular_solve_lower": (gf.linalg.triangular_solve, lambda a, b: np.linalg.solve(np.tril(a), b),
                               [LOW + np.triu(RS.randn(3, 3), 1), RHS], [0, 1]),
    "triangular_solve_upper_adjoint": (lambda a, b: gf.matrix_triangular_solve(a, b, lower=False, adjoint=True),
                                       lambda a, b: np.linalg.solve(_t(np.triu(a)), b), [_t(LOW), RHS], [0, 1]),
    "lstsq_fast_tall": (gf.linalg.lstsq, lambda a, b: np.stack([np.linalg.lstsq(m, c, rcond=None)[0]
                                                                 for m, c in zip(a, b)]),
                        [TALL, RS.randn(2, 4, 2)], [0, 1]),
    "lstsq_fast_wide": (gf.matrix_solve_ls, lambda a, b: np.stack([np.linalg.lstsq(m, c, rcond=None)[0]
                                                                    for m, c in zip(a, b)]),
                        [WIDE, RS.randn(2, 3, 2)], [0, 1]),
    "lstsq_l2": (lambda a, b: gf.matrix_solve_ls(a, b, l2_regularizer=0.5),
                 lambda a, b: np.linalg.solve(_t(a) @ a + 0.5 * np.eye(3), _t(a) @ b),
                 [TALL, RS.randn(2, 4, 2)], [0, 1]),
    "lstsq_svd": (lambda a, b: gf.matrix_solve_ls(a, b, fast=False),
                  lambda a, b: np.linalg.pinv(a) @ b, [WIDE, RS.randn(2, 3, 2)], [0, 1]),
    "pinv_tall": (gf.linalg.pinv, np.linalg.pinv, [TALL], [0]),
    "pinv_rank_deficient": (gf.linalg.pinv, lambda x: np.linalg.pinv(x, rcond=1e-14),
                            [np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])], None),
    "matrix_rank": (gf.linalg.matrix_rank, lambda x: np.linalg.matrix_rank(x).astype(np.int32),
                    [np.stack([TALL[0], TALL[0][:, [0, 1, 0]]])], None),
    "norm_1": (lambda x: gf.norm(x, ord=1, axis=[-2, -1]), lambda x: np.linalg.norm(x, 1, axis=(-2, -1)), [TALL], [0]),
    "norm_inf_keep": (lambda x: gf.norm(x, ord=np.inf, axis=(1, 2), keepdims=True),
                      lambda x: np.linalg.norm(x, np.inf, axis=(1, 2), keepdims=True), [TALL], [0]),
    "norm_2": (lambda x: gf.linalg.norm(x, ord=2, axis=[-2, -1]), lambda x: np.linalg.norm(x, 2, axis=(-2, -1)),
               [TALL], [0]),
    "norm_2_axes_0_2": (lambda x: gf.linalg.norm(x, ord=2, axis=[2, 0]), lambda x: np.linalg.norm(x, 2, axis=(2, 0)),
                        [TALL], None),
    "norm_fro": (lambda x: gf.norm(x, ord="fro", axis=[-2, -1]), lambda x: np.linalg.norm(x, "fro", axis=(-2, -1)),
                 [TALL], [0]),
    "norm_vector_3": (lambda x: gf.norm(x, ord=3, axis=-1), lambda x: np.linalg.norm(x, 3, axis=-1), [TALL], [0]),
    "normalize": (lambda x: gf.linalg.normalize(x, axis=-1)[0], lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True),
                  [TALL], [0]),
    "diag_batched": (gf.linalg.diag, lambda d: d[..., None] * np.eye(3), [RS.randn(2, 3)], [0]),
    "diag_part_nonsquare": (gf.linalg.diag_part, lambda x: np.diagonal(x, axis1=-2, axis2=-1), [TALL], [0]),
    "set_diag": (gf.linalg.set_diag, lambda x, d: np.where(np.eye(4, 3, dtype=bool), d[..., None, :], x),
                 [TALL, RS.randn(2, 3)], [0, 1]),
    "tensor_diag": (gf.linalg.tensor_diag, lambda d: np.diag(d.ravel()).reshape(d.shape * 2), [RS.randn(2, 3)], [0]),
    "tensor_diag_part": (gf.linalg.tensor_diag_part, lambda x: np.diag(x.reshape(6, 6)).reshape(2, 3),
                         [RS.randn(2, 3, 2, 3)], [0]),
    "trace_nonsquare": (gf.linalg.trace, lambda x: np.trace(x, axis1=-2, axis2=-1), [TALL], [0]),
    "matvec": (gf.linalg.matvec, lambda a, b: np.einsum("bij,bj->bi", a, b), [TALL, RS.randn(2, 3)], [0, 1]),
    "matvec_adjoint": (lambda a, b: gf.linalg.matvec(a, b, adjoint_a=True), lambda a, b: np.einsum("bji,bj->bi", a, b),
                       [TALL, RS.randn(2, 4)], [0, 1]),
    "adjoint": (gf.linalg.adjoint, _t, [TALL], [0]),
    "tridiagonal_solve": (gf.linalg.tridiagonal_solve, lambda d, b: np.linalg.solve(_dense_tri(d), b),
                          [TRI, RS.randn(2, 4, 3)], [0, 1]),
    "tridiagonal_solve_vector": (gf.linalg.tridiagonal_solve,
                                 lambda d, b: np.linalg.solve(_dense_tri(d), b[..., None])[..., 0],
                                 [TRI, RS.randn(2, 4)], [0, 1]),
    "tridiagonal_solve_sequence_transposed": (
        lambda d, b: gf.linalg.tridiagonal_solve([d[:, 0], d[:, 1], d[:, 2]], b, diagonals_format="sequence",
                                                 transpose_rhs=True),
        lambda d, b: _t(np.linalg.solve(_dense_tri(d), _t(b))), [TRI, RS.randn(2, 3, 4)], None),
    "tridiagonal_matmul": (gf.linalg.tridiagonal_matmul, lambda d, b: _dense_tri(d) @ b, [TRI, RS.randn(2, 4, 3)],
                           [0, 1]),
    "eigh_tridiagonal": (lambda a, b: gf.linalg.eigh_tridiagonal(a, b),
                         lambda a, b: sla.eigh_tridiagonal(a, b, eigvals_only=True), [RS.randn(5), RS.randn(4)],
                         [0, 1]),
    "eigh_tridiagonal_select": (lambda a, b: gf.linalg.eigh_tridiagonal(a, b, select="i", select_range=[1, 3]),
                                lambda a, b: sla.eigh_tridiagonal(a, b, eigvals_only=True)[1:4],
                                [RS.randn(5), RS.randn(4)], None),
    # float32: the kernels compute in the input's precision (expm in float64)
    "svd_float32": (lambda x: gf.svd(x, compute_uv=False), lambda x: np.linalg.svd(x, compute_uv=False),
                    [TALL.astype(np.float32)], None),
    "eigh_float32": (gf.linalg.eigvalsh, np.linalg.eigvalsh, [SPD.astype(np.float32)], None),
    "expm_float32": (gf.linalg.expm, lambda x: np.stack([sla.expm(m.astype(np.float64)) for m in x]).astype(np.float32),
                     [(0.5 * SQ).astype(np.float32)], None),
    "qr_float32": (lambda x: gf.matmul(*gf.qr(x)), lambda x: x, [TALL.astype(np.float32)], None),
    "sqrtm_float32": (gf.linalg.sqrtm, lambda x: np.stack([sla.sqrtm(m.astype(np.float64)) for m in x]).astype(
        np.float32), [SQRT_IN.astype(np.float32)], None),
}
# float32 comparisons of a decomposition against another LAPACK call: a few ulps of the largest entry
WIDER = {"svd_float32": dict(rtol=1e-5, atol=1e-5), "eigh_float32": dict(rtol=1e-5, atol=1e-5),
         "qr_float32": dict(rtol=1e-5, atol=1e-5)}


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy(name: str, device: str) -> None:
    fn, ref, inputs, _ = CASES[name]
    with gf.Graph().as_default():
        check_op(fn, ref, inputs, device=device, tol=WIDER.get(name))


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v[3] is not None))
def test_gradient_matches_central_differences(name: str, device: str) -> None:
    fn, _, inputs, wrt = CASES[name]
    with gf.Graph().as_default():
        check_gradient(fn, inputs, wrt=wrt, device=device)


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
def test_logdet_and_cholesky_solve_gradients_on_symmetric_inputs(device: str) -> None:
    """logdet reads one triangle through Cholesky: checked through A = (B + B^T) / 2."""
    with gf.Graph().as_default():
        check_gradient(lambda b: gf.linalg.logdet(0.5 * (b + gf.matrix_transpose(b))), [SPD], device=device)


def test_eigh_reads_the_lower_triangle_only() -> None:
    upper_garbage = np.tril(SPD) + np.triu(np.full((3, 3), np.nan), 1)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2, 3, 3])
        e, v = gf.self_adjoint_eig(x)
        for device in TARGETS:
            got_e, got_v = run([e, v], {x: upper_garbage}, device)
            np.testing.assert_allclose(got_e, np.linalg.eigvalsh(SPD), rtol=1e-10)
            np.testing.assert_allclose(np.abs(got_v), np.abs(np.linalg.eigh(SPD)[1]), rtol=1e-8, atol=1e-10)


def test_svd_qr_expm_give_nans_for_non_finite_input_as_tf1() -> None:
    bad = TALL.copy()
    bad[1, 0, 0] = np.nan
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [2, 4, 3])
        for device in TARGETS:
            s, q = run([gf.svd(x, compute_uv=False), gf.qr(x).q], {x: bad}, device)
            assert np.all(np.isnan(s[1])) and np.all(np.isnan(q[1]))
            np.testing.assert_allclose(s[0], np.linalg.svd(TALL[0], compute_uv=False), rtol=1e-10)


def test_sqrtm_gives_nans_where_no_principal_root_exists_as_tf() -> None:
    """A negative or zero eigenvalue (TF's kernel gives NaNs for both; so do graphflow's reference and
    kernel); the rest of the batch is unaffected."""
    batch = np.stack([np.diag([-1.0, 4.0, 1.0]), np.zeros((3, 3)), -np.eye(3), SPD[0], np.full((3, 3), np.inf)])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3, 3])
        for device in TARGETS:
            got = run(gf.linalg.sqrtm(x), {x: batch}, device)
            assert np.all(np.isnan(got[[0, 1, 2, 4]])), device
            np.testing.assert_allclose(got[3], sla.sqrtm(SPD[0]), rtol=1e-10)
            assert run(gf.linalg.sqrtm(x), {x: np.zeros((0, 3, 3))}, device).shape == (0, 3, 3)


# ---- errors name what was expected, what was given, and the node ---------------------------------

def test_static_shape_errors_name_the_expectation_and_the_node() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match=r"(?s)at least rank 2.*svd.*\(3,\).*'my_svd' \(Svd\)"):
            gf.svd(gf.zeros([3]), name="my_svd")
        with pytest.raises(ValueError, match=r"(?s)Dimensions must be equal, but are 2 and 3.*square.*'SelfAdjoint"):
            gf.self_adjoint_eig(gf.zeros([2, 3]))
        with pytest.raises(ValueError, match="(?s)Dimensions must be equal.*expm"):
            gf.linalg.expm(gf.zeros([4, 2, 3]))
        with pytest.raises(TypeError, match="floating"):
            gf.qr(gf.zeros([3, 3], gf.int32))
        with pytest.raises(NotImplementedError, match="k=0"):
            gf.linalg.diag(gf.zeros([3]), k=1)
        with pytest.raises(ValueError, match="matrix norms take ord"):
            gf.norm(gf.zeros([3, 3]), ord=3, axis=[0, 1])


@pytest.mark.parametrize("device", TARGETS)
def test_run_time_failures_name_the_node(device: str) -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, None])
        with gf.Session(device=device) as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"(?s)Input is not invertible.*'the_lu'"):
                sess.run(gf.linalg.lu(x, name="the_lu").lu, {x: np.ones((2, 2))})
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"(?s)eigen decomposition.*'the_eig'"):
                sess.run(gf.linalg.eigvalsh(x, name="the_eig"), {x: np.full((2, 2), np.inf)})
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"(?s)square.*'sq_eig'"):
                sess.run(gf.self_adjoint_eigvals(x, name="sq_eig"), {x: np.ones((2, 3))})


def test_gradients_outside_tf1s_domain_raise_naming_the_node() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [4, 3])
        with pytest.raises(NotImplementedError, match="full_matrices=True.*square"):
            gf.gradients(gf.svd(x, full_matrices=True)[1], x)
        with pytest.raises(NotImplementedError, match="qr.*at least as many rows"):
            gf.gradients(gf.qr(gf.transpose(x)).q, x)


def test_the_cuda_target_refuses_the_decompositions_with_a_reason() -> None:
    from graphflow.compiler.cuda import rules as _cuda  # noqa: F401  (registers the CUDA rules)
    for op in (Op.SVD, Op.QR, Op.SELF_ADJOINT_EIG, Op.LOG_MATRIX_DETERMINANT, Op.LU, Op.MATRIX_EXPONENTIAL,
               Op.MATRIX_SQUARE_ROOT):
        rule = rows()[op].kernels["cuda"]
        assert isinstance(rule, NotOnTarget) and "cuSOLVER" in rule.reason


def test_compute_uv_false_gradient_and_batched_unknown_batch() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4, 3])
        s = gf.svd(x, compute_uv=False)
        (g,) = gf.gradients(gf.reduce_sum(s), x)
        got = run(g, {x: TALL})
        u, _, vh = np.linalg.svd(TALL, full_matrices=False)
        np.testing.assert_allclose(got, u @ vh, rtol=1e-9, atol=1e-12)


# ---- the namespaces -----------------------------------------------------------------------------

TOP_LEVEL = ["svd", "qr", "self_adjoint_eig", "self_adjoint_eigvals", "matrix_triangular_solve", "cholesky_solve",
             "matrix_solve_ls", "matrix_diag", "matrix_diag_part", "matrix_set_diag", "matrix_band_part", "norm",
             "cholesky", "matrix_inverse", "matrix_determinant", "matrix_solve", "trace", "cross", "global_norm"]


def test_tf1_top_level_aliases_exist() -> None:
    missing = [n for n in TOP_LEVEL if not callable(getattr(gf, n, None))]
    assert not missing


@pytest.mark.needs("tensorflow")
def test_linalg_covers_at_least_85_percent_of_tf1s() -> None:
    from tests.optional import need
    tf = need("tensorflow")
    theirs = [n for n in dir(tf.linalg) if not n.startswith("_")]
    ours = [n for n in theirs if hasattr(gf.linalg, n)]
    assert len(ours) >= 0.85 * len(theirs), sorted(set(theirs) - set(ours))
    assert all(hasattr(gf, n) for n in TOP_LEVEL if hasattr(tf, n))


# ---- against TF1 --------------------------------------------------------------------------------

TF1_CASES: dict[str, Any] = {  # name -> builder over a module (graphflow or tf.compat.v1), of invariants
    "svd_values": lambda m, x: m.svd(x, compute_uv=False),
    "svd_u_v_squared": lambda m, x: m.concat([m.square(m.svd(x)[1]), m.square(m.svd(x)[2])], 0),
    "qr_squared": lambda m, x: m.concat([m.square(m.qr(x)[0]), m.square(m.qr(x)[1])], 0),
    "eigh": lambda m, x: m.concat([m.expand_dims(m.self_adjoint_eig(m.matmul(x, x, transpose_a=True))[0], 0),
                                   m.square(m.self_adjoint_eig(m.matmul(x, x, transpose_a=True))[1])], 0),
    "eigvals": lambda m, x: m.self_adjoint_eigvals(x[:3, :3]),
    "slogdet": lambda m, x: m.linalg.slogdet(x[:3, :3] + 2 * m.eye(3, dtype=m.float64))[1],
    "logdet": lambda m, x: m.linalg.logdet(m.matmul(x, x, transpose_a=True) + m.eye(3, dtype=m.float64)),
    "lu": lambda m, x: m.linalg.lu(x[:3, :3] + 2 * m.eye(3, dtype=m.float64))[0],
    "lu_perm": lambda m, x: m.cast(m.linalg.lu(x[:3, :3])[1], m.float64),
    "lu_solve": lambda m, x: m.linalg.lu_solve(*m.linalg.lu(x[:3, :3] + 2 * m.eye(3, dtype=m.float64)), x[:3, 1:]),
    "expm": lambda m, x: m.linalg.expm(x[:3, :3]),
    "sqrtm_spd": lambda m, x: m.linalg.sqrtm(m.matmul(x, x, transpose_a=True) + m.eye(3, dtype=m.float64)),
    "matrix_square_root": lambda m, x: m.matrix_square_root(x[:3, :3] + 3 * m.eye(3, dtype=m.float64)),
    "triangular_solve": lambda m, x: m.matrix_triangular_solve(x[:3, :3] + 3 * m.eye(3, dtype=m.float64), x[1:, :]),
    "cholesky_solve": lambda m, x: m.cholesky_solve(
        m.cholesky(m.matmul(x, x, transpose_a=True) + m.eye(3, dtype=m.float64)), m.transpose(x)),
    "lstsq_fast": lambda m, x: m.matrix_solve_ls(x, x[:, :2] + 1.0),
    "lstsq_l2": lambda m, x: m.matrix_solve_ls(x, x[:, :2] + 1.0, l2_regularizer=0.3),
    "lstsq_wide": lambda m, x: m.matrix_solve_ls(m.transpose(x), x[:3, :2]),
    "lstsq_svd": lambda m, x: m.matrix_solve_ls(x, x[:, :2] + 1.0, fast=False),
    "pinv": lambda m, x: m.linalg.pinv(x),
    "norm_2": lambda m, x: m.norm(x, ord=2, axis=[0, 1]),
    "norm_1": lambda m, x: m.norm(x, ord=1, axis=[0, 1]),
    "norm_inf": lambda m, x: m.norm(x, ord=np.inf, axis=[0, 1]),
    "matvec": lambda m, x: m.linalg.matvec(x, x[0, :]),
    "tridiagonal_solve": lambda m, x: m.linalg.tridiagonal_solve(m.transpose(x[:, :3]) * 0.5 + [[0.0], [3.0], [0.0]],
                                                                 x),
    "matrix_rank": lambda m, x: m.cast(m.linalg.matrix_rank(x), m.float64),
    "tensor_diag_part": lambda m, x: m.linalg.tensor_diag_part(m.reshape(x[:2, :2], [2, 2])),
}
# TF has no gradient of Lu nor of the SVD path of matrix_solve_ls (graphflow has both); rank is an integer
NO_TF1_GRADIENT = {"lu", "lu_perm", "lu_solve", "lstsq_svd", "matrix_rank"}


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", sorted(TF1_CASES))
def test_values_and_gradients_match_tf1(name: str) -> None:
    tf = tf1()
    xv = np.random.RandomState(5).randn(4, 3)
    build = TF1_CASES[name]

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = build(m, x)
            grads = [] if name in NO_TF1_GRADIENT else m.gradients(m.reduce_sum(y * y), [x])
            with m.Session(graph=g) as s:
                return s.run([y] + [d for d in grads if d is not None])
    ours, theirs = evaluate(gf), evaluate(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)



def _sqrtm_graph_def() -> Any:
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float64, [None, 3, 3], name="x")
        gf.linalg.sqrtm(x, name="root")
        return g.as_graph_def()


def test_sqrtm_goes_through_graph_files_as_tfs_matrix_square_root() -> None:
    gd = _sqrtm_graph_def()
    assert [n.op for n in gd.node if n.name == "root"] == ["MatrixSquareRoot"]
    with gf.Graph().as_default():
        (y,) = gf.import_graph_def(gd, return_elements=["root:0"], name="")
        np.testing.assert_allclose(run(y, {"x:0": SPD}), np.stack([sla.sqrtm(m) for m in SPD]), rtol=1e-10)


@pytest.mark.needs("tensorflow")
def test_tf1_runs_the_matrix_square_root_graphflow_wrote() -> None:
    tf = tf1()
    theirs = tf.GraphDef()
    theirs.ParseFromString(_sqrtm_graph_def().SerializeToString())
    with tf.Graph().as_default():
        (t,) = tf.import_graph_def(theirs, return_elements=["root:0"], name="")
        with tf.Session() as s:
            np.testing.assert_allclose(s.run(t, {"x:0": SPD}), np.stack([sla.sqrtm(m) for m in SPD]), rtol=1e-10)
