"""The rest of tf.nn's elementwise and statistics functions, as compositions of existing ops:
activations (crelu, swish/silu, relu_layer), moment helpers (sufficient_statistics,
normalize_moments, weighted_moments), batch_norm_with_global_normalization, local response
normalisation, zero_fraction, the replica-aware loss scalings (one replica here) and exact
top-k answers for approx_max_k / approx_min_k (an exact answer meets any recall target).
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.activation_ops import relu
from graphflow.ops.array_ops import concat, pad
from graphflow.ops.elementwise_ops import add_name
from graphflow.ops.math_ops import add_n, cast, equal, reciprocal, sigmoid, square, squared_difference
from graphflow.ops.misc_ops import divide_no_nan
from graphflow.ops.nn_ops import batch_normalization, xw_plus_b
from graphflow.ops.reduce_ops import reduce_mean, reduce_sum
from graphflow.ops.shape_ops import shape, squeeze, transpose
from graphflow.ops.sort_ops import top_k
from graphflow.ops.state_ops import constant, zeros_like

__all__ = ["approx_max_k", "approx_min_k", "batch_norm_with_global_normalization", "compute_average_loss",
           "crelu", "local_response_normalization", "lrn", "normalize_moments", "relu_layer",
           "scale_regularization_loss", "silu", "sufficient_statistics", "swish", "weighted_moments",
           "zero_fraction"]


def _axes(axes: int | Sequence[int], rank: int | None) -> list[int]:
    out = [axes] if isinstance(axes, int) else list(axes)
    if rank is None:
        if any(a < 0 for a in out):
            raise ValueError(f"negative axes {out} need a tensor of known rank")
        return out
    return [a % rank for a in out]


def crelu(features: TensorLike, name: str | None = None, axis: int = -1) -> Tensor:
    """``concat([relu(x), relu(-x)], axis)``: the channel count doubles.

    >>> import graphflow as gf
    >>> gf.nn.crelu(gf.constant([[1.0, -2.0]])).eval().tolist()
    [[1.0, 0.0, 0.0, 2.0]]
    """
    x = convert_to_tensor(features)
    return add_name(concat([relu(x), relu(-x)], axis), name)


def swish(features: TensorLike, beta: float | TensorLike = 1.0, name: str | None = None) -> Tensor:
    """``x * sigmoid(beta * x)`` (also called SiLU).

    >>> import graphflow as gf
    >>> round(float(gf.nn.swish(gf.constant(1.0)).eval()), 4)
    0.7311
    """
    x = convert_to_tensor(features)
    b = convert_to_tensor(beta, dtype=x.dtype)
    return add_name(x * sigmoid(b * x), name)


silu = swish


def relu_layer(x: TensorLike, weights: TensorLike, biases: TensorLike, name: str | None = None) -> Tensor:
    """``relu(x @ weights + biases)``."""
    return add_name(relu(xw_plus_b(x, weights, biases)), name)


def zero_fraction(value: TensorLike, name: str | None = None) -> Tensor:
    """The fraction of entries of ``value`` that are zero, as a float32 scalar.

    >>> import graphflow as gf
    >>> float(gf.nn.zero_fraction(gf.constant([0.0, 1.0, 0.0, 2.0])).eval())
    0.5
    """
    v = convert_to_tensor(value)
    return add_name(reduce_mean(cast(equal(v, zeros_like(v)), _dt.float32)), name)


def sufficient_statistics(x: TensorLike, axes: int | Sequence[int], shift: TensorLike | None = None,
                          keep_dims: bool | None = None, name: str | None = None,
                          keepdims: bool | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """(count, sum of ``x - shift``, sum of squares of ``x - shift``, shift) over ``axes``.

    >>> import graphflow as gf
    >>> c, m, v, _ = gf.nn.sufficient_statistics(gf.constant([[1.0, 2.0], [3.0, 4.0]]), [0])
    >>> float(c.eval()), m.eval().tolist(), v.eval().tolist()
    (2.0, [4.0, 6.0], [10.0, 20.0])
    """
    t = convert_to_tensor(x)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    ax = _axes(axes, t.shape.rank)
    dims = t.shape.as_list() if t.shape.rank is not None else None
    if dims is not None and all(dims[a] is not None for a in ax):
        count = 1
        for a in ax:
            count *= dims[a]  # type: ignore[operator]
        counts = constant(float(count), dtype=t.dtype)
    else:
        sizes = cast(shape(t), t.dtype)
        counts = sizes[ax[0]]
        for a in ax[1:]:
            counts = counts * sizes[a]
    if shift is not None:
        sh = convert_to_tensor(shift, dtype=t.dtype)
        m_ss = reduce_sum(t - sh, ax, keepdims=keep)
        v_ss = reduce_sum(squared_difference(t, sh), ax, keepdims=keep)
        return add_name(counts, name), m_ss, v_ss, sh
    return add_name(counts, name), reduce_sum(t, ax, keepdims=keep), reduce_sum(square(t), ax, keepdims=keep), None


def normalize_moments(counts: TensorLike, mean_ss: TensorLike, variance_ss: TensorLike, shift: TensorLike | None,
                      name: str | None = None) -> tuple[Tensor, Tensor]:
    """(mean, variance) from ``sufficient_statistics``' sums."""
    m = convert_to_tensor(mean_ss)
    divisor = reciprocal(convert_to_tensor(counts, dtype=m.dtype))
    shifted_mean = m * divisor
    mean = shifted_mean + convert_to_tensor(shift, dtype=m.dtype) if shift is not None else shifted_mean
    variance = convert_to_tensor(variance_ss, dtype=m.dtype) * divisor - square(shifted_mean)
    return add_name(mean, name), variance


