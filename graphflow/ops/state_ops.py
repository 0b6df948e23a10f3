"""Sources and state: constants, placeholders, variables, assignment, fill/range, random ops,
and grouping ops (no_op, group)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core import rng
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph, register_builders
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.ops._build import NO_ATTRS, make, make_node

_uid = [0]


def _next_uid() -> int:
    _uid[0] += 1
    return _uid[0]


@dataclass(frozen=True, eq=False)
class ConstAttrs:
    value: np.ndarray

    def key(self) -> tuple:
        return (self.value.dtype.str, self.value.shape, self.value.tobytes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConstAttrs) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


@dataclass(frozen=True)
class SourceAttrs:
    """Placeholders and variables: dtype, static shape and a unique id (never merged)."""

    dtype: DType
    shape: TensorShape
    uid: int


@dataclass(frozen=True)
class AssignAttrs:
    mode: str  # "set" | "add" | "sub"


@dataclass(frozen=True)
class FillAttrs:
    shape: tuple[int, ...] | None  # static dims, or None when given by the second input
    dtype: DType


@dataclass(frozen=True)
class RandomAttrs:
    dist: str  # "normal" | "uniform" | "truncated_normal"
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


register(OpDef(Op.CONST, Kind.SOURCE, lambda s, at: [TensorShape(at.value.shape)],
               lambda d, at: [_dt.as_dtype(at.value.dtype)], lambda at: at.value))
register(OpDef(Op.PLACEHOLDER, Kind.SOURCE, lambda s, at: [at.shape], lambda d, at: [at.dtype],
               lambda at: _raise_unfed(), no_gradient=True))
register(OpDef(Op.PLACEHOLDER_WITH_DEFAULT, Kind.ELEMENTWISE,
               lambda s, at: [at.shape], lambda d, at: [d[0]], lambda at, a: a.copy(),
               vjp=lambda n, g: [g], scalar=lambda at, i, o, a: a))
register(OpDef(Op.VARIABLE, Kind.SOURCE, lambda s, at: [at.shape], lambda d, at: [at.dtype],
               lambda at: _raise_unfed(), stateful=True))


def _assign_shape(shapes: Sequence[TensorShape], at: Any) -> list[TensorShape]:
    var, value = shapes
    if not var.is_compatible_with(value):
        raise ValueError(f"cannot assign a value of shape {value} to a variable of shape {var}")
    return [var]


def _assign_dtype(dtypes: Sequence[DType], at: Any) -> list[DType]:
    if dtypes[0] != dtypes[1]:
        raise TypeError(f"cannot assign a {dtypes[1].name} value to a {dtypes[0].name} variable")
    return [dtypes[0]]


register(OpDef(Op.ASSIGN, Kind.OTHER, _assign_shape, _assign_dtype, lambda at, v, x: x,
               stateful=True))
register(OpDef(Op.NO_OP, Kind.OTHER, lambda s, at: [], lambda d, at: [], lambda at: ()))


def _fill_ref(at: FillAttrs, value: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
    shape = at.shape if dims is None else tuple(int(d) for d in dims)
    if any(d < 0 for d in shape):
        raise ValueError(f"Dimension {min(shape)} must be >= 0: fill dims must be non-negative, given {list(shape)}")
    return np.full(shape, value, dtype=at.dtype.np)


register(OpDef(Op.FILL, Kind.OTHER, lambda s, at: [_shape_from_input(s, at.shape, 1)],
               lambda d, at: [at.dtype], _fill_ref,
               vjp=lambda n, g: [_reduce_all(g), None]))


def _random_ref(at: RandomAttrs, state: np.ndarray, dims: np.ndarray | None = None) -> np.ndarray:
    shape = at.shape if dims is None else tuple(int(d) for d in dims)
    n = int(np.prod(shape, dtype=np.int64))
    key, counter = state[0], state[1]
    idx = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if at.dist == "normal":
            flat = rng.normal(key, counter, idx)
        elif at.dist == "truncated_normal":
            flat = rng.truncated_normal_array(key, counter, idx)
        else:
            flat = rng.uniform01(key, counter, idx)
    return flat.astype(at.dtype.np).reshape(shape)


register(OpDef(Op.RANDOM, Kind.OTHER, lambda s, at: [_shape_from_input(s, at.shape, 0)],
               lambda d, at: [at.dtype], _random_ref, no_gradient=True, stateful=True))


def _range_shape(shapes: Sequence[TensorShape], at: Any) -> list[TensorShape]:
    for s in shapes:
        if s.rank not in (0, None):
            raise ValueError(f"range bounds must be scalars, got shape {s}")
    return [TensorShape([None])]


def range_error(start: Any, limit: Any, delta: Any) -> str | None:
    """TF1's message for range bounds that give no sequence (delta 0, or pointing away from limit)."""
    def shown(v: Any) -> str:
        return str(v).removesuffix(".0")
    if delta == 0:
        return f"Requires delta != 0: {shown(delta)}"
    if delta > 0 and start > limit:
        return f"Requires start <= limit when delta > 0: {shown(start)}/{shown(limit)}"
    if delta < 0 and start < limit:
        return f"Requires start >= limit when delta < 0: {shown(start)}/{shown(limit)}"
    return None


