"""The ``.gfckpt`` checkpoint file: written atomically, read through bounded streams.

A checkpoint ``<prefix>`` is one file ``<prefix>.gfckpt``: an uncompressed zip holding
``manifest.json`` (format, version, and each tensor's name, dtype, shape and member file) and one
``.npy`` member per tensor, read back without unpickling: loading never runs code.
docs/checkpoint_format.md describes it. Files are written to a temporary file in the same
directory, flushed, fsynced and renamed over the target (``platform.atomic_file``), so a crash
mid-save leaves the previous checkpoint as it was, and a temporary file that a later save removes
once its writer is gone.

A checkpoint may also be TF's tensor bundle (``<prefix>.index`` and
``<prefix>.data-00000-of-00001``, ``graphflow.formats.tensor_bundle``): TF1's Saver writes it, and
graphflow's writes it when asked (``Saver(write_version=SaverDef.V2)``). ``NewCheckpointReader``
opens either, by the files present, with the same interface and the same guarantees.

Reading trusts nothing in the file: every size is checked against the manifest and against the
file's real length before anything is allocated, members are read exactly (no trailing bytes,
no compression, CRCs checked), and every malformed input raises ``DataLossError`` naming the file.
"""
from __future__ import annotations

import io
import json
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import IO, Any, BinaryIO, NoReturn

import numpy as np

from graphflow.core.errors import DataLossError, NotFoundError
from graphflow.formats import tensor_bundle
from graphflow.platform.atomic_file import atomic_write

__all__ = ["CheckpointReader", "BundleCheckpointReader", "NewCheckpointReader", "checkpoint_exists"]

FORMAT = "graphflow.checkpoint"
VERSION = 1
SUFFIX = ".gfckpt"
MANIFEST = "manifest.json"
_CHUNK_BYTES = 1 << 22
_ZIP64_FROM = (1 << 31) - (1 << 20)
_MANIFEST_LIMIT = 1 << 26  # about 500,000 tensors; a manifest is ~100 bytes a tensor
_NPY_HEADER_LIMIT = 1 << 16  # numpy's version 1.0 headers are at most 65,535 bytes, ours ~128
_NPY_MAGIC_BYTES = 10  # magic (6), version (2), header length (2, version 1.0)
_END_OF_ARCHIVE = struct.Struct("<4s4H2LH")  # the zip's end-of-central-directory record
# what zipfile, zlib, struct and numpy's header parser raise on bytes that are not what they claim
_MALFORMED = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError,
              ValueError, KeyError, IndexError, TypeError, OverflowError, SyntaxError, RuntimeError)


# ---- writing ---------------------------------------------------------------------------------------

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

    atomic_write(path, write)


def checkpoint_file(prefix: str) -> str:
    return prefix if prefix.endswith(SUFFIX) else prefix + SUFFIX


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    """Whether a checkpoint, graphflow's or a TF bundle, is at ``checkpoint_prefix``."""
    prefix = os.fspath(checkpoint_prefix)
    return os.path.isfile(checkpoint_file(prefix)) or tensor_bundle.is_bundle(prefix)


def checkpoint_files(prefix: str) -> list[str]:
    """The files of the checkpoint ``prefix`` that exist (``.gfckpt``, or a bundle's index and data)."""
    candidates = [checkpoint_file(prefix), tensor_bundle.index_file(prefix), tensor_bundle.data_file(prefix)]
    return [p for p in candidates if os.path.isfile(p)]


def write_bundle_checkpoint(prefix: str, tensors: Sequence[tuple[str, np.ndarray]]) -> None:
    """Write ``tensors`` as TF's tensor bundle at ``prefix`` (both files atomically, data first)."""
    tensor_bundle.write_bundle(prefix, dict(tensors))


# ---- reading ---------------------------------------------------------------------------------------

# the dtypes a manifest may name, by numpy's name (bool, int8 ... uint64, float16 ... complex256):
# an unknown string never reaches np.dtype, which parses structured and object types too
_DTYPES = {d.name: d for d in map(np.dtype, "?bhilqBHILQefdgFDG")}


def _manifest_dtype(value: object) -> np.dtype:
    if not isinstance(value, str):
        raise ValueError(f"dtype {value!r:.80} is not a string")
    if value not in _DTYPES:
        raise ValueError(f"dtype {value!r:.80} is not a numeric type name")
    return _DTYPES[value]


