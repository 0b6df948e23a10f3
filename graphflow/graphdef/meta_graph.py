"""TF1's ``MetaGraphDef`` (``.meta`` files): the GraphDef, the collections and the saver's
variable list, written by ``tf.train.export_meta_graph`` and ``Saver.save`` and read back by
``import_meta_graph`` (``tf.train.import_meta_graph`` returns a Saver over the variables it
gives, restoring graphflow checkpoints into them).

Collections of tensors and operations are stored as node names (``node_list``), variables as
TF1's ``VariableDef`` (name, initializer, trainable), strings and numbers as their lists; other
Python objects are left out, as TF1 leaves them.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.graphdef.export import UnsupportedOpError
from graphflow.graphdef.importer import GraphDefError, import_graph_def
from graphflow.ops.variables import Variable
from graphflow.platform.atomic_file import atomic_write

if TYPE_CHECKING:
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.meta_graph_pb2 import CollectionDef, MetaGraphDef


class SaverLike(Protocol):
    """What the meta graph reads of a ``gf.train.Saver`` (which imports this module, so it is not
    imported here): its variables by checkpoint key."""

    _vars: dict[str, Variable]


SAVER_VARIABLES = "graphflow_saver_variables"  # the checkpoint key and variable name of each saved variable


def _pb() -> tuple[Any, Any]:
    from tensorboard.compat.proto import meta_graph_pb2, variable_pb2
    return meta_graph_pb2, variable_pb2


def _collection(cd: CollectionDef, values: list[Any]) -> bool:
    _, variable_pb2 = _pb()
    if all(isinstance(v, Variable) for v in values):
        for v in values:
            vd = variable_pb2.VariableDef(variable_name=v.name, snapshot_name=v.name, trainable=bool(v.trainable),
                                          initializer_name=v.initializer.name if v.initializer is not None else "")
            cd.bytes_list.value.append(vd.SerializeToString())
        return True
    if all(isinstance(v, (Tensor, Operation)) for v in values):
        cd.node_list.value.extend(v.name for v in values)
        return True
    if all(isinstance(v, (str, bytes)) for v in values):
        cd.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
        return True
    if all(isinstance(v, bool) or not isinstance(v, int) for v in values) and \
            all(isinstance(v, float) for v in values):
        cd.float_list.value.extend(values)
        return True
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        cd.int64_list.value.extend(values)
        return True
    return False


def export_meta_graph(filename: str | None = None, meta_info_def: object = None, graph_def: GraphDef | None = None,
                      saver_def: object = None, collection_list: Sequence[str] | None = None, as_text: bool = False,
                      graph: Graph | None = None, export_scope: str | None = None, clear_devices: bool = False,
                      clear_extraneous_savers: bool = False, strip_default_attrs: bool = False,
                      save_debug_info: bool = False, saver: SaverLike | None = None,
                      **kwargs: object) -> MetaGraphDef:
    """The ``MetaGraphDef`` of ``graph`` (the default graph), written to ``filename`` when given."""
    meta_graph_pb2, _ = _pb()
    g = graph or get_default_graph()
    mgd = meta_graph_pb2.MetaGraphDef()
    mgd.meta_info_def.tensorflow_version = "1.15.0"
    mgd.meta_info_def.tensorflow_git_version = "graphflow"
    mgd.meta_info_def.meta_graph_version = "v1"
    mgd.graph_def.CopyFrom(graph_def if graph_def is not None else g.as_graph_def())
    if clear_devices:
        for nd in mgd.graph_def.node:
            nd.ClearField("device")
    keys = collection_list if collection_list is not None else sorted(g._collections)  # type: ignore[attr-defined]
    for key in keys:
        values = g.get_collection(key)
        if values and not _collection(mgd.collection_def[key], values):
            del mgd.collection_def[key]
    if saver is not None:
        cd = mgd.collection_def[SAVER_VARIABLES]
        cd.bytes_list.value.extend(f"{k}\t{v.name}".encode() for k, v in saver._vars.items())
    if filename:
        write_meta_graph(mgd, filename, as_text)
    return mgd


def write_meta_graph(mgd: MetaGraphDef, filename: str, as_text: bool = False) -> None:
    from google.protobuf import text_format
    data = text_format.MessageToString(mgd).encode() if as_text else mgd.SerializeToString()

    def write(f: BinaryIO) -> None:
        f.write(data)

    # a crash leaves the old file or the new one, and a temporary named as a checkpoint's, which
    # the Saver's cleanup removes once its writer is gone
    atomic_write(filename, write)


def read_meta_graph(meta_graph_or_file: str | os.PathLike[str] | MetaGraphDef) -> MetaGraphDef:
    meta_graph_pb2, _ = _pb()
    if isinstance(meta_graph_or_file, meta_graph_pb2.MetaGraphDef):
        return meta_graph_or_file
    path = os.fspath(meta_graph_or_file)
    if not os.path.exists(path):
        raise OSError(f"File {path} does not exist.")
    with open(path, "rb") as f:
        data = f.read()
    mgd = meta_graph_pb2.MetaGraphDef()
    try:
        mgd.ParseFromString(data)
        if not mgd.graph_def.node and data:
            raise ValueError("no graph")
        return mgd
    except Exception:  # noqa: BLE001 - maybe text
        from google.protobuf import text_format
        mgd = meta_graph_pb2.MetaGraphDef()
        try:
            text_format.Parse(data.decode("utf-8"), mgd)
        except Exception as e:  # noqa: BLE001
            raise GraphDefError(f"{path}: not a MetaGraphDef ({type(e).__name__}: {e})") from None
        return mgd


def import_meta_graph(meta_graph_or_file: str | os.PathLike[str] | MetaGraphDef, clear_devices: bool = False,
                      import_scope: str | None = None, **kwargs: object) -> dict[str, Variable]:
    """Import the graph and collections of a ``.meta`` file into the default graph; returns the
    saved variables by checkpoint key (``gf.train.import_meta_graph`` makes a Saver of them)."""
    _, variable_pb2 = _pb()
    mgd = read_meta_graph(meta_graph_or_file)
    g = get_default_graph()
    if clear_devices:  # on a copy: the caller's message stays as it was
        mgd = type(mgd).FromString(mgd.SerializeToString())
        for nd in mgd.graph_def.node:
            nd.ClearField("device")
    import_graph_def(mgd.graph_def, name=import_scope or "")
    prefix = f"{import_scope}/" if import_scope else ""

    def element(name: str) -> Any:
        return g.as_graph_element(prefix + name)
    saver_vars: dict[str, Any] = {}
    for key, cd in mgd.collection_def.items():
        kind = cd.WhichOneof("kind")
        if key == SAVER_VARIABLES:
            for item in cd.bytes_list.value:
                ckpt, _, var = item.decode().partition("\t")
                saver_vars[ckpt] = element(var)
            continue
        if kind == "node_list":
            for name in cd.node_list.value:
                g.add_to_collection(key, element(name))
        elif kind == "bytes_list" and key.endswith("variables"):
            for raw in cd.bytes_list.value:
                vd = variable_pb2.VariableDef.FromString(raw)
                v = element(vd.variable_name)
                if isinstance(v, Variable):
                    if vd.initializer_name and v.initializer is None:
                        v.initializer = element(vd.initializer_name)
                    v.trainable = vd.trainable
                    g.add_to_collection(key, v)
        elif kind == "bytes_list":
            for b in cd.bytes_list.value:
                g.add_to_collection(key, b.decode("utf-8", "replace"))
        elif kind in ("int64_list", "float_list"):
            for x in getattr(cd, kind).value:
                g.add_to_collection(key, x)
    if not saver_vars:
        saver_vars = {v.node.name[len(prefix):]: v for v in g.get_collection("variables") if isinstance(v, Variable)}
    return saver_vars


def meta_graph_for_save(saver: SaverLike, filename: str) -> None:
    """``Saver.save(write_meta_graph=True)``: the ``.meta`` beside the checkpoint; a graph with an
    op TF1's GraphDef cannot hold keeps its checkpoint and warns instead."""
    graph = next(iter(saver._vars.values())).graph if saver._vars else get_default_graph()
    try:
        export_meta_graph(filename, graph=graph, saver=saver)
    except (UnsupportedOpError, ImportError) as e:
        warnings.warn(f"Saver: the checkpoint is written but not {filename}: {e}", stacklevel=3)
