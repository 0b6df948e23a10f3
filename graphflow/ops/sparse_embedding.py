"""TF1's ``tf.nn.embedding_lookup_sparse`` and ``tf.nn.safe_embedding_lookup_sparse``: the rows
of an embedding table picked by a sparse tensor of ids, combined per row of the ids ("sum",
"mean" or "sqrtn", optionally weighted). Composites of gather and segment sums, so ``params``
and the weights' values get gradients."""
from __future__ import annotations

from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.types import TensorLike
from graphflow.ops import index_ops as I
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import run_time_axes as RA
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat
from graphflow.ops.misc_ops import divide_no_nan
from graphflow.ops.nn_ops import embedding_lookup
from graphflow.ops.sparse_ops import SparseTensor, as_sparse, sparse_retain

__all__ = ["embedding_lookup_sparse", "safe_embedding_lookup_sparse"]

_COMBINERS = ("sum", "mean", "sqrtn")


def _combined(params: Any, sp_ids: SparseTensor, sp_weights: SparseTensor | None, combiner: str,
              num_rows: Any, partition_strategy: str, max_norm: float | None) -> Any:
    """Per row of ``sp_ids``: its embeddings (scaled by its weights) combined by ``combiner``
    into ``num_rows`` output rows."""
    if combiner not in _COMBINERS:
        raise ValueError(f"combiner must be one of {_COMBINERS}, given {combiner!r}")
    rows = sp_ids.indices[:, 0]
    emb = embedding_lookup(params, sp_ids.values, partition_strategy=partition_strategy, max_norm=max_norm)
    if sp_weights is None:
        total = I.unsorted_segment_sum(emb, rows, num_rows)
        if combiner == "sum":
            return total
        count = I.unsorted_segment_sum(M.cast(ST.ones_like(rows), emb.dtype), rows, num_rows)
        scale = count if combiner == "mean" else M.sqrt(count)
        return divide_no_nan(total, RA.expand_dims(scale, 1))
    w = M.cast(sp_weights.values, emb.dtype)
    total = I.unsorted_segment_sum(emb * RA.expand_dims(w, 1), rows, num_rows)
    if combiner == "sum":
        return total
    scale = I.unsorted_segment_sum(w if combiner == "mean" else w * w, rows, num_rows)
    if combiner == "sqrtn":
        scale = M.sqrt(scale)
    return divide_no_nan(total, RA.expand_dims(scale, 1))


def embedding_lookup_sparse(params: Any, sp_ids: Any, sp_weights: Any, partition_strategy: str = "mod",
                            name: str | None = None, combiner: str | None = None,
                            max_norm: float | None = None) -> Any:
    """For each row ``i`` of the 2-D sparse ``sp_ids``, the rows of ``params`` at its ids,
    weighted by ``sp_weights`` (None: weight 1), combined: "sum", "mean" (weighted mean, the
    default) or "sqrtn" (sum over the root of the sum of squared weights). The output has
    ``max(row) + 1`` rows, as TF1's (rows past the last id are absent; empty rows between are
    zero)."""
    sp = as_sparse(sp_ids, "sp_ids")
    if sp.shape.rank not in (None, 2):
        raise ValueError(f"embedding_lookup_sparse: sp_ids must be 2-D, given shape {sp.shape}")
    weights = None if sp_weights is None else as_sparse(sp_weights, "sp_weights")
    num_rows = M.cast(R.reduce_max(sp.indices[:, 0]), _dt.int32) + 1
    return _combined(params, sp, weights, combiner or "mean", num_rows, partition_strategy, max_norm)


def safe_embedding_lookup_sparse(embedding_weights: Any, sparse_ids: Any, sparse_weights: Any = None,
                                 combiner: str = "mean", default_id: TensorLike | None = None,
                                 name: str | None = None, partition_strategy: str = "div",
                                 max_norm: float | None = None) -> Any:
    """``embedding_lookup_sparse`` that drops invalid ids (negative) and, unless ``combiner`` is
    "sum", non-positive weights,
    and gives every row of ``sparse_ids`` (of rank 2 or more; the last dim holds the ids) an
    output: empty rows are zero, or ``embedding_weights[default_id]`` when given. The output's
    shape is ``dense_shape[:-1] + [dim]``."""
    sp = as_sparse(sparse_ids, "sparse_ids")
    weights = None if sparse_weights is None else as_sparse(sparse_weights, "sparse_weights")
    rank = sp.shape.rank
    if rank is None or rank < 2:
        raise ValueError(f"safe_embedding_lookup_sparse: sparse_ids needs a known rank of 2 or more, "
                         f"given shape {sp.shape}")
    outer = sp.dense_shape[:-1]
    batch = R.reduce_prod(outer)
    if rank > 2:  # flatten the leading dims into one batch dim
        strides = RA.cumprod(outer, exclusive=True, reverse=True)
        row = R.reduce_sum(sp.indices[:, :-1] * RA.expand_dims(strides, 0), axis=1)
        flat_idx = RA.concat([RA.expand_dims(row, 1), sp.indices[:, -1:]], 1)
        flat_shape = RA.concat([S.reshape(batch, [1]), sp.dense_shape[-1:]], 0)
        sp = SparseTensor(flat_idx, sp.values, flat_shape)
        if weights is not None:
            weights = SparseTensor(flat_idx, weights.values, flat_shape)
    keep = M.greater_equal(sp.values, 0)
    if weights is not None and combiner != "sum":  # as TF1, "sum" keeps non-positive weights
        keep = M.logical_and(keep, M.greater(weights.values, 0))
    if weights is not None:
        weights = sparse_retain(weights, keep)
    sp = sparse_retain(sp, keep)
    num_rows = M.cast(batch, _dt.int32)
    out = _combined(embedding_weights, sp, weights, combiner, num_rows, partition_strategy, max_norm)
    if default_id is not None:
        present = I.unsorted_segment_sum(ST.ones_like(sp.indices[:, 0]), sp.indices[:, 0], num_rows)
        fallback = embedding_lookup(embedding_weights, RA.expand_dims(M.cast(default_id, _dt.int64), 0),
                                    partition_strategy=partition_strategy, max_norm=max_norm)
        out = M.where(RA.expand_dims(M.greater(present, 0), 1), out, fallback + ST.zeros_like(out))
    dim = S.shape(out, out_type=_dt.int64)[1:]
    final = S.reshape(out, M.cast(concat([outer, dim], 0), _dt.int32))
    return final
