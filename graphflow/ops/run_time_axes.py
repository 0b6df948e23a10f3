"""Axes computed at run time: transpose perms, reduction axes, the axis of argmax, cumsum,
cumprod, reverse, roll, gather, concat, expand_dims and split, as TF1 takes them.

The compiled kernels loop over axes fixed when the graph is built, so an axis argument is first
folded (``tf.rank(x) - 1`` for a known rank is a constant). One that stays unknown is handled by
moving data: ``permute`` transposes by a run-time perm as a gather at computed flat positions,
which brings the axes in question to fixed places (the end for a reduction, the front for a
gather or concat) where the static form applies, and moves the result back. The result keeps
its static rank; its dims are known at run time.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import cumulative_ops as CU
from graphflow.ops import elementwise_ops as E
from graphflow.ops import index_ops as I
from graphflow.ops import linalg_ops as L
from graphflow.ops import reduce_ops as RO
from graphflow.ops import reductions as R
from graphflow.ops import run_time_args as RA
from graphflow.ops import shape_ops as S
from graphflow.ops import slice_ops as SL
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat as _concat
from graphflow.ops.run_time_args import _checked, as_vector, folded

__all__ = ["argmax", "argmin", "concat", "cumprod", "cumsum", "expand_dims", "gather", "permute", "reduction",
           "reverse", "roll", "split", "transpose"]


def run_time(v: object) -> bool:
    """Whether an axis-like argument is a tensor whose value is not known when the graph is built."""
    if isinstance(v, (list, tuple)):
        return any(run_time(e) for e in v)
    return isinstance(v, Tensor) and folded(v) is None


def _axes_vector(axis: object, rank: int, what: str, extra: int = 0) -> Tensor:
    """``axis`` (a scalar or a vector) as an int32 vector of non-negative axes of a rank
    ``rank + extra`` result, checked to lie in [-(rank + extra), rank + extra) when run."""
    if isinstance(axis, (list, tuple)):
        t = as_vector([e if isinstance(e, Tensor) else int(e) for e in axis])
    else:
        t = convert_to_tensor(axis)
        if not t.dtype.is_integer:
            raise TypeError(f"{what} must be int32 or int64, got {t.dtype.name} ({t.name})")
        t = E.cast(t, _dt.int32)
        t = S.reshape(t, [-1]) if t.shape.rank == 0 else t
    n = rank + extra
    with _checked(R.reduce_all(E.logical_and(E.greater_equal(t, -n), E.less(t, n))),
                  [f"{what} must lie in [{-n}, {n}) for an input of rank {rank}; got", t]):
        return E.where(E.less(t, 0), E.add(t, n), t)


def _flat_positions(out_dims: Tensor, count: int) -> list[Tensor]:
    """Per result dim k, the index along k of each element of a row-major result of
    ``out_dims`` (a run-time int32 vector of length ``count``)."""
    total = R.reduce_prod(out_dims)
    p = ST.range(total)
    strides = CU.cumprod(out_dims, exclusive=True, reverse=True)
    return [E.floormod(E.floordiv(p, strides[k]), out_dims[k]) for k in range(count)]


def _from_positions(x: Tensor, out_dims: Tensor, source: Callable[[list[Tensor]], list[Tensor]]) -> Tensor:
    """The tensor of shape ``out_dims`` whose element at index (i_0, ...) is ``x`` at
    ``source([i_0, ...])`` (one index per dim of ``x``): a gather from ``x`` flattened."""
    r = x.shape.rank
    assert r is not None
    idx = _flat_positions(out_dims, out_dims.shape.dims[0])  # type: ignore[index]
    src = source(idx)
    x_strides = CU.cumprod(S.shape(x), exclusive=True, reverse=True)
    flat = src[0] * x_strides[0]
    for k in range(1, r):
        flat = flat + src[k] * x_strides[k]
    return S.reshape(A.gather(S.reshape(x, [-1]), flat), out_dims)


def permute(x: Tensor, perm: Tensor) -> Tensor:
    """``transpose(x, perm)`` for a perm known only at run time (an int32 vector of x's rank)."""
    r = SL.known_rank(x.shape, "transpose")
    inverse = I.argsort(perm)  # result dim k reads x's dim perm[k]; x's dim j is result dim inverse[j]
    out = _from_positions(x, A.gather(S.shape(x), perm), lambda idx: [A.gather(as_stack(idx), inverse[j])
                                                                      for j in range(r)])
    out.set_shape([None] * r)
    return out


def as_stack(idx: list[Tensor]) -> Tensor:
    return A.stack(idx)


def _valid_perm(perm: Tensor, r: int, what: str) -> Tensor:
    sorted_ = I.sort(perm)
    return _checked(R.reduce_all(E.equal(sorted_, ST.range(r))), [f"{what} must be a permutation of 0..{r - 1}; got",
                                                                  perm])


def transpose(a: TensorLike, perm: Any = None, name: str | None = None, conjugate: bool = False) -> Tensor:
    """Permute dims (reverse them when ``perm`` is None); ``perm`` may be computed at run time.

    >>> import graphflow as gf
    >>> gf.transpose(gf.zeros((2, 3))).shape.as_list()
    [3, 2]
    """
    if not run_time(perm):
        f = folded(perm)
        return S.transpose(a, f if f is not None else perm, name=name, conjugate=conjugate)
    x = convert_to_tensor(a)
    r = SL.known_rank(x.shape, "transpose")
    p = _axes_vector(perm, r, "transpose perm")
    with _valid_perm(p, r, "transpose perm"):
        return E.identity(permute(x, p), name=name or "transpose")


# ---- axes moved to fixed places -----------------------------------------------------------------

def _to_end(axes: Tensor, r: int) -> tuple[Tensor, Tensor]:
    """The perm that keeps the other dims in order and moves ``axes`` (in their order of
    position) to the end, and whether each dim is one of ``axes``."""
    dims = ST.range(r)
    chosen = R.reduce_any(E.equal(S.expand_dims(dims, 1), S.expand_dims(axes, 0)), axis=1)
    key = E.add(dims, E.multiply(E.cast(chosen, _dt.int32), r))  # chosen dims sort after the others
    return I.argsort(key), chosen


def reduction(reduce: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``reduce`` (reduce_sum, ...) taking axes computed at run time as well."""
    def front(input_tensor: TensorLike, axis: Any = None, keepdims: bool | None = None, name: str | None = None,
              reduction_indices: Any = None, keep_dims: bool | None = None) -> Tensor:
        ax = axis if axis is not None else reduction_indices
        keep = bool(keepdims if keepdims is not None else keep_dims)
        if not run_time(ax):
            f = folded(ax) if isinstance(ax, Tensor) or isinstance(ax, (list, tuple)) else ax
            return reduce(input_tensor, axis=f, keepdims=keep, name=name)
        x = convert_to_tensor(input_tensor)
        r = SL.known_rank(x.shape, reduce.__name__)
        axes = _axes_vector(ax, r, f"{reduce.__name__} axis")
        count = axes.shape.dims[0]  # type: ignore[index]
        if count is None:
            raise ValueError(f"{reduce.__name__}: axes computed at run time need a static count (the result's rank), "
                             f"got {axes.name} of shape {axes.shape}")
        perm, chosen = _to_end(axes, r)
        with _checked(E.equal(R.reduce_sum(E.cast(chosen, _dt.int32)), count),
                      [f"{reduce.__name__}: repeated axes in", axes]):
            moved = permute(x, perm)
        y = reduce(moved, axis=list(range(r - count, r)), keepdims=False)
        if keep:
            y = S.reshape(y, E.where(chosen, E.cast(ST.ones([r], _dt.int32), _dt.int32), S.shape(x)))
        return E.identity(y, name=name) if name else y
    front.__name__ = reduce.__name__
    front.__doc__ = (reduce.__doc__ or "") + "\n\n    ``axis`` may be computed at run time."
    return front


def _one_axis(axis: Any, r: int, what: str, extra: int = 0) -> Tensor:
    t = _axes_vector(axis, r, what, extra)
    if t.shape.dims[0] != 1:  # type: ignore[index]
        raise ValueError(f"{what} must be a single axis, got {t.name} of shape {t.shape}")
    return t


def _along_last(fn: Callable[[Tensor], Tensor], x: Tensor, axis: Any, what: str, drop: bool) -> Tensor:
    """``fn`` applied along the last dim after moving ``axis`` there; moved back unless ``drop``
    (``fn`` removed that dim)."""
    r = SL.known_rank(x.shape, what)
    perm, _ = _to_end(_one_axis(axis, r, f"{what} axis"), r)
    y = fn(permute(x, perm))
    return y if drop else permute(y, I.argsort(perm))


def _arg(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def front(input: TensorLike, axis: Any = None, name: str | None = None, dimension: Any = None,  # noqa: A002
              output_type: Any = _dt.int64) -> Tensor:
        ax = axis if axis is not None else dimension
        if not run_time(ax):
            return fn(input, axis=folded(ax)[0] if isinstance(ax, Tensor) else ax, name=name,
                      output_type=output_type)
        x = convert_to_tensor(input)
        y = _along_last(lambda t: fn(t, axis=-1, output_type=output_type), x, ax, fn.__name__, drop=True)
        return E.identity(y, name=name) if name else y
    front.__name__ = fn.__name__
    front.__doc__ = fn.__doc__
    return front


argmax = _arg(RO.argmax)
argmin = _arg(RO.argmin)


def _cumulative(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def front(x: TensorLike, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
              name: str | None = None) -> Tensor:
        if not run_time(axis):
            return fn(x, axis=folded(axis)[0] if isinstance(axis, Tensor) else axis, exclusive=exclusive,
                      reverse=reverse, name=name)
        t = convert_to_tensor(x)
        y = _along_last(lambda v: fn(v, axis=-1, exclusive=exclusive, reverse=reverse), t, axis, fn.__name__,
                        drop=False)
        y.set_shape(t.shape)
        return E.identity(y, name=name) if name else y
    front.__name__ = fn.__name__
    front.__doc__ = fn.__doc__
    return front


cumsum = _cumulative(L.cumsum)
cumprod = _cumulative(CU.cumprod)


def gather(params: TensorLike, indices: TensorLike, validate_indices: bool | None = None, name: str | None = "GatherV2",
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """``params`` gathered at ``indices`` along ``axis`` (see array_ops.gather); ``axis`` may be
    computed at run time (with ``batch_dims`` 0)."""
    if not run_time(axis):
        f = folded(axis)[0] if isinstance(axis, Tensor) else axis
        return A.gather(params, indices, validate_indices, name, f, batch_dims)
    if batch_dims:
        raise ValueError("gather with batch_dims needs an axis known when the graph is built")
    x = convert_to_tensor(params)
    ids = convert_to_tensor(indices)
    r = SL.known_rank(x.shape, "gather")
    q = SL.known_rank(ids.shape, "gather indices")
    a = _one_axis(axis, r, "gather axis")
    dims = ST.range(r)
    front_perm = I.argsort(E.where(E.equal(dims, a), -1, dims))  # axis first, the rest in order
    y = A.gather(permute(x, front_perm), ids, axis=0)  # [indices..., the other dims in order]
    # back: x's dims before the axis, then the index dims, then those after it
    out_rank = r - 1 + q
    k = ST.range(out_rank)
    before = E.less(k, a)
    within = E.logical_and(E.greater_equal(k, a), E.less(k, E.add(a, q)))
    source = E.where(within, E.subtract(k, a), E.where(before, E.add(k, q), k))
    out = permute(y, source)
    return E.identity(out, name=name) if name else out


def concat(values: Any, axis: Any, name: str | None = "concat") -> Tensor:
    """Join ``values`` along ``axis`` (see concat_ops.concat); ``axis`` may be computed at run time."""
    if not run_time(axis):
        return _concat(values, folded(axis)[0] if isinstance(axis, Tensor) else axis, name=name)
    xs = [convert_to_tensor(v) for v in values]
    r = SL.known_rank(xs[0].shape, "concat")
    a = _one_axis(axis, r, "concat axis")
    dims = ST.range(r)
    perm = I.argsort(E.where(E.equal(dims, a), -1, dims))
    joined = _concat([permute(x, perm) for x in xs], 0)
    out = permute(joined, I.argsort(perm))
    return E.identity(out, name=name) if name else out


def expand_dims(input: TensorLike, axis: Any = None, name: str | None = None, dim: Any = None) -> Tensor:  # noqa: A002
    """Insert a dim of size 1 at ``axis`` (negative counts from the end of the result); ``axis``
    may be computed at run time."""
    ax = axis if axis is not None else dim
    if not run_time(ax):
        return S.expand_dims(input, folded(ax)[0] if isinstance(ax, Tensor) else ax, name=name)
    x = convert_to_tensor(input)
    r = SL.known_rank(x.shape, "expand_dims")
    a = _one_axis(ax, r, "expand_dims axis", extra=1)[0]
    k = ST.range(r + 1)
    shape = E.cast(S.shape(x), _dt.int32)
    padded = _concat([shape, ST.ones([1], _dt.int32)], 0)  # index r: the new dim's 1
    pick = E.where(E.less(k, a), k, E.where(E.equal(k, a), r, E.subtract(k, 1)))
    out = S.reshape(x, A.gather(padded, pick), name=name or "ExpandDims")
    out.set_shape([None] * (r + 1))
    return out


def reverse(tensor: TensorLike, axis: Any, name: str | None = None) -> Tensor:
    """Reverse ``tensor`` along each dim in ``axis``; the axes may be computed at run time."""
    if not run_time(axis):
        f = folded(axis)
        return I.reverse(tensor, f if f is not None else axis, name=name)
    x = convert_to_tensor(tensor)
    r = SL.known_rank(x.shape, "reverse")
    axes = _axes_vector(axis, r, "reverse axis")
    flips = R.reduce_any(E.equal(S.expand_dims(ST.range(r), 1), S.expand_dims(axes, 0)), axis=1)
    dims = S.shape(x)
    out = _from_positions(x, dims, lambda idx: [E.where(flips[j], dims[j] - 1 - idx[j], idx[j]) for j in range(r)])
    out.set_shape(x.shape)
    return E.identity(out, name=name) if name else out


def roll(input: TensorLike, shift: TensorLike, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Shift entries along ``axis``, wrapping around; shifts and axes may be computed at run time
    (an axis named twice shifts by the sum)."""
    if not run_time(shift) and not run_time(axis):
        fs, fa = folded(shift), folded(axis)
        return AX.roll(input, fs if fs is not None else shift, fa if fa is not None else axis, name=name)
    x = convert_to_tensor(input)
    r = SL.known_rank(x.shape, "roll")
    axes = _axes_vector(axis, r, "roll axis")
    shifts = E.cast(convert_to_tensor(shift) if not isinstance(shift, (list, tuple)) else as_vector(list(shift)),
                    _dt.int32)
    shifts = S.reshape(shifts, [-1])
    hit = E.cast(E.equal(S.expand_dims(ST.range(r), 1), S.expand_dims(axes, 0)), _dt.int32)  # [r, len(axes)]
    per_dim = R.reduce_sum(hit * S.expand_dims(shifts, 0), axis=1)
    dims = S.shape(x)
    out = _from_positions(x, dims, lambda idx: [E.floormod(idx[j] - per_dim[j], E.maximum(dims[j], 1))
                                                for j in range(r)])
    out.set_shape(x.shape)
    return E.identity(out, name=name) if name else out


def split(value: TensorLike, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
          name: str | None = "split") -> list[Tensor]:
    """Split along ``axis`` (see run_time_args.split); ``axis`` may be computed at run time: it is
    moved to the front, split there, and each part moved back."""
    if not run_time(axis):
        return RA.split(value, num_or_size_splits, folded(axis)[0] if isinstance(axis, Tensor) else axis, num, name)
    x = convert_to_tensor(value)
    r = SL.known_rank(x.shape, "split")
    a = _one_axis(axis, r, "split axis")
    dims = ST.range(r)
    perm = I.argsort(E.where(E.equal(dims, a), -1, dims))
    back = I.argsort(perm)
    return [permute(p, back) for p in RA.split(permute(x, perm), num_or_size_splits, 0, num, name)]
