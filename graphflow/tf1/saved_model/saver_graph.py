"""The saver subgraph of a SavedModel's GraphDef, both ways.

TF's loader restores variables by running the meta graph's ``SaverDef``: ``save/restore_all`` fed
``save/Const:0`` with the variables' path. graphflow's own Saver runs host functions that graph
files leave out, so an export appends, as plain NodeDefs, the nodes TF's sharded V2 ``Saver``
builds (``SaveV2``, ``MergeV2Checkpoints``, ``RestoreV2`` and one ``Assign`` per variable, named
as TF names them) and the ``SaverDef`` over them. graphflow's loader reads the variables from the
bundle itself, so on the way in the saver's nodes (its name scope, and anything that reads a save
or restore kernel) are dropped before the graph is imported.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.shapes import TensorShape
from graphflow.graphdef.display import protos, tf_type
from graphflow.graphdef.export import set_attr
from graphflow.ops.variables import Variable

if TYPE_CHECKING:
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef

__all__ = ["add_saver_nodes", "strip_saver_nodes"]

# TF's checkpoint kernels: graphflow has none of them (its loader reads the bundle directly)
SAVER_KERNELS = frozenset({"SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "SaveSlices",
                           "RestoreSlice", "Restore", "Save", "StaticRegexFullMatch"})


def _scope(gd: GraphDef) -> str:
    """``save``, or ``save_<n>`` where the graph already has nodes under ``save/``, as TF numbers
    a graph's second Saver."""
    taken = {nd.name.split("/", 1)[0] for nd in gd.node}
    name, i = "save", 0
    while name in taken:
        i += 1
        name = f"save_{i}"
    return name


class _Nodes:
    def __init__(self, gd: GraphDef, scope: str) -> None:
        _, _, self.node_def_pb2, _ = protos()
        self.gd, self.scope = gd, scope

    def add(self, name: str, op: str, inputs: Sequence[str] = (), **attrs: Any) -> str:
        full = f"{self.scope}/{name}"
        nd = self.node_def_pb2.NodeDef(name=full, op=op)
        nd.input.extend(inputs)
        for k, v in attrs.items():
            if k == "dtypes":
                nd.attr[k].list.type.extend(v)
            else:
                set_attr(nd.attr[k], v)
        self.gd.node.append(nd)
        return full

    def const(self, name: str, value: Any) -> str:
        v = np.asarray(value)
        return self.add(name, "Const", value=("tensor", v), dtype=("type", v.dtype))


def add_saver_nodes(mgd: MetaGraphDef, variables: Mapping[str, Variable]) -> None:
    """Append TF's sharded V2 saver over ``variables`` (checkpoint key -> variable) to ``mgd``'s
    GraphDef and set its ``saver_def``. No variables, no saver: TF's builder makes none either."""
    if not variables:
        return
    gd = mgd.graph_def
    s = _Nodes(gd, _scope(gd))
    keys = sorted(variables)  # TF's Saver orders its saveables by name
    refs = [variables[k].node.name for k in keys]
    types = [tf_type(variables[k].dtype) for k in keys]
    string = ("type", _dt.string)
    s.const("filename/input", np.array(b"model", dtype=object))
    filename = s.add("filename", "PlaceholderWithDefault", [f"{s.scope}/filename/input"], dtype=string,
                     shape=("shape", TensorShape([])))
    prefix = s.add("Const", "PlaceholderWithDefault", [filename], dtype=string, shape=("shape", TensorShape([])))
    # save: a temporary shard beside the prefix, merged into it (what MergeV2Checkpoints renames)
    part = s.const("StringJoin/inputs_1", np.array(f"_temp_{uuid.uuid4().hex}/part".encode(), dtype=object))
    joined = s.add("StringJoin", "StringJoin", [prefix, part], N=2, separator="")
    shard = s.add("ShardedFilename", "ShardedFilename",
                  [joined, s.const("ShardedFilename/shard", np.int32(0)), s.const("num_shards", np.int32(1))])
    names = np.array([k.encode() for k in keys], dtype=object)
    slices = np.array([b""] * len(keys), dtype=object)
    save = s.add("SaveV2", "SaveV2", [shard, s.const("SaveV2/tensor_names", names),
                                      s.const("SaveV2/shape_and_slices", slices), *refs], dtypes=types)
    saved = s.add("control_dependency", "Identity", [shard, f"^{save}"], T=string)
    prefixes = s.add("MergeV2Checkpoints/checkpoint_prefixes", "Pack", [shard, f"^{saved}"], T=string, N=1, axis=0)
    merged = s.add("MergeV2Checkpoints", "MergeV2Checkpoints", [prefixes, prefix], delete_old_dirs=True)
    save_tensor = s.add("Identity", "Identity", [prefix, f"^{merged}", f"^{saved}"], T=string)
    # restore: one RestoreV2 of every key, an Assign per variable
    restore = s.add("RestoreV2", "RestoreV2", [prefix, s.const("RestoreV2/tensor_names", names),
                                               s.const("RestoreV2/shape_and_slices", slices)], dtypes=types)
    assigns = []
    for i, (k, ref) in enumerate(zip(keys, refs)):
        value = restore if i == 0 else f"{restore}:{i}"
        assigns.append(s.add("Assign" if i == 0 else f"Assign_{i}", "Assign", [ref, value],
                             T=("type", variables[k].dtype), validate_shape=True, use_locking=True))
    shard_done = s.add("restore_shard", "NoOp", [f"^{a}" for a in assigns])
    restore_all = s.add("restore_all", "NoOp", [f"^{shard_done}"])
    sd = mgd.saver_def
    sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name = f"{prefix}:0", f"{save_tensor}:0", restore_all
    sd.max_to_keep, sd.sharded, sd.keep_checkpoint_every_n_hours, sd.version = 5, True, 10000.0, sd.V2


def strip_saver_nodes(mgd: MetaGraphDef) -> MetaGraphDef:
    """A copy of ``mgd`` without its saver's nodes: those under the ``SaverDef``'s name scope, the
    checkpoint kernels (``SaveV2``, ``RestoreV2``...) and every node that reads one of them."""
    out = type(mgd)()
    out.CopyFrom(mgd)
    scopes = set()
    if mgd.HasField("saver_def") and mgd.saver_def.restore_op_name:
        scopes.add(mgd.saver_def.restore_op_name.rsplit("/", 1)[0] + "/")
    dropped = {nd.name for nd in mgd.graph_def.node
               if nd.op in SAVER_KERNELS or any(nd.name.startswith(sc) for sc in scopes)}
    readers: dict[str, list[str]] = {}
    for nd in mgd.graph_def.node:
        for s in nd.input:
            readers.setdefault(s.lstrip("^").partition(":")[0], []).append(nd.name)
    todo = list(dropped)
    while todo:  # what reads a dropped node (a restore's Assign, a NoOp grouping them) goes too
        for reader in readers.get(todo.pop(), ()):
            if reader not in dropped:
                dropped.add(reader)
                todo.append(reader)
    if not dropped:
        return out
    del out.graph_def.node[:]
    out.graph_def.node.extend(nd for nd in mgd.graph_def.node if nd.name not in dropped)
    return out
