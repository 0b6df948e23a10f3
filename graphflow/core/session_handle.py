"""``TensorHandle``: a value a session keeps (``tf.get_session_handle``), as ``Session.run``
returns it. The runtime keeps the values (``runtime/state.py``) and answers the session-tensor ops
(``runtime/session_tensors.py``); the class is here, below both the op layer that documents it
(``ops/session_ops.py``) and the runtime that makes it, and reaches its session only through
``TensorStore``.

As in TF1, a handle's value lives as long as the ``TensorHandle`` object (or until ``delete()``):
a collected handle registers its string as dead, and the session frees the values of dead handles
at the start of its next run. (TF1 waits for ten dead handles and deletes them in a run of its
own; graphflow's store is a dict, so it frees them on every next run.) Keep the object alive while
feeding its string; ``get_raw_handle()`` hands the value's lifetime to the caller, who frees it
with ``tf.delete_session_tensor``. The values of a closed session are gone."""
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

    def register_dead_handle(self, handle: str) -> None:
        """``handle``'s object was collected: free its value at the next run (it may be gone already)."""


class KeepsTensors(Protocol):
    """A session, as its handles see it."""

    @property
    def state(self) -> TensorStore: ...


class TensorHandle:
    """A value kept in a session, as ``Session.run`` returns a fetched ``get_session_handle``:
    ``handle`` is the string to feed, ``eval()`` reads the value, ``delete()`` frees it, and so
    does collecting the object (at the session's next run).

    >>> import gc, graphflow as gf
    >>> with gf.Graph().as_default(), gf.Session() as sess:
    ...     kept = sess.run(gf.get_session_handle(gf.constant([1.0, 2.0])))
    ...     before = len(sess.state.session_tensors)
    ...     del kept; _ = gc.collect(); _ = sess.run(gf.constant(0))
    ...     before, len(sess.state.session_tensors)
    (1, 0)
    """

    _auto_gc_enabled = False  # (True once constructed: a failed __init__ frees nothing)

    def __init__(self, handle: object, dtype: DTypeLike, session: KeepsTensors) -> None:
        raw = handle.item() if isinstance(handle, np.ndarray) else handle
        self._handle = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._dtype = _dt.as_dtype(dtype)
        self._session = session
        self._deleted = False
        self._auto_gc_enabled = True  # the value goes with this object

    def __del__(self) -> None:
        if self._auto_gc_enabled:
            self._session.state.register_dead_handle(self._handle)

    @property
    def handle(self) -> str:
        """The handle string (what a ``get_session_tensor`` placeholder is fed)."""
        return self._handle

    def get_raw_handle(self) -> str:
        """The handle string, whose value no longer goes with this object (TF1's): the caller
        frees it (``tf.delete_session_tensor``)."""
        self._auto_gc_enabled = False
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
        self._check_not_deleted()
        return self._session.state.session_tensor(self._handle, self._dtype)

    def delete(self) -> None:
        """Free the kept value in its session now; a second ``delete()`` raises ``TypeError``
        (TF1's)."""
        self._check_not_deleted()
        self._deleted = True
        self._auto_gc_enabled = False
        self._session.state.delete_session_tensor(self._handle)

    def _check_not_deleted(self) -> None:
        if self._deleted:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted: "
                            "this TensorHandle's delete() freed it")
