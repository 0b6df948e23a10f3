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


def load_npy(option: str, spec: str, path: str) -> np.ndarray:
    """The array in the .npy file ``path`` that ``option spec`` names, loaded without unpickling;
    anything else (a broken file, a .npz archive) is a one-line CliError."""
    try:
        value = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - whatever np.load makes of the file, it is not an array
        raise CliError(f"{option} {spec!r}: not a .npy array ({type(e).__name__}: {one_line(e)})") from None
    if not isinstance(value, np.ndarray):
        value.close()
        raise CliError(f"{option} {spec!r}: {path} is a .npz archive; expected one array in a .npy file")
    return value
