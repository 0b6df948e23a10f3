"""``tf.train.SaverDef`` and the graph side of a ``Saver``: the ``save/Const`` filename tensor,
the save op and ``save/restore_all``, which run the checkpoint writer and reader inside
``sess.run``, so a program that knows only a ``SaverDef``'s names (as TF1's serving and freezing
tools do) can save and restore.

    saver_def = saver.as_saver_def()
    sess.run(saver_def.restore_op_name, {saver_def.filename_tensor_name: path})
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Operation, Tensor
from graphflow.graphdef.export import mark_host_only
from graphflow.ops.math_ops import identity
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.state_ops import assign, constant, group, placeholder_with_default
from graphflow.ops.variables import Variable
from graphflow.tf1.train.checkpoint_io import checkpoint_file, write_checkpoint

__all__ = ["saver_def_class", "build_saver_ops"]

V2 = 2  # SaverDef.CheckpointFormatVersion.V2, what graphflow's Saver writes (its own checkpoint format)


def saver_def_class() -> Any:
    """TF's ``SaverDef`` protobuf message class (``tensorboard.compat.proto.saver_pb2``), which
    ``gf.train.SaverDef`` names once first used."""
    try:
        from tensorboard.compat.proto import saver_pb2
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("SaverDef is TensorFlow's published protobuf message, shipped by TensorBoard: "
                          "pip install tensorboard (or graphflow's 'tensorboard' extra)") from e
    return saver_pb2.SaverDef


def _path(value: Any) -> str:
    v = np.asarray(value).reshape(-1)[0] if np.ndim(value) else np.asarray(value).item()
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def build_saver_ops(graph: Graph, variables: Mapping[str, Variable], name: str,
                    read: Callable[[str], dict[str, np.ndarray]],
                    write: Callable[[str, list[tuple[str, np.ndarray]]], None] | None = None,
                    ) -> tuple[Tensor, Tensor, Operation]:
    """(filename tensor, save tensor, restore op) for ``variables`` (checkpoint name -> variable),
    under the name scope ``name``: running the save tensor writes the checkpoint the filename
    names and gives the filename back; running the restore op loads every variable from it
    (``read``: the saver's checked reader, path -> every variable's value; ``write``: the saver's
    writer, prefix and (name, value) pairs, by default the ``.gfckpt`` file)."""
    names = list(variables)
    vars_ = [variables[n] for n in names]
    first = len(graph.get_operations())
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope(name + "/"):
        default = constant(np.array(b"model", dtype=object), name="filename")
        filename = placeholder_with_default(default, [], name="Const")

        def save(path: Any, *values: np.ndarray) -> np.ndarray:
            if write is None:
                write_checkpoint(checkpoint_file(_path(path)), list(zip(names, values)))
            else:
                write(_path(path), list(zip(names, values)))
            return np.array(_path(path).encode("utf-8"), dtype=object)

        saved = py_func(save, [filename, *vars_], _dt.string, name="SaveV2")
        with graph.control_dependencies([saved.node]):
            save_tensor = identity(filename, name="control_dependency")

        def restore(path: Any) -> list[np.ndarray]:
            found = read(_path(path))
            return [found[n] for n in names]

        values = py_func(restore, [filename], [v.dtype for v in vars_], name="RestoreV2")
        assigns = []
        for v, value in zip(vars_, values):
            value.set_shape(v.shape)
            assigns.append(assign(v, value))
        restore_op = group(*assigns, name="restore_all")
    mark_host_only(graph, graph.get_operations()[first:])  # graph files hold TF1's kernels, not these
    return filename, save_tensor, restore_op
