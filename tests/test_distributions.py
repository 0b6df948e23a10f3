"""tf.distributions (and tf.contrib.distributions): every method of every class against
scipy.stats in float64, samples by their statistics (graphflow's random streams are not TF's),
gradients of densities, entropies and KL divergences against central differences, gradients
through reparameterized samples, error cases, everything against tf.compat.v1.distributions,
and a TF1-tutorial-style script (tests/test_examples.py runs it)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import tf1
from tests.tolerances import value_tol

D = gf.distributions
TOL = value_tol("float64")
X = np.array([[0.15], [0.6], [2.3]])  # values, broadcast against batch shape (2,)
P = np.array([[0.1], [0.5], [0.93]])  # probabilities for quantiles
LOGITS = np.array([[0.3, -1.2, 0.8], [1.5, 0.2, -0.4]])
SIMPLEX = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
COUNTS = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 1.0]])
N_COUNTS = np.array([3.0, 8.0])
CONC = np.array([[1.5, 2.0, 3.0], [0.7, 4.0, 1.2]])


def _probs(logits: np.ndarray) -> np.ndarray:
    return sp.softmax(logits, axis=-1)


def _frozen(name: str) -> Any:
    """scipy's distribution for each scalar family's test parameters (batch shape (2,))."""
    return {
        "Normal": st.norm(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
        "Uniform": st.uniform(np.array([-1.0, 0.5]), np.array([2.0, 3.0])),
        "Exponential": st.expon(scale=1 / np.array([1.5, 0.5])),
        "Laplace": st.laplace(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
        "Gamma": st.gamma(np.array([0.8, 3.0]), scale=1 / np.array([2.0, 0.7])),
        "Beta": st.beta(np.array([0.5, 3.0]), np.array([2.0, 1.5])),
        "StudentT": st.t(np.array([1.5, 5.0]), np.array([0.0, 1.0]), np.array([2.0, 0.5])),
    }[name]


def build(m: Any, name: str) -> Any:
    """The test distribution ``name`` of framework ``m`` (graphflow or tf.compat.v1), float64."""
    Dm, f = m.distributions, np.float64
    return {
        "Normal": lambda: Dm.Normal(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
        "Uniform": lambda: Dm.Uniform(np.array([-1.0, 0.5]), np.array([1.0, 3.5])),
        "Exponential": lambda: Dm.Exponential(np.array([1.5, 0.5])),
        "Laplace": lambda: Dm.Laplace(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
        "Gamma": lambda: Dm.Gamma(np.array([0.8, 3.0]), np.array([2.0, 0.7])),
        "Beta": lambda: Dm.Beta(np.array([0.5, 3.0]), np.array([2.0, 1.5])),
        "StudentT": lambda: Dm.StudentT(np.array([1.5, 5.0]), np.array([0.0, 1.0]), np.array([2.0, 0.5])),
        "Bernoulli": lambda: Dm.Bernoulli(logits=np.array([-0.7, 1.3])),
        "Categorical": lambda: Dm.Categorical(logits=LOGITS),
        "Dirichlet": lambda: Dm.Dirichlet(CONC),
        "Multinomial": lambda: Dm.Multinomial(N_COUNTS, logits=LOGITS),
        "DirichletMultinomial": lambda: Dm.DirichletMultinomial(N_COUNTS, CONC),
        "DirichletMultinomial5": lambda: Dm.DirichletMultinomial(f(5.0), CONC),
        "NormalB": lambda: Dm.Normal(f(0.5), np.array([1.0, 3.0])),
        "BernoulliB": lambda: Dm.Bernoulli(probs=np.array([0.3, 0.6])),
        "CategoricalB": lambda: Dm.Categorical(probs=SIMPLEX),
        "ExponentialB": lambda: Dm.Exponential(np.array([0.5, 2.0])),
        "GammaB": lambda: Dm.Gamma(np.array([2.0, 1.1]), np.array([1.0, 1.5])),
        "BetaB": lambda: Dm.Beta(np.array([1.5, 0.9]), np.array([2.5, 4.0])),
        "DirichletB": lambda: Dm.Dirichlet(np.array([1.0, 2.0, 0.5])),
    }[name]()


SCALAR = ["Normal", "Uniform", "Exponential", "Laplace", "Gamma", "Beta", "StudentT"]
# the methods each scalar family has in TF 1.x beyond log_prob/prob/cdf/log_cdf/sf/log_sf/entropy/mean/
# variance/stddev
EXTRA = {"Normal": ["quantile", "mode"], "Laplace": ["mode"], "Gamma": ["mode"], "Beta": ["mode"],
         "StudentT": ["mode"], "Exponential": ["mode"]}
VALUE_METHODS = ["log_prob", "prob", "cdf", "log_cdf", "survival_function", "log_survival_function"]
STAT_METHODS = ["entropy", "mean", "variance", "stddev"]


def _x(name: str) -> np.ndarray:
    return P if name == "Beta" else X


def _scalar_expected(name: str) -> dict[str, np.ndarray]:
    d, x = _frozen(name), _x(name)
    with np.errstate(all="ignore"):
        want = dict(log_prob=d.logpdf(x), prob=d.pdf(x), cdf=d.cdf(x), log_cdf=d.logcdf(x), survival_function=d.sf(x),
                    log_survival_function=d.logsf(x), entropy=d.entropy(), mean=d.mean(), variance=d.var(),
                    stddev=d.std(), quantile=d.ppf(P))
    args = d.args, d.kwds
    if name == "StudentT":  # scipy's mean is NaN where df <= 1, its variance inf where 1 < df <= 2: so is TF's
        want["mode"] = np.array([0.0, 1.0])
    elif name in ("Normal", "Laplace"):
        want["mode"] = d.mean()
    elif name in ("Gamma", "Exponential"):
        a = np.array([0.8, 3.0]) if name == "Gamma" else np.ones(2)
        rate = 1 / args[1]["scale"]
        want["mode"] = np.where(a > 1, (a - 1) / rate, np.nan)  # TF 1.x's: NaN for concentration 1 too
    elif name == "Beta":
        c1, c0 = np.array([0.5, 3.0]), np.array([2.0, 1.5])
        want["mode"] = np.where((c1 > 1) & (c0 > 1), (c1 - 1) / (c1 + c0 - 2), np.nan)
    return want


@pytest.mark.parametrize("name", SCALAR)
def test_scalar_families_against_scipy(name: str) -> None:
    d = build(gf, name)
    x = _x(name)
    fetch = {m: getattr(d, m)(x) for m in VALUE_METHODS} | {m: getattr(d, m)() for m in STAT_METHODS}
    fetch |= {m: (getattr(d, m)(P) if m == "quantile" else getattr(d, m)()) for m in EXTRA.get(name, [])}
    fetch["batch_shape_tensor"] = d.batch_shape_tensor()
    fetch["event_shape_tensor"] = d.event_shape_tensor()
    with gf.Session() as s:
        got = s.run(fetch)
    want = _scalar_expected(name)
    for m, g in got.items():
        if m.endswith("shape_tensor"):
            continue
        w = np.broadcast_to(want[m], np.shape(g))
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12, err_msg=f"{name}.{m}")
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == []
    np.testing.assert_array_equal(got["batch_shape_tensor"], [2])
    assert got["event_shape_tensor"].shape == (0,)
    assert d.dtype == gf.float64 and d.name.startswith(name) and d.name.endswith("/")
    assert d.allow_nan_stats and not d.validate_args
    assert d.reparameterization_type is D.FULLY_REPARAMETERIZED


def test_discrete_and_multivariate_against_scipy() -> None:
    b, c = build(gf, "Bernoulli"), build(gf, "Categorical")
    di, mu, dm = build(gf, "Dirichlet"), build(gf, "Multinomial"), build(gf, "DirichletMultinomial")
    k2 = np.array([[0], [1]])
    k3 = np.array([[0], [2], [1]])
    fetch = dict(
        b_log_prob=b.log_prob(k2), b_prob=b.prob(k2), b_entropy=b.entropy(), b_mean=b.mean(), b_var=b.variance(),
        b_std=b.stddev(), b_mode=b.mode(), b_float_event=b.log_prob(np.array([0.0, 1.0])),
        c_log_prob=c.log_prob(k3), c_prob=c.prob(k3), c_cdf=c.cdf(k3), c_entropy=c.entropy(), c_mode=c.mode(),
        c_probs=c.probs, c_cdf_outside=c.cdf(np.array([[-1], [3], [7]])),
        di_log_prob=di.log_prob(SIMPLEX), di_prob=di.prob(SIMPLEX), di_entropy=di.entropy(), di_mean=di.mean(),
        di_var=di.variance(), di_cov=di.covariance(), di_mode=di.mode(), di_event=di.event_shape_tensor(),
        mu_log_prob=mu.log_prob(COUNTS), mu_prob=mu.prob(COUNTS), mu_mean=mu.mean(), mu_var=mu.variance(),
        mu_cov=mu.covariance(), mu_std=mu.stddev(),
        dm_log_prob=dm.log_prob(COUNTS), dm_mean=dm.mean(), dm_var=dm.variance(), dm_cov=dm.covariance(),
    )
    with gf.Session() as s:
        got = s.run(fetch)
    p = sp.expit(np.array([-0.7, 1.3]))
    probs = _probs(LOGITS)
    want: dict[str, Any] = dict(
        b_log_prob=st.bernoulli.logpmf(k2, p), b_prob=st.bernoulli.pmf(k2, p), b_entropy=st.bernoulli.entropy(p),
        b_mean=p, b_var=p * (1 - p), b_std=np.sqrt(p * (1 - p)), b_mode=(p > 0.5).astype(np.int32),
        b_float_event=st.bernoulli.logpmf([0, 1], p),
        c_log_prob=np.log(probs[[0, 1], k3]), c_prob=probs[[0, 1], k3],
        c_cdf=np.array([[probs[j, :k].sum() for j, k in enumerate(row)] for row in np.broadcast_to(k3, (3, 2))]),
        c_entropy=-(probs * np.log(probs)).sum(-1), c_mode=probs.argmax(-1), c_probs=probs,
        c_cdf_outside=np.array([[0.0], [1.0], [1.0]]),
        di_log_prob=[st.dirichlet.logpdf(SIMPLEX[i], CONC[i]) for i in range(2)],
        di_prob=[st.dirichlet.pdf(SIMPLEX[i], CONC[i]) for i in range(2)],
        di_entropy=[st.dirichlet.entropy(CONC[i]) for i in range(2)],
        di_mean=[st.dirichlet.mean(CONC[i]) for i in range(2)], di_var=[st.dirichlet.var(CONC[i]) for i in range(2)],
        di_cov=[st.dirichlet(CONC[i]).cov() for i in range(2)] if hasattr(st.dirichlet(CONC[0]), "cov") else None,
        di_mode=[(CONC[0] - 1) / (CONC[0].sum() - 3), np.full(3, np.nan)], di_event=[3],
        mu_log_prob=[st.multinomial.logpmf(COUNTS[i], N_COUNTS[i], probs[i]) for i in range(2)],
        mu_prob=[st.multinomial.pmf(COUNTS[i], N_COUNTS[i], probs[i]) for i in range(2)],
        mu_mean=[st.multinomial.mean(N_COUNTS[i], probs[i]) for i in range(2)],
        mu_var=[np.diag(st.multinomial.cov(N_COUNTS[i], probs[i])) for i in range(2)],
        mu_cov=[st.multinomial.cov(N_COUNTS[i], probs[i]) for i in range(2)],
        mu_std=[np.sqrt(np.diag(st.multinomial.cov(N_COUNTS[i], probs[i]))) for i in range(2)],
        dm_log_prob=[st.dirichlet_multinomial.logpmf(COUNTS[i], CONC[i], N_COUNTS[i]) for i in range(2)],
        dm_mean=[st.dirichlet_multinomial.mean(CONC[i], N_COUNTS[i]) for i in range(2)],
        dm_var=[st.dirichlet_multinomial.var(CONC[i], N_COUNTS[i]) for i in range(2)],
        dm_cov=[st.dirichlet_multinomial.cov(CONC[i], N_COUNTS[i]) for i in range(2)],
    )
    if want["di_cov"] is None:  # scipy before 1.?: the Dirichlet covariance from its definition
        want["di_cov"] = [(np.diag(m) - np.outer(m, m)) / (1 + a.sum())
                          for m, a in ((CONC[i] / CONC[i].sum(), CONC[i]) for i in range(2))]
    for k, g in got.items():
        w = np.asarray(want[k])
        assert g.shape == np.broadcast_shapes(g.shape, w.shape), f"{k}: shape {g.shape} vs {w.shape}"
        if w.dtype.kind in "iu":
            np.testing.assert_array_equal(g, np.broadcast_to(w, g.shape), err_msg=k)
        else:
            np.testing.assert_allclose(g, np.broadcast_to(w, g.shape), rtol=1e-9, atol=1e-12, err_msg=k)
    assert got["b_mode"].dtype == np.int32 and got["c_mode"].dtype == np.int32
    assert c.event_size == 3 and c.batch_shape.as_list() == [2]
    assert di.event_shape.as_list() == [3] and mu.event_shape.as_list() == [3] and dm.batch_shape.as_list() == [2]
    assert b.reparameterization_type is D.NOT_REPARAMETERIZED is c.reparameterization_type
    assert di.reparameterization_type is D.FULLY_REPARAMETERIZED


KL_PAIRS = [("Normal", "NormalB"), ("Bernoulli", "BernoulliB"), ("Categorical", "CategoricalB"),
            ("Gamma", "GammaB"), ("Exponential", "ExponentialB"), ("Exponential", "GammaB"), ("Beta", "BetaB"),
            ("Dirichlet", "DirichletB")]


def _kl_numpy(a: str, b: str) -> np.ndarray:
    """KL(a || b) by numerical integration (scalar families) or summation and closed forms."""
    from scipy import integrate

    if a in ("Bernoulli",):
        p, q = sp.expit(np.array([-0.7, 1.3])), np.array([0.3, 0.6])
        return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    if a == "Categorical":
        p = _probs(LOGITS)
        return (p * (np.log(p) - np.log(SIMPLEX))).sum(-1)
    if a == "Dirichlet":
        ca, cb = CONC, np.array([1.0, 2.0, 0.5])
        return (sp.gammaln(ca.sum(-1)) - sp.gammaln(ca).sum(-1) - sp.gammaln(cb.sum()) + sp.gammaln(cb).sum()
                + ((ca - cb) * (sp.digamma(ca) - sp.digamma(ca.sum(-1, keepdims=True)))).sum(-1))
    pa = {"Normal": _frozen("Normal"), "Gamma": _frozen("Gamma"), "Exponential": _frozen("Exponential"),
          "Beta": _frozen("Beta")}[a]
    pb = {"NormalB": st.norm(0.5, np.array([1.0, 3.0])),
          "GammaB": st.gamma(np.array([2.0, 1.1]), scale=1 / np.array([1.0, 1.5])),
          "ExponentialB": st.expon(scale=1 / np.array([0.5, 2.0])),
          "BetaB": st.beta(np.array([1.5, 0.9]), np.array([2.5, 4.0]))}[b]
    out = []
    for i in range(2):
        fa = lambda x: pa.pdf(x)[i] * (pa.logpdf(x)[i] - pb.logpdf(x)[i])  # noqa: E731
        lo, hi = pa.support()
        out.append(integrate.quad(fa, max(lo[i], -60), min(hi[i], 200), epsabs=1e-13, epsrel=1e-11, limit=400)[0])
    return np.array(out)


def test_kl_divergences_against_numpy_and_cross_entropy() -> None:
    fetch = {}
    for a, b in KL_PAIRS:
        da, db = build(gf, a), build(gf, b)
        fetch[(a, b)] = D.kl_divergence(da, db)
        fetch[(a, b, "method")] = da.kl_divergence(db)
        fetch[(a, b, "cross")] = da.cross_entropy(db)
        fetch[(a, b, "entropy")] = da.entropy()
    with gf.Session() as s:
        got = s.run(fetch)
    for a, b in KL_PAIRS:
        want = _kl_numpy(a, b)
        np.testing.assert_allclose(got[(a, b)], want, rtol=1e-7, atol=1e-9, err_msg=f"KL({a} || {b})")
        np.testing.assert_allclose(got[(a, b, "method")], got[(a, b)], **TOL)
        np.testing.assert_allclose(got[(a, b, "cross")], got[(a, b, "entropy")] + got[(a, b)], **TOL)


def _mean_var(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name in SCALAR:
        d = _frozen(name)
        return d.mean(), d.var()
    p = sp.expit(np.array([-0.7, 1.3]))
    probs = _probs(LOGITS)
    if name == "Bernoulli":
        return p, p * (1 - p)
    if name == "Categorical":  # one-hot indicators' mean and variance
        return probs, probs * (1 - probs)
    if name == "Dirichlet":
        return np.array([st.dirichlet.mean(c) for c in CONC]), np.array([st.dirichlet.var(c) for c in CONC])
    if name == "Multinomial":
        return N_COUNTS[:, None] * probs, N_COUNTS[:, None] * probs * (1 - probs)
    m = np.array([st.dirichlet_multinomial.mean(CONC[i], N_COUNTS[i]) for i in range(2)])
    v = np.array([st.dirichlet_multinomial.var(CONC[i], N_COUNTS[i]) for i in range(2)])
    return m, v


SAMPLED = ["Normal", "Uniform", "Exponential", "Laplace", "Gamma", "Beta", "Bernoulli", "Categorical", "Dirichlet",
           "Multinomial", "DirichletMultinomial", "StudentT9"]


def test_samples_have_the_distributions_moments() -> None:
    n = 20000
    fetch = {}
    for name in SAMPLED:
        d = D.StudentT(9.0, np.array([0.0, 1.0]), np.array([2.0, 0.5])) if name == "StudentT9" else build(gf, name)
        fetch[name] = d.sample([n // 100, 100], seed=7)
    with gf.Session() as s:
        got = s.run(fetch)
    for name, x in got.items():
        d0 = build(gf, "Normal") if name == "StudentT9" else build(gf, name)
        assert x.shape[:2] == (n // 100, 100), name
        x = x.reshape((n,) + x.shape[2:]).astype(np.float64)
        assert x.shape[1:] == tuple(d0.batch_shape.as_list() + d0.event_shape.as_list()), name
        if name == "Categorical":
            x = np.eye(3)[x.astype(int)]
        if name == "StudentT9":
            m, v = np.array([0.0, 1.0]), np.array([4.0, 0.25]) * 9 / 7
        else:
            m, v = _mean_var(name)
        dev = x - m
        se_mean = np.sqrt(v / n)
        se_var = np.std(dev ** 2, axis=0) / np.sqrt(n)
        np.testing.assert_array_less(np.abs(dev.mean(0)), 5 * se_mean + 1e-12, err_msg=f"{name}: sample mean")
        np.testing.assert_array_less(np.abs((dev ** 2).mean(0) - v), 5 * se_var + 1e-12,
                                     err_msg=f"{name}: sample variance")
        if name in ("Multinomial", "DirichletMultinomial"):
            np.testing.assert_array_equal(x.sum(-1), np.broadcast_to(N_COUNTS, (n, 2)))
        if name == "Dirichlet":
            np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    # sample shapes: an int, a tuple, the empty default
    d = build(gf, "Normal")
    assert d.sample().shape.as_list() == [2] and d.sample(4).shape.as_list() == [4, 2]
    assert build(gf, "Dirichlet").sample((2, 3)).shape.as_list() == [2, 3, 2, 3]


# gradients of densities, entropies and KL divergences with respect to every parameter (and the
# value), each family's outputs concatenated into one function so one graph serves them
def _flat(*ts: Any) -> Any:
    return gf.concat([gf.reshape(t, [-1]) for t in ts], 0)


GRADIENTS: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "Normal": (lambda l, s, x: _flat(D.Normal(l, s).log_prob(x), D.Normal(l, s).log_cdf(x), D.Normal(l, s).entropy(),
                                     D.kl_divergence(D.Normal(l, s), D.Normal(x[0], s[::-1]))),
               [np.array([0.3, -1.0]), np.array([1.5, 0.7]), np.array([0.2, 0.9])]),
    "Bernoulli": (lambda lg, q: _flat(D.Bernoulli(logits=lg).log_prob([1, 0]), D.Bernoulli(logits=lg).entropy(),
                                      D.kl_divergence(D.Bernoulli(logits=lg), D.Bernoulli(probs=q))),
                  [np.array([0.4, -1.1]), np.array([0.3, 0.8])]),
    "Categorical": (lambda lg, q: _flat(D.Categorical(logits=lg).log_prob([2, 0]), D.Categorical(logits=lg).entropy(),
                                        D.kl_divergence(D.Categorical(logits=lg), D.Categorical(logits=q))),
                    [LOGITS, LOGITS[::-1] * 0.5]),
    "Uniform": (lambda lo, hi: _flat(D.Uniform(lo, hi).log_prob(0.1), D.Uniform(lo, hi).cdf(0.1),
                                     D.Uniform(lo, hi).entropy()), [np.array([-1.0, 0.0]), np.array([1.0, 0.5])]),
    "Laplace": (lambda l, s, x: _flat(D.Laplace(l, s).log_prob(x), D.Laplace(l, s).log_cdf(x),
                                      D.Laplace(l, s).log_survival_function(x), D.Laplace(l, s).entropy()),
                [np.array([0.3, -1.0]), np.array([1.5, 0.7]), np.array([0.2, 0.9])]),
    "Gamma": (lambda a, r, x: _flat(D.Gamma(a, r).log_prob(x), D.Gamma(a, r).cdf(x), D.Gamma(a, r).entropy(),
                                    D.kl_divergence(D.Gamma(a, r), D.Gamma(r, a)),
                                    D.kl_divergence(D.Exponential(r), D.Gamma(a, r))),
              [np.array([0.8, 3.0]), np.array([2.0, 0.7]), np.array([0.4, 1.7])]),
    "Beta": (lambda c1, c0, x: _flat(D.Beta(c1, c0).log_prob(x), D.Beta(c1, c0).entropy(),
                                     D.kl_divergence(D.Beta(c1, c0), D.Beta(c0, c1))),
             [np.array([0.8, 3.0]), np.array([2.0, 1.4]), np.array([0.4, 0.7])]),
    "StudentT": (lambda df, l, s, x: _flat(D.StudentT(df, l, s).log_prob(x), D.StudentT(df, l, s).entropy()),
                 [np.array([1.5, 6.0]), np.array([0.3, -1.0]), np.array([1.5, 0.7]), np.array([0.2, 0.9])]),
    "Dirichlet": (lambda c, q, x: _flat(D.Dirichlet(c).log_prob(x), D.Dirichlet(c).entropy(),
                                        D.kl_divergence(D.Dirichlet(c), D.Dirichlet(q))),
                  [CONC, CONC[::-1], SIMPLEX]),
    "Multinomial": (lambda n, lg: _flat(D.Multinomial(n, logits=lg).log_prob(COUNTS)), [N_COUNTS, LOGITS]),
    "DirichletMultinomial": (lambda n, c: _flat(D.DirichletMultinomial(n, c).log_prob(COUNTS)), [N_COUNTS, CONC]),
}




@pytest.mark.parametrize("name", list(GRADIENTS))
def test_gradients_of_densities_entropies_and_kl(name: str) -> None:
    fn, inputs = GRADIENTS[name]
    check_gradient(fn, inputs)


@pytest.mark.parametrize("device", [t for t in TARGETS if t != "cpu"])
@pytest.mark.parametrize("name", ["Normal", "Categorical"])
def test_gradients_on_the_other_targets(name: str, device: str) -> None:
    fn, inputs = GRADIENTS[name]
    check_gradient(fn, inputs, device=device)


def test_reparameterized_samples_carry_gradients() -> None:
    """Each sample's derivative with respect to the parameters, fetched in the same run as the
    sample (random ops draw anew every run): the location-scale families' in closed form."""
    loc = gf.constant(np.array([0.5, -1.0]))
    scale = gf.constant(np.array([2.0, 0.3]))
    rate = gf.constant(np.array([1.5, 0.4]))
    normal, laplace = D.Normal(loc, scale).sample(5, seed=1), D.Laplace(loc, scale).sample(5, seed=2)
    uniform, expo = D.Uniform(loc, loc + scale).sample(5, seed=3), D.Exponential(rate).sample(5, seed=4)
    fetch = dict(normal=normal, laplace=laplace, uniform=uniform, expo=expo,
                 d_normal=gf.gradients(gf.reduce_sum(normal * normal), [loc, scale]),
                 d_laplace=gf.gradients(gf.reduce_sum(laplace), [loc, scale]),
                 d_uniform=gf.gradients(gf.reduce_sum(uniform), [loc, scale]),
                 d_expo=gf.gradients(gf.reduce_sum(expo), [rate]))
    with gf.Session() as s:
        got = s.run(fetch)
    lo, sc, ra = np.array([0.5, -1.0]), np.array([2.0, 0.3]), np.array([1.5, 0.4])
    z = (got["normal"] - lo) / sc
    np.testing.assert_allclose(got["d_normal"][0], (2 * got["normal"]).sum(0), **TOL)
    np.testing.assert_allclose(got["d_normal"][1], (2 * got["normal"] * z).sum(0), **TOL)
    np.testing.assert_allclose(got["d_laplace"][0], np.full(2, 5.0), **TOL)
    np.testing.assert_allclose(got["d_laplace"][1], ((got["laplace"] - lo) / sc).sum(0), **TOL)
    np.testing.assert_allclose(got["d_uniform"][0], np.full(2, 5.0), **TOL)  # low + scale both move with loc
    np.testing.assert_allclose(got["d_uniform"][1], ((got["uniform"] - lo) / sc).sum(0), **TOL)
    np.testing.assert_allclose(got["d_expo"][0], (-got["expo"] / ra).sum(0), **TOL)


