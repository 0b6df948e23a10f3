"""Summary ops (``tf.summary.scalar``, ``histogram``, ``image``, ``audio``, ``text``, ``merge``):
host ops whose value is a serialized TensorBoard ``Summary`` protobuf (a string scalar), computed
from the compiled call's values after it, only in runs that fetch them.

The protobuf messages are TensorBoard's own (``tensorboard.compat.proto``), so the optional
``tensorboard`` package is needed when a summary runs, not when the graph is built.
"""
from __future__ import annotations

import io
import struct
import wave
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape


def summary_pb2() -> Any:
    try:
        from tensorboard.compat.proto import summary_pb2
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("summaries are TensorBoard protobufs: pip install tensorboard "
                          "(or graphflow's 'tensorboard' extra)") from e
    return summary_pb2


@dataclass(frozen=True)
class SummaryAttrs:
    tag: str
    max_outputs: int = 3
    sample_rate: float = 0.0  # audio: frames per second


def _string_scalar(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    return [TensorShape([])]


def _string(dtypes: Sequence[DType], at: object) -> list[DType]:
    return [_dt.string]


class _Message(Protocol):
    """A protobuf message (TensorBoard's ``Summary``), as far as these ops use one."""

    def SerializeToString(self) -> bytes: ...  # noqa: N802 - protobuf's name


def _bytes(summary: _Message) -> np.ndarray:
    return np.array(summary.SerializeToString(), dtype=object)


def _scalar_ref(at: SummaryAttrs, value: np.ndarray) -> np.ndarray:
    v = np.asarray(value)
    if v.size != 1:
        raise ValueError(f"tf.summary.scalar {at.tag!r} needs a scalar, got shape {v.shape}")
    pb = summary_pb2()
    return _bytes(pb.Summary(value=[pb.Summary.Value(tag=at.tag, simple_value=float(v.reshape(())))]))


def _histogram_limits() -> np.ndarray:
    """TF1's default bucket edges: +-1e-12 * 1.1^k below 1e20, +-DBL_MAX at the ends, zero between."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    big = np.finfo(np.float64).max
    return np.array([-big] + [-x for x in reversed(pos)] + [0.0] + pos + [big])


_LIMITS = _histogram_limits()


def histogram_proto(values: np.ndarray) -> Any:
    """A ``HistogramProto`` of ``values`` as TF1 encodes it: min, max, count, sum, sum of squares,
    and the buckets, each run of empty ones collapsed into one ending where the run ends."""
    v = np.asarray(values, np.float64).reshape(-1)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"histogram values must be finite; got {int((~np.isfinite(v)).sum())} NaN or infinite")
    pb = summary_pb2()
    h = pb.HistogramProto(min=float(v.min()) if v.size else 0.0, max=float(v.max()) if v.size else 0.0,
                          num=float(v.size), sum=float(v.sum()), sum_squares=float((v * v).sum()))
    index = np.minimum(np.searchsorted(_LIMITS, v, side="right"), len(_LIMITS) - 1)
    counts = np.bincount(index, minlength=len(_LIMITS))
    filled = np.nonzero(counts)[0]
    i, n = 0, len(_LIMITS)
    for f in list(filled) + [n]:
        if f > i:  # the empty run [i, f)
            h.bucket_limit.append(float(_LIMITS[f - 1]))
            h.bucket.append(0.0)
        if f < n:
            h.bucket_limit.append(float(_LIMITS[f]))
            h.bucket.append(float(counts[f]))
        i = f + 1
    return h


def _histogram_ref(at: SummaryAttrs, values: np.ndarray) -> np.ndarray:
    pb = summary_pb2()
    return _bytes(pb.Summary(value=[pb.Summary.Value(tag=at.tag, histo=histogram_proto(values))]))


def encode_png(image: np.ndarray) -> bytes:
    """[h, w, c] uint8 (c = 1, 3 or 4) as PNG bytes (8-bit grey, RGB or RGBA)."""
    h, w, c = image.shape
    kind = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + image[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, kind, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """TF1's rule for one float image: all non-negative -> scaled by 255 / max; otherwise scaled by
    127 / max |x| around 128; truncated to uint8 (in float32, as TF1); non-finite pixels red."""
    if image.dtype == np.uint8:
        return image
    x = image.astype(np.float32)
    finite = np.isfinite(x).all(axis=-1)
    vals = x[finite]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 0.0)
    if lo < 0:
        top = max(abs(lo), abs(hi))
        scale, offset = (np.float32(0.0) if top < 1e-6 else np.float32(127.0) / np.float32(top)), np.float32(128.0)
    else:
        scale, offset = (np.float32(0.0) if hi < 1e-6 else np.float32(255.0) / np.float32(hi)), np.float32(0.0)
    out = np.zeros(x.shape, np.uint8)
    out[finite] = (x[finite] * scale + offset).astype(np.uint8)
    bad = np.array([255, 0, 0, 255][:x.shape[-1]] if x.shape[-1] > 1 else [255], np.uint8)
    out[~finite] = bad
    return out


def _image_ref(at: SummaryAttrs, images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim != 4 or x.shape[-1] not in (1, 3, 4):
        raise ValueError(f"tf.summary.image {at.tag!r} needs [batch, height, width, 1, 3 or 4 channels], got "
                         f"shape {x.shape}")
    pb = summary_pb2()
    values = []
    for i, img in enumerate(_to_uint8(one) for one in x[:at.max_outputs]):
        tag = f"{at.tag}/image" if at.max_outputs == 1 else f"{at.tag}/image/{i}"
        values.append(pb.Summary.Value(tag=tag, image=pb.Summary.Image(
            height=img.shape[0], width=img.shape[1], colorspace=img.shape[2], encoded_image_string=encode_png(img))))
    return _bytes(pb.Summary(value=values))


def _audio_ref(at: SummaryAttrs, audio: np.ndarray) -> np.ndarray:
    x = np.asarray(audio, np.float64)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"tf.summary.audio {at.tag!r} needs [batch, frames] or [batch, frames, channels], got "
                         f"shape {np.shape(audio)}")
    pb = summary_pb2()
    values = []
    for i, clip in enumerate(x[:at.max_outputs]):
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(clip.shape[1])
            w.setsampwidth(2)
            w.setframerate(int(at.sample_rate))
            w.writeframes((np.clip(clip, -1, 1) * 32767).astype("<i2").tobytes())
        tag = f"{at.tag}/audio" if at.max_outputs == 1 else f"{at.tag}/audio/{i}"
        values.append(pb.Summary.Value(tag=tag, audio=pb.Summary.Audio(
            sample_rate=float(at.sample_rate), num_channels=clip.shape[1], length_frames=clip.shape[0],
            encoded_audio_string=buf.getvalue(), content_type="audio/wav")))
    return _bytes(pb.Summary(value=values))


def _text_ref(at: SummaryAttrs, text: np.ndarray) -> np.ndarray:
    from tensorboard.util import tensor_util
    pb = summary_pb2()
    t = np.asarray(text, dtype=object)
    meta = pb.SummaryMetadata(plugin_data=pb.SummaryMetadata.PluginData(plugin_name="text"))
    return _bytes(pb.Summary(value=[pb.Summary.Value(tag=at.tag, metadata=meta,
                                                     tensor=tensor_util.make_tensor_proto(t))]))


def _merge_ref(at: object, *summaries: np.ndarray) -> np.ndarray:
    from google.protobuf.message import DecodeError  # tensorboard's dependency, as summary_pb2
    pb = summary_pb2()
    out = pb.Summary()
    for s in summaries:
        for b in np.asarray(s, dtype=object).reshape(-1):
            try:
                out.MergeFromString(b)
            except (DecodeError, TypeError):
                raise ValueError(f"Could not parse one of the summary inputs: expected a serialized Summary, "
                                 f"given {bytes(b)[:40]!r}") from None
    return _bytes(out)


def _merge_dtype(dtypes: Sequence[DType], at: object) -> list[DType]:
    if any(not d.is_string for d in dtypes):
        raise TypeError(f"Tensors in list passed to 'inputs' of 'MergeSummary' Op have types "
                        f"[{', '.join(d.name for d in dtypes)}] that do not match expected type string: "
                        "tf.summary.merge takes the serialized summaries that tf.summary.scalar, histogram... return")
    return [_dt.string]


for _op, _ref in [(Op.SCALAR_SUMMARY, _scalar_ref), (Op.HISTOGRAM_SUMMARY, _histogram_ref),
                  (Op.IMAGE_SUMMARY, _image_ref), (Op.AUDIO_SUMMARY, _audio_ref), (Op.TEXT_SUMMARY, _text_ref)]:
    register(OpDef(_op, Kind.HOST, _string_scalar, _string, _ref, no_gradient=True))
register(OpDef(Op.MERGE_SUMMARY, Kind.HOST, _string_scalar, _merge_dtype, _merge_ref, no_gradient=True))
