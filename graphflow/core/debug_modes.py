"""Process-wide debugging switches of ``tf.debugging`` that the core and the runtime consult:
checking every float value (``enable_check_numerics``), logging where nodes run
(``set_log_device_placement``) and hiding graphflow's own frames from the tracebacks of the
users' errors (``enable_traceback_filtering``: OpErrors from ``Session.run``; graphflow's own
failures keep every frame). The switches live here, below both, so neither imports the
front end; ``graphflow.tf1.debugging`` turns them."""
from __future__ import annotations

import os
import types
import weakref
from collections.abc import Callable
from typing import Any

# (graph, op, inputs) -> the inputs the node reads instead: installed once check numerics is
# first enabled (typed loosely: naming graphflow.core.ir's classes here would make an import circle)
InputRewriter = Callable[[Any, Any, list[Any]], list[Any]]
input_rewriters: list[InputRewriter] = []
check_numerics = [False]
# per graph, the uids of the nodes built while check numerics was on: every node reads their
# float outputs through checks (the rewriter's), and the session checks them where fetched
checked_nodes: weakref.WeakKeyDictionary[Any, set[int]] = weakref.WeakKeyDictionary()
log_device_placement = [False]
traceback_filtering = [True]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../graphflow


def filter_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without graphflow's own frames (unchanged when filtering is off)."""
    if not traceback_filtering[0]:
        return tb
    kept: list[types.TracebackType] = []
    t = tb
    while t is not None:
        if not os.path.abspath(t.tb_frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
            kept.append(t)
        t = t.tb_next
    out: types.TracebackType | None = None
    for frame in reversed(kept):
        out = types.TracebackType(out, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return out