REPARAMETERIZED: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "Normal": (lambda a, b: D.Normal(a, b).sample(3, seed=1), [np.array([0.5, -1.0]), np.array([2.0, 0.3])]),
    "Laplace": (lambda a, b: D.Laplace(a, b).sample(3, seed=2), [np.array([0.5, -1.0]), np.array([2.0, 0.3])]),
    "Uniform": (lambda a, b: D.Uniform(a, a + b).sample(3, seed=3), [np.array([0.5, -1.0]), np.array([2.0, 0.3])]),
    "Exponential": (lambda a: D.Exponential(a).sample(3, seed=4), [np.array([1.5, 0.4])]),
}


@pytest.mark.parametrize("name", list(REPARAMETERIZED))
def test_reparameterized_samples_against_central_differences(name: str) -> None:
    """The samples' gradients against central differences with the random draws held fixed (fed
    back to the random ops' outputs: random ops draw anew every run)."""
    fn, inputs = REPARAMETERIZED[name]
    with gf.Graph().as_default() as g:
        phs = [gf.placeholder(gf.float64, x.shape) for x in inputs]
        y = fn(*phs)
        draws = [op.outputs[0] for op in g.get_operations() if op.type == "Random"]
        assert draws, name
        v = np.random.RandomState(0).standard_normal(y.shape.as_list())
        grads = gf.gradients(gf.reduce_sum(y * v), phs)
        with gf.Session() as s:
            fixed = dict(zip(draws, s.run(draws)))
            feeds = {**dict(zip(phs, inputs)), **fixed}
            got = s.run(grads, feeds)
            for i, x in enumerate(inputs):
                num = np.zeros(x.size)
                for j in range(x.size):
                    step = np.zeros(x.size)
                    step[j] = 1e-6
                    hi = s.run(y, {**feeds, phs[i]: x + step.reshape(x.shape)})
                    lo = s.run(y, {**feeds, phs[i]: x - step.reshape(x.shape)})
                    num[j] = np.sum((hi - lo) * v) / 2e-6
                np.testing.assert_allclose(got[i].reshape(-1), num, rtol=1e-6, atol=1e-8, err_msg=f"{name} input {i}")


