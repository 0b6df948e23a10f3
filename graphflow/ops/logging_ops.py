"""Printing: ``tf.Print`` (its input passes through) and ``tf.print`` (an op to run).

PRINT is a host op: the runtime fetches the printed tensors from the compiled call and prints
them after it (``runtime/host.py``); a ``tf.Print`` output consumed by compiled nodes is its input
there. Output goes to stderr by default, as TF1's.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, make_node


@dataclass(frozen=True)
class PrintAttrs:
    pieces: tuple[str | None, ...]  # the text: literal pieces, None where the next input goes
    passthrough: bool  # tf.Print: input 0 is the output (and is not printed unless listed again)
    style: str  # "Print": message then "[values]" per tensor; "print": pieces joined by sep
    sep: str = " "
    end: str = "\n"
    summarize: int = 3
    stream: str = "stderr"  # "stderr", "stdout" or "file://path"
    first_n: int = -1
    printed: list = field(default_factory=lambda: [0], compare=False, hash=False)


def _format_value(v: np.ndarray, summarize: int, style: str) -> str:
    v = np.asarray(v)
    if v.dtype == object:
        v = np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b),
                         otypes=[object])(v) if v.size else v
    if style == "Print":  # TF1's tf.Print: the first `summarize` values, flattened
        flat = v.reshape(-1)
        n = flat.size if summarize < 0 else min(summarize, flat.size)
        body = " ".join(f"{x:g}" if isinstance(x, (float, np.floating)) else str(x) for x in flat[:n])
        return f"[{body}{'...' if n < flat.size else ''}]"
    if v.ndim == 0:
        x = v[()]
        return f"{x:g}" if isinstance(x, np.floating) else str(x)
    edge = v.size if summarize < 0 else summarize
    return np.array2string(v, separator=" ", threshold=2 * edge if edge < v.size else v.size + 1,
                           edgeitems=max(edge, 1), formatter={"object": str, "float_kind": lambda x: f"{x:g}"},
                           max_line_width=10**6)


def _print_ref(at: PrintAttrs, *values: np.ndarray) -> np.ndarray:
    vals = list(values)
    out = vals.pop(0) if at.passthrough else np.zeros((), np.bool_)
    if at.first_n >= 0 and at.printed[0] >= at.first_n:
        return np.array(out, copy=True)
    at.printed[0] += 1
    parts: list[str] = []
    it = iter(vals)
    for p in at.pieces:
        parts.append(_format_value(next(it), at.summarize, at.style) if p is None else p)
    text = ("" if at.style == "Print" else at.sep).join(parts) + at.end
    if at.stream.startswith("file://"):
        with open(at.stream[len("file://"):], "a") as f:
            f.write(text)
    else:
        stream = sys.stdout if at.stream == "stdout" else sys.stderr
        stream.write(text)
        stream.flush()
    return np.array(out, copy=True)


def _print_shape(shapes: Sequence[TensorShape], at: PrintAttrs) -> list[TensorShape]:
    return [shapes[0] if at.passthrough else TensorShape([])]


def _print_dtype(dtypes: Sequence[DType], at: PrintAttrs) -> list[DType]:
    return [dtypes[0] if at.passthrough else _dt.bool_]


register(OpDef(Op.PRINT, Kind.HOST, _print_shape, _print_dtype, _print_ref, stateful=True,
               vjp=lambda n, g: [g] + [None] * (len(n.inputs) - 1) if n.attrs.passthrough
               else [None] * len(n.inputs)))


def _stream_name(stream: object) -> str:
    if stream is None or stream is sys.stderr or stream == "stderr":
        return "stderr"
    if stream is sys.stdout or stream == "stdout":
        return "stdout"
    if isinstance(stream, str) and stream.startswith("file://"):
        return stream
    raise ValueError(f"print: output_stream must be sys.stderr, sys.stdout or 'file://path', got {stream!r}")


def Print(input_: TensorLike, data: Sequence[TensorLike], message: str | None = None,  # noqa: N802
          first_n: int | None = None, summarize: int | None = None, name: str | None = None) -> Tensor:
    """TF1's ``tf.Print``: ``input_`` unchanged; running it prints ``message`` then each tensor of
    ``data`` as ``[v0 v1 v2...]`` (the first ``summarize`` values, 3 by default) to stderr.

    >>> import graphflow as gf
    >>> Print(gf.constant([1.0]), [gf.constant(2)], "x: ").shape.as_list()
    [1]
    """
    x = convert_to_tensor(input_)
    ts = [convert_to_tensor(d) for d in data]
    pieces = (message or "",) + (None,) * len(ts)
    at = PrintAttrs(pieces, True, "Print", summarize=3 if summarize is None else int(summarize),
                    first_n=-1 if first_n is None else int(first_n))
    return make(Op.PRINT, [x, *ts], at, name=name or "Print")


def print_(*inputs: object, output_stream: object = None, summarize: int = 3, sep: str = " ",
           end: str = "\n", name: str | None = None) -> Operation:
    """TF's ``tf.print``: an op that prints its inputs (Python values as text, tensors formatted
    as numpy does, ``summarize`` values at each edge) when run; sess.run it, or make other ops
    depend on it with ``control_dependencies``."""
    pieces: list[str | None] = []
    ts: list[Tensor] = []
    for v in inputs:
        if isinstance(v, Tensor) or hasattr(v, "_as_graph_tensor"):
            pieces.append(None)
            ts.append(convert_to_tensor(v))
        else:
            pieces.append(str(v))
    at = PrintAttrs(tuple(pieces), False, "print", sep, end, int(summarize), _stream_name(output_stream))
    return make_node(Op.PRINT, ts, at, name=name or "PrintV2")
