"""Summary ops in TF1's GraphDef, both ways: ``ScalarSummary``, ``HistogramSummary``,
``ImageSummary``, ``AudioSummaryV2``, ``TensorSummaryV2`` (text) and ``MergeSummary``, with TF1's
inputs (the tag a string ``Const``) and attributes, so a graph with summaries saves its ``.meta``
and TF1 (or graphflow) loads it back with the same tags."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.graphdef.export import Exporter, _in_t
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import GraphDefError, Node
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.ops._build import make
from graphflow.ops.summary_ops import SummaryAttrs, summary_pb2

_BAD_COLOR = np.array([255, 0, 0, 255], np.uint8)  # TF1's ImageSummary default: opaque red


def _tag(ex: Exporter, n: Operation) -> str:
    return ex.const(n, "tag", np.array(n.attrs.tag.encode(), dtype=object))


@_export(Op.SCALAR_SUMMARY, Op.HISTOGRAM_SUMMARY)
def _scalar(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, n.op.value, [_tag(ex, n), ins[0]], T=_in_t(n))


@_export(Op.IMAGE_SUMMARY)
def _image(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "ImageSummary", [_tag(ex, n), ins[0]], T=_in_t(n), max_images=n.attrs.max_outputs,
                   bad_color=("tensor", _BAD_COLOR))


@_export(Op.AUDIO_SUMMARY)
def _audio(ex: Exporter, n: Operation, ins: list[str]) -> str:
    rate = ex.const(n, "sample_rate", n.attrs.sample_rate, np.float32)
    return ex.node(n.name, "AudioSummaryV2", [_tag(ex, n), ins[0], rate], max_outputs=n.attrs.max_outputs)


@_export(Op.TEXT_SUMMARY)
def _text(ex: Exporter, n: Operation, ins: list[str]) -> str:
    meta = summary_pb2().SummaryMetadata()
    meta.plugin_data.plugin_name = "text"
    serialized = ex.const(n, "metadata", np.array(meta.SerializeToString(), dtype=object))
    return ex.node(n.name, "TensorSummaryV2", [_tag(ex, n), ins[0], serialized], T=_in_t(n))


@_export(Op.MERGE_SUMMARY)
def _merge(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "MergeSummary", ins, N=len(ins))


def _tag_of(n: Node) -> str:
    tag = n.const_input(0)
    if tag.size != 1:
        raise GraphDefError(f"node {n.name!r} ({n.op}): the tag must be one string, got shape {tag.shape}")
    value = tag.reshape(()).item()
    return value.decode() if isinstance(value, bytes) else str(value)


@_import("ScalarSummary", "HistogramSummary")
def _scalar_in(n: Node) -> Any:
    op = Op.SCALAR_SUMMARY if n.op == "ScalarSummary" else Op.HISTOGRAM_SUMMARY
    return make(op, [n.inputs[1]], SummaryAttrs(_tag_of(n)), name=n.name)


@_import("ImageSummary")
def _image_in(n: Node) -> Any:
    return make(Op.IMAGE_SUMMARY, [n.inputs[1]], SummaryAttrs(_tag_of(n), int(n.attr("max_images", 3))), name=n.name)


@_import("AudioSummaryV2")
def _audio_in(n: Node) -> Any:
    rate = float(n.const_input(2).reshape(()))
    return make(Op.AUDIO_SUMMARY, [n.inputs[1]], SummaryAttrs(_tag_of(n), int(n.attr("max_outputs", 3)), rate),
                name=n.name)


@_import("TensorSummaryV2")
def _text_in(n: Node) -> Any:
    if not n.inputs[1].dtype.is_string:
        raise GraphDefError(f"node {n.name!r} (TensorSummaryV2): graphflow reads text summaries (a string tensor), "
                            f"got {n.inputs[1].dtype.name}")
    return make(Op.TEXT_SUMMARY, [n.inputs[1]], SummaryAttrs(_tag_of(n)), name=n.name)


@_import("MergeSummary")
def _merge_in(n: Node) -> Any:
    return make(Op.MERGE_SUMMARY, list(n.inputs), None, name=n.name)
