"""Run-time errors, named as in TF1 (``gf.errors.InvalidArgumentError``...)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphflow.core.ir import Operation


class OpError(Exception):
    """Base of run-time errors; ``node_def``/``op`` name the node, ``message`` says what went wrong."""

    def __init__(self, node_def: Operation | None = None, op: Operation | None = None,
                 message: str = "") -> None:
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message


class InvalidArgumentError(OpError, ValueError):
    """A fed value or a run-time shape does not fit what the graph expects."""


class ResourceExhaustedError(OpError, MemoryError):
    """A run needed more memory than there is (TF1's "OOM when allocating tensor with shape[...]")."""


class FailedPreconditionError(OpError):
    """The graph read state that is not ready (an uninitialized variable)."""


class PermissionDeniedError(OpError, PermissionError):
    """The process may not use something (a compile cache folder other users can write)."""


class OutOfRangeError(OpError, IndexError):
    """An index fell outside the valid range."""


class UnimplementedError(OpError, NotImplementedError):
    """The operation is not available on this target."""


class InternalError(OpError):
    """A failure inside graphflow itself; please report it."""


class NotFoundError(OpError):
    """Something requested (a file, a checkpoint entry) does not exist."""


class DataLossError(OpError):
    """Stored data is unreadable or corrupted."""


class AlreadyExistsError(OpError, FileExistsError):
    """A file or directory that should not exist does (``gfile.Copy(overwrite=False)``...)."""


class DeadlineExceededError(OpError, TimeoutError):
    """An operation did not complete in time (a collective whose other ranks never joined)."""


class UnavailableError(OpError):
    """A service the operation needs is not available (an MPI job that was aborted)."""
