"""PyTorch's functional API on the static graph: ``import graphflow.nn.functional as F``.

The functions take PyTorch's arguments (``dim``, ``p``, ``training``, ``reduction``...) and layouts
(NCHW inputs, OIHW weights) and build graph nodes; the ``gf.nn`` modules are thin wrappers over
them, as in PyTorch. TF1's lowercase functions (``gf.nn.relu(features)``, ``gf.nn.conv2d`` on
NHWC...) live in ``graphflow.ops.nn_ops`` and stay reachable as ``gf.nn.relu``... A name in both
vocabularies means the same function: ``F.relu`` is ``gf.nn.relu``; where the signatures differ
(``softmax(x, dim)`` against ``softmax(logits, axis)``, ``dropout(x, p, training)`` against
``dropout(x, keep_prob)``) each module keeps its own.

``training`` arguments accept a Python bool (fixed when the graph is built), a module's
``self.training`` (the module's run-time train/eval switch: ``net.eval()`` takes effect on the
next run of the same compiled graph) or a boolean scalar tensor.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, Union

import numpy as np

import graphflow.ops.nn_ops as _tf
from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather, split, stack
from graphflow.ops.array_ops import one_hot as _one_hot
from graphflow.ops.linalg_ops import einsum, matmul, tensordot
from graphflow.ops.special_ops import erf, expm1, log_sigmoid
from graphflow.ops.variables import Variable
from graphflow.torch_style.nn.functional_conv import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    interpolate,
    max_pool1d,
    max_pool2d,
    pad,
)
from graphflow.torch_style.nn.functional_loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)


class RunTimeMode(Protocol):
    """A module's ``training`` attribute (``nn.modules.Training``): its mode as a bool now, and the
    flag tensor the session feeds at run time."""

    def __bool__(self) -> bool: ...

    def _flag_tensor(self) -> Tensor: ...


# ``training``: a Python bool (fixed when the graph is built), a module's ``self.training`` (its
# run-time switch) or a boolean scalar tensor
TrainingLike = Union[bool, np.bool_, Tensor, RunTimeMode]


def _t(x: TensorLike) -> Tensor:
    return convert_to_tensor(x)


def _floats(x: TensorLike, what: str) -> Tensor:
    t = convert_to_tensor(x)
    if not t.dtype.is_floating:
        raise TypeError(f"F.{what} expects a floating-point tensor, got {t.dtype.name} ({t.name})")
    return t


def _mode(training: TrainingLike) -> bool | Tensor:
    """A Python bool, or the boolean scalar tensor that decides at run time."""
    flag = getattr(training, "_flag_tensor", None)
    if flag is not None:
        return flag()
    if isinstance(training, Tensor):
        if not training.dtype.is_bool or training.shape.rank not in (None, 0):
            raise TypeError(f"training must be a bool or a boolean scalar tensor, got {training.dtype.name} "
                            f"{training.shape} ({training.name})")
        return training
    return bool(training)


# ---- activations ---------------------------------------------------------------------------------

def relu(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    return _tf.relu(input)


def relu6(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    return _tf.relu6(input)


def elu(input: TensorLike, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "elu")
    return M.where(x > 0, x, alpha * expm1(M.minimum(x, M.zeros_like_scalar(x))))


def selu(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    return _tf.selu(input)


def celu(input: TensorLike, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "celu")
    return M.where(x > 0, x, alpha * expm1(M.minimum(x, M.zeros_like_scalar(x)) / alpha))


def leaky_relu(input: TensorLike, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "leaky_relu")
    return M.where(x >= 0, x, x * negative_slope)


def prelu(input: TensorLike, weight: TensorLike) -> Tensor:  # noqa: A002
    """``max(0, x) + weight * min(0, x)``; a weight of n > 1 values scales channel dim 1."""
    x, w = _floats(input, "prelu"), _t(weight)
    if x.shape.rank and x.shape.rank > 1 and w.shape.num_elements() != 1:
        w = S.reshape(w, [1, -1] + [1] * (x.shape.rank - 2))
    return M.where(x >= 0, x, x * w)


def gelu(input: TensorLike, approximate: str = "none") -> Tensor:  # noqa: A002
    x = _floats(input, "gelu")
    if approximate == "tanh":
        return 0.5 * x * (1 + M.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"F.gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + erf(x / math.sqrt(2.0)))


def sigmoid(input: TensorLike) -> Tensor:  # noqa: A002
    return M.sigmoid(input)


def tanh(input: TensorLike) -> Tensor:  # noqa: A002
    return M.tanh(input)


def silu(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "silu")
    return x * M.sigmoid(x)


def softplus(input: TensorLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold`` (PyTorch's)."""
    x = _floats(input, "softplus")
    bx = x * beta
    return M.where(bx > threshold, x, _tf.softplus(bx) / beta)


