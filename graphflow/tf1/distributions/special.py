"""The special functions the distributions need beyond graphflow's ops: the normal CDF and its
logarithm (accurate in both tails), and Gamma samples with implicit reparameterization gradients.

>>> import graphflow as gf
>>> from graphflow.tf1.distributions.special import ndtr
>>> ndtr(gf.constant(0.)).dtype.name
'float32'
"""
from __future__ import annotations

import math

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Tensor
from graphflow.ops import elementwise_ops as E
from graphflow.ops import special_ops as SP
from graphflow.ops import state_ops as ST
from graphflow.ops.random_ops import random_gamma
from graphflow.ops.special_extras import igamma, igammac

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def erfc(x: Tensor) -> Tensor:
    """``1 - erf(x)`` accurate in the upper tail, as the regularized upper incomplete gamma
    function Q(1/2, x^2) (graphflow's ``erfc`` is ``1 - erf``, which loses the tail's digits)."""
    q = igammac(0.5 + ST.zeros_like(x), E.square(x))
    return E.where(x >= 0.0, q, 2.0 - q)


def ndtr(x: Tensor) -> Tensor:
    """P(Z <= x) for a standard normal Z."""
    return 0.5 * erfc(-x * (1.0 / math.sqrt(2.0)))


def log_ndtr(x: Tensor) -> Tensor:
    """log P(Z <= x), in three pieces as TF computes it: ``-ndtr(-x)`` above the upper bound
    (where log1p of a tiny number is the number), ``log(ndtr(x))`` in the middle, and the
    asymptotic series (order 3) below the lower bound, where ndtr underflows."""
    upper, lower = (8.0, -20.0) if x.dtype.name == "float64" else (5.0, -10.0)
    middle = E.log(ndtr(E.maximum(x, lower)))
    # the series in x**-2 for log(sqrt(2 pi) |x| e^(x^2/2) ndtr(x)), x < lower
    low = E.minimum(x, lower)
    w = 1.0 / E.square(low)
    series = 1.0 - w * (1.0 - w * (3.0 - 15.0 * w))
    tail = -0.5 * E.square(low) - E.log(-low) - _LOG_SQRT_2PI + E.log(series)
    return E.where(x > upper, -ndtr(-x), E.where(x > lower, middle, tail))


def standard_gamma(shape: list[int], concentration: Tensor, seed: int | None) -> Tensor:
    """Gamma(concentration, rate 1) samples of ``shape`` (concentration broadcast to its tail)
    whose gradient with respect to ``concentration`` is the implicit one, -dF/da / p(x) with F
    the CDF (the sampler's draws stay fixed while the concentration moves)."""
    dt = concentration.dtype
    x = E.stop_gradient(random_gamma(shape[:1], E.stop_gradient(concentration) + ST.zeros(shape[1:], dt), dtype=dt,
                                     seed=seed))
    a = concentration + ST.zeros_like(x)
    fixed_a = E.stop_gradient(a)
    (dcdf_da,) = gradients(igamma(fixed_a, x), [fixed_a])
    assert dcdf_da is not None
    log_pdf = (fixed_a - 1.0) * E.log(x) - x - SP.lgamma(fixed_a)
    dx_da = E.stop_gradient(-dcdf_da * E.exp(-log_pdf))
    return x + dx_da * (a - fixed_a)
