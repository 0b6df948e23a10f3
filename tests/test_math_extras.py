"""TF1's extra tf.math ops (graphflow/ops/math_extras.py and special_extras.py): each against its
numpy/SciPy reference in float32 and float64 on every target, its gradient in float64 by central
differences where TF1 has one, and values and gradients against tf.compat.v1 when TensorFlow is
installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.special as sp

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import tf1

RS = np.random.RandomState(11)
M = gf.math


def _cum_logsumexp(x: np.ndarray, axis: int, exclusive: bool = False, reverse: bool = False) -> np.ndarray:
    """log(cumsum(exp(x))) with TF1's flags, in float64 via logaddexp (no over- or underflow)."""
    y = np.flip(x, axis) if reverse else x
    out = np.logaddexp.accumulate(y, axis=axis)
    if exclusive:
        pad = np.full_like(np.take(out, [0], axis=axis), -np.inf)
        out = np.concatenate([pad, np.delete(out, -1, axis=axis)], axis=axis)
    return np.flip(out, axis) if reverse else out


def _scatter_extreme(pick: Any, t: np.ndarray, idx: list, upd: np.ndarray) -> np.ndarray:
    out = t.copy()
    for i, u in zip(idx, upd):
        out[tuple(i)] = pick(out[tuple(i)], u)
    return out


