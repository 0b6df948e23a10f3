"""TF1 ``tf.nn`` functions built from primitives: activations, softmax, losses on logits,
normalisation, dropout, embeddings, and the norm clipping functions (``gf.clip_by_norm``...).

Everything here is a composite of existing primitives, so gradients (and gradients of gradients)
come from the primitives' rules. Where a function has a kink (relu, softplus's stable form...),
the composite is arranged so that its gradient at the kink is TF1's.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import AxisLike, DimsLike, TensorLike
from graphflow.ops._build import as_tensors
from graphflow.ops.activation_ops import (  # noqa: F401  (tf.nn's activations live in the op layer)
    _c,
    _floats,
    _scope,
    elu,
    leaky_relu,
    relu,
    relu6,
    selu,
    softplus,
    softsign,
)
from graphflow.ops.array_ops import concat, gather
from graphflow.ops.check_ops import check_in_range
from graphflow.ops.deferred import first_float as _first_float
from graphflow.ops.deferred import rank_polymorphic
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.math_ops import (
    add,
    add_n,
    cast,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    maximum,
    minimum,
    multiply,
    negative,
    rsqrt,
    sqrt,
    square,
    stop_gradient,
    subtract,
    where,
)
from graphflow.ops.reduce_ops import reduce_any, reduce_max, reduce_mean, reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape, shape, squeeze
from graphflow.ops.state_ops import constant, random_uniform
from graphflow.ops.state_ops import range as _range
from graphflow.ops.xent_ops import labels_like_logits, softmax_xent

__all__ = [
    "relu", "relu6", "elu", "selu", "leaky_relu", "softplus", "softsign", "softmax", "log_softmax",
    "bias_add", "xw_plus_b", "dropout", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits", "log_poisson_loss",
    "l2_loss", "moments", "batch_normalization", "fused_batch_norm", "embedding_lookup",
    "l2_normalize", "in_top_k", "clip_by_norm", "global_norm", "clip_by_global_norm",
]


def _same_shape(a: Tensor, b: Tensor, what: str) -> None:
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"{what}: {a.name} has shape {a.shape} and {b.name} has shape {b.shape}; "
                         "they must be equal")


def _axis(axis: int | None, dim: int | None) -> int:
    a = axis if axis is not None else dim
    return -1 if a is None else int(a)


# ---- activations (graphflow/ops/activation_ops.py) -------------------------------------------

# ---- softmax -------------------------------------------------------------------------------------

def _shifted(x: Tensor, axis: int) -> tuple[Tensor, Tensor]:
    """``x - max`` (the max gradient-stopped: the result does not depend on it) and
    ``log(sum(exp(x - max)))``, both keeping the reduced axis."""
    s = x - stop_gradient(reduce_max(x, axis=axis, keepdims=True))
    return s, log(reduce_sum(exp(s), axis=axis, keepdims=True))


def softmax(logits: TensorLike, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (last by default), stable for large logits.

    >>> import graphflow as gf
    >>> gf.nn.softmax(gf.constant([[1.0, 1000.0]])).shape.as_list()
    [1, 2]
    """
    x = _floats(logits, "softmax")
    ax = _axis(axis, dim)
    with _scope(name, "Softmax") as final:
        s = x - stop_gradient(reduce_max(x, axis=ax, keepdims=True))
        e = exp(s)
        total = reduce_sum(e, axis=ax, keepdims=True)
    return divide(e, total, name=final)


