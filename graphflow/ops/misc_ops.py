"""Small TF1 utilities built from other ops: logical_xor, divide_no_nan, accumulate_n,
identity_n, ensure_shape, shape_n, is_tensor and confusion_matrix."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import as_shape
from graphflow.core.types import DTypeLike, ShapeLike, TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops._build import as_tensors
from graphflow.ops.array_ops import stack
from graphflow.ops.check_ops import assert_equal, assert_rank
from graphflow.ops.index_ops import scatter_nd
from graphflow.ops.reductions import reduce_max
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.shape_ops import shape as shape_of


def logical_xor(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    a, b = as_tensors(x, y, dtype=_dt.bool_)
    return M.not_equal(a, b, name=name or "LogicalXor")


def divide_no_nan(x: TensorLike, y: TensorLike, name: str | None = None) -> Tensor:
    """``x / y``, and 0 where ``y`` is 0 (its gradient too)."""
    a, b = as_tensors(x, y)
    zero = M.equal(b, M.zeros_like_scalar(b))
    safe = M.where(zero, ST.ones_like(b), b)
    return M.where(zero, M.zeros_like_scalar(a) * (a / safe), a / safe, name=name or "div_no_nan")


def accumulate_n(inputs: Sequence[TensorLike], shape: ShapeLike = None, tensor_dtype: DTypeLike | None = None,
                 name: str | None = None) -> Tensor:
    return M.add_n(list(inputs), name=name)


def identity_n(input: Sequence[TensorLike], name: str | None = None) -> list[Tensor]:  # noqa: A002
    return [M.identity(t) for t in input]


def ensure_shape(x: TensorLike, shape: ShapeLike, name: str | None = None) -> Tensor:
    """``x`` with its static shape merged with ``shape``: incompatible static shapes raise
    ValueError when the graph is built, and a run whose value has another shape fails
    (InvalidArgumentError naming the node and the user's line), as TF1's. The result is a reshape
    to the stated dims (the others read from ``x``), so the stated shape survives the compiler."""
    t = convert_to_tensor(x)
    want = as_shape(shape)
    try:
        merged = t.shape.merge_with(want)
    except ValueError as e:
        raise ValueError(f"ensure_shape: {t.name} has shape {t.shape}, expected {want}: {e}") from None
    if want.rank is None:
        return M.identity(t, name=name or "EnsureShape")
    dims = merged.as_list()
    message = f"Shape of tensor {t.name} is not compatible with expected shape {want}"
    checks = [] if t.shape.rank is not None else [assert_rank(t, len(dims), message=message)]
    static = t.shape.as_list() if t.shape.rank is not None else [None] * len(dims)
    known = [i for i, d in enumerate(want.as_list()) if d is not None and static[i] != d]
    with t.graph.control_dependencies(checks):  # the dims are read once the rank holds
        actual = shape_of(t)
        if known:
            checks.append(assert_equal(stack([actual[i] for i in known]),
                                       np.array([want.as_list()[i] for i in known], np.int32), data=[actual],
                                       message=message))
    with t.graph.control_dependencies(checks):
        target = [d if d is not None else actual[i] for i, d in enumerate(dims)]
        out = reshape(t, stack(target) if any(isinstance(d, Tensor) for d in target) else target,
                      name=name or "EnsureShape")
    out.set_shape(merged)
    return out


def shape_n(input: Sequence[TensorLike], out_type: DTypeLike = _dt.int32,  # noqa: A002
            name: str | None = None) -> list[Tensor]:
    return [shape(t, out_type=out_type) for t in input]


def is_tensor(x: object) -> bool:
    return isinstance(x, Tensor)


def confusion_matrix(labels: TensorLike, predictions: TensorLike, num_classes: int | Tensor | None = None,
                     weights: TensorLike | None = None,
                     dtype: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """``m[i, j]``: how many (or how much weight of) examples have label i and prediction j."""
    lab = M.cast(convert_to_tensor(labels), _dt.int32)
    pred = M.cast(convert_to_tensor(predictions), _dt.int32)
    n = num_classes if num_classes is not None else M.maximum(reduce_max(lab), reduce_max(pred)) + 1
    w = ST.ones_like(lab) if weights is None else convert_to_tensor(weights)
    vals = M.cast(w, dtype)
    size = n if isinstance(n, Tensor) else int(n)
    shape = stack([size, size]) if isinstance(size, Tensor) else [size, size]
    return scatter_nd(stack([lab, pred], axis=1), vals, shape, name=name or "confusion_matrix")
