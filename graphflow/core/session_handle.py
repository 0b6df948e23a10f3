"""``TensorHandle``: a value a session keeps (``tf.get_session_handle``), as ``Session.run``
returns it. The runtime keeps the values (``runtime/state.py``) and answers the session-tensor ops
(``runtime/session_tensors.py``); the class is here, below both the op layer that documents it
(``ops/session_ops.py``) and the runtime that makes it, and reaches its session only through
``TensorStore``."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.types import DTypeLike


class TensorStore(Protocol):
    """Where a session keeps its session tensors, by handle (the runtime's ``State``)."""

    def session_tensor(self, handle: str, dtype: DType) -> np.ndarray: ...

    def delete_session_tensor(self, handle: str) -> None: ...


class KeepsTensors(Protocol):
    """A session, as its handles see it."""

    @property
    def state(self) -> TensorStore: ...


class TensorHandle:
    """A value kept in a session, as ``Session.run`` returns a fetched ``get_session_handle``:
    ``handle`` is the string to feed, ``eval()`` reads the value, ``delete()`` frees it."""

    def __init__(self, handle: object, dtype: DTypeLike, session: KeepsTensors) -> None:
        raw = handle.item() if isinstance(handle, np.ndarray) else handle
        self._handle = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._dtype = _dt.as_dtype(dtype)
        self._session = session

    @property
    def handle(self) -> str:
        """The handle string (what a ``get_session_tensor`` placeholder is fed)."""
        return self._handle

    def get_raw_handle(self) -> str:
        return self._handle

    def to_numpy_array(self) -> np.ndarray:
        """The handle as a numpy string scalar (a feed value)."""
        return np.asarray(self._handle.encode(), dtype=object)

    def __str__(self) -> str:
        return self._handle

    def __repr__(self) -> str:
        return f"TensorHandle({self._handle!r}, {self._dtype.name})"

    def eval(self) -> np.ndarray:
        """The kept value (read from the session's store: no graph nodes, no run)."""
        return self._session.state.session_tensor(self._handle, self._dtype)

    def delete(self) -> None:
        """Free the kept value in its session."""
        self._session.state.delete_session_tensor(self._handle)
