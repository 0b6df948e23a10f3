"""``tf.debugging``: assertions and numeric checks under their TF 1.13+ names, ``assert_shapes``,
and the process-wide switches (check numerics, device placement logging, traceback filtering)."""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from graphflow.core import debug_modes
from graphflow.core.dtypes import int32
from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops.check_ops import (  # noqa: F401
    Assert,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_integer,
    assert_less,
    assert_less_equal,
    assert_near,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
    assert_rank,
    assert_rank_at_least,
    assert_rank_in,
    assert_same_float_dtype,
    assert_scalar,
    assert_type,
    check_finite,
    check_numerics,
    is_non_decreasing,
    is_numeric_tensor,
    is_strictly_increasing,
)
from graphflow.ops.check_ops import verify_tensor_all_finite as assert_all_finite
from graphflow.ops.control_flow import cond
from graphflow.ops.math_ops import equal, greater_equal, logical_or
from graphflow.ops.shape_ops import shape as shape_of
from graphflow.ops.sparse_ops import SparseTensor, cast
from graphflow.ops.special_ops import is_finite, is_inf, is_nan  # noqa: F401
from graphflow.ops.state_ops import constant, group

__all__ = ["Assert", "assert_all_finite", "assert_equal", "assert_greater", "assert_greater_equal",
           "assert_less", "assert_less_equal", "assert_negative", "assert_non_negative",
           "assert_non_positive", "assert_none_equal", "assert_positive", "assert_rank",
           "assert_type", "check_numerics", "assert_proper_iterable", "assert_shapes",
           "enable_check_numerics", "disable_check_numerics", "get_log_device_placement",
           "set_log_device_placement", "enable_traceback_filtering", "disable_traceback_filtering",
           "is_traceback_filtering_enabled"]


def assert_proper_iterable(values: object) -> None:
    """TypeError unless ``values`` is an iterable of values: not a tensor, an array or a string.

    >>> import graphflow as gf
    >>> gf.debugging.assert_proper_iterable([1, 2])
    """
    unintentional = (Tensor, SparseTensor, np.ndarray, bytes, str)
    if isinstance(values, unintentional):
        raise TypeError(f"Expected argument 'values' to be a \"proper\" iterable.  Found: {type(values)}")
    if not hasattr(values, "__iter__"):
        raise TypeError(f"Expected argument 'values' to be iterable.  Found: {type(values)}")


# ---- assert_shapes ------------------------------------------------------------------------------

class _Spec(NamedTuple):
    source: Tensor | SparseTensor  # the value whose shape is checked
    x: Tensor  # the tensor errors name (a sparse tensor's values)
    leading_any: bool  # the spec began with "*" or ...: any number of leading dims
    sizes: list[int | Tensor] | Tensor  # static ints where known, else run-time sizes
    symbols: tuple[Any, ...]


def _sizes(x: Tensor | SparseTensor) -> list[int | Tensor] | Tensor:
    """``x``'s dim sizes (a scalar counts as rank 1 of size 1, as TF1 counts it)."""
    static = x.shape
    if static.rank == 0:
        return [1]
    dynamic = cast(x.dense_shape, int32) if isinstance(x, SparseTensor) else shape_of(x)
    if static.rank is not None:
        return [int(d) if d is not None else dynamic[i] for i, d in enumerate(static.as_list())]
    return cond(equal(shape_of(dynamic)[0], 0), lambda: constant([1]), lambda: dynamic)  # (rank 0: [1])


def _known(size: object) -> bool:
    return isinstance(size, (int, np.integer))


