"""TF1's KL registry: ``RegisterKL(A, B)`` records the function computing KL(a || b) for
instances of classes A and B, and ``kl_divergence(a, b)`` finds it along both classes' method
resolution orders, nearest pair first (so ``Exponential``, a ``Gamma``, uses Gamma-Gamma's).

>>> import graphflow as gf
>>> kl = gf.distributions.kl_divergence(gf.distributions.Normal(0., 1.), gf.distributions.Normal(1., 1.))
>>> kl.dtype.name
'float32'
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import special_ops as SP

KLFunction = Callable[..., Tensor]
_DIVERGENCES: dict[tuple[type, type], KLFunction] = {}


def _registered(type_a: type, type_b: type) -> KLFunction | None:
    """The function for the pair nearest in (A's MRO, B's MRO) distance, as TF looks it up."""
    best: tuple[int, KLFunction] | None = None
    for i, a in enumerate(type_a.__mro__):
        for j, b in enumerate(type_b.__mro__):
            fn = _DIVERGENCES.get((a, b))
            if fn is not None and (best is None or i + j < best[0]):
                best = (i + j, fn)
    return None if best is None else best[1]


def kl_divergence(distribution_a: Any, distribution_b: Any, allow_nan_stats: bool = True,
                  name: str | None = None) -> Tensor:
    """KL(a || b), batched over the two distributions' (broadcast) batch shapes. With
    ``allow_nan_stats=False`` a NaN in the result is a run-time ``InvalidArgumentError``."""
    fn = _registered(type(distribution_a), type(distribution_b))
    if fn is None:
        raise NotImplementedError(f"No KL(distribution_a || distribution_b) registered for distribution_a type "
                                  f"{type(distribution_a).__name__} and distribution_b type "
                                  f"{type(distribution_b).__name__}")
    g = get_default_graph()
    with g.name_scope(name or "KullbackLeibler"):
        kl = fn(distribution_a, distribution_b, name=None)
        if allow_nan_stats:
            return kl
        check = C.assert_equal(R.reduce_any(SP.is_nan(kl)), False,
                               message=f"KL calculation between {distribution_a.name} and {distribution_b.name} "
                                       "returned NaN values (and was called with allow_nan_stats=False).")
        with g.control_dependencies([check]):
            return E.identity(kl)


class RegisterKL:
    """Decorator recording ``fn(a, b, name=None)`` as KL(a || b) for classes ``dist_cls_a`` and
    ``dist_cls_b`` (registering a pair twice raises ``ValueError``).

    >>> import graphflow as gf
    >>> class Mine(gf.distributions.Normal): pass
    >>> @gf.distributions.RegisterKL(Mine, Mine)
    ... def _kl_mine(a, b, name=None):
    ...     return a.loc * 0.
    """

    def __init__(self, dist_cls_a: type, dist_cls_b: type) -> None:
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn: KLFunction) -> KLFunction:
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn!r}")
        if self._key in _DIVERGENCES:
            a, b = self._key
            raise ValueError(f"KL({a.__name__} || {b.__name__}) has already been registered to: "
                             f"{_DIVERGENCES[self._key]}")
        _DIVERGENCES[self._key] = kl_fn
        return kl_fn
