"""Random ops built on the uniform and normal streams: shuffling, categorical sampling (the
Gumbel-max trick), gamma variates (Marsaglia and Tsang's method, vectorised over a fixed number
of proposals) and random crops are TF1's ``random_shuffle``, ``multinomial`` /
``random.categorical``, ``random_gamma`` and ``random_crop``.

graphflow's streams are its own, so these match TF1 in distribution, shapes and dtypes, not
values.
"""
from __future__ import annotations

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

# Marsaglia-Tsang accepts a proposal with probability >= 0.95 for every alpha >= 1: the chance
# that all _PROPOSALS are rejected is below 0.05 ** 16 ~ 1.5e-21 (that sample then takes the last
# proposal)
_PROPOSALS = 16


def _dim(x: Tensor, axis: int) -> int | Tensor:
    d = x.shape.as_list()[axis]
    return d if d is not None else S.shape(x)[axis]


def random_shuffle(value: TensorLike, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first dim in a uniformly random order (new on every run)."""
    x = convert_to_tensor(value)
    if x.shape.rank == 0:
        return x
    keys = ST.random_uniform([_dim(x, 0)], dtype=_dt.float64, seed=seed)
    return gather(x, sort_indices(keys), name=name or "RandomShuffle")


def multinomial(logits: TensorLike, num_samples: int | Tensor, seed: int | None = None, name: str | None = None,
                output_dtype: DTypeLike = _dt.int64) -> Tensor:
    """``[batch, num_samples]`` class indices drawn from ``softmax(logits[b])``: the argmax of
    ``logits + Gumbel noise`` is a draw from the softmax distribution."""
    lg = convert_to_tensor(logits)
    if lg.shape.rank != 2:
        raise ValueError(f"multinomial needs 2-D logits [batch, classes], got shape {lg.shape}")
    n = num_samples if isinstance(num_samples, Tensor) else int(num_samples)
    tiny = np.finfo(np.float64).tiny
    u = ST.random_uniform([_dim(lg, 0), n, _dim(lg, 1)], minval=tiny, maxval=1.0, dtype=_dt.float64, seed=seed)
    gumbel = -M.log(-M.log(u))
    scores = S.expand_dims(M.cast(lg, _dt.float64), 1) + gumbel
    return M.cast(R.argmax(scores, axis=-1), output_dtype, name=name or "Multinomial")


def categorical(logits: TensorLike, num_samples: int | Tensor, dtype: DTypeLike | None = None, seed: int | None = None,
                name: str | None = None) -> Tensor:
    """``tf.random.categorical``: ``multinomial`` under its TF 1.13+ name."""
    return multinomial(logits, num_samples, seed, name, dtype or _dt.int64)


def random_gamma(shape: DimsLike, alpha: TensorLike, beta: TensorLike | None = None, dtype: DTypeLike = _dt.float32,
                 seed: int | None = None, name: str | None = None) -> Tensor:
    """Gamma(alpha, rate beta) samples of shape ``shape + alpha.shape`` (broadcast with beta)."""
    dt = _dt.as_dtype(dtype)
    a = M.cast(convert_to_tensor(alpha, dtype=dt), _dt.float64)
    b = None if beta is None else M.cast(convert_to_tensor(beta, dtype=dt), _dt.float64)
    param_shape = a.shape if b is None else (a * b).shape
    if not param_shape.is_fully_defined():
        raise ValueError(f"random_gamma needs alpha (and beta) of static shape, got {param_shape}")
    lead = [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]
    out_shape = lead + param_shape.as_list()
    full = ST.zeros(out_shape, _dt.float64) + a
    if b is not None:
        full_b = ST.zeros(out_shape, _dt.float64) + b
    boost = M.less(full, 1.0)
    k = M.where(boost, full + 1.0, full)
    d = k - 1.0 / 3.0
    c = 1.0 / M.sqrt(9.0 * d)
    x = ST.random_normal([_PROPOSALS] + out_shape, dtype=_dt.float64, seed=seed)
    u = ST.random_uniform([_PROPOSALS] + out_shape, dtype=_dt.float64, seed=None if seed is None else seed + 1)
    v = (1.0 + c * x) ** 3
    safe_v = M.where(v > 0.0, v, ST.ones_like(v))
    accept = M.logical_and(v > 0.0, M.log(u) < 0.5 * x * x + d - d * safe_v + d * M.log(safe_v))
    # the first accepted proposal (the last one if none is)
    accept = M.logical_or(accept, M.equal(ST.range(_PROPOSALS), _PROPOSALS - 1)[(...,) + (None,) * len(out_shape)])
    first = R.argmax(M.cast(accept, _dt.int32), axis=0)
    pick = one_hot(first, _PROPOSALS, axis=0, dtype=_dt.float64)
    sample = R.reduce_sum(pick * d * safe_v, axis=0)
    u2 = ST.random_uniform(out_shape, dtype=_dt.float64, seed=None if seed is None else seed + 2)
    sample = M.where(boost, sample * M.pow(u2, 1.0 / full), sample)
    if b is not None:
        sample = sample / full_b
    return M.cast(M.stop_gradient(sample), dt, name=name or "RandomGamma")


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
    """Poisson(lam) samples of shape ``shape + lam.shape``: inversion of the CDF over 0..63 for
    lam < 10 (the mass above 63 is below 1e-25 there) and Hoermann's transformed rejection (PTRS)
    with 16 proposals for lam >= 10 (all rejected: probability below 1e-16)."""
    lam_t = M.cast(convert_to_tensor(lam), _dt.float64)
    if not lam_t.shape.is_fully_defined():
        raise ValueError(f"random_poisson needs lam of static shape, got {lam_t.shape}")
    lead = [int(d) for d in np.asarray(shape, dtype=np.int64).reshape(-1)]
    out_shape = lead + lam_t.shape.as_list()
    lam_full = ST.zeros(out_shape, _dt.float64) + lam_t
    small = M.less(lam_full, 10.0)
    # inversion: count the k whose CDF lies below one uniform
    ks = ST.constant(np.arange(64, dtype=np.float64))
    lam_e = S.expand_dims(M.where(small, lam_full, ST.ones_like(lam_full)), -1)
    logpmf = ks * M.log(lam_e) - lam_e - lgamma(ks + 1.0)
    cdf = _cumsum_last(M.exp(logpmf))
    u = S.expand_dims(ST.random_uniform(out_shape, dtype=_dt.float64, seed=seed), -1)
    by_inversion = R.reduce_sum(M.cast(M.less(cdf, u), _dt.float64), axis=-1)
    # PTRS for large lam
    big_lam = M.where(small, ST.fill(out_shape, ST.constant(10.0, _dt.float64)), lam_full)
    slam, loglam = M.sqrt(big_lam), M.log(big_lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    uu = ST.random_uniform([_PROPOSALS] + out_shape, dtype=_dt.float64, seed=None if seed is None else seed + 1) - 0.5
    vv = ST.random_uniform([_PROPOSALS] + out_shape, dtype=_dt.float64, seed=None if seed is None else seed + 2)
    us = 0.5 - M.abs(uu)
    k = M.floor((2.0 * a / us + b) * uu + big_lam + 0.43)
    quick = M.logical_and(us >= 0.07, vv <= vr)
    ok = M.logical_and(k >= 0.0, M.logical_or(us >= 0.013, vv <= us))
    safe_k = M.maximum(k, 0.0)
    test = M.log(vv) + M.log(inv_alpha) - M.log(a / (us * us) + b) <= -big_lam + safe_k * loglam - lgamma(safe_k + 1.0)
    accept = M.logical_or(quick, M.logical_and(ok, test))
    accept = M.logical_or(accept, M.equal(ST.range(_PROPOSALS), _PROPOSALS - 1)[(...,) + (None,) * len(out_shape)])
    first = R.argmax(M.cast(accept, _dt.int32), axis=0)
    by_rejection = R.reduce_sum(one_hot(first, _PROPOSALS, axis=0, dtype=_dt.float64) * safe_k, axis=0)
    sample = M.where(small, by_inversion, by_rejection)
    return M.cast(M.stop_gradient(sample), dtype, name=name or "RandomPoisson")


def _cumsum_last(x: Tensor) -> Tensor:
    return cumsum(x, axis=-1 % x.shape.rank if x.shape.rank else 0)
