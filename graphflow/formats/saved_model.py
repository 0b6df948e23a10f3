"""TF's ``saved_model.pb`` / ``saved_model.pbtxt``: the ``SavedModel`` message (a schema version
and the MetaGraphDefs, one per tag set), read and written without TensorFlow.

``SavedModel`` is declared with TF's field numbers; its meta graphs are kept as bytes and parsed
one by one into TensorBoard's ``MetaGraphDef`` (an embedded message is length-delimited bytes on
the wire, so the two are the same file). The text form needs the MetaGraphDef's own descriptor
(a bytes field has no text form), so it is parsed through a second declaration of the message
that refers to TensorBoard's. Files are written atomically; a file larger than protobuf's 2 GiB
limit, or one that does not parse, raises ``DataLossError`` naming it.

>>> import tempfile
>>> from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef
>>> d = tempfile.mkdtemp()
>>> mg = MetaGraphDef(); mg.meta_info_def.tags.append("serve")
>>> _ = write_saved_model(d, [mg])
>>> [list(m.meta_info_def.tags) for m in read_saved_model(d).meta_graphs]
[['serve']]
"""
from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from graphflow.core.errors import DataLossError, NotFoundError
from graphflow.formats.proto import messages
from graphflow.platform.atomic_file import atomic_write

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef

__all__ = ["SAVED_MODEL_FILENAME_PB", "SAVED_MODEL_FILENAME_PBTXT", "SAVED_MODEL_SCHEMA_VERSION",
           "SavedModelContents", "SavedModelNotFoundError", "contains_saved_model", "read_saved_model",
           "write_saved_model"]

SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
SAVED_MODEL_SCHEMA_VERSION = 1
MAX_FILE_BYTES = (1 << 31) - 1  # protobuf refuses a message beyond 2 GiB; TF cannot write one either


class SavedModelNotFoundError(NotFoundError, OSError):
    """No ``saved_model.pb`` or ``saved_model.pbtxt`` in the directory: TF1 raises ``IOError``
    there, graphflow an error that is both that and ``NotFoundError``."""


@dataclass(frozen=True)
class SavedModelContents:
    """What a SavedModel file holds, and the file it was read from."""

    path: str
    schema_version: int
    meta_graphs: list[MetaGraphDef]


@functools.cache
def _binary_class() -> Any:
    return messages("graphflow/saved_model.proto", "tensorflow",
                    {"SavedModel": [("saved_model_schema_version", 1, "int64"),
                                    ("meta_graphs", 2, "bytes", "repeated")]})["SavedModel"]


@functools.cache
def _text_class() -> Any:
    """``SavedModel`` with its meta graphs as TensorBoard's ``MetaGraphDef`` messages, declared in
    the pool TensorBoard's protos live in (under a package of graphflow's own, so it never meets
    TensorFlow's ``tensorflow.SavedModel``)."""
    from google.protobuf import descriptor_pb2, message_factory
    from tensorboard.compat.proto import meta_graph_pb2
    pool = meta_graph_pb2.DESCRIPTOR.pool
    name = "graphflow/saved_model_text.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        fdp = descriptor_pb2.FileDescriptorProto(name=name, package="graphflow_saved_model", syntax="proto3",
                                                 dependency=[meta_graph_pb2.DESCRIPTOR.name])
        m = fdp.message_type.add(name="SavedModel")
        m.field.add(name="saved_model_schema_version", number=1, type=3, label=1)
        m.field.add(name="meta_graphs", number=2, type=11, label=3,
                    type_name="." + meta_graph_pb2.MetaGraphDef.DESCRIPTOR.full_name)
        pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("graphflow_saved_model.SavedModel"))


def _meta_graph_class() -> Any:
    from tensorboard.compat.proto import meta_graph_pb2
    return meta_graph_pb2.MetaGraphDef


def saved_model_path(export_dir: str) -> str | None:
    """The SavedModel file of ``export_dir`` (the binary one first, as TF1 looks), or None."""
    for name in (SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT):
        path = os.path.join(export_dir, name)
        if os.path.isfile(path):
            return path
    return None


