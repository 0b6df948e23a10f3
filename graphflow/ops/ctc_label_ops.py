"""The CTC label utilities that need no SparseTensor: ``collapse_repeated`` and
``ctc_unique_labels``, on dense ``[batch, time]`` labels. Both place each kept label by comparing
every position with every other (``[batch, time, time]`` masks), so they need no scatter and
keep static shapes until the final width; ``collapse_repeated`` also takes a time known only when
run (CTC's labels densified from a SparseTensor).
"""
from __future__ import annotations

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.concat_ops import concat
from graphflow.ops.elementwise_ops import add_name, logical_and, logical_not, not_equal
from graphflow.ops.index_ops import sequence_mask
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.math_ops import cast, equal
from graphflow.ops.reduce_ops import reduce_any, reduce_max, reduce_sum
from graphflow.ops.run_time_args import slice as _slice
from graphflow.ops.shape_ops import expand_dims, reshape, shape
from graphflow.ops.state_ops import constant, ones_like, range  # noqa: A004

__all__ = ["collapse_repeated", "ctc_unique_labels"]


def _time(labels: Tensor, what: str) -> int:
    if labels.shape.rank != 2 or not labels.shape.as_list()[1]:
        raise ValueError(f"{what} needs [batch, time] labels with a static time >= 1, got {labels.name} "
                         f"of shape {labels.shape}")
    return int(labels.shape.as_list()[1])  # type: ignore[arg-type]


def _placed(values: Tensor, keep: Tensor, time: int | Tensor) -> Tensor:
    """``out[b, k]`` = the value at the k-th kept position of row b, 0 past the last."""
    slot = cumsum(cast(keep, _dt.int32), axis=1) - 1
    at = logical_and(expand_dims(keep, 2), equal(expand_dims(slot, 2), reshape(range(time), [1, 1, -1])))
    return reduce_sum(cast(at, values.dtype) * expand_dims(values, 2), 1)


def collapse_repeated(labels: TensorLike, seq_length: TensorLike, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(labels with runs of repeats merged within each row's ``seq_length``, zero-padded to the
    longest result; the new lengths).

    >>> import graphflow as gf
    >>> out, n = gf.nn.collapse_repeated(gf.constant([[1, 1, 2, 2, 1]]), [4])
    >>> out.eval().tolist(), n.eval().tolist()
    ([[1, 2]], [2])
    """
    lab = convert_to_tensor(labels)
    if lab.shape.rank != 2:
        raise ValueError(f"collapse_repeated needs [batch, time] labels, got {lab.name} of shape {lab.shape}")
    time = lab.shape.as_list()[1] or shape(lab)[1]  # (known when the graph is built, or when run)
    starts = concat([ones_like(lab[:, :1], dtype=_dt.bool_), not_equal(lab[:, 1:], lab[:, :-1])], 1)
    keep = logical_and(starts, sequence_mask(seq_length, time))
    new_len = reduce_sum(cast(keep, _dt.int32), 1)
    out = _placed(lab, keep, time)
    return add_name(_slice(out, [0, 0], [-1, reduce_max(new_len)]), name), new_len


def ctc_unique_labels(labels: TensorLike, name: str | None = None) -> tuple[Tensor, Tensor]:
    """(each row's distinct labels in order of first appearance, zero-padded to the row length,
    as int64; the int32 index of each label in its row's list).

    >>> import graphflow as gf
    >>> u, i = gf.nn.ctc_unique_labels(gf.constant([[3, 1, 3, 2]]))
    >>> u.eval().tolist(), i.eval().tolist()
    ([[3, 1, 2, 0]], [[0, 1, 0, 2]])
    """
    lab = convert_to_tensor(labels)
    time = _time(lab, "ctc_unique_labels")
    same = equal(expand_dims(lab, 2), expand_dims(lab, 1))  # [b, i, j]
    before = constant(np.tri(time, time, -1, dtype=bool).reshape(1, time, time))  # j < i
    first = logical_not(reduce_any(logical_and(same, before), 2))
    slot = cumsum(cast(first, _dt.int32), axis=1) - 1
    index = reduce_sum(cast(logical_and(same, expand_dims(first, 1)), _dt.int32) * expand_dims(slot, 1), 2)
    unique = _placed(cast(lab, _dt.int64), first, time)
    return add_name(unique, name), index
