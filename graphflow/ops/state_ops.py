"""State and filled tensors: assignment, fill/zeros/ones(_like), range/linspace and random ops.
Constants, placeholders, no_op and group live in ``constant_ops`` (the bottom of the op layer) and
are importable from here as before."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core import rng
from graphflow.core.attrs import FillAttrs
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import DimsLike, DTypeLike, TensorLike
from graphflow.ops._build import make
from graphflow.ops.concat_ops import stack
from graphflow.ops.constant_ops import (  # noqa: F401  (their home before constant_ops)
    ConstAttrs,
    SourceAttrs,
    _next_uid,
    constant,
    group,
    no_op,
    placeholder,
    placeholder_with_default,
)
from graphflow.ops.elementwise_ops import (
    add_name,  # noqa: F401  (public here too)
    cast,
    floordiv,
    maximum,
)
from graphflow.ops.reductions import reduce_sum
from graphflow.ops.shape_ops import shape as shape_of


@dataclass(frozen=True)
class AssignAttrs:
    mode: str  # "set" | "add" | "sub"


@dataclass(frozen=True)
class RandomAttrs:
    dist: str  # "normal" | "uniform" | "truncated_normal" | "bits" (stateless full-range integers)
    shape: tuple[int, ...] | None  # static dims, or None when given by the input
    dtype: DType
    key: int  # from the graph and op seeds
    uid: int


@dataclass(frozen=True)
class RangeAttrs:
    dtype: DType


def _shape_from_input(shapes: Sequence[TensorShape], static: tuple[int, ...] | None,
                      index: int) -> TensorShape:
    if static is not None:
        return TensorShape(static)
    dims = shapes[index]
    if dims.rank != 1:
        raise ValueError(f"a shape tensor must be 1-D, got shape {dims}")
    return TensorShape(None) if dims[0] is None else TensorShape([None] * dims[0])


def _assign_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    var, value = shapes
    if not var.is_compatible_with(value):
        raise ValueError(f"cannot assign a value of shape {value} to a variable of shape {var}")
    return [var]


def _assign_dtype(dtypes: Sequence[DType], at: object) -> list[DType]:
    if dtypes[0] != dtypes[1]:
        raise TypeError(f"cannot assign a {dtypes[1].name} value to a {dtypes[0].name} variable")
    return [dtypes[0]]


register(OpDef(Op.ASSIGN, Kind.OTHER, _assign_shape, _assign_dtype, lambda at, v, x: x,
               stateful=True))


def _fill_ref(at: FillAttrs, value: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
    shape = at.shape if dims is None else tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"Dimension {min(shape)} must be >= 0: fill dims must be non-negative, given {list(shape)}")
    return np.full(shape, value, dtype=at.dtype.np)


register(OpDef(Op.FILL, Kind.OTHER, lambda s, at: [_shape_from_input(s, at.shape, 1)],
               lambda d, at: [at.dtype], _fill_ref,
               vjp=lambda n, g: [_reduce_all(g), None]))


def draw_bits(dtype: DType) -> int:
    """How many bits of the stream one draw of ``dtype`` takes: a float's significand bits
    (uniform draws), an integer's width (full-range draws, the top bits of the stream)."""
    return np.finfo(dtype.np).nmant + 1 if dtype.is_floating else dtype.np.itemsize * 8


def draw(dist: str, dtype: DType, shape: tuple[int, ...], key: np.uint64, counter: np.uint64) -> np.ndarray:
    """Run ``counter`` of the stream ``key`` as an array: the numpy reference of every random op."""
    n = int(np.prod(shape, dtype=np.int64))
    idx = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if dist == "normal":
            flat = rng.normal(key, counter, idx)
        elif dist == "truncated_normal":
            flat = rng.truncated_normal_array(key, counter, idx)
        elif dist == "bits":  # integers over their whole range, wrapped into the signed dtype
            width = draw_bits(dtype)
            flat = (rng.bits(key, counter, idx) >> np.uint64(64 - width)).astype(f"uint{width}").view(dtype.np)
        else:
            flat = rng.uniform_in(key, counter, idx, draw_bits(dtype))
    return flat.astype(dtype.np).reshape(shape)


