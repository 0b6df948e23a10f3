"""The compile cache's files on disk: a folder private to the user, and numba's artefacts of
graphflow's functions verified against a content hash before they are unpickled.

numba unpickles its index (``.nbi``) and machine code (``.nbc``) as it finds them: a truncated or
altered file fails every later compile of that function (``UnpicklingError``, an LLVM bitcode
error) until someone deletes it, and an altered pickle runs whatever it says. graphflow's
dispatchers keep them instead in files of their own (``.gfi``, ``.gfc``, see ``verify``) that
start with the sha256 of their content: one that does not match is removed with a
``CacheWarning`` and the function is compiled again. The hash catches corruption; what keeps
others from writing there is the folder's owner and mode (``private_dir``), so every one of these
files, graphflow's libraries' included (``runtime/cache.py``: ``lib/<module>/``), lives in such a
folder: never in the package's ``__pycache__`` or ``NUMBA_CACHE_DIR``, where numba puts them.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import os
import pickle
import stat
import tempfile
import warnings
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from graphflow.core.errors import PermissionDeniedError

if TYPE_CHECKING:
    from numba.core.caching import IndexDataCacheFile, _CacheLocator

T = TypeVar("T")  # what _unpickle's loader reads: bytes (pickle.loads) or a stream (pickle.load)

MAGIC = b"GFSHA256"  # then the sha256 of the rest of the file, then the rest
_HEAD = len(MAGIC) + hashlib.sha256().digest_size


class CacheWarning(UserWarning):
    """A file in the compile cache was corrupt: it was removed, and what it held is rebuilt."""


def private_dir(path: str) -> str:
    """``path``, created readable and writable by this user alone (0o700) when it does not exist;
    an existing folder must belong to this user and be writable by no one else, since graphflow
    runs the code it finds there.

    >>> import tempfile, os
    >>> d = private_dir(os.path.join(tempfile.mkdtemp(), "cache"))
    >>> oct(os.stat(d).st_mode & 0o777)
    '0o700'
    """
    try:
        os.makedirs(path, mode=0o700)
        os.chmod(path, 0o700)  # whatever the umask
    except FileExistsError:
        pass
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise PermissionDeniedError(None, None, f"graphflow's compile cache {path} is not a folder: remove it "
                                                  "or set GRAPHFLOW_CACHE_DIR to a folder of your own")
    if hasattr(os, "geteuid"):  # POSIX owners and modes (Windows folders are private by ACL)
        if st.st_uid != os.geteuid():
            raise PermissionDeniedError(None, None, (
                f"graphflow's compile cache {path} belongs to user id {st.st_uid}, not to you (user id "
                f"{os.geteuid()}), and graphflow runs the code it finds there: set GRAPHFLOW_CACHE_DIR to a "
                "folder of your own"))
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise PermissionDeniedError(None, None, (
                f"graphflow's compile cache {path} can be written by others (mode {stat.S_IMODE(st.st_mode):o}), "
                f"and graphflow runs the code it finds there: make it private with `chmod 700 {path}` or set "
                "GRAPHFLOW_CACHE_DIR to a folder of your own"))
    return path


def discard(path: str, why: str) -> None:
    """Remove a corrupt cache file, saying so: whatever it held is built again."""
    warnings.warn(f"graphflow's compile cache file {path} is corrupt ({why}): it was removed and is built again",
                  CacheWarning, stacklevel=3)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` under a temporary name beside ``path`` (private to the user) and rename it
    into place, so another process reads the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_verified(path: str, payload: bytes) -> None:
    """Store ``payload`` at ``path`` behind its sha256, for ``read_verified``.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "f.gfc")
    >>> write_verified(path, b"machine code")
    >>> read_verified(path)
    b'machine code'
    """
    write_atomic(path, MAGIC + hashlib.sha256(payload).digest() + payload)


def read_verified(path: str) -> bytes | None:
    """The payload ``write_verified`` stored at ``path``; None where there is none, or where the
    file does not hash to the digest at its head (it is then removed, with a warning)."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except FileNotFoundError:
        return None
    payload = blob[_HEAD:]
    if len(blob) < _HEAD or blob[:len(MAGIC)] != MAGIC or hashlib.sha256(payload).digest() != blob[len(MAGIC):_HEAD]:
        discard(path, "its content does not match the sha256 it was written with")
        return None
    return payload