def log_softmax(logits: TensorLike, axis: int | None = None, name: str | None = None, dim: int | None = None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``, stable for large logits."""
    x = _floats(logits, "log_softmax")
    with _scope(name, "LogSoftmax") as final:
        s, lse = _shifted(x, _axis(axis, dim))
    return subtract(s, lse, name=final)


# ---- bias ----------------------------------------------------------------------------------------

def bias_add(value: TensorLike, bias: TensorLike, data_format: str | None = None, name: str | None = None) -> Tensor:
    """``value + bias`` with the 1-D ``bias`` on the channel dim: last for "NHWC" (and "N...C"),
    dim 1 for "NCHW" (and "NC...").

    >>> import graphflow as gf
    >>> gf.nn.bias_add(gf.zeros((2, 3, 4)), gf.ones((3,)), data_format="NCHW").shape.as_list()
    [2, 3, 4]
    """
    v, b = as_tensors(value, bias)
    fmt = data_format or "NHWC"
    rank = v.shape.rank
    if b.shape.rank != 1:
        raise ValueError(f"bias_add needs a 1-D bias, got {b.name} of shape {b.shape}")
    if rank is None or rank < 2:
        raise ValueError(f"bias_add needs a value of rank >= 2, got {v.name} of shape {v.shape}")
    if fmt.startswith("NC"):
        channel = 1
    elif fmt.startswith("N") and fmt.endswith("C"):
        channel = rank - 1
    else:
        raise ValueError(f"bias_add data_format must be 'NHWC' or 'NCHW' (or N...C, NC...), got {fmt!r}")
    c, n = v.shape.dims[channel], b.shape.dims[0]  # type: ignore[index]
    if c is not None and n is not None and c != n:
        raise ValueError(f"bias_add: {b.name} has {n} elements but dim {channel} of {v.name} "
                         f"(shape {v.shape}, {fmt}) is {c}")
    if channel != rank - 1:
        b = reshape(b, [-1] + [1] * (rank - 1 - channel))
    return add(v, b, name=name or "BiasAdd")


def xw_plus_b(x: TensorLike, weights: TensorLike, biases: TensorLike, name: str | None = None) -> Tensor:
    """``matmul(x, weights) + biases``."""
    return bias_add(matmul(x, weights), biases, name=name or "xw_plus_b")


# ---- dropout -------------------------------------------------------------------------------------

def _noise_shape(x: Tensor, noise_shape: DimsLike | None) -> DimsLike:
    if noise_shape is None:
        return x.shape.as_list() if x.shape.is_fully_defined() else shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    dims = list(noise_shape)
    rank = x.shape.rank
    if rank is not None and len(dims) != rank:
        raise ValueError(f"dropout noise_shape {dims} must have the rank of {x.name} (shape {x.shape})")
    filled = [d if d is not None else x.shape.dims[i] for i, d in enumerate(dims)]  # type: ignore[index]
    if all(d is not None for d in filled):
        return [int(d) for d in filled]
    dyn = shape(x)
    return convert_to_tensor([dyn[i] if d is None else constant(int(d), dtype=_dt.int32)
                              for i, d in enumerate(filled)])


def dropout(x: TensorLike, keep_prob: TensorLike | None = None, noise_shape: DimsLike | None = None,
            seed: int | None = None, name: str | None = None, rate: TensorLike | None = None) -> Tensor:
    """Zero each element with probability ``1 - keep_prob`` and scale the rest by ``1/keep_prob``.

    ``keep_prob`` (or ``rate = 1 - keep_prob``) may be a tensor fed at run time; the Python
    constant 1 returns ``x`` itself. ``noise_shape`` broadcasts one draw over some dims. The
    draws come from ``gf.random_uniform``, so graph and op seeds make them reproducible.

    >>> import graphflow as gf
    >>> gf.nn.dropout(gf.ones((4, 4)), keep_prob=0.5, seed=1).shape.as_list()
    [4, 4]
    """
    t = _floats(x, "dropout")
    if keep_prob is not None and rate is not None:
        raise ValueError("dropout takes keep_prob or rate, not both")
    if keep_prob is None and rate is None:
        raise ValueError("dropout needs keep_prob or rate")
    keep = keep_prob
    if keep is None:
        keep = 1 - rate if isinstance(rate, (int, float)) else subtract(_c(1, t), cast(rate, t.dtype))
    if isinstance(keep, (int, float)):
        if not 0 < keep <= 1:
            raise ValueError(f"dropout keep_prob must be in (0, 1], got {keep}")
        if keep == 1:
            return t
    keep_t = convert_to_tensor(keep, dtype=t.dtype) if not isinstance(keep, Tensor) else cast(keep, t.dtype)
    if keep_t.shape.rank not in (None, 0):
        raise ValueError(f"dropout keep_prob (or rate) must be a scalar, got shape {keep_t.shape}")
    with _scope(name, "dropout") as final:
        u = random_uniform(_noise_shape(t, noise_shape), dtype=t.dtype, seed=seed)
        kept = cast(less(u, keep_t), t.dtype)
        scaled = divide(t, keep_t)
    out = multiply(scaled, kept, name=final)
    # keep_prob is a scalar, so the result has x's shape even where keep_prob's rank is unknown
    # (a shapeless placeholder, as TF1 scripts feed it); TF1 sets the same static shape
    out.set_shape(t.shape)
    return out


# ---- cross-entropies on logits ---------------------------------------------------------------------

@rank_polymorphic(_first_float)
def softmax_cross_entropy_with_logits_v2(labels: TensorLike | None = None, logits: TensorLike | None = None,
                                         axis: int | None = None, name: str | None = None,
                                         dim: int | None = None) -> Tensor:
    """``-sum(labels * log_softmax(logits))`` along ``axis``; gradients flow into both inputs
    (into logits: ``softmax * sum(labels) - labels``, i.e. softmax - labels for distributions).

    >>> import graphflow as gf
    >>> gf.nn.softmax_cross_entropy_with_logits_v2(gf.ones((2, 3)) / 3, gf.zeros((2, 3))).shape.as_list()
    [2]
    """
    lg = convert_to_tensor(logits)
    lb = convert_to_tensor(labels)
    if lb.dtype != lg.dtype:  # TF1 casts the labels to the logits' dtype
        lb = cast(lb, lg.dtype)
    _floats(lg, "softmax_cross_entropy_with_logits")
    lb = labels_like_logits(lb, lg)
    _same_shape(lb, lg, "softmax_cross_entropy_with_logits labels and logits")
    ax = _axis(axis, dim)
    rank = lg.shape.rank
    if ax in (-1, None) or (rank is not None and ax == rank - 1):  # the usual case: one primitive
        with _scope(name, "softmax_cross_entropy_with_logits") as final:
            pass  # the name the composite below would give its result
        return softmax_xent(lb, lg, name=final)
    with _scope(name, "softmax_cross_entropy_with_logits") as final:
        s, lse = _shifted(lg, ax)
        per_class = lb * (lse - s)
    return reduce_sum(per_class, axis=ax, name=final)


@rank_polymorphic(_first_float)
def softmax_cross_entropy_with_logits(labels: TensorLike | None = None, logits: TensorLike | None = None, dim: int = -1,
                                      name: str | None = None, axis: int | None = None) -> Tensor:
    """TF1's deprecated form of :func:`softmax_cross_entropy_with_logits_v2`: no gradient into
    ``labels``."""
    lg, lb = as_tensors(logits, labels)
    return softmax_cross_entropy_with_logits_v2(stop_gradient(lb), lg, axis=_axis(axis, dim),
                                                name=name)


@rank_polymorphic(_first_float)
def sparse_softmax_cross_entropy_with_logits(labels: TensorLike | None = None, logits: TensorLike | None = None,
                                             name: str | None = None) -> Tensor:
    """Cross-entropy of integer class ``labels`` (shape ``logits.shape[:-1]``) against ``logits``.
    A label outside ``[0, num_classes)`` raises InvalidArgumentError when run.

    >>> import graphflow as gf
    >>> gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 2], logits=gf.zeros((2, 3))).shape.as_list()
    [2]
    """
    lg = _floats(logits, "sparse_softmax_cross_entropy_with_logits")
    lb = convert_to_tensor(labels)
    if lb.dtype.is_floating or lb.dtype.is_bool:
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits labels must be int32 or int64, "
                        f"got {lb.name} of dtype {lb.dtype.name}")
    r_lg, r_lb = lg.shape.rank, lb.shape.rank
    if r_lg is None or r_lb is None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits needs the ranks of labels and logits")
    if r_lb != r_lg - 1:
        raise ValueError(f"rank of labels ({r_lb}, {lb.name} of shape {lb.shape}) must equal the rank "
                         f"of logits minus 1 (logits {lg.name} of shape {lg.shape})")
    if not lb.shape.is_compatible_with(lg.shape.dims[:-1]):  # type: ignore[index]
        raise ValueError(f"labels shape {lb.shape} must equal the logits shape {lg.shape} without "
                         "its last dim")
    with _scope(name, "SparseSoftmaxCrossEntropyWithLogits") as final:
        depth: int | Tensor | None = lg.shape.dims[-1]  # type: ignore[index]
        if depth is None:
            depth = cast(shape(lg)[-1], lb.dtype)
        lb = check_in_range(lb, 0, depth, "label", name="check_labels")
        hot = cast(equal(expand_dims(lb, -1), _range(depth, dtype=lb.dtype)), lg.dtype)
    return softmax_xent(hot, lg, name=final)


def sigmoid_cross_entropy_with_logits(labels: TensorLike | None = None, logits: TensorLike | None = None,
                                      name: str | None = None) -> Tensor:
    """Elementwise ``max(x, 0) - x * z + log(1 + exp(-|x|))`` for logits x and labels z (no
    overflow); the gradient in x is ``sigmoid(x) - z`` everywhere, 0.5 - z at x = 0."""
    lg, lb = as_tensors(logits, labels)
    _floats(lg, "sigmoid_cross_entropy_with_logits")
    _same_shape(lb, lg, "sigmoid_cross_entropy_with_logits labels and logits")
    with _scope(name, "logistic_loss") as final:
        pos = greater_equal(lg, _c(0, lg))
        relu_x = where(pos, lg, _c(0, lg))
        neg_abs = where(pos, negative(lg), lg)
        linear = relu_x - lg * lb
        tail = log1p(exp(neg_abs))
    return add(linear, tail, name=final)


def weighted_cross_entropy_with_logits(labels: TensorLike | None = None, logits: TensorLike | None = None,
                                       pos_weight: TensorLike | None = None, name: str | None = None,
                                       targets: TensorLike | None = None) -> Tensor:
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight``:
    ``(1 - z) * x + (1 + (pos_weight - 1) * z) * log(1 + exp(-x))`` (stable)."""
    if labels is None:
        labels = targets
    if pos_weight is None:
        raise ValueError("weighted_cross_entropy_with_logits needs pos_weight")
    lg, lb, pw = as_tensors(logits, labels, pos_weight)
    _floats(lg, "weighted_cross_entropy_with_logits")
    _same_shape(lb, lg, "weighted_cross_entropy_with_logits labels and logits")
    with _scope(name, "logistic_loss") as final:
        one = _c(1, lg)
        log_weight = one + (pw - one) * lb
        linear = (one - lb) * lg
        tail = log_weight * softplus(negative(lg))
    return add(linear, tail, name=final)