def _polygamma(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    return sp.polygamma(n.astype(np.int64), x)


def _hist(v: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    bins = np.clip(np.floor((v.astype(np.float64) - lo) / ((hi - lo) / n)), 0, n - 1).astype(np.int32)
    return np.bincount(bins.ravel(), minlength=n).astype(np.int32)


SPREAD = np.array([[-1000.0, 0.0, 1.0, 3.0], [2.0, -1.0, 0.5, 40.0], [-3.0, -3.0, 7.0, -2.0]])
IDX = [[0, 1], [2, 0], [0, 1], [1, 2]]

# name -> (graphflow fn, numpy reference (float64), inputs, differentiable inputs or None)
CASES: dict[str, tuple[Any, Any, list[np.ndarray], list[int] | None]] = {
    "xdivy": (M.xdivy, lambda x, y: np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y)),
              [np.array([0.0, 1.5, -2.0, 0.0, 3.0, 0.0]), np.array([0.0, 2.0, 0.5, 3.0, -1.5, np.inf])], None),
    # (TF1's gradient in x is 0 where x is 0, which central differences cannot see: checked against TF1 below)
    "xdivy_grad": (M.xdivy, lambda x, y: x / y, [RS.randn(2, 3), RS.uniform(0.5, 2, (3,))], [0, 1]),
    "xlog1py": (M.xlog1py, lambda x, y: sp.xlog1py(x, y),
                [np.array([0.0, 1.5, 2.0, 0.0, -1.0, 0.0]), np.array([-1.0, 2.0, -0.5, 3.0, 0.25, np.inf])], None),
    "xlog1py_grad": (M.xlog1py, lambda x, y: x * np.log1p(y), [RS.randn(2, 3), RS.uniform(-0.5, 2, (2, 3))], [0, 1]),
    "multiply_no_nan": (M.multiply_no_nan, lambda x, y: np.where(y == 0, 0.0, x * y),
                        [np.array([np.inf, np.nan, 2.0, -1.5]), np.array([0.0, 0.0, 3.0, 0.5])], None),
    "multiply_no_nan_grad": (M.multiply_no_nan, lambda x, y: x * y, [RS.randn(2, 3), RS.randn(3)], [0, 1]),
    "reciprocal_no_nan": (M.reciprocal_no_nan, lambda x: np.where(x == 0, 0.0, 1 / np.where(x == 0, 1, x)),
                          [np.array([0.0, 4.0, -0.5, 2.0])], None),
    "reciprocal_no_nan_grad": (M.reciprocal_no_nan, lambda x: 1 / x, [np.array([4.0, -0.5, 2.0])], [0]),
    "lbeta": (gf.lbeta, lambda x: sp.gammaln(x).sum(-1) - sp.gammaln(x.sum(-1)),
              [RS.uniform(0.3, 5, (3, 4))], [0]),
    "polyval": (lambda c0, x: M.polyval([c0, 2.0, -3.0, 0.5], x),
                lambda c0, x: ((c0 * x + 2.0) * x - 3.0) * x + 0.5, [np.array(1.5), RS.randn(5)], [0, 1]),
    "cumulative_logsumexp": (lambda x: M.cumulative_logsumexp(x, axis=1), lambda x: _cum_logsumexp(x, 1),
                             [SPREAD], [0]),
    "cumulative_logsumexp_axis0": (lambda x: M.cumulative_logsumexp(x), lambda x: _cum_logsumexp(x, 0),
                                   [SPREAD.T], [0]),
    "cumulative_logsumexp_rev": (lambda x: M.cumulative_logsumexp(x, axis=-1, reverse=True),
                                 lambda x: _cum_logsumexp(x, 1, reverse=True), [SPREAD], [0]),
    "cumulative_logsumexp_infinities": (lambda x: M.cumulative_logsumexp(x, axis=1),
                                        lambda x: _cum_logsumexp(x, 1),
                                        [np.array([[-np.inf, 0.0, -np.inf, 2.0], [1.0, np.inf, 0.0, -np.inf]])], None),
    "cumulative_logsumexp_excl": (lambda x: M.cumulative_logsumexp(x, axis=1, exclusive=True),
                                  lambda x: _cum_logsumexp(x, 1, exclusive=True), [SPREAD], None),
    "cumulative_logsumexp_excl_rev": (lambda x: M.cumulative_logsumexp(x, axis=0, exclusive=True, reverse=True),
                                      lambda x: _cum_logsumexp(x, 0, exclusive=True, reverse=True), [SPREAD], None),
    "unsorted_segment_sqrt_n": (lambda d: gf.unsorted_segment_sqrt_n(d, [2, 0, 2, 2], 4),
                                lambda d: np.stack([d[1], np.zeros(3), (d[0] + d[2] + d[3]) / np.sqrt(3),
                                                    np.zeros(3)]), [RS.randn(4, 3)], [0]),
    "tensor_scatter_nd_max": (lambda t, u: gf.tensor_scatter_nd_max(t, IDX, u),
                              lambda t, u: _scatter_extreme(np.maximum, t, IDX, u),
                              [RS.randn(3, 3), RS.randn(4) * 2], [0, 1]),
    "tensor_scatter_nd_min": (lambda t, u: gf.tensor_scatter_nd_min(t, [[1], [0], [1]], u),
                              lambda t, u: _scatter_extreme(np.minimum, t, [[1], [0], [1]], u),
                              [RS.randn(2, 3), RS.randn(3, 3) * 2], [0, 1]),
    "histogram_fixed_width_bins": (lambda v: gf.histogram_fixed_width_bins(v, [-1.0, 2.0], 6),
                                   lambda v: np.clip(np.floor(6 * (v - -1.0) / 3.0), 0, 5).astype(np.int32),
                                   [np.array([[-5.0, -1.0, -0.4, 0.1], [0.55, 1.9, 2.0, 9.0]])], None),
    "histogram_fixed_width": (lambda v: gf.histogram_fixed_width(v, [-1.0, 2.0], nbins=5),
                              lambda v: _hist(v, -1.0, 2.0, 5), [RS.uniform(-2, 3, (4, 6))], None),
    "erfinv": (M.erfinv, sp.erfinv, [np.array([-1.0, -0.999999, -0.7, -1e-9, 0.0, 0.3, 0.9, 0.99999, 1.0, 1.5])],
               None),
    "erfinv_grad": (M.erfinv, sp.erfinv, [RS.uniform(-0.95, 0.95, (6,))], [0]),
    "ndtri": (M.ndtri, sp.ndtri, [np.array([0.0, 1e-300, 1e-20, 0.02, 0.3, 0.5, 0.5000001, 0.9, 1 - 1e-12, 1.0, -0.1])],
              None),
    "ndtri_grad": (M.ndtri, sp.ndtri, [RS.uniform(0.01, 0.99, (6,))], [0]),
    "erfcinv": (M.erfcinv, sp.erfcinv, [np.array([0.0, 1e-200, 1e-5, 0.3, 1.0, 1.7, 2.0 - 1e-9, 2.0])], None),
    "erfcinv_grad": (M.erfcinv, sp.erfcinv, [RS.uniform(0.05, 1.95, (6,))], [0]),
    "bessel_i0e": (M.bessel_i0e, sp.i0e, [np.concatenate([RS.uniform(-40, 40, 8), [0.0, 19.9, 20.1, -300.0]])], [0]),
    "bessel_i1e": (M.bessel_i1e, sp.i1e, [np.concatenate([RS.uniform(-40, 40, 8), [0.0, 19.9, 20.1, -300.0]])], [0]),
    "bessel_i0": (M.bessel_i0, sp.i0, [RS.uniform(-12, 12, (3, 4))], [0]),
    "bessel_i1": (M.bessel_i1, sp.i1, [RS.uniform(-12, 12, (3, 4))], [0]),
    "igamma": (gf.igamma, sp.gammainc, [RS.uniform(0.2, 12, (3, 4)), RS.uniform(0.01, 25, (3, 4))], [0, 1]),
    "igamma_edges": (gf.igamma, sp.gammainc, [np.array([1.0, 2.0, 0.5, 3.0, 2.0]),
                                              np.array([0.0, np.inf, 1e-8, 200.0, 1e-3])], None),
    "igammac": (gf.igammac, sp.gammaincc, [RS.uniform(0.2, 12, (4,)), RS.uniform(0.01, 25, (3, 4))], [0, 1]),
    "betainc": (gf.betainc, sp.betainc, [RS.uniform(0.2, 10, (3, 4)), RS.uniform(0.2, 10, (3, 4)),
                                          RS.uniform(0.0, 1.0, (3, 4))], [2]),
    "betainc_edges": (gf.betainc, sp.betainc, [np.array([2.0, 3.0, 0.5, 1.0]), np.array([2.0, 0.5, 4.0, 1.0]),
                                               np.array([0.0, 1.0, 0.999999, 1e-7])], None),
    "zeta": (gf.zeta, sp.zeta, [RS.uniform(1.1, 12, (3, 4)), RS.uniform(0.05, 20, (3, 4))], [1]),
    "zeta_edges": (gf.zeta, sp.zeta, [np.array([1.0, 0.5, 2.0, 4.0]), np.array([2.0, 2.0, 1e-3, 1e6])], None),
    # TF1's (Eigen's) values at the poles q = 0, -1, ...: inf for even integer x, else NaN (SciPy: inf)
    "zeta_poles": (gf.zeta, lambda x, q: np.array([np.inf, np.nan, np.nan, np.inf, np.inf, np.nan]),
                   [np.array([2.0, 3.0, 2.5, 4.0, 1.0, 0.5]), np.array([-2.0, -2.0, 0.0, 0.0, -1.0, -3.0])], None),
    "igamma_outside": (gf.igamma, lambda a, x: np.full(4, np.nan),
                       [np.array([0.0, -1.0, 1.0, 0.0]), np.array([1.0, 1.0, -1.0, 0.0])], None),
    "betainc_outside": (gf.betainc, lambda a, b, x: np.full(4, np.nan),
                        [np.array([0.0, 1.0, 1.0, 1.0]), np.array([1.0, 0.0, 1.0, 1.0]),
                         np.array([0.5, 0.5, 1.5, -0.1])], None),
    "polygamma": (gf.polygamma, _polygamma, [np.array([[0.0], [1.0], [2.0], [4.0]]), RS.uniform(0.3, 9, (4, 3))],
                  [1]),
    "polygamma_not_whole": (gf.polygamma, lambda n, x: np.full(np.broadcast(n, x).shape, np.nan),
                            [np.array([0.5, -1.0]), np.array([1.0, 2.0])], None),
    "real": (gf.real, np.real, [RS.randn(2, 3)], [0]), "conj": (M.conj, np.conj, [RS.randn(2, 3)], [0]),
    "imag": (M.imag, np.imag, [RS.randn(2, 3)], None),
    "angle": (M.angle, np.angle, [np.array([-2.0, -1e-30, 0.0, 3.0, -np.inf])], None),
    "nextafter": (M.nextafter, np.nextafter, [np.array([1.0, 1.0, 0.0, -2.0, 3.0]),
                                              np.array([2.0, 0.0, -1.0, -2.0, np.inf])], [0]),
}
FLOATS = ("float32", "float64")
IN_DTYPE = {"nextafter"}  # its reference runs in the operands' own dtype: float32 has its own next value


