"""``tf.distributions``: TF 1.x's probability distributions in graph mode, each composed of
graphflow's ops (so both targets and the gradients come with them). One module per family:
``base`` (``Distribution``, the reparameterization types), ``kl`` (``RegisterKL``,
``kl_divergence``), ``normal``, ``bernoulli``, ``categorical``, ``uniform``, ``gamma``
(``Gamma``, ``Exponential``), ``laplace``, ``beta``, ``student_t``, ``dirichlet``,
``multinomial`` and ``dirichlet_multinomial``. Densities follow TF's formulas; samples come from
graphflow's random streams, so they match TF's in distribution, not number for number
(docs/differences.md).

>>> import graphflow as gf
>>> q = gf.distributions.Normal(0., 1.)
>>> gf.distributions.kl_divergence(q, gf.distributions.Normal(0., 2.)).shape.as_list()
[]
"""
from __future__ import annotations

from graphflow.tf1.distributions.base import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ReparameterizationType,
)
from graphflow.tf1.distributions.bernoulli import Bernoulli
from graphflow.tf1.distributions.beta import Beta
from graphflow.tf1.distributions.categorical import Categorical
from graphflow.tf1.distributions.dirichlet import Dirichlet
from graphflow.tf1.distributions.dirichlet_multinomial import DirichletMultinomial
from graphflow.tf1.distributions.gamma import Exponential, Gamma
from graphflow.tf1.distributions.kl import RegisterKL, kl_divergence
from graphflow.tf1.distributions.laplace import Laplace
from graphflow.tf1.distributions.multinomial import Multinomial
from graphflow.tf1.distributions.normal import Normal
from graphflow.tf1.distributions.student_t import StudentT
from graphflow.tf1.distributions.uniform import Uniform

__all__ = ["FULLY_REPARAMETERIZED", "NOT_REPARAMETERIZED", "Bernoulli", "Beta", "Categorical", "Dirichlet",
           "DirichletMultinomial", "Distribution", "Exponential", "Gamma", "Laplace", "Multinomial", "Normal",
           "RegisterKL", "ReparameterizationType", "StudentT", "Uniform", "kl_divergence"]
