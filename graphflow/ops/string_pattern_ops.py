"""TF1's regular expressions and base64 on string tensors: ``regex_replace``,
``regex_full_match``, ``encode_base64``, ``decode_base64``.

Host ops (``Kind.HOST``) as every string op. TF matches with RE2 in UTF-8 mode; graphflow runs
Python's ``re`` on the UTF-8 text (undecodable bytes kept through ``surrogateescape``) after a
small translation toward RE2's meaning: ``$`` is the end of the text (not "before a final
newline"), ``\\z`` is ``\\Z``, ``\\w \\d \\s \\b`` are ASCII, ``[[:alpha:]]`` and the other POSIX
classes become ASCII ranges, and what RE2 rejects (lookaround, backreferences) is rejected.
Replacement follows RE2's ``GlobalReplace`` (no empty match right after a match; ``\\0``-``\\9``
and ``\\\\`` in the rewrite). docs/differences.md lists what remains.
"""
from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, same_shape
from graphflow.ops.string_ops import _map, _strings

# ---- RE2 patterns in Python's re ------------------------------------------------------------------

_UNSUPPORTED = ("(?=", "(?!", "(?<=", "(?<!")
# RE2's POSIX classes (``[[:alpha:]]``), which Python's re lacks, as ASCII ranges
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
          "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
          "xdigit": "0-9A-Fa-f"}
_POSIX_CLASS = re.compile(r"\[:(\^?)([a-z]+):\]")