def contains_saved_model(export_dir: str | os.PathLike[str]) -> bool:
    """Whether ``export_dir`` holds a SavedModel file (``loader.maybe_saved_model_directory``)."""
    return saved_model_path(os.fspath(export_dir)) is not None


def _bounded_read(path: str) -> bytes:
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise DataLossError(None, None, f"{path}: {size} bytes, more than a protobuf message can hold "
                                        f"({MAX_FILE_BYTES}); not a SavedModel file")
    with open(path, "rb") as f:
        data = f.read(size + 1)
    if len(data) != size:
        raise DataLossError(None, None, f"{path}: changed size while being read ({size} -> {len(data)} bytes)")
    return data


def read_saved_model(export_dir: str | os.PathLike[str]) -> SavedModelContents:
    """The schema version and meta graphs of the SavedModel in ``export_dir``."""
    export_dir = os.fspath(export_dir)
    path = saved_model_path(export_dir)
    if path is None:
        raise SavedModelNotFoundError(None, None, f"SavedModel file does not exist at: {export_dir}{os.sep}"
                                                  f"{{{SAVED_MODEL_FILENAME_PBTXT}|{SAVED_MODEL_FILENAME_PB}}}")
    data = _bounded_read(path)
    if path.endswith(".pbtxt"):
        from google.protobuf import text_format
        msg = _text_class()()
        try:
            text_format.Parse(data.decode("utf-8"), msg)
        except Exception as e:  # noqa: BLE001 - any parse failure is a malformed file
            raise DataLossError(None, None, f"{path}: not a text SavedModel ({type(e).__name__}: {e})") from None
        graphs = list(msg.meta_graphs)
        mg_class = _meta_graph_class()
        return SavedModelContents(path, int(msg.saved_model_schema_version),
                                  [mg_class.FromString(m.SerializeToString()) for m in graphs])
    msg = _binary_class()()
    try:
        msg.ParseFromString(data)
        mg_class = _meta_graph_class()
        graphs = []
        for i, raw in enumerate(msg.meta_graphs):
            try:
                graphs.append(mg_class.FromString(raw))
            except Exception as e:  # noqa: BLE001
                raise ValueError(f"meta graph {i}: {type(e).__name__}: {e}") from None
    except Exception as e:  # noqa: BLE001 - DecodeError and friends: a bad file
        raise DataLossError(None, None, f"{path}: not a binary SavedModel ({type(e).__name__}: {e})") from None
    if not graphs and data:
        raise DataLossError(None, None, f"{path}: not a binary SavedModel (no meta graph in {len(data)} bytes)")
    return SavedModelContents(path, int(msg.saved_model_schema_version), graphs)


def write_saved_model(export_dir: str | os.PathLike[str], meta_graphs: Sequence[MetaGraphDef],
                      as_text: bool = False) -> str:
    """Write ``saved_model.pb`` (``saved_model.pbtxt`` with ``as_text``) into ``export_dir``,
    atomically; returns its path."""
    export_dir = os.fspath(export_dir)
    if as_text:
        from google.protobuf import text_format
        msg = _text_class()(saved_model_schema_version=SAVED_MODEL_SCHEMA_VERSION)
        for mg in meta_graphs:
            msg.meta_graphs.add().MergeFromString(mg.SerializeToString())
        data = text_format.MessageToString(msg).encode("utf-8")
        path = os.path.join(export_dir, SAVED_MODEL_FILENAME_PBTXT)
    else:
        msg = _binary_class()(saved_model_schema_version=SAVED_MODEL_SCHEMA_VERSION)
        msg.meta_graphs.extend(mg.SerializeToString() for mg in meta_graphs)
        data = msg.SerializeToString()
        path = os.path.join(export_dir, SAVED_MODEL_FILENAME_PB)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{path}: the SavedModel would be {len(data)} bytes, more than protobuf's 2 GiB; "
                         "keep large constants in variables")

    def write(f: BinaryIO) -> None:
        f.write(data)

    atomic_write(path, write)
    return path
