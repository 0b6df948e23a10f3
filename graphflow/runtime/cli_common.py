"""What the ``graphflow`` command's modules share: its two error kinds and one-line output.

The command runs as ``python -m graphflow.runtime.cli``, so its subcommand modules take these
from here, not from ``cli`` (which would load a second copy of it, with classes of its own).
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["CliError", "RunFailed", "describe", "one_line"]


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""

    status = 2


class RunFailed(CliError):
    """A valid command whose graph failed while running: printed as one line, exit status 1."""

    status = 1


def one_line(e: BaseException) -> str:
    return " ".join(part.strip() for part in str(e).splitlines() if part.strip())


def describe(name: str, v: npt.ArrayLike) -> str:
    """``name: dtype shape [first values ...]``.

    >>> describe("y", [[1.0, 2.0]])
    'y: float64 (1, 2) [1., 2.]'
    """
    a = np.asarray(v)
    body = np.array2string(a.reshape(-1)[:8], precision=5, separator=", ")
    return f"{name}: {a.dtype} {a.shape} {body}{' ...' if a.size > 8 else ''}"
