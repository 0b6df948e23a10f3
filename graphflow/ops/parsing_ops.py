"""Parsing ``tf.train.Example`` / ``SequenceExample`` protos: ``parse_example``,
``parse_single_example``, ``parse_single_sequence_example`` and their feature configurations.

Host ops (``Kind.HOST``): the protos are decoded by protobuf on the host. One node yields every
requested feature: a ``FixedLenFeature`` (or ``FixedLenSequenceFeature``) one dense output, a
``VarLenFeature`` the three parts of a SparseTensor. Features are taken in key order, as TF1 sorts
them. Bad input is an ``InvalidArgumentError`` naming the feature, the example and the node.
"""
from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make_node
from graphflow.ops.sparse_ops import SparseTensor

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "parse_example",
           "parse_single_example", "parse_single_sequence_example"]


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A feature of a fixed shape: a dense output ``[batch] + shape``; without ``default_value``
    every example must have it."""

    def __new__(cls, shape: Any, dtype: Any, default_value: Any = None) -> FixedLenFeature:
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A sequence of values of one shape: a dense output ``[batch, steps] + shape``, shorter
    examples padded with ``default_value`` (a scalar)."""

    def __new__(cls, shape: Any, dtype: Any, allow_missing: bool = False,
                default_value: Any = None) -> FixedLenSequenceFeature:
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """Any number of values: a SparseTensor ``[batch, longest]``."""


_KINDS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_TF_NAMES = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


@dataclass(frozen=True, eq=False)
class Spec:
    """One requested feature: ``kind`` "dense" (FixedLen), "seq" (FixedLenSequence) or "sparse"."""
    key: str
    kind: str
    dtype: DType
    shape: tuple[int, ...] = ()
    default: np.ndarray | None = None
    allow_missing: bool = False


@dataclass(frozen=True, eq=False)
class ParseAttrs:
    specs: tuple[Spec, ...]
    single: bool  # parse_single_example: one scalar proto, no batch dimension
    names: tuple[str, ...] | None = None  # example_names, for the messages


@dataclass(frozen=True, eq=False)
class SequenceAttrs:
    context: tuple[Spec, ...]
    sequence: tuple[Spec, ...]
    name: str | None = None


def _dtype(dtype: Any, key: str) -> DType:
    d = _dt.as_dtype(dtype)
    if d.name not in _KINDS:
        raise ValueError(f"Unsupported dtype {d.name} for feature {key!r}: expected float32, int64 or string")
    return d


def _values(arr: Sequence[Any], dtype: DType) -> np.ndarray:
    if dtype.is_string:
        out = np.empty(len(arr), dtype=object)
        out[:] = [bytes(v) for v in arr]
        return out
    return np.asarray(arr, dtype=dtype.np)


def _spec(key: str, f: Any, sequence: bool = False) -> Spec:
    if isinstance(f, VarLenFeature):
        return Spec(key, "sparse", _dtype(f.dtype, key))
    if isinstance(f, (FixedLenFeature, FixedLenSequenceFeature)):
        d = _dtype(f.dtype, key)
        shape = TensorShape(f.shape)
        if not shape.is_fully_defined():
            raise ValueError(f"All dimensions of shape for feature {key} need to be known but received {shape}.")
        dims = tuple(shape.as_list())
        seq = isinstance(f, FixedLenSequenceFeature) or sequence
        default = None
        if f.default_value is not None:
            given = _dt.to_strings(f.default_value) if d.is_string else np.asarray(f.default_value, dtype=d.np)
            want = () if seq else dims
            if given.size != int(np.prod(want, dtype=np.int64)):
                raise ValueError(f"Feature {key}: default_value of shape {list(given.shape)} does not fit the "
                                 f"feature's shape {list(want)}")
            default = given.reshape(want)
        allow = bool(getattr(f, "allow_missing", False))
        if seq and not sequence and not allow:
            raise ValueError(f"Unsupported: FixedLenSequenceFeature requires allow_missing to be True "
                             f"(feature {key!r}).")
        return Spec(key, "seq" if seq else "dense", d, dims, default, allow)
    raise ValueError(f"Unsupported feature type for {key!r}: expected FixedLenFeature, FixedLenSequenceFeature "
                     f"or VarLenFeature, got {type(f).__name__}")


