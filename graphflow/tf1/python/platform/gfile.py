"""``tf.gfile`` (TF1's CamelCase names) and ``tf.io.gfile`` (lowercase): files on the local file
system, raising TF1's errors (``NotFoundError``, ``AlreadyExistsError``...)."""
from __future__ import annotations

import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import Any, Union

from graphflow.core import errors

# a file system path: a string or an os.PathLike (pathlib.Path)
StrPath = Union[str, "os.PathLike[str]"]


def _missing(path: str, what: str = "file or directory") -> errors.NotFoundError:
    return errors.NotFoundError(None, None, f"{path}: no such {what}")


class GFile:
    """TF1's file object: ``GFile(name, mode='r')`` with read, readline, readlines, write, seek,
    tell, flush, close, iteration and ``with``; text modes give str, binary modes bytes."""

    def __init__(self, name: StrPath, mode: str = "r") -> None:
        self.name, self.mode = os.fspath(name), mode
        if "r" in mode and not os.path.exists(self.name):
            raise _missing(self.name, "file")
        self._f = open(self.name, mode if "b" in mode else mode, **({} if "b" in mode else {"encoding": "utf-8"}))

    def read(self, n: int = -1) -> Any:
        return self._f.read(n)

    def readline(self) -> Any:
        return self._f.readline()

    def readlines(self) -> list[Any]:
        return self._f.readlines()

    def write(self, data: str | bytes) -> None:
        if "b" not in self.mode and isinstance(data, bytes):
            data = data.decode("utf-8")
        self._f.write(data)

    def seek(self, offset: int, whence: int = 0) -> None:
        self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def size(self) -> int:
        return os.path.getsize(self.name)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._f)

    def __next__(self) -> Any:
        return next(self._f)

    def __enter__(self) -> GFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Open = FastGFile = GFile


def Exists(filename: StrPath) -> bool:  # noqa: N802
    return os.path.exists(os.fspath(filename))


def IsDirectory(dirname: StrPath) -> bool:  # noqa: N802
    return os.path.isdir(os.fspath(dirname))


def MakeDirs(dirname: StrPath) -> None:  # noqa: N802
    os.makedirs(os.fspath(dirname), exist_ok=True)


def MkDir(dirname: StrPath) -> None:  # noqa: N802
    d = os.fspath(dirname)
    if os.path.exists(d):
        raise errors.AlreadyExistsError(None, None, f"{d}: already exists")
    os.mkdir(d)


def Remove(filename: StrPath) -> None:  # noqa: N802
    f = os.fspath(filename)
    if not os.path.isfile(f):
        raise _missing(f, "file")
    os.remove(f)


def DeleteRecursively(dirname: StrPath) -> None:  # noqa: N802
    d = os.fspath(dirname)
    if os.path.isdir(d):
        shutil.rmtree(d)
    elif os.path.exists(d):
        os.remove(d)
    else:
        raise _missing(d)


def Glob(filename: StrPath) -> list[str]:  # noqa: N802
    return sorted(_glob.glob(os.fspath(filename)))


def ListDirectory(dirname: StrPath) -> list[str]:  # noqa: N802
    d = os.fspath(dirname)
    if not os.path.isdir(d):
        raise _missing(d, "directory")
    return sorted(os.listdir(d))


def Copy(oldpath: StrPath, newpath: StrPath, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = os.fspath(oldpath), os.fspath(newpath)
    if not os.path.isfile(src):
        raise _missing(src, "file")
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"{dst}: already exists (overwrite=False)")
    shutil.copyfile(src, dst)


def Rename(oldname: StrPath, newname: StrPath, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = os.fspath(oldname), os.fspath(newname)
    if not os.path.exists(src):
        raise _missing(src)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"{dst}: already exists (overwrite=False)")
    os.replace(src, dst)


def Walk(top: StrPath, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:  # noqa: N802
    for root, dirs, files in os.walk(os.fspath(top), topdown=in_order):
        yield root, sorted(dirs), sorted(files)


class _Stat:
    def __init__(self, path: str) -> None:
        st = os.stat(path)
        self.length, self.mtime_nsec, self.is_directory = st.st_size, st.st_mtime_ns, os.path.isdir(path)


def Stat(filename: StrPath) -> _Stat:  # noqa: N802
    f = os.fspath(filename)
    if not os.path.exists(f):
        raise _missing(f)
    return _Stat(f)


# tf.io.gfile's lowercase names
exists, isdir, makedirs, mkdir, remove, rmtree, glob = Exists, IsDirectory, MakeDirs, MkDir, Remove, \
    DeleteRecursively, Glob
listdir, copy, rename, walk, stat = ListDirectory, Copy, Rename, Walk, Stat