def _manifest_shape(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(type(d) is int and d >= 0 for d in value):
        raise ValueError(f"shape {str(value)[:80]} is not a list of non-negative integers")
    return tuple(value)


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
        self.path = checkpoint_file(os.fspath(prefix))
        if not os.path.isfile(self.path):
            self._missing(prefix)
        try:
            self._file = open(self.path, "rb")
        except FileNotFoundError:  # removed since the check above
            self._missing(prefix)
        except OSError as e:
            raise DataLossError(None, None, f"checkpoint {self.path} cannot be read: "
                                f"{type(e).__name__}: {e}") from None
        try:
            self._open()
        except BaseException:
            self._file.close()
            raise

    def _missing(self, prefix: str) -> NoReturn:
        raise NotFoundError(None, None, f"Unsuccessful restore: no checkpoint at prefix {prefix!r} "
                            f"(expected the file {self.path}, written by gf.train.Saver.save, or TF's "
                            f"{prefix}.index and its data)")

    def _corrupt(self, what: str, error: BaseException | None = None) -> NoReturn:
        cause = f": {type(error).__name__}: {error}" if error is not None else ""
        raise DataLossError(None, None, f"checkpoint {self.path} is corrupt or not a graphflow "
                            f"checkpoint: {what}{cause}")

    def _open(self) -> None:
        self._size = os.fstat(self._file.fileno()).st_size
        try:
            self._check_archive_end()
            self._zip = zipfile.ZipFile(self._file)
            infos = self._zip.infolist()
        except _MALFORMED as e:
            self._corrupt("not a readable zip archive", e)
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            self._corrupt("the archive names a member twice")
        if not infos or min(i.header_offset for i in infos) != 0:
            self._corrupt("bytes before the archive's first member")
        manifest = self._read_manifest()
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
            self._corrupt(f"its manifest has format {found!r:.80}, expected {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise DataLossError(None, None, f"checkpoint {self.path} has format version "
                                f"{manifest.get('version')!r:.80}; this graphflow reads version {VERSION}")
        self._entries: dict[str, tuple[zipfile.ZipInfo, np.dtype, tuple[int, ...]]] = {}
        try:
            for entry in manifest["tensors"]:
                name, member = entry["name"], entry["file"]
                if not isinstance(name, str) or name in self._entries:
                    raise ValueError(f"tensor name {name!r:.80} is not a string or is listed twice")
                self._entries[name] = (self._member(member), _manifest_dtype(entry["dtype"]),
                                       _manifest_shape(entry["shape"]))
        except (KeyError, TypeError, ValueError) as e:
            self._corrupt("malformed manifest", e)

    def _check_archive_end(self) -> None:
        """Our writer ends the file with the end-of-archive record and no comment: anything after
        it is not ours (zipfile itself ignores trailing bytes)."""
        if self._size < _END_OF_ARCHIVE.size:
            raise zipfile.BadZipFile(f"{self._size} bytes is too short for a zip archive")
        self._file.seek(self._size - _END_OF_ARCHIVE.size)
        record = _END_OF_ARCHIVE.unpack(self._file.read(_END_OF_ARCHIVE.size))
        if record[0] != b"PK\x05\x06" or record[-1] != 0:
            raise zipfile.BadZipFile("the file does not end with the zip's end-of-archive record "
                                     "(trailing bytes, a comment, or a truncated file)")

    def _member(self, name: object) -> zipfile.ZipInfo:
        """The member ``name``, checked to be stored as written: uncompressed, unencrypted, and
        inside the file. Its sizes are then bounded by the file's real length."""
        if not isinstance(name, str):
            raise ValueError(f"member name {name!r:.80} is not a string")
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            self._corrupt(f"member {name} is missing")
        if info.flag_bits & 0x1:
            self._corrupt(f"member {name} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            self._corrupt(f"member {name} is compressed (zip method {info.compress_type}); graphflow "
                          f"checkpoints store members uncompressed")
        if info.file_size != info.compress_size:
            self._corrupt(f"member {name} is stored uncompressed but claims {info.file_size} bytes "
                          f"in {info.compress_size}")
        if info.header_offset + info.file_size > self._size:
            self._corrupt(f"member {name} claims {info.file_size} bytes at offset {info.header_offset}, "
                          f"past the file's {self._size} bytes")
        return info

    def _read_manifest(self) -> Any:
        info = self._member(MANIFEST)
        if info.file_size > _MANIFEST_LIMIT:
            self._corrupt(f"its manifest claims {info.file_size} bytes (at most {_MANIFEST_LIMIT} read)")
        try:
            return json.loads(self._zip.read(info).decode("utf-8"))  # the read checks the CRC
        except _MALFORMED as e:  # RecursionError (a manifest nested deeply) is a RuntimeError
            self._corrupt("unreadable manifest", e)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
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
        info, dtype, shape = self._entries[name]
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        header_bytes = info.file_size - nbytes  # what the member leaves for the .npy header
        if not _NPY_MAGIC_BYTES <= header_bytes <= _NPY_MAGIC_BYTES + _NPY_HEADER_LIMIT:
            self._corrupt(f"tensor {name} (member {info.filename}) holds {info.file_size} bytes; its "
                          f"manifest's {dtype.name} {list(shape)} needs {nbytes} and a .npy header")
        try:
            with self._zip.open(info) as f:
                fortran = self._read_npy_header(f, name, info, nbytes, dtype, shape)
                flat = np.empty(count, dtype)
                view = memoryview(flat.view(np.uint8))  # type: ignore[arg-type]
                for start in range(0, nbytes, _CHUNK_BYTES):
                    chunk = f.read(min(_CHUNK_BYTES, nbytes - start))  # reading the last byte checks the CRC
                    if len(chunk) != min(_CHUNK_BYTES, nbytes - start):
                        raise EOFError(f"member ended after {start + len(chunk)} of {nbytes} data bytes")
                    view[start:start + len(chunk)] = chunk
                if f.read(1):
                    raise ValueError("bytes after the tensor's data")
        except _MALFORMED as e:
            self._corrupt(f"tensor {name} is unreadable", e)
        return flat.reshape(shape, order="F" if fortran else "C")

    def _read_npy_header(self, f: IO[bytes], name: str, info: zipfile.ZipInfo, nbytes: int, dtype: np.dtype,
                         shape: tuple[int, ...]) -> bool:
        """Parse the .npy header at the member's start, which must leave exactly ``nbytes`` of data;
        True for Fortran order."""
        header_bytes = info.file_size - nbytes
        header = io.BytesIO(f.read(header_bytes))
        version = np.lib.format.read_magic(header)
        if version == (1, 0):
            read_shape, fortran, read_dtype = np.lib.format.read_array_header_1_0(header)
        elif version == (2, 0):
            read_shape, fortran, read_dtype = np.lib.format.read_array_header_2_0(header)
        else:
            raise ValueError(f".npy format version {version} (graphflow reads 1.0 and 2.0)")
        if read_dtype != dtype or read_shape != shape:
            self._corrupt(f"tensor {name} holds {read_dtype.name} {list(read_shape)}, its manifest "
                          f"says {dtype.name} {list(shape)}")
        if header.tell() != header_bytes:
            self._corrupt(f"tensor {name} (member {info.filename}) holds {info.file_size} bytes: its "
                          f"{header.tell()}-byte .npy header and {nbytes} bytes of {dtype.name} {list(shape)} "
                          f"make {header.tell() + nbytes}")
        return bool(fortran)


class BundleCheckpointReader:
    """TF's checkpoint reader over a tensor bundle (``<prefix>.index`` + data), as TF1's
    ``NewCheckpointReader`` returns it; a partitioned variable reads as one whole tensor."""

    def __init__(self, prefix: str) -> None:
        self.path = os.fspath(prefix)
        self._bundle = tensor_bundle.BundleReader(self.path)

    def close(self) -> None:
        pass  # the index is read whole when opened; data files are opened per tensor

    def __enter__(self) -> BundleCheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has_tensor(self, name: str) -> bool:
        return self._bundle.has(name)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {k: self._bundle.shape(k) for k in self._bundle.keys()}

    def get_variable_to_dtype_map(self) -> dict[str, np.dtype]:
        return {k: np.dtype(object if d == "string" else d) for k in self._bundle.keys()
                for d in [self._bundle.dtype(k)]}

    def get_tensor(self, name: str) -> np.ndarray:
        return self._bundle.get(name)


def NewCheckpointReader(prefix: str) -> CheckpointReader | BundleCheckpointReader:  # noqa: N802 - TF1's name
    """The reader of the checkpoint ``prefix``: graphflow's ``<prefix>.gfckpt`` when it exists,
    else TF's tensor bundle ``<prefix>.index`` (TF1's own checkpoints).

    >>> import graphflow as gf, tempfile, os, numpy as np
    >>> p = os.path.join(tempfile.mkdtemp(), "tf_model")
    >>> tensor_bundle.write_bundle(p, {"w": np.ones(2, np.float32)})
    >>> gf.train.NewCheckpointReader(p).get_tensor("w")
    array([1., 1.], dtype=float32)
    """
    prefix = os.fspath(prefix)
    if not os.path.isfile(checkpoint_file(prefix)) and tensor_bundle.is_bundle(prefix):
        return BundleCheckpointReader(prefix)
    return CheckpointReader(prefix)
