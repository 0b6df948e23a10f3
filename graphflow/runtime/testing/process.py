"""The test process, as TF1's ``tf.test`` serves it: ``main`` runs a file's ``TestCase`` classes,
``get_temp_dir`` is the process's temporary directory, ``test_src_dir_path`` finds graphflow's
sources."""
from __future__ import annotations

import os
import tempfile
import unittest
from collections.abc import Sequence

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # .../graphflow
_temp_dir: list[str] = []


def get_temp_dir() -> str:
    """A temporary directory for this process's tests (``$TEST_TMPDIR`` when set); not deleted."""
    if not _temp_dir:
        base = os.environ.get("TEST_TMPDIR")
        if base:
            os.makedirs(base, exist_ok=True)
        _temp_dir.append(tempfile.mkdtemp(prefix="graphflow_test_", dir=base))
    return _temp_dir[0]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``TestCase`` classes of ``__main__`` (``unittest.main``), exiting with its status."""
    unittest.main(module="__main__", argv=list(argv) if argv is not None else None)


def test_src_dir_path(relative_path: str) -> str:
    """The absolute path of ``relative_path`` inside graphflow's source tree."""
    return os.path.join(_PACKAGE_ROOT, relative_path)
