"""Random ops built on the uniform and normal streams: shuffling, categorical sampling (the
Gumbel-max trick), gamma variates (Marsaglia and Tsang's method, vectorised over a fixed number
of proposals), Poisson and binomial variates (CDF inversion for small means, Hoermann's
transformed rejection for large ones) and random crops are TF1's ``random_shuffle``,
``multinomial`` / ``random.categorical``, ``random_gamma``, ``random_poisson`` and ``random_crop``.
The samplers take their draws from a ``Draw`` source, so the stateless ops
(``stateless_random``) run the same samplers on their seeded streams.

graphflow's streams are its own, so these match TF1 in distribution, shapes and dtypes, not
values.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DimsLike, DTypeLike, TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather, one_hot
from graphflow.ops.index_ops import sort_indices
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.slice_ops import static_ints
from graphflow.ops.special_ops import lgamma

# a source of float64 draws: (distribution, shape, stream) -> a tensor of that shape; streams
# 0, 1, 2 of one source are independent (a sampler's proposals, acceptance uniforms...)
Draw = Callable[[str, list, int], Tensor]
# inversion sums the pmf over 0.._TERMS - 1
_TERMS = 64
# Marsaglia-Tsang accepts a proposal with probability >= 0.95 for every alpha >= 1: the chance
# that all _PROPOSALS are rejected is below 0.05 ** 16 ~ 1.5e-21 (that sample then takes the last
# proposal)
_PROPOSALS = 16


def _dim(x: Tensor, axis: int) -> int | Tensor:
    d = x.shape.as_list()[axis]
    return d if d is not None else S.shape(x)[axis]


def _seeded(seed: int | None) -> Draw:
    """Draws of the stateful random ops: stream ``k`` is op seed ``seed + k``."""
    def draw(dist: str, shape: list, stream: int) -> Tensor:
        op_seed = None if seed is None else seed + stream
        if dist == "normal":
            return ST.random_normal(shape, dtype=_dt.float64, seed=op_seed)
        return ST.random_uniform(shape, dtype=_dt.float64, seed=op_seed)
    return draw


def random_shuffle(value: TensorLike, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first dim in a uniformly random order (new on every run)."""
    x = convert_to_tensor(value)
    if x.shape.rank == 0:
        return x
    keys = ST.random_uniform([_dim(x, 0)], dtype=_dt.float64, seed=seed)
    return gather(x, sort_indices(keys), name=name or "RandomShuffle")


def multinomial(logits: TensorLike, num_samples: int | Tensor, seed: int | None = None, name: str | None = None,
                output_dtype: DTypeLike = _dt.int64) -> Tensor:
    """``[batch, num_samples]`` class indices drawn from ``softmax(logits[b])``."""
    return gumbel_argmax(logits, num_samples, _seeded(seed), output_dtype, name or "Multinomial")


def gumbel_argmax(logits: TensorLike, num_samples: int | Tensor, draw: Draw, output_dtype: DTypeLike,
                  name: str) -> Tensor:
    """The argmax of ``logits + Gumbel noise``: a draw from the softmax distribution, per sample."""
    lg = convert_to_tensor(logits)
    if lg.shape.rank != 2:
        raise ValueError(f"multinomial needs 2-D logits [batch, classes], got shape {lg.shape}")
    n = num_samples if isinstance(num_samples, Tensor) else int(num_samples)
    tiny = np.finfo(np.float64).tiny
    u = draw("uniform", [_dim(lg, 0), n, _dim(lg, 1)], 0) * (1.0 - tiny) + tiny  # in [tiny, 1)
    gumbel = -M.log(-M.log(u))
    scores = S.expand_dims(M.cast(lg, _dt.float64), 1) + gumbel
    return M.cast(R.argmax(scores, axis=-1), output_dtype, name=name)


def categorical(logits: TensorLike, num_samples: int | Tensor, dtype: DTypeLike | None = None, seed: int | None = None,
                name: str | None = None) -> Tensor:
    """``tf.random.categorical``: ``multinomial`` under its TF 1.13+ name."""
    return multinomial(logits, num_samples, seed, name, dtype or _dt.int64)


def random_gamma(shape: DimsLike, alpha: TensorLike, beta: TensorLike | None = None, dtype: DTypeLike = _dt.float32,
                 seed: int | None = None, name: str | None = None) -> Tensor:
    """Gamma(alpha, rate beta) samples of shape ``shape + alpha.shape`` (broadcast with beta)."""
    dt = _dt.as_dtype(dtype)
    a, b = as_float64(dt, alpha, beta)
    assert a is not None
    param_shape = a.shape if b is None else (a * b).shape
    if not param_shape.is_fully_defined():
        raise ValueError(f"random_gamma needs alpha (and beta) of static shape, got {param_shape}")
    lead = [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]
    return gamma_sample(lead + param_shape.as_list(), a, b, dt, _seeded(seed), name or "RandomGamma")