def test_gamma_family_samples_have_implicit_gradients() -> None:
    """Gamma, Beta and StudentT samples (drawn by rejection) differentiate by the implicit rule:
    the per-sample derivatives average to the derivative of the mean, within 5 standard errors."""
    n = 20000
    a, r = gf.constant(np.full(n, 2.5)), gf.constant(np.full(n, 1.5))
    c1, c0 = gf.constant(np.full(n, 0.7)), gf.constant(np.full(n, 2.0))
    g = D.Gamma(a, r).sample(seed=5)
    b = D.Beta(c1, c0).sample(seed=6)
    di = D.Dirichlet(gf.stack([c1, c0], 1)).sample(seed=8)[:, 0]
    fetch = dict(g=gf.gradients(g, [a, r]), b=gf.gradients(b, [c1, c0]), di=gf.gradients(di, [c1, c0]))
    with gf.Session() as s:
        got = s.run(fetch)
    t = 2.7
    want = dict(g=[1 / 1.5, -2.5 / 1.5 ** 2], b=[2.0 / t ** 2, -0.7 / t ** 2], di=[2.0 / t ** 2, -0.7 / t ** 2])
    for k, grads in got.items():
        for gr, w in zip(grads, want[k]):
            assert np.all(np.isfinite(gr)), k
            assert abs(gr.mean() - w) < 5 * gr.std() / np.sqrt(n), (k, gr.mean(), w)


