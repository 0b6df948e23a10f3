"""``tf.saved_model.loader.load``: a SavedModel's meta graph of the given tags imported into a
session's graph, its variables restored from the tensor bundle and its main op run.

Variables are read from ``variables/variables`` by the checkpoint keys the meta graph's saver
restores them from (its ``RestoreV2`` nodes' tensor names and the ``Assign`` each output feeds),
or by their names where it has no saver; the saver's own nodes are not imported (graphflow has no
``SaveV2`` / ``RestoreV2`` kernels).

>>> import tempfile, os
>>> import graphflow as gf
>>> from graphflow.tf1.saved_model.builder import simple_save
>>> d = os.path.join(tempfile.mkdtemp(), "model")
>>> with gf.Graph().as_default():
...     x = gf.placeholder(gf.float32, [None, 2], name="x")
...     with gf.Session(device="reference") as sess:
...         simple_save(sess, d, {"x": x}, {"y": gf.identity(2.0 * x, name="y")})
>>> with gf.Graph().as_default() as g:
...     with gf.Session(device="reference") as sess:
...         mg = load(sess, ["serve"], d)
...         y = g.get_tensor_by_name(mg.signature_def["serving_default"].outputs["y"].name)
...         sess.run(y, {"x:0": [[1.0, 2.0]]}).tolist()
[[2.0, 4.0]]
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import graphflow.tf1.saved_model.constants as constants
from graphflow.core.errors import InvalidArgumentError, NotFoundError
from graphflow.formats.saved_model import contains_saved_model, read_saved_model
from graphflow.formats.tensor_bundle import BundleReader, is_bundle
from graphflow.graphdef.import_rules import Node, tensor_value
from graphflow.graphdef.meta_graph import import_meta_graph
from graphflow.ops.variables import Variable
from graphflow.tf1.saved_model.builder import variables_prefix
from graphflow.tf1.saved_model.saver_graph import strip_saver_nodes

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef

__all__ = ["load", "maybe_saved_model_directory", "meta_graph_for_tags"]

_INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"


def maybe_saved_model_directory(export_dir: str | os.PathLike[str]) -> bool:
    """Whether ``export_dir`` holds a SavedModel file."""
    return contains_saved_model(export_dir)


def meta_graph_for_tags(meta_graphs: Sequence[MetaGraphDef], tags: Sequence[str]) -> MetaGraphDef:
    """The meta graph whose tag set is exactly ``tags``; a RuntimeError listing the tag sets
    there are otherwise, as TF1's."""
    if isinstance(tags, str):
        tags = [tags]
    want = set(tags)
    for mg in meta_graphs:
        if set(mg.meta_info_def.tags) == want:
            return mg
    available = [sorted(mg.meta_info_def.tags) for mg in meta_graphs]
    raise RuntimeError(f"MetaGraphDef associated with tags {str(list(tags)).strip('[]')} could not be found in "
                       f"SavedModel. To inspect available tag-sets in the SavedModel, please use the SavedModel "
                       f"CLI: `saved_model_cli` (or `graphflow show`)\navailable_tags: {available}")


def _scoped(name: str, import_scope: str | None) -> str:
    return f"{import_scope.rstrip('/')}/{name}" if import_scope else name


def restore_keys(mgd: MetaGraphDef) -> dict[str, str]:
    """Variable node name -> checkpoint key, read from the saver's ``RestoreV2`` nodes and the
    ``Assign`` (``AssignVariableOp``) nodes their outputs feed; empty where the meta graph has no
    such saver."""
    by_name = {nd.name: nd for nd in mgd.graph_def.node}
    names: dict[str, list[str]] = {}
    for nd in mgd.graph_def.node:
        if nd.op == "RestoreV2" and len(nd.input) >= 2 and nd.input[1] in by_name:
            const = by_name[nd.input[1]]
            if const.op == "Const":
                names[nd.name] = [k.decode() if isinstance(k, bytes) else str(k) for k in
                                  np.asarray(tensor_value(const.attr["value"].tensor, Node(const, []))).reshape(-1)]
    out: dict[str, str] = {}
    for nd in mgd.graph_def.node:
        if nd.op not in ("Assign", "AssignVariableOp") or len(nd.input) < 2:
            continue
        src, _, idx = nd.input[1].partition(":")
        for _ in range(len(by_name)):  # a resource variable's restore reads RestoreV2 through an Identity
            if src not in by_name or by_name[src].op != "Identity" or not by_name[src].input:
                break
            src, _, idx = by_name[src].input[0].partition(":")
        if src in names:
            i = int(idx or 0)
            if i < len(names[src]):
                out[nd.input[0].lstrip("^").partition(":")[0]] = names[src][i]
    return out


