"""Softmax cross-entropy as primitives: the loss per row and its gradient in the logits, each one
pass over a row (TF1's SoftmaxCrossEntropyWithLogits computes both in one kernel too).

Built from primitives the loss is a dozen kernels (max, shift, exp, sum, log, products and their
gradients, each a separate loop because its values have several uses); as two rows it is two,
which matters for compile time (each distinct kernel costs about 0.1 s) and for step time.
Second derivatives go through the composite softmax (``_vjp_grad``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.ops._build import make, require
from graphflow.ops.elementwise_ops import exp, log, stop_gradient
from graphflow.ops.reduce_ops import broadcast_to
from graphflow.ops.reductions import reduce_max, reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape
from graphflow.ops.shape_ops import shape as shape_of

FLOATS = require("f")


def _rows_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    labels, logits = shapes
    if not labels.is_compatible_with(logits):
        raise ValueError(f"labels shape {labels} must equal logits shape {logits}")
    if logits.rank is None:
        return [TensorShape(None)]
    if logits.rank == 0:
        raise ValueError("softmax cross-entropy needs logits of rank >= 1")
    return [TensorShape(logits.dims[:-1])]  # type: ignore[index]


def _grad_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    return [shapes[2]]


def _shifted(lg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = lg.astype(np.float64) - lg.max(axis=-1, keepdims=True)
    return s, np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _xent_ref(at: object, lb: np.ndarray, lg: np.ndarray) -> np.ndarray:
    s, lse = _shifted(lg)
    return np.asarray((lb * (lse - s)).sum(axis=-1)).astype(lg.dtype)


def _xent_grad_ref(at: object, g: np.ndarray, lb: np.ndarray, lg: np.ndarray) -> np.ndarray:
    s, lse = _shifted(lg)
    p = np.exp(s - lse)
    return (np.asarray(g)[..., None] * (p * lb.sum(axis=-1, keepdims=True) - lb)).astype(lg.dtype)


def _log_softmax(logits: Tensor) -> Tensor:
    """The composite log-softmax over the last axis (what the gradients of these rows need; the
    public ``nn.log_softmax`` builds the same nodes)."""
    s = logits - stop_gradient(reduce_max(logits, axis=-1, keepdims=True))
    return s - log(reduce_sum(exp(s), axis=-1, keepdims=True))


def _vjp(n: Operation, g: Tensor) -> list:
    labels, logits = n.inputs
    return [expand_dims(g, -1) * -_log_softmax(logits), make(Op.SOFTMAX_XENT_GRAD, [g, labels, logits])]


def _vjp_grad(n: Operation, v: Tensor) -> list:
    # y = g (p S - labels) with p = softmax(logits), S = sum(labels): then
    # dg = sum(v (p S - labels)), dlabels = g (sum(v p) - v), dlogits = g S p (v - sum(v p))
    g, labels, logits = n.inputs
    p = exp(_log_softmax(logits))
    total = reduce_sum(labels, axis=-1, keepdims=True)
    ge = expand_dims(g, -1)
    vp = reduce_sum(v * p, axis=-1, keepdims=True)
    return [reduce_sum(v * (p * total - labels), axis=-1), ge * (vp - v), ge * total * p * (v - vp)]


def _same(dtypes: Sequence[DType], at: object) -> list[DType]:
    return FLOATS(dtypes, at)


register(OpDef(Op.SOFTMAX_XENT, Kind.OTHER, _rows_shape, _same, _xent_ref, vjp=_vjp))
register(OpDef(Op.SOFTMAX_XENT_GRAD, Kind.OTHER, _grad_shape, _same, _xent_grad_ref, vjp=_vjp_grad))


def labels_like_logits(labels: Tensor, logits: Tensor) -> Tensor:
    """Labels as TF1 reads them against logits of another shape: both as matrices of the classes
    (``[-1, classes]``), the labels' rows broadcast to the logits' (labels ``[1, N, C]`` for
    logits ``[N, C]``, or one row for every row), then shaped like the logits. Labels of the
    logits' shape, or whose classes cannot be matched, come back as they are (the shape rule
    then names the disagreement)."""
    a, b = labels.shape, logits.shape
    if a.rank is None or b.rank is None or (a.rank == b.rank and a.is_compatible_with(b)) or not a.rank or not b.rank:
        return labels
    ca, cb = a.dims[-1], b.dims[-1]  # type: ignore[index]
    if (ca is not None and cb is not None and ca != cb) or (ca is None and cb is None):
        return labels
    classes = cb if cb is not None else ca
    rows = broadcast_to(reshape(labels, [-1, classes]), shape_of(reshape(logits, [-1, classes])))
    if b.is_fully_defined():
        return reshape(rows, b.as_list())
    out = reshape(rows, shape_of(logits))
    out.set_shape(b)
    return out


def softmax_xent(labels: Tensor, logits: Tensor, name: str | None = None) -> Tensor:
    """Per-row ``-sum(labels * log_softmax(logits))`` over the last axis."""
    return make(Op.SOFTMAX_XENT, [labels, logits], name=name or "SoftmaxCrossEntropyWithLogits")

