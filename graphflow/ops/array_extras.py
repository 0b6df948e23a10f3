"""More TF1 data movement, all compositions: reverse_sequence, matrix_diag / matrix_diag_part /
matrix_set_diag, matrix_triangular_solve, invert_permutation, setdiff1d, roll, repeat,
searchsorted, bincount, space_to_depth / depth_to_space, tensor_scatter_*, dynamic_partition /
dynamic_stitch, batch_gather, unravel_index, cross, broadcast shapes, clip_by_average_norm."""
from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape, broadcast_shapes
from graphflow.core.types import DTypeLike, ShapeLike, TensorLike
from graphflow.ops import array_ops as A
from graphflow.ops import elementwise_ops as M
from graphflow.ops import index_ops as I
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops._build import make
from graphflow.ops.slice_ops import known_rank, norm_axis, static_ints
from graphflow.ops.solve_ops import matrix_band_part, matrix_solve


def reverse_sequence(input: TensorLike, seq_lengths: TensorLike, seq_axis: int | None = None,  # noqa: A002
                     batch_axis: int | None = None,
                     name: str | None = None, seq_dim: int | None = None, batch_dim: int | None = None) -> Tensor:
    """Reverse the first ``seq_lengths[b]`` entries along ``seq_axis`` of each batch entry b."""
    x = convert_to_tensor(input)
    r = known_rank(x.shape, "reverse_sequence")
    sa = norm_axis(seq_axis if seq_axis is not None else (seq_dim if seq_dim is not None else 1), r, "reverse_sequence")
    ba = norm_axis(batch_axis if batch_axis is not None else (batch_dim if batch_dim is not None else 0), r,
                   "reverse_sequence")
    if sa == ba:
        raise ValueError("reverse_sequence: seq_axis and batch_axis must differ")
    lengths = M.cast(convert_to_tensor(seq_lengths), _dt.int32)
    perm = [ba, sa] + [j for j in range(r) if j not in (ba, sa)]
    moved = S.transpose(x, perm) if perm != list(range(r)) else x  # [batch, time, ...]
    t = ST.range(I._dim(moved, 1))
    lens = S.expand_dims(lengths, 1)
    idx = M.where(t[None, :] < lens, lens - 1 - t[None, :], t[None, :] + lens * 0)  # [batch, time]
    out = A.gather(moved, idx, axis=1, batch_dims=1)
    inv = list(np.argsort(perm))
    res = S.transpose(out, inv) if perm != list(range(r)) else out
    res.set_shape(x.shape)
    return ST.add_name(res, name)


def matrix_diag(diagonal: TensorLike, name: str | None = None) -> Tensor:
    """Batched diagonal matrices ``[..., n, n]`` from ``[..., n]``."""
    d = convert_to_tensor(diagonal)
    n = I._dim(d, -1)
    eye = M.cast(M.equal(S.expand_dims(ST.range(n), 1), S.expand_dims(ST.range(n), 0)), d.dtype)
    return ST.add_name(S.expand_dims(d, -1) * eye, name)