def as_float64(dt: _dt.DType, *params: TensorLike | None) -> list[Tensor | None]:
    """Sampler parameters given in ``dt``, as float64 tensors (None stays None)."""
    return [None if p is None else M.cast(convert_to_tensor(p, dtype=dt), _dt.float64) for p in params]


def gamma_sample(out_shape: list[int], a: Tensor, b: Tensor | None, dt: _dt.DType, draw: Draw, name: str) -> Tensor:
    """Gamma(a, rate b) samples of ``out_shape`` (a and b broadcast to it): Marsaglia and Tsang's
    method, boosted by ``u ** (1 / a)`` for a < 1."""
    full = ST.zeros(out_shape, _dt.float64) + a
    boost = M.less(full, 1.0)
    k = M.where(boost, full + 1.0, full)
    d = k - 1.0 / 3.0
    c = 1.0 / M.sqrt(9.0 * d)
    x = draw("normal", [_PROPOSALS] + out_shape, 0)
    u = draw("uniform", [_PROPOSALS] + out_shape, 1)
    v = (1.0 + c * x) ** 3
    safe_v = M.where(v > 0.0, v, ST.ones_like(v))
    accept = M.logical_and(v > 0.0, M.log(u) < 0.5 * x * x + d - d * safe_v + d * M.log(safe_v))
    sample = _first_accepted(accept, d * safe_v, len(out_shape))
    sample = M.where(boost, sample * M.pow(draw("uniform", out_shape, 2), 1.0 / full), sample)
    if b is not None:
        sample = sample / (ST.zeros(out_shape, _dt.float64) + b)
    return M.cast(M.stop_gradient(sample), dt, name=name)


def _first_accepted(accept: Tensor, values: Tensor, rank: int) -> Tensor:
    """Per element, the value of its first accepted proposal (axis 0), the last one if none is."""
    accept = M.logical_or(accept, M.equal(ST.range(_PROPOSALS), _PROPOSALS - 1)[(...,) + (None,) * rank])
    first = R.argmax(M.cast(accept, _dt.int32), axis=0)
    return R.reduce_sum(one_hot(first, _PROPOSALS, axis=0, dtype=_dt.float64) * values, axis=0)


def random_crop(value: TensorLike, size: TensorLike, seed: int | None = None, name: str | None = None) -> Tensor:
    """A ``size``-shaped window of ``value`` at a uniformly random offset (every offset equally
    likely), read with a one-hot gather per dim."""
    x = convert_to_tensor(value)
    sizes = static_ints(size, "random_crop size")
    if x.shape.rank != len(sizes):
        raise ValueError(f"random_crop size {sizes} needs one entry per dim of {x.shape}")
    out = x
    for j, s in enumerate(sizes):
        n = _dim(x, j)
        if isinstance(n, int) and n < s:
            raise ValueError(f"random_crop: size {s} exceeds dim {j} of {x.shape}")
        limit = (n - s + 1) if isinstance(n, int) else n - s + 1
        start = ST.random_uniform([], maxval=limit, dtype=_dt.int32, seed=None if seed is None else seed + j)
        out = gather(out, ST.range(s) + start, axis=j)
    return S.reshape(out, sizes, name=name or "random_crop")


def random_poisson(lam: TensorLike, shape: DimsLike, dtype: DTypeLike = _dt.float32, seed: int | None = None,
                   name: str | None = None) -> Tensor:
    """Poisson(lam) samples of shape ``shape + lam.shape``."""
    lam_t = M.cast(convert_to_tensor(lam), _dt.float64)
    if not lam_t.shape.is_fully_defined():
        raise ValueError(f"random_poisson needs lam of static shape, got {lam_t.shape}")
    lead = [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]
    return poisson_sample(lead + lam_t.shape.as_list(), lam_t, dtype, _seeded(seed), name or "RandomPoisson")


