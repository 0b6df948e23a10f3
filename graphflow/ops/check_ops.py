"""CHECK: a run-time assertion on a tensor's values that passes the tensor through unchanged.

The attrs say what to check: integer values within ``[lo, hi)`` (labels of sparse cross-entropy)
or "all finite" (``check_numerics``). A failed check raises ``InvalidArgumentError`` naming the
node and the user line that built it, on every target.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.dtypes import DType
from graphflow.ir import Tensor, convert_to_tensor
from graphflow.ops._build import make
from graphflow.registry import Kind, Op, OpDef, register
from graphflow.shapes import TensorShape


@dataclass(frozen=True)
class CheckAttrs:
    kind: str  # "range": lo <= x < hi (integers); "finite": no NaN or Inf (floats)
    message: str  # what the value is, for the error: "label", "check_numerics message"...
    lo: int = 0
    hi: int = 0  # unused when the bound is a run-time value (the node's second input)


def _check_dtype(dtypes: Sequence[DType], at: CheckAttrs) -> list[DType]:
    d = dtypes[0]
    if at.kind == "range" and (d.is_floating or d.is_bool):
        raise TypeError(f"a range check needs an integer tensor, got {d.name}")
    if at.kind == "finite" and not d.is_floating:
        raise TypeError(f"a finiteness check needs a floating tensor, got {d.name}")
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
    else:
        raise ValueError(f"unknown check kind {at.kind!r}")
    return x.copy()


# the value passes through unchanged, so its gradient does too (int tensors carry none anyway)
register(OpDef(Op.CHECK, Kind.OTHER, _check_shape, _check_dtype, _check_ref,
               vjp=lambda n, g: [g] + [None] * (len(n.inputs) - 1)))


# ---- public functions ------------------------------------------------------------------------

def check_in_range(x: Any, lo: int, hi: int | Tensor, message: str, name: str | None = None) -> Tensor:
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


def check_finite(x: Any, message: str, name: str | None = None) -> Tensor:
    """``x`` unchanged; running it raises InvalidArgumentError if it holds a NaN or an Inf.

    >>> import graphflow as gf
    >>> from graphflow.ops.check_ops import check_finite
    >>> check_finite(gf.constant([1.0]), "weights").shape.as_list()
    [1]
    """
    return make(Op.CHECK, [convert_to_tensor(x)], CheckAttrs("finite", message), name=name or "CheckNumerics")


# ---- CPU kernels ---------------------------------------------------------------------------------
from graphflow.registry import kernel as _kernel  # noqa: E402


@_kernel(Op.CHECK, "cpu")
def _check_cpu(em: Any, n: Any, ins: list[str]) -> None:
    at: CheckAttrs = n.attrs
    x_t = n.inputs[0]
    hi = ins[1] if len(ins) > 1 else str(at.hi)
    shown = "the upper bound" if len(ins) > 1 else str(at.hi)
    with em.loops(em.dims(x_t, ins[0])) as idx:
        v = em.fresh("v")
        em.line(f"{v} = {em.index(ins[0], idx)}")
        if at.kind == "range":
            em.check(f"{at.lo} <= {v} < {hi}", n,
                     f"{at.message}: a value is outside the valid range [{at.lo}, {shown})")
        else:
            em.check(f"{v} - {v} == 0", n, f"{at.message}: Tensor had NaN or Inf values")
    em.define(n.outputs[0], ins[0], fresh=id(x_t) in em.fresh_values)
