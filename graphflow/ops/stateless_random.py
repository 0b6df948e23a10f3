"""``tf.random.stateless_*``: random tensors that are a pure function of a ``[2]`` integer seed
tensor (which may be computed at run time) and the shape.

One primitive, STATELESS_RANDOM, draws them: the same counter-based streams as RANDOM
(``core/rng``), keyed by the seed's two words instead of by graph and op seeds, with the counter
fixed by the node (its ``stream``) instead of advanced on each run. So the same seed gives the
same numbers in every run and every session, different seeds give unrelated streams, and there
is no state: the op may be merged, folded or recomputed. Gamma, Poisson, binomial and categorical
samples run the stateful ops' samplers (``random_ops``) on streams 0, 1, 2 of the seed.
graphflow's streams are its own: the values differ from TF's, the distributions do not.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core import rng
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DimsLike, DTypeLike, TensorLike
from graphflow.ops import random_ops as RO
from graphflow.ops._build import make
from graphflow.ops.concat_ops import stack
from graphflow.ops.elementwise_ops import add_name, cast
from graphflow.ops.slice_ops import static_ints
from graphflow.ops.state_ops import _shape_from_input, affine, draw, random_dims, uniform_between

__all__ = ["fold_in", "split", "stateless_categorical", "stateless_multinomial", "stateless_random_binomial",
           "stateless_random_gamma", "stateless_random_normal", "stateless_random_poisson", "stateless_random_uniform",
           "stateless_truncated_normal"]


@dataclass(frozen=True)
class StatelessRandomAttrs:
    dist: str  # "normal" | "uniform" | "truncated_normal" | "bits" (full-range integers)
    shape: tuple[int, ...] | None  # static dims, or None when given by the second input
    dtype: DType
    stream: int  # the counter drawn: a sampler's independent streams of one seed


def _seed_words(seed: np.ndarray) -> tuple[np.uint64, np.uint64]:
    s = np.asarray(seed).reshape(-1)
    if s.size != 2:
        raise ValueError(f"seed must have shape [2], not {list(np.shape(seed))}")
    w = s.astype(np.int64).astype(np.uint64)  # negative seeds wrap, as the compiled kernels wrap them
    return w[0], w[1]


def _stateless_ref(at: StatelessRandomAttrs, seed: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
    shape = tuple(int(d) for d in dims) if dims is not None else at.shape
    assert shape is not None  # (static dims, or the dims input)
    with np.errstate(over="ignore"):
        key = rng.stateless_key(*_seed_words(seed))
    return draw(at.dist, at.dtype, shape, key, np.uint64(at.stream))


def _stateless_dtype(dtypes: Sequence[DType], at: StatelessRandomAttrs) -> list[DType]:
    if not dtypes[0].is_integer:
        raise TypeError(f"a stateless random op's seed must be int32 or int64, got {dtypes[0].name}")
    return [at.dtype]


register(OpDef(Op.STATELESS_RANDOM, Kind.OTHER, lambda s, at: [_shape_from_input(s, at.shape, 1)],
               _stateless_dtype, _stateless_ref, no_gradient=True))


def _seed(seed: TensorLike) -> Tensor:
    s = convert_to_tensor(seed, dtype_hint=_dt.int32)
    if s.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"seed must be an int32 or int64 tensor of shape [2], got {s.name} of dtype {s.dtype.name}")
    if not s.shape.is_compatible_with(TensorShape([2])):
        raise ValueError(f"seed must have shape [2], got {s.name} of shape {s.shape}")
    return s


def stateless_draw(dist: str, shape: DimsLike, seed: TensorLike, dtype: DTypeLike, stream: int = 0,
                   name: str | None = None) -> Tensor:
    """Stream ``stream`` of ``seed`` in ``dist``: "uniform" in [0, 1), "normal", "truncated_normal"
    (floating dtypes) or "bits", integers over the whole range of int32 or int64."""
    dt = _dt.as_dtype(dtype)
    if dt.is_floating != (dist != "bits") or dist == "bits" and dt not in (_dt.int32, _dt.int64):
        raise TypeError(f"stateless {dist} draws need {'int32 or int64' if dist == 'bits' else 'a floating dtype'}, "
                        f"got {dt.name}")
    dims, static, partial = random_dims(shape)
    out = make(Op.STATELESS_RANDOM, [_seed(seed), *dims], StatelessRandomAttrs(dist, static, dt, stream),
               name=name or "StatelessRandom")
    if partial is not None:
        out.set_shape(partial)
    return out


def _source(seed: TensorLike) -> RO.Draw:
    """The stateless streams of ``seed`` as the samplers' draw source (float64)."""
    s = _seed(seed)

    def source(dist: str, shape: list, stream: int) -> Tensor:
        return stateless_draw(dist, shape, s, _dt.float64, stream)
    return source


