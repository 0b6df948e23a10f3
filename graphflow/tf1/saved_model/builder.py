"""``tf.saved_model.builder.SavedModelBuilder`` and ``simple_save``: a graph's meta graphs (one per
tag set, each with its signatures) in ``saved_model.pb`` and its variables, saved once, in TF's
tensor bundle ``variables/variables``, so TF's own loader reads the directory.

>>> import tempfile, os
>>> import graphflow as gf
>>> d = os.path.join(tempfile.mkdtemp(), "model")
>>> with gf.Graph().as_default():
...     x = gf.placeholder(gf.float32, [None, 2], name="x")
...     y = gf.identity(2.0 * x, name="y")
...     with gf.Session(device="reference") as sess:
...         simple_save(sess, d, {"x": x}, {"y": y})
>>> sorted(os.listdir(d))
['saved_model.pb', 'variables']
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import graphflow.tf1.saved_model.constants as constants
import graphflow.tf1.saved_model.signature_constants as signature_constants
import graphflow.tf1.saved_model.tag_constants as tag_constants
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation, Tensor, get_default_graph
from graphflow.formats.saved_model import write_saved_model
from graphflow.formats.tensor_bundle import write_bundle
from graphflow.graphdef.meta_graph import export_meta_graph
from graphflow.ops.variables import GraphKeys, Variable
from graphflow.tf1.saved_model.saver_graph import add_saver_nodes
from graphflow.tf1.saved_model.signature_def_utils import predict_signature_def

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef, SignatureDef

__all__ = ["SavedModelBuilder", "simple_save"]

ASSET_FILEPATHS = GraphKeys.ASSET_FILEPATHS
_ASSET_TYPE_URL = "type.googleapis.com/tensorflow.AssetFileDef"


def variables_prefix(export_dir: str) -> str:
    """The tensor bundle's prefix in a SavedModel: ``<export_dir>/variables/variables``."""
    return os.path.join(export_dir, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)


class SavedModelBuilder:
    """Builds a SavedModel in ``export_dir`` (which must be missing or empty): the variables and
    the first meta graph with ``add_meta_graph_and_variables``, more meta graphs of the same
    graph with ``add_meta_graph``, then ``save``."""

    def __init__(self, export_dir: str | os.PathLike[str]) -> None:
        self._export_dir = os.fspath(export_dir)
        if os.path.exists(self._export_dir):
            if not os.path.isdir(self._export_dir) or os.listdir(self._export_dir):
                raise AssertionError("Export directory already exists, and isn't empty. Please choose a different "
                                     "export directory, or delete all the contents of the specified directory: "
                                     f"{self._export_dir}")
        else:
            os.makedirs(self._export_dir)
        self._meta_graphs: list[MetaGraphDef] = []
        self._has_saved_variables = False
        self._saver_vars: dict[str, Variable] | None = None

    def add_meta_graph_and_variables(self, sess: Any, tags: Sequence[str],
                                     signature_def_map: Mapping[str, SignatureDef] | None = None,
                                     assets_collection: Iterable[Tensor] | None = None,
                                     legacy_init_op: Operation | None = None, clear_devices: bool = False,
                                     main_op: Operation | None = None, strip_default_attrs: bool = False,
                                     saver: Any = None) -> None:
        """Save ``sess``'s variables (those of ``saver``, else the graph's global variables) and
        the graph's meta graph tagged ``tags``."""
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already been saved. Please invoke "
                                 "`add_meta_graph()` instead.")
        _validate_signatures(signature_def_map)
        graph = sess.graph
        variables = _saved_variables(graph, saver)
        values = {key: np.asarray(sess.state.value(v.node)) for key, v in variables.items()}
        os.makedirs(os.path.dirname(variables_prefix(self._export_dir)), exist_ok=True)
        if values:
            write_bundle(variables_prefix(self._export_dir), values)
        self._saver_vars = variables
        self._add(graph, tags, signature_def_map, assets_collection, main_op or legacy_init_op, clear_devices)
        self._has_saved_variables = True

    def add_meta_graph(self, tags: Sequence[str], signature_def_map: Mapping[str, SignatureDef] | None = None,
                       assets_collection: Iterable[Tensor] | None = None, legacy_init_op: Operation | None = None,
                       clear_devices: bool = False, main_op: Operation | None = None,
                       strip_default_attrs: bool = False, saver: Any = None) -> None:
        """Another meta graph of the default graph, tagged ``tags``, over the variables already
        saved."""
        if not self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has not been saved yet. Please invoke "
                                 "`add_meta_graph_and_variables()` first.")
        _validate_signatures(signature_def_map)
        graph = get_default_graph()
        self._saver_vars = _saved_variables(graph, saver)
        self._add(graph, tags, signature_def_map, assets_collection, main_op or legacy_init_op, clear_devices)

    def _add(self, graph: Any, tags: Sequence[str], signature_def_map: Mapping[str, SignatureDef] | None,
             assets_collection: Iterable[Tensor] | None, init_op: Operation | None, clear_devices: bool) -> None:
        if isinstance(tags, str):
            raise TypeError(f"tags must be a list of strings, got the string {tags!r}")
        mgd = export_meta_graph(graph=graph, clear_devices=clear_devices)
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if init_op is not None and key in mgd.collection_def:
                raise ValueError(f"Graph already contains one or more main ops under the collection {key}.")
        if init_op is not None:
            if not isinstance(init_op, Operation):
                raise TypeError(f"main_op needs to be an Operation: {init_op!r}")
            mgd.collection_def[constants.MAIN_OP_KEY].node_list.value.append(init_op.name)
        add_saver_nodes(mgd, self._saver_vars or {})
        self._add_assets(mgd, assets_collection)
        mgd.meta_info_def.tags.extend(tags)
        for key, sig in (signature_def_map or {}).items():
            mgd.signature_def[key].CopyFrom(sig)
        self._meta_graphs.append(mgd)

    def _add_assets(self, mgd: MetaGraphDef, assets: Iterable[Tensor] | None) -> None:
        """Copy each asset file (a string constant's path) into ``assets/`` and record it, as TF1
        does, both in the ``saved_model_assets`` collection and in ``asset_file_def``."""
        from google.protobuf import any_pb2
        from tensorboard.compat.proto.meta_graph_pb2 import AssetFileDef
        sources: dict[str, str] = {}  # file name in assets/ -> source path
        for t in assets or ():
            if not isinstance(t, Tensor):
                raise TypeError(f"Asset path tensor must be a Tensor, got {t!r}")
            value = static_value(t)
            if value is None or t.dtype.name != "string" or np.ndim(value) != 0:
                raise ValueError(f"Asset path tensor {t.name} must be a scalar string constant")
            source = np.asarray(value).item()
            source = source.decode() if isinstance(source, bytes) else str(source)
            name = _asset_name(source, sources)
            sources[name] = source
            asset = AssetFileDef(filename=name)
            asset.tensor_info.name = t.name
            # TF unpacks by the message's name: TensorBoard's copy of it is "tensorboard.AssetFileDef"
            packed = any_pb2.Any(type_url=_ASSET_TYPE_URL, value=asset.SerializeToString())
            mgd.collection_def[constants.ASSETS_KEY].any_list.value.append(packed)
            mgd.asset_file_def.append(asset)
        if sources:
            folder = os.path.join(self._export_dir, constants.ASSETS_DIRECTORY)
            os.makedirs(folder, exist_ok=True)
            for name, source in sources.items():
                shutil.copyfile(source, os.path.join(folder, name))

    def save(self, as_text: bool = False) -> bytes:
        """Write ``saved_model.pb`` (``saved_model.pbtxt`` with ``as_text``); returns its path
        (bytes, as TF1's)."""
        os.makedirs(self._export_dir, exist_ok=True)
        return os.fsencode(write_saved_model(self._export_dir, self._meta_graphs, as_text=as_text))


