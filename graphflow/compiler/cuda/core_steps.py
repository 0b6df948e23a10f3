"""The CUDA target's core steps, which the generated drivers call: fused loops and reductions,
SumTo, reshapes as views, assignments, fills, shapes, ranges and random numbers made on the host,
checks, cross-entropy, one-hot, and cond and while_loop on the host around their sub-programs'
executables. Each takes the run (``device.Device``), the node, its input values and what the
build prepared for it, and returns its outputs (the other primitives' steps: ``steps.py``)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphflow.compiler import fused_loops as FL
from graphflow.compiler.cuda import loops as C
from graphflow.compiler.cuda import steps as S
from graphflow.compiler.cuda import templates as T
from graphflow.compiler.cuda.device import Device, Value, check_slot, empty, launch, numba_cuda, upload, zeros
from graphflow.compiler.cuda.rule import Prepared
from graphflow.core.errors import InvalidArgumentError
from graphflow.core.evaluate import evaluate
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op
from graphflow.ops.bitcast_ops import last_dim_message
from graphflow.ops.control_flow_while import padded
from graphflow.ops.reduce_ops import norm_axes
from graphflow.ops.shape_ops import resolve_spec

# a reduction with fewer outputs than this, each of at least _TREE_ELEMENTS elements, runs a
# block of threads per output (a shared-memory tree) rather than a thread per output
_TREE_OUTPUTS, _TREE_ELEMENTS = 4096, 64


def const(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """The constant, uploaded when the executable was built."""
    assert built.value is not None
    return [built.value]


def identity(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    return [ins[0]]


def fused(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    shapes = [tuple(v.shape) for v in ins]
    try:
        loop = np.broadcast_shapes(*shapes) if ins else ()
    except ValueError:
        loop = None
    if loop is None or len(loop) != n.attrs.loop_shape.rank or \
            (built.fixed is not None and not FL.fits(built.fixed, shapes, loop)):
        # kernels cannot raise: the host checks what they would read
        raise InvalidArgumentError(n, n, f"{FL.shape_mismatch(n, shapes)}\n  in {n.describe()}")
    red = n.attrs.reduce
    shape = tuple(loop)
    if red is not None:
        shape = tuple(1 if j in red.axes else d for j, d in enumerate(loop)) if red.keepdims else \
            tuple(d for j, d in enumerate(loop) if j not in red.axes)
    size = math.prod(shape)
    out = numba_cuda().device_array(max(1, size), dtype=n.dtypes[0].np)
    args = [v.shaped() for v in ins] + [out]
    if built.guards:
        args.append(check_slot(n, built.guards[0]))
    if red is not None and size < _TREE_OUTPUTS and math.prod(loop) >= _TREE_ELEMENTS * max(size, 1):
        dev.launch_grid(built.tree, size, C.TREE, args)  # few outputs of many elements: a block each
    else:
        launch(dev, built.source, args, size)
    return [Value(out, shape)]


def sum_to(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x, like = ins
    if len(x.shape) > 4:
        return S.sum_to_nd(dev, n, ins, built)
    xs = (1,) * (4 - len(x.shape)) + tuple(x.shape)
    ls = (1,) * (4 - len(like.shape)) + tuple(like.shape)
    flags = [1 if ls[d] == 1 and xs[d] != 1 else 0 for d in range(4)]
    if 0 in xs:  # the sum of nothing (an empty buffer is one element, not reshapable)
        return [zeros(dev, tuple(like.shape), n.dtypes[0].np)]
    out = numba_cuda().device_array(max(1, math.prod(like.shape)), dtype=n.dtypes[0].np)
    launch(dev, built.source, [x.array.reshape(xs), out] + flags, out.shape[0])
    return [Value(out, tuple(like.shape))]


def reshape(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    x = ins[0]
    shapes = [v.shape for v in ins]
    try:  # a computed dim ("v", input, element) comes to the host (a shape's value is there)
        dims = resolve_spec(n.attrs.spec, shapes, math.prod(x.shape),
                            lambda item: int(ins[item[1]].numpy().reshape(-1)[item[2]]))
    except ValueError as e:
        raise InvalidArgumentError(n, n, f"{e}\n  in {n.describe()}") from None
    return [Value(x.array, tuple(int(d) for d in dims))]


def keep_dims(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """A view: the reduced axes become dims of size 1."""
    g, x = ins[0], ins[1]
    axes = norm_axes(n.attrs.axes, len(x.shape))
    dims = iter(g.shape)
    return [Value(g.array, tuple(1 if j in axes else next(dims) for j in range(len(x.shape))))]


def assign(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    var = n.inputs[0].node
    dst, v = dev.variable(var).array, ins[1]
    mode = {"set": 0, "add": 1, "sub": 2}[n.attrs.mode]
    launch(dev, T.ASSIGN, [dst, v.array.reshape(-1), mode], dst.shape[0])
    return [dev.variable(var)]


def fill(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    dims = tuple(int(d) for d in ins[1].numpy()) if len(ins) > 1 else tuple(n.attrs.shape)
    out = empty(dims, n.dtypes[0].np)
    launch(dev, T.FILL, [out.array, n.dtypes[0].np.type(ins[0].numpy().reshape(()))], out.array.shape[0])
    return [out]


def shape(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """Shapes are known on the host: no transfer."""
    return [upload(np.array(ins[0].shape, n.dtypes[0].np))]


def range_(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """On the host by its reference: TF1's lengths and errors."""
    return [upload(evaluate(n, [v.numpy().reshape(()) for v in ins[:3]])[0])]


