"""``tensorflow.python.lib.io.file_io``: the file functions TF's ``gfile`` wraps, under the names
scripts of TF 1.x import them by (``file_io.write_string_to_file``, ``file_io.FileIO``...).

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
>>> write_string_to_file(path, "hello")
>>> read_file_to_string(path), file_exists(path)
('hello', True)
"""
from __future__ import annotations

import os

from graphflow.tf1.python.platform import gfile

__all__ = ["FileIO", "copy", "create_dir", "delete_file", "delete_recursively", "file_exists",
           "get_matching_files", "is_directory", "list_directory", "read_file_to_string", "recursive_create_dir",
           "rename", "stat", "walk", "write_string_to_file"]

FileIO = gfile.GFile
file_exists = gfile.Exists
is_directory = gfile.IsDirectory
recursive_create_dir = gfile.MakeDirs
create_dir = gfile.MkDir
delete_file = gfile.Remove
delete_recursively = gfile.DeleteRecursively
get_matching_files = gfile.Glob
list_directory = gfile.ListDirectory
copy = gfile.Copy
rename = gfile.Rename
walk = gfile.Walk
stat = gfile.Stat


def read_file_to_string(filename: str | os.PathLike[str], binary_mode: bool = False) -> str | bytes:
    """The whole file ``filename``, as text (or bytes with ``binary_mode``)."""
    with gfile.GFile(filename, "rb" if binary_mode else "r") as f:
        return f.read()


def write_string_to_file(filename: str | os.PathLike[str], file_content: str | bytes) -> None:
    """Replace ``filename``'s contents with ``file_content``."""
    with gfile.GFile(filename, "wb" if isinstance(file_content, bytes) else "w") as f:
        f.write(file_content)
