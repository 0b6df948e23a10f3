"""Parsing, file and image-codec ops in TF1's GraphDef: ``DecodeCSV``, ``ParseExample`` (TF1's v1
form), ``DecodeRaw``, ``DecodeCompressed``, ``ReadFile``, ``WriteFile``, ``SerializeTensor``,
``ParseTensor``, the ``Decode*`` / ``Encode*`` image ops and ``ExtractJpegShape``, with TF1's
attributes; the stateless decoders are imported back as well."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.graphdef.export import Exporter, UnsupportedOpError, _in_t, _t
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import Node, _gf
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.graphdef.queue_rules import set_list


@_export(Op.DECODE_CSV)
def _decode_csv(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    name = ex.node(n.name, "DecodeCSV", ins, field_delim=at.field_delim, use_quote_delim=bool(at.use_quote_delim),
                   na_value=at.na_value)
    set_list(ex, name, "OUT_TYPE", list(at.dtypes), "type")
    set_list(ex, name, "select_cols", list(at.select_cols or ()), "int")
    return name


@_export(Op.PARSE_EXAMPLE)
def _parse_example(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """TF1's ParseExample lists its outputs by kind (sparse indices, values, shapes, then dense);
    graphflow's node lists them per feature, so an ``IdentityN`` named as the node reorders them."""
    at = n.attrs
    bad = [s.key for s in at.specs if s.kind not in ("dense", "sparse")]
    if at.single or bad:
        raise UnsupportedOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}): only parse_example of "
                                 f"FixedLenFeature / VarLenFeature has a TF1 GraphDef translation"
                                 f"{'' if not bad else f' (not {bad})'}")
    sparse = [s for s in at.specs if s.kind == "sparse"]
    dense = [s for s in at.specs if s.kind == "dense"]
    keys = [ex.const(n, f"key_{s.key}", np.array(s.key.encode(), dtype=object)) for s in sparse + dense]
    defaults = [ex.const(n, f"Const_{s.key}", s.default if s.default is not None else np.zeros(0, s.dtype.np),
                         s.dtype.np) for s in dense]
    names = ex.const(n, "names", np.zeros(0, dtype=object))
    pe = ex.helper(n, "ParseExample", "ParseExample", [ins[0], names] + keys + defaults, Nsparse=len(sparse),
                   Ndense=len(dense))
    set_list(ex, pe, "sparse_types", [s.dtype for s in sparse], "type")
    set_list(ex, pe, "Tdense", [s.dtype for s in dense], "type")
    set_list(ex, pe, "dense_shapes", [s.shape for s in dense], "shape")
    ns, refs = len(sparse), []
    for s in at.specs:
        if s.kind == "sparse":
            j = sparse.index(s)
            refs += [f"{pe}:{j}", f"{pe}:{ns + j}", f"{pe}:{2 * ns + j}"]
        else:
            refs.append(f"{pe}:{3 * ns + dense.index(s)}")
    name = ex.node(n.name, "IdentityN", refs)
    set_list(ex, name, "T", list(n.dtypes), "type")
    return name


@_export(Op.DECODE_RAW)
def _decode_raw(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "DecodeRaw", ins, out_type=_t(n), little_endian=bool(n.attrs.little_endian))


@_export(Op.DECODE_COMPRESSED)
def _decode_compressed(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "DecodeCompressed", ins, compression_type=n.attrs.compression_type)


@_export(Op.READ_FILE, Op.WRITE_FILE)
def _file(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, n.op.value, ins)


@_export(Op.SERIALIZE_TENSOR)
def _serialize(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "SerializeTensor", ins, T=_in_t(n))


@_export(Op.PARSE_TENSOR)
def _parse_tensor(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "ParseTensor", ins, out_type=_t(n))


_JPEG = (Op.DECODE_JPEG, Op.DECODE_AND_CROP_JPEG)


