"""``tf.data.experimental.CsvDataset``: the records of CSV files as tuples of scalars, one per
(selected) column, typed and defaulted by ``record_defaults``."""
from __future__ import annotations

import csv
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor
from graphflow.core.shapes import TensorShape
from graphflow.tf1.data.dataset import Dataset, _as_arrays
from graphflow.tf1.data.readers import _CHUNK, compression, file_dataset, text_lines

_TYPES = ("int32", "int64", "float32", "float64", "string")


def _column(default: Any, k: int) -> tuple[_dt.DType, Any]:
    """(the column's dtype, its default value or None when the field is required)."""
    if isinstance(default, _dt.DType) or (isinstance(default, type) and default is not bool):
        dtype = _dt.as_dtype(default)
        value = None
    else:
        if isinstance(default, Tensor):
            v = static_value(default)
            if v is None:
                raise ValueError(f"record_defaults[{k}] must be known when the graph is built")
            arr = np.asarray(v, dtype=object) if default.dtype.is_string else np.asarray(v, dtype=default.dtype.np)
            dtype = default.dtype
        else:
            arr = _as_arrays(default)
            dtype = _dt.string if arr.dtype == object else _dt.as_dtype(arr.dtype)
        if arr.size > 1:
            raise ValueError(f"record_defaults[{k}] must be a scalar or an empty vector, got shape {arr.shape}")
        value = arr.reshape(-1)[0] if arr.size else None
    if dtype.name not in _TYPES:
        raise TypeError(f"record_defaults[{k}] has dtype {dtype.name}; CsvDataset takes {', '.join(_TYPES)}")
    return dtype, value


def CsvDataset(filenames: Any, record_defaults: Any, compression_type: str | None = None,  # noqa: N802
               buffer_size: int | None = None, header: bool = False, field_delim: str = ",",
               use_quote_delim: bool = True, na_value: str = "", select_cols: Any = None) -> Dataset:
    """Tuples of the (``select_cols``) fields of each line; an empty field (or ``na_value``)
    takes the column's default, and raises ``InvalidArgumentError`` where the default is a dtype.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv"); _ = open(p, "w").write('1,"x,y"\\n,z\\n')
    >>> [(int(a), b.item()) for a, b in CsvDataset(p, [-1, "?"])]
    [(1, b'x,y'), (-1, b'z')]
    """
    columns = [_column(d, k) for k, d in enumerate(record_defaults)]
    cols = None if select_cols is None else [int(c) for c in select_cols]
    if cols is not None and (sorted(set(cols)) != cols or (cols and cols[0] < 0)):
        raise ValueError(f"select_cols must be non-negative and strictly increasing, got {select_cols}")
    if cols is not None and len(cols) != len(columns):
        raise ValueError(f"select_cols ({len(cols)}) and record_defaults ({len(columns)}) must have one length")
    delim = field_delim.decode() if isinstance(field_delim, bytes) else field_delim
    na = na_value.encode() if isinstance(na_value, str) else na_value
    kind = compression(compression_type)
    size = int(buffer_size or _CHUNK)

    def fields(line: bytes) -> list[bytes]:
        text = line.decode("utf-8", "surrogateescape")
        if not use_quote_delim:
            parts = text.split(delim)
        else:
            parts = next(csv.reader([text], delimiter=delim, quotechar='"', doublequote=True, strict=True), [""])
        return [p.encode("utf-8", "surrogateescape") for p in parts]

    def convert(value: bytes, k: int, record: int, path: str) -> np.ndarray:
        dtype, default = columns[k]
        if value == b"" or value == na:
            if default is None:
                raise InvalidArgumentError(None, None, f"{path}: Field {k} is required but missing in record {record}!")
            return np.array(default, dtype=object) if dtype.is_string else np.asarray(default, dtype=dtype.np)
        if dtype.is_string:
            return np.array(value, dtype=object)
        try:
            number = int(value) if dtype.is_integer else float(value)
            return np.asarray(number, dtype=dtype.np)
        except (ValueError, OverflowError):
            raise InvalidArgumentError(None, None, f"{path}: Field {k} in record {record} is not a valid {dtype.name}: "
                                       f"{value.decode('utf-8', 'replace')}") from None

    def records(path: str) -> PyIterator[list[np.ndarray]]:
        for n, line in enumerate(text_lines(path, kind, size)):
            if header and n == 0:
                continue
            record = n - 1 if header else n
            try:
                parts = fields(line)
            except csv.Error as e:
                raise InvalidArgumentError(None, None, f"{path}: record {record}: {e}") from None
            if cols is None:
                if len(parts) != len(columns):
                    raise InvalidArgumentError(None, None, f"{path}: Expect {len(columns)} fields but have "
                                               f"{len(parts)} in record {record}")
                picked = parts
            else:
                if cols and len(parts) <= cols[-1]:
                    raise InvalidArgumentError(None, None, f"{path}: Expect at least {cols[-1] + 1} fields but have "
                                               f"{len(parts)} in record {record}")
                picked = [parts[c] for c in cols]
            yield [convert(v, k, record, path) for k, v in enumerate(picked)]

    return file_dataset(filenames, records, tuple(0 for _ in columns), [TensorShape([]) for _ in columns],
                        [c[0] for c in columns])