def _in_dtype(inputs: list[np.ndarray], dtype: str) -> list[np.ndarray]:
    return [x.astype(dtype) if x.dtype.kind == "f" else x for x in inputs]


def _expected(ref: Any, dtype: str) -> Any:
    """The reference on the inputs widened to float64, its float results rounded to ``dtype``:
    the correctly rounded answer a float32 op is held to."""
    def expected(*xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np.asarray(ref(*[x.astype(np.float64) if x.dtype.kind == "f" else x for x in xs]))
        return out.astype(dtype) if out.dtype.kind == "f" else out
    return expected


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy(name: str, dtype: str, device: str) -> None:
    fn, ref, inputs, _ = CASES[name]
    with gf.Graph().as_default():
        want = ref if name in IN_DTYPE else _expected(ref, dtype)
        check_op(fn, want, _in_dtype(inputs, dtype), device=device)


@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v[3] is not None))
def test_gradient_matches_central_differences(name: str) -> None:
    fn, _, inputs, wrt = CASES[name]
    with gf.Graph().as_default():
        check_gradient(fn, inputs, wrt=wrt)


def test_lbeta_of_an_empty_axis_is_minus_infinity() -> None:
    with gf.Graph().as_default():
        np.testing.assert_array_equal(run(gf.lbeta(gf.zeros([2, 0]))), [-np.inf, -np.inf])


