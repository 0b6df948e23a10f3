"""TF1's ``tf.distributions.Distribution``: the public methods every distribution shares, each
calling the subclass's ``_method`` and falling back as TF does (``log_prob`` from ``_prob``,
``survival_function`` from ``_cdf``, ``stddev`` from ``_variance``, ...).

A subclass builds its parameters once in ``__init__`` (converted to one float dtype, checked when
``validate_args``) and defines the ``_name`` methods it has; the rest raise
``NotImplementedError`` naming the class and the method, as TF's do.

>>> import graphflow as gf
>>> d = gf.distributions.Normal(0., 1.)
>>> d.batch_shape.as_list(), d.reparameterization_type is gf.distributions.FULLY_REPARAMETERIZED
([], True)
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_extras import broadcast_static_shape
from graphflow.ops.concat_ops import concat
from graphflow.tf1.distributions.kl import kl_divergence


class ReparameterizationType:
    """Whether samples are a differentiable function of the parameters (TF1's two instances:
    ``FULLY_REPARAMETERIZED`` and ``NOT_REPARAMETERIZED``, compared by identity)."""

    def __init__(self, rep_type: str) -> None:
        self._rep_type = rep_type

    def __repr__(self) -> str:
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


def _typed_dtype(v: TensorLike) -> _dt.DType | None:
    """The dtype ``v`` brings (a tensor's, a float numpy array's), None for Python numbers."""
    if isinstance(v, Tensor):
        return v.dtype
    if isinstance(v, (np.ndarray, np.generic)) and np.asarray(v).dtype.kind == "f":
        return _dt.as_dtype(np.asarray(v).dtype)
    return None


def float_params(dtype: DTypeLike | None = None, **values: TensorLike) -> list[Tensor]:
    """The parameters as tensors of one float dtype: ``dtype``, else that of the ones that are
    tensors or numpy arrays (Python numbers follow them), else float32. Two given in different
    dtypes raise ``TypeError`` naming both."""
    if dtype is None:
        typed = {k: d for k, d in ((k, _typed_dtype(v)) for k, v in values.items()) if d is not None}
        kinds = set(typed.values())
        if len(kinds) > 1:
            raise TypeError("distribution parameters must have one dtype, got "
                            + ", ".join(f"{k}: {d.name}" for k, d in typed.items()))
        dtype = kinds.pop() if kinds else _dt.float32
    dt = _dt.as_dtype(dtype)
    out = []
    for k, v in values.items():
        t = convert_to_tensor(v, dtype=dt)
        if t.dtype != dt or not dt.is_floating:
            raise TypeError(f"parameter {k!r} must be a float tensor of dtype {dt.name}, got {t.dtype.name}")
        out.append(t)
    return out


def checked(validate: bool, x: Tensor, checks: Sequence[Callable[[Tensor], Operation]]) -> Tensor:
    """``x``, made to run after ``checks`` (each builds an assert on it) when ``validate``."""
    if not validate:
        return x
    with get_default_graph().control_dependencies([c(x) for c in checks]):
        return E.identity(x)


def positive(name: str) -> Callable[[Tensor], Operation]:
    return lambda x: C.assert_positive(x, message=f"Argument `{name}` must be positive.")


def _at_least(t: Tensor, rank: int, name: str) -> None:
    if t.shape.ndims is not None and t.shape.ndims < rank:
        raise ValueError(f"`{name}` must have rank {rank} at least (the last axis is the classes'), "
                         f"got shape {t.shape}")


def logits_and_probs(logits: TensorLike | None, probs: TensorLike | None, dtype: DTypeLike | None,
                     to_probs: Callable[[Tensor], Tensor], to_logits: Callable[[Tensor], Tensor],
                     validate: bool, min_rank: int = 0) -> tuple[Tensor, Tensor]:
    """(logits, probs) from exactly one of them (the other derived), of rank ``min_rank`` at
    least; ``probs`` checked to lie in [0, 1] when ``validate``."""
    if (logits is None) == (probs is None):
        raise ValueError("Must pass probs or logits, but not both.")
    if probs is None:
        assert logits is not None
        (lg,) = float_params(dtype, logits=logits)
        _at_least(lg, min_rank, "logits")
        return E.identity(lg, name="logits"), to_probs(lg)
    (pr,) = float_params(dtype, probs=probs)
    _at_least(pr, min_rank, "probs")
    pr = checked(validate, E.identity(pr, name="probs"),
                 [lambda x: C.assert_non_negative(x, message="Argument `probs` has components less than 0."),
                  lambda x: C.assert_less_equal(x, ST.ones([], x.dtype),
                                                message="Argument `probs` has components greater than 1.")])
    return to_logits(pr), pr


def non_negative(name: str) -> Callable[[Tensor], Operation]:
    return lambda x: C.assert_non_negative(x, message=f"Argument `{name}` must be non-negative.")


def static_dims(shape: TensorShape, what: str) -> list[int]:
    """``shape`` as Python ints; samplers need the batch shape known when the graph is built."""
    if not shape.is_fully_defined():
        raise ValueError(f"sampling needs a {what} known when the graph is built, got {shape}")
    return [d for d in shape.as_list() if d is not None]


class Distribution:
    """The base class: subclasses define ``_batch_shape``, ``_event_shape`` and the ``_method``s
    they have; ``_sample_shaped`` names the parameters whose shape is a sample's (for
    ``param_shapes``)."""

    _sample_shaped: tuple[str, ...] = ()

    @classmethod
    def param_shapes(cls, sample_shape: Any, name: str = "DistributionParamShapes") -> dict[str, Tensor]:
        """The parameters' shapes (int32 tensors) that make ``sample()`` of ``sample_shape``."""
        if not cls._sample_shaped:
            raise NotImplementedError(f"param_shapes is not implemented: {cls.__name__}")
        with get_default_graph().name_scope(name):
            shape = convert_to_tensor(sample_shape, dtype=_dt.int32)
            return {p: shape for p in cls._sample_shaped}

    @classmethod
    def param_static_shapes(cls, sample_shape: Any) -> dict[str, TensorShape]:
        """``param_shapes`` as ``TensorShape``s, for a sample shape known now."""
        if not cls._sample_shaped:
            raise NotImplementedError(f"param_shapes is not implemented: {cls.__name__}")
        shape = as_shape(sample_shape)
        if not shape.is_fully_defined():
            raise ValueError("TensorShape sample_shape must be fully defined")
        return {p: shape for p in cls._sample_shaped}

    def __init__(self, dtype: DTypeLike, reparameterization_type: ReparameterizationType, validate_args: bool,
                 allow_nan_stats: bool, parameters: dict[str, Any] | None = None,
                 graph_parents: Sequence[Tensor] | None = None, name: str | None = None) -> None:
        if not name or not name.endswith("/"):
            with get_default_graph().name_scope(name or type(self).__name__) as scope:
                name = scope
        self._dtype = _dt.as_dtype(dtype)
        self._reparameterization_type = reparameterization_type
        self._validate_args = validate_args
        self._allow_nan_stats = allow_nan_stats
        self._parameters = {k: v for k, v in (parameters or {}).items() if k not in ("self", "__class__")}
        self._graph_parents = list(graph_parents or [])
        self._name = name

    # -- properties
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._parameters)

    @property
    def reparameterization_type(self) -> ReparameterizationType:
        return self._reparameterization_type

    @property
    def allow_nan_stats(self) -> bool:
        return self._allow_nan_stats

    @property
    def validate_args(self) -> bool:
        return self._validate_args

    @property
    def batch_shape(self) -> TensorShape:
        return as_shape(self._batch_shape())

    @property
    def event_shape(self) -> TensorShape:
        return as_shape(self._event_shape())

    def batch_shape_tensor(self, name: str = "batch_shape_tensor") -> Tensor:
        with self._scope(name):
            return self._shape_tensor(self.batch_shape, self._batch_shape_tensor)

    def event_shape_tensor(self, name: str = "event_shape_tensor") -> Tensor:
        with self._scope(name):
            return self._shape_tensor(self.event_shape, self._event_shape_tensor)

    @staticmethod
    def _shape_tensor(static: TensorShape, dynamic: Callable[[], Tensor]) -> Tensor:
        if static.is_fully_defined():
            return convert_to_tensor(np.asarray(static.as_list(), np.int32))
        return dynamic()

    def is_scalar_batch(self) -> bool:
        return self.batch_shape.ndims == 0

    def is_scalar_event(self) -> bool:
        return self.event_shape.ndims == 0

    def copy(self, **override: Any) -> Distribution:
        """A new distribution of this class with ``parameters`` updated by ``override``."""
        return type(self)(**{**self.parameters, **override})

    # -- shapes: scalar events by default; batch shape from the parameters the subclass names
    def _params_for_shape(self) -> Sequence[Tensor]:
        raise NotImplementedError(f"{type(self).__name__} does not say its batch shape")

    def _batch_shape(self) -> TensorShape:
        shape = TensorShape([])
        for p in self._params_for_shape():
            shape = broadcast_static_shape(shape, p.shape)
        return shape

    def _batch_shape_tensor(self) -> Tensor:
        first, *rest = self._params_for_shape()
        ones = ST.ones_like(first)
        for p in rest:
            ones = ones * ST.ones_like(p)
        return S.shape(ones)

    def _event_shape(self) -> TensorShape:
        return TensorShape([])

    def _event_shape_tensor(self) -> Tensor:
        return convert_to_tensor(np.zeros([0], np.int32))

    # -- the public methods
    @contextlib.contextmanager
    def _scope(self, name: str) -> Iterator[None]:
        g = get_default_graph()
        with g.name_scope(self.name), g.name_scope(name):
            yield

    def _call(self, name: str, method: str, *args: Any,
              fallbacks: Sequence[tuple[str, Callable[..., Tensor]]] = ()) -> Tensor:
        """``self._<method>(*args)``, else ``fallback(self._<needs>, *args)`` for the first
        ``(needs, fallback)`` whose ``_needs`` this class has."""
        with self._scope(name):
            own = getattr(self, "_" + method, None)
            if own is not None:
                return own(*args)
            for needs, fallback in fallbacks:
                other = getattr(self, "_" + needs, None)
                if other is not None:
                    return fallback(other, *args)
            raise NotImplementedError(f"{method} is not implemented: {type(self).__name__}")

    def _value(self, value: TensorLike) -> Tensor:
        """``value`` as a tensor, in the distribution's dtype where it converts (TF's preferred
        dtype: Bernoulli's int32 events also take float ones)."""
        if isinstance(value, Tensor):
            return value
        try:
            return convert_to_tensor(value, dtype=self.dtype, name="value")
        except (TypeError, ValueError):
            return convert_to_tensor(value, name="value")

    def sample(self, sample_shape: Any = (), seed: int | None = None, name: str = "sample") -> Tensor:
        """Samples of shape ``sample_shape + batch_shape + event_shape`` (``sample_shape`` an int
        or a sequence of ints)."""
        shape = [int(d) for d in np.asarray(sample_shape, dtype=np.int64).reshape(-1)]
        n = int(np.prod(shape, dtype=np.int64))
        with self._scope(name):
            draws = self._sample_n(n, seed)
            draws.set_shape([n] + self.batch_shape.as_list() + self.event_shape.as_list())
            if len(shape) == 1:
                return draws
            tail = draws.shape.as_list()[1:]
            if None not in tail:
                return S.reshape(draws, shape + tail)
            out = S.reshape(draws, concat([convert_to_tensor(np.array(shape, np.int32)), S.shape(draws)[1:]], 0))
            out.set_shape(shape + tail)
            return out

    def _draw_shape(self, n: int) -> list[int] | Tensor:
        """[n] + batch shape: Python ints where the batch shape is static, else a run-time shape
        (for samplers that take one: a batch of placeholder rows)."""
        if self.batch_shape.is_fully_defined():
            return [n] + [d for d in self.batch_shape.as_list() if d is not None]
        return concat([convert_to_tensor(np.array([n], np.int32)), self.batch_shape_tensor()], 0)

    def _sample_n(self, n: int, seed: int | None) -> Tensor:
        raise NotImplementedError(f"sample_n is not implemented: {type(self).__name__}")

    def log_prob(self, value: TensorLike, name: str = "log_prob") -> Tensor:
        return self._call(name, "log_prob", self._value(value),
                          fallbacks=[("prob", lambda f, x: E.log(f(x)))])

    def prob(self, value: TensorLike, name: str = "prob") -> Tensor:
        return self._call(name, "prob", self._value(value),
                          fallbacks=[("log_prob", lambda f, x: E.exp(f(x)))])

    def log_cdf(self, value: TensorLike, name: str = "log_cdf") -> Tensor:
        return self._call(name, "log_cdf", self._value(value), fallbacks=[("cdf", lambda f, x: E.log(f(x)))])

    def cdf(self, value: TensorLike, name: str = "cdf") -> Tensor:
        return self._call(name, "cdf", self._value(value), fallbacks=[("log_cdf", lambda f, x: E.exp(f(x)))])

    def log_survival_function(self, value: TensorLike, name: str = "log_survival_function") -> Tensor:
        return self._call(name, "log_survival_function", self._value(value),
                          fallbacks=[("survival_function", lambda f, x: E.log(f(x))),
                                     ("cdf", lambda f, x: E.log1p(-f(x)))])

    def survival_function(self, value: TensorLike, name: str = "survival_function") -> Tensor:
        return self._call(name, "survival_function", self._value(value),
                          fallbacks=[("cdf", lambda f, x: 1.0 - f(x))])

    def quantile(self, value: TensorLike, name: str = "quantile") -> Tensor:
        return self._call(name, "quantile", self._value(value))

    def entropy(self, name: str = "entropy") -> Tensor:
        return self._call(name, "entropy")

    def mean(self, name: str = "mean") -> Tensor:
        return self._call(name, "mean")

    def mode(self, name: str = "mode") -> Tensor:
        return self._call(name, "mode")

    def variance(self, name: str = "variance") -> Tensor:
        return self._call(name, "variance", fallbacks=[("stddev", lambda f: E.square(f()))])

    def stddev(self, name: str = "stddev") -> Tensor:
        return self._call(name, "stddev", fallbacks=[("variance", lambda f: E.sqrt(f()))])

    def covariance(self, name: str = "covariance") -> Tensor:
        return self._call(name, "covariance")

    def kl_divergence(self, other: Distribution, name: str = "kl_divergence") -> Tensor:
        """KL(self || other), from the function ``RegisterKL`` recorded for the two classes."""
        with self._scope(name):
            return kl_divergence(self, other)

    def cross_entropy(self, other: Distribution, name: str = "cross_entropy") -> Tensor:
        """H(self, other) = H(self) + KL(self || other)."""
        with self._scope(name):
            return self.entropy() + self.kl_divergence(other)

    def nan_unless(self, ok: Tensor, value: Tensor, stat: str) -> Tensor:
        """``value`` where ``ok``; elsewhere NaN when ``allow_nan_stats``, else a run-time error."""
        if self.allow_nan_stats:
            return E.where(ok, value, ST.zeros_like(value) + float("nan"))
        check = C.assert_equal(ok, True, message=f"{stat} is undefined for some batch member "
                                                 "(allow_nan_stats=False)")
        with get_default_graph().control_dependencies([check]):
            return E.identity(value)

    def __repr__(self) -> str:
        return (f"<gf.distributions.{type(self).__name__} '{self.name}' batch_shape={self.batch_shape} "
                f"event_shape={self.event_shape} dtype={self.dtype.name}>")


