"""Checkpoints: ``gf.train.Saver``, ``latest_checkpoint`` and a reader for checkpoint files.

A checkpoint ``<prefix>`` is one file ``<prefix>.gfckpt``: an uncompressed zip holding
``manifest.json`` (format, version, and each tensor's name, dtype, shape and member file) and one
``.npy`` member per tensor, read back with ``allow_pickle=False``: loading never runs code.
docs/checkpoint_format.md describes it. Files are written to a temporary file in the same
directory, flushed, fsynced and renamed over the target, so a crash mid-save leaves the previous
checkpoint and the ``checkpoint`` state file as they were.
"""
from __future__ import annotations

import io
import json
import os
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from graphflow.errors import DataLossError, InvalidArgumentError, NotFoundError, OpError
from graphflow.ir import get_default_graph
from graphflow.variables import GraphKeys, Variable

__all__ = ["Saver", "latest_checkpoint", "get_checkpoint_state", "update_checkpoint_state",
           "checkpoint_exists", "CheckpointState", "CheckpointReader", "NewCheckpointReader",
           "list_variables", "load_variable", "import_meta_graph"]

FORMAT = "graphflow.checkpoint"
VERSION = 1
SUFFIX = ".gfckpt"
MANIFEST = "manifest.json"
STATE_FILENAME = "checkpoint"
_CHUNK_BYTES = 1 << 22
_ZIP64_FROM = (1 << 31) - (1 << 20)


# ---- atomic files ----------------------------------------------------------------------------------

def _atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through a temporary file in its directory: flush, fsync, rename over."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable (POSIX); not possible, nor needed, on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- the checkpoint file -----------------------------------------------------------------------------

def _write_chunk(out: BinaryIO, chunk: memoryview) -> None:
    out.write(chunk)


def _write_npy(out: BinaryIO, arr: np.ndarray) -> None:
    np.lib.format.write_array_header_1_0(out, np.lib.format.header_data_from_array_1_0(arr))
    data = memoryview(arr.reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    for start in range(0, data.nbytes, _CHUNK_BYTES):
        _write_chunk(out, data[start:start + _CHUNK_BYTES])


def write_checkpoint(path: str, tensors: Sequence[tuple[str, np.ndarray]]) -> None:
    """Write ``tensors`` (name, array) as the checkpoint file ``path``, atomically."""
    arrays = [(name, np.asarray(a, order="C")) for name, a in tensors]
    entries: list[dict[str, Any]] = [
        {"name": name, "file": f"tensors/{i}.npy", "dtype": a.dtype.name, "shape": list(a.shape)}
        for i, (name, a) in enumerate(arrays)]
    manifest = {"format": FORMAT, "version": VERSION, "tensors": entries}

    def write(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1))
            for entry, (_, a) in zip(entries, arrays):
                with zf.open(entry["file"], "w", force_zip64=a.nbytes > _ZIP64_FROM) as out:
                    _write_npy(out, a)  # type: ignore[arg-type]

    _atomic_write(path, write)


def _checkpoint_file(prefix: str) -> str:
    return prefix if prefix.endswith(SUFFIX) else prefix + SUFFIX


class CheckpointReader:
    """Reads a checkpoint written by ``Saver.save`` (by prefix, or the ``.gfckpt`` path).

    >>> import graphflow as gf, tempfile, os
    >>> v = gf.Variable([1.0, 2.0], name="v")
    >>> with gf.Session() as sess:
    ...     sess.run(v.initializer)
    ...     path = gf.train.Saver([v]).save(sess, os.path.join(tempfile.mkdtemp(), "model"))
    >>> gf.train.NewCheckpointReader(path).get_tensor("v")
    array([1., 2.], dtype=float32)
    """

    def __init__(self, prefix: str) -> None:
        self.path = _checkpoint_file(os.fspath(prefix))
        if not os.path.isfile(self.path):
            raise NotFoundError(None, None, f"Unsuccessful restore: no checkpoint at prefix {prefix!r} "
                                f"(expected the file {self.path}, written by gf.train.Saver.save)")
        try:
            self._zip = zipfile.ZipFile(self.path)
            manifest = json.loads(self._zip.read(MANIFEST).decode("utf-8"))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error, EOFError) as e:
            raise DataLossError(None, None, f"checkpoint {self.path} is corrupt or not a graphflow "
                                f"checkpoint: {type(e).__name__}: {e}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise DataLossError(None, None, f"{self.path} is not a graphflow checkpoint: its manifest "
                                f"has format {manifest.get('format') if isinstance(manifest, dict) else None!r}, "
                                f"expected {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise DataLossError(None, None, f"checkpoint {self.path} has format version "
                                f"{manifest.get('version')!r}; this graphflow reads version {VERSION}")
        try:
            self._entries = {e["name"]: (e["file"], np.dtype(e["dtype"]), tuple(int(d) for d in e["shape"]))
                             for e in manifest["tensors"]}
        except (KeyError, TypeError, ValueError) as e:
            raise DataLossError(None, None, f"checkpoint {self.path} has a malformed manifest: "
                                f"{type(e).__name__}: {e}") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def has_tensor(self, name: str) -> bool:
        return name in self._entries

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {name: list(shape) for name, (_, _, shape) in self._entries.items()}

    def get_variable_to_dtype_map(self) -> dict[str, np.dtype]:
        return {name: dtype for name, (_, dtype, _) in self._entries.items()}

    def get_tensor(self, name: str) -> np.ndarray:
        if name not in self._entries:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint {self.path}")
        member, dtype, shape = self._entries[name]
        try:
            data = self._zip.read(member)  # checks the member's CRC
            arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error, EOFError) as e:
            raise DataLossError(None, None, f"checkpoint {self.path}: tensor {name} is unreadable: "
                                f"{type(e).__name__}: {e}") from None
        if arr.dtype != dtype or arr.shape != shape:
            raise DataLossError(None, None, f"checkpoint {self.path}: tensor {name} holds {arr.dtype.name} "
                                f"{list(arr.shape)}, its manifest says {dtype.name} {list(shape)}")
        return arr