def _asset_name(source: str, taken: Mapping[str, str]) -> str:
    """The source's base name; another source of the same base name gets ``_1``, ``_2``... before
    its extension, as TF1 names them."""
    base = os.path.basename(source)
    if taken.get(base, source) == source:
        return base
    stem, ext = os.path.splitext(base)
    i = 1
    while taken.get(f"{stem}_{i}{ext}", source) != source:
        i += 1
    return f"{stem}_{i}{ext}"


def _saved_variables(graph: Any, saver: Any) -> dict[str, Variable]:
    """Checkpoint key -> variable: a given Saver's, else every global variable by its node name."""
    if saver is not None:
        return dict(saver._vars)
    out: dict[str, Variable] = {}
    for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
        if isinstance(v, Variable):
            out[v.node.name] = v
    return out


def _validate_signatures(signature_def_map: Mapping[str, SignatureDef] | None) -> None:
    for key, sig in (signature_def_map or {}).items():
        for info in list(sig.inputs.values()) + list(sig.outputs.values()):
            if not info.WhichOneof("encoding"):
                raise AssertionError(f"signature {key!r}: All TensorInfo protos used in the SignatureDefs must have "
                                     "one of the 'encoding' fields (e.g., name or coo_sparse) set.")
            if info.dtype == 0:
                raise AssertionError(f"signature {key!r}: All TensorInfo protos used in the SignatureDefs must have "
                                     "the dtype field set.")


def simple_save(session: Any, export_dir: str | os.PathLike[str], inputs: Mapping[str, Tensor],
                outputs: Mapping[str, Tensor], legacy_init_op: Operation | None = None) -> None:
    """A serving SavedModel in one call: the variables and one meta graph tagged ``serve`` whose
    ``serving_default`` Predict signature maps ``inputs`` to ``outputs``."""
    sigs = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: predict_signature_def(inputs, outputs)}
    b = SavedModelBuilder(export_dir)
    b.add_meta_graph_and_variables(session, tags=[tag_constants.SERVING], signature_def_map=sigs,
                                   assets_collection=session.graph.get_collection(ASSET_FILEPATHS),
                                   main_op=legacy_init_op, clear_devices=True)
    b.save()
