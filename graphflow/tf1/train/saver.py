"""Checkpoints: ``gf.train.Saver``, ``latest_checkpoint`` and the ``checkpoint`` state file.

The checkpoint file itself (``<prefix>.gfckpt``, written atomically and read through bounded
streams) is ``checkpoint_io``'s; docs/checkpoint_format.md describes both. A saver made with
``write_version=SaverDef.V2`` writes TF's tensor bundle instead (``formats.tensor_bundle``), and
every saver restores either format, TF1's checkpoints included. ``.gfckpt`` stays the default:
it is one file, replaced atomically, where the bundle is two (a save cut between them over the
same prefix leaves a pair whose CRCs disagree), and graphflow's tests and docs rely on it; the
explicit ``SaverDef.V2`` that TF1 scripts often pass asks for TF's own format. A save writes the
checkpoint, then the state file naming it, then deletes what the saver no longer keeps: the
checkpoints it wrote or took over from its state file and dropped beyond ``max_to_keep``, and the
temporary files of its saves that were killed. Nothing else is ever removed: a checkpoint no state
file of this saver lists (another saver's, TF1's, an interrupted save's) stays.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from graphflow.core.errors import DataLossError, InvalidArgumentError, NotFoundError, OpError
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.formats.tensor_bundle import data_file, index_file
from graphflow.graphdef.meta_graph import import_meta_graph as _import_meta_graph
from graphflow.graphdef.meta_graph import meta_graph_for_save
from graphflow.ops.variables import GraphKeys, Variable
from graphflow.platform import mpi as collectives
from graphflow.platform.atomic_file import abandoned, atomic_write, temp_owner
from graphflow.tf1.train.checkpoint_io import (
    CheckpointReader,
    NewCheckpointReader,
    checkpoint_exists,
    checkpoint_file,
    write_bundle_checkpoint,
    write_checkpoint,
)
from graphflow.tf1.train.saver_def import V2, build_saver_ops, saver_def_class

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import MetaGraphDef

__all__ = ["Saver", "latest_checkpoint", "get_checkpoint_state", "update_checkpoint_state",
           "checkpoint_exists", "CheckpointState", "CheckpointReader", "NewCheckpointReader",
           "list_variables", "load_variable", "import_meta_graph"]

STATE_FILENAME = "checkpoint"
_STATE_LIMIT = 1 << 24  # a state file naming a million checkpoints is ~60 MB; refuse beyond 16 MiB


def _resolve(ckpt_dir_or_file: str) -> str:
    if os.path.isdir(ckpt_dir_or_file):
        found = latest_checkpoint(ckpt_dir_or_file)
        if found is None:
            raise NotFoundError(None, None, f"no checkpoint found in directory {ckpt_dir_or_file}")
        return found
    return ckpt_dir_or_file


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of a checkpoint (or of a directory's latest one), sorted by name."""
    with NewCheckpointReader(_resolve(ckpt_dir_or_file)) as r:
        return sorted(r.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """One tensor of a checkpoint (or of a directory's latest one) as a numpy array."""
    if name.endswith(":0"):
        name = name[:-2]
    with NewCheckpointReader(_resolve(ckpt_dir_or_file)) as r:
        return r.get_tensor(name)


# ---- the "checkpoint" state file ------------------------------------------------------------------------
# TF1's text format: one `model_checkpoint_path: "<path>"` line, then one
# `all_model_checkpoint_paths: "<path>"` line per kept checkpoint, oldest first. Paths inside the
# directory are written relative to it, so the directory can be moved.

@dataclass
class CheckpointState:
    model_checkpoint_path: str
    all_model_checkpoint_paths: list[str] = field(default_factory=list)


def _relative(folder: str, path: str) -> str:
    if os.path.dirname(os.path.abspath(path)) == os.path.abspath(folder):
        return os.path.basename(path)
    return path


def update_checkpoint_state(save_dir: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths: Sequence[str] | None = None,
                            latest_filename: str | None = None) -> None:
    """Write ``save_dir/checkpoint`` (atomically) naming the latest and all kept checkpoints."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths = [p for p in paths if p != model_checkpoint_path] + [model_checkpoint_path]
    lines = [f"model_checkpoint_path: {json.dumps(_relative(save_dir, model_checkpoint_path))}"]
    lines += [f"all_model_checkpoint_paths: {json.dumps(_relative(save_dir, p))}" for p in paths]
    text = ("\n".join(lines) + "\n").encode("utf-8")

    def write(f: BinaryIO) -> None:
        f.write(text)

    atomic_write(os.path.join(save_dir, latest_filename or STATE_FILENAME), write)


_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*"(.*)"\s*$')


def get_checkpoint_state(checkpoint_dir: str, latest_filename: str | None = None) -> CheckpointState | None:
    """The directory's state file parsed (relative paths joined to the directory), or None; lines
    that are not ``key: "value"`` are skipped (TF1 returns None for a file it cannot parse), a
    file that is not UTF-8 text, or is over 16 MiB, raises ``DataLossError``."""
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    try:
        with open(path, "rb") as f:
            data = f.read(_STATE_LIMIT + 1)
    except FileNotFoundError:
        return None
    if len(data) > _STATE_LIMIT:
        raise DataLossError(None, None, f"checkpoint state file {path} is over {_STATE_LIMIT} bytes: "
                            f"not a state file written by gf.train.Saver")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataLossError(None, None, f"checkpoint state file {path} is not UTF-8 text (byte {e.start} "
                            f"is {data[e.start]:#04x}): it is corrupt; delete it or write it again "
                            f"with gf.train.update_checkpoint_state") from None
    latest, every = None, []
    for line in text.splitlines():
        m = _STATE_LINE.match(line)
        if m is None:
            continue
        try:
            value = json.loads(f'"{m.group(2)}"')
        except ValueError:
            value = m.group(2)
        if not os.path.isabs(value):
            value = os.path.join(checkpoint_dir, value)
        if m.group(1) == "model_checkpoint_path":
            latest = value
        elif m.group(1) == "all_model_checkpoint_paths":
            every.append(value)
    if latest is None:
        return None
    return CheckpointState(latest, every)


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint the directory's state file names, if its file exists.

    >>> import graphflow as gf, tempfile
    >>> gf.train.latest_checkpoint(tempfile.mkdtemp()) is None
    True
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


# ---- Saver ------------------------------------------------------------------------------------------

def _named_variables(var_list: Iterable[Variable] | Mapping[str, Variable]) -> dict[str, Variable]:
    if isinstance(var_list, Mapping):
        named = dict(var_list)
        for key, v in named.items():
            if not isinstance(key, str) or not isinstance(v, Variable):
                raise TypeError(f"Saver var_list dict must map names to gf.Variables, got {key!r}: {v!r}")
        return named
    named = {}
    for v in var_list:
        if not isinstance(v, Variable):
            raise TypeError(f"Saver var_list must hold gf.Variables, got {v!r}")
        name = v.node.name
        if name in named and named[name] is not v:
            raise ValueError(f"Saver var_list has two variables named {name}")
        named[name] = v
    return named


class Saver:
    """Saves and restores variables (by default every global variable: weights, optimizer slots,
    the global step).

    >>> import graphflow as gf, tempfile, os
    >>> w = gf.Variable([1.0, 2.0], name="w")
    >>> saver = gf.train.Saver([w], max_to_keep=2)
    >>> with gf.Session() as sess:
    ...     sess.run(w.initializer)
    ...     path = saver.save(sess, os.path.join(tempfile.mkdtemp(), "model"), global_step=7)
    ...     saver.restore(sess, path)
    >>> path.endswith("model-7")
    True

    The checkpoint is graphflow's ``<prefix>.gfckpt`` unless ``write_version`` is given as
    ``SaverDef.V2`` (2): then it is TF's tensor bundle (``<prefix>.index`` and
    ``<prefix>.data-00000-of-00001``), which TF's Saver restores. ``restore`` reads either, and
    TF1's own checkpoints. The bundle is opt-in because it is two files: a save over the same
    prefix can be cut between them, which the single-file format rules out (the reader then
    raises ``DataLossError`` on the mismatched CRCs rather than return wrong values).

    ``save`` also writes ``<prefix>.meta`` (TF1's MetaGraphDef: the graph, collections and this
    saver's variables; ``write_meta_graph=False`` skips it). ``keep_checkpoint_every_n_hours``,
    ``sharded`` and the other TF1 arguments are accepted and ignored (``saver_def`` reports them).

    ``max_to_keep`` counts, besides this saver's own checkpoints, those of the same ``save_path``
    in the format it writes that its state file (``latest_filename``) lists: an earlier run's,
    which TF1 forgets, unlisted and kept forever. A save removes only the checkpoints it drops
    from that list, and temporary files of this ``save_path``'s killed saves (writer gone,
    untouched for 10 minutes). A checkpoint the state file does not list is never removed:
    another saver's on the same ``save_path`` with another ``latest_filename``, TF1's files, one
    an interrupted save left unlisted. With ``max_to_keep`` None or 0 no checkpoint is ever removed.
    """

    def __init__(self, var_list: Iterable[Variable] | Mapping[str, Variable] | None = None,
                 reshape: bool = False, sharded: bool = False, max_to_keep: int | None = 5,
                 keep_checkpoint_every_n_hours: float = 10000.0, name: str | None = None,
                 restore_sequentially: bool = False, saver_def: object = None, builder: object = None,
                 defer_build: bool = False, allow_empty: bool = False, write_version: int | None = None,
                 pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: str | None = None) -> None:
        if var_list is None:
            var_list = get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
        self._vars = _named_variables(var_list)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._pad_step_number = pad_step_number
        self._last: list[str] = []
        self._sharded, self._keep_every_n_hours = bool(sharded), float(keep_checkpoint_every_n_hours)
        self._name = name or "save"
        self._saver_def: Any = None
        if write_version not in (None, 1, V2):
            raise ValueError(f"Saver write_version must be SaverDef.V1 (1) or SaverDef.V2 (2), got {write_version!r}")
        self._bundle = write_version == V2
        self._write = write_bundle_checkpoint if self._bundle else _write_gfckpt

    def build(self) -> None:
        """Add the graph's save and restore ops (``saver_def`` names them); built on first use."""
        if self._saver_def is not None:
            return
        graph = next(iter(self._vars.values())).graph if self._vars else get_default_graph()
        was_final = graph.finalized
        if was_final:  # TF1 builds them with the saver; graphflow builds them when first asked for
            graph._unsafe_unfinalize()
        try:
            filename, save_tensor, restore_op = build_saver_ops(graph, self._vars, self._name, self._read,
                                                                self._write)
        finally:
            if was_final:
                graph.finalize()
        self._saver_def = saver_def_class()(filename_tensor_name=filename.name, save_tensor_name=save_tensor.name,
                                   restore_op_name=restore_op.name, max_to_keep=self._max_to_keep or 0,
                                   sharded=self._sharded, keep_checkpoint_every_n_hours=self._keep_every_n_hours,
                                   version=V2)

    @property
    def saver_def(self) -> Any:
        """TF1's ``SaverDef``: the names of the filename tensor, the save tensor and the restore op
        (running them saves and restores as ``save``'s checkpoint file and ``restore`` do), and the
        saver's settings."""
        self.build()
        return self._saver_def

    def as_saver_def(self) -> Any:
        return self.saver_def

    @property
    def last_checkpoints(self) -> list[str]:
        """Prefixes of the checkpoints this saver keeps, oldest first."""
        return list(self._last)

    def set_last_checkpoints(self, last_checkpoints: Sequence[str]) -> None:
        self._last = list(last_checkpoints)

    def recover_last_checkpoints(self, checkpoint_paths: Sequence[str]) -> None:
        """Adopt existing checkpoints (e.g. ``get_checkpoint_state(d).all_model_checkpoint_paths``)
        so ``max_to_keep`` also deletes them in turn."""
        self._last = [p for p in checkpoint_paths if checkpoint_exists(p)]

    def _check_session(self, sess: Any) -> None:
        if sess is None or not hasattr(sess, "state"):
            raise TypeError(f"Saver needs a gf.Session, got {sess!r}")
        for v in self._vars.values():
            if v.graph is not sess.graph:
                raise ValueError(f"variable {v.name} is not in the session's graph")

    def save(self, sess: Any, save_path: str, global_step: int | np.integer | Tensor | None = None,
             latest_filename: str | None = None,
             meta_graph_suffix: str = "meta", write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False, save_debug_info: bool = False) -> str:
        """Write the variables' values; returns the prefix written (``"<save_path>-<step>"`` with
        ``global_step``, an int or a tensor)."""
        self._check_session(sess)
        save_path = os.fspath(save_path)
        prefix = save_path
        if global_step is not None:
            step = int(global_step) if isinstance(global_step, (int, np.integer)) else int(sess.run(global_step))
            prefix = f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"
        save_dir = os.path.dirname(os.path.abspath(prefix))
        if _mpi_rank() > 0:  # data-parallel ranks hold rank 0's weights: rank 0 alone writes
            return prefix
        _make_save_dir(save_dir, save_path)
        naming = _Naming(save_dir, os.path.basename(save_path), meta_graph_suffix, latest_filename or STATE_FILENAME,
                         self._bundle)
        naming.remove_stale_temporaries()
        tensors = [(name, sess.state.value(v.node)) for name, v in self._vars.items()]
        self._write(prefix, tensors)
        if write_meta_graph:
            meta_graph_for_save(self, f"{prefix}.{meta_graph_suffix}")
        if write_state:
            self._adopt(naming, os.path.dirname(prefix))
            if prefix in self._last:
                self._last.remove(prefix)
            self._last.append(prefix)
            dropped: list[str] = []
            if self._max_to_keep and len(self._last) > self._max_to_keep:
                dropped = self._last[:len(self._last) - self._max_to_keep]
                self._last = self._last[len(dropped):]
            # the state file stops naming a checkpoint before its file goes
            update_checkpoint_state(save_dir, prefix, self._last, latest_filename)
            for old in dropped:
                naming.remove(old)
        return prefix

    def _adopt(self, naming: _Naming, folder: str) -> None:
        """Take in this ``save_path``'s checkpoints that this saver's state file lists (a saver of
        an earlier run wrote them), so ``max_to_keep`` keeps the newest of all. Nothing else is
        taken in, not even a newer checkpoint an interrupted save left unlisted: the same name may
        be another saver's on this ``save_path`` (with its own state file), which must stay."""
        try:
            state = get_checkpoint_state(naming.folder, naming.state_name)
        except DataLossError:
            state = None
        listed = [] if state is None else [*state.all_model_checkpoint_paths, state.model_checkpoint_path]
        names = list(dict.fromkeys(os.path.basename(p) for p in listed
                                   if _key(os.path.dirname(os.path.abspath(p))) == _key(naming.folder)
                                   and naming.owns(os.path.basename(p))))
        known = {_key(p) for p in self._last}
        self._last = [os.path.join(folder, name) for name in names
                      if _key(os.path.join(naming.folder, name)) not in known
                      and naming.exists(os.path.join(naming.folder, name))] + self._last

    def restore(self, sess: Any, save_path: str) -> None:
        """Load every variable from the checkpoint ``save_path``: all names, shapes and dtypes are
        checked, and all values read, before any variable changes."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        self._check_session(sess)
        if _mpi_rank() >= 0:  # an MPI job: rank 0 reads, every rank gets its values (or its error)
            read: dict[str, np.ndarray] | tuple[type[Exception], str] | None = None
            if _mpi_rank() == 0:
                try:
                    read = self._read(os.fspath(save_path))
                except (OSError, ValueError, OpError) as e:  # NotFound, InvalidArgument, DataLoss, Unimplemented
                    read = (type(e), str(e))  # every rank raises rank 0's error
            read = collectives.broadcast_object(read, 0)
            if isinstance(read, tuple):
                kind, message = read
                raise kind(None, None, message) if issubclass(kind, OpError) else kind(message)
            for name, v in self._vars.items():
                sess.state.write(v.node, read[name])
            return
        values = self._read(os.fspath(save_path))
        for name, v in self._vars.items():
            sess.state.write(v.node, values[name])

    def _read(self, save_path: str) -> dict[str, np.ndarray]:
        """Every variable's value in the checkpoint, all names, shapes and dtypes checked first."""
        with NewCheckpointReader(save_path) as reader:
            shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
            missing, wrong = [], []
            for name, v in self._vars.items():
                want_shape, want_dtype = v.shape.as_list(), v.dtype.np
                if name not in shapes:
                    missing.append(f"Key {name} not found in checkpoint (variable {v.name}, "
                                   f"{want_dtype.name} {want_shape})")
                elif shapes[name] != want_shape:
                    wrong.append(f"variable {v.name} (key {name}): expected shape {want_shape}, "
                                 f"found shape {shapes[name]}")
                elif dtypes[name] != want_dtype:
                    wrong.append(f"variable {v.name} (key {name}): expected dtype {want_dtype.name}, "
                                 f"found dtype {dtypes[name].name}")
            if missing or wrong:
                msg = f"Restoring from checkpoint {reader.path} failed:\n  " + "\n  ".join(missing + wrong)
                if missing:
                    held = sorted(shapes)
                    msg += f"\n  the checkpoint holds: {', '.join(held[:20])}" + (" ..." if len(held) > 20 else "")
                    raise NotFoundError(None, None, msg)
                raise InvalidArgumentError(None, None, msg)
            return {name: reader.get_tensor(name) for name in self._vars}


