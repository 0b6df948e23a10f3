"""reverse_sequence, matrix_diag family, triangular solves, permutations and set ops, roll,
repeat, searchsorted, bincount, space/depth moves, tensor_scatter_*, dynamic partition/stitch,
unravel_index, cross, atan2, random_poisson, py_func and TF1's aliases: numpy references on
every target, float64 gradients, and tf.compat.v1."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import tf1

RS = np.random.RandomState(11)


def _revseq(x: np.ndarray, lens: list[int]) -> np.ndarray:
    out = x.copy()
    for b, n in enumerate(lens):
        out[b, :n] = x[b, :n][::-1]
    return out


LOWER = np.tril(RS.randn(3, 3)) + 3 * np.eye(3)
CASES: dict[str, tuple[Any, Any, list[np.ndarray], bool]] = {
    "reverse_sequence": (lambda x: gf.reverse_sequence(x, [2, 4, 1], seq_axis=1, batch_axis=0),
                         lambda x: _revseq(x, [2, 4, 1]), [RS.randn(3, 5, 2)], True),
    "reverse_sequence_t_major": (lambda x: gf.reverse_sequence(x, [3, 1], seq_axis=0, batch_axis=1),
                                 lambda x: np.swapaxes(_revseq(np.swapaxes(x, 0, 1), [3, 1]), 0, 1),
                                 [RS.randn(4, 2)], True),
    "matrix_diag": (gf.matrix_diag, lambda d: np.stack([np.diag(r) for r in d]), [RS.randn(2, 3)], True),
    "matrix_diag_part": (gf.matrix_diag_part, lambda x: np.stack([np.diag(m) for m in x]), [RS.randn(2, 3, 4)], True),
    "matrix_set_diag": (gf.matrix_set_diag, lambda x, d: x * (1 - np.eye(3, 4)) +
                        np.stack([np.pad(np.diag(r), [(0, 0), (0, 1)]) for r in d]),
                        [RS.randn(2, 3, 4), RS.randn(2, 3)], True),
    "matrix_triangular_solve": (gf.matrix_triangular_solve, lambda a, b: np.linalg.solve(np.tril(a), b),
                                [LOWER + np.triu(RS.randn(3, 3), 1), RS.randn(3, 2)], True),
    "matrix_triangular_solve_upper": (lambda a, b: gf.matrix_triangular_solve(a, b, lower=False),
                                      lambda a, b: np.linalg.solve(np.triu(a), b),
                                      [LOWER.T.copy(), RS.randn(3, 2)], True),
    "roll": (lambda x: gf.roll(x, [1, -2], [0, 1]), lambda x: np.roll(x, [1, -2], [0, 1]), [RS.randn(3, 4)], True),
    "repeat": (lambda x: gf.repeat(x, [1, 0, 2], axis=0), lambda x: np.repeat(x, [1, 0, 2], 0), [RS.randn(3, 2)], True),
    "repeat_flat": (lambda x: gf.repeat(x, 2), lambda x: np.repeat(x, 2), [RS.randn(2, 2)], True),
    "space_to_depth": (lambda x: gf.space_to_depth(x, 2),
                       lambda x: x.reshape(1, 2, 2, 2, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 2, 12),
                       [RS.randn(1, 4, 4, 3)], True),
    "depth_to_space": (lambda x: gf.depth_to_space(x, 2),
                       lambda x: x.reshape(1, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(1, 4, 4, 1),
                       [RS.randn(1, 2, 2, 4)], True),
    "tensor_scatter_nd_update": (lambda t, u: gf.tensor_scatter_nd_update(t, [[0], [2]], u),
                                 lambda t, u: np.concatenate([u[:1], t[1:2], u[1:], t[3:]]),
                                 [RS.randn(4, 2), RS.randn(2, 2)], True),
    "tensor_scatter_nd_add": (lambda t, u: gf.tensor_scatter_nd_add(t, [[1, 1], [1, 1]], u),
                              lambda t, u: t + np.array([[0, 0], [0, u.sum()]]), [RS.randn(2, 2), RS.randn(2)], True),
    "cross": (gf.cross, lambda a, b: np.cross(a, b), [RS.randn(4, 3), RS.randn(4, 3)], True),
    "atan2": (gf.atan2, np.arctan2, [RS.randn(6), RS.randn(6)], True),
    "clip_by_average_norm": (lambda x: gf.clip_by_average_norm(x, 0.1),
                             lambda x: x * 0.1 / max(np.sqrt((x * x).sum()) / x.size, 0.1), [RS.randn(3, 2)], True),
    "invert_permutation": (gf.invert_permutation, lambda p: np.argsort(p).astype(p.dtype),
                           [np.array([3, 0, 2, 1], np.int32)], False),
    "searchsorted": (lambda s, v: gf.searchsorted(s, v, side="right"),
                     lambda s, v: np.stack([np.searchsorted(a, b, "right") for a, b in zip(s, v)]).astype(np.int32),
                     [np.sort(RS.randn(2, 5)), RS.randn(2, 3)], False),
    "bincount": (gf.bincount, lambda a: np.bincount(a).astype(np.int32), [np.array([0, 3, 3, 1], np.int32)], False),
    "bincount_weights": (lambda a, w: gf.bincount(a, weights=w, minlength=6), lambda a, w: np.bincount(a, w, 6),
                         [np.array([0, 3, 3, 1], np.int32), RS.rand(4)], False),
    "unravel_index": (lambda i: gf.unravel_index(i, [3, 4]),
                      lambda i: np.array(np.unravel_index(i, (3, 4))).astype(i.dtype),
                      [np.array([0, 5, 11], np.int32)], False),
}


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_numpy(name: str, device: str) -> None:
    fn, ref, inputs, _ = CASES[name]
    with gf.Graph().as_default():
        check_op(fn, ref, inputs, device=device)


@pytest.mark.parametrize("name", sorted(k for k, v in CASES.items() if v[3]))
def test_gradient_matches_central_differences(name: str) -> None:
    fn, _, inputs, _ = CASES[name]
    if name == "atan2":
        inputs = [np.abs(inputs[0]) + 0.2, np.abs(inputs[1]) + 0.2]  # away from the branch cut
    with gf.Graph().as_default():
        check_gradient(fn, inputs)


@pytest.mark.parametrize("device", TARGETS)
def test_dynamic_partition_stitch_setdiff(device: str) -> None:
    with gf.Graph().as_default():
        d = gf.constant([[1.0], [2.0], [3.0], [4.0]])
        parts = gf.dynamic_partition(d, [1, 0, 1, 2], 3)
        st = gf.dynamic_stitch([[0, 2], [1, 3], [2]], [[10.0, 20.0], [30.0, 40.0], [50.0]])
        diff, idx = gf.setdiff1d([5, 1, 7, 1, 9], [1, 9])
        got = run(parts + [st, diff, idx], None, device)
        np.testing.assert_array_equal(got[0], [[2.0]])
        np.testing.assert_array_equal(got[1], [[1.0], [3.0]])
        np.testing.assert_array_equal(got[2], [[4.0]])
        np.testing.assert_array_equal(got[3], [10.0, 30.0, 50.0, 40.0])  # the later piece wins at 2
        np.testing.assert_array_equal(got[4], [5, 7])
        np.testing.assert_array_equal(got[5], [0, 2])


def test_random_poisson_matches_the_poisson_distribution() -> None:
    lam = np.array([0.3, 3.0, 9.5, 10.0, 40.0, 300.0])
    with gf.Graph().as_default(), gf.Session() as s:
        v = s.run(gf.random_poisson(lam, [3000], dtype=gf.float64, seed=4))
    assert v.shape == (3000, 6) and np.all(v == np.round(v)) and v.min() >= 0
    for j, m in enumerate(lam):
        counts = np.bincount(v[:, j].astype(int))
        ks = np.arange(counts.size)
        p = stats.poisson(m).pmf(ks)
        keep = p * v.shape[0] >= 5  # chi-square cells with enough expected mass, the tails pooled
        obs = np.append(counts[keep], counts[~keep].sum())
        exp = np.append(p[keep], 1 - p[keep].sum()) * v.shape[0]
        assert stats.chisquare(obs, exp).pvalue > 1e-4, (m, obs, exp)


@pytest.mark.parametrize("device", TARGETS)
def test_py_func_runs_python_on_the_host(device: str) -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        seen = []

        def f(a: np.ndarray) -> np.ndarray:
            seen.append(a.copy())
            return np.sort(a) * 2
        y = gf.py_func(f, [x], gf.float64)
        z = gf.reduce_sum(y * 3.0)  # compiled code after the host function
        w = gf.numpy_function(lambda a, b: (a + b, (a * b).astype(np.int32)), [x, x], [gf.float64, gf.int32])
        with gf.Session(device=device) as s:
            assert s.run(z, {x: [3.0, 1.0]}) == pytest.approx(24.0)
            a, b = s.run(w, {x: [2.0, 3.0]})
        np.testing.assert_array_equal(a, [4.0, 6.0])
        assert b.dtype == np.int32 and b.tolist() == [4, 9]
        assert len(seen) == 1
        with pytest.raises(LookupError, match="No gradient"):
            gf.gradients(z, [x])


@pytest.mark.parametrize("device", TARGETS)
def test_py_func_between_compiled_ops(device: str) -> None:
    """A py_func of compiled values whose result compiled ops read again (three stages: compiled,
    host, compiled), with variables updated in the first program and read in the second."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        v = gf.Variable(1.0, dtype=gf.float64)
        h = gf.tanh(x) * v
        y = gf.py_func(lambda a: np.cumsum(a), [h], gf.float64)
        z = gf.py_func(lambda a: a[::-1].copy(), [y * 2.0], gf.float64)  # a second round trip
        out = gf.reduce_sum(z * h) + gf.reduce_sum(y)
        with gf.control_dependencies([out]):
            step = gf.assign_add(v, 1.0)
        with gf.Session(device=device) as s:
            s.run(gf.global_variables_initializer())
            xv = np.array([0.5, -1.0, 2.0])
            got, _ = s.run([out, step], {x: xv})
            again = s.run(out, {x: xv})
    for scale, value in ((1.0, got), (2.0, again)):
        hv = np.tanh(xv) * scale
        yv = np.cumsum(hv)
        assert value == pytest.approx(np.sum((yv * 2.0)[::-1] * hv) + np.sum(yv))


