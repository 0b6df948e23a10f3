"""Shape-like arguments computed at run time: tile multiples, pad paddings, slice and
strided_slice bounds, split sizes, eye sizes and band_part bounds, as TF1 takes them.

The primitives (TILE, PAD, SLICE, ...) take these arguments as attributes when they are known
while the graph is built, which is what lets the compiler fuse and specialise them. So each
public function here first folds its arguments (constants, static dims, arithmetic on them:
``tf.shape(x)[1]`` for a static dim 1 is 3); only what stays unknown takes the run-time form,
built from primitives whose sizes are already run-time values (broadcast_to, reshape, fill,
concat, gather, SLICE's value bounds), so gradients, both targets and GraphDef export follow.
Static parts of the result shape are kept. Arguments that are axes live in run_time_axes.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import linalg_ops as L
from graphflow.ops import reduce_ops as RO
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import slice_ops as SL
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat, stack

__all__ = ["folded", "int_entries", "pad", "slice", "split", "strided_slice", "tile"]

Entry = int | Tensor  # a static int, or an int32 scalar known at run time


def folded(v: object) -> list[int] | None:
    """The ints of a shape-like argument (flattened) when they follow from constants and static
    shapes, else None.

    >>> import graphflow as gf
    >>> folded([gf.shape(gf.zeros((2, 3)))[1], 4])
    [3, 4]
    """
    if v is None:
        return None
    if isinstance(v, Tensor):
        value = static_value(v)
        return None if value is None else [int(a) for a in np.asarray(value).reshape(-1)]
    if isinstance(v, (list, tuple)):
        out: list[int] = []
        for e in v:
            f = folded(e)
            if f is None:
                return None
            out += f
        return out
    return [int(a) for a in np.asarray(v).reshape(-1)]


def int_entries(v: object, count: int | None, what: str) -> list[Entry]:
    """A 1-D shape-like argument as ``count`` entries (None: as many as it has, which must be
    static), each a static int where it folds, else an int32 scalar tensor."""
    if isinstance(v, (list, tuple)):
        items: list[Entry] = []
        for e in v:
            if isinstance(e, Tensor):
                if e.shape.rank not in (0, None):
                    raise ValueError(f"{what}: entries must be scalars, got {e.name} of shape {e.shape}")
                f = folded(e)
                items.append(f[0] if f is not None else _int32(e, what))
            else:
                items.append(int(getattr(e, "value", e)))
    else:
        t = convert_to_tensor(v)
        if t.shape.rank != 1 or t.shape.dims[0] is None:  # type: ignore[index]
            raise ValueError(f"{what} must be a vector of static length, got {t.name} of shape {t.shape}")
        f = folded(t)
        t32 = _int32(t, what)
        items = list(f) if f is not None else [t32[j] for j in range(t.shape.dims[0])]  # type: ignore[index]
    if count is not None and len(items) != count:
        raise ValueError(f"{what} needs {count} entries (one per dim), got {len(items)}")
    return items


def _int32(t: Tensor, what: str) -> Tensor:
    if not t.dtype.is_integer:
        raise TypeError(f"{what} must be int32 or int64, got {t.dtype.name} ({t.name})")
    return t if t.dtype == _dt.int32 else E.cast(t, _dt.int32)


def dims_of(x: Tensor) -> list[Entry]:
    """``x``'s dims: static ints where known, else its run-time dim."""
    shape = S.shape(x)
    return [d if d is not None else shape[j] for j, d in enumerate(x.shape.as_list())]


def as_vector(entries: Sequence[Entry]) -> Tensor:
    """Entries stacked as an int32 vector (what reshape, fill and broadcast_to take)."""
    return stack([e if isinstance(e, Tensor) else ST.constant(e, dtype=_dt.int32) for e in entries])


def _static(e: Entry) -> int | None:
    return e if isinstance(e, int) else None


def _keep_static(y: Tensor, dims: Sequence[int | None]) -> Tensor:
    y.set_shape(TensorShape(list(dims)))
    return y


def _mul(a: Entry, b: Entry) -> Entry:
    return a * b if isinstance(a, int) and isinstance(b, int) else E.multiply(a, b)  # type: ignore[arg-type]