def _range_size(start: Any, limit: Any, delta: Any, dtype: DType) -> int:
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


def _raise_unfed() -> Any:
    raise RuntimeError("placeholders and variables have no reference rule; executors supply them")


def _reduce_all(g: Tensor) -> Tensor:
    from graphflow.ops.reduce_ops import reduce_sum
    return reduce_sum(g)


# ---- public API --------------------------------------------------------------------------------

def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = "Const",
             verify_shape: bool = False) -> Tensor:
    """A constant tensor; a scalar ``value`` with a ``shape`` is broadcast (TF1 semantics).

    >>> constant([1, 2]).dtype
    gf.int32
    """
    if isinstance(value, Tensor):
        raise TypeError(f"gf.constant expects a Python or numpy value, got the tensor {value.name}")
    if dtype is None:
        from graphflow.core.ir import _infer_dtype
        target = _infer_dtype(value)
    else:
        target = _dt.as_dtype(dtype)
    if target.is_string:
        arr = _dt.to_strings(value)
    else:
        arr = np.asarray(value)
        if arr.dtype.kind in "USO":
            raise TypeError(f"cannot make a {target.name} constant from {value!r}: expected numbers")
    if not target.is_floating and arr.dtype.kind == "f" and arr.size and not np.all(np.mod(arr, 1) == 0):
        raise TypeError(f"cannot make a {target.name} constant from {value!r} without losing the "
                        "fractional part")
    arr = arr.astype(target.np)
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        if arr.size == 1:
            arr = np.broadcast_to(arr.reshape(()), shape).copy()
        elif arr.size == int(np.prod(shape, dtype=np.int64)):
            arr = arr.reshape(shape)
        elif 0 < arr.size < int(np.prod(shape, dtype=np.int64)) and not verify_shape:
            # TF1 fills the rest with the last value given
            flat = np.full(int(np.prod(shape, dtype=np.int64)), arr.reshape(-1)[-1], dtype=arr.dtype)
            flat[:arr.size] = arr.reshape(-1)
            arr = flat.reshape(shape)
        else:
            raise ValueError(f"a constant of {arr.size} elements cannot have shape {list(shape)}")
    arr.setflags(write=False)
    return make(Op.CONST, [], ConstAttrs(arr), name=name)


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A value fed at run time: ``x = gf.placeholder(gf.float32, shape=(None, 3))``."""
    return make(Op.PLACEHOLDER, [], SourceAttrs(_dt.as_dtype(dtype), as_shape(shape), _next_uid()),
                name=name or "Placeholder")


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Evaluates to ``input`` unless fed; ``shape`` may be less specific than ``input``'s."""
    x = convert_to_tensor(input)
    shp = as_shape(shape)
    if not shp.is_compatible_with(x.shape):
        raise ValueError(f"placeholder_with_default: shape {shp} does not fit the default's shape {x.shape}")
    return make(Op.PLACEHOLDER_WITH_DEFAULT, [x], SourceAttrs(x.dtype, shp, _next_uid()), name=name)