def _specs(features: Mapping[str, Any] | None, sequence: bool = False) -> tuple[Spec, ...]:
    if not features:
        return ()
    return tuple(_spec(k, features[k], sequence) for k in sorted(features))


def _protos() -> Any:
    from graphflow.formats import example_protos
    return example_protos


def _where(name: str, key: str, i: int | None) -> str:
    return f"Name: {name or '<unknown>'}, Feature: {key}" + ("" if i is None else f" (example {i})")


def _feature_values(feature: Any, spec: Spec, where: str) -> np.ndarray | None:
    """The values of one Feature as ``spec``'s dtype (None when the feature sets no list)."""
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    want = _KINDS[spec.dtype.name]
    if kind != want:
        raise ValueError(f"{where}.  Data types don't match. Data type: {_TF_NAMES[kind]} but expected type: "
                         f"{_TF_NAMES[want]}")
    return _values(getattr(feature, kind).value, spec.dtype)


def _decode(cls: Any, blob: Any, what: str, name: str) -> Any:
    from google.protobuf.message import DecodeError
    try:
        return cls.FromString(bytes(blob))
    except DecodeError:
        shown = bytes(blob)[:64]
        raise ValueError(f"Could not parse {what} input, value: {shown!r}"
                         + (f" (name: {name})" if name else "")) from None


def _gather(features: Any, specs: Sequence[Spec], names: Sequence[str], batch: Sequence[int | None]) -> \
        list[list[np.ndarray | None]]:
    """``[spec][example]`` -> its values (None where the feature is missing)."""
    return [[_feature_values(f[s.key], s, _where(names[j], s.key, batch[j])) if s.key in f else None
             for j, f in enumerate(features)] for s in specs]


def _dense(spec: Spec, per_example: Sequence[np.ndarray | None], names: Sequence[str],
           batch: Sequence[int | None]) -> np.ndarray:
    n = int(np.prod(spec.shape, dtype=np.int64))
    rows = []
    for j, v in enumerate(per_example):
        if v is None or (v.size == 0 and spec.default is not None):
            if spec.default is None:
                raise ValueError(f"{_where(names[j], spec.key, batch[j])} (data type: "
                                 f"{_TF_NAMES[_KINDS[spec.dtype.name]]}) is required but could not be found.")
            rows.append(spec.default.reshape(spec.shape))
            continue
        if v.size != n:
            raise ValueError(f"{_where(names[j], spec.key, batch[j])}.  Number of {_TF_NAMES[_KINDS[spec.dtype.name]]}"
                             f" values != expected.  Values size: {v.size} but output shape: {list(spec.shape)}")
        rows.append(v.reshape(spec.shape))
    return _stack(rows, (len(per_example),) + spec.shape, spec.dtype)


def _stack(rows: Sequence[np.ndarray], shape: tuple[int, ...], dtype: DType) -> np.ndarray:
    out = np.empty(shape, dtype=object if dtype.is_string else dtype.np)
    for j, r in enumerate(rows):
        out[j] = r
    return out