def _add(a: Entry, b: Entry) -> Entry:
    return a + b if isinstance(a, int) and isinstance(b, int) else E.add(a, b)  # type: ignore[arg-type]


# ---- tile and pad --------------------------------------------------------------------------------

def _checked(condition: Tensor, message: list[Any]) -> Any:
    """A scope whose nodes wait for ``Assert(condition, message)``."""
    return get_default_graph().control_dependencies([C.Assert(condition, message)])


def tile(input: TensorLike, multiples: TensorLike, name: str | None = "Tile") -> Tensor:  # noqa: A002
    """Repeat ``input`` ``multiples[j]`` times along each dim j; ``multiples`` may be computed at
    run time (``[tf.shape(y)[0], 1]``).

    >>> import graphflow as gf
    >>> gf.tile(gf.zeros((2, 3)), [2, 1]).shape.as_list()
    [4, 3]
    """
    f = folded(multiples)
    if f is not None:
        return A.tile(input, f, name=name)
    x = convert_to_tensor(input)
    r = SL.known_rank(x.shape, "tile")
    mult = int_entries(multiples, r, "tile multiples")
    dims = dims_of(x)
    # [d0, d1, ...] -> [1, d0, 1, d1, ...] -> broadcast to [m0, d0, m1, d1, ...] -> [m0 d0, m1 d1, ...]
    with _checked(R.reduce_all(E.greater_equal(as_vector(mult), 0)),
                  [f"tile multiples must be non-negative (Tile of {x.name}), got", as_vector(mult)]):
        spread = S.reshape(x, as_vector([e for d in dims for e in (1, d)]))
    wide = RO.broadcast_to(spread, as_vector([e for m, d in zip(mult, dims) for e in (m, d)]))
    out = S.reshape(wide, as_vector([_mul(m, d) for m, d in zip(mult, dims)]), name=name)
    return _keep_static(out, [_static(_mul(m, d)) for m, d in zip(mult, dims)])


def pad(tensor: TensorLike, paddings: TensorLike, mode: str = "CONSTANT", name: str | None = "Pad",
        constant_values: TensorLike = 0) -> Tensor:
    """Pad each dim j with ``paddings[j] = (before, after)`` entries: copies of
    ``constant_values`` or, for REFLECT and SYMMETRIC, the mirrored edge. Paddings and the
    constant may be computed at run time.

    >>> import graphflow as gf
    >>> gf.pad(gf.zeros((2, 3)), [[1, 1], [0, 2]]).shape.as_list()
    [4, 5]
    """
    f = folded(paddings)
    cv_static = not isinstance(constant_values, Tensor) or folded(constant_values) is not None
    if f is not None and cv_static:
        cv = constant_values if not isinstance(constant_values, Tensor) else static_value(constant_values)
        return A.pad(tensor, f, mode=mode, name=name, constant_values=cv)  # type: ignore[arg-type]
    x = convert_to_tensor(tensor)
    r = SL.known_rank(x.shape, "pad")
    kind = mode.upper()
    if kind not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f"pad mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC', got {mode!r}")
    flat = int_entries(_flat_pairs(paddings), 2 * r, f"pad paddings of {x.name} (a [{r}, 2] matrix)")
    pairs = [(flat[2 * j], flat[2 * j + 1]) for j in range(r)]
    with _checked(R.reduce_all(E.greater_equal(as_vector(flat), 0)),
                  [f"paddings must be non-negative (Pad of {x.name}), got", as_vector(flat)]):
        out = E.identity(x) if kind != "CONSTANT" else x
    value = E.cast(convert_to_tensor(constant_values), x.dtype) if kind == "CONSTANT" else None
    for j, (before, after) in enumerate(pairs):
        if before == 0 and after == 0:
            continue
        if value is not None:
            out = _pad_constant(out, j, before, after, value)
        else:
            out = _pad_mirror(out, j, before, after, kind == "REFLECT")
    static = [d + b + a if all(isinstance(v, int) for v in (d, b, a)) else None  # type: ignore[operator]
              for d, (b, a) in zip(x.shape.as_list(), pairs)]
    return _keep_static(E.identity(out, name=name) if name else out, static)


