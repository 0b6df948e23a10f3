"""``tf.summary`` (TF1): summary ops for TensorBoard and the ``FileWriter`` that writes them.

A summary op is an ordinary fetchable tensor (a serialized ``Summary`` protobuf, a string
scalar) computed on the host after the compiled call, only by runs that fetch it;
``FileWriter.add_summary`` appends it to an event file TensorBoard reads. Needs the optional
``tensorboard`` package when summaries run or are written.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops._build import make
from graphflow.ops.summary_ops import SummaryAttrs
from graphflow.ops.variables import GraphKeys
from graphflow.tf1.summary.writer import FileWriter, FileWriterCache  # noqa: F401

__all__ = ["FileWriter", "FileWriterCache", "audio", "histogram", "image", "merge", "merge_all", "scalar", "text"]


@contextmanager
def _summary_scope(name: str, family: str | None) -> Iterator[str]:
    """TF1's tags: the op's (unique) name scope, under ``family`` when given."""
    g = get_default_graph()
    with g.name_scope(f"{family}/{name}" if family else name) as scope:
        yield scope.rstrip("/")


def _add(t: Tensor, collections: Sequence[str] | None) -> Tensor:
    g = get_default_graph()
    for key in (collections if collections is not None else [GraphKeys.SUMMARIES]):
        g.add_to_collection(key, t)
    return t


def scalar(name: str, tensor: TensorLike, collections: Sequence[str] | None = None,
           family: str | None = None) -> Tensor:
    """A scalar value (any real dtype) under the tag ``name`` (within the name scope)."""
    x = convert_to_tensor(tensor)
    if x.dtype.is_string or (x.shape.rank is not None and x.shape.num_elements() not in (None, 1)):
        raise ValueError(f"tf.summary.scalar {name!r} needs a real scalar, got {x.dtype.name} {x.shape} ({x.name})")
    with _summary_scope(name, family) as tag:
        return _add(make(Op.SCALAR_SUMMARY, [x], SummaryAttrs(tag), name="ScalarSummary"), collections)


def histogram(name: str, values: TensorLike, collections: Sequence[str] | None = None,
              family: str | None = None) -> Tensor:
    """The distribution of ``values`` (any shape) in TF1's exponential buckets."""
    x = convert_to_tensor(values)
    with _summary_scope(name, family) as tag:
        return _add(make(Op.HISTOGRAM_SUMMARY, [x], SummaryAttrs(tag), name="HistogramSummary"), collections)


def image(name: str, tensor: TensorLike, max_outputs: int = 3, collections: Sequence[str] | None = None,
          family: str | None = None) -> Tensor:
    """Up to ``max_outputs`` images of a [batch, height, width, 1 | 3 | 4] tensor (uint8, or float
    scaled as TF1 scales it), as PNGs tagged ``name/image/i``."""
    x = convert_to_tensor(tensor)
    if x.shape.rank is not None and (x.shape.rank != 4 or x.shape.as_list()[-1] not in (None, 1, 3, 4)):
        raise ValueError(f"tf.summary.image {name!r} needs [batch, height, width, 1, 3 or 4 channels], got "
                         f"{x.shape} ({x.name})")
    with _summary_scope(name, family) as tag:
        return _add(make(Op.IMAGE_SUMMARY, [x], SummaryAttrs(tag, int(max_outputs)), name="ImageSummary"),
                    collections)


def audio(name: str, tensor: TensorLike, sample_rate: TensorLike, max_outputs: int = 3,
          collections: Sequence[str] | None = None,
          family: str | None = None) -> Tensor:
    """Up to ``max_outputs`` clips of a [batch, frames(, channels)] float tensor in [-1, 1], as WAV."""
    rate = static_value(convert_to_tensor(sample_rate))
    if rate is None:
        raise ValueError(f"tf.summary.audio {name!r}: sample_rate must be known when the graph is built")
    with _summary_scope(name, family) as tag:
        return _add(make(Op.AUDIO_SUMMARY, [convert_to_tensor(tensor)],
                         SummaryAttrs(tag, int(max_outputs), float(rate)), name="AudioSummary"), collections)


def text(name: str, tensor: TensorLike, collections: Sequence[str] | None = None) -> Tensor:
    """A string tensor shown by TensorBoard's text tab (Markdown)."""
    x = convert_to_tensor(tensor)
    if not x.dtype.is_string:
        raise ValueError(f"tf.summary.text {name!r} needs a string tensor, got {x.dtype.name} ({x.name})")
    with _summary_scope(name, None) as tag:
        return _add(make(Op.TEXT_SUMMARY, [x], SummaryAttrs(tag), name="TextSummary"), collections)


def merge(inputs: Sequence[Any], collections: Sequence[str] | None = None, name: str | None = None) -> Tensor:
    """One ``Summary`` holding the values of every summary in ``inputs``."""
    xs = [convert_to_tensor(t) for t in inputs]
    t = make(Op.MERGE_SUMMARY, xs, None, name=name or "Merge/MergeSummary")
    for key in collections or []:
        get_default_graph().add_to_collection(key, t)
    return t


def merge_all(key: str = GraphKeys.SUMMARIES, scope: str | None = None, name: str | None = None) -> Tensor | None:
    """``merge`` of every summary in the collection ``key``; None when there is none (as TF1)."""
    found = get_default_graph().get_collection(key, scope)
    return merge(found, name=name) if found else None