class VerifiedCacheFile:
    """Stands in for numba's ``IndexDataCacheFile`` (``load``, ``save``, ``flush`` are all a
    ``numba.core.caching.Cache`` calls): the same index of signatures to data files and the same
    payloads, in files written by ``write_verified`` and read by ``read_verified``."""

    def __init__(self, original: IndexDataCacheFile, cache_path: str) -> None:
        base = original._index_name[:-len(".nbi")]
        self._cache_path = cache_path
        self._index_path = os.path.join(cache_path, base + ".gfi")  # compile_pool.uncached looks here
        self._data_name = base + ".{}.gfc"
        self._version = original._version  # the numba release that wrote it: another's pickles may not load
        self._source_stamp = original._source_stamp
        self._dump = original._dump

    def flush(self) -> None:
        self._save_index({})

    def load(self, key: Hashable) -> Any:
        name = self._load_index().get(key)
        if name is None:
            return None
        path = os.path.join(self._cache_path, name)
        payload = read_verified(path)
        return None if payload is None else _unpickle(path, payload, pickle.loads)

    def save(self, key: Hashable, data: object) -> None:
        overloads = self._load_index()
        name = overloads.get(key)
        if name is None:
            used = set(overloads.values())
            name = next(n for n in map(self._data_name.format, itertools.count(1)) if n not in used)
            overloads[key] = name
            self._save_index(overloads)
        os.makedirs(self._cache_path, mode=0o700, exist_ok=True)
        write_verified(os.path.join(self._cache_path, name), self._dump(data))

    def _load_index(self) -> dict:
        payload = read_verified(self._index_path)
        if payload is None:
            return {}
        stream = io.BytesIO(payload)
        if _unpickle(self._index_path, stream, pickle.load) != self._version:
            return {}
        index = _unpickle(self._index_path, stream.read(), pickle.loads)
        if index is None or index[0] != self._source_stamp:
            return {}  # stale: the next save rewrites it, and its data files one by one
        return index[1]

    def _save_index(self, overloads: dict) -> None:
        os.makedirs(self._cache_path, mode=0o700, exist_ok=True)
        write_verified(self._index_path, pickle.dumps(self._version, protocol=-1)
                       + self._dump((self._source_stamp, overloads)))


def _unpickle(path: str, data: T, load: Callable[[T], Any]) -> Any:
    """A verified payload that still does not unpickle was written by other versions of the
    libraries: it is removed like a corrupt one."""
    try:
        return load(data)
    except Exception as e:
        discard(path, f"it does not unpickle here: {type(e).__name__}: {e}")
        return None


class FolderLocator:
    """numba's locator of a function with its folder replaced: numba asks it where to create the
    folder before each save (``ensure_cache_path``), which must be the verified files' folder and
    not the one numba chose (the package's ``__pycache__``, ``NUMBA_CACHE_DIR``)."""

    def __init__(self, original: _CacheLocator, cache_path: str) -> None:
        self._original = original
        self._cache_path = cache_path

    def ensure_cache_path(self) -> None:
        os.makedirs(self._cache_path, mode=0o700, exist_ok=True)

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> Any:
        return self._original.get_source_stamp()

    def get_disambiguator(self) -> str:
        return str(self._original.get_disambiguator())


def verify(namespace: Iterable[Any], cache_path: str | Callable[[str], str]) -> None:
    """Give each numba dispatcher among ``namespace`` whose ``cache=True`` keeps numba's index
    and data files (CPU and CUDA) verified files instead, in ``cache_path``: a folder, or a
    function from the name of the module that defines the dispatcher's function to its folder.
    Call it before the dispatcher first compiles: it must never read numba's own files."""
    for obj in namespace:
        cache = getattr(obj, "__dict__", {}).get("_cache") if not isinstance(obj, type) else None
        original = getattr(cache, "_cache_file", None)
        if original is None or isinstance(original, VerifiedCacheFile) or \
                not str(getattr(original, "_index_name", "")).endswith(".nbi"):
            continue
        assert cache is not None
        if callable(cache_path):
            path = cache_path(str(getattr(getattr(cache, "_py_func", None), "__module__", None) or "__main__"))
        else:
            path = cache_path
        cache._cache_file = VerifiedCacheFile(original, path)
        cache._cache_path = path
        impl: Any = getattr(cache, "_impl", None)
        locator = getattr(impl, "_locator", None)
        if locator is not None:
            impl._locator = FolderLocator(locator, path)
        marker = getattr(cache, "_launch_config_marker_path", None)  # numba-cuda's flag file
        if marker is not None:
            cache._launch_config_marker_path = os.path.join(path, os.path.basename(marker))
