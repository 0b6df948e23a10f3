"""CHECK: a run-time assertion on a tensor's values that passes the tensor through unchanged.

The attrs say what to check: integer values within ``[lo, hi)`` (labels of sparse cross-entropy)
or "all finite" (``check_numerics``). A failed check raises ``InvalidArgumentError`` naming the
node and the user line that built it, on every target.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.errors import INVALID_ARGUMENT, InvalidArgumentError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops._build import as_tensors, make
from graphflow.ops.constant_ops import group, no_op
from graphflow.ops.reductions import reduce_all
from graphflow.ops.shape_ops import rank as rank_of
from graphflow.ops.shape_ops import reshape


@dataclass(frozen=True)
class CheckAttrs:
    kind: str  # "range": lo <= x < hi (integers); "finite": no NaN or Inf (floats); "true": all true
    message: str  # what the value is, for the error: "label", "check_numerics message"...
    lo: int = 0
    hi: int = 0  # unused when the bound is a run-time value (the node's second input)
    error_code: int = INVALID_ARGUMENT  # TF1's status code of the error a failure raises


def _check_dtype(dtypes: Sequence[DType], at: CheckAttrs) -> list[DType]:
    d = dtypes[0]
    if at.kind == "range" and (d.is_floating or d.is_bool):
        raise TypeError(f"a range check needs an integer tensor, got {d.name}")
    if at.kind == "finite" and not d.is_floating:
        raise TypeError(f"a finiteness check needs a floating tensor, got {d.name}")
    if at.kind == "true" and not d.is_bool:
        raise TypeError(f"an assertion needs a bool condition, got {d.name}")
    return [d]


def _check_shape(shapes: Sequence[TensorShape], at: CheckAttrs) -> list[TensorShape]:
    if len(shapes) > 1 and shapes[1].rank not in (0, None):
        raise ValueError(f"the upper bound of a range check must be a scalar, got shape {shapes[1]}")
    return [shapes[0]]


def _check_ref(at: CheckAttrs, x: np.ndarray, hi: np.ndarray | None = None) -> np.ndarray:
    x = np.asarray(x)
    if at.kind == "range":
        top = at.hi if hi is None else int(hi)
        bad = (x < at.lo) | (x >= top)
        if np.any(bad):
            raise ValueError(f"{at.message}: received the value {x[bad].reshape(-1)[0]}, which is "
                             f"outside the valid range [{at.lo}, {top})")
    elif at.kind == "finite":
        if np.any(np.isnan(x)):
            raise ValueError(f"{at.message}: Tensor had NaN values")
        if np.any(np.isinf(x)):
            raise ValueError(f"{at.message}: Tensor had Inf values")
    elif at.kind == "true":
        if not np.all(x):
            raise ValueError(at.message)
    else:
        raise ValueError(f"unknown check kind {at.kind!r}")
    return x.copy()


# the value passes through unchanged, so its gradient does too (int tensors carry none anyway)
register(OpDef(Op.CHECK, Kind.OTHER, _check_shape, _check_dtype, _check_ref,
               vjp=lambda n, g: [g] + [None] * (len(n.inputs) - 1)))


# ---- public functions ------------------------------------------------------------------------

def check_in_range(x: TensorLike, lo: int, hi: int | Tensor, message: str, name: str | None = None) -> Tensor:
    """``x`` unchanged; running it raises InvalidArgumentError if a value is outside ``[lo, hi)``
    (``hi`` an int, or a scalar integer tensor known only at run time).

    >>> import graphflow as gf
    >>> from graphflow.ops.check_ops import check_in_range
    >>> check_in_range(gf.constant([0, 2]), 0, 3, "label").shape.as_list()
    [2]
    """
    t = convert_to_tensor(x)
    if isinstance(hi, Tensor):
        return make(Op.CHECK, [t, hi], CheckAttrs("range", message, int(lo)), name=name or "CheckRange")
    return make(Op.CHECK, [t], CheckAttrs("range", message, int(lo), int(hi)), name=name or "CheckRange")


def check_finite(x: TensorLike, message: str, name: str | None = None) -> Tensor:
    """``x`` unchanged; running it raises InvalidArgumentError if it holds a NaN or an Inf.

    >>> import graphflow as gf
    >>> from graphflow.ops.check_ops import check_finite
    >>> check_finite(gf.constant([1.0]), "weights").shape.as_list()
    [1]
    """
    return make(Op.CHECK, [convert_to_tensor(x)], CheckAttrs("finite", message), name=name or "CheckNumerics")


# ---- assertions (tf.Assert, tf.assert_*, tf.debugging) --------------------------------------------

def _data_text(data: Sequence[TensorLike] | None) -> str:
    """TF1's assertion message parts: Python values as text, constants by value, tensors by name."""
    parts = []
    for d in data or []:
        if isinstance(d, (str, bytes)):
            parts.append(d.decode() if isinstance(d, bytes) else d)
            continue
        t = convert_to_tensor(d)
        v = static_value(t)
        if v is not None:
            parts.append(str(v.tolist() if v.dtype != object else
                             [b.decode() for b in np.atleast_1d(v).reshape(-1)]))
        else:
            parts.append(f"{t.name} (shape {t.shape}, {t.dtype.name})")
    return " ".join(f"[{p}]" for p in parts)


