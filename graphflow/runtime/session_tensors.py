"""The session's answers to the session-tensor ops (ops/session_ops.py): values kept in the
session's state under a handle between runs, read back and freed by later runs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core.dtypes import to_strings
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.runtime import session_ops
from graphflow.runtime.state import State

SESSION_TENSOR_OPS = frozenset({Op.GET_SESSION_HANDLE, Op.GET_SESSION_TENSOR, Op.DELETE_SESSION_TENSOR})
_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"  # the host keeps the values


def _handle_of(n: Operation, value: Any) -> str:
    arr = to_strings(value)
    if arr.ndim != 0:
        raise InvalidArgumentError(n, n, f"a session tensor handle must be a string scalar, given shape "
                                   f"{list(arr.shape)}\n  in {n.describe()}")
    raw = arr.item()
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def run_session_op(n: Operation, args: Sequence[Any], state: State | None) -> list[Any]:
    """The outputs of session-tensor node ``n`` given its input values, kept in ``state``."""
    if state is None:
        raise InvalidArgumentError(n, n, f"{n.op.value} needs a session to keep its values\n  in {n.describe()}")
    store = state.session_tensors
    if n.op is Op.GET_SESSION_HANDLE:
        handle = f"{n.name};{state.session_handle_count};{_DEVICE}"  # TF1's form: name;id;device
        state.session_handle_count += 1
        store[handle] = np.array(args[0], copy=True)
        return [np.asarray(handle.encode(), dtype=object)]
    handle = _handle_of(n, args[0])
    if handle not in store:
        raise InvalidArgumentError(n, n, f"The tensor with handle '{handle}' is not in the session store."
                                   f"\n  in {n.describe()}")
    if n.op is Op.DELETE_SESSION_TENSOR:
        del store[handle]
        return []
    value = store[handle]
    want = n.dtypes[0]
    if value.dtype != want.np:
        raise InvalidArgumentError(n, n, f"The tensor with handle '{handle}' has dtype {value.dtype}, "
                                   f"expected {want.name}\n  in {n.describe()}")
    return [value]


session_ops.register(sorted(SESSION_TENSOR_OPS, key=lambda op: op.value), run_session_op)
