"""TF1's ``tf.math`` composites over existing primitives: xdivy, xlog1py, multiply_no_nan,
reciprocal_no_nan, lbeta, polyval, cumulative_logsumexp, unsorted_segment_sqrt_n,
tensor_scatter_nd_max / _min, histogram_fixed_width / _bins, real / imag / conj / angle of
real tensors (graphflow has no complex dtypes), and sobol_sample (a constant).

Each is built from primitives, so gradients follow from their rules; where TF1's gradient
differs from the plain chain rule (zero where x is 0 for xdivy and xlog1py) the ``where``
guards give TF1's value.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import as_dtype
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as M
from graphflow.ops import index_ops as I
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops._build import as_tensors
from graphflow.ops.constant_ops import constant
from graphflow.ops.misc_ops import divide_no_nan
from graphflow.ops.special_ops import is_finite, is_nan, lgamma


def xdivy(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``x / y``, and 0 where ``x`` is 0 (even where ``y`` is 0).
    ``gf.math.xdivy([0.0, 2.0], [0.0, 4.0])`` is ``[0, 0.5]``."""
    a, b = as_tensors(x, y)
    zero = M.equal(a, M.zeros_like_scalar(a))
    safe = M.where(zero, np.ones((), b.dtype.np), b)
    return M.where(zero, M.zeros_like_scalar(a), a / safe, name=name or "Xdivy")