def Assert(condition: TensorLike, data: Sequence[TensorLike], summarize: int | None = None,  # noqa: N802
           name: str | None = None) -> Operation:
    """An op that fails the run (InvalidArgumentError naming it and its line) when ``condition``
    holds a False; ops that must wait for it go under ``control_dependencies([assert_op])``.

    >>> import graphflow as gf
    >>> Assert(gf.constant(True), ["ok"]).type
    'Check'
    """
    c = convert_to_tensor(condition)
    if not c.dtype.is_bool:
        raise TypeError(f"Assert needs a bool condition, got {c.name} of dtype {c.dtype.name}")
    return make(Op.CHECK, [c], CheckAttrs("true", ("assertion failed: " + _data_text(data)).strip()),
                name=name or "Assert").node


def _static_check(cond: Tensor, message: str) -> None:
    v = static_value(cond)
    if v is not None and not np.all(v):  # TF1 fails at graph building when it can tell
        raise InvalidArgumentError(cond.node, cond.node, f"{message}\n  in {cond.node.describe()}")


def _binary_assert(symbol: str, fn: Callable[[Tensor, Tensor], Tensor], x: TensorLike, y: TensorLike,
                   data: Sequence[TensorLike] | None, message: str | None, name: str | None, default: str) -> Operation:
    a, b = as_tensors(x, y)
    cond = reduce_all(fn(a, b))
    text = f"{message + ' ' if message else ''}Condition x {symbol} y did not hold element-wise: " \
           f"x = {a.name}, y = {b.name}"
    if data:
        text += " " + _data_text(data)
    _static_check(cond, text)
    return make(Op.CHECK, [cond], CheckAttrs("true", text), name=name or default).node


def _comparisons() -> dict[str, Callable[[Tensor, Tensor], Tensor]]:
    return {"==": M.equal, "!=": M.not_equal, "<": M.less, "<=": M.less_equal, ">": M.greater,
            ">=": M.greater_equal}


