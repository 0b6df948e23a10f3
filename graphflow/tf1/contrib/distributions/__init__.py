"""``tf.contrib.distributions``: TF 1.15's contrib module re-exported the core distributions
(the same classes as ``tf.distributions``), with the softplus-parameterized variants beside them
and a few families of its own (``Chi2``, ``Logistic``, ``Cauchy``, ``HalfNormal``); its internal
paths (``tf.contrib.distributions.python.ops.bernoulli``, ...) name ``graphflow/tf1/distributions``'
modules (``graphflow/public_paths.py``). What TF 1.15's contrib module had beyond these is listed in
``docs/tf1_coverage.md``, with a reason where there is one (``tools/tf1_coverage.py``).

>>> import graphflow as gf
>>> gf.contrib.distributions.Normal is gf.distributions.Normal
True
"""
from __future__ import annotations

from graphflow.tf1.contrib.distributions.chi2 import Chi2, Chi2WithAbsDf
from graphflow.tf1.contrib.distributions.location_scale import Cauchy, HalfNormal, Logistic
from graphflow.tf1.distributions import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Bernoulli,
    Beta,
    Categorical,
    Dirichlet,
    DirichletMultinomial,
    Distribution,
    Exponential,
    Gamma,
    Laplace,
    Multinomial,
    Normal,
    RegisterKL,
    ReparameterizationType,
    StudentT,
    Uniform,
    kl_divergence,
)
from graphflow.tf1.distributions.beta import BetaWithSoftplusConcentration
from graphflow.tf1.distributions.gamma import ExponentialWithSoftplusRate, GammaWithSoftplusConcentrationRate
from graphflow.tf1.distributions.laplace import LaplaceWithSoftplusScale
from graphflow.tf1.distributions.normal import NormalWithSoftplusScale
from graphflow.tf1.distributions.student_t import StudentTWithAbsDfSoftplusScale

__all__ = ["FULLY_REPARAMETERIZED", "NOT_REPARAMETERIZED", "Bernoulli", "Beta", "BetaWithSoftplusConcentration",
           "Categorical", "Cauchy", "Chi2", "Chi2WithAbsDf", "Dirichlet", "DirichletMultinomial", "Distribution",
           "Exponential", "ExponentialWithSoftplusRate", "Gamma", "GammaWithSoftplusConcentrationRate", "HalfNormal",
           "Laplace", "LaplaceWithSoftplusScale", "Logistic", "Multinomial", "Normal", "NormalWithSoftplusScale",
           "RegisterKL", "ReparameterizationType", "StudentT", "StudentTWithAbsDfSoftplusScale", "Uniform",
           "kl_divergence"]
