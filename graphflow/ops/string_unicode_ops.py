"""TF1's Unicode ops that need no RaggedTensor: ``strings.unicode_transcode``,
``strings.unicode_encode`` (of a dense tensor of code points) and ``strings.unicode_script``.

Host ops (``Kind.HOST``) as every string op. TF converts with ICU; Python's codecs agree with it
on the cases tested (maximal-subpart replacement of ill-formed UTF-8, BOM handling), with the
BOM-less ``UTF-16`` / ``UTF-32`` read big-endian as ICU reads them. ``unicode_script`` maps
integers to integers, so it is no host op but a lookup in ICU's table of script runs
(``unicode_scripts_data``) built of dense ops, compiled on every target.
"""
from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, same_shape
from graphflow.ops.array_extras import searchsorted
from graphflow.ops.array_ops import gather
from graphflow.ops.constant_ops import constant
from graphflow.ops.elementwise_ops import where
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.string_ops import _map, _strings
from graphflow.ops.unicode_scripts_data import RUNS

# ICU's names (case, '-', '_' and spaces ignored) -> Python codecs; "UTF-16"/"UTF-32" read a BOM
_INPUT = {"UTF8": "utf-8", "UTF16BE": "utf-16-be", "UTF16LE": "utf-16-le", "UTF16": "utf-16",
          "UTF32BE": "utf-32-be", "UTF32LE": "utf-32-le", "UTF32": "utf-32", "USASCII": "ascii",
          "ASCII": "ascii", "ISO88591": "latin-1", "LATIN1": "latin-1"}
_OUTPUT = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}
_ERRORS = ("replace", "ignore", "strict")


def _codec(name: str) -> str:
    key = name.upper().replace("-", "").replace("_", "").replace(" ", "")
    if key not in _INPUT:
        raise ValueError(f"unicode_transcode: unsupported input_encoding {name!r}; expected one of UTF-8, "
                         "UTF-16(-BE/-LE), UTF-32(-BE/-LE), US-ASCII, ISO-8859-1")
    return _INPUT[key]


def _with_bom(s: bytes, codec: str) -> tuple[bytes, str]:
    """``utf-16`` / ``utf-32`` as ICU reads them: a BOM picks the byte order, big-endian without."""
    width = 2 if codec == "utf-16" else 4
    le, be = ("\ufeff".encode(f"{codec}-le"), "\ufeff".encode(f"{codec}-be"))
    if s.startswith(le):
        return s[width:], f"{codec}-le"
    if s.startswith(be):
        return s[width:], f"{codec}-be"
    return s, f"{codec}-be"


@dataclass(frozen=True)
class UnicodeAttrs:
    input_codec: str  # a Python codec ("" for unicode_encode: the input is code points)
    output_codec: str
    errors: str = "replace"
    replacement_char: int = 0xFFFD
    replace_control_characters: bool = False


def _check_replacement(at: UnicodeAttrs) -> str:
    r = at.replacement_char
    if not (0 <= r <= 0x10FFFF) or 0xD800 <= r <= 0xDFFF:
        raise ValueError(f"replacement_char {r} is not a valid Unicode code point")
    return chr(r)


def _mark_invalid(e: UnicodeError) -> tuple[str, int]:
    """One mark per ill-formed span, where Python's "replace" puts one U+FFFD (ICU does too); a
    lone surrogate, which no decoder here returns as text."""
    if not isinstance(e, UnicodeDecodeError):
        raise e
    return _MARK, e.end


_MARK = "\udfff"
codecs.register_error("graphflow-unicode-mark", _mark_invalid)


def _decode(s: bytes, at: UnicodeAttrs, repl: str) -> str:
    codec = at.input_codec
    if codec in ("utf-16", "utf-32"):
        s, codec = _with_bom(s, codec)
    if at.errors == "strict":
        try:
            text = s.decode(codec)
        except UnicodeDecodeError:
            raise ValueError("Invalid formatting on input string") from None
    else:
        text = s.decode(codec, "graphflow-unicode-mark").replace(_MARK, repl if at.errors == "replace" else "")
    if at.replace_control_characters:  # C0 controls count as ill-formed input, under the same ``errors``
        if at.errors == "strict" and any(ord(c) < 0x20 for c in text):
            raise ValueError("Invalid formatting on input string")
        sub = repl if at.errors == "replace" else ""
        text = "".join(sub if ord(c) < 0x20 else c for c in text)
    return text


def _transcode_ref(at: UnicodeAttrs, x: np.ndarray) -> np.ndarray:
    repl = _check_replacement(at)
    return _map(lambda s: _decode(s, at, repl).encode(at.output_codec), np.asarray(x, dtype=object))


register(OpDef(Op.UNICODE_TRANSCODE, Kind.HOST, same_shape, lambda d, at: _string_only(d), _transcode_ref,
               no_gradient=True))


