"""The CUDA target's steps for the primitives beyond fused loops and the core (data movement,
convolution and pooling, search, sort, scan, scatter, batched matmul and linear algebra), which
the generated drivers call: each takes the run (``device.Device``), the node, its input values
and what the build prepared for it (its kernel source) and returns its outputs.

Geometry (outer, length, inner sizes; index maps; batch offsets) is worked out on the host from
the shapes, which the host always knows; data stays on the device. The only transfers are the
ones a result's size needs (unique, boolean_mask: one count each) and the one-element counters of
bad indices and failed factorisations, read after the launch so the CPU's error is raised before
any later node runs.
"""
from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from graphflow.compiler.cuda import blas as cuda_blas
from graphflow.compiler.cuda import index_kernels as K
from graphflow.compiler.cuda import linalg as LA
from graphflow.compiler.cuda import templates as T
from graphflow.compiler.cuda.device import (
    Device,
    Value,
    check_slot,
    count,
    counter,
    empty,
    launch,
    numba_cuda,
    upload,
    zeros,
)
from graphflow.compiler.cuda.rule import Prepared
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.ops.conv_geometry import Padding, geometry
from graphflow.ops.reduce_ops import norm_axes
from graphflow.ops.slice_ops import _np_key
from graphflow.ops.solve_ops import FAILURE
from graphflow.platform import mpi

# node -> {(input shapes, slice bounds): its index maps on the device}; held only while the node
# lives (keyed by id, a later node that reused a freed node's id read the other's maps)
_MAPS: weakref.WeakKeyDictionary[Operation, dict[Any, Any]] = weakref.WeakKeyDictionary()
_OFFSETS: dict[Any, Any] = {}  # by shape: batched matmul's offsets, identity matrices, on the device



def _sized(size: int, k: int, stride: int, dilation: int, padding: Padding, axis: int) -> tuple[int, int]:
    """``conv_geometry.geometry`` along ``axis`` of a run-time array: (output size, padding before), both known."""
    out, before = geometry(size, k, stride, dilation, padding, axis)
    assert out is not None  # (unknown only for an unknown size)
    return out, before