def weighted_moments(x: TensorLike, axes: int | Sequence[int], frequency_weights: TensorLike,
                     name: str | None = None, keep_dims: bool | None = None,
                     keepdims: bool | None = None) -> tuple[Tensor, Tensor]:
    """(mean, variance) of ``x`` over ``axes`` with each entry counted ``frequency_weights`` times
    (the weights broadcast against ``x``)."""
    t = convert_to_tensor(x)
    w = convert_to_tensor(frequency_weights, dtype=t.dtype)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    ax = _axes(axes, t.shape.rank)
    divisor = reciprocal(reduce_sum(w + zeros_like(t), ax, keepdims=True))
    mean = reduce_sum(w * t, ax, keepdims=True) * divisor
    variance = reduce_sum(w * squared_difference(t, mean), ax, keepdims=True) * divisor
    if not keep:
        mean, variance = squeeze(mean, ax), squeeze(variance, ax)
    return add_name(mean, name), variance


def batch_norm_with_global_normalization(t: TensorLike | None = None, m: TensorLike | None = None,
                                         v: TensorLike | None = None, beta: TensorLike | None = None,
                                         gamma: TensorLike | None = None, variance_epsilon: float | None = None,
                                         scale_after_normalization: bool | None = None, name: str | None = None,
                                         input: TensorLike | None = None,  # noqa: A002
                                         mean: TensorLike | None = None,
                                         variance: TensorLike | None = None) -> Tensor:
    """TF1's older batch norm: ``(t - m) / sqrt(v + eps) * gamma + beta``, gamma used only when
    ``scale_after_normalization``."""
    x = t if t is not None else input
    mu = m if m is not None else mean
    var = v if v is not None else variance
    if x is None or mu is None or var is None or variance_epsilon is None or scale_after_normalization is None:
        raise TypeError("batch_norm_with_global_normalization needs t, m, v, beta, gamma, variance_epsilon "
                        "and scale_after_normalization")
    scale = gamma if scale_after_normalization else None
    return batch_normalization(x, mu, var, beta, scale, variance_epsilon, name=name)