def xlog1py(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``x * log1p(y)``, and 0 where ``x`` is 0 (even where ``y`` is -1).
    ``gf.math.xlog1py([0.0, 2.0], [-1.0, 0.5])``."""
    a, b = as_tensors(x, y)
    zero = M.equal(a, M.zeros_like_scalar(a))
    safe = M.where(zero, M.zeros_like_scalar(b), b)
    return M.where(zero, M.zeros_like_scalar(a), a * M.log1p(safe), name=name or "Xlog1py")


def multiply_no_nan(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``x * y``, and 0 where ``y`` is 0 even if ``x`` is inf or NaN.
    ``gf.math.multiply_no_nan([np.inf, 2.0], [0.0, 3.0])`` is ``[0, 6]``."""
    a, b = as_tensors(x, y)
    # a non-finite x meets a zero y: use 0 for it, so the product (and its y-gradient) stays finite
    bad = M.logical_and(M.equal(b, M.zeros_like_scalar(b)), M.logical_not(is_finite(a)))
    return M.multiply(M.where(bad, M.zeros_like_scalar(a), a), b, name=name or "MulNoNan")


def reciprocal_no_nan(x: TensorLike, name: str | None = None) -> Tensor:
    """``1 / x``, and 0 where ``x`` is 0. ``gf.math.reciprocal_no_nan([0.0, 4.0])``."""
    t = convert_to_tensor(x)
    return divide_no_nan(ST.ones_like(t), t, name=name or "reciprocal_no_nan")


def lbeta(x: TensorLike, name: str | None = None) -> Tensor:
    """``log|B(x)|`` of the last axis: ``sum(lgamma(x)) - lgamma(sum(x))`` (an empty last axis
    gives -inf, as in TF1). ``gf.lbeta([[1.0, 2.0]])``."""
    t = convert_to_tensor(x)
    return M.subtract(R.reduce_sum(lgamma(t), axis=-1), lgamma(R.reduce_sum(t, axis=-1)),
                      name=name or "lbeta")


def polyval(coeffs: Sequence[TensorLike], x: TensorLike, name: str | None = None) -> Tensor:
    """``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's rule; no coefficients give zeros.
    ``gf.math.polyval([1.0, 0.0, -2.0], x)`` is ``x**2 - 2``."""
    t = convert_to_tensor(x)
    if not coeffs:
        return ST.zeros_like(t, name=name)
    acc = as_tensors(t, coeffs[0])[1]
    for c in coeffs[1:]:
        acc = acc * t + as_tensors(t, c)[1]
    return M.add_name(acc, name)


def cumulative_logsumexp(x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False,
                         name: str | None = None) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``axis`` (TF1's flags), stable for any spread of values:
    each prefix is shifted by its own maximum. An empty exclusive prefix gives -inf.
    ``gf.math.cumulative_logsumexp([0.0, 0.0])`` is ``[0, log 2]``."""
    t = convert_to_tensor(x)
    rank = t.shape.rank
    if rank is None or rank == 0:
        raise ValueError(f"cumulative_logsumexp needs a known rank of at least 1, got shape {t.shape}")
    ax = axis % rank
    perm = [i for i in range(rank) if i != ax] + [ax]
    moved = S.transpose(t, perm) if ax != rank - 1 else t
    idx = ST.range(S.shape(moved)[-1])
    row, col = S.expand_dims(idx, 1), S.expand_dims(idx, 0)
    # mask[i, j]: x[j] belongs to the prefix (or suffix) ending at i
    mask = {(False, False): M.less_equal, (True, False): M.less, (False, True): M.greater_equal,
            (True, True): M.greater}[(exclusive, reverse)](col, row)
    wide = S.expand_dims(moved, -2)
    # scalar constants, broadcast by where: arithmetic on x (x * 0) would turn infinities into NaN
    zero, one = M.zeros_like_scalar(t), np.ones((), t.dtype.np)
    top = M.stop_gradient(R.reduce_max(M.where(mask, wide, np.asarray(t.dtype.min, t.dtype.np)), axis=-1,
                                       keepdims=True))
    top = M.where(is_finite(top), top, zero)  # an infinite maximum (x holds inf) shifts nothing
    terms = M.where(mask, M.exp(M.where(mask, wide, top) - top), zero)
    total = R.reduce_sum(terms, axis=-1)
    empty = M.logical_not(R.reduce_any(mask, axis=-1))
    out = M.where(empty, np.asarray(-np.inf, t.dtype.np), S.squeeze(top, -1) + M.log(M.where(empty, one, total)))
    if ax != rank - 1:
        out = S.transpose(out, list(np.argsort(perm)))
    return M.add_name(out, name)


def unsorted_segment_sqrt_n(data: TensorLike, segment_ids: TensorLike, num_segments: int | Tensor,
                            name: str | None = None) -> Tensor:
    """Per-segment sums divided by the square root of each segment's size (empty: 0).
    ``gf.unsorted_segment_sqrt_n([1.0, 3.0, 5.0], [0, 0, 1], 2)`` is ``[4 / sqrt 2, 5]``."""
    d = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    total = I.unsorted_segment_sum(d, ids, num_segments)
    count = I.unsorted_segment_sum(M.cast(ST.ones_like(ids), d.dtype), ids, num_segments)
    for _ in range((d.shape.rank or 0) - (ids.shape.rank or 0)):
        count = S.expand_dims(count, -1)
    return M.divide(total, M.sqrt(M.maximum(count, np.ones((), d.dtype.np))),
                    name=name or "UnsortedSegmentSqrtN")


def _tensor_scatter_extreme(kind: str, tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                            name: str | None) -> Tensor:
    t = convert_to_tensor(tensor)
    u = convert_to_tensor(updates, dtype=t.dtype)
    idx = convert_to_tensor(indices)
    depth = idx.shape[-1] if idx.shape.rank else None
    if depth is None:
        raise ValueError(f"tensor_scatter_nd_{kind} needs the last dimension of indices known, got {idx.shape}")
    dims = S.shape(t, out_type=idx.dtype)
    outer, inner = dims[:depth], dims[depth:]
    # row-major position of each index among the first ``depth`` dimensions
    linear = idx[..., 0] * 0
    for k in range(depth):
        linear = linear + idx[..., k] * R.reduce_prod(outer[k + 1:])
    count = R.reduce_prod(outer)
    flat_ids = S.reshape(linear, [-1])
    rows = S.reshape(u, A.concat([[-1], inner], 0))
    base = S.reshape(t, A.concat([S.reshape(count, [1]), inner], 0))
    seg = {"max": I.unsorted_segment_max, "min": I.unsorted_segment_min}[kind](rows, flat_ids, count)
    hits = M.greater(I.unsorted_segment_sum(ST.ones_like(flat_ids), flat_ids, count), 0)
    for _ in range((t.shape.rank or depth) - depth):
        hits = S.expand_dims(hits, -1)
    pick = M.maximum if kind == "max" else M.minimum
    return S.reshape(M.where(hits, pick(base, seg), base), dims, name=name)


def tensor_scatter_nd_max(tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    """A copy of ``tensor`` where each indexed entry is the maximum of itself and its updates.
    ``gf.tensor_scatter_nd_max([1.0, 5.0], [[0], [0]], [3.0, 2.0])`` is ``[3, 5]``."""
    return _tensor_scatter_extreme("max", tensor, indices, updates, name)


def tensor_scatter_nd_min(tensor: TensorLike, indices: TensorLike, updates: TensorLike,
                          name: str | None = None) -> Tensor:
    """A copy of ``tensor`` where each indexed entry is the minimum of itself and its updates."""
    return _tensor_scatter_extreme("min", tensor, indices, updates, name)


def histogram_fixed_width_bins(values: TensorLike, value_range: TensorLike, nbins: int | Tensor = 100,
                               dtype: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """The bin of each value among ``nbins`` equal bins over ``value_range``; values outside the
    range fall in the first or last bin. ``gf.histogram_fixed_width_bins([0.1, 9.0], [0.0, 1.0], 5)``."""
    v = convert_to_tensor(values)
    if not v.dtype.is_floating:
        v = M.cast(v, _dt.float64)  # TF1 divides integers into float64
    lo_hi = convert_to_tensor(value_range, dtype=v.dtype)
    n = M.cast(nbins, v.dtype)
    scaled = (v - lo_hi[0]) / (lo_hi[1] - lo_hi[0])
    bins = M.clip_by_value(M.floor(n * scaled), M.zeros_like_scalar(n), n - 1)
    return M.cast(M.cast(bins, _dt.int32), dtype, name=name)


def histogram_fixed_width(values: TensorLike, value_range: TensorLike, nbins: int | Tensor = 100,
                          dtype: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """Counts of ``values`` in ``nbins`` equal bins over ``value_range``, out-of-range values
    counted in the edge bins (bins found in float64, as TF1's kernel does); a NaN fails the run.
    ``gf.histogram_fixed_width([0.1, 0.5, 9.0], [0.0, 1.0], 2)`` is ``[1, 2]``."""
    v = M.cast(S.reshape(convert_to_tensor(values), [-1]), _dt.float64)
    no_nan = M.logical_not(R.reduce_any(is_nan(v)))
    with get_default_graph().control_dependencies([C.Assert(no_nan, ["Histogram values must not contain NaN"])]):
        v = M.identity(v)
    lo_hi = M.cast(convert_to_tensor(value_range), _dt.float64)
    n = M.cast(nbins, _dt.float64)
    step = (lo_hi[1] - lo_hi[0]) / n
    bins = M.cast(M.minimum((M.maximum(v, lo_hi[0]) - lo_hi[0]) / step, n - 1), _dt.int32)
    counts = I.unsorted_segment_sum(ST.ones_like(bins), bins, M.cast(nbins, _dt.int32))
    return M.cast(counts, dtype, name=name)


def _numeric(t: Tensor, what: str) -> Tensor:
    if t.dtype.is_bool or t.dtype.is_string:
        raise TypeError(f"{what} takes a numeric tensor, got dtype {t.dtype.name}")
    return t


def real(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The real part: a real tensor itself (graphflow has no complex dtypes). ``gf.real([1.0, -2.0])``."""
    return _numeric(convert_to_tensor(input), "real")


def imag(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The imaginary part: zeros for a real tensor. ``gf.imag([1.0, -2.0])`` is ``[0, 0]``."""
    return ST.zeros_like(_numeric(convert_to_tensor(input), "imag"), name=name)


def conj(x: TensorLike, name: str | None = None) -> Tensor:
    """The complex conjugate: a real tensor itself. ``gf.conj([1.0, -2.0])``."""
    return _numeric(convert_to_tensor(x), "conj")


def angle(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The argument of each element as a complex number: pi for negative reals, else 0.
    ``gf.angle([1.0, -2.0])`` is ``[0, pi]``."""
    t = _numeric(convert_to_tensor(input), "angle")
    if not t.dtype.is_floating:
        raise TypeError(f"angle takes a floating tensor, got dtype {t.dtype.name}")
    return M.where(M.less(t, M.zeros_like_scalar(t)), np.asarray(np.pi, t.dtype.np), M.zeros_like_scalar(t),
                   name=name or "Angle")


_SOBOL_MAX_DIM = 1111  # TF1's table of direction numbers ends there


def sobol_sample(dim: int, num_results: int, skip: int = 0, dtype: DTypeLike = _dt.float32,
                 name: str | None = None) -> Tensor:
    """``num_results`` points of the ``dim``-dimensional unscrambled Sobol sequence (Joe and Kuo's
    direction numbers) after the first ``skip``, the origin left out as in TF1: a [num_results, dim]
    constant, so the sizes must be Python ints. ``gf.math.sobol_sample(2, 4)``."""
    from scipy.stats import qmc  # noqa: PLC0415 - scipy.stats takes a second to import; only this op needs it
    out = as_dtype(dtype)
    if out.name not in ("float32", "float64"):
        raise TypeError(f"sobol_sample makes float32 or float64 points, got dtype {out.name}")
    if not all(isinstance(v, (int, np.integer)) for v in (dim, num_results, skip)):
        raise TypeError("graphflow's sobol_sample needs dim, num_results and skip as Python ints (its points "
                        f"are a constant), got {dim!r}, {num_results!r}, {skip!r}")
    if not 1 <= dim <= _SOBOL_MAX_DIM or num_results < 1 or skip < 0:
        raise ValueError(f"sobol_sample needs 1 <= dim <= {_SOBOL_MAX_DIM}, num_results >= 1 and skip >= 0, "
                         f"got dim={dim}, num_results={num_results}, skip={skip}")
    engine = qmc.Sobol(int(dim), scramble=False)
    engine.fast_forward(int(skip) + 1)  # past the origin, which TF1's sequence leaves out
    return constant(engine.random(int(num_results)).astype(out.np), name=name or "SobolSample")