def _run_time_dims(dims: Any) -> tuple[Tensor, list[int | None]] | None:
    """A shape given as a list mixing ints and scalar tensors (``(tf.shape(x)[0], 5)``, how TF1
    code sizes batch-shaped states): the int32 shape tensor stacking them, and the static dims it
    implies (None where a tensor stands). None for any other ``dims``."""
    if not isinstance(dims, (list, tuple)) or not any(isinstance(d, Tensor) for d in dims):
        return None
    from graphflow.ops.array_ops import stack
    from graphflow.ops.math_ops import cast
    parts = [cast(d, _dt.int32) if isinstance(d, Tensor) else constant(int(d), dtype=_dt.int32) for d in dims]
    for d in dims:
        if isinstance(d, Tensor) and d.shape.rank not in (0, None):
            raise ValueError(f"a shape's entries must be scalars, got {d.name} of shape {d.shape}")
    return stack(parts), [None if isinstance(d, Tensor) else int(d) for d in dims]


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
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


def zeros(shape: Any, dtype: Any = _dt.float32, name: str | None = None) -> Tensor:
    """``gf.zeros((2, 3))``"""
    return fill(shape, constant(0, dtype=dtype), name=name or "zeros")


def ones(shape: Any, dtype: Any = _dt.float32, name: str | None = None) -> Tensor:
    """``gf.ones((2, 3))``"""
    return fill(shape, constant(1, dtype=dtype), name=name or "ones")


def _like(t: Any, value: int, dtype: Any, name: str | None) -> Tensor:
    from graphflow.ops.shape_ops import shape as shape_of
    t = convert_to_tensor(t)
    dt = _dt.as_dtype(dtype) if dtype is not None else t.dtype
    if t.shape.is_fully_defined():
        return fill(t.shape.as_list(), constant(value, dtype=dt), name=name)
    return fill(shape_of(t), constant(value, dtype=dt), name=name)


def zeros_like(tensor: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    return _like(tensor, 0, dtype, name or "zeros_like")


def ones_like(tensor: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    return _like(tensor, 1, dtype, name or "ones_like")


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str | None = "range") -> Tensor:
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
    from graphflow.ops.math_ops import cast
    ts = [cast(convert_to_tensor(v), dt) if isinstance(v, Tensor) else constant(v, dtype=dt) for v in vals]
    from graphflow.core.evaluate import static_value
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


def linspace(start: Any, stop: Any, num: Any, name: str | None = "linspace") -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    from graphflow.ops.math_ops import cast
    start_t = convert_to_tensor(start, dtype_hint=_dt.float32)
    stop_t = convert_to_tensor(stop, dtype=start_t.dtype)
    n = convert_to_tensor(num)
    steps = cast(range(n), start_t.dtype)
    denom = cast(n - 1, start_t.dtype)
    from graphflow.ops.math_ops import maximum
    step = (stop_t - start_t) / maximum(denom, constant(1, dtype=start_t.dtype))
    return add_name(start_t + steps * step, name)


def add_name(t: Tensor, name: str | None) -> Tensor:
    if not name:
        return t
    from graphflow.ops.math_ops import identity
    return identity(t, name=name)


def _random(dist: str, shape: Any, dtype: Any, seed: int | None, name: str) -> Tensor:
    g = get_default_graph()
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise TypeError(f"random {dist} needs a floating dtype, got {dt.name}")
    op_seed = seed
    if op_seed is None and g.seed is not None:
        op_seed = g.next_op_seed()
    key = rng.key_from_seeds(g.seed, op_seed)
    mixed = _run_time_dims(shape)
    if mixed is not None:
        out = make(Op.RANDOM, [mixed[0]], RandomAttrs(dist, None, dt, key, _next_uid()), name=name)
        out.set_shape(mixed[1])
        return out
    if isinstance(shape, Tensor):
        return make(Op.RANDOM, [shape], RandomAttrs(dist, None, dt, key, _next_uid()), name=name)
    static = tuple(int(d) for d in as_shape(shape).as_list())
    return make(Op.RANDOM, [], RandomAttrs(dist, static, dt, key, _next_uid()), name=name)


def random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = _dt.float32,
                  seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples, new on every run; reproducible with ``gf.set_random_seed`` or ``seed``."""
    z = _random("normal", shape, dtype, seed, (name or "random_normal") + "/RandomStandardNormal")
    return _named_result(_affine(z, stddev, mean), name or "random_normal")


def truncated_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = _dt.float32,
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples redrawn beyond two standard deviations."""
    z = _random("truncated_normal", shape, dtype, seed, (name or "truncated_normal") + "/TruncatedNormal")
    return _named_result(_affine(z, stddev, mean), name or "truncated_normal")


def random_uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = _dt.float32,
                   seed: int | None = None, name: str | None = None) -> Tensor:
    """Uniform samples in [minval, maxval) (maxval defaults to 1 for floats)."""
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        if maxval is None:
            raise ValueError("random_uniform with an integer dtype needs maxval")
        u = _random("uniform", shape, _dt.float64, seed, (name or "random_uniform") + "/RandomUniform")
        from graphflow.ops.math_ops import cast, floordiv
        lo = cast(convert_to_tensor(minval, dtype=dt), _dt.float64)
        hi = cast(convert_to_tensor(maxval, dtype=dt), _dt.float64)
        return _named_result(cast(floordiv(u * (hi - lo), constant(1.0, dtype=_dt.float64)) + lo, dt),
                             name or "random_uniform")
    u = _random("uniform", shape, dt, seed, (name or "random_uniform") + "/RandomUniform")
    hi = 1.0 if maxval is None else maxval
    if isinstance(minval, (int, float)) and isinstance(hi, (int, float)):
        return _named_result(_affine(u, hi - minval, minval), name or "random_uniform")
    lo_t = convert_to_tensor(minval, dtype=dt)
    return _named_result(u * (convert_to_tensor(hi, dtype=dt) - lo_t) + lo_t, name or "random_uniform")