def local_response_normalization(input: TensorLike, depth_radius: int = 5, bias: float = 1.0,  # noqa: A002
                                 alpha: float = 1.0, beta: float = 0.5, name: str | None = None) -> Tensor:
    """``x / (bias + alpha * sum of x**2 over the 2r+1 nearest channels) ** beta`` on a rank-4
    tensor (channels last).

    >>> import graphflow as gf
    >>> gf.nn.lrn(gf.ones((1, 1, 1, 3)), depth_radius=1).shape.as_list()
    [1, 1, 1, 3]
    """
    x = convert_to_tensor(input)
    if x.shape.rank != 4:
        raise ValueError(f"local_response_normalization needs a rank-4 input, got {x.name} of shape {x.shape}")
    channels = x.shape.as_list()[3]
    if channels is None:
        raise ValueError(f"local_response_normalization needs a static channel count, got shape {x.shape}")
    r = int(depth_radius)
    sq = pad(square(x), [[0, 0], [0, 0], [0, 0], [r, r]])
    windows = [sq[:, :, :, builtins.slice(k, k + channels)] for k in range(2 * r + 1)]
    total = add_n(windows) if len(windows) > 1 else windows[0]
    denom = (constant(bias, dtype=x.dtype) + constant(alpha, dtype=x.dtype) * total) ** constant(beta, dtype=x.dtype)
    return add_name(x / denom, name)


lrn = local_response_normalization


def compute_average_loss(per_example_loss: TensorLike, sample_weight: TensorLike | None = None,
                         global_batch_size: int | TensorLike | None = None) -> Tensor:
    """Sum of the (weighted) per-example losses over the global batch size (one replica: the
    batch size of ``per_example_loss`` unless given); 0 for a batch size of 0.

    >>> import graphflow as gf
    >>> float(gf.nn.compute_average_loss(gf.constant([1.0, 3.0])).eval())
    2.0
    """
    loss = convert_to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = loss * convert_to_tensor(sample_weight, dtype=loss.dtype)
    if global_batch_size is None:
        batch = cast(shape(loss)[0], loss.dtype)
    else:
        batch = cast(convert_to_tensor(global_batch_size), loss.dtype)
    return divide_no_nan(reduce_sum(loss), batch)


def scale_regularization_loss(regularization_loss: TensorLike | Sequence[TensorLike]) -> Tensor:
    """The summed regularization loss divided by the replica count (one here)."""
    if isinstance(regularization_loss, (list, tuple)):
        regularization_loss = add_n(list(regularization_loss))
    return reduce_sum(convert_to_tensor(regularization_loss))


def _top_k_along(x: Tensor, k: int, dim: int) -> tuple[Tensor, Tensor]:
    rank = x.shape.rank
    if rank is None:
        raise ValueError(f"approx top-k needs a tensor of known rank, got {x.name}")
    dim %= rank
    if dim == rank - 1:
        return top_k(x, k)
    perm = [a for a in range(rank) if a != dim] + [dim]
    back = [perm.index(a) for a in range(rank)]
    values, indices = top_k(transpose(x, perm), k)
    return transpose(values, back), transpose(indices, back)


def approx_max_k(operand: TensorLike, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True,
                 name: str | None = None) -> tuple[Tensor, Tensor]:
    """(values, int32 indices) of the ``k`` largest entries along ``reduction_dimension``; exact,
    which meets every recall target.

    >>> import graphflow as gf
    >>> gf.nn.approx_max_k(gf.constant([3.0, 1.0, 2.0]), 2)[1].eval().tolist()
    [0, 2]
    """
    values, indices = _top_k_along(convert_to_tensor(operand), k, reduction_dimension)
    return add_name(values, name), indices


def approx_min_k(operand: TensorLike, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True,
                 name: str | None = None) -> tuple[Tensor, Tensor]:
    """(values, int32 indices) of the ``k`` smallest entries along ``reduction_dimension``, exact."""
    values, indices = _top_k_along(-convert_to_tensor(operand), k, reduction_dimension)
    return add_name(-values, name), indices