def _flat_pairs(paddings: object) -> object:
    if isinstance(paddings, (list, tuple)):
        return [e for pair in paddings for e in (pair if isinstance(pair, (list, tuple)) else [pair])]
    t = convert_to_tensor(paddings)
    return S.reshape(t, [-1]) if t.shape.rank == 2 else t


def _pad_constant(x: Tensor, j: int, before: Entry, after: Entry, value: Tensor) -> Tensor:
    dims = dims_of(x)
    parts = []
    for n in (before, after):
        if n == 0:
            parts.append(None)
            continue
        block = list(dims)
        block[j] = n
        parts.append(ST.fill(as_vector(block), value))
    pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
    return concat(pieces, j)


def _pad_mirror(x: Tensor, j: int, before: Entry, after: Entry, reflect: bool) -> Tensor:
    """Gather along dim j at the mirrored positions of -before .. n + after - 1."""
    n = dims_of(x)[j]
    edge = 1 if reflect else 0
    limit = _add(n, -edge)
    ok = E.logical_and(E.less_equal(before, limit), E.less_equal(after, limit))
    with _checked(ok, [f"pad: {'REFLECT' if reflect else 'SYMMETRIC'} paddings of dim {j} of {x.name} must be "
                       f"at most its size{' - 1' if reflect else ''}; got before, after, size", before, after, n]):
        pos = E.subtract(ST.range(_add(_add(n, before), after)), before)
    # REFLECT: -p -> p and n - 1 + p -> n - 1 - p; SYMMETRIC: -p -> p - 1 and n - 1 + p -> n - p
    last = E.subtract(E.cast(convert_to_tensor(n), _dt.int32), 1)
    low = E.where(E.less(pos, 0), E.subtract(E.negative(pos), 1 - edge), pos)
    high = E.where(E.greater(low, last), E.add(E.subtract(E.add(last, last), low), 1 - edge), low)
    return A.gather(x, high, axis=j)


# ---- slices --------------------------------------------------------------------------------------

def slice(input_: TensorLike, begin: TensorLike, size: TensorLike,  # noqa: A001 - the TF1 name
          name: str | None = None) -> Tensor:
    """``input_[begin[i] : begin[i] + size[i]]`` per dim (size -1: to the end), TF1's
    ``tf.slice``; begin and size may be computed at run time. The bounds must lie inside the
    tensor (checked when the graph is built where they are known, when it runs otherwise).

    >>> import graphflow as gf
    >>> gf.slice(gf.zeros([4, 3]), [1, 0], [2, -1]).shape.as_list()
    [2, 3]
    """
    fb, fs = folded(begin), folded(size)
    if fb is not None and fs is not None:
        return SL.slice(input_, fb, fs, name=name)
    x = convert_to_tensor(input_)
    r = SL.known_rank(x.shape, "slice")
    b = int_entries(begin, r, "slice begin")
    s = int_entries(size, r, "slice size")
    refs: list[Tensor] = []
    starts: list[SL.Bound] = []
    ends: list[SL.Bound] = []
    dims = dims_of(x)
    for j in range(r):
        if isinstance(s[j], int) and s[j] < -1:
            raise ValueError(f"Expected size[{j}] >= -1 (-1: to the end of the dim), but got {s[j]}")
        starts.append(_bound(b[j], refs))
        if isinstance(s[j], int) and s[j] == -1:
            ends.append(None)
        elif isinstance(s[j], int) and isinstance(b[j], int):
            ends.append(b[j] + s[j])
        else:  # a run-time size of -1 still means the end of the dim
            end = E.where(E.equal(s[j], -1), dims[j], E.add(b[j], s[j])) if not isinstance(s[j], int) else \
                E.add(b[j], s[j])
            ends.append(_bound(end, refs))
    out = SL.slice_node(x, starts, ends, [1] * r, (), refs=refs, name=name or "Slice", exact=True)
    return _keep_static(out, [sj if isinstance(sj, int) and sj >= 0 else None for sj in s])


def _bound(e: Entry | Tensor, refs: list[Tensor]) -> SL.Bound:
    if isinstance(e, int):
        return e
    refs.append(_int32(e, "a slice bound"))
    return SL.ValueOf(len(refs) - 1)