@_export(Op.DECODE_JPEG, Op.DECODE_AND_CROP_JPEG, Op.DECODE_PNG, Op.DECODE_BMP, Op.DECODE_GIF, Op.DECODE_IMAGE)
def _decode_image(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    attrs: dict[str, Any] = {}
    if n.op in _JPEG:
        attrs = {"channels": at.channels, "ratio": at.ratio, "fancy_upscaling": bool(at.fancy_upscaling),
                 "try_recover_truncated": bool(at.try_recover_truncated),
                 "acceptable_fraction": float(at.acceptable_fraction), "dct_method": at.dct_method}
    elif n.op in (Op.DECODE_PNG, Op.DECODE_IMAGE):
        attrs = {"channels": at.channels, "dtype": _t(n)}
        if n.op is Op.DECODE_IMAGE:
            attrs["expand_animations"] = bool(at.expand_animations)
    elif n.op is Op.DECODE_BMP:
        attrs = {"channels": at.channels}
    return ex.node(n.name, n.op.value, ins, **attrs)


@_export(Op.ENCODE_JPEG)
def _encode_jpeg(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    attrs = {"format": at.format, "progressive": bool(at.progressive), "optimize_size": bool(at.optimize_size),
             "chroma_downsampling": bool(at.chroma_downsampling), "density_unit": at.density_unit,
             "x_density": int(at.x_density), "y_density": int(at.y_density), "xmp_metadata": at.xmp_metadata}
    quality = static_value(n.inputs[1])
    if quality is None:  # a run-time quality: TF's variable-quality twin
        return ex.node(n.name, "EncodeJpegVariableQuality", ins, **attrs)
    return ex.node(n.name, "EncodeJpeg", ins[:1], quality=int(np.asarray(quality).reshape(())), **attrs)


@_export(Op.ENCODE_PNG)
def _encode_png(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "EncodePng", ins, compression=int(n.attrs.compression), T=_in_t(n))


@_export(Op.EXTRACT_JPEG_SHAPE)
def _extract_jpeg_shape(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "ExtractJpegShape", ins, output_type=_t(n))


# ---- imports --------------------------------------------------------------------------------------

@_import("DecodeRaw")
def _decode_raw_in(n: Node) -> Any:
    return _gf().io.decode_raw(n.inputs[0], n.attr("out_type"), little_endian=bool(n.attr("little_endian", True)),
                               name=n.name)


@_import("DecodePng")
def _decode_png_in(n: Node) -> Any:
    return _gf().image.decode_png(n.inputs[0], channels=int(n.attr("channels", 0)), dtype=n.attr("dtype", _dt.uint8),
                                  name=n.name)


@_import("DecodeJpeg")
def _decode_jpeg_in(n: Node) -> Any:
    return _gf().image.decode_jpeg(n.inputs[0], channels=int(n.attr("channels", 0)), ratio=int(n.attr("ratio", 1)),
                                   fancy_upscaling=bool(n.attr("fancy_upscaling", True)),
                                   try_recover_truncated=bool(n.attr("try_recover_truncated", False)),
                                   acceptable_fraction=float(n.attr("acceptable_fraction", 1.0)),
                                   dct_method=n.attr("dct_method", ""), name=n.name)


@_import("EncodePng")
def _encode_png_in(n: Node) -> Any:
    return _gf().image.encode_png(n.inputs[0], compression=int(n.attr("compression", -1)), name=n.name)


@_import("DecodeCSV")
def _decode_csv_in(n: Node) -> Any:
    cols = n.attr("select_cols", []) or None
    outs = _gf().decode_csv(n.inputs[0], list(n.inputs[1:]), field_delim=n.attr("field_delim", ","),
                            use_quote_delim=bool(n.attr("use_quote_delim", True)), na_value=n.attr("na_value", ""),
                            select_cols=cols, name=n.name)
    return outs[0].node


def _keys(n: Node, first: int, count: int) -> list[str]:
    return [bytes(np.asarray(n.const_input(i)).reshape(()).item()).decode() for i in range(first, first + count)]


@_import("ParseExample")
def _parse_example_in(n: Node) -> Any:
    """TF1's v1 ParseExample: its outputs back in TF's order (sparse indices, values, shapes, dense)."""
    ns, nd = int(n.attr("Nsparse")), int(n.attr("Ndense"))
    sparse, dense = _keys(n, 2, ns), _keys(n, 2 + ns, nd)
    gf = _gf()
    features: dict[str, Any] = {k: gf.VarLenFeature(d) for k, d in zip(sparse, n.attr("sparse_types", []) or [])}
    shapes = [[int(d.size) for d in s.dim] for s in n.nd.attr["dense_shapes"].list.shape]
    for j, (k, d, shape) in enumerate(zip(dense, n.attr("Tdense", []) or [], shapes)):
        default = n.const_input(2 + ns + nd + j)
        features[k] = gf.FixedLenFeature(shape, d, default_value=default if default.size else None)
    res = gf.parse_example(n.inputs[0], features, name=n.name)
    return ([res[k].indices for k in sparse] + [res[k].values for k in sparse] + [res[k].dense_shape for k in sparse]
            + [res[k] for k in dense])


@_import("IdentityN")
def _identity_n(n: Node) -> Any:
    return [_gf().identity(t, name=n.name) for t in n.inputs]