def assert_shapes(shapes: Mapping[Any, Any] | Iterable[tuple[Any, Any]], data: Sequence[TensorLike] | None = None,
                  summarize: int | None = None, message: str | None = None, name: str | None = None) -> Operation:
    """Check the shapes of several tensors together: each spec lists a tensor's dims as ints,
    symbols (the same symbol is the same size in every tensor), None or "." (any size), and may
    begin with "*" or ... (any number of leading dims). What is known when the graph is built is
    checked now (ValueError naming the tensor); the rest by the returned op when it runs.

    >>> import graphflow as gf
    >>> x, y = gf.zeros([2, 3]), gf.zeros([3])
    >>> op = gf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("Q",))])
    """
    items = list(shapes.items() if isinstance(shapes, Mapping) else shapes)
    prefix = f"{message}.  " if message else ""
    graph = get_default_graph()
    with graph.name_scope(name or "assert_shapes"):
        specs = [_spec(value, symbolic, prefix) for value, symbolic in items if symbolic is not None]
        rank_checks = [c for c in (_rank_check(s, message) for s in specs) if c is not None]
        size_checks: list[Operation] = []
        bound: dict[Any, tuple[int | Tensor, Tensor, int]] = {}
        for s in specs:
            for i, symbol in enumerate(s.symbols):
                if symbol is None or symbol == ".":
                    continue
                dim = i - len(s.symbols) if s.leading_any else i
                with _after(graph, rank_checks):  # a run-time size is read once the rank is checked
                    actual = s.sizes[dim]
                if not _known(symbol) and symbol not in bound:
                    bound[symbol] = (actual, s.x, dim)
                    continue
                if _known(symbol):
                    expected: int | Tensor = int(symbol)
                    how = "Specified explicitly"
                else:
                    expected, by, at = bound[symbol]
                    how = f"Specified by tensor {by.name} dimension {at}"
                if _known(actual) and _known(expected):
                    if int(actual) != int(expected):  # type: ignore[arg-type]
                        raise ValueError(f"{prefix}{how}.  Tensor {s.x.name} dimension {dim} must have size "
                                         f"{int(expected)}.  Received size {int(actual)}, "  # type: ignore[arg-type]
                                         f"shape {s.source.shape}")
                    continue
                ok = equal(convert_to_tensor(actual), convert_to_tensor(expected))
                parts = data if data is not None else [prefix, how, f"Tensor {s.x.name} dimension", dim,
                                                       "must have size", expected, "Received shape: ", _shape(s.source)]
                size_checks.append(Assert(ok, [p for p in parts if not (isinstance(p, str) and p == "")],
                                          summarize=summarize))
        with _after(graph, rank_checks):
            return group(*size_checks, *rank_checks)


def _spec(value: Any, symbolic: Any, prefix: str) -> _Spec:
    """One tensor's spec, its form checked: an iterable with "*" or ... first if anywhere."""
    x = value.values if isinstance(value, SparseTensor) else convert_to_tensor(value)  # (how errors name it)
    if not (hasattr(symbolic, "__iter__") or hasattr(symbolic, "__getitem__")):
        raise ValueError(f"{prefix}Tensor {x.name}.  Specified shape must be an iterable.  An iterable has the "
                         f"attribute `__iter__` or `__getitem__`.  Received specified shape: {symbolic}")
    spec = tuple(symbolic)
    for i, s in enumerate(spec):
        if (s is Ellipsis or s == "*") and i != 0:
            raise ValueError(f"{prefix}Tensor {x.name} specified shape index {i}.  Symbol `...` or `*` for a "
                             "variable number of unspecified dimensions is only allowed as the first entry")
    leading = bool(spec) and (spec[0] is Ellipsis or spec[0] == "*")
    symbols = spec[1:] if leading else spec
    source = value if isinstance(value, SparseTensor) else x
    return _Spec(source, x, leading, _sizes(source),
                 symbols or (1,))  # (an empty spec is a scalar's: rank 1 of size 1, as in TF1)


def _shape(source: Tensor | SparseTensor) -> Tensor:
    return source.dense_shape if isinstance(source, SparseTensor) else shape_of(source)