# TF's DirichletMultinomial.mean fails to build for a batch of total counts: a scalar one here
ALL = SCALAR + ["Bernoulli", "Categorical", "Dirichlet", "Multinomial", "DirichletMultinomial5"]


def _comparable(m: Any) -> dict[str, Any]:
    """Densities, statistics and KL values of every family, built with framework ``m``."""
    out: dict[str, Any] = {}
    for name in ALL:
        d = build(m, name)
        value = {"Bernoulli": np.array([[0], [1]]), "Categorical": np.array([[0], [2], [1]]), "Dirichlet": SIMPLEX,
                 "Multinomial": COUNTS, "DirichletMultinomial5": np.array([[1.0, 2.0, 2.0], [3.0, 0.0, 2.0]])}.get(name)
        if value is None:  # TF's Beta and StudentT CDFs (betainc) need the batch's shape
            value = np.array([0.15, 0.6])
        methods = (["log_prob", "prob"] + (VALUE_METHODS[2:] if name in SCALAR else [])
                   + (["cdf"] if name == "Categorical" else []))
        for meth in methods:
            if name == "Categorical" and meth == "cdf":
                continue  # compared below at in-range classes
            out[f"{name}.{meth}"] = getattr(d, meth)(value)
        stats = {"Categorical": ["entropy", "mode"], "Multinomial": ["mean", "variance", "covariance"],
                 "DirichletMultinomial5": ["mean", "variance", "covariance"],
                 # TF's batched Dirichlet.mode fails to build (a where of shapes [2] and [2, 3])
                 "Dirichlet": ["entropy", "mean", "variance", "covariance"]}.get(
                     name, STAT_METHODS + [m for m in EXTRA.get(name, []) if m != "quantile"] + ["batch_shape_tensor"])
        for meth in stats:
            if name == "StudentT" and meth in ("variance", "stddev"):
                continue  # TF's float64 StudentT.variance fails to build (a float32 fill of 2.)
            out[f"{name}.{meth}"] = getattr(d, meth)()
    out["Categorical.cdf"] = build(m, "Categorical").cdf(np.array([[0], [2], [1]]))
    out["Normal.quantile"] = build(m, "Normal").quantile(P)
    for a, b in KL_PAIRS:
        out[f"KL({a}||{b})"] = m.distributions.kl_divergence(build(m, a), build(m, b))
    return out


