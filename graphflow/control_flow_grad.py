"""The gradient of a WHILE: a second WHILE that runs the body's gradient backwards.

The forward loop stacks each loop value at the start of every iteration (its last outputs).
Iteration k of the gradient loop reads iteration k's values from those stacks, rebuilds the
body on them (a copy of the body's FuncGraph) and differentiates it: the incoming gradients of
the loop values become the gradients of iteration k's inputs, and the gradients of the captured
tensors accumulate. Emitted values' gradients (``scan``, ``map_fn``) join at their iteration.
"""
from __future__ import annotations

from typing import Any

from graphflow.core.ir import Operation, Tensor, get_default_graph
from graphflow.ops.func_graph import copy_graph


def _while_vjp(n: Operation, grads: Any) -> list:
    from graphflow.control_flow import make_while
    from graphflow.core.autodiff import gradients
    from graphflow.ops.array_ops import gather
    from graphflow.ops.state_ops import zeros_like
    at = n.attrs
    _no_random(at.body, n, top=False)  # the body's own draws are recorded; nested functions' are not
    gs = grads if isinstance(grads, list) else [grads]
    nv, ne = at.n_vars, at.n_emit
    first_random, randoms = at.meta.get("randoms", (ne, []))
    outs = n.outputs
    count = outs[nv + ne]
    stacks = list(outs[nv + ne + 1:])
    first_cap = nv + (1 if at.has_limit else 0)
    caps = list(n.inputs[first_cap:])
    from graphflow.core.registry import needed_inputs_hook
    need = needed_inputs_hook(n)
    fvars = [i for i in range(nv) if outs[i].dtype.is_floating]
    femits = [e for e in range(first_random) if outs[nv + e].dtype.is_floating]
    # only the captures the gradient is asked for: a loop's gradient with respect to a captured
    # sequence it reads one step at a time is a dense tensor per iteration
    fcaps = [j for j, t in enumerate(caps) if t.dtype.is_floating and need[first_cap + j]]
    body_caps = [(ph, n.inputs[i]) for (_, ph), i in zip(at.body.captures, at.body_index)]

    def gcond(k: Tensor, *rest: Tensor) -> Tensor:
        return k >= 0

    def gbody(k: Tensor, *rest: Tensor) -> list[Tensor]:
        g = get_default_graph()
        gv = rest[:len(fvars)]
        acc = rest[len(fvars):]
        vals = []
        for i in range(nv):
            v = gather(stacks[i], k)
            v.set_shape(at.shapes[i])
            vals.append(v)
        cap_in = {id(t): g.capture(t) for t in caps}
        mapping = {id(ph): v for ph, v in zip(at.body.inputs, vals)}
        mapping.update({id(ph): cap_in[id(t)] for ph, t in body_caps})
        for r, drawn in enumerate(randoms):  # iteration k's draws, as the forward loop made them
            d = gather(outs[nv + first_random + r], k)
            d.set_shape(drawn.shape)
            mapping[id(drawn)] = d
        copies = copy_graph(at.body, mapping)
        ys = [copies[i] for i in fvars] + [copies[nv + e] for e in femits]
        gys = list(gv) + [gather(gs[nv + e], k) for e in femits]
        xs = [vals[i] for i in fvars] + [cap_in[id(caps[j])] for j in fcaps]
        dx = gradients(ys, xs, grad_ys=gys) if ys else [None] * len(xs)
        new_gv = [d if d is not None else zeros_like(x) for d, x in zip(dx[:len(fvars)], xs)]
        new_acc = [a + d if d is not None else a for a, d in zip(acc, dx[len(fvars):])]
        return [k - 1] + new_gv + new_acc

    init = [count - 1] + [gs[i] for i in fvars] + [zeros_like(caps[j]) for j in fcaps]
    shapes = [count.shape] + [at.shapes[i] for i in fvars] + [caps[j].shape for j in fcaps]
    back = make_while(gcond, gbody, init, shapes, None, None, "while_grad")
    finals = back.outputs[:len(init)]
    result: list[Any] = [None] * len(n.inputs)
    for a, i in enumerate(fvars):
        result[i] = finals[1 + a]
    for b, j in enumerate(fcaps):
        result[first_cap + j] = finals[1 + len(fvars) + b]
    return result


def _no_random(g: Any, n: Operation, top: bool = True) -> None:
    """The gradient rebuilds the function: a random op there would draw new numbers, not the
    forward pass's, so such gradients are refused rather than wrong (a while body's own draws,
    ``top=False``, are recorded by the loop and read back instead)."""
    from graphflow.core.registry import Op
    from graphflow.ops.func_graph import _needed
    live = _needed(g)
    for m in g.get_operations():
        if id(m) not in live:
            continue  # e.g. the initializers of variables made inside (they run in the root graph)
        if m.op is Op.RANDOM and top:
            raise NotImplementedError(f"the gradient of {n.describe()} would rebuild the random op "
                                      f"{m.describe()} with new numbers; gradients through random ops "
                                      "inside control flow are not supported (draw the noise outside "
                                      "and pass it in)")
        for sub in _subgraphs(m):
            _no_random(sub, n, True)


def _subgraphs(m: Operation) -> list[Any]:
    at = m.attrs
    return list(getattr(at, "branches", ())) + [x for x in (getattr(at, "cond", None), getattr(at, "body", None))
                                                if x is not None and hasattr(x, "get_operations")]
