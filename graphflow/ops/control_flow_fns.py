"""``map_fn``, ``scan``, ``foldl`` and ``foldr``: WHILE loops over the first dim of ``elems``.

Each iteration reads element i of every tensor in ``elems`` (gather); ``map_fn`` and ``scan``
emit their per-element results, which the WHILE stacks into its outputs.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.ops.array_ops import concat, gather, stack
from graphflow.ops.control_flow_while import make_while
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.index_ops import reverse as _reverse
from graphflow.ops.shape_ops import shape
from graphflow.ops.state_ops import constant


def _elems(elems: object, what: str) -> tuple[list[Tensor], Any]:
    flat = [convert_to_tensor(e) for e in flatten(elems)]
    if not flat:
        raise ValueError(f"{what} needs at least one tensor in elems")
    for e in flat:
        if e.shape.rank == 0:
            raise ValueError(f"{what}: elems must have a first dim to iterate over, got scalar {e.name}")
    return flat, elems


def _length(flat: list[Tensor]) -> Any:
    d = flat[0].shape.as_list()[0] if flat[0].shape.rank is not None else None
    return (d, d) if d is not None else (None, shape(flat[0])[0])


def _loop(fn_step: Callable[..., Any], carry: list[Tensor], n: int | Tensor, name: str) -> Any:
    init = [constant(0)] + carry
    shapes = [TensorShape([])] + [c.shape for c in carry]
    return make_while(lambda i, *rest: i < n, lambda i, *rest: [i + 1] + fn_step(i, list(rest)),
                      init, shapes, None, None, name)


def _item(flat: list[Tensor], index: Tensor) -> list[Tensor]:
    out = []
    for e in flat:
        v = gather(e, index)
        if e.shape.rank is not None:
            v.set_shape(e.shape.as_list()[1:])
        out.append(v)
    return out


def map_fn(fn: Callable[[Any], Any], elems: object, dtype: object = None, parallel_iterations: int | None = None,
           back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True,
           name: str | None = None) -> Any:
    """``fn`` applied to each element of ``elems`` along dim 0, results stacked (any nesting).

    >>> import graphflow as gf
    >>> gf.map_fn(lambda x: x * 2.0, gf.constant([1.0, 2.0])).shape.as_list()
    [2]
    """
    flat, structure = _elems(elems, "map_fn")
    static_n, n = _length(flat)
    shape_of: list[Any] = []

    def step(i: Tensor, carry: list[Tensor]) -> list[Tensor]:
        y = fn(pack_as(structure, _item(flat, i)))
        shape_of.append(y)
        return [convert_to_tensor(v) for v in flatten(y)]
    node = _loop(step, [], n, name or "map")
    ys = flatten(shape_of[0])
    outs = list(node.outputs[1:1 + len(ys)])
    for o, y in zip(outs, ys):
        yt = convert_to_tensor(y) if not isinstance(y, Tensor) else y
        if yt.shape.rank is not None:
            o.set_shape([static_n] + yt.shape.as_list())
    return pack_as(shape_of[0], outs)


def scan(fn: Callable[[Any, Any], Any], elems: object, initializer: object = None,
         parallel_iterations: int | None = None,
         back_prop: bool = True, swap_memory: bool = False, infer_shape: bool = True, reverse: bool = False,
         name: str | None = None) -> Any:
    """``acc = fn(acc, x)`` for each element x of ``elems``; every acc is stacked. Without an
    ``initializer`` the first element starts the accumulation (and is the first result)."""
    flat, structure = _elems(elems, "scan")
    static_n, n = _length(flat)
    first = None
    if initializer is None:
        first = _item(flat, convert_to_tensor(static_n - 1 if reverse and static_n else 0) if static_n or not reverse
                      else n - 1)
        acc0 = first
        acc_structure = structure
        start = 1
    else:
        acc0 = [convert_to_tensor(a) for a in flatten(initializer)]
        acc_structure = initializer
        start = 0

    def index(i: Tensor) -> Tensor:
        return (n - 1 - i) if reverse else i

    def step(i: Tensor, carry: list[Tensor]) -> list[Tensor]:
        x = pack_as(structure, _item(flat, index(i)))
        new = [convert_to_tensor(v) for v in flatten(fn(pack_as(acc_structure, carry), x))]
        if len(new) != len(carry):
            raise ValueError(f"scan's fn must return the structure of the accumulator ({len(carry)} "
                             f"tensors), got {len(new)}")
        return new + new

    if start:
        init = [convert_to_tensor(1)] + acc0
        shapes = [TensorShape([])] + [a.shape for a in acc0]
        node = make_while(lambda i, *r: i < n, lambda i, *r: [i + 1] + step(i, list(r)), init, shapes,
                          None, None, name or "scan")
    else:
        node = _loop(step, acc0, n, name or "scan")
    k = len(acc0)
    outs = list(node.outputs[1 + k:1 + 2 * k])
    if start:
        outs = [concat([stack([f]), o], 0) for f, o in zip(first, outs)]
    if reverse:
        outs = [_reverse(o, [0]) for o in outs]
    for o, a in zip(outs, acc0):
        if a.shape.rank is not None:
            o.set_shape([static_n] + a.shape.as_list())
    return pack_as(acc_structure, outs)


def _fold(fn: Callable[[Any, Any], Any], elems: object, initializer: object, reverse: bool, name: str) -> Any:
    flat, structure = _elems(elems, name)
    static_n, n = _length(flat)
    if initializer is None:
        acc0 = _item(flat, (n - 1) if reverse else convert_to_tensor(0))
        acc_structure, start = structure, 1
    else:
        acc0 = [convert_to_tensor(a) for a in flatten(initializer)]
        acc_structure, start = initializer, 0

    def body(i: Tensor, *carry: Tensor) -> list[Tensor]:
        x = pack_as(structure, _item(flat, (n - 1 - i) if reverse else i))
        new = [convert_to_tensor(v) for v in flatten(fn(pack_as(acc_structure, list(carry)), x))]
        return [i + 1] + new
    init = [convert_to_tensor(start)] + acc0
    node = make_while(lambda i, *r: i < n, body, init, [TensorShape([])] + [a.shape for a in acc0],
                      None, None, name)
    return pack_as(acc_structure, list(node.outputs[1:1 + len(acc0)]))


def foldl(fn: Callable[[Any, Any], Any], elems: object, initializer: object = None,
          parallel_iterations: int | None = None,
          back_prop: bool = True, swap_memory: bool = False, name: str | None = None) -> Any:
    """``acc = fn(acc, x)`` over elements first to last; returns the final acc."""
    return _fold(fn, elems, initializer, False, name or "foldl")


def foldr(fn: Callable[[Any, Any], Any], elems: object, initializer: object = None,
          parallel_iterations: int | None = None,
          back_prop: bool = True, swap_memory: bool = False, name: str | None = None) -> Any:
    """``acc = fn(acc, x)`` over elements last to first."""
    return _fold(fn, elems, initializer, True, name or "foldr")


def vectorized_map(fn: Callable[[Any], Any], elems: object, fallback_to_while_loop: bool = True) -> Any:
    """``fn`` over dim 0 of ``elems``, results stacked: ``map_fn``'s results (graphflow runs it as
    map_fn's loop, not as one vectorized op; docs/differences.md).

    >>> import graphflow as gf
    >>> gf.vectorized_map(lambda x: x * 2.0, gf.constant([[1.0], [2.0]])).shape.as_list()
    [2, 1]
    """
    return map_fn(fn, elems, name="vectorized_map")