def stateless_random_uniform(shape: DimsLike, seed: TensorLike, minval: TensorLike | None = 0,
                             maxval: TensorLike | None = None, dtype: DTypeLike = _dt.float32,
                             name: str | None = None, alg: str = "auto_select") -> Tensor:
    """Uniform values in [minval, maxval) (maxval defaults to 1 for floats; integers over the
    dtype's whole range when both are None), a function of ``seed``.

    >>> import graphflow as gf
    >>> x = gf.random.stateless_uniform([2, 3], seed=[1, 2])
    >>> with gf.Session() as s: a, b = s.run([x, x])
    >>> bool((a == b).all())
    True
    """
    dt = _dt.as_dtype(dtype)
    if not (dt.is_floating or dt in (_dt.int32, _dt.int64)):
        raise TypeError(f"stateless_uniform draws float16/32/64, int32 or int64, got {dt.name}")
    if dt.is_integer and (minval is None) != (maxval is None):
        raise ValueError(f"For integer dtype {dt.name}, minval and maxval must be both `None` or both non-`None`; "
                         f"got minval={minval!r} and maxval={maxval!r}")
    if dt.is_integer and minval is None:  # the whole range of the dtype
        return add_name(stateless_draw("bits", shape, seed, dt,
                                       name=(name or "stateless_random_uniform") + "/StatelessRandomUniformFullInt"),
                        name or "stateless_random_uniform")
    u = stateless_draw("uniform", shape, seed, dt if dt.is_floating else _dt.float64,
                       name=(name or "stateless_random_uniform") + "/StatelessRandomUniform")
    return add_name(uniform_between(u, 0 if minval is None else minval, maxval, dt),
                    name or "stateless_random_uniform")


def split(seed: TensorLike, num: int | Tensor = 2, alg: str = "auto_select") -> Tensor:
    """``num`` new seeds (``[num, 2]``, the seed's dtype), a function of ``seed``."""
    s = _seed(seed)
    return stateless_random_uniform([num, 2], s, minval=None, maxval=None, dtype=s.dtype, name="split")


def fold_in(seed: TensorLike, data: TensorLike, alg: str = "auto_select") -> Tensor:
    """A new seed ``[draw, data]`` (``data``'s dtype): ``seed`` with the integer ``data`` folded in."""
    d = convert_to_tensor(data)
    first = stateless_random_uniform([], seed, minval=None, maxval=None, dtype=d.dtype, name="fold_in")
    return stack([first, d])


def stateless_random_normal(shape: DimsLike, seed: TensorLike, mean: TensorLike = 0.0, stddev: TensorLike = 1.0,
                            dtype: DTypeLike = _dt.float32, name: str | None = None,
                            alg: str = "auto_select") -> Tensor:
    """Normal values, a function of ``seed`` (same seed, same values; no state)."""
    z = stateless_draw("normal", shape, seed, dtype,
                       name=(name or "stateless_random_normal") + "/StatelessRandomNormal")
    return add_name(affine(z, stddev, mean), name or "stateless_random_normal")