def test_against_tf1_distributions() -> None:
    tf = tf1()
    with tf.Graph().as_default():
        tf_fetch = _comparable(tf)
        names = {k: (build(tf, k.split(".")[0]).name if "." in k else None) for k in tf_fetch}
        with tf.Session() as s:
            want = s.run(tf_fetch)
    with gf.Graph().as_default():
        got = gf.Session().run(_comparable(gf))
        for k, n in names.items():
            if n is not None:
                assert build(gf, k.split(".")[0]).name.rstrip("/0123456789_").rstrip("_") == n.rstrip("/0123456789_")
    for k, w in want.items():
        np.testing.assert_allclose(got[k], w, rtol=1e-10, atol=1e-10, err_msg=k)
        assert np.asarray(got[k]).dtype == np.asarray(w).dtype, k


def test_invalid_arguments_name_the_parameter() -> None:
    cases = [
        (lambda: D.Normal(0.0, np.array([1.0, -1.0]), validate_args=True).log_prob(0.0), "`scale`"),
        (lambda: D.Gamma(np.array([-0.5]), 1.0, validate_args=True).mean(), "`concentration`"),
        (lambda: D.Exponential(np.array([0.0]), validate_args=True).mean(), "`rate`"),
        (lambda: D.Beta(1.0, np.array([-2.0]), validate_args=True).entropy(), "`concentration0`"),
        (lambda: D.Bernoulli(probs=np.array([0.5, 1.5]), validate_args=True).entropy(), "`probs`"),
        (lambda: D.Categorical(probs=np.array([-0.1, 1.1]), validate_args=True).entropy(), "`probs`"),
        (lambda: D.Dirichlet(np.array([1.0, 0.0]), validate_args=True).mean(), "`concentration`"),
        (lambda: D.Multinomial(np.array(-1.0), probs=np.array([0.5, 0.5]), validate_args=True).mean(), "`total_count`"),
        (lambda: D.Uniform(1.0, np.array([0.5]), validate_args=True).mean(), "low >= high"),
        (lambda: D.Gamma(np.array([0.5]), 1.0, allow_nan_stats=False).mode(), "allow_nan_stats=False"),
        (lambda: D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(np.float32(np.nan), 1.0), allow_nan_stats=False),
         "NaN"),
    ]
    with gf.Session() as s:
        for build_fn, named in cases:
            with pytest.raises(gf.errors.InvalidArgumentError, match=named):
                s.run(build_fn())
    # the same distributions with valid parameters run
    s = gf.Session()
    assert s.run(D.Normal(0.0, np.array([1.0, 2.0]), validate_args=True).log_prob(0.0)).shape == (2,)


