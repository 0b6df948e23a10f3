"""Parsing ``tf.train.SequenceExample`` protos: ``parse_single_sequence_example`` and the batched
``parse_sequence_example``.

A host op as ``parse_example`` (parsing_ops.py), whose feature configurations it shares. Its
outputs are the context features (as ``parse_example`` gives them), then the sequence features
(a ``FixedLenSequenceFeature`` dense ``[steps] + shape``, a ``VarLenFeature`` a SparseTensor
``[steps, longest]``; batched: ``[batch, most steps] + shape`` padded with zeros, and
``[batch, most steps, longest]``), then, batched, each dense sequence feature's lengths.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make_node
from graphflow.ops.parsing_ops import (
    Spec,
    _decode,
    _feature_values,
    _gather,
    _names,
    _outputs,
    _protos,
    _results,
    _sparse,
    _spec_dtypes,
    _spec_shapes,
    _specs,
    _stack,
    _unbatch,
)
from graphflow.ops.sparse_ops import SparseTensor

__all__ = ["parse_single_sequence_example", "parse_sequence_example"]


@dataclass(frozen=True, eq=False)
class SequenceAttrs:
    context: tuple[Spec, ...]
    sequence: tuple[Spec, ...]
    names: tuple[str, ...] | None = None  # example names, for the messages
    batched: bool = False  # parse_sequence_example: a vector of protos


def _steps(s: Spec, lists: Any, name: str) -> Any:
    """One example's sequence feature: its steps' values (sparse), or their rows (dense)."""
    label = name or "<unknown>"
    if s.key not in lists:
        if s.kind != "sparse" and not s.allow_missing:
            raise ValueError(f"Name: {label}, Feature list '{s.key}' is required but could not be found.  Did you "
                             "mean to include it in feature_list_dense_missing_assumed_empty or "
                             "feature_list_dense_defaults?")
        steps: list[np.ndarray | None] = []
    else:
        steps = [_feature_values(f, s, f"Name: {label}, Feature list: {s.key}, Index: {t}")
                 for t, f in enumerate(lists[s.key].feature)]
    if s.kind == "sparse":
        return (steps,)
    n = int(np.prod(s.shape, dtype=np.int64))
    rows = []
    for t, v in enumerate(steps):
        size = 0 if v is None else v.size
        if size != n:
            raise ValueError(f"Name: {label}, Key: {s.key}, Index: {t}.  Number of values != expected.  values "
                             f"size: {size} but output shape: {list(s.shape)}")
        rows.append(v.reshape(s.shape))
    return rows


def _batch_sparse(parts: Sequence[list[np.ndarray]], dtype: DType) -> list[np.ndarray]:
    """Each example's ``[steps, longest]`` SparseTensor stacked into ``[batch, most steps, longest]``."""
    idx = [np.concatenate([np.full((len(p[0]), 1), j, np.int64), p[0]], axis=1) for j, p in enumerate(parts)]
    vals = [p[1] for p in parts]
    shape = np.max([p[2] for p in parts], axis=0) if parts else np.zeros(2, np.int64)
    values = np.concatenate(vals) if vals else np.empty(0, dtype=object if dtype.is_string else dtype.np)
    return [np.concatenate(idx).reshape(-1, 3) if idx else np.zeros((0, 3), np.int64), values,
            np.array([len(parts), *shape], dtype=np.int64)]


def _sequence_ref(at: SequenceAttrs, serialized: np.ndarray) -> list[np.ndarray]:
    blobs = np.asarray(serialized, dtype=object)
    if blobs.ndim != (1 if at.batched else 0):
        raise ValueError(f"Expected serialized to be a {'vector' if at.batched else 'scalar'}, got shape: "
                         f"{list(blobs.shape)}")
    blobs = blobs.reshape(-1)
    names = list(at.names or ()) + [""] * (blobs.size - len(at.names or ()))
    protos = [_decode(_protos().SequenceExample, b, "sequence example", names[j]) for j, b in enumerate(blobs)]
    batch: list[int | None] = list(range(blobs.size)) if at.batched else [None]
    contexts = [p.context.feature for p in protos]
    outs = _outputs(at.context, _gather(contexts, at.context, names, batch), names, batch)
    if not at.batched:
        outs = _unbatch(at.context, outs)
    lengths = []
    for s in at.sequence:
        per = [_steps(s, p.feature_lists.feature_list, names[j]) for j, p in enumerate(protos)]
        if s.kind == "sparse":
            parts = [_sparse(s, steps[0]) for steps in per]
            outs.extend(_batch_sparse(parts, s.dtype) if at.batched else parts[0])
            continue
        dense = [_stack(rows, (len(rows),) + s.shape, s.dtype) for rows in per]
        if not at.batched:
            outs.append(dense[0])
            continue
        most = max((len(d) for d in dense), default=0)
        out = np.zeros((len(dense), most) + s.shape, dtype=object if s.dtype.is_string else s.dtype.np)
        if s.dtype.is_string:
            out[...] = b""
        for j, d in enumerate(dense):
            out[j, :len(d)] = d
        outs.append(out)
        lengths.append(np.array([len(d) for d in dense], dtype=np.int64))
    return outs + lengths