def load(sess: Any, tags: Sequence[str], export_dir: str | os.PathLike[str], import_scope: str | None = None,
         **saver_kwargs: Any) -> MetaGraphDef:
    """Import the meta graph tagged ``tags`` into ``sess``'s graph, restore its variables and run
    its main op (fed its assets' paths); returns the ``MetaGraphDef`` (its ``signature_def``
    names the tensors to feed and fetch)."""
    export_dir = os.fspath(export_dir)
    mgd = meta_graph_for_tags(read_saved_model(export_dir).meta_graphs, tags)
    graph = sess.graph
    with graph.as_default():
        import_meta_graph(strip_saver_nodes(mgd), import_scope=import_scope,
                          clear_devices=bool(saver_kwargs.get("clear_devices", False)))
        _restore(sess, graph, mgd, export_dir, import_scope)
        init = _init_op(mgd)
        if init is not None:
            sess.run(graph.as_graph_element(_scoped(init, import_scope)),
                     feed_dict=_asset_feed(mgd, export_dir, graph, import_scope))
    return mgd


def _restore(sess: Any, graph: Any, mgd: MetaGraphDef, export_dir: str, import_scope: str | None) -> None:
    keys = restore_keys(mgd)
    if not keys:  # no saver in the file: every variable by its own name
        keys = {nd.name: nd.name for nd in mgd.graph_def.node if nd.op in ("VariableV2", "Variable", "VarHandleOp")}
    if not keys:
        return
    variables: dict[str, Variable] = {}
    for name, key in keys.items():
        v = graph.get_tensor_by_name(_scoped(name, import_scope) + ":0")
        if not isinstance(v, Variable):
            raise InvalidArgumentError(None, None, f"SavedModel {export_dir}: the saver restores {name!r}, which is "
                                                   "not a variable")
        variables[key] = v
    prefix = variables_prefix(export_dir)
    if not is_bundle(prefix):
        raise NotFoundError(None, None, f"SavedModel {export_dir}: its graph has {len(variables)} variables but "
                                        f"there is no tensor bundle at {prefix} (.index and .data-*)")
    reader = BundleReader(prefix)
    problems = []
    for key, v in variables.items():  # names, shapes and dtypes first: nothing is read or written on a mismatch
        if key not in reader:
            problems.append(f"Key {key} not found in checkpoint (variable {v.name})")
        elif reader.shape(key) != v.shape.as_list():
            problems.append(f"variable {v.name} (key {key}): expected shape {v.shape.as_list()}, found shape "
                            f"{reader.shape(key)}")
        elif reader.dtype(key) != v.dtype.name:
            problems.append(f"variable {v.name} (key {key}): expected dtype {v.dtype.name}, found dtype "
                            f"{reader.dtype(key)}")
    if problems:
        cls = NotFoundError if any(p.startswith("Key ") for p in problems) else InvalidArgumentError
        raise cls(None, None, f"Restoring SavedModel variables from {prefix} failed:\n  " + "\n  ".join(problems))
    values = {key: reader.get(key) for key in variables}
    for key, v in variables.items():
        sess.state.write(v.node, values[key])


def _init_op(mgd: MetaGraphDef) -> str | None:
    """The op the loader runs last: TF2's ``__saved_model_init_op`` signature, else the main op
    collection, else the legacy init op collection."""
    sig = mgd.signature_def.get(_INIT_OP_SIGNATURE_KEY)
    if sig is not None and _INIT_OP_SIGNATURE_KEY in sig.outputs:
        return sig.outputs[_INIT_OP_SIGNATURE_KEY].name.partition(":")[0]
    for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
        if key in mgd.collection_def:
            ops = list(mgd.collection_def[key].node_list.value)
            if len(ops) != 1:
                what = "main" if key == constants.MAIN_OP_KEY else "legacy init"
                raise RuntimeError(f"Expected exactly one SavedModel {what} op. Found: {ops}")
            return ops[0]
    return None


def _asset_feed(mgd: MetaGraphDef, export_dir: str, graph: Any, import_scope: str | None) -> dict[Any, Any]:
    """Each asset's tensor -> its file in ``assets/`` (the collection TF1 writes, and
    ``asset_file_def``)."""
    from tensorboard.compat.proto.meta_graph_pb2 import AssetFileDef
    assets = list(mgd.asset_file_def)
    if constants.ASSETS_KEY in mgd.collection_def:
        for packed in mgd.collection_def[constants.ASSETS_KEY].any_list.value:
            if packed.type_url.endswith(".AssetFileDef"):  # TF's name, not TensorBoard's copy's
                assets.append(AssetFileDef.FromString(packed.value))
    folder = os.path.join(export_dir, constants.ASSETS_DIRECTORY)
    return {graph.get_tensor_by_name(_scoped(a.tensor_info.name, import_scope)):
            np.array(os.path.join(folder, a.filename).encode(), dtype=object) for a in assets}
