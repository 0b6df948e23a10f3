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


def _key_consts(ex: Exporter, n: Operation, specs: list[Any], what: str) -> list[str]:
    return [ex.const(n, f"{what}_{s.key}", np.array(s.key.encode(), dtype=object)) for s in specs]


def _defaults(ex: Exporter, n: Operation, dense: list[Any]) -> list[str]:
    return [ex.const(n, f"Const_{s.key}", s.default if s.default is not None else np.zeros(0, s.dtype.np),
                     s.dtype.np) for s in dense]


def _reorder(raw: str, groups: list[list[Any]]) -> list[str]:
    """The refs of graphflow's per-feature outputs, feature by feature, for TF outputs listed by
    kind: each group's sparse (indices, values, shapes) then its dense values."""
    refs, first = [], 0
    for specs in groups:
        sparse = [s for s in specs if s.kind == "sparse"]
        dense = [s for s in specs if s.kind != "sparse"]
        ns = len(sparse)
        for s in specs:
            if s.kind == "sparse":
                j = first + sparse.index(s)
                refs += [f"{raw}:{j}", f"{raw}:{ns + j}", f"{raw}:{2 * ns + j}"]
            else:
                refs.append(f"{raw}:{first + 3 * ns + dense.index(s)}")
        first += 3 * ns + len(dense)
    return refs


def _identity_n(ex: Exporter, n: Operation, refs: list[str]) -> str:
    name = ex.node(n.name, "IdentityN", refs)
    set_list(ex, name, "T", list(n.dtypes), "type")
    return name


def _unsupported(n: Operation, what: str) -> UnsupportedOpError:
    return UnsupportedOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}): {what} has no TF1 GraphDef "
                              "translation")


@_export(Op.PARSE_EXAMPLE)
def _parse_example(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """TF1's ParseExample (v1) or ParseSingleExample list their outputs by kind (sparse indices,
    values, shapes, then dense); graphflow's node lists them per feature, so an ``IdentityN``
    named as the node reorders them."""
    at = n.attrs
    bad = [s.key for s in at.specs if s.kind not in ("dense", "sparse")]
    if bad:
        raise _unsupported(n, f"parsing SparseFeature / FixedLenSequenceFeature ({bad})")
    sparse = [s for s in at.specs if s.kind == "sparse"]
    dense = [s for s in at.specs if s.kind == "dense"]
    if at.single:
        pe = ex.helper(n, "ParseSingleExample", "ParseSingleExample", [ins[0]] + _defaults(ex, n, dense),
                       num_sparse=len(sparse))
        for key, specs in (("sparse_keys", sparse), ("dense_keys", dense)):
            ex.gd.node[-1].attr[key].list.s.extend([s.key.encode() for s in specs])
            ex.gd.node[-1].attr[key].list.SetInParent()
    else:
        names = ex.const(n, "names", np.zeros(0, dtype=object))
        keys = _key_consts(ex, n, sparse, "sparse_keys") + _key_consts(ex, n, dense, "dense_keys")
        pe = ex.helper(n, "ParseExample", "ParseExample", [ins[0], names] + keys + _defaults(ex, n, dense),
                       Nsparse=len(sparse), Ndense=len(dense))
    set_list(ex, pe, "sparse_types", [s.dtype for s in sparse], "type")
    set_list(ex, pe, "Tdense", [s.dtype for s in dense], "type")
    set_list(ex, pe, "dense_shapes", [s.shape for s in dense], "shape")
    return _identity_n(ex, n, _reorder(pe, [list(at.specs)]))


@_export(Op.PARSE_SEQUENCE_EXAMPLE)
def _parse_sequence_example(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """``parse_single_sequence_example`` as TF1's ParseSingleSequenceExample (and an ``IdentityN``
    putting the outputs in graphflow's order, as for ParseExample)."""
    at = n.attrs
    if at.batched:
        raise _unsupported(n, "parse_sequence_example (batched)")
    if any(s.kind not in ("dense", "sparse") for s in at.context) or \
            any(s.kind not in ("seq", "sparse") or (s.kind == "seq" and s.default is not None) for s in at.sequence):
        raise _unsupported(n, "this mix of sequence features")
    c_sparse = [s for s in at.context if s.kind == "sparse"]
    c_dense = [s for s in at.context if s.kind == "dense"]
    f_sparse = [s for s in at.sequence if s.kind == "sparse"]
    f_dense = [s for s in at.sequence if s.kind == "seq"]
    missing = ex.const(n, "feature_list_dense_missing_assumed_empty",
                       np.array([s.key.encode() for s in f_dense if s.allow_missing], dtype=object).reshape(-1))
    keys = [k for specs, what in ((c_sparse, "context_sparse_keys"), (c_dense, "context_dense_keys"),
                                  (f_sparse, "feature_list_sparse_keys"), (f_dense, "feature_list_dense_keys"))
            for k in _key_consts(ex, n, specs, what)]
    inputs = ([ins[0], missing] + keys + _defaults(ex, n, c_dense)
              + [ex.const(n, "debug_name", np.array(b"", dtype=object))])
    pe = ex.helper(n, "ParseSingleSequenceExample", "ParseSingleSequenceExample", inputs,
                   Ncontext_sparse=len(c_sparse), Ncontext_dense=len(c_dense), Nfeature_list_sparse=len(f_sparse),
                   Nfeature_list_dense=len(f_dense))
    for key, values, kind in (("context_sparse_types", [s.dtype for s in c_sparse], "type"),
                              ("Tcontext_dense", [s.dtype for s in c_dense], "type"),
                              ("feature_list_dense_types", [s.dtype for s in f_dense], "type"),
                              ("context_dense_shapes", [s.shape for s in c_dense], "shape"),
                              ("feature_list_sparse_types", [s.dtype for s in f_sparse], "type"),
                              ("feature_list_dense_shapes", [s.shape for s in f_dense], "shape")):
        set_list(ex, pe, key, values, kind)
    return _identity_n(ex, n, _reorder(pe, [list(at.context), list(at.sequence)]))


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
def _identity_n_in(n: Node) -> Any:
    return [_gf().identity(t, name=n.name) for t in n.inputs]
