"""TF1's ``tf.RaggedTensor``: rows of different lengths, as a composite of ordinary graph tensors.

A RaggedTensor is ``values`` (a tensor, or another RaggedTensor for more ragged dims) cut into
rows by ``row_splits`` (int64 [nrows + 1]: row i is ``values[row_splits[i]:row_splits[i + 1]]``).
Every method is a composite of dense ops (cumulative sums, searches, gathers, scatters), so every
target runs it and gradients reach ``values`` through the dense ops' rules. Fetching one gives a
``RaggedTensorValue`` (numpy parts, ``to_list()``), as TF1's session does.
"""
from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat, stack
from graphflow.ops.linalg_ops import cumsum
from graphflow.ops.math_ops import where
from graphflow.ops.run_time_args import slice as slice_at
from graphflow.ops.sparse_ops import SparseTensor

__all__ = ["RaggedTensor", "RaggedTensorValue"]


class RaggedTensorValue(collections.namedtuple("RaggedTensorValue", ["values", "row_splits"])):
    """A fetched (or fed) ragged tensor: numpy ``values`` (or a nested RaggedTensorValue) and
    ``row_splits``."""

    @property
    def flat_values(self) -> np.ndarray:
        v = self.values
        return v.flat_values if isinstance(v, RaggedTensorValue) else v

    @property
    def nested_row_splits(self) -> tuple[np.ndarray, ...]:
        inner = self.values.nested_row_splits if isinstance(self.values, RaggedTensorValue) else ()
        return (self.row_splits,) + inner

    @property
    def ragged_rank(self) -> int:
        return len(self.nested_row_splits)

    @property
    def dtype(self) -> np.dtype:
        return np.asarray(self.flat_values).dtype

    @property
    def shape(self) -> tuple[int | None, ...]:
        inner = np.shape(self.flat_values)[1:]
        return (len(self.row_splits) - 1,) + (None,) * self.ragged_rank + tuple(inner)

    def to_list(self) -> list:
        v = self.values.to_list() if isinstance(self.values, RaggedTensorValue) else np.asarray(self.values).tolist()
        s = [int(k) for k in self.row_splits]
        return [v[a:b] for a, b in zip(s[:-1], s[1:])]


def _splits(x: TensorLike) -> Tensor:
    t = x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=_dt.int64)
    return t if t.dtype == _dt.int64 else E.cast(t, _dt.int64)


def _nvals(values: Any) -> Tensor:
    """The number of rows of ``values`` (int64)."""
    if isinstance(values, RaggedTensor):
        return values.nrows()
    return E.cast(S.shape(values)[0], _dt.int64)


def _static_rows(values: Any) -> int | None:
    return values.shape.as_list()[0] if values.shape.rank else None