def test_aliases() -> None:
    assert gf.lin_space is gf.linspace and gf.div_no_nan is gf.divide_no_nan
    assert gf.where_v2 is not gf.where  # TF1's tf.where picks rows by a vector condition
    assert gf.double is gf.float64 and gf.half is gf.float16 and gf.tensor_scatter_update is gf.tensor_scatter_nd_update
    with gf.Graph().as_default(), gf.Session() as s:
        a, b = gf.tuple([gf.constant(1.0), gf.constant(2.0)])
        assert s.run([a, b]) == [1.0, 2.0]
        np.testing.assert_array_equal(s.run(gf.saturate_cast(gf.constant([300, -5]), gf.uint8)), [255, 0])
        assert gf.broadcast_static_shape(gf.TensorShape([2, 1]), gf.TensorShape([3])).as_list() == [2, 3]
        np.testing.assert_array_equal(s.run(gf.broadcast_dynamic_shape([2, 1], [1, 3])), [2, 3])


TF1 = {
    "reverse_sequence": lambda m, x: m.reverse_sequence(x, [2, 3, 1], seq_axis=1, batch_axis=0),
    "matrix_diag": lambda m, x: m.matrix_diag(x),
    "matrix_diag_part": lambda m, x: m.matrix_diag_part(x),
    "matrix_set_diag": lambda m, x: m.matrix_set_diag(x, x[:, 0]),
    "triangular_solve": lambda m, x: m.matrix_triangular_solve(x + 3 * m.eye(3, dtype=m.float64), x, lower=True),
    "roll": lambda m, x: m.roll(x, [1, 2], [0, 1]),
    "cross": lambda m, x: m.cross(x, x * x),
    "atan2": lambda m, x: m.atan2(x, x * 2 - 1),
    "tensor_scatter": lambda m, x: m.tensor_scatter_nd_update(x, [[0], [2]], x[:2] * 3),
    "space_to_depth": lambda m, x: m.space_to_depth(m.reshape(m.concat([x, x[:1]], 0), [1, 4, 3, 1])[:, :, :2], 2),
    "searchsorted": lambda m, x: m.cast(m.searchsorted(m.sort(x), x * 0.5), m.float64),
}  # clip_by_average_norm: TF1's casts the size to float32 and fails on float64; numpy checks it above


@pytest.mark.parametrize("name", sorted(TF1))
def test_values_and_gradients_match_tf1(name: str) -> None:
    tf = tf1()
    xv = RS.randn(3, 3)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = TF1[name](m, x)
            grads = [d for d in m.gradients(m.reduce_sum(y * y), [x]) if d is not None]
            with m.Session(graph=g) as s:
                return s.run([y] + [m.convert_to_tensor(d) for d in grads])
    ours, theirs = evaluate(gf), evaluate(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