def _rank_check(s: _Spec, message: str | None) -> Operation | None:
    """The rank part of a spec: checked now where the rank is known (a ValueError), else an op."""
    want = len(s.symbols)
    if s.leading_any and want <= 1:
        return None
    if s.leading_any:
        text, fits = f"must have rank at least {want}", (lambda r: r >= want)
    elif want <= 1:  # a scalar counts as rank 1 of size 1
        text, fits = "must have rank in [0, 1]", (lambda r: r in (0, 1))
    else:
        text, fits = f"must have rank {want}", (lambda r: r == want)
    prefix = f"{message}.  " if message else ""
    static = s.source.shape.rank
    if static is not None:
        if not fits(static):
            raise ValueError(f"{prefix}Tensor {s.x.name} {text}.  Received rank {static}, shape {s.source.shape}")
        return None
    dynamic = _shape(s.source)
    rank = shape_of(dynamic)[0]
    ok = (greater_equal(rank, want) if s.leading_any else logical_or(equal(rank, 0), equal(rank, 1)) if want <= 1
          else equal(rank, want))
    return Assert(ok, [p for p in (prefix, f"Tensor {s.x.name} {text}.  Received shape: ", dynamic) if p != ""])


def _after(graph: Graph | None, ops: list[Operation]) -> Any:
    return graph.control_dependencies(ops) if graph is not None and ops else contextlib.nullcontext()


# ---- check numerics everywhere ---------------------------------------------------------------------

# consumers whose float input is a variable's reference or a value read only when the graph is built
_UNCHECKED_PRODUCERS = (Op.CHECK, Op.CONST, Op.VARIABLE)
_checked: weakref.WeakKeyDictionary[Graph, dict[int, tuple[Tensor, Tensor]]] = weakref.WeakKeyDictionary()


def _check_inputs(graph: Graph, op: Op, inputs: list[Tensor]) -> list[Tensor]:
    """Each float input of a node being built that a checked node produced (one built while
    check numerics was on), read through one ``check_numerics`` of it."""
    checked = debug_modes.checked_nodes.get(graph)
    if op is Op.CHECK or not checked:
        return inputs
    cache = _checked.setdefault(graph, {})
    out = []
    for t in inputs:
        n = t.node
        if not t.dtype.is_floating or t.graph is not graph or n.uid not in checked or n.op in _UNCHECKED_PRODUCERS:
            out.append(t)
            continue
        hit = cache.get(id(t))
        if hit is None:
            with graph.control_dependencies(None):
                check = check_finite(t, f"!!! Detected Infinity or NaN in output {t.index} of graph op "
                                        f"\"{n.op.value}\" (# of outputs: {len(n.outputs)}) !!! op name: "
                                        f"{n.name}, created at {n.site}", name=n.name + "/CheckNumerics")
            hit = cache[id(t)] = (t, check)
        out.append(hit[1])
    return out


def enable_check_numerics(stack_height_limit: int = 30, path_length_limit: int = 50) -> None:
    """The float outputs of every node built from now on are checked (a run in which one holds a
    NaN or an Inf fails, naming the node that produced it and its line): every node reads them
    through a ``check_numerics`` of them, and the session checks them where they are fetched.
    Nodes built before the call are not checked.

    >>> import graphflow as gf
    >>> gf.debugging.enable_check_numerics(); gf.debugging.disable_check_numerics()
    """
    debug_modes.check_numerics[0] = True
    if _check_inputs not in debug_modes.input_rewriters:
        debug_modes.input_rewriters.append(_check_inputs)


def disable_check_numerics() -> None:
    """Nodes built from now on are not checked (those built while it was on stay checked)."""
    debug_modes.check_numerics[0] = False


def set_log_device_placement(enabled: bool) -> None:
    """Log (on stderr) each node of every newly compiled run and the device it runs on, as
    ``ConfigProto(log_device_placement=True)`` does for one session."""
    debug_modes.log_device_placement[0] = bool(enabled)


def get_log_device_placement() -> bool:
    return debug_modes.log_device_placement[0]


def enable_traceback_filtering() -> None:
    """Errors raised by ``Session.run`` show the user's frames, not graphflow's (the default)."""
    debug_modes.traceback_filtering[0] = True


def disable_traceback_filtering() -> None:
    """Errors keep graphflow's own frames in their tracebacks."""
    debug_modes.traceback_filtering[0] = False


def is_traceback_filtering_enabled() -> bool:
    return debug_modes.traceback_filtering[0]