def _translate(pattern: str) -> str:
    """``pattern`` (RE2 syntax) as a Python pattern of the same meaning, or ValueError where RE2
    rejects it."""
    multiline = re.match(r"\(\?[a-zA-Z]*m", pattern) is not None
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt.isdigit() and nxt != "0" and not in_class:
                raise ValueError(f"invalid escape sequence: \\{nxt} (RE2 has no backreferences)")
            out.append("\\Z" if nxt == "z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            m = _POSIX_CLASS.match(pattern, i)
            if m and m.group(2) in _POSIX and not m.group(1):
                out.append(_POSIX[m.group(2)])
                i = m.end()
                continue
            if m:
                raise ValueError(f"invalid character class range: {m.group(0)}")
            in_class = c != "]" or pattern[i - 1] in "[^"
        elif c == "[":
            in_class = True
        elif c == "(" and pattern.startswith(_UNSUPPORTED, i):
            raise ValueError(f"invalid perl operator: {pattern[i:i + 4]} (RE2 has no lookaround)")
        elif c == "$" and not multiline:
            c = "\\Z"
        out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _compile(pattern: bytes) -> re.Pattern[str]:
    text = pattern.decode("utf-8", "surrogateescape")
    try:
        return re.compile(_translate(text), re.ASCII)
    except (re.error, ValueError) as e:
        raise ValueError(f"Invalid pattern: {text!r}, error: {e}") from None


def _text(s: bytes) -> str:
    return s.decode("utf-8", "surrogateescape")


def _rewrite(template: str, m: re.Match[str]) -> str:
    """RE2's ``Rewrite``: ``\\N`` is group N (empty when it did not take part), ``\\\\`` a
    backslash; any other escape ends the rewrite there (RE2 logs it and keeps what it wrote)."""
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = template[i + 1] if i + 1 < len(template) else ""
        if nxt.isdigit():
            out.append(m.group(int(nxt)) or "")
        elif nxt == "\\":
            out.append("\\")
        else:
            break
        i += 2
    return "".join(out)


def _max_group(template: str) -> int:
    found = [int(d) for d in re.findall(r"\\(\d)", template.replace("\\\\", ""))]
    return max(found, default=0)


def _replace(s: str, rx: re.Pattern[str], template: str, replace_global: bool) -> str:
    """RE2's ``GlobalReplace`` (or ``Replace``): an empty match where the last match ended is
    skipped, one character on."""
    if _max_group(template) > rx.groups:
        return s  # RE2 refuses a rewrite naming a group the pattern lacks, leaving the text
    out: list[str] = []
    pos, last_end = 0, -1
    while pos <= len(s):
        m = rx.search(s, pos)
        if m is None:
            break
        out.append(s[pos:m.start()])
        if m.start() == m.end() == last_end:
            out.append(s[pos:pos + 1])
            pos += 1
            continue
        out.append(_rewrite(template, m))
        pos = last_end = m.end()
        if not replace_global:
            break
    out.append(s[pos:])
    return "".join(out)


@dataclass(frozen=True)
class RegexAttrs:
    replace_global: bool = True


def _scalar_str(v: np.ndarray) -> bytes:
    return bytes(np.asarray(v, dtype=object).reshape(()).item())


def _regex_replace_ref(at: RegexAttrs, x: np.ndarray, pattern: np.ndarray, rewrite: np.ndarray) -> np.ndarray:
    rx = _compile(_scalar_str(pattern))
    template = _text(_scalar_str(rewrite))
    return _map(lambda s: _replace(_text(s), rx, template, at.replace_global).encode("utf-8", "surrogateescape"),
                np.asarray(x, dtype=object))


def _regex_full_match_ref(at: object, x: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    rx = _compile(_scalar_str(pattern))
    return _map(lambda s: rx.fullmatch(_text(s)) is not None, np.asarray(x, dtype=object)).astype(bool)


def _strings_to(out: DType) -> Callable[[Sequence[DType], object], list[DType]]:
    def rule(dtypes: Sequence[DType], at: object) -> list[DType]:
        for i, d in enumerate(dtypes):
            if not d.is_string:
                raise TypeError(f"operand {i} has dtype {d.name}, expected string")
        return [out]
    return rule


def _scalar_args(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    for s in shapes[1:]:
        if s.rank not in (None, 0):
            raise ValueError(f"the pattern and rewrite must be scalars, given shape {s}")
    return [shapes[0]]


register(OpDef(Op.REGEX_REPLACE, Kind.HOST, _scalar_args, _strings_to(_dt.string), _regex_replace_ref,
               no_gradient=True))
register(OpDef(Op.REGEX_FULL_MATCH, Kind.HOST, _scalar_args, _strings_to(_dt.bool_), _regex_full_match_ref,
               no_gradient=True))


# ---- base64 (TF's web-safe alphabet) --------------------------------------------------------------

@dataclass(frozen=True)
class Base64Attrs:
    pad: bool = False


_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _encode(at: Base64Attrs, s: bytes) -> bytes:
    out = base64.urlsafe_b64encode(s)
    return out if at.pad else out.rstrip(b"=")


def _decode(s: bytes) -> bytes:
    """TF's decoder: web-safe alphabet, '=' padding only closing a final group of four."""
    body = s
    if len(s) % 4 == 0 and s.endswith(b"="):
        body = s[:-2] if s.endswith(b"==") else s[:-1]
    if any(c not in _ALPHABET for c in body):
        raise ValueError("Invalid character found in base64.")
    if len(body) % 4 == 1:
        raise ValueError("Base64 string length cannot be 1 modulo 4.")
    try:
        return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
    except binascii.Error as e:
        raise ValueError(f"Invalid base64: {e}") from None


register(OpDef(Op.ENCODE_BASE64, Kind.HOST, same_shape, _strings_to(_dt.string),
               lambda at, x: _map(lambda s: _encode(at, s), np.asarray(x, dtype=object)), no_gradient=True))
register(OpDef(Op.DECODE_BASE64, Kind.HOST, same_shape, _strings_to(_dt.string),
               lambda at, x: _map(_decode, np.asarray(x, dtype=object)), no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _pattern(value: TensorLike, what: str) -> Tensor:
    return convert_to_tensor(value, dtype=_dt.string) if isinstance(value, (str, bytes)) else _strings(value, what)


def regex_replace(input: TensorLike, pattern: TensorLike, rewrite: TensorLike,  # noqa: A002
                  replace_global: bool = True, name: str | None = None) -> Tensor:
    """Replace the matches of ``pattern`` (RE2 syntax) in each string by ``rewrite`` (``\\1`` to
    ``\\9`` insert groups, ``\\0`` the match); only the first when ``replace_global`` is False.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.regex_replace(["a1b22"], "[0-9]+", "#")).tolist()
    [b'a#b#']
    """
    x = _strings(input, "regex_replace")
    return make(Op.REGEX_REPLACE, [x, _pattern(pattern, "regex_replace"), _pattern(rewrite, "regex_replace")],
                RegexAttrs(bool(replace_global)), name=name or "RegexReplace")


def regex_full_match(input: TensorLike, pattern: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """Whether each whole string matches ``pattern`` (RE2 syntax), a bool tensor.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.regex_full_match(["ab", "abc"], "a.")).tolist()
    [True, False]
    """
    x = _strings(input, "regex_full_match")
    return make(Op.REGEX_FULL_MATCH, [x, _pattern(pattern, "regex_full_match")], name=name or "RegexFullMatch")


def encode_base64(input: TensorLike, pad: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """Each string in web-safe base64 (``-`` and ``_``), '=' padded only when ``pad``.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.encode_base64(["ab?"])).tolist()
    [b'YWI_']
    """
    return make(Op.ENCODE_BASE64, [_strings(input, "encode_base64")], Base64Attrs(bool(pad)),
                name=name or "EncodeBase64")


def decode_base64(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """Each web-safe base64 string decoded (padding optional); a bad string raises at run time.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.decode_base64(["YWI_"])).tolist()
    [b'ab?']
    """
    return make(Op.DECODE_BASE64, [_strings(input, "decode_base64")], name=name or "DecodeBase64")