@pytest.mark.parametrize("device", TARGETS)
def test_histogram_of_nan_fails_the_run(device: str) -> None:
    with gf.Graph().as_default():
        v = gf.placeholder(gf.float32, [3])
        h = gf.histogram_fixed_width(v, [0.0, 1.0], nbins=2)
        with gf.Session(device=device) as sess:
            np.testing.assert_array_equal(sess.run(h, {v: [0.1, 0.7, 0.9]}), [1, 2])
            with pytest.raises(gf.errors.InvalidArgumentError, match="must not contain NaN"):
                sess.run(h, {v: [0.1, np.nan, 0.9]})


def test_no_gradient_where_tf1_has_none() -> None:
    """betainc in a and b, zeta in x and polygamma in n have no gradient (TF1: None)."""
    with gf.Graph().as_default():
        a, b, x = gf.constant(2.0, gf.float64), gf.constant(3.0, gf.float64), gf.constant(0.4, gf.float64)
        assert gf.gradients(gf.betainc(a, b, x), [a, b]) == [None, None]
        assert gf.gradients(gf.zeta(a, x + 1), [a]) == [None]
        assert gf.gradients(gf.polygamma(a, x + 1), [a]) == [None]
        (dx,) = gf.gradients(gf.polygamma(a, x + 1), [x])
        np.testing.assert_allclose(run(dx), sp.polygamma(3, 1.4), rtol=1e-12)


# (a, x, dP/da) by mpmath at 40 digits: the a-derivative where P is nearly 1 (its value far below P's
# rounding) and elsewhere
IGAMMA_DA = [(0.024084121517295606, 28.032479701536538, -2.7754530852039504e-14),
             (0.5, 28.0, -3.862477622665474e-13), (2.0, 28.0, -5.905430541789861e-11),
             (0.1, 10.0, -7.107987279843611e-06), (5.0, 40.0, -1.109352325918427e-12)]


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("fed", [True, False], ids=["fed", "folded"])
def test_igamma_gradient_in_a_is_accurate_where_p_is_nearly_one(device: str, fed: bool) -> None:
    a_v, x_v, want = (np.array(c) for c in zip(*IGAMMA_DA))
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float64, [5]) if fed else gf.constant(a_v)
        (da,) = gf.gradients(gf.igamma(a, gf.constant(x_v)), [a])
        with gf.Session(device=device) as sess:
            got = sess.run(da, {a: a_v} if fed else None)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_second_derivative_of_igamma_in_a_is_not_defined() -> None:
    with gf.Graph().as_default():
        a = gf.constant([2.0], gf.float64)
        (da,) = gf.gradients(gf.igamma(a, 3.0), [a])
        with pytest.raises(LookupError, match="IgammaGradA"):
            gf.gradients(da, [a])


