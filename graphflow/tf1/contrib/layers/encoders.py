"""contrib.layers' embedding encoders: ``embed_sequence`` (an ``EmbedSequence/embeddings``
table looked up per id), ``bow_encoder`` (the mean embedding of each row's nonzero ids) and
``embedding_lookup_unique`` (each distinct id looked up once)."""
from __future__ import annotations

from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.array_ops import gather_nd
from graphflow.ops.elementwise_ops import not_equal
from graphflow.ops.math_ops import where_v1
from graphflow.ops.nn_ops import embedding_lookup
from graphflow.ops.reduce_ops import reduce_mean
from graphflow.ops.run_time_axes import concat, gather
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.sort_ops import unique
from graphflow.ops.sparse_embedding import safe_embedding_lookup_sparse
from graphflow.ops.sparse_ops import SparseTensor
from graphflow.ops.variables import InitializerLike, variable_scope
from graphflow.tf1.contrib.framework.variables import model_variable
from graphflow.tf1.contrib.layers.regularizers import Regularizer

__all__ = ["bow_encoder", "embed_sequence", "embedding_lookup_unique"]


def embedding_lookup_unique(params: TensorLike, ids: TensorLike, partition_strategy: str | None = None,
                            name: str | None = None) -> Tensor:
    """``embedding_lookup(params, ids)`` for ids of any rank, each distinct id gathered once."""
    ids_t = convert_to_tensor(ids)
    distinct, where = unique(reshape(ids_t, [-1]))
    flat = gather(embedding_lookup(params, distinct), where)
    out = reshape(flat, concat([shape(ids_t), shape(flat)[1:]], 0))
    out.set_shape(ids_t.shape.concatenate(flat.shape[1:]))
    return out


def embed_sequence(ids: TensorLike, vocab_size: int | None = None, embed_dim: int | None = None,
                   unique: bool = False, initializer: InitializerLike | None = None,
                   regularizer: Regularizer | None = None, trainable: bool = True, scope: str | None = None,
                   reuse: bool | None = None) -> Tensor:
    """``[batch, time]`` ids to ``[batch, time, embed_dim]`` through ``EmbedSequence/embeddings``."""
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not reusing. Got "
                         f"vocab_size={vocab_size} and embed_dim={embed_dim}")
    with variable_scope(scope, default_name="EmbedSequence", values=[ids], reuse=reuse):
        size = None if vocab_size is None or embed_dim is None else [vocab_size, embed_dim]
        table = model_variable("embeddings", size, initializer=initializer, regularizer=regularizer,
                               trainable=trainable)
        return embedding_lookup_unique(table, ids) if unique else embedding_lookup(table, ids)


def bow_encoder(ids: TensorLike | SparseTensor, vocab_size: int, embed_dim: int, sparse_lookup: bool = True,
                initializer: InitializerLike | None = None, regularizer: Regularizer | None = None,
                trainable: bool = True, scope: str | None = None, reuse: bool | None = None) -> Any:
    """The mean embedding of each row's ids (``bow_encoder/embeddings``); with ``sparse_lookup``
    dense ids equal to 0 are left out (a row without ids gives zeros), as TF1's."""
    with variable_scope(scope, default_name="bow_encoder", values=[ids], reuse=reuse):
        table = model_variable("embeddings", [vocab_size, embed_dim], initializer=initializer,
                               regularizer=regularizer, trainable=trainable)
        if sparse_lookup:
            if isinstance(ids, SparseTensor):
                sparse_ids = ids
            else:
                dense = convert_to_tensor(ids)
                idx = where_v1(not_equal(dense, convert_to_tensor(0, dtype=dense.dtype)))
                sparse_ids = SparseTensor(idx, gather_nd(dense, idx), shape(dense, out_type=_dt.int64))
            return safe_embedding_lookup_sparse([table], sparse_ids, combiner="mean", default_id=0)
        if isinstance(ids, SparseTensor):
            raise TypeError(f"ids are expected to be dense Tensor, got: {ids}")
        return reduce_mean(embedding_lookup(table, ids), axis=1)