def stateless_truncated_normal(shape: DimsLike, seed: TensorLike, mean: TensorLike = 0.0, stddev: TensorLike = 1.0,
                               dtype: DTypeLike = _dt.float32, name: str | None = None,
                               alg: str = "auto_select") -> Tensor:
    """Normal values redrawn beyond two standard deviations, a function of ``seed``."""
    z = stateless_draw("truncated_normal", shape, seed, dtype,
                       name=(name or "stateless_truncated_normal") + "/StatelessTruncatedNormal")
    return add_name(affine(z, stddev, mean), name or "stateless_truncated_normal")


def stateless_multinomial(logits: TensorLike, num_samples: int | Tensor, seed: TensorLike,
                          output_dtype: DTypeLike = _dt.int64, name: str | None = None) -> Tensor:
    """``[batch, num_samples]`` class indices from ``softmax(logits[b])``, a function of ``seed``."""
    return RO.gumbel_argmax(logits, num_samples, _source(seed), output_dtype, name or "stateless_random_multinomial")


def stateless_categorical(logits: TensorLike, num_samples: int | Tensor, seed: TensorLike,
                          dtype: DTypeLike = _dt.int64, name: str | None = None) -> Tensor:
    """``stateless_multinomial`` under its TF 1.13+ name."""
    return stateless_multinomial(logits, num_samples, seed, dtype, name or "stateless_categorical")


def _out_shape(shape: DimsLike, what: str, *params: Tensor | None) -> list[int]:
    """``shape``, which the parameters must broadcast to (TF's rule for the stateless samplers)."""
    out = static_ints(shape, f"{what} shape")  # type: ignore[arg-type]  # a Tensor of known value passes
    for p in params:
        if p is None:
            continue
        if not p.shape.is_fully_defined():
            raise ValueError(f"{what} needs parameters of static shape, got {p.name} of shape {p.shape}")
        dims = p.shape.as_list()
        try:
            fits = list(np.broadcast_shapes(tuple(out), tuple(dims))) == out
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{what}: {p.name} of shape {dims} does not broadcast to the shape {out}")
    return out


def stateless_random_gamma(shape: DimsLike, seed: TensorLike, alpha: TensorLike, beta: TensorLike | None = None,
                           dtype: DTypeLike = _dt.float32, name: str | None = None) -> Tensor:
    """Gamma(alpha, rate beta) values of ``shape`` (alpha and beta broadcast to it), a function of ``seed``."""
    dt = _dt.as_dtype(dtype)
    a, b = RO.as_float64(dt, alpha, beta)
    assert a is not None
    return RO.gamma_sample(_out_shape(shape, "stateless_gamma", a, b), a, b, dt, _source(seed),
                           name or "stateless_random_gamma")


def stateless_random_poisson(shape: DimsLike, seed: TensorLike, lam: TensorLike, dtype: DTypeLike = _dt.int32,
                             name: str | None = None) -> Tensor:
    """Poisson(lam) values of ``shape`` (lam broadcast to it), a function of ``seed``."""
    lam_t = cast(convert_to_tensor(lam), _dt.float64)
    return RO.poisson_sample(_out_shape(shape, "stateless_poisson", lam_t), lam_t, dtype, _source(seed),
                             name or "stateless_random_poisson")


def stateless_random_binomial(shape: DimsLike, seed: TensorLike, counts: TensorLike, probs: TensorLike,
                              output_dtype: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """Binomial(counts, probs) values of ``shape`` (both broadcast to it), a function of ``seed``."""
    n = cast(convert_to_tensor(counts), _dt.float64)
    p = cast(convert_to_tensor(probs), _dt.float64)
    return RO.binomial_sample(_out_shape(shape, "stateless_binomial", n, p), n, p, output_dtype, _source(seed),
                              name or "stateless_random_binomial")