def _named_result(t: Tensor, name: str) -> Tensor:
    """The result named as TF1 names it (``random_uniform:0``): an identity when the last node has
    another name (it costs nothing: compiled programs drop identities)."""
    return add_name(t, name)


def _affine(z: Tensor, scale: Any, shift: Any) -> Tensor:
    if not (isinstance(scale, (int, float)) and scale == 1):
        z = z * scale
    if not (isinstance(shift, (int, float)) and shift == 0):
        z = z + shift
    return z


def set_random_seed(seed: int | None) -> None:
    """The graph-level seed: same graph + same seeds give the same numbers in every program run."""
    get_default_graph().seed = seed


def assign(ref: Tensor, value: Any, mode: str = "set", name: str | None = None) -> Tensor:
    """Write ``value`` into variable ``ref``; the result is the new value."""
    if not (isinstance(ref, Tensor) and ref.node.op is Op.VARIABLE):
        raise TypeError(f"assign needs a gf.Variable, got {ref!r}")
    v = convert_to_tensor(value, dtype=ref.dtype) if not isinstance(value, Tensor) else value
    opname = {"set": "Assign", "add": "AssignAdd", "sub": "AssignSub"}[mode]
    return make(Op.ASSIGN, [ref, v], AssignAttrs(mode), name=name or opname)


def no_op(name: str | None = None) -> Operation:
    return make_node(Op.NO_OP, [], NO_ATTRS, name=name or "NoOp")


def group(*inputs: Any, name: str | None = None) -> Operation:
    """An op that runs all ``inputs`` (tensors or operations) and returns nothing."""
    flat: list[Any] = []
    for x in inputs:
        flat.extend(x if isinstance(x, (list, tuple)) else [x])
    g = get_default_graph()
    for x in flat:
        if isinstance(x, (Tensor, Operation)):
            g = x.graph
            break
    ops = []
    for x in flat:
        x = g.as_graph_element(x)
        ops.append(x.node if isinstance(x, Tensor) else x)
    return g.add_node(Op.NO_OP, [], NO_ATTRS, name=name or "group_deps", control_inputs=ops)



register_builders(constant=constant)