class LocationScale(Distribution):
    """A family of ``loc`` and positive ``scale``."""

    _sample_shaped: tuple[str, ...] = ("loc", "scale")

    def __init__(self, loc: TensorLike, scale: TensorLike, validate_args: bool, allow_nan_stats: bool, name: str,
                 parameters: dict) -> None:
        with get_default_graph().name_scope(name) as scope:
            loc_t, scale_t = float_params(loc=loc, scale=scale)
            self._loc = E.identity(loc_t, name="loc")
            self._scale = checked(validate_args, E.identity(scale_t, name="scale"), [positive("scale")])
        super().__init__(self._loc.dtype, FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters,
                         [self._loc, self._scale], scope)

    @property
    def loc(self) -> Tensor:
        return self._loc

    @property
    def scale(self) -> Tensor:
        return self._scale

    def _params_for_shape(self) -> Sequence[Tensor]:
        return [self._loc, self._scale]

    def _ones(self) -> Tensor:
        return ST.ones_like(self._loc) * ST.ones_like(self._scale)

    def _z(self, x: Tensor) -> Tensor:
        return (x - self._loc) / self._scale

    def _uniform(self, n: int, seed: int | None) -> Tensor:
        """Uniform draws in (0, 1), both ends excluded."""
        tiny = float(np.finfo(self.dtype.as_numpy_dtype).tiny)
        return ST.random_uniform(self._draw_shape(n), minval=tiny, maxval=1.0, dtype=self.dtype, seed=seed)

    def _mode(self) -> Tensor:
        return self._loc * ST.ones_like(self._scale)