def random(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """graphflow's counter-based streams, drawn on the host: the CPU's numbers."""
    st = dev.rng_state(n)
    (drawn,) = evaluate(n, [st, *[v.numpy() for v in ins[:1]]])
    st[1] += np.uint64(1)
    return [upload(drawn)]


def stateless_random(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """The stateless streams, drawn on the host from the seed (and dims): the CPU's numbers."""
    return [upload(evaluate(n, [v.numpy() for v in ins])[0])]


def check(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    at, x = n.attrs, ins[0]
    kind = {"range": 0, "true": 1, "finite": 2}[at.kind]
    hi = int(ins[1].numpy().reshape(())) if at.kind == "range" and len(ins) > 1 else int(at.hi)
    message = {0: f"{at.message}: a value is outside the valid range [{at.lo}, {hi})", 1: at.message,
               2: f"{at.message}: Tensor had NaN or Inf values"}[kind]  # the CPU's messages
    launch(dev, built.source, [x.array, check_slot(n, message), int(at.lo), hi, kind], x.array.shape[0])
    return [x]


def xent(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """Softmax cross-entropy and its gradient over [rows, classes]."""
    rows = ins[-1].shape[0]
    dims = (rows,) if n.op is Op.SOFTMAX_XENT else ins[-1].shape
    out = numba_cuda().device_array(dims, dtype=n.dtypes[0].np)
    launch(dev, built.source, [v.shaped() for v in ins] + [out], rows)
    return [Value(out.reshape(-1), dims)]


def one_hot(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    idx, at = ins[0], n.attrs
    dims = tuple(idx.shape[:at.axis]) + (at.depth,) + tuple(idx.shape[at.axis:])
    out = empty(dims, n.dtypes[0].np)
    inner = math.prod(idx.shape[at.axis:])
    launch(dev, T.ONE_HOT, [idx.array, out.array, at.depth, inner, at.on, at.off], math.prod(dims))
    return [out]


def cond(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    at = n.attrs
    k = 0 if bool(ins[0].numpy().reshape(())) else 1  # the predicate comes to the host
    return dev.sub(at.branches[k]).run([ins[i] for i in at.capture_index[k]])


def while_loop(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """The loop on the host around the body's device kernels (the condition's value comes to
    the host each iteration); emitted and recorded values are stacked on the device."""
    at = n.attrs
    vals = list(ins[:at.n_vars])
    limit = int(ins[at.n_vars].numpy().reshape(())) if at.has_limit else None
    body_run, cond_run = dev.sub(at.body), dev.sub(at.cond)
    cond_caps = [ins[i] for i in at.cond_index]
    body_caps = [ins[i] for i in at.body_index]
    emitted: list[list[Value]] = [[] for _ in range(at.n_emit)]
    recorded: list[list[Value]] = [[] for _ in range(at.n_vars)]
    it = 0
    while (limit is None or it < limit) and bool(cond_run.run(vals + cond_caps)[0].numpy().reshape(())):
        for r, v in zip(recorded, vals):
            r.append(v)
        outs = body_run.run(vals + body_caps)
        vals = list(outs[:at.n_vars])
        for e, o in zip(emitted, outs[at.n_vars:]):
            e.append(o)
        it += 1
    ragged = at.meta.get("ragged", ())
    return vals + [_stack(e, t, n) for e, t in zip(emitted, at.body.outputs[at.n_vars:])] + \
        [upload(np.array(it, np.int32))] + \
        [_padded(r, t) if i in ragged else _stack(r, t, n, emitted=False)
         for i, (r, t) in enumerate(zip(recorded, at.body.inputs))] + \
        [_host(np.array([v.shape for v in recorded[i]], np.int32).reshape(it, at.shapes[i].rank)) for i in ragged]


def _padded(items: list[Value], like: Tensor) -> Value:
    """Values whose shape changes between iterations, zero-padded into one stack (through the
    host: a loop whose shape invariants let a value grow; the loop's table output keeps each
    iteration's shape)."""
    return _host(padded([v.numpy() for v in items], like))


def _host(a: np.ndarray) -> Value:
    return upload(a) if a.size else empty(a.shape, a.dtype)


def _stack(items: list[Value], like: Tensor, n: Operation, emitted: bool = True) -> Value:
    """The values stacked on a new leading axis (device-to-device copies); an empty stack keeps
    the shape the graph knows. Emitted values that differ in shape between iterations cannot be
    stacked: the run fails, as on the CPU (a TensorArray scatter of a different count in each
    iteration). Recorded loop values that may change shape are padded instead (``_padded``)."""
    cuda: Any = numba_cuda()
    odd = next((i for i, v in enumerate(items) if tuple(v.shape) != tuple(items[0].shape)), None)
    if odd is not None and emitted:
        shapes = f"{tuple(items[odd].shape)} vs. {tuple(items[0].shape)}"
        raise InvalidArgumentError(n, n, f"Incompatible shapes: {shapes} (the shape of {like.name} in iteration "
                                          f"{odd} and in the first; a loop's emitted values keep one shape)\n"
                                          f"  in {n.describe()}")
    if items and odd is None:
        dims = (len(items),) + tuple(items[0].shape)
        size = max(1, math.prod(items[0].shape))
        out = cuda.device_array(len(items) * size, dtype=like.dtype.np)
        for i, v in enumerate(items):  # flat slices
            out[i * size:(i + 1) * size].copy_to_device(v.array.reshape(-1))
        return Value(out, dims)
    none = (0,) + tuple(d or 0 for d in like.shape.as_list()) if like.shape.rank is not None else (0,)
    return Value(cuda.device_array(1, dtype=like.dtype.np), none)


def bitcast(dev: Device, n: Operation, ins: list[Value], built: Prepared) -> list[Value]:
    """A view of the same device bytes (float16 is held as float16 on the device)."""
    x = ins[0]
    src, dst = n.attrs.src, n.attrs.type
    a, b = src.np.itemsize, dst.np.itemsize
    if a < b and (not x.shape or x.shape[-1] != b // a):
        raise InvalidArgumentError(n, n, f"{last_dim_message(src, dst, x.shape[-1] if x.shape else 'a scalar')}"
                                         f"\n  in {n.describe()}")
    shape = x.shape + (a // b,) if a > b else x.shape[:-1] if a < b else x.shape
    if 0 in x.shape:
        return [empty(shape, dst.np)]
    return [Value(x.array[:math.prod(x.shape)].view(dst.np), tuple(shape))]
