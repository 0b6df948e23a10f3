"""Shape queries and pure re-layouts: shape, size, reshape, transpose, expand_dims, squeeze."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import ShapeAttrs
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DimsLike, DTypeLike, TensorLike
from graphflow.ops._build import make
from graphflow.ops.constant_ops import constant
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.elementwise_ops import cast
from graphflow.ops.reductions import reduce_prod, reduce_sum

# A reshape target: each entry is a literal dim, -1 (inferred), or (k, j): dim j of input k.
# a reshape entry: an int (-1: inferred), (k, j) for dim j of input k, or ("v", k, j) for the
# run-time value of input k (element j of a 1-D int tensor, or the scalar itself when j is -1)
SpecItem = Union[int, tuple[int, int], tuple[str, int, int]]


@dataclass(frozen=True)
class ReshapeAttrs:
    spec: tuple[SpecItem, ...]


@dataclass(frozen=True)
class TransposeAttrs:
    perm: tuple[int, ...]


def resolve_spec(spec: Sequence[SpecItem], shapes: Sequence[Sequence[Any]], size: int | None,
                 values: Callable[[tuple[str, int, int]], int] | None = None) -> list[Any]:
    """Concrete (or None) dims of a reshape spec given its inputs' dims, x's element count and
    (at run time) ``values``, reading a ("v", k, j) entry."""
    dims: list[Any] = []
    for item in spec:
        if isinstance(item, tuple) and len(item) == 3:
            dims.append(None if values is None else values(item))
        elif isinstance(item, tuple):
            k, j = item
            dims.append(shapes[k][j])
        else:
            dims.append(item)
    if dims.count(-1) > 1:
        raise ValueError(f"reshape: the shape {_fmt(dims)} has more than one -1")
    if -1 in dims:
        known = [d for d in dims if d != -1]
        if size is None or None in known:
            return [None if d == -1 else d for d in dims]
        rest = int(np.prod(known, dtype=np.int64))
        if rest == 0 or size % rest:
            raise ValueError(f"cannot reshape a tensor of {size} elements to {_fmt(dims)}")
        dims = [size // rest if d == -1 else d for d in dims]
    elif size is not None and None not in dims and int(np.prod(dims, dtype=np.int64)) != size:
        raise ValueError(f"cannot reshape a tensor of {size} elements to shape {_fmt(dims)}")
    return dims


def _fmt(dims: Sequence[Any]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def _reshape_shape(shapes: Sequence[TensorShape], at: ReshapeAttrs) -> list[TensorShape]:
    for item in at.spec:
        if isinstance(item, tuple) and len(item) == 2 and shapes[item[0]].rank is None:
            return [TensorShape([None] * len(at.spec))]
    dims = [s.dims for s in shapes]
    return [TensorShape(resolve_spec(at.spec, dims, shapes[0].num_elements()))]  # type: ignore[arg-type]


def _reshape_ref(at: ReshapeAttrs, x: np.ndarray, *refs: np.ndarray) -> np.ndarray:
    ins = [x, *refs]

    def value(item: tuple[str, int, int]) -> int:
        v = np.asarray(ins[item[1]])
        return int(v) if item[2] < 0 else int(v.reshape(-1)[item[2]])
    dims = resolve_spec(at.spec, [a.shape for a in ins], x.size, value)
    return x.reshape(dims).copy()


register(OpDef(Op.RESHAPE, Kind.OTHER, _reshape_shape, lambda d, at: [d[0]], _reshape_ref,
               vjp=lambda n, g: [reshape_like(g, n.inputs[0])] + [None] * (len(n.inputs) - 1)))


def _transpose_shape(shapes: Sequence[TensorShape], at: TransposeAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank is None:
        return [TensorShape([None] * len(at.perm))]
    if sorted(at.perm) != list(range(s.rank)):
        raise ValueError(f"transpose perm {list(at.perm)} is not a permutation of the {s.rank} dims of {s}")
    return [TensorShape([s.dims[p] for p in at.perm])]  # type: ignore[index]


register(OpDef(Op.TRANSPOSE, Kind.OTHER, _transpose_shape, lambda d, at: [d[0]],
               lambda at, x: np.ascontiguousarray(np.transpose(x, at.perm)),
               vjp=lambda n, g: [transpose(g, list(np.argsort(n.attrs.perm)))]))


def _shape_shape(shapes: Sequence[TensorShape], at: ShapeAttrs) -> list[TensorShape]:
    return [TensorShape([shapes[0].rank])]


register(OpDef(Op.SHAPE, Kind.OTHER, _shape_shape, lambda d, at: [at.out_type],
               lambda at, x: np.array(x.shape, dtype=at.out_type.np), no_gradient=True))


# ---- public functions -------------------------------------------------------------------------

def reshape_spec(x: Tensor, spec: tuple[SpecItem, ...], refs: Sequence[Tensor] = (),
                 name: str | None = None) -> Tensor:
    return make(Op.RESHAPE, [x, *refs], ReshapeAttrs(tuple(spec)), name=name or "Reshape")


@rank_polymorphic(_first_float)
def reshape_like(g: Tensor, like: Tensor) -> Tensor:
    """``g`` reshaped to the run-time shape of ``like``."""
    if like.shape.is_fully_defined():
        if g.shape == like.shape:
            return g
        return reshape_spec(g, tuple(like.shape.as_list()))
    rank = like.shape.rank
    if rank is None:
        raise ValueError(f"cannot reshape to the shape of {like.name}: its rank is unknown")
    return reshape_spec(g, tuple((1, j) for j in range(rank)), [like])


def _shape_entries(t: Tensor | list | tuple) -> list[Any] | None:
    """A shape argument as a list of ints and (tensor, dim) pairs, when every entry is a constant
    or a dim of some tensor (``tf.shape(h)[0]``, ``tf.shape(h)``, a list or ``tf.stack`` of those);
    None when an entry is computed otherwise."""
    if isinstance(t, (list, tuple)):
        out: list[Any] = []
        for d in t:
            e = _shape_entries(d) if isinstance(d, Tensor) else [-1 if d is None else int(getattr(d, "value", d))]
            if e is None or len(e) != 1:
                return None
            out += e
        return out
    v = static_value(t)
    if v is not None:
        return [int(a) for a in np.asarray(v).reshape(-1)]
    n = t.node
    if n.op is Op.SHAPE and n.inputs[0].shape.rank is not None:
        return [(n.inputs[0], j) for j in range(n.inputs[0].shape.rank)]
    if n.op is Op.SLICE and t.shape.rank == 0 and n.inputs[0].node.op is Op.SHAPE and len(n.inputs) == 1:
        src, at = n.inputs[0].node.inputs[0], n.attrs
        if src.shape.rank is not None and at.shrink == (0,) and isinstance(at.begin[0], int):
            return [(src, at.begin[0] % src.shape.rank)] if -src.shape.rank <= at.begin[0] < src.shape.rank else None
        return None
    if n.op is Op.RESHAPE and t.shape.rank == 1 and n.inputs[0].shape.rank == 0:  # a stacked scalar
        return _shape_entries(n.inputs[0])
    if n.op is Op.CONCAT and n.attrs.axis == 0 and t.shape.rank == 1:
        parts = [_shape_entries(i) for i in n.inputs]
        return None if any(p is None for p in parts) else [e for p in parts for e in p]  # type: ignore[union-attr]
    return None


def dims_named(t: Tensor) -> list[Any] | None:
    """What the entries of a shape-like int tensor are when the graph is built: ints and
    (tensor, dim) pairs (``tf.shape(h)[0]`` is ``[(h, 0)]``), or None where one is computed otherwise."""
    return _shape_entries(t)


def _value_entries(shape: Tensor | list | tuple) -> list[Any]:
    """Entries of a shape known only at run time: per entry of a list, its static form when it
    has one (``_shape_entries``) else ("v", scalar, -1); a 1-D tensor of static length L gives
    ("v", tensor, j) for j < L."""
    if isinstance(shape, (list, tuple)):
        out: list[Any] = []
        for d in shape:
            e = _shape_entries(d) if isinstance(d, Tensor) else [-1 if d is None else int(d)]
            if e is not None and len(e) == 1:
                out += e
                continue
            t = convert_to_tensor(d)
            if t.shape.rank != 0 or not t.dtype.is_integer:
                raise TypeError(f"reshape: shape entries must be int scalars, got {t.name} of shape "
                                f"{t.shape} and dtype {t.dtype.name}")
            out.append(("v", cast(t, _dt.int64), -1))
        return out
    t = convert_to_tensor(shape)
    n = t.node
    if n.op is Op.CONCAT and n.attrs.axis == 0 and t.shape.rank == 1 and \
            all(p.shape.rank == 1 and p.shape.dims[0] is not None for p in n.inputs):  # type: ignore[index]
        parts: list[Any] = []  # tf.stack / tf.concat of pieces: what is static stays static
        for piece in n.inputs:
            e = _shape_entries(piece)
            parts += e if e is not None else [("v", piece, j) for j in range(piece.shape.dims[0])]  # type: ignore[index]
        return parts
    if t.shape.rank != 1 or t.shape.dims[0] is None or not t.dtype.is_integer:  # type: ignore[index]
        raise TypeError(f"reshape needs a 1-D int shape of static length (the result's rank), got "
                        f"{t.name} of shape {t.shape} and dtype {t.dtype.name}")
    return [("v", t, j) for j in range(t.shape.dims[0])]  # type: ignore[index]


def reshape(tensor: TensorLike, shape: DimsLike, name: str | None = None) -> Tensor:
    """Reshape to ``shape``: a list of ints with at most one -1, whose entries may also be dims
    of tensors (``[tf.shape(h)[0], 3, 1]``, ``tf.stack`` of those, or ``gf.shape(other)``).

    >>> import graphflow as gf
    >>> gf.reshape(gf.zeros((2, 3)), [-1]).shape.as_list()
    [6]
    """
    x = convert_to_tensor(tensor)
    if isinstance(shape, Tensor) or (isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape)):
        entries = _shape_entries(shape)
        if entries is None:
            entries = _value_entries(shape)
        if all(isinstance(e, int) for e in entries):
            shape = entries
        else:
            refs: list[Tensor] = []
            spec: list[SpecItem] = []
            for e in entries:
                if isinstance(e, int):
                    spec.append(e)
                    continue
                if len(e) == 3:  # ("v", tensor, j): a run-time value
                    _, src, j = e
                    if all(src is not r for r in refs):
                        refs.append(src)
                    spec.append(("v", 1 + next(i for i, r in enumerate(refs) if r is src), j))
                    continue
                src, j = e
                if src is x:
                    spec.append((0, j))
                    continue
                if all(src is not r for r in refs):
                    refs.append(src)
                spec.append((1 + next(i for i, r in enumerate(refs) if r is src), j))
            if sum(1 for d in spec if d == -1) > 1:
                raise ValueError("reshape shape has more than one -1")
            return reshape_spec(x, tuple(spec), refs, name=name)
    dims = [int(getattr(d, "value", d)) if d is not None else -1 for d in
            (shape if isinstance(shape, (list, tuple)) else [shape])]
    if sum(1 for d in dims if d == -1) > 1:
        raise ValueError(f"reshape shape {dims} has more than one -1")
    if any(d < -1 for d in dims):
        raise ValueError(f"reshape shape {dims} has a negative dim")
    return reshape_spec(x, tuple(dims), name=name)


@rank_polymorphic(_first_float)
def transpose(a: TensorLike, perm: Sequence[int] | np.ndarray | None = None, name: str | None = None,
              conjugate: bool = False) -> Tensor:
    """Permute dims (reverse them when ``perm`` is None)."""
    x = convert_to_tensor(a)
    if perm is None:
        if x.shape.rank is None:
            raise ValueError("transpose without perm needs a known rank")
        perm = list(range(x.shape.rank))[::-1]
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(len(perm))) and x.shape.rank == len(perm):
        return x
    return make(Op.TRANSPOSE, [x], TransposeAttrs(perm), name=name or "transpose")


def shape(input: TensorLike, name: str | None = None, out_type: DTypeLike = _dt.int32) -> Tensor:  # noqa: A002
    """The run-time shape of ``input`` as a 1-D int32 tensor."""
    x = convert_to_tensor(input)
    return make(Op.SHAPE, [x], ShapeAttrs(_dt.as_dtype(out_type)), name=name or "Shape")


def size(input: TensorLike, name: str | None = None, out_type: DTypeLike = _dt.int32) -> Tensor:  # noqa: A002
    """Number of elements of ``input`` (an int32 scalar)."""
    return reduce_prod(shape(input, out_type=out_type), name=name or "Size")


def rank(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    x = convert_to_tensor(input)
    if x.shape.rank is None:  # known once the program is specialised for the fed rank
        return reduce_sum(shape(shape(x)), name=name or "Rank")
    return constant(x.shape.rank, dtype=_dt.int32, name=name or "Rank")


def _spec_of(x: Tensor) -> list[SpecItem]:
    if x.shape.rank is None:
        raise ValueError(f"{x.name} needs a known rank here")
    return [d if d is not None else (0, j) for j, d in enumerate(x.shape.dims)]  # type: ignore[misc, union-attr]


@rank_polymorphic(_first_float)
def expand_dims(input: TensorLike, axis: int, name: str | None = None) -> Tensor:  # noqa: A002
    """Insert a dim of size 1 at ``axis`` (negative counts from the end of the result)."""
    x = convert_to_tensor(input)
    spec = _spec_of(x)
    rank_out = len(spec) + 1
    if not -rank_out <= axis < rank_out:
        raise ValueError(f"expand_dims axis {axis} is out of range for a result of rank {rank_out}")
    spec.insert(axis % rank_out, 1)
    return reshape_spec(x, tuple(spec), name=name or "ExpandDims")


@rank_polymorphic(_first_float)
def squeeze(input: TensorLike, axis: int | Sequence[int] | None = None, name: str | None = None,  # noqa: A002
            squeeze_dims: int | Sequence[int] | None = None) -> Tensor:
    """Remove dims of size 1 (only those in ``axis`` when given)."""
    x = convert_to_tensor(input)
    if axis is None:
        axis = squeeze_dims
    spec = _spec_of(x)
    rank_in = len(spec)
    if axis is None:
        drop = {i for i, d in enumerate(x.shape.dims) if d == 1}  # type: ignore[union-attr]
    else:
        axes = [axis] if isinstance(axis, int) else list(axis)
        drop = set()
        for a in axes:
            if not -rank_in <= a < rank_in:
                raise ValueError(f"squeeze axis {a} is out of range for {x.name} of shape {x.shape}")
            d = x.shape.dims[a % rank_in]  # type: ignore[index]
            if d is not None and d != 1:
                raise ValueError(f"cannot squeeze axis {a} of {x.name}: its size is {d}, not 1")
            drop.add(a % rank_in)
    return reshape_spec(x, tuple(s for i, s in enumerate(spec) if i not in drop), name=name or "Squeeze")