def matrix_diag_part(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The main diagonals ``[..., min(m, n)]`` of ``[..., m, n]``."""
    x = convert_to_tensor(input)
    known_rank(x.shape, "matrix_diag_part")
    m, n = x.shape.as_list()[-2:]
    if m is None or n is None:
        raise ValueError(f"matrix_diag_part needs static matrix dims, got {x.shape}")
    k = min(m, n)
    mask = np.eye(m, n, dtype=bool)
    picked = R.reduce_sum(M.where(ST.constant(mask), x, ST.zeros_like(x)), axis=-1)
    return ST.add_name(picked[..., :k] if m > k else picked, name)


def matrix_set_diag(input: TensorLike, diagonal: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    x = convert_to_tensor(input)
    d = convert_to_tensor(diagonal, dtype=x.dtype)
    m, n = x.shape.as_list()[-2:]
    if m is None or n is None:
        raise ValueError(f"matrix_set_diag needs static matrix dims, got {x.shape}")
    k = min(m, n)
    mask = ST.constant(np.eye(m, n, dtype=bool))
    full = S.expand_dims(A.pad(d, [[0, 0]] * (d.shape.rank - 1) + [[0, max(m - k, 0)]]) if m > k else d, -1) * \
        ST.ones([m, n], x.dtype)
    return M.where(mask, full, x, name=name)


def matrix_triangular_solve(matrix: TensorLike, rhs: TensorLike, lower: bool = True, adjoint: bool = False,
                            name: str | None = None) -> Tensor:
    """Solve with the lower (or upper) triangle of ``matrix``; the other triangle is ignored."""
    a = convert_to_tensor(matrix)
    tri = matrix_band_part(a, -1, 0) if lower else matrix_band_part(a, 0, -1)
    return matrix_solve(tri, rhs, adjoint=adjoint, name=name)


def invert_permutation(x: TensorLike, name: str | None = None) -> Tensor:
    """``y[x[i]] = i``."""
    p = convert_to_tensor(x)
    return I.scatter_nd(S.expand_dims(p, 1), M.cast(ST.range(I._dim(p, 0)), p.dtype), S.shape(p, out_type=p.dtype),
                        name=name)


def setdiff1d(x: TensorLike, y: TensorLike, index_dtype: DTypeLike = _dt.int32,
              name: str | None = None) -> tuple[Tensor, Tensor]:
    """(values of x not in y, in order, and their indices in x)."""
    a, b = convert_to_tensor(x), convert_to_tensor(y)
    keep = M.logical_not(R.reduce_any(M.equal(S.expand_dims(a, 1), S.expand_dims(b, 0)), axis=1))
    idx = M.cast(ST.range(I._dim(a, 0)), index_dtype)
    return A.boolean_mask(a, keep, name=name or "setdiff1d"), A.boolean_mask(idx, keep)


def roll(input: TensorLike, shift: TensorLike, axis: int | Sequence[int] | Tensor,  # noqa: A002
         name: str | None = None) -> Tensor:
    """Shift entries along ``axis`` (static shifts), wrapping around."""
    x = convert_to_tensor(input)
    r = known_rank(x.shape, "roll")
    shifts = static_ints(shift, "roll shift")
    axes = static_ints(axis, "roll axis")
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shifts} and axis {axes} must have the same length")
    out = x
    for s, a in zip(shifts, axes):
        a = norm_axis(a, r, "roll")
        n = out.shape.as_list()[a]
        if n is None:
            raise ValueError(f"roll needs a static size along axis {a}, got {out.shape}")
        s %= max(n, 1)
        if s:
            pre = (builtins.slice(None),) * a
            out = A.concat([out[pre + (builtins.slice(n - s, None),)], out[pre + (builtins.slice(0, n - s),)]], a)
    return ST.add_name(out, name)


def repeat(input: TensorLike, repeats: TensorLike, axis: int | None = None,  # noqa: A002
           name: str | None = None) -> Tensor:
    """Each entry along ``axis`` repeated ``repeats`` times (an int, or one static count per entry);
    ``axis`` None repeats the flattened input."""
    x = convert_to_tensor(input)
    if axis is None:
        x, axis = S.reshape(x, [-1]), 0
    r = known_rank(x.shape, "repeat")
    a = norm_axis(axis, r, "repeat")
    n = x.shape.as_list()[a]
    counts = static_ints(repeats, "repeat repeats")
    if n is None:
        raise ValueError(f"repeat needs a static size along axis {a}, got {x.shape}")
    counts = counts * n if len(counts) == 1 else counts
    if len(counts) != n:
        raise ValueError(f"repeat: {len(counts)} counts for {n} entries")
    idx = np.repeat(np.arange(n), counts).astype(np.int32)
    return A.gather(x, ST.constant(idx), axis=a, name=name or "Repeat")


def searchsorted(sorted_sequence: TensorLike, values: TensorLike, side: str = "left", out_type: DTypeLike = _dt.int32,
                 name: str | None = None) -> Tensor:
    """For each value of each row, the insertion index into that row of ``sorted_sequence``."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted side must be 'left' or 'right', got {side!r}")
    s, v = convert_to_tensor(sorted_sequence), convert_to_tensor(values)
    cmp = M.less if side == "left" else M.less_equal
    below = cmp(S.expand_dims(s, -2), S.expand_dims(v, -1))  # [..., m, n]: s[j] < v[i]
    return R.reduce_sum(M.cast(below, out_type), axis=-1, name=name or "SearchSorted")