def log_poisson_loss(targets: TensorLike, log_input: TensorLike, compute_full_loss: bool = False,
                     name: str | None = None) -> Tensor:
    """``exp(log_input) - log_input * targets``, plus Stirling's approximation of
    ``log(targets!)`` for targets > 1 when ``compute_full_loss``."""
    li, t = as_tensors(log_input, targets)
    _same_shape(t, li, "log_poisson_loss targets and log_input")
    with _scope(name, "log_poisson_loss") as final:
        e, prod = exp(li), li * t
        if compute_full_loss:
            base = e - prod
            stirling = t * log(t) - t + _c(0.5, t) * log(_c(2 * math.pi, t) * t)
            small = logical_and(greater_equal(t, _c(0, t)), less_equal(t, _c(1, t)))
            extra = where(small, _c(0, t), stirling)
    if not compute_full_loss:
        return subtract(e, prod, name=final)
    return add(base, extra, name=final)


# ---- norms and normalisation -----------------------------------------------------------------------

def l2_loss(t: TensorLike, name: str | None = None) -> Tensor:
    """``sum(t ** 2) / 2`` (a scalar)."""
    x = _floats(t, "l2_loss")
    return multiply(reduce_sum(square(x)), _c(0.5, x), name=name or "L2Loss")


@rank_polymorphic(_first_float, outputs=2)
def moments(x: TensorLike, axes: int | Sequence[int], shift: TensorLike | None = None, name: str | None = None,
            keep_dims: bool | None = None, keepdims: bool | None = None) -> tuple[Tensor, Tensor]:
    """``(mean, variance)`` of ``x`` over ``axes`` (float16 is computed in float32, as TF1).

    >>> import graphflow as gf
    >>> m, v = gf.nn.moments(gf.zeros((4, 3)), axes=[0])
    >>> v.shape.as_list()
    [3]
    """
    t = _floats(x, "moments")
    kd = bool(keepdims if keepdims is not None else keep_dims)
    axes_l = [int(a) for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
    with _scope(name, "moments"):
        y = cast(t, _dt.float32) if t.dtype == _dt.float16 else t
        mean = reduce_mean(y, axis=axes_l, keepdims=True)
        # the mean is gradient-stopped in the variance (TF1): d var / d mean is zero anyway
        variance = reduce_mean(square(y - stop_gradient(mean)), axis=axes_l, keepdims=True)
        if not kd:
            mean, variance = squeeze(mean, axes_l), squeeze(variance, axes_l)
        if y is not t:
            mean, variance = cast(mean, t.dtype), cast(variance, t.dtype)
        return mean, variance


def batch_normalization(x: TensorLike, mean: TensorLike, variance: TensorLike, offset: TensorLike | None,
                        scale: TensorLike | None, variance_epsilon: float, name: str | None = None) -> Tensor:
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`` (offset and scale may
    be None), broadcasting the statistics against ``x``."""
    xs = _floats(x, "batch_normalization")
    m, v = as_tensors(mean, variance, dtype=xs.dtype)
    with _scope(name, "batchnorm") as final:
        inv = rsqrt(v + _c(variance_epsilon, v))
        if scale is not None:
            inv = inv * as_tensors(scale, dtype=xs.dtype)[0]
        shift = negative(m * inv) if offset is None else as_tensors(offset, dtype=xs.dtype)[0] - m * inv
        scaled = xs * inv
    return add(scaled, shift, name=final)


def fused_batch_norm(x: TensorLike, scale: TensorLike, offset: TensorLike, mean: TensorLike | None = None,
                     variance: TensorLike | None = None, epsilon: float = 0.001, data_format: str = "NHWC",
                     is_training: bool = True, name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalisation of a 4-D ``x`` over every dim but the channel one.

    Returns ``(y, batch_mean, batch_variance)``; in training the statistics are the batch's and
    the returned variance is the unbiased one (n / (n - 1), for moving averages), as TF1's fused op.
    In inference ``mean`` and ``variance`` are used and returned."""
    xs = _floats(x, "fused_batch_norm")
    if xs.shape.rank != 4:
        raise ValueError(f"fused_batch_norm needs a 4-D x, got {xs.name} of shape {xs.shape}")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"fused_batch_norm data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    channel = 3 if data_format == "NHWC" else 1
    axes = [a for a in range(4) if a != channel]

    def per_channel(t: Tensor) -> Tensor:
        return t if channel == 3 else reshape(t, [-1, 1, 1])

    with _scope(name, "FusedBatchNorm") as final:
        sc, of = as_tensors(scale, offset, dtype=xs.dtype)
        if is_training:
            m, v = moments(xs, axes)
            dims = shape(xs)
            n = cast(dims[axes[0]] * dims[axes[1]] * dims[axes[2]], xs.dtype)
            reported = v * n / maximum(n - _c(1, n), _c(1, n))
        else:
            if mean is None or variance is None:
                raise ValueError("fused_batch_norm with is_training=False needs mean and variance")
            m, v = as_tensors(mean, variance, dtype=xs.dtype)
            reported = v
        inv = rsqrt(v + _c(epsilon, v)) * sc
        shift = of - m * inv
        scaled = xs * per_channel(inv)
    y = add(scaled, per_channel(shift), name=final)
    return y, m, reported


# ---- embeddings, normalised vectors, top-k ----------------------------------------------------------

def embedding_lookup(params: TensorLike, ids: TensorLike, partition_strategy: str = "mod", name: str | None = None,
                     validate_indices: bool = True, max_norm: float | None = None) -> Tensor:
    """Rows of ``params`` at ``ids`` (a gather; its gradient scatter-adds into the table).

    ``params`` may be a list of shards split by ``partition_strategy`` ("mod": id i lives in
    shard i % n at row i // n; "div": contiguous ranges). ``max_norm`` clips each looked-up
    embedding to that L2 norm. Out-of-range ids raise InvalidArgumentError when run.

    >>> import graphflow as gf
    >>> gf.nn.embedding_lookup(gf.zeros((10, 4)), [[1, 2, 3]]).shape.as_list()
    [1, 3, 4]
    """
    idx = convert_to_tensor(ids)
    shards = [convert_to_tensor(p) for p in params] if isinstance(params, (list, tuple)) else \
        [convert_to_tensor(params)]
    if not shards:
        raise ValueError("embedding_lookup needs at least one params tensor")
    with _scope(name, "embedding_lookup") as final:
        table = shards[0] if len(shards) == 1 else concat(shards, 0)
        if len(shards) > 1 and partition_strategy == "mod":
            sizes = [s.shape.dims[0] if s.shape.rank else None for s in shards]  # type: ignore[index]
            if None in sizes:
                raise ValueError("embedding_lookup with 'mod' sharding needs the shards' row counts")
            starts = constant([sum(sizes[:k]) for k in range(len(sizes))], dtype=idx.dtype)  # type: ignore[arg-type]
            count = _c(len(shards), idx)
            idx = gather(starts, idx % count) + idx // count
        elif len(shards) > 1 and partition_strategy != "div":
            raise ValueError(f"embedding_lookup partition_strategy must be 'mod' or 'div', got "
                             f"{partition_strategy!r}")
    rows = gather(table, idx, name=final if max_norm is None else None)
    if max_norm is None:
        return rows
    rank_ids, rank_out = idx.shape.rank, rows.shape.rank
    if rank_ids is None or rank_out is None:
        raise ValueError("embedding_lookup with max_norm needs the ranks of params and ids")
    return clip_by_norm(rows, max_norm, axes=list(range(rank_ids, rank_out)), name=final)


def l2_normalize(x: TensorLike, axis: int | None = None, epsilon: float = 1e-12, name: str | None = None,
                 dim: int | None = None) -> Tensor:
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    t = _floats(x, "l2_normalize")
    ax = axis if axis is not None else dim
    with _scope(name, "l2_normalize") as final:
        sq = reduce_sum(square(t), axis=ax, keepdims=True)
        inv = rsqrt(maximum(sq, _c(epsilon, t)))
    return multiply(t, inv, name=final)


def in_top_k(predictions: TensorLike, targets: TensorLike, k: int, name: str | None = None) -> Tensor:
    """Whether each target class is among the ``k`` largest predictions of its row (ties at the
    boundary count as in, as TF1; non-finite or out-of-range targets give False)."""
    p = _floats(predictions, "in_top_k")
    t = convert_to_tensor(targets)
    if p.shape.rank != 2 or t.shape.rank != 1:
        raise ValueError(f"in_top_k needs 2-D predictions and 1-D targets, got shapes {p.shape} and {t.shape}")
    with _scope(name, "in_top_k") as final:
        depth: int | Tensor | None = p.shape.dims[-1]  # type: ignore[index]
        if depth is None:
            depth = cast(shape(p)[-1], t.dtype)
        hot = equal(expand_dims(t, -1), _range(depth, dtype=t.dtype))
        target = reduce_sum(where(hot, p, _c(0, p)), axis=-1, keepdims=True)
        above = reduce_sum(cast(greater(p, target), _dt.int32), axis=-1)
        valid = logical_and(reduce_any(hot, axis=-1), equal(squeeze(target - target, [-1]), _c(0, p)))
        in_k = less(above, constant(int(k), dtype=_dt.int32))
    return logical_and(valid, in_k, name=final)


# ---- norm clipping (exported top-level as gf.clip_by_norm, gf.global_norm, gf.clip_by_global_norm) --

def clip_by_norm(t: TensorLike, clip_norm: TensorLike, axes: AxisLike = None, name: str | None = None) -> Tensor:
    """``t * clip_norm / max(l2norm(t, axes), clip_norm)``: rescaled to L2 norm at most
    ``clip_norm`` (over ``axes``, all by default); zero tensors have a finite gradient."""
    x = _floats(t, "clip_by_norm")
    cn = as_tensors(clip_norm, dtype=x.dtype)[0]
    with _scope(name, "clip_by_norm") as final:
        l2sum = reduce_sum(square(x), axis=axes, keepdims=True)
        nonzero = greater(l2sum, _c(0, x))
        # sqrt is differentiated only where the sum is positive
        l2norm = where(nonzero, sqrt(where(nonzero, l2sum, _c(1, x))), l2sum)
        scaled = x * cn
        denom = maximum(l2norm, cn)
    return divide(scaled, denom, name=final)


def global_norm(t_list: Sequence[TensorLike | None], name: str | None = None) -> Tensor:
    """``sqrt(sum of the squared L2 norms of the tensors)``; None entries are skipped."""
    if isinstance(t_list, (Tensor, str)) or not isinstance(t_list, Sequence):
        raise TypeError(f"global_norm needs a list of tensors, got {type(t_list).__name__}")
    ts = [_floats(t, "global_norm") for t in t_list if t is not None]
    if not ts:
        raise ValueError("global_norm needs at least one tensor")
    with _scope(name, "global_norm") as final:
        halves = [l2_loss(t) for t in ts]
        if len({h.dtype for h in halves}) > 1:
            raise TypeError("global_norm needs tensors of one dtype, got "
                            + ", ".join(f"{t.name} ({t.dtype.name})" for t in ts))
        total = add_n(halves)
        twice = total * _c(2, total)
    return sqrt(twice, name=final)


def clip_by_global_norm(t_list: Sequence[TensorLike | None], clip_norm: TensorLike, use_norm: TensorLike | None = None,
                        name: str | None = None) -> tuple[list[Tensor | None], Tensor]:
    """Scale every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns the clipped list
    (None entries kept) and the global norm. A NaN or Inf norm makes every result NaN (TF1).

    >>> import graphflow as gf
    >>> clipped, norm = gf.nn.clip_by_global_norm([gf.ones((2,)), None], 1.0)
    >>> clipped[1] is None
    True
    """
    if isinstance(t_list, (Tensor, str)) or not isinstance(t_list, Sequence):
        raise TypeError(f"clip_by_global_norm needs a list of tensors, got {type(t_list).__name__}")
    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    with _scope(name, "clip_by_global_norm"):
        cn = as_tensors(clip_norm, dtype=norm.dtype)[0]
        one = _c(1, norm)
        scale = cn * minimum(one / norm, one / cn) + (norm - norm)
        out: list[Tensor | None] = []
        for i, t in enumerate(t_list):
            if t is None:
                out.append(None)
                continue
            x = convert_to_tensor(t)
            out.append(multiply(x, scale if x.dtype == scale.dtype else cast(scale, x.dtype),
                                name=f"clip_{i}"))
    return out, norm
