"""The ``graphflow`` command on a SavedModel directory (what TF's ``saved_model_cli`` does)::

    graphflow show export_dir [--tag serve] [--signature serving_default]
    graphflow run export_dir [--tag serve] [--signature serving_default] --input x=batch.npy \\
        --input k='[[1, 2]]' [--output_dir out] [--overwrite]

``show`` lists each meta graph's tag set and its signatures' inputs and outputs (dtype, shape and
tensor name); ``run`` loads the meta graph of ``--tag`` (comma-separated for several tags), feeds
each ``--input`` (a ``.npy`` file or a Python literal, cast to the input's dtype) and prints the
signature's outputs, or saves each as ``<output_dir>/<key>.npy``.
"""
from __future__ import annotations

import argparse
import ast
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.core.errors import DataLossError, NotFoundError, OpError
from graphflow.formats.saved_model import contains_saved_model, read_saved_model
from graphflow.graphdef.importer import GraphDefError
from graphflow.runtime.cli_common import CliError, RunFailed, describe, load_npy, one_line
from graphflow.runtime.session import convert_feed
from graphflow.tf1.saved_model.loader import load, meta_graph_for_tags
from graphflow.tf1.saved_model.utils import get_tensor_from_tensor_info

__all__ = ["add_run_options", "add_show_options", "is_saved_model", "run", "show"]

_TYPE_NAMES = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16", 6: "DT_INT8",
               7: "DT_STRING", 9: "DT_INT64", 10: "DT_BOOL", 19: "DT_HALF"}


def is_saved_model(path: str) -> bool:
    return os.path.isdir(path) and contains_saved_model(path)


def add_show_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", "--tag_set", dest="tag", help="SavedModel: only the meta graph of these tags "
                   "(comma-separated)")
    p.add_argument("--signature", "--signature_def", dest="signature", help="SavedModel: only this signature")


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", "--tag_set", dest="tag", default="serve",
                   help="SavedModel: the meta graph's tags, comma-separated (default serve)")
    p.add_argument("--signature", "--signature_def", dest="signature", default="serving_default",
                   help="SavedModel: the signature to run (default serving_default)")
    p.add_argument("--input", action="append", metavar="KEY=FILE.npy|LITERAL",
                   help="SavedModel: a signature input, from a .npy file or a Python literal")
    p.add_argument("--output_dir", help="SavedModel: save each output as OUTPUT_DIR/KEY.npy")
    p.add_argument("--overwrite", action="store_true", help="SavedModel: replace existing files in --output_dir")


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _meta_graphs(path: str) -> list[Any]:
    try:
        return read_saved_model(path).meta_graphs
    except (DataLossError, NotFoundError, OSError) as e:
        raise CliError(one_line(e)) from None


def _shape(info: Any) -> str:
    sh = info.tensor_shape
    return "unknown_rank" if sh.unknown_rank else "(" + ", ".join(str(d.size) for d in sh.dim) + \
        ("," if len(sh.dim) == 1 else "") + ")"


def _tensor_lines(kind: str, key: str, info: Any) -> list[str]:
    which = info.WhichOneof("encoding")
    name = info.name if which == "name" else f"{which}: {getattr(info, which or 'name')}".strip()
    return [f"    {kind}['{key}'] tensor_info:", f"        dtype: {_TYPE_NAMES.get(info.dtype, info.dtype)}",
            f"        shape: {_shape(info)}", f"        name: {name}"]


def show(args: argparse.Namespace) -> int:
    """Each meta graph's tags and signatures, as ``saved_model_cli show --all`` prints them."""
    graphs = _meta_graphs(args.file)
    if args.tag is not None:
        try:
            graphs = [meta_graph_for_tags(graphs, _tags(args.tag))]
        except RuntimeError as e:
            raise CliError(f"--tag {args.tag!r}: {one_line(e)}") from None
    lines = []
    for mg in graphs:
        tags = ", ".join(mg.meta_info_def.tags)
        lines.append(f"MetaGraphDef with tag-set: '{tags}' contains the following SignatureDefs:")
        keys = sorted(mg.signature_def)
        if args.signature is not None:
            if args.signature not in mg.signature_def:
                raise CliError(f"--signature {args.signature!r}: the meta graph tagged '{tags}' has signatures "
                               f"{keys}")
            keys = [args.signature]
        for key in keys:
            sig = mg.signature_def[key]
            lines += ["", f"signature_def['{key}']:",
                      "  The given SavedModel SignatureDef contains the following input(s):"]
            for k in sorted(sig.inputs):
                lines += _tensor_lines("inputs", k, sig.inputs[k])
            lines.append("  The given SavedModel SignatureDef contains the following output(s):")
            for k in sorted(sig.outputs):
                lines += _tensor_lines("outputs", k, sig.outputs[k])
            lines.append(f"  Method name is: {sig.method_name}")
        lines.append("")
    print("\n".join(lines).rstrip())
    return 0