def _fail(n: Operation, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(n, n, f"{message}\n  in {n.describe()}")


def _accumulator(dev: Device, shape: tuple[int, ...], dt: npt.DTypeLike) -> Value:
    """Zeros to add into atomically: float32 for float16 results (CUDA has no half-precision
    atomic add numba can type); ``_narrowed`` converts them back."""
    return zeros(dev, shape, np.float32 if np.dtype(dt) == np.float16 else dt)


def _narrowed(dev: Device, acc: Value, dt: npt.DTypeLike) -> Value:
    if acc.array.dtype == np.dtype(dt):
        return acc
    out = empty(acc.shape, dt)
    launch(dev, T.COPY, [acc.array, out.array], out.array.shape[0])
    return out


def _split(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """(outer, length, inner) of ``shape`` around ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


# ---- data movement ---------------------------------------------------------------------------

def move(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """Data movement through a cached index map (``_index_maps``)."""
    cuda = numba_cuda()
    shapes = tuple(v.shape for v in ins)
    # the run-time bounds a slice (and a slice's gradient) reads are part of its map's key
    bounds = ins[1:] if n.op is Op.SLICE else ins[2:] if n.op is Op.SLICE_GRAD else []
    refs = tuple(tuple(v.numpy().reshape(-1).tolist()) for v in bounds)
    cached = _MAPS.setdefault(n, {})
    key = (shapes, refs)
    if key not in cached:
        try:
            maps = _index_maps(n, shapes, ins)
        except (IndexError, ValueError) as e:
            raise _fail(n, str(e)) from None
        cached[key] = [(cuda.to_device(m if m.size else np.zeros(1, np.int64)), shape, m.size) for m, shape in maps]
    maps = cached[key]
    dt = n.dtypes[0].np
    if n.op in (Op.CONCAT, Op.SLICE_GRAD):
        out = zeros(dev, maps[0][1], dt)
        for v, (m, _, size) in zip(ins if n.op is Op.CONCAT else ins[:1], maps):
            launch(dev, T.SCATTER_MAP, [v.array, m, out.array], size)
        return [out]
    (m, shape, size), = maps
    out = empty(shape, dt)
    fill = dt.type(n.attrs.constant) if n.op is Op.PAD else dt.type(0)
    launch(dev, T.GATHER_MAP, [ins[0].array, m, out.array, fill], size)
    return [out]


def _index_maps(n: Operation, shapes: tuple, ins: list[Value]) -> list[tuple[np.ndarray, tuple[int, ...]]]:
    """Per index map: for each element of the result (or, for concatenation and slice gradients,
    of each piece) the flat position it reads (or is written to); -1 reads the fill value."""
    op, at = n.op, n.attrs
    src = np.arange(math.prod(shapes[0]), dtype=np.int64).reshape(shapes[0])
    if op is Op.TRANSPOSE:
        m = src.transpose(at.perm)
    elif op is Op.SLICE:
        m = src[_np_key(at, shapes[0], [v.numpy() for v in ins[1:]])]
    elif op is Op.BROADCAST_TO:
        m = np.broadcast_to(src, np.broadcast_shapes(shapes[0], shapes[1]))
    elif op is Op.TILE:
        m = np.tile(src, at.multiples)
    elif op is Op.PAD:
        m = np.pad(src, at.paddings, constant_values=-1)
    elif op is Op.CONCAT:
        out = np.concatenate([np.full(s, k, np.int64) for k, s in enumerate(shapes)], axis=at.axis)
        pos = np.arange(out.size, dtype=np.int64).reshape(out.shape)
        return [(pos[out == k].reshape(-1), out.shape) for k in range(len(shapes))]
    else:  # SLICE_GRAD
        like = np.arange(math.prod(shapes[1]), dtype=np.int64).reshape(shapes[1])
        return [(np.ascontiguousarray(like[_np_key(at, shapes[1], [v.numpy() for v in ins[2:]])]).reshape(-1),
                 tuple(shapes[1]))]
    return [(np.ascontiguousarray(m).reshape(-1), tuple(m.shape))]


# ---- convolution and pooling -----------------------------------------------------------------

def conv(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    at = n.attrs
    (sh, sw), (dh, dw) = at.strides, at.dilations
    if n.op is Op.CONV2D:
        x, w = ins
        xs, ws = x.shape, w.shape
    elif n.op is Op.CONV2D_BACKPROP_INPUT:
        xs, w, dy = tuple(int(d) for d in ins[0].numpy()), ins[1], ins[2]
        ws = w.shape
    else:
        x, dy = ins[0], ins[2]
        xs, ws = x.shape, tuple(int(d) for d in ins[1].numpy())
    if xs[3] != ws[2]:
        raise _fail(n, f"input depth {xs[3]} does not match the filter's input depth {ws[2]}")
    try:
        oh, pt = _sized(xs[1], ws[0], sh, dh, at.padding, 0)
        ow, pl = _sized(xs[2], ws[1], sw, dw, at.padding, 1)
    except ValueError as e:
        raise _fail(n, str(e)) from None
    window = [sh, sw, dh, dw, pt, pl]
    dt = n.dtypes[0].np
    if n.op is Op.CONV2D:
        out = empty((xs[0], oh, ow, ws[3]), dt)
        launch(dev, built.source, [x.shaped(), w.shaped(), out.shaped()] + window, out.array.shape[0])
    elif n.op is Op.CONV2D_BACKPROP_INPUT:
        out = empty(xs, dt)
        launch(dev, built.source, [dy.shaped(), w.shaped(), out.shaped()] + window, out.array.shape[0])
    else:
        out = empty(ws, dt)
        launch(dev, built.source, [x.shaped(), dy.shaped(), out.shaped()] + window, out.array.shape[0])
    return [out]


def pool(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    at, src = n.attrs, built.source
    (kh, kw), (sh, sw) = at.ksize, at.strides
    dt = n.dtypes[0].np
    if n.op is Op.AVG_POOL_GRAD:
        sizes, dy = tuple(int(d) for d in ins[0].numpy()), ins[1]
        _, pt = geometry(sizes[1], kh, sh, 1, at.padding, 0)
        _, pl = geometry(sizes[2], kw, sw, 1, at.padding, 1)
        out = empty(sizes, dt)
        launch(dev, src, [dy.shaped(), out.shaped(), kh, kw, sh, sw, pt, pl], out.array.shape[0])
        return [out]
    x = ins[0]
    oh, pt = _sized(x.shape[1], kh, sh, 1, at.padding, 0)
    ow, pl = _sized(x.shape[2], kw, sw, 1, at.padding, 1)
    if n.op is Op.MAX_POOL_GRAD and at.gather:  # g read at the winners: the pooled shape
        acc = empty((x.shape[0], oh, ow, x.shape[3]), np.float32 if np.dtype(dt) == np.float16 else dt)
        launch(dev, src, [x.shaped(), ins[1].shaped(), acc.shaped(), kh, kw, sh, sw, pt, pl, True], acc.array.shape[0])
        out = _narrowed(dev, acc, dt)  # (the kernel's scatter branch needs a float32 buffer for float16)
    elif n.op is Op.MAX_POOL_GRAD:
        dy = ins[1]
        acc = _accumulator(dev, x.shape, dt)
        launch(dev, src, [x.shaped(), dy.shaped(), acc.shaped(), kh, kw, sh, sw, pt, pl, False], dy.array.shape[0])
        out = _narrowed(dev, acc, dt)
    else:
        out = empty((x.shape[0], oh, ow, x.shape[3]), dt)
        launch(dev, src, [x.shaped(), out.shaped(), kh, kw, sh, sw, pt, pl, n.op is Op.MAX_POOL], out.array.shape[0])
    return [out]


# ---- search, sort, scan ----------------------------------------------------------------------

def arg(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x = ins[0]
    (axis,) = norm_axes((n.attrs.axis,), len(x.shape))
    outer, length, inner = _split(x.shape, axis)
    if length == 0:
        raise _fail(n, "argmax/argmin over an empty axis")
    out = empty(x.shape[:axis] + x.shape[axis + 1:], n.dtypes[0].np)
    launch(dev, K.ARG, [x.array, out.array, length, inner, n.op is Op.ARGMAX], outer * inner)
    return [out]


def cumprod(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    at, x = n.attrs, ins[0]
    outer, length, inner = _split(x.shape, at.axis)
    out = empty(x.shape, n.dtypes[0].np)
    launch(dev, K.CUMPROD, [x.array, out.array, length, inner, at.exclusive, at.reverse], outer * inner)
    return [out]


def top_k(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x = ins[0]
    if not x.shape:
        raise _fail(n, "top_k needs a tensor of rank >= 1")
    width = x.shape[-1]
    k = width if n.attrs.k is None else n.attrs.k
    if width < k:
        raise _fail(n, f"input must have at least k={k} columns, got shape {list(x.shape)}")
    out = empty(x.shape[:-1] + (k,), np.int32)
    launch(dev, K.TOP_K, [x.array, out.array, width, k], math.prod(x.shape))
    return [out]


def _prefix(dev: Device, flags: Any, size: int) -> tuple[Any, int]:
    """Each position's count of nonzero flags before it, and their total (one transfer)."""
    pos = numba_cuda().device_array(max(1, size), dtype=np.int64)
    total = counter()
    launch(dev, K.SCAN, [flags, pos, total], 1)
    return pos, count(total)


def unique(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x = ins[0]
    size = math.prod(x.shape)
    cuda = numba_cuda()
    own = cuda.device_array(max(1, size), dtype=np.int64)
    flags = cuda.device_array(max(1, size), dtype=np.int8)
    launch(dev, K.UNIQUE_FIRST, [x.array[:size], own, flags], size)
    pos, found = _prefix(dev, flags[:size], size)
    y, idx = empty((found,), n.dtypes[0].np), empty(x.shape, n.dtypes[1].np)
    launch(dev, K.UNIQUE_WRITE, [x.array[:size], own, pos, y.array, idx.array], size)
    return [y, idx]


def boolean_mask(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x, mask = ins[0], ins[1]
    dt = n.dtypes[0].np
    m = math.prod(mask.shape)
    if n.attrs.scatter:  # the gradient: rows back where the mask is set, zeros elsewhere
        like = ins[2]
        inner = math.prod(like.shape[len(mask.shape):])
        pos, _ = _prefix(dev, mask.array[:m], m)
        out = empty(like.shape, dt)
        launch(dev, K.MASK_SCATTER, [x.array, mask.array, pos, out.array, inner], m * inner)
        return [out]
    if x.shape[:len(mask.shape)] != mask.shape:
        raise _fail(n, f"boolean_mask mask shape {list(mask.shape)} does not match the leading dims of "
                       f"{list(x.shape)}")
    inner = math.prod(x.shape[len(mask.shape):])
    pos, found = _prefix(dev, mask.array[:m], m)
    out = empty((found,) + x.shape[len(mask.shape):], dt)
    launch(dev, K.MASK_GATHER, [x.array, mask.array, pos, out.array, inner], m * inner)
    return [out]


# ---- gathers and scatters --------------------------------------------------------------------

def gather(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    p, idx = ins
    ax = n.attrs.axis
    _, size, inner = _split(p.shape, ax)
    out = empty(p.shape[:ax] + idx.shape + p.shape[ax + 1:], n.dtypes[0].np)
    bad = check_slot(n, f"gather indices out of range [0, {size})")
    launch(dev, T.GATHER, [p.array, idx.array, out.array, size, inner, bad], math.prod(out.shape))
    return [out]


def scatter_add(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    g, idx, like = ins
    ax = n.attrs.axis
    _, size, inner = _split(like.shape, ax)
    acc = _accumulator(dev, like.shape, n.dtypes[0].np)
    bad = check_slot(n, f"scatter indices out of range [0, {size})")
    launch(dev, K.SCATTER_ADD, [g.array, idx.array, acc.array, size, inner, bad], math.prod(g.shape))
    return [_narrowed(dev, acc, n.dtypes[0].np)]


def _nd(p_shape: tuple[int, ...], idx: Value) -> tuple[int, Any, int]:
    k = idx.shape[-1]
    return k, upload(np.array(p_shape[:k], np.int64)).array, math.prod(p_shape[k:])


def gather_nd(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    p, idx = ins
    k, dims, inner = _nd(p.shape, idx)
    out = empty(idx.shape[:-1] + p.shape[k:], n.dtypes[0].np)
    bad = check_slot(n, f"gather_nd indices out of range for params of shape {list(p.shape)}")
    launch(dev, K.GATHER_ND, [p.array, idx.array, dims, out.array, inner, bad], math.prod(out.shape))
    return [out]


def scatter_nd_add(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    g, idx, like = ins
    k, dims, inner = _nd(like.shape, idx)
    acc = _accumulator(dev, like.shape, n.dtypes[0].np)
    bad = check_slot(n, f"scatter_nd indices out of range for a result of shape {list(like.shape)}")
    launch(dev, K.SCATTER_ND_ADD, [g.array, idx.array, dims, acc.array, inner, bad], math.prod(g.shape))
    return [_narrowed(dev, acc, n.dtypes[0].np)]


def sum_to_nd(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """SumTo above rank 4 (``SUM_TO_ND``; the rank-4 kernel is the executable's)."""
    x, like = ins
    ls = (1,) * (len(x.shape) - len(like.shape)) + tuple(like.shape)
    red = [1 if ls[d] == 1 and x.shape[d] != 1 else 0 for d in range(len(x.shape))]
    out = empty(like.shape, n.dtypes[0].np)
    summed = math.prod(d for d, r in zip(x.shape, red) if r)
    launch(dev, built.source, [x.array, out.array, upload(np.array(x.shape, np.int64)).array,
                 upload(np.array(red, np.int8)).array, summed], math.prod(like.shape))
    return [out]


# ---- batched matmul and linear algebra -------------------------------------------------------

def batch_matmul(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    a, b = ins
    ta, tb = n.attrs.transpose_a, n.attrs.transpose_b
    m, ka = (a.shape[-1], a.shape[-2]) if ta else (a.shape[-2], a.shape[-1])
    kb, cols = (b.shape[-1], b.shape[-2]) if tb else (b.shape[-2], b.shape[-1])
    if ka != kb:
        raise _fail(n, f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: {list(b.shape)}")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise _fail(n, f"batch dims of {list(a.shape)} and {list(b.shape)} do not broadcast") from None
    out = empty(tuple(batch) + (m, cols), n.dtypes[0].np)
    nb = math.prod(batch)
    if cuda_blas.matmul(a, b, out, ta, tb) or not (nb and m and cols):
        return [out]
    key = (a.shape, b.shape)
    if key not in _OFFSETS:
        def offsets(shape: tuple[int, ...]) -> Any:
            first = np.arange(math.prod(shape[:-2]), dtype=np.int64).reshape(shape[:-2]) * shape[-2] * shape[-1]
            return upload(np.ascontiguousarray(np.broadcast_to(first, batch)).reshape(-1)).array
        _OFFSETS[key] = (offsets(a.shape), offsets(b.shape))
    aoff, boff = _OFFSETS[key]
    grid = ((cols + T.TILE - 1) // T.TILE, (m + T.TILE - 1) // T.TILE, nb)
    args = [a.array, b.array, out.array, aoff, boff, m, cols, ka, ta, tb]
    dev.launch_grid(built.source, grid, (T.TILE, T.TILE), args)
    return [out]


def _work(dev: Device, x: Value, transpose: bool = False) -> Any:
    """A float64 device copy of ``x`` (the factorisations' workspace), matrices transposed on request."""
    size = math.prod(x.shape)
    work = numba_cuda().device_array(max(1, size), dtype=np.float64)
    if transpose:
        perm = np.arange(size, dtype=np.int64).reshape(x.shape).swapaxes(-1, -2)
        launch(dev, T.GATHER_MAP, [x.array, upload(np.ascontiguousarray(perm).reshape(-1)).array, work, 0.0], size)
    else:
        launch(dev, T.COPY, [x.array, work], size)
    return work


def linalg(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    a = ins[0]
    if len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise _fail(n, f"{n.op.value} needs square matrices, got shape {list(a.shape)}")
    size = a.shape[-1]
    batch = math.prod(a.shape[:-2])
    dt = n.dtypes[0].np
    if n.op is Op.CHOLESKY:
        out = empty(a.shape, dt)
        launch(dev, LA.CHOLESKY, [a.array, out.array, size, check_slot(n, FAILURE[n.op])], batch)
        return [out]
    cuda = numba_cuda()
    det = cuda.device_array(max(1, batch), dtype=np.float64)
    if n.op is Op.MATRIX_DETERMINANT:  # 0 for a singular matrix, as numpy's: nothing to check
        launch(dev, LA.LU, [_work(dev, a), det, det, det[:batch], size, 0, counter(), False], batch)
        out = empty(a.shape[:-2], dt)
        launch(dev, T.COPY, [det, out.array], batch)
        return [out]
    if n.op is Op.MATRIX_INVERSE:
        rhs = _identity(dev, batch, size)
        out = empty(a.shape, dt)
    else:
        b = ins[1]
        if b.shape[:-1] != a.shape[:-1]:
            raise _fail(n, f"matrix_solve: the right-hand side {list(b.shape)} does not fit matrices "
                           f"of shape {list(a.shape)}")
        rhs = _work(dev, b)
        out = empty(b.shape, dt)
    cols = out.shape[-1]
    work = _work(dev, a, n.op is Op.MATRIX_SOLVE and n.attrs.adjoint)
    launch(dev, LA.LU, [work, rhs, out.array, det[:batch], size, cols, check_slot(n, FAILURE[n.op]), True], batch)
    return [out]


def _identity(dev: Device, batch: int, size: int) -> Any:
    """A float64 device copy of ``batch`` identity matrices (the inverse's right-hand side)."""
    key = ("eye", batch, size)
    if key not in _OFFSETS:
        _OFFSETS[key] = upload(np.ascontiguousarray(np.broadcast_to(np.eye(size), (batch, size, size))).reshape(-1))
    eye = _OFFSETS[key].array
    work = numba_cuda().device_array(max(1, eye.shape[0]), dtype=np.float64)
    launch(dev, T.COPY, [eye, work], batch * size * size)
    return work


def collective(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """A collective across MPI ranks, staged through the host (mpi4py's buffers are host memory
    here; a CUDA-aware MPI could take the device buffer itself)."""
    at, x = n.attrs, ins[0].numpy()
    out = {Op.ALLREDUCE: lambda: mpi.allreduce(x, at.label), Op.ALLGATHER: lambda: mpi.allgather(x, at.label),
           Op.BROADCAST: lambda: mpi.broadcast(x, at.root, at.label)}[n.op]()
    return [upload(np.asarray(out, n.dtypes[0].np))]