def _random_ref(at: RandomAttrs, state: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
    shape = tuple(int(d) for d in dims) if dims is not None else at.shape
    assert shape is not None  # (static dims, or the dims input)
    return draw(at.dist, at.dtype, shape, state[0], state[1])


register(OpDef(Op.RANDOM, Kind.OTHER, lambda s, at: [_shape_from_input(s, at.shape, 0)],
               lambda d, at: [at.dtype], _random_ref, no_gradient=True, stateful=True))


def _range_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    for s in shapes:
        if s.rank not in (0, None):
            raise ValueError(f"range bounds must be scalars, got shape {s}")
    return [TensorShape([None])]


def range_error(start: float, limit: float, delta: float) -> str | None:
    """TF1's message for range bounds that give no sequence (delta 0, or pointing away from limit)."""
    def shown(v: float) -> str:
        return str(v).removesuffix(".0")
    if delta == 0:
        return f"Requires delta != 0: {shown(delta)}"
    if delta > 0 and start > limit:
        return f"Requires start <= limit when delta > 0: {shown(start)}/{shown(limit)}"
    if delta < 0 and start < limit:
        return f"Requires start >= limit when delta < 0: {shown(start)}/{shown(limit)}"
    return None


def _range_size(start: float, limit: float, delta: float, dtype: DType) -> int:
    """TF1's length: exact for integers, ceil(|(limit - start) / delta|) in the dtype for floats."""
    if dtype.is_floating:
        t = dtype.np.type
        return int(np.ceil(np.abs((t(limit) - t(start)) / t(delta))))
    return (abs(int(limit) - int(start)) + abs(int(delta)) - 1) // abs(int(delta))


def _range_ref(at: RangeAttrs, start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
    s, lim, d = (np.asarray(v).item() for v in (start, limit, delta))
    wrong = range_error(s, lim, d)
    if wrong:
        raise ValueError(wrong)
    t = at.dtype.np.type
    with np.errstate(over="ignore"):  # start + i * delta in the dtype, as TF1 computes it
        return t(s) + np.arange(_range_size(s, lim, d, at.dtype), dtype=at.dtype.np) * t(d)


register(OpDef(Op.RANGE, Kind.OTHER, _range_shape, lambda d, at: [at.dtype], _range_ref, no_gradient=True))


def _reduce_all(g: Tensor) -> Tensor:
    return reduce_sum(g)


# ---- public API --------------------------------------------------------------------------------


def _run_time_dims(dims: DimsLike) -> tuple[Tensor, list[int | None]] | None:
    """A shape given as a list mixing ints and scalar tensors (``(tf.shape(x)[0], 5)``, how TF1
    code sizes batch-shaped states): the int32 shape tensor stacking them, and the static dims it
    implies (None where a tensor stands). None for any other ``dims``."""
    if not isinstance(dims, (list, tuple)) or not any(isinstance(d, Tensor) for d in dims):
        return None
    parts = [cast(d, _dt.int32) if isinstance(d, Tensor) else constant(int(d), dtype=_dt.int32) for d in dims]
    for d in dims:
        if isinstance(d, Tensor) and d.shape.rank not in (0, None):
            raise ValueError(f"a shape's entries must be scalars, got {d.name} of shape {d.shape}")
    return stack(parts), [None if isinstance(d, Tensor) else int(d) for d in dims]


def fill(dims: DimsLike, value: TensorLike, name: str | None = None) -> Tensor:
    """A tensor of shape ``dims`` filled with ``value``; ``dims`` may be a tensor, or a list of
    ints and scalar tensors."""
    v = convert_to_tensor(value)
    if v.shape.rank not in (0, None):
        raise ValueError(f"fill value must be a scalar, got shape {v.shape}")
    mixed = _run_time_dims(dims)
    if mixed is not None:
        out = make(Op.FILL, [v, mixed[0]], FillAttrs(None, v.dtype), name=name or "Fill")
        out.set_shape(mixed[1])
        return out
    if isinstance(dims, Tensor):
        return make(Op.FILL, [v, dims], FillAttrs(None, v.dtype), name=name or "Fill")
    static = tuple(int(d) for d in as_shape(dims).as_list())
    return make(Op.FILL, [v], FillAttrs(static, v.dtype), name=name or "Fill")


def zeros(shape: DimsLike, dtype: DTypeLike = _dt.float32, name: str | None = None) -> Tensor:
    """``gf.zeros((2, 3))``"""
    return fill(shape, constant(0, dtype=dtype), name=name or "zeros")


def ones(shape: DimsLike, dtype: DTypeLike = _dt.float32, name: str | None = None) -> Tensor:
    """``gf.ones((2, 3))``"""
    return fill(shape, constant(1, dtype=dtype), name=name or "ones")


def _like(t: TensorLike, value: int, dtype: DTypeLike | None, name: str | None) -> Tensor:
    t = convert_to_tensor(t)
    dt = _dt.as_dtype(dtype) if dtype is not None else t.dtype
    if t.shape.is_fully_defined():
        return fill(t.shape.as_list(), constant(value, dtype=dt), name=name)
    out = fill(shape_of(t), constant(value, dtype=dt), name=name)
    out.set_shape(t.shape)  # the dims known statically stay known
    return out


def zeros_like(tensor: TensorLike, dtype: DTypeLike | None = None, name: str | None = None) -> Tensor:
    return _like(tensor, 0, dtype, name or "zeros_like")


def ones_like(tensor: TensorLike, dtype: DTypeLike | None = None, name: str | None = None) -> Tensor:
    return _like(tensor, 1, dtype, name or "ones_like")


def range(start: TensorLike, limit: TensorLike | None = None, delta: TensorLike = 1,  # noqa: A001
          dtype: DTypeLike | None = None, name: str | None = "range") -> Tensor:
    """``gf.range(5)`` is [0, 1, 2, 3, 4]; like Python's range with tensor bounds allowed, but as
    TF1 a delta of 0, or one pointing away from ``limit`` (``gf.range(-5)``), is an error: a
    ValueError here when the bounds are constants, InvalidArgumentError at run time otherwise."""
    if limit is None:
        start, limit = 0, start
    vals = [start, limit, delta]
    if dtype is None:
        floaty = any((isinstance(v, Tensor) and v.dtype.is_floating) or isinstance(v, float) for v in vals)
        dtype = _dt.float32 if floaty else _dt.int32
        for v in vals:
            if isinstance(v, Tensor):
                dtype = v.dtype
    dt = _dt.as_dtype(dtype)
    ts = [cast(convert_to_tensor(v), dt) if isinstance(v, Tensor) else constant(v, dtype=dt) for v in vals]
    known = [static_value(t) for t in ts]
    static = [k.item() for k in known if k is not None]
    if len(static) == 3:  # constant bounds: checked now (as TF1's shape inference does)
        wrong = range_error(*static)
        if wrong:  # TF1's words (its shape inference leaves the zero out of "delta != 0")
            wrong = "Requires delta != 0" if static[2] == 0 else wrong
            raise ValueError(f"{wrong} for {name or 'range'!r} with start, limit and delta "
                             f"{static[0]}, {static[1]}, {static[2]}")
    out = make(Op.RANGE, ts, RangeAttrs(dt), name=name)
    if len(static) == 3:  # the length is static
        out.set_shape([_range_size(static[0], static[1], static[2], dt)])
    return out


def linspace(start: TensorLike, stop: TensorLike, num: TensorLike, name: str | None = "linspace") -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    start_t = convert_to_tensor(start, dtype_hint=_dt.float32)
    stop_t = convert_to_tensor(stop, dtype=start_t.dtype)
    n = convert_to_tensor(num)
    steps = cast(range(n), start_t.dtype)
    denom = cast(n - 1, start_t.dtype)
    step = (stop_t - start_t) / maximum(denom, constant(1, dtype=start_t.dtype))
    return add_name(start_t + steps * step, name)


def random_dims(shape: DimsLike) -> tuple[list[Tensor], tuple[int, ...] | None, list[int | None] | None]:
    """How a random op takes ``shape``: (the dims tensor as its input, or none; the static dims, or
    None when the input gives them; the static shape to set where a list mixes ints and tensors)."""
    mixed = _run_time_dims(shape)
    if mixed is not None:
        return [mixed[0]], None, mixed[1]
    if isinstance(shape, Tensor):
        return [shape], None, None
    return [], tuple(int(d) for d in as_shape(shape).as_list()), None


def _random(dist: str, shape: DimsLike, dtype: DTypeLike, seed: int | None, name: str) -> Tensor:
    g = get_default_graph()
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"random {dist} needs a floating dtype, got {dt.name}")
    op_seed = seed
    if op_seed is None and g.seed is not None:
        op_seed = g.next_op_seed()
    key = rng.key_from_seeds(g.seed, op_seed)
    dims, static, partial = random_dims(shape)
    out = make(Op.RANDOM, dims, RandomAttrs(dist, static, dt, key, _next_uid()), name=name)
    if partial is not None:
        out.set_shape(partial)
    return out


def random_normal(shape: DimsLike, mean: TensorLike = 0.0, stddev: TensorLike = 1.0, dtype: DTypeLike = _dt.float32,
                  seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples, new on every run; reproducible with ``gf.set_random_seed`` or ``seed``."""
    z = _random("normal", shape, dtype, seed, (name or "random_normal") + "/RandomStandardNormal")
    return _named_result(affine(z, stddev, mean), name or "random_normal")


def truncated_normal(shape: DimsLike, mean: TensorLike = 0.0, stddev: TensorLike = 1.0, dtype: DTypeLike = _dt.float32,
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples redrawn beyond two standard deviations."""
    z = _random("truncated_normal", shape, dtype, seed, (name or "truncated_normal") + "/TruncatedNormal")
    return _named_result(affine(z, stddev, mean), name or "truncated_normal")


def random_uniform(shape: DimsLike, minval: TensorLike = 0, maxval: TensorLike | None = None,
                   dtype: DTypeLike = _dt.float32, seed: int | None = None, name: str | None = None) -> Tensor:
    """Uniform samples in [minval, maxval) (maxval defaults to 1 for floats)."""
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating and maxval is None:
        raise ValueError("random_uniform with an integer dtype needs maxval")
    u = _random("uniform", shape, dt if dt.is_floating else _dt.float64, seed,
                (name or "random_uniform") + "/RandomUniform")
    return _named_result(uniform_between(u, minval, maxval, dt), name or "random_uniform")


def uniform_between(u: Tensor, minval: TensorLike, maxval: TensorLike | None, dt: DType) -> Tensor:
    """Uniform draws ``u`` in [0, 1) moved to [minval, maxval) of dtype ``dt``: scaled for floats
    (maxval defaults to 1), the floor of the scaled float64 draws for integers."""
    if not dt.is_floating:
        lo = cast(convert_to_tensor(minval, dtype=dt), _dt.float64)
        hi = cast(convert_to_tensor(maxval, dtype=dt), _dt.float64)
        return cast(floordiv(u * (hi - lo), constant(1.0, dtype=_dt.float64)) + lo, dt)
    hi_v = 1.0 if maxval is None else maxval
    if isinstance(minval, (int, float)) and isinstance(hi_v, (int, float)):
        return affine(u, hi_v - minval, minval)
    lo_t = convert_to_tensor(minval, dtype=dt)
    return u * (convert_to_tensor(hi_v, dtype=dt) - lo_t) + lo_t


def _named_result(t: Tensor, name: str) -> Tensor:
    """The result named as TF1 names it (``random_uniform:0``): an identity when the last node has
    another name (it costs nothing: compiled programs drop identities)."""
    return add_name(t, name)


def affine(z: Tensor, scale: TensorLike, shift: TensorLike) -> Tensor:
    if not (isinstance(scale, (int, float)) and scale == 1):
        z = z * scale
    if not (isinstance(shift, (int, float)) and shift == 0):
        z = z + shift
    return z


def set_random_seed(seed: int | None) -> None:
    """The graph-level seed: same graph + same seeds give the same numbers in every program run."""
    get_default_graph().seed = seed


def assign(ref: Tensor, value: TensorLike, mode: str = "set", name: str | None = None) -> Tensor:
    """Write ``value`` into variable ``ref``; the result is the new value."""
    if not (isinstance(ref, Tensor) and ref.node.op is Op.VARIABLE):
        raise TypeError(f"assign needs a gf.Variable, got {ref!r}")
    v = convert_to_tensor(value, dtype=ref.dtype) if not isinstance(value, Tensor) else value
    opname = {"set": "Assign", "add": "AssignAdd", "sub": "AssignSub"}[mode]
    return make(Op.ASSIGN, [ref, v], AssignAttrs(mode), name=name or opname)