def bincount(arr: TensorLike, weights: TensorLike | None = None, minlength: int | None = None,
             maxlength: int | None = None, dtype: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """How often each value 0..max occurs in ``arr`` (weighted sums with ``weights``)."""
    x = S.reshape(M.cast(convert_to_tensor(arr), _dt.int32), [-1])
    size = R.reduce_max(x) + 1 if x.shape.as_list()[0] != 0 else ST.constant(0)
    if minlength is not None:
        size = M.maximum(size, int(minlength))
    if maxlength is not None:
        size = M.minimum(size, int(maxlength))
        x = M.minimum(x, size)  # values at or beyond maxlength are dropped (scattered past the end)
    w = ST.ones_like(x) if weights is None else S.reshape(convert_to_tensor(weights), [-1])
    vals = M.cast(w, dtype if weights is None else w.dtype)
    padded = I.unsorted_segment_sum(vals, x, size + (0 if maxlength is None else 1))
    return ST.add_name(padded[:size] if maxlength is not None else padded, name)


def space_to_depth(input: TensorLike, block_size: int, name: str | None = None,  # noqa: A002
                   data_format: str = "NHWC") -> Tensor:
    """Move ``block_size x block_size`` spatial blocks into channels (NHWC)."""
    if data_format != "NHWC":
        raise ValueError(f"space_to_depth supports NHWC, got {data_format!r}")
    x = convert_to_tensor(input)
    _, h, w, c = x.shape.as_list()
    b = int(block_size)
    if h is None or w is None or c is None or h % b or w % b:
        raise ValueError(f"space_to_depth needs static H, W divisible by {b} and static C, got {x.shape}")
    y = S.reshape(x, [-1, h // b, b, w // b, b, c])
    y = S.transpose(y, [0, 1, 3, 2, 4, 5])
    return S.reshape(y, [-1, h // b, w // b, b * b * c], name=name)


def depth_to_space(input: TensorLike, block_size: int, name: str | None = None,  # noqa: A002
                   data_format: str = "NHWC") -> Tensor:
    """The inverse of space_to_depth."""
    if data_format != "NHWC":
        raise ValueError(f"depth_to_space supports NHWC, got {data_format!r}")
    x = convert_to_tensor(input)
    _, h, w, c = x.shape.as_list()
    b = int(block_size)
    if h is None or w is None or c is None or c % (b * b):
        raise ValueError(f"depth_to_space needs static H, W and C divisible by {b * b}, got {x.shape}")
    y = S.reshape(x, [-1, h, w, b, b, c // (b * b)])
    y = S.transpose(y, [0, 1, 3, 2, 4, 5])
    return S.reshape(y, [-1, h * b, w * b, c // (b * b)], name=name)


def _tensor_scatter(kind: str, tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                    name: str | None) -> Tensor:
    t = convert_to_tensor(tensor)
    u = convert_to_tensor(updates, dtype=t.dtype)
    idx = convert_to_tensor(indices)
    placed = make(Op.SCATTER_ND_ADD, [u, idx, ST.zeros_like(t)], name="TensorScatter")
    if kind == "add":
        return M.add(t, placed, name=name)
    if kind == "sub":
        return M.subtract(t, placed, name=name)
    hits = make(Op.SCATTER_ND_ADD, [ST.ones_like(u), idx, ST.zeros_like(t)], name="TensorScatterHits")
    return M.where(M.greater(hits, M.zeros_like_scalar(hits)), placed, t, name=name)


def tensor_scatter_nd_update(tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                             name: str | None = None) -> Tensor:
    """A copy of ``tensor`` with ``updates`` at ``indices`` (the tensor itself is not changed)."""
    return _tensor_scatter("update", tensor, indices, updates, name)


def tensor_scatter_nd_add(tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    return _tensor_scatter("add", tensor, indices, updates, name)


def tensor_scatter_nd_sub(tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    return _tensor_scatter("sub", tensor, indices, updates, name)


def dynamic_partition(data: TensorLike, partitions: TensorLike, num_partitions: int,
                      name: str | None = None) -> list[Tensor]:
    """``[data[partitions == k] for k]``."""
    d = convert_to_tensor(data)
    p = convert_to_tensor(partitions)
    return [A.boolean_mask(d, M.equal(p, k)) for k in range(int(num_partitions))]


def dynamic_stitch(indices: Sequence[TensorLike], data: Sequence[TensorLike], name: str | None = None) -> Tensor:
    """``merged[indices[m][i]] = data[m][i]`` (later pieces win where indices repeat)."""
    idx = [S.reshape(M.cast(convert_to_tensor(i), _dt.int32), [-1]) for i in indices]
    ds = [convert_to_tensor(x) for x in data]
    flat_i = A.concat(idx, 0)
    tail = ds[0].shape.as_list()[convert_to_tensor(indices[0]).shape.rank:]
    flat_d = A.concat([S.reshape(x, [-1] + tail) for x in ds], 0)
    n = R.reduce_max(flat_i) + 1
    order = ST.range(I._dim(flat_i, 0))
    # the last occurrence of each index wins: keep an entry only if no later entry has its index
    later = M.logical_and(M.equal(S.expand_dims(flat_i, 1), S.expand_dims(flat_i, 0)),
                          M.less(S.expand_dims(order, 1), S.expand_dims(order, 0)))
    keep = M.logical_not(R.reduce_any(later, axis=1))
    out = I.unsorted_segment_sum(A.boolean_mask(flat_d, keep), A.boolean_mask(flat_i, keep), n)
    return ST.add_name(out, name)


def batch_gather(params: TensorLike, indices: TensorLike, name: str | None = None) -> Tensor:
    i = convert_to_tensor(indices)
    return A.gather(params, i, axis=i.shape.rank - 1 if i.shape.rank else 0, batch_dims=(i.shape.rank or 1) - 1,
                    name=name or "batch_gather")


def unravel_index(indices: TensorLike, dims: TensorLike, name: str | None = None) -> Tensor:
    """The coordinates ``[len(dims), ...]`` of flat ``indices`` in an array of shape ``dims``."""
    i = convert_to_tensor(indices)
    ds = static_ints(dims, "unravel_index dims")
    out, rest = [], i
    for d in reversed(ds):
        out.append(M.floormod(rest, d))
        rest = M.floordiv(rest, d)
    return A.stack(out[::-1], name=name or "UnravelIndex")


def cross(a: TensorLike, b: TensorLike, name: str | None = None) -> Tensor:
    """The cross products of 3-vectors along the last dim."""
    x, y = convert_to_tensor(a), convert_to_tensor(b)
    x0, x1, x2 = x[..., 0], x[..., 1], x[..., 2]
    y0, y1, y2 = y[..., 0], y[..., 1], y[..., 2]
    return A.stack([x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0], axis=-1, name=name)


def broadcast_static_shape(shape_x: ShapeLike, shape_y: ShapeLike) -> TensorShape:
    out = broadcast_shapes([TensorShape(shape_x), TensorShape(shape_y)])
    if out is None:
        raise ValueError(f"Incompatible shapes for broadcasting: {shape_x} and {shape_y}")
    return out


def broadcast_dynamic_shape(shape_x: TensorLike, shape_y: TensorLike) -> Tensor:
    sx, sy = convert_to_tensor(shape_x), convert_to_tensor(shape_y)
    both = M.logical_or(ST.zeros(sx, _dt.bool_), ST.zeros(sy, _dt.bool_))  # broadcasting does the work
    return S.shape(both, out_type=sx.dtype)


def clip_by_average_norm(t: TensorLike, clip_norm: TensorLike, name: str | None = None) -> Tensor:
    """``t * clip_norm / max(l2norm(t) / size(t), clip_norm)``."""
    x = convert_to_tensor(t)
    avg = M.sqrt(R.reduce_sum(x * x)) / M.cast(S.size(x), x.dtype)
    c = convert_to_tensor(clip_norm, dtype=x.dtype)
    return M.multiply(x, c / M.maximum(avg, c), name=name)