def _input_value(spec: str) -> tuple[str, np.ndarray]:
    key, sep, text = spec.partition("=")
    if not sep or not key or not text:
        raise CliError(f"--input {spec!r}: expected KEY=FILE.npy or KEY=LITERAL")
    if os.path.isfile(text):
        return key, load_npy("--input", spec, text)
    if text.endswith(".npy"):
        raise CliError(f"--input {spec!r}: no such file {text}")
    try:
        return key, np.asarray(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
        raise CliError(f"--input {spec!r}: neither a .npy file nor a Python literal ({type(e).__name__})") from None


def _inputs(specs: Sequence[str] | None, sig: Any, where: str) -> dict[str, np.ndarray]:
    given: dict[str, np.ndarray] = {}
    for spec in specs or []:
        key, value = _input_value(spec)
        if key in given:
            raise CliError(f"--input {spec!r}: input {key!r} is given twice")
        if key not in sig.inputs:
            raise CliError(f"--input {spec!r}: {where} has no input {key!r}; its inputs: {sorted(sig.inputs)}")
        given[key] = value
    missing = sorted(set(sig.inputs) - set(given))
    if missing:
        raise CliError(f"{where} needs --input for {missing} (given: {sorted(given)})")
    return given


def _output_paths(args: argparse.Namespace, keys: Sequence[str]) -> dict[str, str]:
    if not args.output_dir:
        return {}
    if os.path.exists(args.output_dir) and not os.path.isdir(args.output_dir):
        raise CliError(f"--output_dir {args.output_dir}: is a file; expected a directory")
    paths = {k: os.path.join(args.output_dir, k.replace("/", "_") + ".npy") for k in keys}
    existing = [p for p in paths.values() if os.path.exists(p)]
    if existing and not args.overwrite:
        raise CliError(f"--output_dir: {existing[0]} already exists; add --overwrite to replace it")
    return paths


def run(args: argparse.Namespace) -> int:
    """Run one signature of a SavedModel on the given inputs."""
    if args.feed or args.fetch or args.out:
        raise CliError("--feed, --fetch and --out are for graph files; a SavedModel takes --input, --signature "
                       "and --output_dir")
    tags = _tags(args.tag)
    try:
        mg = meta_graph_for_tags(_meta_graphs(args.file), tags)
    except RuntimeError as e:
        raise CliError(f"--tag {args.tag!r}: {one_line(e)}") from None
    where = f"signature {args.signature!r} of the meta graph tagged {','.join(tags)!r}"
    if args.signature not in mg.signature_def:
        raise CliError(f"--signature {args.signature!r}: the meta graph tagged {','.join(tags)!r} has signatures "
                       f"{sorted(mg.signature_def)}")
    sig = mg.signature_def[args.signature]
    given = _inputs(args.input, sig, where)
    keys = sorted(sig.outputs)
    paths = _output_paths(args, keys)
    with gf.Graph().as_default() as g, gf.Session() as sess:
        try:
            load(sess, tags, args.file)
        except (GraphDefError, DataLossError, NotFoundError, ValueError) as e:
            raise CliError(f"{args.file}: {one_line(e)}") from None
        except OpError as e:
            raise RunFailed(f"{type(e).__name__}: {one_line(e)}") from None
        feeds = {}
        for key, value in given.items():
            t = get_tensor_from_tensor_info(sig.inputs[key], g)
            if not isinstance(t, gf.Tensor):
                raise CliError(f"--input {key}: a sparse input cannot be given on the command line")
            try:
                feeds[t] = convert_feed(t, value)
            except (ValueError, TypeError) as e:
                raise CliError(f"--input {key}: {one_line(e)}") from None
        fetches = [get_tensor_from_tensor_info(sig.outputs[k], g) for k in keys]
        try:
            values = sess.run(fetches, feeds)
        except (OpError, MemoryError, ValueError, TypeError) as e:
            raise RunFailed(f"{type(e).__name__}: {one_line(e)}") from None
    for key, v in zip(keys, values):
        print(describe(key, v))
    if paths:
        os.makedirs(args.output_dir, exist_ok=True)
        for key, v in zip(keys, values):
            try:
                np.save(paths[key], np.asarray(v))
            except OSError as e:
                raise CliError(f"--output_dir {paths[key]}: cannot write it: {e.strerror or e}") from None
            print(f"wrote {paths[key]}")
    return 0