def _padded(spec: Spec, per_example: Sequence[np.ndarray | None], names: Sequence[str],
            batch: Sequence[int | None], steps: int | None = None) -> np.ndarray:
    """FixedLenSequenceFeature in parse_example: each example's flat values, rows of ``shape``,
    padded to the longest."""
    n = max(int(np.prod(spec.shape, dtype=np.int64)), 1)
    counts = []
    for j, v in enumerate(per_example):
        size = 0 if v is None else v.size
        if size % n:
            raise ValueError(f"{_where(names[j], spec.key, batch[j])}.  Number of values is not a multiple of the "
                             f"feature's size: {size} values, shape {list(spec.shape)}")
        counts.append(size // n)
    longest = max(counts, default=0) if steps is None else steps
    fill = spec.default if spec.default is not None else (b"" if spec.dtype.is_string else 0)
    out = np.empty((len(per_example), longest) + spec.shape, dtype=object if spec.dtype.is_string else spec.dtype.np)
    out[...] = fill
    for j, v in enumerate(per_example):
        if v is not None and counts[j]:
            out[j, :counts[j]] = v.reshape((counts[j],) + spec.shape)
    return out


def _sparse(spec: Spec, per_example: Sequence[np.ndarray | None]) -> list[np.ndarray]:
    idx: list[tuple[int, int]] = []
    vals: list[np.ndarray] = []
    longest = 0
    for j, v in enumerate(per_example):
        if v is None:
            continue
        idx.extend((j, k) for k in range(v.size))
        vals.append(v)
        longest = max(longest, v.size)
    values = np.concatenate(vals) if vals else _values([], spec.dtype)
    return [np.array(idx, dtype=np.int64).reshape(len(idx), 2), values,
            np.array([len(per_example), longest], dtype=np.int64)]


def _outputs(specs: Sequence[Spec], gathered: Sequence[Sequence[np.ndarray | None]], names: Sequence[str],
             batch: Sequence[int | None]) -> list[np.ndarray]:
    outs: list[np.ndarray] = []
    for s, per in zip(specs, gathered):
        if s.kind == "sparse":
            outs.extend(_sparse(s, per))
        elif s.kind == "seq":
            outs.append(_padded(s, per, names, batch))
        else:
            outs.append(_dense(s, per, names, batch))
    return outs


def _unbatch(specs: Sequence[Spec], outs: list[np.ndarray]) -> list[np.ndarray]:
    """One example's outputs: the batch dimension dropped (the sparse indices' first column)."""
    res, i = [], 0
    for s in specs:
        if s.kind == "sparse":
            res.extend([outs[i][:, 1:], outs[i + 1], outs[i + 2][1:]])
            i += 3
        else:
            res.append(outs[i][0])
            i += 1
    return res


def _parse_ref(at: ParseAttrs, serialized: np.ndarray) -> list[np.ndarray]:
    blobs = np.asarray(serialized, dtype=object)
    if blobs.ndim != (0 if at.single else 1):
        raise ValueError(f"Expected serialized to be a {'scalar' if at.single else 'vector'}, got shape: "
                         f"{list(blobs.shape)}")
    blobs = blobs.reshape(-1)
    names = list(at.names or ()) + [""] * (blobs.size - len(at.names or ()))
    batch: list[int | None] = [None] if at.single else list(range(blobs.size))
    example = _protos().Example
    features = [_decode(example, b, "example", names[j]).features.feature for j, b in enumerate(blobs)]
    outs = _outputs(at.specs, _gather(features, at.specs, names, batch), names, batch)
    return _unbatch(at.specs, outs) if at.single else outs


def _spec_shapes(specs: Sequence[Spec], batch: list[int | None] | None) -> list[TensorShape]:
    """Static shapes: ``batch`` is ``[B]`` (or ``[]`` for one example)."""
    lead = batch if batch is not None else []
    out: list[TensorShape] = []
    for s in specs:
        if s.kind == "sparse":
            cols = len(lead) + 1
            out += [TensorShape([None, cols]), TensorShape([None]), TensorShape([cols])]
        elif s.kind == "seq":
            out.append(TensorShape(lead + [None] + list(s.shape)))
        else:
            out.append(TensorShape(lead + list(s.shape)))
    return out


def _spec_dtypes(specs: Sequence[Spec]) -> list[DType]:
    out: list[DType] = []
    for s in specs:
        out += [_dt.int64, s.dtype, _dt.int64] if s.kind == "sparse" else [s.dtype]
    return out


def _parse_shape(shapes: Sequence[TensorShape], at: ParseAttrs) -> list[TensorShape]:
    s = shapes[0]
    want = 0 if at.single else 1
    if s.rank is not None and s.rank != want:
        raise ValueError(f"parse_{'single_' if at.single else ''}example: serialized must be a "
                         f"{'scalar' if at.single else 'vector'}, given shape {s}")
    return _spec_shapes(at.specs, [] if at.single else [s.as_list()[0] if s.rank == 1 else None])


def _string_input(dtypes: Sequence[DType], what: str) -> None:
    if not dtypes[0].is_string:
        raise TypeError(f"{what}: serialized must be a string tensor, given {dtypes[0].name}")


def _parse_dtypes(dtypes: Sequence[DType], at: ParseAttrs) -> list[DType]:
    _string_input(dtypes, "parse_example")
    return _spec_dtypes(at.specs)


register(OpDef(Op.PARSE_EXAMPLE, Kind.HOST, _parse_shape, _parse_dtypes, _parse_ref, no_gradient=True))


# ---- SequenceExample ------------------------------------------------------------------------------

def _sequence_ref(at: SequenceAttrs, serialized: np.ndarray) -> list[np.ndarray]:
    blob = np.asarray(serialized, dtype=object)
    if blob.ndim != 0:
        raise ValueError(f"Expected serialized to be a scalar, got shape: {list(blob.shape)}")
    name = at.name or ""
    ex = _decode(_protos().SequenceExample, blob.item(), "sequence example", name)
    ctx = ex.context.feature
    outs = _unbatch(at.context, _outputs(at.context, _gather([ctx], at.context, [name], [None]), [name], [None]))
    lists = ex.feature_lists.feature_list
    for s in at.sequence:
        if s.key not in lists:
            if s.kind != "sparse" and not s.allow_missing:
                raise ValueError(f"Name: {name or '<unknown>'}, Feature list '{s.key}' is required but could not "
                                 "be found.  Did you mean to include it in feature_list_dense_missing_assumed_empty "
                                 "or feature_list_dense_defaults?")
            steps: list[np.ndarray | None] = []
        else:
            where = f"Name: {name or '<unknown>'}, Feature list: {s.key}"
            steps = [_feature_values(f, s, f"{where}, Index: {t}") for t, f in enumerate(lists[s.key].feature)]
        if s.kind == "sparse":
            sp = _sparse(s, steps)
            outs.extend(sp)
        else:
            n = int(np.prod(s.shape, dtype=np.int64))
            rows = []
            for t, v in enumerate(steps):
                size = 0 if v is None else v.size
                if size != n:
                    raise ValueError(f"Name: {name or '<unknown>'}, Key: {s.key}, Index: {t}.  Number of values != "
                                     f"expected.  values size: {size} but output shape: {list(s.shape)}")
                rows.append(v.reshape(s.shape))
            outs.append(_stack(rows, (len(steps),) + s.shape, s.dtype))
    return outs


def _sequence_shape(shapes: Sequence[TensorShape], at: SequenceAttrs) -> list[TensorShape]:
    if shapes[0].rank not in (None, 0):
        raise ValueError(f"parse_single_sequence_example: serialized must be a scalar, given shape {shapes[0]}")
    out = _spec_shapes(at.context, None)
    for s in at.sequence:  # steps lead
        out += ([TensorShape([None, 2]), TensorShape([None]), TensorShape([2])] if s.kind == "sparse"
                else [TensorShape([None] + list(s.shape))])
    return out


def _sequence_dtypes(dtypes: Sequence[DType], at: SequenceAttrs) -> list[DType]:
    _string_input(dtypes, "parse_single_sequence_example")
    return _spec_dtypes(at.context) + _spec_dtypes(at.sequence)


register(OpDef(Op.PARSE_SEQUENCE_EXAMPLE, Kind.HOST, _sequence_shape, _sequence_dtypes, _sequence_ref,
               no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _results(specs: Sequence[Spec], outputs: Sequence[Tensor]) -> dict[str, Tensor | SparseTensor]:
    res: dict[str, Tensor | SparseTensor] = {}
    i = 0
    for s in specs:
        if s.kind == "sparse":
            res[s.key] = SparseTensor(outputs[i], outputs[i + 1], outputs[i + 2])
            i += 3
        else:
            res[s.key] = outputs[i]
            i += 1
    return res


def _names(example_names: Any) -> tuple[str, ...] | None:
    if example_names is None:
        return None
    v = static_value(convert_to_tensor(example_names, dtype=_dt.string))
    if v is None:
        return None  # a fed tensor of names: messages say <unknown>
    return tuple(x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in np.ravel(v))


def _parse(serialized: TensorLike, features: Mapping[str, Any], single: bool, names: tuple[str, ...] | None,
           name: str | None) -> dict[str, Tensor | SparseTensor]:
    if not features:
        raise ValueError("Missing: features was empty.")
    specs = _specs(features)
    x = convert_to_tensor(serialized, dtype=_dt.string)
    node = make_node(Op.PARSE_EXAMPLE, [x], ParseAttrs(specs, single, names),
                     name=name or ("ParseSingleExample" if single else "ParseExample"))
    return _results(specs, node.outputs)


def parse_example(serialized: TensorLike, features: Mapping[str, Any], name: str | None = None,
                  example_names: Any = None) -> dict[str, Tensor | SparseTensor]:
    """Parse a vector of serialized ``tf.train.Example`` protos into a dict of tensors, one per
    key of ``features``: dense ``[batch] + shape`` for a ``FixedLenFeature``, a SparseTensor for a
    ``VarLenFeature``, dense ``[batch, longest] + shape`` for a ``FixedLenSequenceFeature``.

    >>> import graphflow as gf
    >>> out = gf.parse_example(gf.placeholder(gf.string, [4]), {"x": gf.FixedLenFeature([2], gf.float32)})
    >>> out["x"].shape.as_list()
    [4, 2]
    """
    return _parse(serialized, features, False, _names(example_names), name)


def parse_single_example(serialized: TensorLike, features: Mapping[str, Any], name: str | None = None,
                         example_names: Any = None) -> dict[str, Tensor | SparseTensor]:
    """``parse_example`` of one serialized Example (a scalar): no batch dimension."""
    return _parse(serialized, features, True, _names(example_names), name)


def parse_single_sequence_example(serialized: TensorLike, context_features: Mapping[str, Any] | None = None,
                                  sequence_features: Mapping[str, Any] | None = None,
                                  example_name: Any = None, name: str | None = None) -> \
        tuple[dict[str, Tensor | SparseTensor], dict[str, Tensor | SparseTensor]]:
    """Parse one serialized ``tf.train.SequenceExample``: ``(context, sequence)`` dicts. Context
    features are as in ``parse_single_example``; a ``FixedLenSequenceFeature`` sequence feature
    is dense ``[steps] + shape``, a ``VarLenFeature`` a SparseTensor ``[steps, longest]``."""
    if not context_features and not sequence_features:
        raise ValueError("Missing features.")
    ctx, seq = _specs(context_features), _specs(sequence_features, sequence=True)
    names = _names(example_name)
    x = convert_to_tensor(serialized, dtype=_dt.string)
    node = make_node(Op.PARSE_SEQUENCE_EXAMPLE, [x], SequenceAttrs(ctx, seq, names[0] if names else None),
                     name=name or "ParseSingleSequenceExample")
    n_ctx = sum(3 if s.kind == "sparse" else 1 for s in ctx)
    return _results(ctx, node.outputs[:n_ctx]), _results(seq, node.outputs[n_ctx:])