def strided_slice(input_: TensorLike, begin: TensorLike, end: TensorLike, strides: TensorLike | None = None,
                  begin_mask: int = 0, end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: object = None, name: str | None = None) -> Tensor:
    """``input_[begin[0]:end[0]:strides[0], ...]`` with TF1's masks (see slice_ops); begin and end
    may be computed at run time, strides must be known when the graph is built.

    >>> import graphflow as gf
    >>> gf.strided_slice(gf.zeros([4, 3]), [1, 0], [3, 2], shrink_axis_mask=2).shape.as_list()
    [2]
    """
    fb, fe = folded(begin), folded(end)
    fs = folded(strides) if strides is not None else None
    if strides is not None and fs is None:
        raise TypeError(f"strided_slice strides must be known when the graph is built (the compiled loops step by "
                        f"them); {getattr(strides, 'name', strides)} is computed at run time")
    if fb is not None and fe is not None:
        return SL.strided_slice(input_, fb, fe, fs, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                                shrink_axis_mask, var, name)
    x = convert_to_tensor(input_)
    b = int_entries(begin, None, "strided_slice begin")
    e = int_entries(end, len(b), "strided_slice end")
    st = fs if fs is not None else [1] * len(b)
    if len(st) != len(b):
        raise ValueError(f"strided_slice: begin, end and strides must have the same length, got {len(b)} and {len(st)}")
    key = SL.masked_key(b, e, st, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    return SL.index(x, key, name or "strided_slice")


def split(value: TensorLike, num_or_size_splits: int | Sequence[int] | Tensor, axis: int | Tensor = 0,
          num: int | None = None, name: str | None = "split") -> list[Tensor]:
    """Split along ``axis`` into equal parts (an int) or parts of the given sizes (one may be -1);
    the sizes may be computed at run time (their count is the number of parts).

    >>> import graphflow as gf
    >>> [p.shape.as_list() for p in gf.split(gf.zeros((4, 6)), [1, 5], axis=1)]
    [[4, 1], [4, 5]]
    """
    scalar = isinstance(num_or_size_splits, (int, np.integer)) or (
        isinstance(num_or_size_splits, Tensor) and num_or_size_splits.shape.rank == 0)
    f = folded(num_or_size_splits)
    x = convert_to_tensor(value)
    r = SL.known_rank(x.shape, "split")
    ax = SL.norm_axis(SL.static_int(axis, "split axis"), r, "split")
    if scalar or (f is not None and (-1 not in f or x.shape.dims[ax] is not None)):  # type: ignore[index]
        return A.split(x, f if f is not None and not scalar else num_or_size_splits, ax, num, name)
    sizes = int_entries(num_or_size_splits, num, "split sizes")
    d = dims_of(x)[ax]
    vec = as_vector(sizes)
    unknown = R.reduce_sum(E.cast(E.equal(vec, -1), _dt.int32))
    rest = E.subtract(d, E.add(R.reduce_sum(vec), unknown))
    fixed = E.where(E.equal(vec, -1), rest, vec)
    valid = E.logical_and(E.equal(R.reduce_sum(fixed), d), R.reduce_all(E.greater_equal(fixed, 0)))
    with _checked(E.logical_and(E.less_equal(unknown, 1), valid),
                  [f"split sizes must be non-negative (at most one -1) and add up to dim {ax} of "
                   f"{x.name}; got sizes", vec, "for a dim of", d]):
        offsets = L.cumsum(fixed, exclusive=True)
    outs = []
    for k in range(len(sizes)):
        refs: list[Tensor] = []
        begin: list[SL.Bound] = [None] * r
        end: list[SL.Bound] = [None] * r
        begin[ax] = _bound(offsets[k], refs)
        end[ax] = _bound(E.add(offsets[k], fixed[k]), refs)
        piece = SL.slice_node(x, begin, end, [1] * r, (), refs=refs, name=name)
        static = x.shape.as_list()
        static[ax] = sizes[k] if isinstance(sizes[k], int) and sizes[k] >= 0 else None
        outs.append(_keep_static(piece, static))
    return outs