def assert_equal(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                 message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert("==", _comparisons()["=="], x, y, data, message, name, "assert_equal")


def assert_none_equal(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None,
                      summarize: int | None = None, message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert("!=", _comparisons()["!="], x, y, data, message, name, "assert_none_equal")


def assert_less(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert("<", _comparisons()["<"], x, y, data, message, name, "assert_less")


def assert_less_equal(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None,
                      summarize: int | None = None, message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert("<=", _comparisons()["<="], x, y, data, message, name, "assert_less_equal")


def assert_greater(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                   message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert(">", _comparisons()[">"], x, y, data, message, name, "assert_greater")


def assert_greater_equal(x: TensorLike, y: TensorLike, data: Sequence[TensorLike] | None = None,
                         summarize: int | None = None,
                         message: str | None = None, name: str | None = None) -> Operation:
    return _binary_assert(">=", _comparisons()[">="], x, y, data, message, name, "assert_greater_equal")


def _sign_assert(symbol: str, x: TensorLike, data: Sequence[TensorLike] | None, message: str | None, name: str | None,
                 default: str) -> Operation:
    t = convert_to_tensor(x)
    return _binary_assert(symbol, _comparisons()[symbol], t, np.zeros((), t.dtype.np), data, message,
                          name, default)


def assert_positive(x: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                    message: str | None = None, name: str | None = None) -> Operation:
    return _sign_assert(">", x, data, message, name, "assert_positive")


def assert_negative(x: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                    message: str | None = None, name: str | None = None) -> Operation:
    return _sign_assert("<", x, data, message, name, "assert_negative")


def assert_non_negative(x: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                        message: str | None = None, name: str | None = None) -> Operation:
    return _sign_assert(">=", x, data, message, name, "assert_non_negative")


def assert_non_positive(x: TensorLike, data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                        message: str | None = None, name: str | None = None) -> Operation:
    return _sign_assert("<=", x, data, message, name, "assert_non_positive")


def assert_rank(x: TensorLike, rank: int, message: str | None = None, name: str | None = None) -> Operation:
    """Static when ``x``'s rank is known (a ValueError now, as TF1), else checked at run time."""
    t = convert_to_tensor(x)
    if t.shape.rank is not None:
        if t.shape.rank != int(rank):
            raise ValueError(f"{message + ' ' if message else ''}Tensor {t.name} must have rank "
                             f"{int(rank)}, got rank {t.shape.rank} (shape {t.shape})")
        return no_op(name=name or "assert_rank")
    return assert_equal(rank_of(t), int(rank), message=message or f"{t.name} must have rank {int(rank)}",
                        name=name or "assert_rank")


def assert_type(tensor: TensorLike, tf_type: DTypeLike, message: str | None = None,
                name: str | None = None) -> Operation:
    t = convert_to_tensor(tensor)
    if t.dtype != _dt.as_dtype(tf_type):
        raise TypeError(f"{message + ' ' if message else ''}{t.name} must be of type "
                        f"{_dt.as_dtype(tf_type).name}, got {t.dtype.name}")
    return no_op(name=name or "assert_type")


def assert_rank_at_least(x: TensorLike, rank: int, message: str | None = None, name: str | None = None) -> Operation:
    t = convert_to_tensor(x)
    if t.shape.rank is not None:
        if t.shape.rank < int(rank):
            raise ValueError(f"{message + ' ' if message else ''}Tensor {t.name} must have rank at least "
                             f"{int(rank)}, got rank {t.shape.rank}")
        return no_op(name=name or "assert_rank_at_least")
    return assert_greater_equal(rank_of(t), int(rank), message=message, name=name or "assert_rank_at_least")


def assert_rank_in(x: TensorLike, ranks: Sequence[int], message: str | None = None,
                   name: str | None = None) -> Operation:
    t = convert_to_tensor(x)
    allowed = [int(r) for r in ranks]
    if t.shape.rank is None:
        raise ValueError(f"assert_rank_in needs the rank of {t.name} known when the graph is built")
    if t.shape.rank not in allowed:
        raise ValueError(f"{message + ' ' if message else ''}Tensor {t.name} must have rank in {allowed}, "
                         f"got rank {t.shape.rank}")
    return no_op(name=name or "assert_rank_in")


def assert_scalar(tensor: TensorLike, name: str | None = None, message: str | None = None) -> Tensor:
    t = convert_to_tensor(tensor)
    if t.shape.rank != 0:
        raise ValueError(f"{message + ' ' if message else ''}Expected scalar shape for {t.name}, saw shape: {t.shape}")
    return t


def assert_integer(x: TensorLike, message: str | None = None, name: str | None = None) -> Operation:
    t = convert_to_tensor(x)
    if not t.dtype.is_integer:
        raise TypeError(f"{message + ' ' if message else ''}Expected integer type for {t.name}, got {t.dtype.name}")
    return no_op(name=name or "assert_integer")


def assert_same_float_dtype(tensors: Sequence[TensorLike] | None = None, dtype: DTypeLike | None = None) -> DType:
    """The common floating dtype of ``tensors`` (and ``dtype``); TypeError when they differ."""
    ds = {convert_to_tensor(t).dtype for t in (tensors or [])}
    if dtype is not None:
        ds.add(_dt.as_dtype(dtype))
    if len(ds) > 1 or any(not d.is_floating for d in ds):
        raise TypeError(f"expected one floating dtype, got {sorted(d.name for d in ds)}")
    return next(iter(ds)) if ds else _dt.float32


def assert_near(x: TensorLike, y: TensorLike, rtol: float | Tensor | None = None, atol: float | Tensor | None = None,
                data: Sequence[TensorLike] | None = None, summarize: int | None = None,
                message: str | None = None, name: str | None = None) -> Operation:
    """Fails the run unless ``|x - y| <= atol + rtol * |y|`` everywhere (defaults: 10 eps of the dtype)."""
    a, b = as_tensors(x, y)
    eps = float(np.finfo(a.dtype.np).eps) if a.dtype.is_floating else 0.0
    rt = 10 * eps if rtol is None else rtol
    at = 10 * eps if atol is None else atol
    cond = reduce_all(M.less_equal(M.abs(a - b), at + rt * M.abs(b)))
    text = f"{message + ' ' if message else ''}x and y not equal to tolerance rtol = {rt}, atol = {at}: " \
           f"x = {a.name}, y = {b.name}"
    _static_check(cond, text)
    return make(Op.CHECK, [cond], CheckAttrs("true", text), name=name or "assert_near").node


def is_numeric_tensor(tensor: TensorLike) -> bool:
    return isinstance(tensor, Tensor) and (tensor.dtype.is_floating or tensor.dtype.is_integer)


def is_non_decreasing(x: TensorLike, name: str | None = None) -> Tensor:
    f = reshape(convert_to_tensor(x), [-1])
    return reduce_all(M.less_equal(f[:-1], f[1:]), name=name or "is_non_decreasing")


def is_strictly_increasing(x: TensorLike, name: str | None = None) -> Tensor:
    f = reshape(convert_to_tensor(x), [-1])
    return reduce_all(M.less(f[:-1], f[1:]), name=name or "is_strictly_increasing")


def check_numerics(tensor: TensorLike, message: str, name: str | None = None) -> Tensor:
    """``tensor`` unchanged; running it fails (naming the tensor, the message and the user's line)
    if it holds a NaN or an Inf."""
    t = convert_to_tensor(tensor)
    return check_finite(t, f"{message} (tensor {t.name})", name=name or "CheckNumerics")


def verify_tensor_all_finite(t: TensorLike, msg: str, name: str | None = None) -> Tensor:
    return check_numerics(t, msg, name=name)


def add_check_numerics_ops() -> Operation:
    """A group of check_numerics over every floating tensor of the default graph (TF1)."""
    checks = [check_numerics(t, f"{n.name}:{t.index}").node for n in get_default_graph().get_operations()
              for t in n.outputs if t.dtype.is_floating and n.op is not Op.CHECK]
    return group(*checks, name="CheckNumerics")


# ---- variable initialisation queries (host ops reading the session's state) ----------------------

@dataclass(frozen=True)
class InitializedAttrs:
    uid: int  # the variable's
    name: str


def _needs_session(at: InitializedAttrs) -> np.ndarray:
    raise ValueError(f"whether {at.name} is initialized is known only to a session (the runtime "
                     "evaluates this op)")


register(OpDef(Op.IS_INITIALIZED, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_bool()],
               _needs_session, no_gradient=True, stateful=True))


def _bool() -> DType:
    return _dt.bool_


def is_variable_initialized(variable: Tensor, name: str | None = None) -> Tensor:
    """A bool scalar: has ``variable`` been initialized in the session running it?"""
    if not (isinstance(variable, Tensor) and variable.node.op is Op.VARIABLE):
        raise TypeError(f"is_variable_initialized needs a gf.Variable, got {variable!r}")
    return make(Op.IS_INITIALIZED, [], InitializedAttrs(variable.node.attrs.uid, variable.node.name),
                name=name or "IsVariableInitialized")