NewCheckpointReader = CheckpointReader


def _resolve(ckpt_dir_or_file: str) -> str:
    if os.path.isdir(ckpt_dir_or_file):
        found = latest_checkpoint(ckpt_dir_or_file)
        if found is None:
            raise NotFoundError(None, None, f"no checkpoint found in directory {ckpt_dir_or_file}")
        return found
    return ckpt_dir_or_file


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """``[(name, shape)]`` of a checkpoint (or of a directory's latest one), sorted by name."""
    with CheckpointReader(_resolve(ckpt_dir_or_file)) as r:
        return sorted(r.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """One tensor of a checkpoint (or of a directory's latest one) as a numpy array."""
    if name.endswith(":0"):
        name = name[:-2]
    with CheckpointReader(_resolve(ckpt_dir_or_file)) as r:
        return r.get_tensor(name)


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    return os.path.isfile(_checkpoint_file(checkpoint_prefix))


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

    _atomic_write(os.path.join(save_dir, latest_filename or STATE_FILENAME), write)


_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*"(.*)"\s*$')


def get_checkpoint_state(checkpoint_dir: str, latest_filename: str | None = None) -> CheckpointState | None:
    """The directory's state file parsed (relative paths joined to the directory), or None."""
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
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

def _named_variables(var_list: Any) -> dict[str, Variable]:
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

    ``save`` also writes ``<prefix>.meta`` (TF1's MetaGraphDef: the graph, collections and this
    saver's variables; ``write_meta_graph=False`` skips it). ``keep_checkpoint_every_n_hours``,
    ``sharded`` and the other TF1 arguments are accepted and ignored.
    """

    def __init__(self, var_list: Iterable[Variable] | Mapping[str, Variable] | None = None,
                 reshape: bool = False, sharded: bool = False, max_to_keep: int | None = 5,
                 keep_checkpoint_every_n_hours: float = 10000.0, name: str | None = None,
                 restore_sequentially: bool = False, saver_def: Any = None, builder: Any = None,
                 defer_build: bool = False, allow_empty: bool = False, write_version: int = 2,
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

    def save(self, sess: Any, save_path: str, global_step: Any = None, latest_filename: str | None = None,
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
        if not os.path.isdir(save_dir):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        tensors = [(name, sess.state.value(v.node)) for name, v in self._vars.items()]
        write_checkpoint(prefix + SUFFIX, tensors)
        if write_meta_graph:
            from graphflow.graphdef.meta_graph import meta_graph_for_save
            meta_graph_for_save(self, f"{prefix}.{meta_graph_suffix}")
        if write_state:
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
                for path in (old + SUFFIX, f"{old}.{meta_graph_suffix}"):
                    try:
                        os.remove(path)
                    except FileNotFoundError:
                        pass
        return prefix

    def restore(self, sess: Any, save_path: str) -> None:
        """Load every variable from the checkpoint ``save_path``: all names, shapes and dtypes are
        checked, and all values read, before any variable changes."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        self._check_session(sess)
        if _mpi_rank() >= 0:  # an MPI job: rank 0 reads, every rank gets its values (or its error)
            from graphflow.platform import mpi as collectives
            read: Any = None
            if _mpi_rank() == 0:
                try:
                    read = self._read(os.fspath(save_path))
                except (OSError, ValueError, NotFoundError, InvalidArgumentError, DataLossError) as e:
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
        with CheckpointReader(save_path) as reader:
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


def _mpi_rank() -> int:
    """This process's rank in a data-parallel MPI job of more than one rank, else -1."""
    from graphflow.platform import mpi as collectives
    if not collectives.initialized() or collectives.size() == 1:
        return -1
    return collectives.rank()


def import_meta_graph(meta_graph_or_file: Any, clear_devices: bool = False, import_scope: str | None = None,
                      **kwargs: Any) -> Saver | None:
    """TF1's ``tf.train.import_meta_graph``: the graph and collections of a ``.meta`` file into
    the default graph, and a Saver over its saved variables (None when it has none)."""
    from graphflow.graphdef.meta_graph import import_meta_graph as load
    variables = load(meta_graph_or_file, clear_devices, import_scope, **kwargs)
    return Saver(variables) if variables else None
