"""Files replaced atomically, and the temporaries a killed writer leaves behind.

``atomic_write(path, write)`` writes ``<path>.<pid>.<8 hex digits>.tmp`` in ``path``'s folder,
flushes and fsyncs it, renames it over ``path`` and fsyncs the folder: a reader sees the old file
or the new one, never part of either. A writer killed midway leaves its temporary behind;
``temp_owner`` reads the target and the writer's pid back from the name, and ``abandoned`` says
when such a file is safe to remove. Checkpoints, their state file and ``.meta`` files are all
written this way, so one cleanup serves them all.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["atomic_write", "temp_owner", "abandoned", "ABANDONED_AFTER_S"]

# A writer streams into its temporary, so a file untouched this long is not being written by a
# live process, even one on another host of a shared file system (whose pid means nothing here).
ABANDONED_AFTER_S = 600.0

_TEMP = re.compile(r"^(?P<target>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")


def temp_owner(filename: str) -> tuple[str, int] | None:
    """``(target name, writer's pid)`` when ``filename`` is a temporary file of ``atomic_write``.

    >>> temp_owner("model-3.gfckpt.4242.0123abcd.tmp")
    ('model-3.gfckpt', 4242)
    """
    m = _TEMP.match(filename)
    return (m.group("target"), int(m.group("pid"))) if m else None


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through a temporary file in its directory: flush, fsync, rename over.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f")
    >>> atomic_write(p, lambda f: f.write(b"data")); open(p, "rb").read()
    b'data'
    """
    folder = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"  # the pattern temp_owner reads
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


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine; True where that cannot be told safely."""
    if os.name != "posix":
        return True  # Windows' os.kill terminates: no probe, keep the file
    if not 0 < pid < 1 << 31:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def abandoned(path: str, pid: int, now: float | None = None) -> bool:
    """Whether the temporary ``path``, written by process ``pid``, is a dead writer's: not this
    process's (another thread may be writing it), its pid runs no process here, and the file has
    not changed for ``ABANDONED_AFTER_S`` (a live writer on another host keeps it fresh)."""
    if pid == os.getpid() or _process_alive(pid):
        return False
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return False
    return (time.time() if now is None else now) - modified >= ABANDONED_AFTER_S