def _string_only(dtypes: Sequence[DType]) -> list[DType]:
    if not dtypes[0].is_string:
        raise TypeError(f"unicode_transcode: input must be a string tensor, given {dtypes[0].name}")
    return [_dt.string]


# ---- unicode_encode -------------------------------------------------------------------------------

def _encode_ref(at: UnicodeAttrs, x: np.ndarray) -> np.ndarray:
    repl = _check_replacement(at)
    x = np.asarray(x)
    rows = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])
    out = np.empty(rows.shape[0], dtype=object)
    for i, row in enumerate(rows):
        chars = []
        for c in row.tolist():
            if 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF:
                chars.append(chr(c))
            elif at.errors == "strict":
                raise ValueError(f"Invalid code point {c}: expected 0..0x10FFFF, not a surrogate")
            elif at.errors == "replace":
                chars.append(repl)
        out[i] = "".join(chars).encode(at.output_codec)
    return out.reshape(x.shape[:-1])


def _encode_shape(shapes: Sequence[TensorShape], at: UnicodeAttrs) -> list[TensorShape]:
    s = shapes[0]
    if s.rank == 0:
        raise ValueError("input_tensor's rank must be at least 1.")
    return [TensorShape(None if s.rank is None else s.as_list()[:-1])]


def _codepoints(dtypes: Sequence[DType], at: UnicodeAttrs) -> list[DType]:
    if dtypes[0] not in (_dt.int32, _dt.int64):
        raise TypeError(f"unicode_encode: input must be int32 code points, given {dtypes[0].name}")
    return [_dt.string]


register(OpDef(Op.UNICODE_ENCODE, Kind.HOST, _encode_shape, _codepoints, _encode_ref, no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _output(name: str, what: str) -> str:
    if name not in _OUTPUT:
        raise ValueError(f"{what}: output_encoding must be one of {', '.join(_OUTPUT)}, given {name!r}")
    return _OUTPUT[name]


def _errors(errors: str, what: str) -> str:
    if errors not in _ERRORS:
        raise ValueError(f"{what}: errors must be one of {', '.join(_ERRORS)}, given {errors!r}")
    return errors


def unicode_transcode(input: TensorLike, input_encoding: str, output_encoding: str,  # noqa: A002
                      errors: str = "replace", replacement_char: int = 65533,
                      replace_control_characters: bool = False, name: str | None = None) -> Tensor:
    """Each string decoded from ``input_encoding`` and encoded in ``output_encoding`` (UTF-8,
    UTF-16-BE or UTF-32-BE); ill-formed input is replaced, dropped or an error (``errors``).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.unicode_transcode([b"a\\xe9"], "ISO-8859-1", "UTF-8")).tolist()
    [b'a\\xc3\\xa9']
    """
    at = UnicodeAttrs(_codec(input_encoding), _output(output_encoding, "unicode_transcode"),
                      _errors(errors, "unicode_transcode"), int(replacement_char), bool(replace_control_characters))
    return make(Op.UNICODE_TRANSCODE, [_strings(input, "unicode_transcode")], at, name=name or "UnicodeTranscode")


def unicode_encode(input: TensorLike, output_encoding: str, errors: str = "replace",  # noqa: A002
                   replacement_char: int = 65533, name: str | None = None) -> Tensor:
    """The strings whose code points are the last dimension of the integer tensor ``input``
    (graphflow has no RaggedTensor: every row is used whole).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.unicode_encode([[72, 105]], "UTF-8")).tolist()
    [b'Hi']
    """
    at = UnicodeAttrs("", _output(output_encoding, "unicode_encode"), _errors(errors, "unicode_encode"),
                      int(replacement_char))
    return make(Op.UNICODE_ENCODE, [convert_to_tensor(input)], at, name=name or "UnicodeEncode")


# ---- unicode_script ------------------------------------------------------------------------------

_RUNS = [pair.split(":") for pair in RUNS.split()]
_STARTS = np.array([int(start, 16) for start, _ in _RUNS], dtype=np.int32)
_CODES = np.array([int(code) for _, code in _RUNS], dtype=np.int32)


def unicode_script(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """ICU's script code (``UScriptCode``: 0 Common, 25 Latin, 17 Han...) of each int32 code
    point; -1 for a value that is no code point.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.unicode_script([72, 0x3B1, -1])).tolist()
    [25, 14, -1]
    """
    x = convert_to_tensor(input, dtype=_dt.int32)
    if x.dtype != _dt.int32:
        raise TypeError(f"unicode_script: input must be int32 code points, given {x.dtype.name}")
    flat = reshape(x, [-1])
    run = searchsorted(constant(_STARTS[1:]), flat, side="right")  # the run each code point falls in
    code = gather(constant(_CODES), run)
    valid = (flat >= 0) & (flat <= 0x10FFFF)
    out = where(valid, code, constant(-1, dtype=_dt.int32))
    return reshape(out, x.shape.as_list() if x.shape.is_fully_defined() else shape(x), name=name or "UnicodeScript")
