"""tf.contrib.distributions' ``Chi2(df)``, the Gamma with concentration df / 2 and rate 1 / 2, and
``Chi2WithAbsDf`` (df = floor(|df|)).

>>> import graphflow as gf
>>> gf.contrib.distributions.Chi2(3.).mean().dtype.name
'float32'
"""
from __future__ import annotations

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as E
from graphflow.ops import state_ops as ST
from graphflow.tf1.distributions.base import checked, float_params, positive
from graphflow.tf1.distributions.gamma import Gamma


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom."""

    _sample_shaped: tuple[str, ...] = ("df",)

    def __init__(self, df: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Chi2") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (df_t,) = float_params(df=df)
            self._df = checked(validate_args, E.identity(df_t, name="df"), [positive("df")])
            super().__init__(0.5 * self._df, 0.5 * ST.ones_like(self._df), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}

    @property
    def df(self) -> Tensor:
        return self._df


class Chi2WithAbsDf(Chi2):
    """``Chi2(floor(|df|))``."""

    def __init__(self, df: TensorLike, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Chi2WithAbsDf") -> None:
        parameters = dict(locals())
        with get_default_graph().name_scope(name) as scope:
            (df_t,) = float_params(df=df)
            super().__init__(E.floor(E.abs(df_t)), validate_args, allow_nan_stats, scope)
        self._parameters = {k: v for k, v in parameters.items() if k not in ("self", "__class__")}
