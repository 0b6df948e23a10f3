"""Reverse-mode differentiation over the graph. Gradients are ordinary graph nodes, so they
can be differentiated again. The driver alone sums contributions and undoes broadcasting;
gradient rules (``vjp`` in each registry row) never do."""
from __future__ import annotations

from typing import Any

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, get, register_needed_inputs


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _differentiable(t: Tensor) -> bool:
    return t.dtype.is_floating


_NEEDED: list[list[bool]] = []  # per gradient rule being called: which of its inputs need a gradient


def needed_inputs(n: Operation) -> list[bool]:
    """For a gradient rule: which inputs of ``n`` the current ``gradients`` call needs (all of
    them outside one)."""
    return list(_NEEDED[-1]) if _NEEDED else [True] * len(n.inputs)


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: str = "gradients",
              stop_gradients: Any = None, **_: Any) -> list[Tensor | None]:
    """Symbolic d(sum of ys)/d(xs): a list aligned with ``xs``; None where ``ys`` do not depend
    on an ``x``. Non-scalar ys are weighted by ``grad_ys`` (ones by default).

    >>> import graphflow as gf
    >>> x = gf.constant(3.0)
    >>> (g,) = gf.gradients(x * x, [x])
    """
    # the op builders of graphflow.ops, which builds on this module (ops.func_graph differentiates
    # deferred calls with it): imported here, not at the top, so that the core loads no op module
    from graphflow.ops.math_ops import add_n
    from graphflow.ops.reduce_ops import sum_to
    from graphflow.ops.state_ops import ones_like

    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [convert_to_tensor(x) for x in _as_list(xs)]
    graph = ys[0].graph
    stops = {id(t) for t in _as_list(stop_gradients)} if stop_gradients is not None else set()
    gys = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(gys) != len(ys):
        raise ValueError(f"grad_ys has {len(gys)} entries, ys has {len(ys)}")

    # Nodes between xs and ys: reachable backward from ys and forward from xs.
    x_ids = {id(x) for x in xs}
    backward: set[int] = set()
    stack = [y.node for y in ys]
    order: dict[int, Operation] = {}
    while stack:
        n = stack.pop()
        if id(n) in backward:
            continue
        backward.add(id(n))
        order[id(n)] = n
        for t in n.inputs:
            if id(t) not in stops and id(t) not in x_ids:
                stack.append(t.node)
    forward_tensors = set(x_ids)
    on_path: list[Operation] = []
    for n in sorted(order.values(), key=lambda n: n.uid):
        if any(id(t) in forward_tensors and id(t) not in stops for t in n.inputs):
            on_path.append(n)
            forward_tensors.update(id(o) for o in n.outputs)

    grads: dict[int, list[Tensor]] = {}
    with graph.name_scope(name):
        for y, gy in zip(ys, gys):
            if gy is None:
                gy = ones_like(y)
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(id(y), []).append(gy)

        def total(t: Tensor) -> Tensor | None:
            parts = grads.get(id(t))
            if not parts:
                return None
            if len(parts) > 1:
                s = add_n(parts)
                grads[id(t)] = [s]
                return s
            return parts[0]

        for n in reversed(on_path):
            out_grads = [total(o) for o in n.outputs]
            if all(g is None for g in out_grads):
                continue
            row = get(n.op)
            if row.no_gradient:
                continue
            custom = getattr(n.attrs, "grad_fn", None)
            if row.vjp is None and custom is None:
                raise LookupError(f"No gradient defined for operation {n.describe()}; "
                                  f"wrap it in gf.stop_gradient or give it a @gf.custom_gradient")
            filled = [g if g is not None else ones_like(o) * 0 for g, o in zip(out_grads, n.outputs)]
            # which inputs lead back to xs: a rule whose gradients are costly (a loop's) builds only these
            _NEEDED.append([id(t) in forward_tensors and id(t) not in stops and _differentiable(t)
                            for t in n.inputs])
            try:
                in_grads = row.vjp(n, filled[0] if len(filled) == 1 else filled)
            finally:
                _NEEDED.pop()
            if len(in_grads) != len(n.inputs):
                raise AssertionError(f"gradient rule of {n.op.name} returned {len(in_grads)} "
                                     f"gradients for {len(n.inputs)} inputs")
            for t, g in zip(n.inputs, in_grads):
                if g is None or id(t) in stops or not _differentiable(t):
                    continue
                if id(t) not in forward_tensors:
                    continue
                g = convert_to_tensor(g)
                if g.dtype != t.dtype:
                    raise AssertionError(f"gradient rule of {n.op.name} gave {g.dtype.name} for a "
                                         f"{t.dtype.name} input")
                grads.setdefault(id(t), []).append(g if _shaped_like(n, t, g) else sum_to(g, t))

        return [total(x) for x in xs]


def _shaped_like(n: Operation, t: Tensor, g: Tensor) -> bool:
    """True when ``g``, the gradient through elementwise ``n`` of its input ``t``, certainly has
    ``t``'s shape at run time, so no SumTo is needed: ``n``'s output has ``t``'s rank and static
    dims, and no other input can broadcast ``t`` along a dim ``t`` leaves unknown (each lacks
    that dim or has it as a static 1). A bias add's or an activation's input gradient then stays
    one fusable loop when the batch dim is only known at run time. A reduction's gradient rules
    all broadcast to (or compute elementwise with) its input, so theirs has its shape too."""
    out = n.outputs[0].shape
    r = t.shape.rank
    kind = get(n.op).kind
    if kind is Kind.REDUCE:
        return r is not None and g.shape.rank == r
    if kind is not Kind.ELEMENTWISE or r is None or out.rank != r or g.shape.rank != r:
        return False
    for j in range(r):
        d = t.shape.dims[j]
        if d is not None:
            if d != out.dims[j]:
                return False
            continue
        for u in n.inputs:
            if u is t:
                continue
            ru = u.shape.rank
            k = j - (r - ru) if ru is not None else 0
            if ru is None or (k >= 0 and u.shape.dims[k] != 1):
                return False
    return True


def hessians(ys: Any, xs: Any, name: str = "hessians") -> list[Tensor | None]:
    """Second derivatives of scalar ``ys`` for each (scalar or vector) x, by differentiating twice."""
    from graphflow.ops.array_ops import stack, unstack  # (graphflow.ops builds on this module)
    from graphflow.ops.shape_ops import reshape
    out: list[Tensor | None] = []
    for x in _as_list(xs):
        (g,) = gradients(ys, [x], name=name)
        if g is None:
            out.append(None)
            continue
        flat = reshape(g, [-1])
        rows = [gradients(gi, [x], name=name)[0] for gi in unstack(flat)]
        out.append(stack(rows))
    return out


register_needed_inputs(needed_inputs)  # (for registry.needed_inputs_hook, deprecated: goes with it)