def _sequence_shape(shapes: Sequence[TensorShape], at: SequenceAttrs) -> list[TensorShape]:
    s = shapes[0]
    want = 1 if at.batched else 0
    if s.rank not in (None, want):
        raise ValueError(f"parse_{'' if at.batched else 'single_'}sequence_example: serialized must be a "
                         f"{'vector' if at.batched else 'scalar'}, given shape {s}")
    lead = [s.as_list()[0] if s.rank == 1 else None] if at.batched else []
    out = _spec_shapes(at.context, lead)
    for f in at.sequence:  # steps follow the batch
        cols = len(lead) + 2
        out += ([TensorShape([None, cols]), TensorShape([None]), TensorShape([cols])] if f.kind == "sparse"
                else [TensorShape(lead + [None] + list(f.shape))])
    if at.batched:
        out += [TensorShape(lead) for f in at.sequence if f.kind != "sparse"]
    return out


def _sequence_dtypes(dtypes: Sequence[DType], at: SequenceAttrs) -> list[DType]:
    if not dtypes[0].is_string:
        raise TypeError(f"parse_sequence_example: serialized must be a string tensor, given {dtypes[0].name}")
    lengths = [_dt.int64 for f in at.sequence if f.kind != "sparse"] if at.batched else []
    return _spec_dtypes(at.context) + _spec_dtypes(at.sequence) + lengths


register(OpDef(Op.PARSE_SEQUENCE_EXAMPLE, Kind.HOST, _sequence_shape, _sequence_dtypes, _sequence_ref,
               no_gradient=True))


Parsed = dict[str, Tensor | SparseTensor]


def _build(serialized: TensorLike, context_features: Mapping[str, Any] | None,
           sequence_features: Mapping[str, Any] | None, names: Any, batched: bool, name: str) -> \
        tuple[Parsed, Parsed, dict[str, Tensor]]:
    if not context_features and not sequence_features:
        raise ValueError("Missing features.")
    ctx, seq = _specs(context_features), _specs(sequence_features, sequence=True)
    if batched:
        for f in seq:
            if f.default is not None:
                raise ValueError(f"Value feature_list.dense_defaults[{f.key}] must be None")
    x = convert_to_tensor(serialized, dtype=_dt.string)
    node = make_node(Op.PARSE_SEQUENCE_EXAMPLE, [x], SequenceAttrs(ctx, seq, _names(names), batched), name=name)
    n_ctx = sum(s.outputs for s in ctx)
    n_seq = sum(s.outputs for s in seq)
    outs = node.outputs
    dense = [f.key for f in seq if f.kind != "sparse"]
    return (_results(ctx, outs[:n_ctx]), _results(seq, outs[n_ctx:n_ctx + n_seq]),
            dict(zip(dense, outs[n_ctx + n_seq:])))


def parse_single_sequence_example(serialized: TensorLike, context_features: Mapping[str, Any] | None = None,
                                  sequence_features: Mapping[str, Any] | None = None,
                                  example_name: Any = None, name: str | None = None) -> tuple[Parsed, Parsed]:
    """Parse one serialized ``tf.train.SequenceExample``: ``(context, sequence)`` dicts. Context
    features are as in ``parse_single_example``; a ``FixedLenSequenceFeature`` sequence feature
    is dense ``[steps] + shape``, a ``VarLenFeature`` a SparseTensor ``[steps, longest]``.

    >>> import graphflow as gf
    >>> ctx, seq = gf.parse_single_sequence_example(
    ...     gf.placeholder(gf.string, []), {"n": gf.FixedLenFeature([], gf.int64)},
    ...     {"x": gf.FixedLenSequenceFeature([3], gf.float32)})
    >>> seq["x"].shape.as_list()
    [None, 3]
    """
    ctx, seq, _ = _build(serialized, context_features, sequence_features, example_name, False,
                         name or "ParseSingleSequenceExample")
    return ctx, seq


def parse_sequence_example(serialized: TensorLike, context_features: Mapping[str, Any] | None = None,
                           sequence_features: Mapping[str, Any] | None = None, example_names: Any = None,
                           name: str | None = None) -> tuple[Parsed, Parsed, dict[str, Tensor]]:
    """Parse a vector of serialized ``SequenceExample`` protos: ``(context, sequence, lengths)``;
    dense sequence features are ``[batch, most steps] + shape`` padded with zeros, ``lengths``
    gives each one's steps per example."""
    return _build(serialized, context_features, sequence_features, example_names, True,
                  name or "ParseSequenceExample")