def mish(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "mish")
    return x * M.tanh(_tf.softplus(x))


def softsign(input: TensorLike) -> Tensor:  # noqa: A002
    return _tf.softsign(input)


def logsigmoid(input: TensorLike) -> Tensor:  # noqa: A002
    return log_sigmoid(_floats(input, "logsigmoid"))


def hardtanh(input: TensorLike, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    x = _floats(input, "hardtanh")
    return M.clip_by_value(x, min_val, max_val)


def hardsigmoid(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "hardsigmoid")
    return M.clip_by_value(x / 6 + 0.5, 0.0, 1.0)


def hardswish(input: TensorLike, inplace: bool = False) -> Tensor:  # noqa: A002
    x = _floats(input, "hardswish")
    return x * M.clip_by_value(x + 3, 0.0, 6.0) / 6


def glu(input: TensorLike, dim: int = -1) -> Tensor:  # noqa: A002
    """``a * sigmoid(b)`` for the halves ``a, b`` of ``input`` along ``dim``."""
    a, b = split(_floats(input, "glu"), 2, dim)
    return a * M.sigmoid(b)


def _softmax_dim(x: Tensor, dim: int | None, what: str) -> int:
    if dim is not None:
        return int(dim)
    import warnings
    warnings.warn(f"Implicit dimension choice for {what} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=3)
    return 0 if x.shape.rank in (0, 1, 3) else 1  # PyTorch's legacy choice


def softmax(input: TensorLike, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: DTypeLike | None = None) -> Tensor:
    x = _t(input) if dtype is None else M.cast(_t(input), dtype)
    return _tf.softmax(x, axis=_softmax_dim(x, dim, "softmax"))


def softmin(input: TensorLike, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: DTypeLike | None = None) -> Tensor:
    x = _t(input) if dtype is None else M.cast(_t(input), dtype)
    return _tf.softmax(-x, axis=_softmax_dim(x, dim, "softmin"))


def log_softmax(input: TensorLike, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
                dtype: DTypeLike | None = None) -> Tensor:
    x = _t(input) if dtype is None else M.cast(_t(input), dtype)
    return _tf.log_softmax(x, axis=_softmax_dim(x, dim, "log_softmax"))


# ---- linear --------------------------------------------------------------------------------------

def linear(input: TensorLike, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``: weight [out, in], input [..., in]."""
    x, w = _t(input), _t(weight)
    y = matmul(x, w, transpose_b=True) if x.shape.rank == 2 else tensordot(x, w, [[x.shape.rank - 1], [1]])
    return y + bias if bias is not None else y


def bilinear(input1: TensorLike, input2: TensorLike, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k``; weight [out, in1, in2]."""
    y = einsum("bi,kij,bj->bk", _t(input1), _t(weight), _t(input2))
    return y + bias if bias is not None else y


# ---- dropout -------------------------------------------------------------------------------------

def _check_p(p: float) -> float:
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _dropout(x: Tensor, p: float, training: TrainingLike, noise_shape: Tensor | None = None) -> Tensor:
    mode = _mode(training)
    if mode is False or p == 0:
        return x
    if p == 1:
        return ST.zeros_like(x) if mode is True else M.where(mode, ST.zeros_like(x), x)
    keep: float | Tensor = 1 - p
    if mode is not True:  # keep everything (exactly: floor(1 + u) = 1) in eval runs
        keep = M.where(mode, ST.constant(1 - p, x.dtype), ST.constant(1.0, x.dtype))
    return _tf.dropout(x, keep_prob=keep, noise_shape=noise_shape)


def dropout(input: TensorLike, p: float = 0.5, training: TrainingLike = True,  # noqa: A002
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` (the rest scaled by 1 / (1 - p)) when training."""
    return _dropout(_floats(input, "dropout"), _check_p(p), training)


def _channel_dropout(x: Tensor, p: float, training: TrainingLike, spatial: int) -> Tensor:
    if x.shape.rank not in (spatial + 1, spatial + 2):
        raise ValueError(f"dropout{spatial}d expects a {spatial + 1}-D or {spatial + 2}-D input, got {x.shape} "
                         f"({x.name})")
    lead = x.shape.rank - spatial
    noise = stack([S.shape(x)[i] for i in range(lead)] + [1] * spatial)
    return _dropout(x, _check_p(p), training, noise_shape=noise)


def dropout1d(input: TensorLike, p: float = 0.5, training: TrainingLike = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of [N, C, L] (or [C, L]) inputs."""
    return _channel_dropout(_floats(input, "dropout1d"), p, training, 1)


def dropout2d(input: TensorLike, p: float = 0.5, training: TrainingLike = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of [N, C, H, W] (or [C, H, W]) inputs."""
    return _channel_dropout(_floats(input, "dropout2d"), p, training, 2)


# ---- normalization -------------------------------------------------------------------------------

def _channel_shape(r: int) -> list[int]:
    return [1, -1] + [1] * (r - 2)


def batch_norm(input: TensorLike, running_mean: TensorLike | None, running_var: TensorLike | None,  # noqa: A002
               weight: TensorLike | None = None, bias: TensorLike | None = None, training: TrainingLike = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch statistics when training (and, when the running statistics are Variables, their
    update ``(1 - momentum) running + momentum batch``, the variance unbiased, as a dependency of
    the output); the running statistics otherwise."""
    t = _floats(input, "batch_norm")
    r = t.shape.rank
    if r is None or r < 2:
        raise ValueError(f"F.batch_norm expects an [N, C, ...] input, got {t.shape} ({t.name})")
    mode = _mode(training)
    shape, axes = _channel_shape(r), [0] + list(range(2, r))
    if mode is False:
        if running_mean is None or running_var is None:
            raise ValueError("F.batch_norm needs running_mean and running_var when training is False")
        use_mean, use_var = _t(running_mean), _t(running_var)
        updates: list[Tensor] = []
    else:
        mean = R.reduce_mean(t, axis=axes)
        var = R.reduce_mean(M.square(t - S.reshape(mean, shape)), axis=axes)
        use_mean, use_var = (mean, var) if mode is True else \
            (M.where(mode, mean, _t(running_mean)), M.where(mode, var, _t(running_var)))
        updates = []
        if isinstance(running_mean, Variable) and isinstance(running_var, Variable):
            if momentum is None:
                raise ValueError("F.batch_norm momentum=None (a cumulative average) is not supported; give a float")
            count = M.cast(R.reduce_prod(S.shape(t)) / S.shape(t)[1], t.dtype)
            unbiased = var * count / M.maximum(count - 1.0, 1.0)
            m = ST.constant(momentum, t.dtype)
            new_mean = (1 - m) * running_mean + m * mean
            new_var = (1 - m) * running_var + m * unbiased
            if mode is not True:
                new_mean, new_var = M.where(mode, new_mean, running_mean), M.where(mode, new_var, running_var)
            updates = [running_mean.assign(new_mean), running_var.assign(new_var)]
    y = (t - S.reshape(use_mean, shape)) / M.sqrt(S.reshape(use_var, shape) + eps)
    if weight is not None:
        y = y * S.reshape(_t(weight), shape)
    if bias is not None:
        y = y + S.reshape(_t(bias), shape)
    if not updates:
        return y
    with get_default_graph().control_dependencies([u.node for u in updates]):
        return M.identity(y)


def layer_norm(input: TensorLike, normalized_shape: int | Sequence[int], weight: TensorLike | None = None,  # noqa: A002
               bias: TensorLike | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims (biased variance)."""
    t = _floats(input, "layer_norm")
    dims = [int(normalized_shape)] if isinstance(normalized_shape, (int, np.integer)) else list(normalized_shape)
    if t.shape.as_list()[t.shape.rank - len(dims):] not in (dims, [None] * len(dims)) and \
            any(a not in (None, b) for a, b in zip(t.shape.as_list()[t.shape.rank - len(dims):], dims)):
        raise ValueError(f"F.layer_norm: normalized_shape {tuple(dims)} does not match the trailing dims of "
                         f"{t.shape} ({t.name})")
    axes = list(range(t.shape.rank - len(dims), t.shape.rank))
    mean = R.reduce_mean(t, axis=axes, keepdims=True)
    var = R.reduce_mean(M.square(t - mean), axis=axes, keepdims=True)
    y = (t - mean) / M.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    return y + bias if bias is not None else y


def group_norm(input: TensorLike, num_groups: int, weight: TensorLike | None = None,  # noqa: A002
               bias: TensorLike | None = None, eps: float = 1e-5) -> Tensor:
    t = _floats(input, "group_norm")
    r = t.shape.rank
    c = t.shape.as_list()[1]
    if c is not None and c % num_groups:
        raise ValueError(f"F.group_norm: {c} channels are not divisible by num_groups {num_groups} ({t.name})")
    grouped = S.reshape(t, [S.shape(t)[0], num_groups, -1])
    mean = R.reduce_mean(grouped, axis=2, keepdims=True)
    var = R.reduce_mean(M.square(grouped - mean), axis=2, keepdims=True)
    y = S.reshape((grouped - mean) / M.sqrt(var + eps), S.shape(t))
    if weight is not None:
        y = y * S.reshape(_t(weight), _channel_shape(r))
    return y + S.reshape(_t(bias), _channel_shape(r)) if bias is not None else y


def normalize(input: TensorLike, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """``x / max(||x||_p, eps)`` along ``dim``."""
    x = _floats(input, "normalize")
    if p == 2:
        norm = M.sqrt(R.reduce_sum(M.square(x), axis=dim, keepdims=True))
    elif p == 1:
        norm = R.reduce_sum(M.abs(x), axis=dim, keepdims=True)
    else:
        norm = R.reduce_sum(M.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / M.maximum(norm, eps)


def cosine_similarity(x1: TensorLike, x2: TensorLike, dim: int = 1, eps: float = 1e-8) -> Tensor:
    a, b = _floats(x1, "cosine_similarity"), _floats(x2, "cosine_similarity")
    na = M.maximum(M.sqrt(R.reduce_sum(M.square(a), axis=dim)), eps)
    nb = M.maximum(M.sqrt(R.reduce_sum(M.square(b), axis=dim)), eps)
    return R.reduce_sum(a * b, axis=dim) / (na * nb)


def pairwise_distance(x1: TensorLike, x2: TensorLike, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    d = M.abs(_floats(x1, "pairwise_distance") - x2 + eps)
    return R.reduce_sum(d ** p, axis=-1, keepdims=keepdim) ** (1.0 / p)


# ---- embeddings and one-hot ----------------------------------------------------------------------

def embedding(input: TensorLike, weight: TensorLike, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` [num_embeddings, dim]; the ``padding_idx`` row gets no gradient."""
    if max_norm is not None or scale_grad_by_freq:
        raise ValueError("F.embedding: max_norm and scale_grad_by_freq are not supported")
    i, w = _t(input), _t(weight)
    if not i.dtype.is_integer:
        raise TypeError(f"F.embedding expects integer indices, got {i.dtype.name} ({i.name})")
    rows = gather(w, i)
    if padding_idx is None:
        return rows
    n = w.shape.as_list()[0]
    padding_idx = padding_idx % n if n is not None else padding_idx
    keep = S.expand_dims(M.cast(M.not_equal(i, padding_idx), w.dtype), -1)
    return rows * keep + M.stop_gradient(rows) * (1 - keep)


def one_hot(tensor: TensorLike, num_classes: int = -1) -> Tensor:
    """int64 ``[..., num_classes]``; ``num_classes=-1`` takes ``max + 1`` of indices known when the
    graph is built."""
    t = _t(tensor)
    if not t.dtype.is_integer:
        raise TypeError(f"F.one_hot expects integer class indices, got {t.dtype.name} ({t.name})")
    if num_classes < 0:
        v = static_value(t)
        if v is None:
            raise ValueError(f"F.one_hot(num_classes=-1) needs indices known when the graph is built; {t.name} is "
                             "computed at run time: give num_classes")
        num_classes = int(np.max(v)) + 1 if v.size else 0
    return _one_hot(t, num_classes, dtype=_dt.int64)


# ---- attention -----------------------------------------------------------------------------------

def _attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, dropout_p: float, training: TrainingLike,
            scale: float | None) -> tuple[Tensor, Tensor]:
    """``softmax(q k^T * scale + bias) v`` and the attention weights (before dropout)."""
    d = q.shape.as_list()[-1]
    if scale is None:
        if d is None:
            raise ValueError(f"attention needs a static head size, got {q.shape} ({q.name})")
        scale = 1 / math.sqrt(d)
    scores = matmul(q, k, transpose_b=True) * scale
    if bias is not None:
        scores = scores + bias
    weights = _tf.softmax(scores, axis=-1)
    return matmul(_dropout(weights, dropout_p, training), v), weights


def _mask_bias(mask: TensorLike, like: Tensor, masked_when: bool) -> Tensor:
    """A boolean mask (``masked_when`` marks the excluded places) or a float mask, as an additive bias."""
    m = _t(mask)
    if m.dtype.is_bool:
        excluded = m if masked_when else M.logical_not(m)
        return M.where(excluded, ST.constant(-np.inf, like.dtype), ST.constant(0.0, like.dtype))
    return M.cast(m, like.dtype)


def scaled_dot_product_attention(query: TensorLike, key: TensorLike, value: TensorLike,
                                 attn_mask: TensorLike | None = None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    """``softmax(q k^T / sqrt(d) + mask) v`` over [..., L, d] inputs; a boolean ``attn_mask`` marks
    the places that take part (True), a float one is added; ``is_causal`` masks the future."""
    q, k, v = _floats(query, "scaled_dot_product_attention"), _t(key), _t(value)
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
        rows = S.expand_dims(ST.range(S.shape(q)[-2]), 1)
        cols = S.expand_dims(ST.range(S.shape(k)[-2]), 0)
        bias = _mask_bias(M.less_equal(cols, rows), q, masked_when=False)
    elif attn_mask is not None:
        bias = _mask_bias(attn_mask, q, masked_when=False)
    return _attend(q, k, v, bias, _check_p(dropout_p), True, scale)[0]
