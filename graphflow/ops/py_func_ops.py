"""``tf.py_func`` / ``tf.numpy_function``: a Python function of numpy arrays as a graph op.

PY_FUNC is a host op (runtime/host.py): it runs between the compiled program's inputs and
outputs, before the compiled call when its inputs are feeds or constants, after it otherwise.
It has no gradient, as in TF1.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make_node


@dataclass(frozen=True, eq=False)
class PyFuncAttrs:
    fn: Callable[..., Any]
    tout: tuple[Any, ...]
    single: bool  # Tout was one dtype: fn returns one array


def _py_func_ref(at: PyFuncAttrs, *args: np.ndarray) -> list[np.ndarray]:
    res = at.fn(*[np.asarray(a) for a in args])
    outs = [res] if at.single else list(res) if isinstance(res, (list, tuple)) else [res]
    if len(outs) != len(at.tout):
        raise ValueError(f"py_func {getattr(at.fn, '__name__', at.fn)!r} returned {len(outs)} values, "
                         f"expected {len(at.tout)} (one per Tout)")
    return [_dt.to_strings(o) if d.is_string else np.asarray(o).astype(d.np) for o, d in zip(outs, at.tout)]


register(OpDef(Op.PY_FUNC, Kind.HOST, lambda s, at: [TensorShape(None)] * len(at.tout),
               lambda d, at: list(at.tout), _py_func_ref, stateful=True))


def py_func(func: Callable[..., Any], inp: Sequence[TensorLike],
            Tout: DTypeLike | list[DTypeLike] | tuple[DTypeLike, ...],  # noqa: N803
            stateful: bool = True, name: str | None = None) -> Any:
    """Run ``func`` on the values of ``inp`` (numpy arrays) whenever the op runs; ``Tout`` is one
    dtype (a tensor is returned) or a list of them (a list is returned). Shapes are unknown; use
    ``set_shape``.

    >>> import graphflow as gf
    >>> gf.py_func(lambda a: a * 2, [gf.constant([1.0])], gf.float32).dtype
    gf.float32
    """
    single = not isinstance(Tout, (list, tuple))
    touts = (_dt.as_dtype(Tout),) if not isinstance(Tout, (list, tuple)) else tuple(_dt.as_dtype(t) for t in Tout)
    xs = [convert_to_tensor(x) for x in inp]
    node = make_node(Op.PY_FUNC, xs, PyFuncAttrs(func, touts, single), name=name or "PyFunc")
    return node.outputs[0] if single else list(node.outputs)


def numpy_function(func: Callable[..., Any], inp: Sequence[TensorLike],
                   Tout: DTypeLike | list[DTypeLike] | tuple[DTypeLike, ...],  # noqa: N803
                   stateful: bool = True, name: str | None = None) -> Any:
    return py_func(func, inp, Tout, stateful, name or "NumpyFunction")
