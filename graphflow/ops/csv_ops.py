"""``tf.decode_csv`` (``tf.io.decode_csv``): CSV records to one tensor per column, a host op.

TF1's rules: fields split at ``field_delim``; with ``use_quote_delim`` a field starting with a
double quote runs to the matching quote (``""`` inside is one quote) and may hold delimiters; an
empty field, or one equal to ``na_value``, takes its column's default, and a column without one
(an empty default) requires a value.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.nodes import make_node
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.types import TensorLike

__all__ = ["decode_csv"]

_KINDS = {"float32": "float", "float64": "double", "int32": "int32", "int64": "int64", "string": "string"}
_INT_RANGE = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}


@dataclass(frozen=True)
class CsvAttrs:
    dtypes: tuple[DType, ...]
    field_delim: str
    use_quote_delim: bool
    na_value: str
    select_cols: tuple[int, ...] | None


class CsvError(ValueError):
    """A record that does not parse (the host turns it into InvalidArgumentError naming the node)."""


def split_record(record: bytes, delim: bytes, quoted: bool) -> list[bytes]:
    """The fields of one CSV record under TF1's quoting rules.

    >>> split_record(b'1,"a,""b",', b",", True)
    [b'1', b'a,"b', b'']
    """
    fields: list[bytes] = []
    i, n = 0, len(record)
    while True:
        if quoted and i < n and record[i:i + 1] == b'"':
            out = bytearray()
            i += 1
            while True:
                if i >= n:
                    raise CsvError("Quoted field has to end with quote followed by delim or end")
                c = record[i:i + 1]
                if c == b'"':
                    if record[i + 1:i + 2] == b'"':
                        out += b'"'
                        i += 2
                        continue
                    i += 1
                    if i < n and record[i:i + 1] != delim:
                        raise CsvError("Quote inside a string has to be escaped by another quote")
                    break
                out += c
                i += 1
            fields.append(bytes(out))
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if (quoted and b'"' in field) or b"\n" in field or b"\r" in field:
                raise CsvError("Unquoted fields cannot have quotes/CRLFs inside")
            fields.append(field)
            i = j
        if i >= n:
            return fields
        i += 1  # past the delimiter: a field follows, maybe empty
        if i == n:
            fields.append(b"")
            return fields


def _number(text: bytes, kind: str) -> object:
    s = text.decode("utf-8", "replace").strip()
    if kind in _INT_RANGE:
        v = int(s, 10)  # (ValueError: not an integer)
        lo, hi = _INT_RANGE[kind]
        if not lo <= v <= hi:
            raise ValueError(s)
        return v
    return float(s)


def _decode_csv_ref(at: CsvAttrs, records: np.ndarray, *defaults: np.ndarray) -> list[np.ndarray]:
    recs = _dt.to_strings(records)
    delim = at.field_delim.encode()
    na = at.na_value.encode()
    want = len(at.dtypes)
    outs = [np.empty(recs.shape, dtype=d.np) for d in at.dtypes]
    flat_outs = [o.reshape(-1) for o in outs]
    cols = at.select_cols
    for r, raw in enumerate(recs.reshape(-1)):
        record = raw if isinstance(raw, bytes) else str(raw).encode()
        fields = split_record(record, delim, at.use_quote_delim)
        if cols is None:
            if len(fields) != want:
                raise CsvError(f"Expect {want} fields but have {len(fields)} in record {r}")
            picked = fields
        else:
            if cols[-1] >= len(fields):
                raise CsvError(f"Expect {cols[-1] + 1} fields but have {len(fields)} in record {r}")
            picked = [fields[c] for c in cols]
        for f, (text, d) in enumerate(zip(picked, at.dtypes)):
            if text == b"" or text == na:
                if np.size(defaults[f]) == 0:
                    raise CsvError(f"Field {f} is required but missing in record {r}!")
                value = np.asarray(defaults[f]).reshape(-1)[0]
            elif d.is_string:
                value = text
            else:
                kind = _KINDS[d.name]
                try:
                    value = _number(text, kind)
                except ValueError:
                    raise CsvError(f"Field {f} in record {r} is not a valid {kind}: "
                                   f"{text.decode('utf-8', 'replace')}") from None
            flat_outs[f][r] = value
    return outs


register(OpDef(Op.DECODE_CSV, Kind.HOST, lambda s, at: [s[0]] * len(at.dtypes), lambda d, at: list(at.dtypes),
               _decode_csv_ref, no_gradient=True))


def decode_csv(records: TensorLike, record_defaults: Sequence[TensorLike], field_delim: str = ",",
               use_quote_delim: bool = True, name: str | None = None, na_value: str = "",
               select_cols: Sequence[int] | None = None) -> list[Tensor]:
    """One tensor per column of the CSV strings ``records``, each of ``records``' shape; column
    ``i`` has ``record_defaults[i]``'s dtype and takes its value (one element, or none for a
    required column) where a field is empty.

    >>> import graphflow as gf
    >>> a, b = gf.decode_csv(gf.constant(["1,x", "2,"]), [[0], ["?"]])
    >>> a.dtype, b.dtype
    (gf.int32, gf.string)
    """
    recs = convert_to_tensor(records, dtype=_dt.string)
    if len(field_delim.encode()) != 1:
        raise ValueError(f"field_delim should be only 1 byte, given {field_delim!r}")
    cols = None
    if select_cols is not None:
        cols = tuple(int(c) for c in select_cols)
        if any(c < 0 for c in cols) or any(b <= a for a, b in zip(cols, cols[1:])):
            raise ValueError(f"select_cols must be non-negative and strictly increasing, given {list(cols)}")
        if len(cols) != len(record_defaults):
            raise ValueError(f"Length of select_cols ({len(cols)}) and record_defaults ({len(record_defaults)}) "
                             "should match")
    defaults = []
    for i, d in enumerate(record_defaults):
        if isinstance(d, (list, tuple)) and len(d) == 0:
            t = convert_to_tensor(np.zeros(0, np.float32))
        else:
            t = convert_to_tensor(d)
        if t.dtype.name not in _KINDS:
            raise TypeError(f"record_defaults[{i}] must be float32, float64, int32, int64 or string, "
                            f"given {t.dtype.name}")
        if t.shape.rank is not None and t.shape.rank > 1:
            raise ValueError(f"record_defaults[{i}] must have at most one element (rank 0 or 1), given shape {t.shape}")
        defaults.append(t)
    attrs = CsvAttrs(tuple(t.dtype for t in defaults), field_delim, bool(use_quote_delim), na_value, cols)
    return list(make_node(Op.DECODE_CSV, [recs] + defaults, attrs, name=name or "DecodeCSV").outputs)
