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

    @property
    def error_code(self) -> int:
        """TF1's status code of this error (``gf.errors.INVALID_ARGUMENT``...)."""
        return _CODES.get(type(self), next((c for k, c in _CODES.items() if isinstance(self, k)), UNKNOWN))


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


class AbortedError(OpError):
    """An operation was aborted (TF1: concurrent access; ``basic_train_loop`` retries after it)."""


class CancelledError(OpError):
    """An operation or step was cancelled."""


class UnknownError(OpError):
    """An error of no other kind (an exception raised inside a ``py_func``...)."""


class UnauthenticatedError(OpError):
    """The request lacks valid credentials."""


# TF1's status codes (error_codes.proto)
OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS = 0, 1, 2, 3, 4, 5, 6
PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE = 7, 8, 9, 10, 11
UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED = 12, 13, 14, 15, 16

_CODES: dict[type, int] = {
    CancelledError: CANCELLED, UnknownError: UNKNOWN, InvalidArgumentError: INVALID_ARGUMENT,
    DeadlineExceededError: DEADLINE_EXCEEDED, NotFoundError: NOT_FOUND, AlreadyExistsError: ALREADY_EXISTS,
    PermissionDeniedError: PERMISSION_DENIED, ResourceExhaustedError: RESOURCE_EXHAUSTED,
    FailedPreconditionError: FAILED_PRECONDITION, AbortedError: ABORTED, OutOfRangeError: OUT_OF_RANGE,
    UnimplementedError: UNIMPLEMENTED, InternalError: INTERNAL, UnavailableError: UNAVAILABLE,
    DataLossError: DATA_LOSS, UnauthenticatedError: UNAUTHENTICATED,
}


def error_code_from_exception_type(cls: type) -> int:
    """The status code of an error class (``UNKNOWN`` for classes that are not TF1's)."""
    return _CODES.get(cls, UNKNOWN)


def exception_type_from_error_code(error_code: int) -> type:
    """The error class of a status code (``KeyError`` for a code that names none)."""
    for cls, code in _CODES.items():
        if code == error_code:
            return cls
    raise KeyError(f"no error class has status code {error_code!r}")


def error_class_of(node: Operation | None) -> type:
    """The error a failing node raises at run time: the class of the status code its attributes
    name (``error_code``, as a check that ends an input raises ``OutOfRangeError``), else
    ``InvalidArgumentError``."""
    return exception_type_from_error_code(getattr(getattr(node, "attrs", None), "error_code", INVALID_ARGUMENT))