def _write_gfckpt(prefix: str, tensors: Sequence[tuple[str, np.ndarray]]) -> None:
    write_checkpoint(checkpoint_file(prefix), tensors)


# ---- what a save keeps and removes --------------------------------------------------------------

def _make_save_dir(save_dir: str, save_path: str) -> None:
    """TF1 creates the checkpoint's directory when its parent exists, one level and no more."""
    if not os.path.isdir(save_dir):
        try:
            os.mkdir(save_dir)
        except OSError:
            pass
    if not os.path.isdir(save_dir):
        raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


@dataclass(frozen=True)
class _Naming:
    """The files a saver writes for one ``save_path`` in its directory: ``<base>`` or
    ``<base>-<step>`` with ``.gfckpt`` and ``.<meta_suffix>``, the state file, and the temporary
    files ``<one of those>.<pid>.<random>.tmp`` of their atomic writes. A name of this form is not
    proof that this saver wrote the file (another saver, or TF1, may share the ``save_path``):
    only the state file's list and abandoned temporaries are ever removed."""

    folder: str
    base: str
    meta_suffix: str
    state_name: str
    bundle: bool = False  # the saver writes TF's tensor bundle, not .gfckpt files

    def files(self, prefix: str) -> list[str]:
        """The checkpoint files of ``prefix`` in this saver's format: a checkpoint of the other
        format under the same name (TF1's, beside a .gfckpt saver) is not this saver's."""
        return [index_file(prefix), data_file(prefix)] if self.bundle else [checkpoint_file(prefix)]

    def exists(self, prefix: str) -> bool:
        return os.path.isfile(self.files(prefix)[0])

    def _step(self, name: str) -> int | None:
        """-1 for ``<base>``, the step for ``<base>-<step>``, None for a name not of this saver."""
        if name == self.base:
            return -1
        head, _, step = name.rpartition("-")
        return int(step) if head == self.base and step.isdigit() and step.isascii() else None

    def owns(self, name: str) -> bool:
        return self._step(name) is not None

    def _listdir(self) -> list[str]:
        try:
            return os.listdir(self.folder)
        except OSError:
            return []

    def remove(self, prefix: str) -> None:
        """A checkpoint's files, the state file no longer naming it."""
        for path in (*self.files(prefix), f"{prefix}.{self.meta_suffix}"):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    def _temporary_target(self, target: str) -> bool:
        """Whether ``target`` (what a temporary file was to become) is this saver's."""
        for suffix in (*self.files(""), f".{self.meta_suffix}"):
            if target.endswith(suffix) and self.owns(target[:-len(suffix)]):
                return True
        return target == self.state_name

    def remove_stale_temporaries(self) -> None:
        """Temporary files of this saver's checkpoints, ``.meta`` files and state file that a
        killed save left (``atomic_file.abandoned``); those that may be in flight stay."""
        for filename in self._listdir():
            owner = temp_owner(filename)
            if owner is None or not self._temporary_target(owner[0]):
                continue
            path = os.path.join(self.folder, filename)
            if abandoned(path, owner[1]):
                try:
                    os.remove(path)
                except OSError:
                    pass


def _mpi_rank() -> int:
    """This process's rank in a data-parallel MPI job of more than one rank, else -1."""
    if not collectives.initialized() or collectives.size() == 1:
        return -1
    return collectives.rank()


def import_meta_graph(meta_graph_or_file: str | MetaGraphDef, clear_devices: bool = False,
                      import_scope: str | None = None,
                      **kwargs: object) -> Saver | None:
    """TF1's ``tf.train.import_meta_graph``: the graph and collections of a ``.meta`` file into
    the default graph, and a Saver over its saved variables (None when it has none)."""
    variables = _import_meta_graph(meta_graph_or_file, clear_devices, import_scope, **kwargs)
    return Saver(variables) if variables else None