def poisson_sample(out_shape: list[int], lam: Tensor, dtype: DTypeLike, draw: Draw, name: str) -> Tensor:
    """Poisson(lam) samples of ``out_shape`` (lam broadcast to it): inversion of the CDF over 0..63
    for lam < 10 (the mass above 63 is below 1e-25 there) and Hoermann's transformed rejection
    (PTRS) with 16 proposals for lam >= 10 (all rejected: probability below 1e-16)."""
    lam_full = ST.zeros(out_shape, _dt.float64) + lam
    small = M.less(lam_full, 10.0)
    lam_e = S.expand_dims(M.where(small, lam_full, ST.ones_like(lam_full)), -1)
    ks = _terms()
    by_inversion = _invert(ks * M.log(lam_e) - lam_e - lgamma(ks + 1.0), draw("uniform", out_shape, 0))
    # PTRS for large lam
    big_lam = M.where(small, ST.fill(out_shape, ST.constant(10.0, _dt.float64)), lam_full)
    slam, loglam = M.sqrt(big_lam), M.log(big_lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    uu = draw("uniform", [_PROPOSALS] + out_shape, 1) - 0.5
    vv = draw("uniform", [_PROPOSALS] + out_shape, 2)
    us = 0.5 - M.abs(uu)
    k = M.floor((2.0 * a / us + b) * uu + big_lam + 0.43)
    quick = M.logical_and(us >= 0.07, vv <= vr)
    ok = M.logical_and(k >= 0.0, M.logical_or(us >= 0.013, vv <= us))
    safe_k = M.maximum(k, 0.0)
    test = M.log(vv) + M.log(inv_alpha) - M.log(a / (us * us) + b) <= -big_lam + safe_k * loglam - lgamma(safe_k + 1.0)
    accept = M.logical_or(quick, M.logical_and(ok, test))
    sample = M.where(small, by_inversion, _first_accepted(accept, safe_k, len(out_shape)))
    return M.cast(M.stop_gradient(sample), dtype, name=name)


def binomial_sample(out_shape: list[int], counts: Tensor, probs: Tensor, dtype: DTypeLike, draw: Draw,
                    name: str) -> Tensor:
    """Binomial(counts, probs) samples of ``out_shape`` (both broadcast to it), drawn for
    q = min(p, 1 - p) and mirrored: inversion of the CDF over 0..63 where counts * q < 10 (the
    mass above 63 is below 1e-25 there) and Hoermann's BTRS rejection with 16 proposals, accepted
    against the exact log-pmf ratio, elsewhere."""
    n = ST.zeros(out_shape, _dt.float64) + counts
    p = ST.zeros(out_shape, _dt.float64) + probs
    flip = M.greater(p, 0.5)
    q = M.where(flip, 1.0 - p, p)
    small = M.less(n * q, 10.0)
    # inversion: terms past n have no mass
    ks = _terms()
    n_e, q_e = S.expand_dims(n, -1), S.expand_dims(M.where(small, q, ST.zeros_like(q)), -1)
    inside = M.less_equal(ks, n_e)
    k_in = M.where(inside, ks + 0.0 * n_e, 0.0 * n_e)
    logpmf = lgamma(n_e + 1.0) - lgamma(k_in + 1.0) - lgamma(n_e - k_in + 1.0) + \
        k_in * M.log(M.maximum(q_e, 1e-300)) + (n_e - k_in) * M.log1p(-q_e)
    logpmf = M.where(M.logical_and(inside, M.logical_or(q_e > 0.0, M.equal(ks, 0.0))), logpmf,
                     ST.fill(S.shape(logpmf), ST.constant(-np.inf, _dt.float64)))
    by_inversion = _invert(logpmf, draw("uniform", out_shape, 0))
    # BTRS where the mean is large
    nb, qb = M.where(small, ST.fill(out_shape, ST.constant(100.0, _dt.float64)), n), \
        M.where(small, ST.fill(out_shape, ST.constant(0.25, _dt.float64)), q)
    stddev = M.sqrt(nb * qb * (1.0 - qb))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * qb
    c = nb * qb + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * stddev
    m = M.floor((nb + 1.0) * qb)
    uu = draw("uniform", [_PROPOSALS] + out_shape, 1) - 0.5
    vv = draw("uniform", [_PROPOSALS] + out_shape, 2)
    us = 0.5 - M.abs(uu)
    k = M.floor((2.0 * a / us + b) * uu + c)
    quick = M.logical_and(us >= 0.07, vv <= vr)
    ok = M.logical_and(k >= 0.0, k <= nb)
    safe_k = M.minimum(M.maximum(k, 0.0), nb)

    def log_pmf(j: Tensor) -> Tensor:  # up to the terms common to every j
        return -lgamma(j + 1.0) - lgamma(nb - j + 1.0) + j * M.log(qb / (1.0 - qb))
    test = M.log(vv * alpha / (a / (us * us) + b)) <= log_pmf(safe_k) - log_pmf(m)
    accept = M.logical_or(quick, M.logical_and(ok, test))
    drawn = M.where(small, by_inversion, _first_accepted(accept, safe_k, len(out_shape)))
    sample = M.where(flip, n - drawn, drawn)
    return M.cast(M.stop_gradient(sample), dtype, name=name)


def _terms() -> Tensor:
    return ST.constant(np.arange(_TERMS, dtype=np.float64))


def _invert(logpmf: Tensor, u: Tensor) -> Tensor:
    """The number of terms of the CDF (over the last axis of ``logpmf``) below the uniform ``u``."""
    cdf = _cumsum_last(M.exp(logpmf))
    return R.reduce_sum(M.cast(M.less(cdf, S.expand_dims(u, -1)), _dt.float64), axis=-1)


def _cumsum_last(x: Tensor) -> Tensor:
    return cumsum(x, axis=-1 % x.shape.rank if x.shape.rank else 0)
