"""``tf.data.experimental.CsvDataset``: the records of CSV files as tuples of scalars, one per
(selected) column, typed and defaulted by ``record_defaults``; ``make_csv_dataset``: batches of
a dict of columns (and a label) with the column names and types read from the files."""
from __future__ import annotations

import csv
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

import graphflow.tf1.data.transforms as transforms
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
        return _split(line, delim, use_quote_delim)

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


def _split(line: bytes, delim: str, use_quote_delim: bool) -> list[bytes]:
    text = line.decode("utf-8", "surrogateescape")
    if not use_quote_delim:
        parts = text.split(delim)
    else:
        parts = next(csv.reader([text], delimiter=delim, quotechar='"', doublequote=True, strict=True), [""])
    return [p.encode("utf-8", "surrogateescape") for p in parts]


def _infer(value: bytes, na: bytes, previous: _dt.DType | None) -> _dt.DType | None:
    """The least permissive of int32, int64, float32, float64, string that holds ``value`` and
    every value seen before (TF's inference for make_csv_dataset)."""
    if value in (b"", na):
        return previous
    order = [_dt.int32, _dt.int64, _dt.float32, _dt.float64, _dt.string]

    def fits(k: int) -> bool:
        try:
            if k < 2:
                n = int(value)
                return -2**31 <= n < 2**31 if k == 0 else -2**63 <= n < 2**63
            if k < 4:
                with np.errstate(over="ignore"):  # a float64 beyond float32's range: not a float32
                    return bool(np.abs(np.asarray(float(value), dtype=order[k].np)) < np.inf)
        except (ValueError, OverflowError):
            return False
        return True
    start = order.index(previous) if previous is not None else 0
    return next(order[k] for k in range(start, 5) if fits(k))


def make_csv_dataset(file_pattern: Any, batch_size: int, column_names: Any = None, column_defaults: Any = None,
                     label_name: str | None = None, select_columns: Any = None, field_delim: str = ",",
                     use_quote_delim: bool = True, na_value: str = "", header: bool = True,
                     num_epochs: int | None = None, shuffle: bool = True, shuffle_buffer_size: int = 10000,
                     shuffle_seed: int | None = None,
                     prefetch_buffer_size: int | None = None, num_parallel_reads: int = 1, sloppy: bool = False,
                     num_rows_for_inference: int = 100, compression_type: str | None = None,
                     ignore_errors: bool = False) -> Dataset:
    """Batches of ``(features, label)`` (or ``features``) read from the CSV files matching
    ``file_pattern``: a dict of a batch per column, names from the header and types inferred
    from the first rows unless given, as TF's ``make_csv_dataset``.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv"); _ = open(p, "w").write("x,y\\n1,a\\n2,b\\n")
    >>> feats, label = next(iter(make_csv_dataset(p, 2, label_name="y", shuffle=False)))
    >>> feats["x"].tolist(), label.tolist()
    ([1, 2], [b'a', b'b'])
    """
    import glob as _glob

    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = sorted(m for p in patterns for m in _glob.glob(p.decode() if isinstance(p, bytes) else p))
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    kind = compression(compression_type)
    delim = field_delim.decode() if isinstance(field_delim, bytes) else field_delim
    na = na_value.encode() if isinstance(na_value, str) else na_value

    def rows() -> PyIterator[list[bytes]]:
        for f in files:
            for n, line in enumerate(text_lines(f, kind)):
                if not (header and n == 0):
                    yield _split(line, delim, use_quote_delim)
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments. Neither is provided.")
        first = next(text_lines(files[0], kind), None)
        if first is None:
            raise ValueError(f"Failed when reading the header line of {files[0]}. Is it an empty file?")
        column_names = [c.decode("utf-8") for c in _split(first, delim, use_quote_delim)]
    names = list(column_names)
    if len(set(names)) != len(names):
        raise ValueError(f"Either `column_names` argument or CSV header row contains duplicate column names: {names}.")
    cols = None
    if select_columns is not None:
        cols = sorted(names.index(c) if isinstance(c, str) else int(c) for c in select_columns)
    if column_defaults is None:
        kinds: list[_dt.DType | None] = [None] * (len(cols) if cols is not None else len(names))
        for i, row in enumerate(rows()):
            if i >= num_rows_for_inference:
                break
            for j, c in enumerate(cols if cols is not None else range(len(names))):
                kinds[j] = _infer(row[c], na, kinds[j])
        column_defaults = [np.array([b""], dtype=object) if (t or _dt.string).is_string else np.zeros(1, t.np)
                           for t in kinds]
    if cols is not None and len(names) > len(cols):
        names = [names[i] for i in cols]
    if label_name is not None and label_name not in names:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}. Received: {label_name}.")

    def per_file(f: Any) -> Dataset:
        ds = CsvDataset(f, column_defaults, compression_type=compression_type, header=header, field_delim=delim,
                        use_quote_delim=use_quote_delim, na_value=na_value, select_cols=cols)
        return transforms.ignore_errors(ds) if ignore_errors else ds
    ds = Dataset.from_tensor_slices(files)
    if shuffle:
        ds = ds.shuffle(len(files), seed=shuffle_seed)
    ds = transforms.interleave(ds, per_file, int(num_parallel_reads or 1), 1)
    ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed).repeat(num_epochs) if shuffle else ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)
    # the element becomes ({name: column}, label): flat in the dict's (sorted) key order, label last
    feature_names = [n for n in names if n != label_name]
    order = [names.index(n) for n in sorted(feature_names)] + ([names.index(label_name)] if label_name else [])
    features = {n: 0 for n in feature_names}
    structure: Any = (features, 0) if label_name is not None else features

    def make() -> PyIterator[Any]:
        for item in ds._make():
            yield [item[k] for k in order]
    out = Dataset(make, structure, [ds.output_shapes_flat[k] for k in order], [ds.output_types_flat[k] for k in order])
    out._parent = ds  # type: ignore[attr-defined]
    return out