def test_sobol_sample_leaves_out_the_origin_and_skips() -> None:
    with gf.Graph().as_default():
        got = run([gf.math.sobol_sample(3, 4), gf.math.sobol_sample(2, 2, skip=3, dtype=gf.float64)])
    np.testing.assert_array_equal(got[0], np.array([[0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
                                                    [0.375, 0.375, 0.625]], np.float32))
    np.testing.assert_array_equal(got[1], np.array([[0.375, 0.375], [0.875, 0.875]]))
    assert got[0].dtype == np.float32 and got[1].dtype == np.float64
    with gf.Graph().as_default(), pytest.raises(TypeError, match="Python ints"):
        gf.math.sobol_sample(gf.constant(2), 3)


def test_names_are_where_tf1_has_them() -> None:
    top = "lbeta unsorted_segment_sqrt_n igamma igammac betainc zeta polygamma real imag conj angle " \
          "tensor_scatter_nd_max tensor_scatter_nd_min histogram_fixed_width histogram_fixed_width_bins"
    math_only = "xdivy xlog1py multiply_no_nan reciprocal_no_nan polyval cumulative_logsumexp erfinv ndtri " \
                "erfcinv bessel_i0 bessel_i0e bessel_i1 bessel_i1e nextafter sobol_sample"
    for n in top.split():
        assert callable(getattr(gf, n)), n
    for n in (top.split()[:11] + math_only.split()):
        assert callable(getattr(gf.math, n)), n
    from graphflow.math import erfinv  # noqa: PLC0415 - the namespace is a module too
    from graphflow.math.special import bessel_i1e  # noqa: PLC0415
    assert erfinv is gf.math.erfinv and bessel_i1e is gf.math.bessel_i1e


# ---- against TF1 ------------------------------------------------------------------------------

def _unit_range(m: Any) -> Any:
    return m.constant([-1.0, 1.0], m.float64)  # (TF1 converts a list to float32, which float64 values refuse)


TF1_CASES = {  # name -> builder over a module (graphflow or tf.compat.v1) and a float64 x
    "xdivy": lambda m, x: m.math.xdivy(x, x * x + 1), "xlog1py": lambda m, x: m.math.xlog1py(x, x * x),
    "multiply_no_nan": lambda m, x: m.math.multiply_no_nan(x, m.nn.relu(x)),
    "reciprocal_no_nan": lambda m, x: m.math.reciprocal_no_nan(x),
    "lbeta": lambda m, x: m.lbeta(x * x + 0.5),
    "polyval": lambda m, x: m.math.polyval([x[0], 2.0 * x[1], x[2]], x),
    "cumulative_logsumexp": lambda m, x: m.math.cumulative_logsumexp(x * 30, axis=1, reverse=True),
    "cumulative_logsumexp_excl": lambda m, x: m.math.cumulative_logsumexp(x, axis=0, exclusive=True)[1:],
    "unsorted_segment_sqrt_n": lambda m, x: m.unsorted_segment_sqrt_n(x, [2, 0, 2], 4),
    "tensor_scatter_nd_max": lambda m, x: m.tensor_scatter_nd_max(x, [[0, 1], [2, 2], [0, 1]], x[1] * 2),
    "tensor_scatter_nd_min": lambda m, x: m.tensor_scatter_nd_min(x, [[1], [1]], x[::2] * 2),
    "histogram_fixed_width": lambda m, x: m.cast(m.histogram_fixed_width(x, _unit_range(m), nbins=4), m.float64),
    "histogram_fixed_width_bins": lambda m, x: m.cast(m.histogram_fixed_width_bins(x, _unit_range(m), 7), m.float64),
    "erfinv": lambda m, x: m.math.erfinv(m.tanh(x)), "ndtri": lambda m, x: m.math.ndtri(m.sigmoid(x)),
    "erfcinv": lambda m, x: m.math.erfcinv(m.sigmoid(x) * 2),
    "bessel_i0e": lambda m, x: m.math.bessel_i0e(x * 10), "bessel_i1e": lambda m, x: m.math.bessel_i1e(x * 10),
    "bessel_i0": lambda m, x: m.math.bessel_i0(x * 5), "bessel_i1": lambda m, x: m.math.bessel_i1(x * 5),
    "igamma": lambda m, x: m.igamma(x * x + 0.5, m.abs(x) * 3), "igammac": lambda m, x: m.igammac(x * x + 0.5, 2.0),
    "betainc": lambda m, x: m.betainc(m.constant(2.5, m.float64), m.constant(1.5, m.float64), m.sigmoid(x)),
    "zeta": lambda m, x: m.zeta(m.constant(3.0, m.float64), x * x + 0.5),
    "polygamma": lambda m, x: m.polygamma(m.constant([[0.0], [1.0], [3.0]], m.float64), x * x + 0.5),
    "nextafter": lambda m, x: m.math.nextafter(x, m.zeros_like(x)),
    "real": lambda m, x: m.real(x), "conj": lambda m, x: m.conj(x), "imag": lambda m, x: m.imag(x),
    "angle": lambda m, x: m.angle(x),
    "sobol_sample": lambda m, x: m.cast(m.math.sobol_sample(40, 7, skip=9), m.float64) * x[0, 0],
}


@pytest.mark.parametrize("name", sorted(TF1_CASES))
def test_values_and_gradients_match_tf1(name: str) -> None:
    tf = tf1()
    xv = np.random.RandomState(5).randn(3, 3)
    build = TF1_CASES[name]

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = build(m, x)
            grads = [d for d in m.gradients(m.reduce_sum(y * y), [x]) if d is not None]
            with m.Session(graph=g) as s:
                return s.run([y] + grads)
    ours, theirs = evaluate(gf), evaluate(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_tf1_graphs_with_these_ops_import() -> None:
    """A GraphDef that TF1 wrote, holding each op (as TF1 builds it), imports and runs to TF1's values."""
    tf = tf1()
    xv = np.random.RandomState(6).uniform(0.1, 0.9, (3, 3))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3, 3], name="x")
        two = tf.constant(2.0, tf.float64)
        m = tf.math
        outs = [m.xdivy(x, x + 1), m.xlog1py(x, x), m.multiply_no_nan(x, x - 0.5), m.divide_no_nan(x, x - x[0]),
                m.erfinv(x), m.ndtri(x), m.erfcinv(x), m.bessel_i0(x * 4), m.bessel_i1(x * 4), m.bessel_i0e(x),
                m.bessel_i1e(x), m.igamma(x + 1, x * 3), m.igammac(x + 1, x * 3), m.betainc(x + 1, two - x, x),
                m.zeta(x + 2, x), m.polygamma(tf.constant([0.0, 1.0, 3.0], tf.float64), x), m.nextafter(x, two),
                m.cumulative_logsumexp(x, axis=1, exclusive=True, reverse=True),
                tf.cast(tf.histogram_fixed_width(x, tf.constant([0.0, 1.0], tf.float64), nbins=4), tf.float64),
                tf.tensor_scatter_nd_max(x, [[0], [2]], x[:2] * 1.5), tf.tensor_scatter_nd_min(x, [[1]], x[:1] - 1),
                tf.cast(m.sobol_sample(3, 3, skip=2), tf.float64), tf.raw_ops.IgammaGradA(a=x + 1, x=x * 3)]
        names = [t.name for t in outs]
        with tf.Session(graph=g) as s:
            theirs = s.run(outs, {x: xv})
        data = g.as_graph_def().SerializeToString()
    with gf.Graph().as_default() as ours_g:
        gf.import_graph_def(data, name="")
        with gf.Session(graph=ours_g) as s:
            ours = s.run(names, {"x:0": xv})
    for name, a, b in zip(names, ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=name)