class RaggedTensor:
    """Rows of different lengths (TF1's ``tf.RaggedTensor``); build one with its ``from_*``
    class methods or ``tf.ragged.constant``.

    >>> import graphflow as gf
    >>> rt = gf.RaggedTensor.from_row_splits([3, 1, 4, 1, 5], row_splits=[0, 2, 2, 5])
    >>> rt.shape.as_list()
    [3, None]
    """

    def __init__(self, values: Any, row_splits: Tensor, internal: bool = False) -> None:
        if not internal:
            raise ValueError("RaggedTensor constructor is private; please use one of the factory methods "
                             "instead (e.g., RaggedTensor.from_row_lengths())")
        self._values = values
        self._row_splits = row_splits

    # ---- factories ----------------------------------------------------------------------------------
    @classmethod
    def from_row_splits(cls, values: Any, row_splits: TensorLike, name: str | None = None,
                        validate: bool = True) -> RaggedTensor:
        """Row i is ``values[row_splits[i]:row_splits[i + 1]]``."""
        v = values if isinstance(values, RaggedTensor) else convert_to_tensor(values)
        if not isinstance(v, RaggedTensor) and v.shape.rank == 0:
            raise ValueError(f"RaggedTensor: values must have rank >= 1, given a scalar ({v.name})")
        s = _splits(row_splits)
        if s.shape.rank is not None and s.shape.rank != 1:
            raise ValueError(f"RaggedTensor: row_splits must be a vector, given shape {s.shape}")
        if validate:
            n = _nvals(v)
            first = A.gather(concat([s, ST.constant([-1], dtype=_dt.int64)], 0), 0)
            last = A.gather(s, E.subtract(S.shape(s)[0], 1))
            ordered = R.reduce_all(E.greater_equal(s[1:], s[:-1]))
            check = C.Assert(E.logical_and(E.logical_and(E.equal(first, 0), ordered), E.equal(last, n)),
                             ["RaggedTensor: row_splits must start at 0, not decrease, and end at the number of "
                              "values; given row_splits", s, "for values rows", n])
            with get_default_graph().control_dependencies([check]):
                s = E.identity(s)
        return cls(v, s, internal=True)

    @classmethod
    def from_row_lengths(cls, values: Any, row_lengths: TensorLike, name: str | None = None,
                         validate: bool = True) -> RaggedTensor:
        """Row i is the next ``row_lengths[i]`` values."""
        lengths = _splits(row_lengths)
        if validate:
            check = C.Assert(R.reduce_all(E.greater_equal(lengths, 0)),
                             ["RaggedTensor: row_lengths must be >= 0; given", lengths])
            with get_default_graph().control_dependencies([check]):
                lengths = E.identity(lengths)
        return cls.from_row_splits(values, concat([ST.constant([0], dtype=_dt.int64), cumsum(lengths)], 0),
                                   validate=validate)

    @classmethod
    def from_row_starts(cls, values: Any, row_starts: TensorLike, name: str | None = None,
                        validate: bool = True) -> RaggedTensor:
        v = values if isinstance(values, RaggedTensor) else convert_to_tensor(values)
        return cls.from_row_splits(v, concat([_splits(row_starts), S.reshape(_nvals(v), [1])], 0), validate=validate)

    @classmethod
    def from_row_limits(cls, values: Any, row_limits: TensorLike, name: str | None = None,
                        validate: bool = True) -> RaggedTensor:
        return cls.from_row_splits(values, concat([ST.constant([0], dtype=_dt.int64), _splits(row_limits)], 0),
                                   validate=validate)

    @classmethod
    def from_value_rowids(cls, values: Any, value_rowids: TensorLike, nrows: TensorLike | None = None,
                          name: str | None = None, validate: bool = True) -> RaggedTensor:
        """Value k belongs to row ``value_rowids[k]`` (sorted); ``nrows`` defaults to the last id + 1."""
        ids = _splits(value_rowids)
        if nrows is None:
            nrows = E.add(R.reduce_max(concat([ids, ST.constant([-1], dtype=_dt.int64)], 0)), 1)
        n = _splits(nrows)
        if validate:
            check = C.Assert(E.logical_and(R.reduce_all(E.greater_equal(ids[1:], ids[:-1])),
                                           R.reduce_all(E.logical_and(E.greater_equal(ids, 0), E.less(ids, n)))),
                             ["RaggedTensor: value_rowids must be sorted and in [0, nrows); given", ids,
                              "for nrows", n])
            with get_default_graph().control_dependencies([check]):
                ids = E.identity(ids)
        splits = AX.searchsorted(ids, ST.range(E.add(n, 1), dtype=_dt.int64), side="left", out_type=_dt.int64)
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_nested_row_splits(cls, flat_values: Any, nested_row_splits: Sequence[TensorLike],
                               name: str | None = None, validate: bool = True) -> Any:
        out = flat_values
        for s in reversed(list(nested_row_splits)):
            out = cls.from_row_splits(out, s, validate=validate)
        return out

    @classmethod
    def from_nested_row_lengths(cls, flat_values: Any, nested_row_lengths: Sequence[TensorLike],
                                name: str | None = None, validate: bool = True) -> Any:
        out = flat_values
        for n in reversed(list(nested_row_lengths)):
            out = cls.from_row_lengths(out, n, validate=validate)
        return out

    @classmethod
    def from_nested_value_rowids(cls, flat_values: Any, nested_value_rowids: Sequence[TensorLike],
                                 nested_nrows: Sequence[TensorLike] | None = None, name: str | None = None,
                                 validate: bool = True) -> Any:
        ids = list(nested_value_rowids)
        nrows = list(nested_nrows) if nested_nrows is not None else [None] * len(ids)
        out = flat_values
        for i, n in reversed(list(zip(ids, nrows))):
            out = cls.from_value_rowids(out, i, n, validate=validate)
        return out

    @classmethod
    def from_uniform_row_length(cls, values: Any, uniform_row_length: int, nrows: TensorLike | None = None,
                                validate: bool = True, name: str | None = None) -> RaggedTensor:
        v = values if isinstance(values, RaggedTensor) else convert_to_tensor(values)
        n = _splits(nrows) if nrows is not None else E.floordiv(_nvals(v), uniform_row_length)
        return cls.from_row_splits(v, E.multiply(ST.range(E.add(n, 1), dtype=_dt.int64), uniform_row_length),
                                   validate=validate)

    @classmethod
    def from_tensor(cls, tensor: TensorLike, lengths: TensorLike | None = None, padding: TensorLike | None = None,
                    ragged_rank: int = 1, name: str | None = None, row_splits_dtype: Any = _dt.int64) -> Any:
        """Rows of a dense tensor: whole (``lengths`` and ``padding`` None), their first
        ``lengths[i]`` entries, or with the trailing entries equal to ``padding`` dropped."""
        t = convert_to_tensor(tensor)
        if t.shape.rank is not None and t.shape.rank < ragged_rank + 1:
            raise ValueError(f"RaggedTensor.from_tensor: ragged_rank {ragged_rank} needs a tensor of rank >= "
                             f"{ragged_rank + 1}, given shape {t.shape}")
        if lengths is not None and padding is not None:
            raise ValueError("RaggedTensor.from_tensor: give lengths or padding, not both")
        if ragged_rank > 1:
            if lengths is not None or padding is not None:
                raise NotImplementedError("RaggedTensor.from_tensor: lengths and padding with ragged_rank > 1")
            rows, cols = S.shape(t)[0], S.shape(t)[1]
            inner = cls.from_tensor(S.reshape(t, concat([S.reshape(E.multiply(rows, cols), [1]), S.shape(t)[2:]], 0)),
                                    ragged_rank=ragged_rank - 1)
            return cls.from_uniform_row_length(inner, cols, nrows=rows, validate=False)
        rows, cols = E.cast(S.shape(t)[0], _dt.int64), E.cast(S.shape(t)[1], _dt.int64)
        if padding is not None:
            pad = E.cast(convert_to_tensor(padding), t.dtype)
            kept = E.not_equal(t, pad)
            if t.shape.rank is not None and t.shape.rank > 2:
                kept = R.reduce_any(kept, axis=list(range(2, t.shape.rank)))
            position = E.add(ST.range(cols, dtype=_dt.int64), 1)  # a row's length: after its last kept entry
            lengths = R.reduce_max(E.multiply(E.cast(kept, _dt.int64), position), axis=1)
        if lengths is None:
            return cls.from_uniform_row_length(S.reshape(t, concat([S.reshape(E.multiply(S.shape(t)[0], S.shape(t)[1]),
                                                                                [1]), S.shape(t)[2:]], 0)),
                                               cols, nrows=rows, validate=False)
        n = _splits(lengths)
        n = E.minimum(n, cols)
        mask = E.less(S.expand_dims(ST.range(cols, dtype=_dt.int64), 0), S.expand_dims(n, 1))
        return cls.from_row_lengths(A.boolean_mask(t, mask), n, validate=False)

    @classmethod
    def from_sparse(cls, st_input: Any, name: str | None = None, row_splits_dtype: Any = _dt.int64) -> RaggedTensor:
        """A 2-D SparseTensor whose rows each hold columns 0, 1, ... (in order) as rows."""
        if st_input.indices.shape.rank == 2 and st_input.indices.shape.as_list()[1] not in (None, 2):
            raise ValueError(f"RaggedTensor.from_sparse: st_input must be rank 2, given {st_input.shape}")
        idx = st_input.indices
        rowids, colids = idx[:, 0], idx[:, 1]
        rt = cls.from_value_rowids(st_input.values, rowids, S.reshape(st_input.dense_shape[0], []), validate=False)
        pos = E.subtract(ST.range(S.shape(rowids)[0], dtype=_dt.int64), A.gather(rt._row_splits, rowids))
        check = C.Assert(R.reduce_all(E.equal(colids, pos)),
                         ["RaggedTensor.from_sparse: each row's indices must be its columns 0, 1, ... in order; "
                          "given indices", idx])
        with get_default_graph().control_dependencies([check]):
            return cls(rt._values, E.identity(rt._row_splits), internal=True)

    # ---- parts --------------------------------------------------------------------------------------
    @property
    def values(self) -> Any:
        return self._values

    @property
    def row_splits(self) -> Tensor:
        return self._row_splits

    @property
    def flat_values(self) -> Tensor:
        v = self._values
        return v.flat_values if isinstance(v, RaggedTensor) else v

    @property
    def nested_row_splits(self) -> tuple[Tensor, ...]:
        inner = self._values.nested_row_splits if isinstance(self._values, RaggedTensor) else ()
        return (self._row_splits,) + inner

    @property
    def ragged_rank(self) -> int:
        return len(self.nested_row_splits)

    @property
    def dtype(self) -> _dt.DType:
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self) -> _dt.DType:
        return _dt.int64

    @property
    def graph(self) -> Any:
        return self._row_splits.graph

    @property
    def shape(self) -> TensorShape:
        n = self._row_splits.shape.as_list()[0] if self._row_splits.shape.rank == 1 else None
        inner = self.flat_values.shape
        tail = inner.as_list()[1:] if inner.rank is not None else None
        return TensorShape(None) if tail is None else \
            TensorShape([n - 1 if n is not None else None] + [None] * self.ragged_rank + tail)

    def get_shape(self) -> TensorShape:
        return self.shape

    def nrows(self, out_type: Any = _dt.int64, name: str | None = None) -> Tensor:
        n = E.subtract(S.shape(self._row_splits)[0], 1)
        return E.cast(n, out_type)

    def row_starts(self, name: str | None = None) -> Tensor:
        return self._row_splits[:-1]

    def row_limits(self, name: str | None = None) -> Tensor:
        return self._row_splits[1:]

    def row_lengths(self, axis: int = 1, name: str | None = None) -> Any:
        if axis == 1:
            return E.subtract(self._row_splits[1:], self._row_splits[:-1])
        if axis > 1 and isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.row_lengths(axis - 1))
        raise ValueError(f"RaggedTensor.row_lengths: axis {axis} is not a ragged dim of this tensor "
                         f"(ragged_rank {self.ragged_rank})")

    def nested_row_lengths(self, name: str | None = None) -> tuple[Tensor, ...]:
        inner = self._values.nested_row_lengths() if isinstance(self._values, RaggedTensor) else ()
        return (self.row_lengths(),) + inner

    def value_rowids(self, name: str | None = None) -> Tensor:
        """The row of each value (int64 [nvals])."""
        return AX.searchsorted(self._row_splits[1:], ST.range(_nvals(self._values), dtype=_dt.int64), side="right",
                               out_type=_dt.int64)

    def nested_value_rowids(self, name: str | None = None) -> tuple[Tensor, ...]:
        inner = self._values.nested_value_rowids() if isinstance(self._values, RaggedTensor) else ()
        return (self.value_rowids(),) + inner

    def with_values(self, new_values: Any) -> RaggedTensor:
        return RaggedTensor(new_values, self._row_splits, internal=True)

    def with_flat_values(self, new_values: Any) -> RaggedTensor:
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype: Any) -> RaggedTensor:
        if _dt.as_dtype(dtype) != _dt.int64:
            raise ValueError("graphflow's RaggedTensors keep int64 row splits")
        return self

    def _positions(self) -> tuple[Tensor, Tensor]:
        """Each value's row and its position in the row."""
        rowids = self.value_rowids()
        return rowids, E.subtract(ST.range(_nvals(self._values), dtype=_dt.int64), A.gather(self._row_splits, rowids))

    def bounding_shape(self, axis: int | None = None, name: str | None = None) -> Tensor:
        """[nrows, the longest row, ...] (int64)."""
        longest = R.reduce_max(concat([self.row_lengths(), ST.constant([0], dtype=_dt.int64)], 0))
        inner = self._values.bounding_shape()[1:] if isinstance(self._values, RaggedTensor) else \
            E.cast(S.shape(self._values)[1:], _dt.int64)
        shape = concat([S.reshape(self.nrows(), [1]), S.reshape(longest, [1]), inner], 0)
        return shape if axis is None else shape[axis]

    def to_tensor(self, default_value: TensorLike | None = None, name: str | None = None, shape: Any = None) -> Tensor:
        """The rows padded with ``default_value`` (zero) to the longest."""
        inner = self._values.to_tensor(default_value) if isinstance(self._values, RaggedTensor) else self._values
        rowids, pos = self._positions()
        longest = R.reduce_max(concat([self.row_lengths(), ST.constant([0], dtype=_dt.int64)], 0))
        dims = concat([S.reshape(self.nrows(), [1]), S.reshape(longest, [1]), E.cast(S.shape(inner)[1:], _dt.int64)], 0)
        fill = ST.zeros((), inner.dtype) if default_value is None else E.cast(convert_to_tensor(default_value),
                                                                               inner.dtype)
        base = ST.fill(E.cast(dims, _dt.int32), fill)
        out = AX.tensor_scatter_nd_update(base, stack([rowids, pos], 1), inner)
        out.set_shape(TensorShape([self.shape.as_list()[0] if self.shape.rank else None, None] +
                                  (inner.shape.as_list()[1:] if inner.shape.rank is not None else [])))
        return E.identity(out, name=name)

    def to_sparse(self, name: str | None = None) -> Any:
        """The SparseTensor of every value at its (row, position, ...) coordinates."""
        idx, vals, shape = _sparse_parts(self)
        return SparseTensor(idx, vals, shape)

    # ---- indexing and operators ------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):  # rows start:stop, clamped as Python's slices are
            if key.step not in (None, 1):
                raise NotImplementedError("RaggedTensor: slicing rows with a step")
            n = self.nrows()

            def bound(b: Any, default: Tensor) -> Tensor:
                if b is None:
                    return default
                t = E.cast(convert_to_tensor(b), _dt.int64)
                return E.minimum(E.maximum(where(E.less(t, 0), E.add(t, n), t), 0), n)
            start = bound(key.start, ST.constant(0, dtype=_dt.int64))
            stop = E.maximum(bound(key.stop, n), start)
            splits = slice_at(self._row_splits, E.cast(S.reshape(start, [1]), _dt.int32),
                              E.cast(S.reshape(E.add(E.subtract(stop, start), 1), [1]), _dt.int32))
            first = A.gather(splits, 0)
            last = A.gather(splits, E.subtract(S.shape(splits)[0], 1))
            values = self._rows_of_values(first, E.subtract(last, first))
            return RaggedTensor(values, E.subtract(splits, first), internal=True)
        if isinstance(key, tuple):
            if len(key) == 1:
                return self[key[0]]
            return self[key[0]][key[1:] if len(key) > 2 else key[1]]
        i = E.cast(convert_to_tensor(key), _dt.int64)
        i = where(E.less(i, 0), E.add(i, self.nrows()), i)
        check = C.Assert(E.logical_and(E.greater_equal(i, 0), E.less(i, self.nrows())),
                         ["RaggedTensor: row index", i, "out of range for nrows", self.nrows()])
        with get_default_graph().control_dependencies([check]):
            begin = A.gather(self._row_splits, i)
        return self._rows_of_values(begin, E.subtract(A.gather(self._row_splits, E.add(i, 1)), begin))

    def _rows_of_values(self, begin: Tensor, count: Tensor) -> Any:
        v = self._values
        if isinstance(v, RaggedTensor):
            return v[begin:E.add(begin, count)]
        rank = v.shape.rank
        if rank is None:
            raise ValueError("RaggedTensor: indexing needs values of known rank")
        b = concat([S.reshape(begin, [1]), ST.constant([0] * (rank - 1), dtype=_dt.int64)], 0)
        c = concat([S.reshape(count, [1]), ST.constant([-1] * (rank - 1), dtype=_dt.int64)], 0)
        out = slice_at(v, E.cast(b, _dt.int32), E.cast(c, _dt.int32))
        out.set_shape(TensorShape([None] + v.shape.as_list()[1:]))
        return out

    def _binary(self, other: Any, op: Callable[[Any, Any], Tensor], reverse: bool = False) -> RaggedTensor:
        if isinstance(other, RaggedTensor):
            a, b = self.flat_values, other.flat_values
        else:
            o = convert_to_tensor(other, dtype=self.dtype)
            inner = self.flat_values.shape.rank
            if o.shape.rank not in (0, None) and (inner is None or o.shape.rank >= inner):
                raise ValueError("RaggedTensor: an operand must be a RaggedTensor of the same rows or a tensor "
                                 "that broadcasts against the values' inner dims (a scalar)")
            a, b = self.flat_values, o
        return self.with_flat_values(op(b, a) if reverse else op(a, b))

    def __add__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.add)

    def __radd__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.add, True)

    def __sub__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.subtract)

    def __rsub__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.subtract, True)

    def __mul__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.multiply)

    def __rmul__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.multiply, True)

    def __truediv__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.divide)

    def __rtruediv__(self, o: Any) -> RaggedTensor:
        return self._binary(o, E.divide, True)

    def __neg__(self) -> RaggedTensor:
        return self.with_flat_values(E.negative(self.flat_values))

    # ---- sessions ---------------------------------------------------------------------------------------
    def _as_fetch_structure(self) -> RaggedTensorValue:
        """The parts, as Session.run fetches and feeds them."""
        return RaggedTensorValue(self._values, self._row_splits)

    def __repr__(self) -> str:
        return f"tf.RaggedTensor(values={self._values!r}, row_splits={self._row_splits!r})"


def _sparse_parts(x: Any) -> tuple[Tensor, Tensor, Tensor]:
    """(indices [n, rank], values [n], dense_shape [rank]) of every entry of ``x``."""
    if not isinstance(x, RaggedTensor):
        t = convert_to_tensor(x)
        everything = ST.fill(S.shape(t), True)
        return E.cast(where(everything), _dt.int64), S.reshape(t, [-1]), E.cast(S.shape(t), _dt.int64)
    idx, vals, shape = _sparse_parts(x.values)
    rowids, pos = x._positions()
    outer = A.gather(stack([rowids, pos], 1), idx[:, 0])
    longest = R.reduce_max(concat([x.row_lengths(), ST.constant([0], dtype=_dt.int64)], 0))
    return (concat([outer, idx[:, 1:]], 1), vals,
            concat([S.reshape(x.nrows(), [1]), S.reshape(longest, [1]), shape[1:]], 0))


def is_ragged(x: object) -> bool:
    return isinstance(x, RaggedTensor)
