"""The everyday TF1 ops of issue 7 beyond the core: each against its numpy/SciPy reference on
every target, its gradient in float64 by central differences (where TF1 has one), and the
deterministic ones against tf.compat.v1 when TensorFlow is installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.special as sp

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import tf1

RS = np.random.RandomState(7)
SPD = (lambda a: a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3))(RS.randn(2, 3, 3))


def _take(x: np.ndarray, idx: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(x, idx, axis)


# name -> (graphflow fn, numpy reference, inputs, differentiable inputs or None)
CASES: dict[str, tuple[Any, Any, list[np.ndarray], list[int] | None]] = {
    "erf": (gf.erf, sp.erf, [RS.uniform(-2, 2, (3, 4))], [0]),
    "erfc": (gf.erfc, sp.erfc, [RS.uniform(-2, 2, (3, 4))], [0]),
    "lgamma": (gf.lgamma, sp.gammaln, [RS.uniform(0.2, 6, (3, 4))], [0]),
    "digamma": (gf.digamma, sp.digamma, [np.array([-2.5, -0.4, 0.3, 1.0, 4.5, 20.0])], [0]),
    # float32: the reflection once called trigamma recursively with float64, which numba cannot link
    "trigamma_float32": (lambda x: gf.gradients(gf.digamma(x), x)[0], lambda x: sp.polygamma(1, x).astype(np.float32),
                         [np.array([-2.5, -0.4, 0.3, 1.0, 4.5, 20.0], np.float32)], None),
    "expm1": (gf.expm1, np.expm1, [RS.uniform(-2, 2, (5,))], [0]),
    "is_finite": (gf.is_finite, np.isfinite, [np.array([1.0, np.inf, -np.inf, np.nan])], None),
    "is_nan": (gf.is_nan, np.isnan, [np.array([1.0, np.inf, np.nan])], None),
    "is_inf": (gf.is_inf, np.isinf, [np.array([1.0, -np.inf, np.nan])], None),
    "xlogy": (gf.xlogy, lambda x, y: sp.xlogy(x, y), [np.array([0.0, 1.5, 2.0]), np.array([0.0, 2.0, 0.5])], None),
    "log_sigmoid": (gf.log_sigmoid, lambda x: -np.logaddexp(0, -x), [RS.uniform(-30, 30, (6,))], [0]),
    "truncatediv": (gf.truncatediv, lambda a, b: np.trunc(a / b).astype(a.dtype),
                    [np.array([7, -7, 7, -7], np.int32), np.array([2, 2, -2, -2], np.int32)], None),
    "truncatemod": (gf.truncatemod, np.fmod,
                    [np.array([7, -7, 7, -7], np.int32), np.array([2, 2, -2, -2], np.int32)], None),
    "matrix_inverse": (gf.matrix_inverse, np.linalg.inv, [SPD], [0]),
    "matrix_determinant": (gf.matrix_determinant, np.linalg.det, [SPD], [0]),
    "cholesky": (gf.cholesky, np.linalg.cholesky, [SPD], None),  # gradient checked below (symmetric input)
    "matrix_solve": (gf.matrix_solve, np.linalg.solve, [SPD, RS.randn(2, 3, 2)], [0, 1]),
    "matrix_solve_adjoint": (lambda a, b: gf.matrix_solve(a, b, adjoint=True),
                             lambda a, b: np.linalg.solve(np.swapaxes(a, -1, -2), b),
                             [SPD + RS.randn(2, 3, 3) * 0.3, RS.randn(2, 3, 2)], [0, 1]),
    "matrix_band_part": (lambda x: gf.matrix_band_part(x, 1, 0),
                         lambda x: np.tril(np.triu(x, -1)), [RS.randn(2, 4, 4)], [0]),
    "norm": (gf.norm, lambda x: np.sqrt(np.sum(x * x)), [RS.randn(3, 4)], [0]),
    "norm_1_axis": (lambda x: gf.norm(x, ord=1, axis=1), lambda x: np.abs(x).sum(1), [RS.randn(3, 4)], [0]),
    "norm_inf": (lambda x: gf.norm(x, ord=np.inf, axis=0), lambda x: np.abs(x).max(0), [RS.randn(3, 4)], [0]),
    "cumprod": (lambda x: gf.cumprod(x, 1), lambda x: np.cumprod(x, 1), [RS.uniform(0.5, 2, (3, 4))], [0]),
    "cumprod_excl_rev": (lambda x: gf.cumprod(x, 0, exclusive=True, reverse=True),
                         lambda x: np.flip(np.cumprod(np.concatenate([np.ones((1, 4)), np.flip(x, 0)[:-1]]), 0), 0),
                         [RS.uniform(0.5, 2, (3, 4))], [0]),
    "slice": (lambda x: gf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, 0:], [RS.randn(4, 3)], [0]),
    "reverse": (lambda x: gf.reverse(x, [0, -1]), lambda x: x[::-1, ::-1], [RS.randn(3, 4)], [0]),
    "sort": (lambda x: gf.sort(x, axis=0), lambda x: np.sort(x, 0), [RS.randn(5, 3)], [0]),
    "sort_desc": (lambda x: gf.sort(x, direction="DESCENDING"), lambda x: -np.sort(-x, -1), [RS.randn(3, 5)], [0]),
    "argsort": (gf.argsort, lambda x: np.argsort(x, -1, kind="stable").astype(np.int32),
                [np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 0.0, -1.0, 5.0]])], None),
    "gather_batch_dims": (lambda p: gf.gather(p, [[0, 2], [1, 1]], batch_dims=1),
                          lambda p: _take(p, np.array([[0, 2], [1, 1]])[:, :, None].repeat(4, 2), 1),
                          [RS.randn(2, 3, 4)], [0]),
    "gather_batch_dims_axis2": (lambda p: gf.gather(p, [[0, 3, 1], [2, 2, 0]], axis=2, batch_dims=1),
                                lambda p: np.stack([p[b][:, [[0, 3, 1], [2, 2, 0]][b]] for b in range(2)]),
                                [RS.randn(2, 3, 4)], [0]),
    "boolean_mask_axis1": (lambda x: gf.reshape(gf.boolean_mask(x, [True, False, True], axis=1), [2, 2, 4]),
                           lambda x: x[:, [True, False, True]], [RS.randn(2, 3, 4)], [0]),
    "pad_reflect": (lambda x: gf.pad(x, [[1, 2], [2, 1]], "REFLECT"),
                    lambda x: np.pad(x, [[1, 2], [2, 1]], "reflect"), [RS.randn(4, 3)], [0]),
    "pad_symmetric": (lambda x: gf.pad(x, [[2, 1], [0, 3]], mode="SYMMETRIC"),
                      lambda x: np.pad(x, [[2, 1], [0, 3]], "symmetric"), [RS.randn(3, 3)], [0]),
    "segment_sum": (lambda d: gf.reshape(gf.segment_sum(d, [0, 0, 1, 3]), [4, 2]),
                    lambda d: np.stack([d[:2].sum(0), d[2], np.zeros(2), d[3]]), [RS.randn(4, 2)], [0]),
    "segment_mean": (lambda d: gf.reshape(gf.segment_mean(d, [0, 0, 1, 1]), [2, 2]),
                     lambda d: np.stack([d[:2].mean(0), d[2:].mean(0)]), [RS.randn(4, 2)], [0]),
    "segment_max": (lambda d: gf.reshape(gf.segment_max(d, [0, 0, 1, 1]), [2, 2]),
                    lambda d: np.stack([d[:2].max(0), d[2:].max(0)]), [RS.randn(4, 2)], [0]),
    "segment_min": (lambda d: gf.reshape(gf.segment_min(d, [0, 1, 1, 1]), [2, 2]),
                    lambda d: np.stack([d[0], d[1:].min(0)]), [RS.randn(4, 2)], [0]),
    "segment_prod": (lambda d: gf.reshape(gf.segment_prod(d, [0, 0, 1, 1]), [2, 2]),
                     lambda d: np.stack([d[:2].prod(0), d[2:].prod(0)]), [RS.randn(4, 2)], [0]),
    "unsorted_segment_sum": (lambda d: gf.unsorted_segment_sum(d, [2, 0, 2, 1], 4),
                             lambda d: np.stack([d[1], d[3], d[0] + d[2], np.zeros(3)]), [RS.randn(4, 3)], [0]),
    "unsorted_segment_max": (lambda d: gf.unsorted_segment_max(d, [1, 0, 1], 3),
                             lambda d: np.array([d[1], max(d[0], d[2]), np.finfo(d.dtype).min]),
                             [np.array([1.0, 3.0, 2.0])], None),
    "scatter_nd": (lambda u: gf.scatter_nd([[1, 0], [2, 2], [1, 0]], u, [3, 3]),
                   lambda u: np.array([[0, 0, 0], [u[0] + u[2], 0, 0], [0, 0, u[1]]]), [RS.randn(3)], [0]),
    "sequence_mask": (lambda n: gf.sequence_mask(n, 4), lambda n: np.arange(4) < n[:, None],
                      [np.array([0, 2, 4], np.int32)], None),
    "where_indices": (gf.where, lambda c: np.argwhere(c).astype(np.int64),
                      [np.array([[True, False, True], [False, False, True]])], None),
}


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy(name: str, device: str) -> None:
    fn, ref, inputs, _ = CASES[name]
    with gf.Graph().as_default():
        check_op(fn, ref, inputs, device=device)


@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v[3] is not None))
def test_gradient_matches_central_differences(name: str) -> None:
    fn, _, inputs, wrt = CASES[name]
    with gf.Graph().as_default():
        check_gradient(fn, inputs, wrt=wrt)


def test_cholesky_gradient_on_symmetric_inputs() -> None:
    """Cholesky reads one triangle; its gradient (TF1's, symmetrised) is checked through the
    symmetric parametrisation A = (B + B^T) / 2."""
    with gf.Graph().as_default():
        check_gradient(lambda b: gf.cholesky(0.5 * (b + gf.matrix_transpose(b))), [SPD])


def test_lgamma_second_derivative_is_trigamma() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [4])
        (d1,) = gf.gradients(gf.reduce_sum(gf.lgamma(x)), [x])
        (d2,) = gf.gradients(gf.reduce_sum(d1), [x])
        xs = np.array([0.3, 1.0, 2.5, 9.0])
        got = run([d1, d2], {x: xs})
        np.testing.assert_allclose(got[0], sp.digamma(xs), rtol=1e-10)
        np.testing.assert_allclose(got[1], sp.polygamma(1, xs), rtol=1e-8)


@pytest.mark.parametrize("device", TARGETS)
def test_singular_and_indefinite_matrices_fail_the_run_naming_the_node(device: str) -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 2, 2])
        with gf.Session(device=device) as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"(not invertible|singular)[\s\S]*MatrixInverse"):
                sess.run(gf.matrix_inverse(x), {x: np.zeros((1, 2, 2))})
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"Cholesky|positive definite"):
                sess.run(gf.cholesky(x), {x: -np.eye(2)[None]})
        with pytest.raises(ValueError, match="square"):
            gf.matrix_inverse(gf.zeros((2, 3)))


@pytest.mark.parametrize("device", TARGETS)
def test_variable_scatter_updates(device: str) -> None:
    with gf.Graph().as_default():
        v = gf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
        m = gf.Variable(np.ones((2, 3), np.float32))
        init = gf.global_variables_initializer()
        with gf.Session(device=device) as sess:
            base = np.arange(8, dtype=np.float32).reshape(4, 2)

            def fresh() -> None:
                sess.run(init)
            fresh()
            np.testing.assert_array_equal(sess.run(gf.scatter_update(v, [3, 0], [[9, 9], [7, 7]])),
                                          np.array([[7, 7], [2, 3], [4, 5], [9, 9]]))
            fresh()
            want = base.copy()
            np.add.at(want, [1, 1, 2], np.ones((3, 2)))
            np.testing.assert_array_equal(sess.run(gf.scatter_add(v, [1, 1, 2], np.ones((3, 2)))), want)
            fresh()
            np.testing.assert_array_equal(sess.run(gf.scatter_sub(v, [0], [[1, 1]])),
                                          base - [[1, 1], [0, 0], [0, 0], [0, 0]])
            fresh()
            np.testing.assert_array_equal(sess.run(gf.scatter_mul(v, [2], [[2, 3]]))[2], [8, 15])
            fresh()
            np.testing.assert_array_equal(sess.run(gf.scatter_max(v, [1], [[0, 10]]))[1], [2, 10])
            np.testing.assert_array_equal(sess.run(gf.scatter_min(v, [1], [[0, 10]]))[1], [0, 10])
            np.testing.assert_array_equal(sess.run(gf.scatter_div(v, [1], [[2, 5]]))[1], [0, 2])
            np.testing.assert_array_equal(sess.run(gf.scatter_nd_update(m, [[0, 1], [1, 2]], [5, 6])),
                                          [[1, 5, 1], [1, 1, 6]])
            np.testing.assert_array_equal(sess.run(gf.scatter_nd_add(m, [[0, 0]], [2])), [[3, 5, 1], [1, 1, 6]])
            np.testing.assert_array_equal(sess.run(gf.scatter_nd_sub(m, [[0, 0]], [3])), [[0, 5, 1], [1, 1, 6]])
            np.testing.assert_array_equal(sess.run(gf.assign(m, np.zeros((2, 3)))), np.zeros((2, 3)))
            np.testing.assert_array_equal(sess.run(gf.assign_add(m, np.ones((2, 3)))), np.ones((2, 3)))
            np.testing.assert_array_equal(sess.run(gf.assign_sub(m, np.ones((2, 3)))), np.zeros((2, 3)))
            with pytest.raises(TypeError, match="Variable"):
                gf.scatter_add(gf.zeros((2,)), [0], [1.0])


def test_meshgrid_matches_numpy() -> None:
    with gf.Graph().as_default():
        a, b = np.array([1, 2, 3]), np.array([4.0, 5.0])
        for indexing in ("xy", "ij"):
            got = run(gf.meshgrid(gf.constant(a), gf.constant(b), indexing=indexing))
            for g, w in zip(got, np.meshgrid(a, b, indexing=indexing)):
                np.testing.assert_array_equal(g, w)


# ---- against TF1 ------------------------------------------------------------------------------

TF1_CASES = {  # name -> builder over a module (graphflow or tf.compat.v1) and inputs
    "erf": lambda m, x: m.erf(x), "lgamma": lambda m, x: m.lgamma(x + 3.0),
    "digamma": lambda m, x: m.digamma(x + 3.0), "expm1": lambda m, x: m.expm1(x),
    "cumprod": lambda m, x: m.cumprod(x, axis=1, exclusive=True, reverse=True),
    "inverse": lambda m, x: m.matrix_inverse(m.matmul(x, x, transpose_b=True) + 3 * m.eye(3, dtype=m.float64)),
    "determinant": lambda m, x: m.matrix_determinant(x),
    "cholesky": lambda m, x: m.cholesky(m.matmul(x, x, transpose_b=True) + 3 * m.eye(3, dtype=m.float64)),
    "solve": lambda m, x: m.matrix_solve(m.matmul(x, x, transpose_b=True) + 3 * m.eye(3, dtype=m.float64), x),
    "norm": lambda m, x: m.norm(x, axis=1), "reverse": lambda m, x: m.reverse(x, [1]),
    "slice": lambda m, x: m.slice(x, [1, 1], [2, -1]),
    "sort": lambda m, x: m.sort(x, axis=-1, direction="DESCENDING"),
    "pad_reflect": lambda m, x: m.pad(x, [[1, 1], [2, 2]], "REFLECT"),
    "pad_symmetric": lambda m, x: m.pad(x, [[2, 0], [1, 3]], "SYMMETRIC"),
    "segment_sum": lambda m, x: m.segment_sum(x, [0, 0, 2]),
    "segment_max": lambda m, x: m.segment_max(x, [0, 1, 1]),
    "unsorted_segment_mean": lambda m, x: m.unsorted_segment_mean(x, [1, 1, 0], 3),
    "gather_batch": lambda m, x: m.gather(m.reshape(x, [3, 3, 1]), [[0, 2], [1, 1], [2, 0]], axis=1, batch_dims=1),
    "band_part": lambda m, x: m.matrix_band_part(x, 0, 1),
    "where": lambda m, x: m.cast(m.where(x > 0), m.float64),
    "sequence_mask": lambda m, x: m.cast(m.sequence_mask([1, 3, 2], 3), m.float64) * x,
}


@pytest.mark.parametrize("name", sorted(TF1_CASES))
def test_values_and_gradients_match_tf1(name: str) -> None:
    tf = tf1()
    xv = np.random.RandomState(3).randn(3, 3)
    build = TF1_CASES[name]

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = build(m, x)
            grads = m.gradients(m.reduce_sum(y * y), [x]) if y.dtype in (m.float64,) and name != "where" else []
            grads = [d for d in grads if d is not None]
            with m.Session(graph=g) as s:
                return s.run([y] + grads)
    ours, theirs = evaluate(gf), evaluate(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
