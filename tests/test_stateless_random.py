"""tf.random's stateless ops: values a pure function of the seed (the same on every run, in every
session and process, on every target), unrelated streams for different seeds, seeds computed at
run time, TF1's shapes and dtypes, and the right distributions (KS, chi-square and moment tests)."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

import graphflow as gf
from graphflow.graphdef.export import UnsupportedOpError
from tests.harness import SIMULATED, TARGETS
from tests.optional import tf1

R = gf.random
# a p-value below this fails a distribution test: one false failure in 10**5 runs per test
P_MIN = 1e-5


def _draws(seed: Any) -> list:
    """One of each stateless op, seeded by ``seed``."""
    return [R.stateless_uniform([3, 4], seed), R.stateless_normal([5], seed, dtype=gf.float64),
            R.stateless_truncated_normal([2, 3], seed, mean=1.0, stddev=2.0),
            R.stateless_uniform([6], seed, minval=-5, maxval=5, dtype=gf.int32),
            R.stateless_uniform([6], seed, minval=2.0, maxval=3.0, dtype=gf.float64),
            R.stateless_categorical([[0.0, 1.0, 2.0]], 7, seed), R.stateless_multinomial([[1.0, 1.0]], 4, seed),
            R.stateless_gamma([2, 3], seed, alpha=[0.5, 2.0, 9.0]),
            R.stateless_poisson([4], seed, lam=[1.0, 3.0, 20.0, 50.0]),
            R.stateless_binomial([4], seed, counts=[3.0, 10.0, 200.0, 5000.0], probs=[0.5, 0.9, 0.3, 0.01]),
            R.stateless_uniform([3], seed, minval=None, maxval=None, dtype=gf.int32),
            R.stateless_uniform([3], seed, minval=None, maxval=None, dtype=gf.int64),
            R.split(seed, 3), R.fold_in(seed, 5)]


def _run(device: str, seed_value: list[int], seed_dtype: Any = gf.int32) -> list:
    with gf.Graph().as_default():
        seed = gf.placeholder(seed_dtype, [2])
        fetches = _draws(seed)
        with gf.Session(device=device) as s:
            first = s.run(fetches, {seed: seed_value})
            again = s.run(fetches, {seed: seed_value})
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    return first


@pytest.mark.parametrize("device", TARGETS)
def test_same_seed_same_values_on_every_run_session_and_target(device: str) -> None:
    ours = _run(device, [7, -3])
    again = _run(device, [7, -3])  # a new graph and session
    reference = _run("reference", [7, -3])
    for a, b, r in zip(ours, again, reference):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == r.dtype and a.shape == r.shape
        if a.dtype.kind == "f":  # (the compiled and numpy transcendental functions may differ in the last bit)
            np.testing.assert_allclose(a, r, rtol=1e-6 if a.dtype == np.float32 else 1e-12)
        else:
            np.testing.assert_array_equal(a, r)


def test_same_seed_same_values_in_a_new_process() -> None:
    code = ("import graphflow as gf, numpy as np\n"
            "x = gf.random.stateless_normal([6], seed=[12, 34], dtype=gf.float64)\n"
            "u = gf.random.stateless_uniform([4], seed=gf.constant([5, 6], gf.int64))\n"
            "s = gf.Session(); print(repr(np.concatenate([s.run(x), s.run(u)]).tolist()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    theirs = np.array(eval(out.stdout.strip().splitlines()[-1]))  # a list of floats printed by repr
    with gf.Graph().as_default(), gf.Session() as s:
        x = R.stateless_normal([6], seed=[12, 34], dtype=gf.float64)
        u = R.stateless_uniform([4], seed=gf.constant([5, 6], gf.int64))
        ours = np.concatenate([s.run(x), s.run(u)])
    np.testing.assert_array_equal(ours, theirs)


def test_different_seeds_give_unrelated_streams() -> None:
    seeds = [[0, 0], [0, 1], [1, 0], [1, 1], [-1, 0], [2**31 - 1, 5]]
    with gf.Graph().as_default(), gf.Session() as s:
        seed = gf.placeholder(gf.int64, [2])
        x = R.stateless_normal([20000], seed, dtype=gf.float64)
        vals = np.array([s.run(x, {seed: v}) for v in seeds])
    corr = np.corrcoef(vals)
    off = corr[~np.eye(len(seeds), dtype=bool)]
    assert np.abs(off).max() < 5 / np.sqrt(20000), corr  # 5 standard errors of a zero correlation
    # the same element of different streams is unrelated too (not a shifted copy of one stream)
    for i in range(len(seeds)):
        for j in range(len(seeds)):
            if i != j:
                assert not np.isin(vals[i], vals[j]).any()


def test_seeds_computed_at_run_time() -> None:
    with gf.Graph().as_default(), gf.Session() as s:
        step = gf.placeholder(gf.int32, [])
        seed = gf.stack([step * 2, step + 1])  # e.g. a per-step seed
        x = R.stateless_uniform([8], seed, dtype=gf.float64)
        fixed = R.stateless_uniform([8], [6, 4], dtype=gf.float64)
        int64 = R.stateless_uniform([8], gf.constant([6, 4], gf.int64), dtype=gf.float64)
        a, b, c = s.run([x, fixed, int64], {step: 3})
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)  # the seed's value counts, not its dtype
        assert not np.array_equal(s.run(x, {step: 4}), a)
        # run-time shapes: the prefix of a longer draw (element i is a function of seed and i)
        n = gf.placeholder(gf.int32, [])
        dyn = R.stateless_uniform(gf.stack([n]), [6, 4], dtype=gf.float64)
        mixed = R.stateless_uniform([2, n], [6, 4], dtype=gf.float64)
        assert mixed.shape.as_list() == [2, None]
        np.testing.assert_array_equal(s.run(dyn, {n: 5}), b[:5])
        np.testing.assert_array_equal(s.run(mixed, {n: 4}).ravel(), b)


def test_seed_errors() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match=r"seed must have shape \[2\]"):
            R.stateless_uniform([3], [1, 2, 3])
        with pytest.raises(TypeError, match="int32 or int64"):
            R.stateless_normal([3], gf.constant([1.0, 2.0]))
        with pytest.raises(ValueError, match="must be both `None` or both non-`None`"):
            R.stateless_uniform([3], [1, 2], maxval=None, dtype=gf.int32)
        with pytest.raises(ValueError, match="does not broadcast"):
            R.stateless_gamma([4], [1, 2], alpha=[1.0, 2.0])
        seed = gf.placeholder(gf.int32, [None])
        x = R.stateless_normal([3], seed)
        with gf.Session() as s, pytest.raises(gf.errors.InvalidArgumentError, match=r"seed must have shape \[2\]"):
            s.run(x, {seed: [1, 2, 3]})


def test_inside_while_loops_and_cond_branches() -> None:
    """Pure ops: a loop body may draw from a seed made of its counter (and differentiate through
    the draws); a cond branch may draw too (where stateful random ops need the replay machinery)."""
    with gf.Graph().as_default(), gf.Session() as s:
        x = gf.placeholder(gf.float64, [4])
        pred = gf.placeholder(gf.bool, [])

        def body(i: Any, acc: Any) -> tuple:
            return i + 1, acc + R.stateless_normal([4], gf.stack([i, 7]), dtype=gf.float64) * x * x
        _, acc = gf.while_loop(lambda i, a: i < 3, body, [gf.constant(0), gf.zeros([4], gf.float64)])
        grad = gf.gradients(gf.reduce_sum(acc), x)[0]
        noise = sum(R.stateless_normal([4], [k, 7], dtype=gf.float64) for k in range(3))
        branch = gf.cond(pred, lambda: R.stateless_uniform([2], [5, 5], dtype=gf.float64),
                         lambda: gf.zeros([2], gf.float64))
        xv = np.array([1.0, -2.0, 0.5, 3.0])
        a, g, n, b_true, u = s.run([acc, grad, noise, branch, R.stateless_uniform([2], [5, 5], dtype=gf.float64)],
                                   {x: xv, pred: True})
        np.testing.assert_allclose(a, n * xv * xv, rtol=1e-12)
        np.testing.assert_allclose(g, 2 * n * xv, rtol=1e-12)
        np.testing.assert_array_equal(b_true, u)
        np.testing.assert_array_equal(s.run(branch, {pred: False}), [0.0, 0.0])


def test_equal_seeds_in_one_graph_give_equal_values() -> None:
    with gf.Graph().as_default(), gf.Session() as s:
        a = R.stateless_normal([4], [3, 4])
        b = R.stateless_normal([4], [3, 4])
        c = R.stateless_normal([4], [3, 5])
        va, vb, vc = s.run([a, b, c])
    np.testing.assert_array_equal(va, vb)
    assert not np.array_equal(va, vc)


# ---- distributions -------------------------------------------------------------------------------

N = 400 if "cuda" in TARGETS and SIMULATED else 20000


def _sample(build: Callable[[], Any]) -> np.ndarray:
    with gf.Graph().as_default(), gf.Session() as s:
        return s.run(build())


def test_uniform_and_normal_distributions() -> None:
    seed = [11, 22]
    u = _sample(lambda: R.stateless_uniform([N], seed, minval=-2.0, maxval=3.0, dtype=gf.float64))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert stats.kstest(u, stats.uniform(-2.0, 5.0).cdf).pvalue > P_MIN
    u32 = _sample(lambda: R.stateless_uniform([N], seed))
    assert u32.dtype == np.float32 and u32.min() >= 0 and u32.max() < 1
    assert stats.kstest(u32, stats.uniform().cdf).pvalue > P_MIN
    z = _sample(lambda: R.stateless_normal([N], seed, mean=1.5, stddev=0.5, dtype=gf.float64))
    assert stats.kstest(z, stats.norm(1.5, 0.5).cdf).pvalue > P_MIN
    t = _sample(lambda: R.stateless_truncated_normal([N], seed, mean=-1.0, stddev=2.0, dtype=gf.float64))
    assert t.min() >= -5.0 and t.max() <= 3.0
    assert stats.kstest(t, stats.truncnorm(-2, 2, loc=-1.0, scale=2.0).cdf).pvalue > P_MIN


def test_integer_uniform_is_uniform_over_the_range() -> None:
    for dt in (gf.int32, gf.int64):
        v = _sample(lambda: R.stateless_uniform([N], [5, 9], minval=-3, maxval=4, dtype=dt))
        assert v.dtype == np.dtype(dt.name) and v.min() == -3 and v.max() == 3
        counts = np.bincount(v + 3, minlength=7)
        assert stats.chisquare(counts).pvalue > P_MIN


def test_full_range_integers_split_and_fold_in() -> None:
    """minval = maxval = None: every bit of int32 / int64 draws is a fair coin; split and fold_in
    give new seeds that are functions of the old one (and of the data folded in)."""
    for dt, width in ((gf.int32, 32), (gf.int64, 64)):
        v = _sample(lambda: R.stateless_uniform([N], [4, 4], minval=None, maxval=None, dtype=dt))
        assert v.dtype == np.dtype(dt.name)
        ones = ((v.view(f"uint{width}")[:, None] >> np.arange(width, dtype=f"uint{width}")) & 1).sum(0)
        assert stats.binomtest(int(ones.min()), N).pvalue > P_MIN / width  # (the least balanced bit)
        assert stats.binomtest(int(ones.max()), N).pvalue > P_MIN / width
        assert (v < 0).any() and (v > 0).any()
    with gf.Graph().as_default(), gf.Session() as s:
        seed = gf.placeholder(gf.int64, [2])
        kids = R.split(seed, 4)
        folded = [R.fold_in(seed, gf.constant(d, gf.int64)) for d in (0, 1)]
        a = s.run([kids, *folded], {seed: [9, 9]})
        b = s.run([kids, *folded], {seed: [9, 9]})
        c = s.run([kids, *folded], {seed: [9, 8]})
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z)
    assert a[0].shape == (4, 2) and a[0].dtype == np.int64 and len({tuple(r) for r in a[0]}) == 4
    assert a[1][1] == 0 and a[2][1] == 1 and a[1][0] == a[2][0]  # [a draw from the seed, the data], as TF


def test_categorical_follows_the_softmax() -> None:
    logits = np.log([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    v = _sample(lambda: R.stateless_categorical(logits, N, [3, 3]))
    assert v.shape == (2, N) and v.dtype == np.int64
    for row, p in zip(v, np.exp(logits)):
        assert stats.chisquare(np.bincount(row, minlength=3), p * N).pvalue > P_MIN
    m = _sample(lambda: R.stateless_multinomial(logits, 5, [3, 3], output_dtype=gf.int32))
    assert m.shape == (2, 5) and m.dtype == np.int32


def test_gamma_distribution() -> None:
    alpha = np.array([0.3, 1.0, 4.5])
    beta = np.array([1.0, 2.0, 0.5])
    v = _sample(lambda: R.stateless_gamma([N, 3], [4, 5], alpha=alpha, beta=beta, dtype=gf.float64))
    assert v.shape == (N, 3) and np.all(v > 0)
    for j in range(3):
        assert stats.kstest(v[:, j], stats.gamma(alpha[j], scale=1 / beta[j]).cdf).pvalue > P_MIN, j
    assert _sample(lambda: R.stateless_gamma([2, 3], [4, 5], alpha=alpha)).dtype == np.float32


def _discrete_fits(v: np.ndarray, pmf: np.ndarray) -> float:
    """The chi-square p-value of counts ``v`` against ``pmf`` (over 0..len-1), pooling the cells
    with under 5 expected counts into the tails."""
    expected = pmf * len(v)
    counts = np.bincount(v.astype(np.int64), minlength=len(pmf))[:len(pmf)].astype(float)
    keep = expected >= 5
    lo, hi = np.argmax(keep), len(keep) - np.argmax(keep[::-1])
    exp_cells = np.concatenate([[expected[:lo + 1].sum()], expected[lo + 1:hi - 1], [len(v) - expected[:hi - 1].sum()]])
    obs_cells = np.concatenate([[counts[:lo + 1].sum()], counts[lo + 1:hi - 1], [len(v) - counts[:hi - 1].sum()]])
    return float(stats.chisquare(obs_cells, exp_cells).pvalue)


def test_poisson_distribution() -> None:
    lam = np.array([0.5, 4.0, 15.0, 80.0])  # inversion below 10, rejection above
    v = _sample(lambda: R.stateless_poisson([N, 4], [8, 1], lam=lam))
    assert v.shape == (N, 4) and v.dtype == np.int32 and v.min() >= 0
    for j, lj in enumerate(lam):
        ks = np.arange(int(lj * 3 + 20))
        assert _discrete_fits(v[:, j], stats.poisson(lj).pmf(ks)) > P_MIN, lj
    assert _sample(lambda: R.stateless_poisson([3], [8, 1], lam=2.0, dtype=gf.float64)).dtype == np.float64


def test_binomial_distribution() -> None:
    # (counts, probs): inversion where counts * min(p, 1-p) < 10, rejection elsewhere, both mirrored for p > 1/2
    cases = [(1.0, 0.5), (10.0, 0.3), (40.0, 0.9), (200.0, 0.3), (5000.0, 0.99), (7.0, 0.0), (7.0, 1.0)]
    counts = np.array([c for c, _ in cases])
    probs = np.array([p for _, p in cases])
    v = _sample(lambda: R.stateless_binomial([N, len(cases)], [2, 7], counts=counts, probs=probs))
    assert v.shape == (N, len(cases)) and v.dtype == np.int32
    assert np.all(v >= 0) and np.all(v <= counts)
    np.testing.assert_array_equal(v[:, -2], 0)
    np.testing.assert_array_equal(v[:, -1], 7)
    for j, (c, p) in enumerate(cases[:-2]):
        assert _discrete_fits(v[:, j], stats.binom(int(c), p).pmf(np.arange(int(c) + 1))) > P_MIN, (c, p)


# ---- against TF1 ---------------------------------------------------------------------------------

def _signatures(m: Any) -> list:
    """(static shape, dtype) of each stateless op in ``m``, for static and run-time shapes."""
    with m.Graph().as_default():
        n = m.placeholder(m.int32, [])
        seed = m.placeholder(m.int64, [2])
        r = m.random
        outs = [r.stateless_uniform([3, 4], seed), r.stateless_uniform([2], [1, 2], dtype=m.float64),
                r.stateless_uniform([5], seed, minval=1, maxval=9, dtype=m.int64),
                r.stateless_uniform([5], seed, minval=1, maxval=9, dtype=m.int32),
                r.stateless_uniform([n, 2], seed), r.stateless_normal([4, 1], seed, dtype=m.float16),
                r.stateless_normal(m.stack([n]), seed), r.stateless_truncated_normal([2, 2, 2], seed),
                r.stateless_categorical(m.zeros([3, 4]), 6, seed),
                r.stateless_categorical(m.zeros([3, 4]), 6, seed, dtype=m.int32),
                r.stateless_multinomial(m.zeros([2, 4]), 3, seed),
                r.stateless_gamma([5, 2], seed, alpha=[1.0, 2.0]),
                r.stateless_gamma([5, 2], seed, alpha=[1.0, 2.0], beta=[[3.0, 4.0]], dtype=m.float64),
                r.stateless_poisson([3, 2], seed, lam=[1.0, 4.0]),
                r.stateless_poisson([3], seed, lam=4.0, dtype=m.float32),
                r.stateless_binomial([2, 3], seed, counts=[5.0, 6.0, 7.0], probs=0.5),
                r.stateless_binomial([4], seed, counts=5.0, probs=0.5, output_dtype=m.int64),
                r.stateless_uniform([n, 3], seed, minval=None, maxval=None, dtype=m.int32),
                r.stateless_uniform([2], seed, minval=None, maxval=None, dtype=m.int64),
                r.split(seed), r.split([1, 2], 5), r.fold_in(seed, 3), r.fold_in([1, 2], m.constant(3, m.int64))]
        return [(o.shape.as_list() if o.shape.rank is not None else None, o.dtype.name) for o in outs]


def test_shapes_and_dtypes_match_tf1() -> None:
    tf = tf1()
    assert _signatures(gf) == _signatures(tf)


def test_tf1_names_in_tf_random() -> None:
    for name in ("stateless_uniform", "stateless_normal", "stateless_truncated_normal", "stateless_categorical",
                 "stateless_multinomial", "stateless_gamma", "stateless_poisson", "stateless_binomial", "split",
                 "fold_in"):
        assert callable(getattr(gf.random, name)), name
    from graphflow.random import stateless_uniform  # noqa: F401  (a module path, as TF1 scripts import it)


def test_graph_files_round_trip_and_tf1_runs_them() -> None:
    """Uniform (float and full-range int), normal and truncated normal export as TF's Stateless*
    nodes (shape, seed) and
    import back to the same draws; TF1 runs the file (its own streams, the same shapes)."""
    g = gf.Graph()
    with g.as_default():
        seed = gf.placeholder(gf.int64, [2], name="seed")
        outs = [R.stateless_normal([3, 2], seed, name="n"),
                R.stateless_uniform([2], seed, minval=None, maxval=None, dtype=gf.int64, name="i"),
                R.stateless_uniform([4], [1, 2], dtype=gf.float64, name="u"),
                R.stateless_truncated_normal([5], seed, name="t")]
        gd = g.as_graph_def()
        with gf.Session() as s:
            ours = s.run(outs, {seed: [3, 4]})
    assert sorted(n.op for n in gd.node if n.op.startswith("Stateless")) == \
        ["StatelessRandomNormal", "StatelessRandomUniform", "StatelessRandomUniformFullInt", "StatelessTruncatedNormal"]
    with gf.Graph().as_default():
        back = gf.import_graph_def(gd, return_elements=["n:0", "i:0", "u:0", "t:0"], name="")
        with gf.Session() as s:
            for a, b in zip(ours, s.run(back, {"seed:0": [3, 4]})):
                np.testing.assert_array_equal(a, b)
    tf = tf1()
    from tensorflow.core.framework import graph_pb2
    theirs = graph_pb2.GraphDef()
    theirs.ParseFromString(gd.SerializeToString())
    with tf.Graph().as_default():
        tf.import_graph_def(theirs, name="")
        with tf.Session() as s:
            vals = s.run(["n:0", "i:0", "u:0", "t:0"], {"seed:0": [3, 4]})
    assert [(v.shape, v.dtype) for v in vals] == [(v.shape, v.dtype) for v in ours]
    with gf.Graph().as_default():
        gamma = R.stateless_gamma([2], [1, 2], alpha=2.0)  # its extra streams have no TF1 op
        with pytest.raises(UnsupportedOpError, match="no TF1 op"):
            gamma.graph.as_graph_def()