def test_construction_errors() -> None:
    with pytest.raises(ValueError, match="`logits` must have rank 1 at least"):
        D.Categorical(logits=1.0)  # a scalar where the classes' vector is needed
    with pytest.raises(ValueError, match="rank 1 at least"):
        D.Dirichlet(2.0)
    with pytest.raises(ValueError, match="not both"):
        D.Bernoulli(logits=[0.0], probs=[0.5])
    with pytest.raises(ValueError, match="not both"):
        D.Categorical()
    with pytest.raises(TypeError, match="loc: float64, scale: float32"):
        D.Normal(np.zeros(2), gf.constant(1.0))
    with pytest.raises(NotImplementedError, match="No KL.*Normal.*Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=0.5))
    with pytest.raises(NotImplementedError, match="mean is not implemented: Categorical"):
        D.Categorical(logits=[0.0, 1.0]).mean()
    with pytest.raises(ValueError, match="batch shape known when the graph is built"):
        D.Gamma(gf.placeholder(gf.float32, [None]), 1.0).sample(3)  # random_gamma's shapes are static
    # the location-scale families, Bernoulli and Categorical sample a batch of fed rows
    rows = gf.placeholder(gf.float32, [None, 2])
    d = D.Normal(rows, 1.0)
    cat = D.Categorical(logits=rows)
    z, k = d.sample((2, 3)), cat.sample(5)
    assert z.shape.as_list() == [2, 3, None, 2] and k.shape.as_list() == [5, None]
    with gf.Session() as s:
        got = s.run([d.batch_shape_tensor(), z, k, D.Uniform(rows, rows + 1.0).sample(),
                     D.Bernoulli(logits=rows).sample(2)], {rows: np.zeros((4, 2))})
    np.testing.assert_array_equal(got[0], [4, 2])
    assert [g.shape for g in got[1:]] == [(2, 3, 4, 2), (5, 4), (4, 2), (2, 4, 2)]


def test_register_kl_follows_the_class_hierarchy() -> None:
    class Wide(D.Normal):
        pass

    class Wider(Wide):
        pass

    a, b = Wider(0.0, 1.0), D.Normal(1.0, 2.0)
    base = D.kl_divergence(a, b)  # Normal-Normal's, found along the MRO

    @D.RegisterKL(Wide, D.Normal)
    def _kl_wide_normal(p: Any, q: Any, name: Any = None) -> Any:
        return gf.constant(7.0)

    with pytest.raises(ValueError, match="already been registered"):
        D.RegisterKL(Wide, D.Normal)(_kl_wide_normal)
    with gf.Session() as s:
        assert s.run(D.kl_divergence(a, b)) == 7.0  # the nearer registration wins
        np.testing.assert_allclose(s.run(base), np.log(2.0) + (1 + 1) / 8 - 0.5, rtol=1e-6)
    assert gf.contrib.distributions.Normal is D.Normal and gf.contrib.distributions.kl_divergence is D.kl_divergence
    from graphflow.contrib.distributions.python.ops.bernoulli import Bernoulli
    from graphflow.contrib.distributions.python.ops.categorical import Categorical
    assert Bernoulli is D.Bernoulli and Categorical is D.Categorical
    assert repr(D.FULLY_REPARAMETERIZED) != repr(D.NOT_REPARAMETERIZED)
    assert D.Normal(0.0, 1.0).parameters == {"loc": 0.0, "scale": 1.0, "validate_args": False,
                                             "allow_nan_stats": True, "name": "Normal"}
    c = D.Normal(0.0, 1.0).copy(scale=3.0)
    assert c.parameters["scale"] == 3.0 and isinstance(c, D.Normal)
    assert D.StudentT.param_static_shapes([3, 2]) == {k: gf.TensorShape([3, 2]) for k in ("df", "loc", "scale")}
    assert list(D.Exponential.param_static_shapes(4)) == ["rate"]
    with gf.Session() as s:
        assert s.run(D.Bernoulli.param_shapes([2, 5]))["logits"].tolist() == [2, 5]
    with pytest.raises(NotImplementedError, match="param_shapes is not implemented: Categorical"):
        D.Categorical.param_shapes(3)


CONTRIB = {  # tf.contrib.distributions' own families: (graphflow's, scipy's, their methods beyond the common ones)
    "Chi2": (lambda C: C.Chi2(np.array([3.0, 0.7])), st.chi2(np.array([3.0, 0.7])), []),
    "Chi2WithAbsDf": (lambda C: C.Chi2WithAbsDf(np.array([-3.5, 4.2])), st.chi2(np.array([3.0, 4.0])), []),
    "Logistic": (lambda C: C.Logistic(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
                 st.logistic(np.array([0.0, 1.0]), np.array([2.0, 0.5])), ["mode"]),
    "Cauchy": (lambda C: C.Cauchy(np.array([0.0, 1.0]), np.array([2.0, 0.5])),
               st.cauchy(np.array([0.0, 1.0]), np.array([2.0, 0.5])), ["mode", "quantile"]),
    "HalfNormal": (lambda C: C.HalfNormal(np.array([2.0, 0.5])), st.halfnorm(scale=np.array([2.0, 0.5])),
                   ["mode", "quantile"]),
}


def test_contrib_families_against_scipy_and_their_samples() -> None:
    Cd = gf.contrib.distributions
    x = np.array([[-0.4], [0.15], [0.6], [2.3]])
    fetch, n = {}, 20000
    for name, (make, _, extra) in CONTRIB.items():
        d = make(Cd)
        xs = x[1:] if name.startswith("Chi2") else x  # TF's Gamma densities are NaN below the support
        fetch |= {(name, m): getattr(d, m)(xs) for m in VALUE_METHODS}
        fetch |= {(name, m): getattr(d, m)() for m in STAT_METHODS + [e for e in extra if e != "quantile"]}
        if "quantile" in extra:
            fetch[(name, "quantile")] = d.quantile(P)
        fetch[(name, "sample")] = d.sample(n, seed=11)
    with gf.Session() as s:
        got = s.run(fetch)
    for (name, m), g in got.items():
        ref = CONTRIB[name][1]
        if m == "sample":
            assert g.shape == (n, 2)
            if name == "Cauchy":  # no moments: the sample median and quartiles
                q = np.quantile(g, [0.25, 0.5, 0.75], axis=0)
                np.testing.assert_allclose(q, ref.ppf(np.array([[0.25], [0.5], [0.75]])), rtol=0.05, atol=0.05)
            else:
                se = np.sqrt(ref.var() / n)
                np.testing.assert_array_less(np.abs(g.mean(0) - ref.mean()), 5 * se, err_msg=name)
            continue
        xs = x[1:] if name.startswith("Chi2") else x
        with np.errstate(all="ignore"):
            want = {"log_prob": ref.logpdf(xs), "prob": ref.pdf(xs), "cdf": ref.cdf(xs), "log_cdf": ref.logcdf(xs),
                    "survival_function": ref.sf(xs), "log_survival_function": ref.logsf(xs), "entropy": ref.entropy(),
                    "mean": ref.mean(), "variance": ref.var(), "stddev": ref.std(), "quantile": ref.ppf(P),
                    "mode": {"Logistic": np.array([0.0, 1.0]), "Cauchy": np.array([0.0, 1.0]),
                             "HalfNormal": np.zeros(2)}.get(name)}[m]
        if name == "Cauchy" and m in ("mean", "variance", "stddev"):
            want = np.full(2, np.nan)  # undefined: NaN with allow_nan_stats, as TF's
        np.testing.assert_allclose(g, np.broadcast_to(want, g.shape), rtol=1e-9, atol=1e-12, err_msg=f"{name}.{m}")
    with pytest.raises(gf.errors.InvalidArgumentError, match="mean is undefined"):
        gf.Session().run(Cd.Cauchy(0.0, 1.0, allow_nan_stats=False).mean())
    assert Cd.Chi2(np.array([3.0])).parameters["df"].tolist() == [3.0] and Cd.Chi2.param_static_shapes([2])


@pytest.mark.parametrize("name", ["Logistic", "Cauchy", "HalfNormal", "Chi2"])
def test_contrib_family_gradients(name: str) -> None:
    Cd = gf.contrib.distributions
    make = {"Logistic": lambda a, b: Cd.Logistic(a, b), "Cauchy": lambda a, b: Cd.Cauchy(a, b),
            "HalfNormal": lambda a, b: Cd.HalfNormal(a + b), "Chi2": lambda a, b: Cd.Chi2(a + b)}[name]
    x = np.array([0.4, 1.7])
    check_gradient(lambda a, b: _flat(make(a, b).log_prob(x), make(a, b).cdf(x), make(a, b).entropy()),
                   [np.array([0.3, 1.0]), np.array([1.5, 0.7])])
