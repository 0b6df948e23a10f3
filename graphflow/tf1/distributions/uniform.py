"""TF1's ``tf.distributions.Uniform(low=0., high=1.)`` on [low, high), reparameterized:
a sample is ``low + (high - low) * u``.

>>> import graphflow as gf
>>> gf.distributions.Uniform(0., [1., 2.]).mean().shape.as_list()
[2]
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import state_ops as ST
from graphflow.tf1.distributions.base import FULLY_REPARAMETERIZED, Distribution, checked, float_params


class Uniform(Distribution):
    """Constant density 1 / (high - low) on [low, high)."""

    _sample_shaped: tuple[str, ...] = ("low", "high")

    def __init__(self, low: TensorLike = 0.0, high: TensorLike = 1.0, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Uniform") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            low_t, high_t = float_params(low=low, high=high)
            self._low = E.identity(low_t, name="low")
            self._high = checked(validate_args, E.identity(high_t, name="high"),
                                 [lambda h: C.assert_less(self._low, h,
                                                          message="uniform not defined when low >= high.")])
        super().__init__(self._low.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._low, self._high], scope)

    @property
    def low(self) -> Tensor:
        return self._low

    @property
    def high(self) -> Tensor:
        return self._high

    def range(self, name: str = "range") -> Tensor:
        """``high - low``."""
        with self._scope(name):
            return self._high - self._low

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._low, self._high]

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        u = ST.random_uniform(self._draw_shape(n), dtype=self.dtype, seed=seed)
        return self._low + (self._high - self._low) * u

    def _prob(self, x: Tensor) -> Tensor:
        width = self._high - self._low
        density = ST.ones_like(x) / width
        outside = E.logical_or(E.less(x, self._low), E.greater_equal(x, self._high))
        return E.where(outside, ST.zeros_like(density), density)

    def _cdf(self, x: Tensor) -> Tensor:
        ramp = (x - self._low) / (self._high - self._low)
        return E.where(E.less(x, self._low), ST.zeros_like(ramp),
                       E.where(E.greater_equal(x, self._high), ST.ones_like(ramp), ramp))

    def _entropy(self) -> Tensor:
        return E.log(self._high - self._low)

    def _mean(self) -> Tensor:
        return (self._low + self._high) / 2.0

    def _variance(self) -> Tensor:
        return E.square(self._high - self._low) / 12.0

    def _stddev(self) -> Tensor:
        return (self._high - self._low) / math.sqrt(12.0)
