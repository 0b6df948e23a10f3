"""Reverse-mode differentiation over the graph. Gradients are ordinary graph nodes, so they
can be differentiated again. The driver alone sums contributions and undoes broadcasting;
gradient rules (``vjp`` in each registry row) never do. The few nodes the driver adds (the
seed ones, sums of contributions, SumTo) it builds from their registry rows through
``core.nodes``, loading no op module; ``hessians`` is composed in ``graphflow.ops.gradient_ops``."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from graphflow.core import dtypes as _dt
from graphflow.core.attrs import FillAttrs, ShapeAttrs
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.nodes import make
from graphflow.core.registry import Kind, Op, get
from graphflow.core.types import TensorLike


def _tensors(x: TensorLike | Sequence[TensorLike]) -> list[Tensor]:
    """``x``, one value or a list or tuple of them, as a list of tensors."""
    return [convert_to_tensor(v) for v in (x if isinstance(x, (list, tuple)) else [x])]


def _differentiable(t: Tensor) -> bool:
    return t.dtype.is_floating


_NEEDED: list[list[bool]] = []  # per gradient rule being called: which of its inputs need a gradient


def needed_inputs(n: Operation) -> list[bool]:
    """For a gradient rule: which inputs of ``n`` the current ``gradients`` call needs (all of
    them outside one)."""
    return list(_NEEDED[-1]) if _NEEDED else [True] * len(n.inputs)


# gradient functions registered by name (``gf.RegisterGradient``; None: ``gf.NotDifferentiable``),
# used for the nodes a ``Graph.gradient_override_map`` scope mapped to that name
registered_gradients: dict[str, Callable[..., object] | None] = {}
_BUILTIN = {op.value: op for op in Op}  # graphflow's op types by TF1's names, for an override naming one


def _registered_vjp(n: Operation, name: str, out_grads: list[Tensor]) -> list[TensorLike | None] | None:
    """The input gradients of ``n`` from the function registered as ``name`` (TF1's signature:
    ``fn(op, *output_grads)`` returning one gradient per input); None for a non-differentiable name."""
    if name not in registered_gradients:
        builtin = _BUILTIN.get(name)
        if builtin is None or get(builtin).vjp is None:
            raise LookupError(f"No gradient registered under {name!r}, which gradient_override_map names for "
                              f"{n.describe()}; register it with @gf.RegisterGradient({name!r})")
        # TF1 calls the named op type's own gradient function on the overridden op ({"Sign": "Identity"})
        rule = get(builtin).vjp
        assert rule is not None
        return list(rule(n, out_grads[0] if len(out_grads) == 1 else out_grads))
    fn = registered_gradients[name]
    if fn is None:
        return None
    found = fn(n, *out_grads)
    grads = cast("list[TensorLike | None]", list(found) if isinstance(found, (list, tuple)) else [found])
    if len(grads) != len(n.inputs):
        raise ValueError(f"the gradient registered as {name!r} returned {len(grads)} gradients for the "
                         f"{len(n.inputs)} inputs of {n.describe()}")
    return grads


_RECEIVED: list[list[bool]] = []  # per gradient rule being called: which outputs received a gradient


def received_outputs(n: Operation) -> list[bool]:
    """For a gradient rule: which outputs of ``n`` received a gradient in the current
    ``gradients`` call (the others were given zeros); all of them outside one."""
    return list(_RECEIVED[-1]) if _RECEIVED else [True] * len(n.outputs)


def gradients(ys: TensorLike | Sequence[TensorLike], xs: Tensor | Sequence[Tensor],
              grad_ys: TensorLike | Sequence[TensorLike | None] | None = None, name: str = "gradients",
              stop_gradients: Tensor | Sequence[Tensor] | None = None, unconnected_gradients: object = "none",
              **_: object) -> list[Tensor | None]:
    """Symbolic d(sum of ys)/d(xs): a list aligned with ``xs``; None where ``ys`` do not depend
    on an ``x`` (zeros shaped as it with ``unconnected_gradients="zero"``,
    ``gf.UnconnectedGradients.ZERO``). Non-scalar ys are weighted by ``grad_ys`` (ones by default).

    >>> import graphflow as gf
    >>> x = gf.constant(3.0)
    >>> (g,) = gf.gradients(x * x, [x])
    """
    how = str(getattr(unconnected_gradients, "value", unconnected_gradients))  # a string or the enum
    if how not in ("none", "zero"):
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
    y_ts = _tensors(ys)
    x_ts = _tensors(xs)
    graph = y_ts[0].graph
    stops = ({id(t) for t in (stop_gradients if isinstance(stop_gradients, (list, tuple)) else [stop_gradients])}
             if stop_gradients is not None else set())
    gys: list[TensorLike | None]
    if grad_ys is None:
        gys = [None] * len(y_ts)
    else:
        gys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [cast(TensorLike, grad_ys)]
    if len(gys) != len(y_ts):
        raise ValueError(f"grad_ys has {len(gys)} entries, ys has {len(y_ts)}")

    # Nodes between xs and ys: reachable backward from ys and forward from xs.
    x_ids = {id(x) for x in x_ts}
    backward: set[int] = set()
    stack = [y.node for y in y_ts]
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
        for y, gy in zip(y_ts, gys):
            seed = _ones_like(y) if gy is None else convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(id(y), []).append(seed)

        def total(t: Tensor) -> Tensor | None:
            parts = grads.get(id(t))
            if not parts:
                return None
            if len(parts) > 1:
                s = _add_n(parts)
                grads[id(t)] = [s]
                return s
            return parts[0]

        for n in reversed(on_path):
            out_grads = [total(o) for o in n.outputs]
            if all(g is None for g in out_grads):
                continue
            overrides = n.graph.gradient_overrides if n.graph is not None else None
            override = overrides.get(n.uid) if overrides else None
            row = get(n.op)
            if override is None and row.no_gradient:
                continue
            # (a @gf.custom_gradient node's row has a vjp: it calls the node's grad_fn)
            if override is None and row.vjp is None:
                raise LookupError(f"No gradient defined for operation {n.describe()}; "
                                  f"wrap it in gf.stop_gradient or give it a @gf.custom_gradient")
            filled = [g if g is not None else _zeros_like(o) for g, o in zip(out_grads, n.outputs)]
            # which inputs lead back to xs: a rule whose gradients are costly (a loop's) builds only these
            _NEEDED.append([id(t) in forward_tensors and id(t) not in stops and _differentiable(t)
                            for t in n.inputs])
            _RECEIVED.append([g is not None for g in out_grads])
            try:
                if override is not None:
                    found_grads = _registered_vjp(n, override, filled)
                    if found_grads is None:
                        continue
                    in_grads = found_grads
                else:
                    assert row.vjp is not None  # (refused above)
                    in_grads = row.vjp(n, filled[0] if len(filled) == 1 else filled)
            finally:
                _NEEDED.pop()
                _RECEIVED.pop()
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
                grads.setdefault(id(t), []).append(g if override is None and _shaped_like(n, t, g) else _sum_to(g, t))

        found = [total(x) for x in x_ts]
        if how == "zero":
            found = [g if g is not None else _zeros_like(x) for g, x in zip(found, x_ts)]
        return found


# gradients built on a template: the op's output has the shape of this input (the "like")
_SHAPE_OF = {Op.SLICE_GRAD: 1, Op.SUM_TO: 1}


def _shaped_like(n: Operation, t: Tensor, g: Tensor) -> bool:
    """True when ``g``, the gradient through elementwise ``n`` of its input ``t``, certainly has
    ``t``'s shape at run time, so no SumTo is needed: ``n``'s output has ``t``'s rank and static
    dims, and no other input can broadcast ``t`` along a dim ``t`` leaves unknown (each lacks
    that dim or has it as a static 1). A bias add's or an activation's input gradient then stays
    one fusable loop when the batch dim is only known at run time. A reduction's gradient rules
    all broadcast to (or compute elementwise with) its input, so theirs has its shape too. So
    does a gradient built on ``t`` as its template (a slice's: ``_SHAPE_OF``), which keeps the slice
    gradients of ``split`` one concat where the batch dim is only known at run time."""
    like = _SHAPE_OF.get(g.node.op)
    if like is not None and len(g.node.inputs) > like and g.node.inputs[like] is t:
        return True
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


# ---- the nodes the driver adds, built from their registry rows (as graphflow.ops builds them)


def _ones_like(t: Tensor, value: object = 1) -> Tensor:
    """A tensor of ones (or ``value``) shaped as ``t`` (``gf.ones_like``): a static fill when
    ``t``'s shape is known, else one sized by its run-time shape."""
    one = convert_to_tensor(value, dtype=t.dtype)
    if t.shape.is_fully_defined():
        dims = tuple(int(d) for d in t.shape.as_list())
        return make(Op.FILL, [one], FillAttrs(dims, one.dtype), name="ones_like")
    shape = make(Op.SHAPE, [t], ShapeAttrs(_dt.int32), name="Shape")
    return make(Op.FILL, [one, shape], FillAttrs(None, one.dtype), name="ones_like")


def _zeros_like(t: Tensor) -> Tensor:
    """The gradient of an output nothing reads: ones times zero (``gf.ones_like(t) * 0``; False
    for a bool output, such as a loop's saved predicate, whose gradient no rule reads)."""
    if t.dtype.is_bool:
        return _ones_like(t, False)
    ones = _ones_like(t)
    return make(Op.MUL, [ones, convert_to_tensor(0, dtype=ones.dtype)])


def _add_n(parts: Sequence[Tensor]) -> Tensor:
    """The sum of the contributions to one tensor's gradient (``gf.add_n``: a chain of adds)."""
    total = parts[0]
    for t in parts[1:]:
        total = make(Op.ADD, [total, t])
    return total


def _sum_to(g: Tensor, like: Tensor) -> Tensor:
    """``g`` summed over the axes along which ``like`` was broadcast to reach ``g``'s shape."""
    if g.shape.is_fully_defined() and g.shape == like.shape:
        return g
    return make(Op.SUM_TO, [g, like], name="SumTo")
