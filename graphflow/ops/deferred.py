"""Ops built when the program is specialised: TF1 graphs have tensors of unknown rank (a shapeless
placeholder, ``tf.zeros(tf.shape(x))``), and ops such as transpose without perm, concat, indexing,
squeeze or softmax cross-entropy need a rank to build their nodes. Their public functions are
``@rank_polymorphic``: given an input of unknown rank they add one DEFERRED node holding the call;
``compiler.program.build`` replaces it by the nodes the call builds once the fed ranks are known
(every input's rank is then known), and its gradient is another DEFERRED node differentiating
that call. The static output shape is unknown; the dtype follows a rule given per function.
The DEFERRED row (its reference traces the call, its gradient differentiates it) is in
``func_graph``, with the tracing it needs.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.registry import Op

F = TypeVar("F", bound=Callable[..., Any])  # a builder @rank_polymorphic wraps, its signature kept


@dataclass(frozen=True, eq=False)
class DeferredAttrs:
    build: Callable[[list[Tensor]], list[Tensor]]  # the inputs, with their ranks, -> the outputs
    dtypes: tuple[Any, ...]
    what: str  # the function, for messages and names


def deferred(build: Callable[[list[Tensor]], list[Tensor]], inputs: Sequence[Tensor], dtypes: Sequence[DType],
             what: str) -> list[Tensor]:
    node = get_default_graph().add_node(Op.DEFERRED, list(inputs), DeferredAttrs(build, tuple(dtypes), what),
                                        name=what)
    return list(node.outputs)


def _tensors_in(args: Sequence[Any], kwargs: dict) -> list[Tensor]:
    out = []
    for v in list(args) + list(kwargs.values()):
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out += [x for x in v if isinstance(x, Tensor)]
    return out


def _substitute(args: Sequence[Any], kwargs: dict, new: list[Tensor]) -> tuple[list[Any], dict]:
    it = iter(new)

    def sub(v: object) -> object:
        if isinstance(v, Tensor):
            return next(it)
        if isinstance(v, (list, tuple)) and any(isinstance(x, Tensor) for x in v):
            return type(v)(next(it) if isinstance(x, Tensor) else x for x in v)
        return v
    a = [sub(v) for v in args]
    k = {key: sub(v) for key, v in kwargs.items()}
    return a, k


def first_float(tensors: list[Tensor]) -> DType:
    """The dtype rule most ops follow: their first floating input's (else their first input's)."""
    return next((t.dtype for t in tensors if t.dtype.is_floating), tensors[0].dtype)


def rank_polymorphic(dtype: Callable[[list[Tensor]], DType] | None = None,
                     outputs: int = 1) -> Callable[[F], F]:
    """Defer ``fn`` to program specialisation when one of its tensor arguments has an unknown
    rank. ``dtype`` gives the output dtype from the tensor arguments (default: the first's);
    ``outputs`` > 1 for functions returning a tuple."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            tensors = _tensors_in(args, kwargs)
            if not any(t.shape.rank is None for t in tensors):
                return fn(*args, **kwargs)
            d = dtype(tensors) if dtype is not None else tensors[0].dtype

            def build(ts: list[Tensor]) -> list[Tensor]:
                a, k = _substitute(args, kwargs, ts)
                res = fn(*a, **k)
                return [convert_to_tensor(r) for r in (res if outputs > 1 else [res])]
            outs = deferred(build, tensors, [d] * outputs, fn.__name__)
            return tuple(outs) if outputs > 1 else outs[0]
        return cast(F, call)  # the same signature: ``call`` forwards every argument
    return wrap
