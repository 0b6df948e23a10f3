"""graphflow primitive -> ONNX nodes (``ONNX``: one translation per primitive). Convolutions and
pooling run channels-first in ONNX: the NHWC graph is transposed around them."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, get
from graphflow.core.types import DTypeLike, SessionLike
from graphflow.ops.conv_geometry import Padding

OPSET = 17
_I64_MIN, _I64_MAX = -(2 ** 63), 2 ** 63 - 1


class UnsupportedOnnxOpError(ValueError):
    """A node ONNX export cannot translate, named with its op and where it was created."""


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - the message is the point
        raise ImportError("ONNX export needs the onnx package: pip install onnx") from e
    return onnx


class Builder:
    """The ONNX graph under construction; ``name(t)`` is the ONNX value of graphflow tensor t."""

    def __init__(self) -> None:
        self.onnx = _onnx()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.values: dict[int, str] = {}
        self.counter = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base}__{self.counter}"

    def node(self, op: str, inputs: Sequence[str], outputs: Sequence[str] | None = None, name: str | None = None,
             **attrs: object) -> str:
        outs = list(outputs) if outputs else [self.fresh(name or op)]
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outs, name=self.fresh(name or op), **attrs))
        return outs[0]

    def const(self, value: npt.ArrayLike, dtype: npt.DTypeLike | None = None, base: str = "const") -> str:
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def name(self, t: Tensor) -> str:
        return self.values[id(t)]


def _elem_type(dtype: DTypeLike) -> int:
    from onnx import helper
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype.np if hasattr(dtype, "np") else dtype))


Translate = Callable[[Builder, Operation, list[str]], str]
ONNX: dict[Op, Translate] = {}

def _same(b: Builder, n: Operation, ins: list[str]) -> str:
    """A primitive whose registry row names its ONNX operator (``OpDef.onnx``): the same inputs."""
    return b.node(get(n.op).onnx or n.op.value, ins, name=n.name)


def _rule(*ops: Op) -> Callable[[Translate], Translate]:
    def put(fn: Translate) -> Translate:
        for op in ops:
            ONNX[op] = fn
        return fn
    return put


@_rule(Op.CHECK)
def _check(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Identity", ins[:1], name=n.name)


@_rule(Op.RSQRT)
def _rsqrt(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Reciprocal", [b.node("Sqrt", ins)], name=n.name)


@_rule(Op.SQUARE)
def _square(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Mul", [ins[0], ins[0]], name=n.name)


@_rule(Op.NOT_EQUAL)
def _not_equal(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Not", [b.node("Equal", ins)], name=n.name)


def _signs_differ(b: Builder, n: Operation, r: str, y: str) -> str:
    """Where the remainder ``r`` of C's division is nonzero and of the other sign than ``y``: there
    floor division is one less than C's, and the floor remainder is ``r + y``."""
    zero = b.const(np.zeros((), n.dtypes[0].np))
    return b.node("And", [b.node("Not", [b.node("Equal", [r, zero])]),
                          b.node("Xor", [b.node("Less", [r, zero]), b.node("Less", [y, zero])])])


@_rule(Op.FLOORDIV)
def _floordiv(b: Builder, n: Operation, ins: list[str]) -> str:
    if n.dtypes[0].is_floating:
        return b.node("Floor", [b.node("Div", ins)], name=n.name)
    # integers: ONNX's Div truncates; one less where C's remainder and y differ in sign (no
    # intermediate overflows, unlike (x - x mod y) / y)
    moved = b.node("Cast", [_signs_differ(b, n, b.node("Mod", ins, fmod=1), ins[1])], to=_elem_type(n.dtypes[0]))
    return b.node("Sub", [b.node("Div", ins), moved], name=n.name)


@_rule(Op.MOD)
def _mod(b: Builder, n: Operation, ins: list[str]) -> str:
    """TF1's FloorMod: the sign of the divisor (ONNX's Mod with fmod=0 for integers; for floats
    fmod moved by y where the signs differ, as TF1's kernel, which keeps it exact)."""
    if not n.dtypes[0].is_floating:
        return b.node("Mod", ins, name=n.name, fmod=0)
    r = b.node("Mod", ins, fmod=1)
    return b.node("Where", [_signs_differ(b, n, r, ins[1]), b.node("Add", [r, ins[1]]), r], name=n.name)


@_rule(Op.TRUNCATEDIV)
def _truncatediv(b: Builder, n: Operation, ins: list[str]) -> str:
    """C's division: ONNX's Div truncates integers; floats round the quotient toward zero."""
    if not n.dtypes[0].is_floating:
        return b.node("Div", ins, name=n.name)
    q = b.node("Div", ins)
    zero = b.const(np.zeros((), n.dtypes[0].np))
    return b.node("Where", [b.node("Less", [q, zero]), b.node("Ceil", [q]), b.node("Floor", [q])], name=n.name)


@_rule(Op.TRUNCATEMOD)
def _truncatemod(b: Builder, n: Operation, ins: list[str]) -> str:
    """C's remainder, the sign of the dividend: ONNX's Mod with fmod=1."""
    return b.node("Mod", ins, name=n.name, fmod=1)


@_rule(Op.CAST)
def _cast(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Cast", ins, name=n.name, to=_elem_type(n.dtypes[0]))


_REDUCE = {Op.REDUCE_SUM: "ReduceSum", Op.REDUCE_MEAN: "ReduceMean", Op.REDUCE_MAX: "ReduceMax",
           Op.REDUCE_MIN: "ReduceMin", Op.REDUCE_PROD: "ReduceProd"}


@_rule(*_REDUCE)
def _reduce(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    keep = int(bool(at.keepdims))
    axes = list(at.axes) if at.axes is not None else None
    if n.op is Op.REDUCE_SUM:  # opset 13+: axes as an input
        extra = [b.const(np.array(axes, np.int64))] if axes is not None else []
        return b.node("ReduceSum", ins[:1] + extra, name=n.name, keepdims=keep)
    kw = {"axes": axes} if axes is not None else {}
    return b.node(_REDUCE[n.op], ins[:1], name=n.name, keepdims=keep, **kw)


@_rule(Op.ARGMAX, Op.ARGMIN)
def _arg(b: Builder, n: Operation, ins: list[str]) -> str:
    idx = b.node("ArgMax" if n.op is Op.ARGMAX else "ArgMin", ins, axis=int(n.attrs.axis), keepdims=0)
    return b.node("Cast", [idx], name=n.name, to=_elem_type(n.dtypes[0]))


@_rule(Op.MATMUL)
def _matmul(b: Builder, n: Operation, ins: list[str]) -> str:
    a, c = ins
    at = n.attrs

    def swap(v: str, t: Tensor) -> str:
        r = t.shape.rank
        return b.node("Transpose", [v], perm=list(range(r - 2)) + [r - 1, r - 2])
    if at.transpose_a:
        a = swap(a, n.inputs[0])
    if at.transpose_b:
        c = swap(c, n.inputs[1])
    return b.node("MatMul", [a, c], name=n.name)


def _shape64(b: Builder, v: str) -> str:
    return b.node("Shape", [v])


@_rule(Op.SHAPE)
def _shape(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Cast", [_shape64(b, ins[0])], name=n.name, to=_elem_type(n.dtypes[0]))


@_rule(Op.RESHAPE)
def _reshape(b: Builder, n: Operation, ins: list[str]) -> str:
    spec = n.attrs.spec
    if all(isinstance(s, (int, np.integer)) for s in spec):
        if 0 in spec:
            return b.node("Reshape", [ins[0], b.const(np.array(spec, np.int64))], name=n.name, allowzero=1)
        return b.node("Reshape", [ins[0], b.const(np.array(spec, np.int64))], name=n.name)
    parts = []
    for s in spec:
        if isinstance(s, tuple) and len(s) == 2:
            k, j = s
            parts.append(b.node("Gather", [_shape64(b, ins[k]), b.const(np.array([j], np.int64))], axis=0))
        elif isinstance(s, tuple):
            _, k, j = s
            v = b.node("Cast", [ins[k]], to=7)  # int64
            v = b.node("Reshape", [v, b.const(np.array([-1], np.int64))])
            parts.append(b.node("Gather", [v, b.const(np.array([j], np.int64))], axis=0))
        else:
            parts.append(b.const(np.array([int(s)], np.int64)))
    return b.node("Reshape", [ins[0], b.node("Concat", parts, axis=0)], name=n.name)


@_rule(Op.TRANSPOSE)
def _transpose(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Transpose", ins, name=n.name, perm=[int(p) for p in n.attrs.perm])


@_rule(Op.CONCAT)
def _concat(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Concat", ins, name=n.name, axis=int(n.attrs.axis))


@_rule(Op.SLICE)
def _slice(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    starts = [(_I64_MIN if s < 0 else 0) if bgn is None else bgn for bgn, s in zip(at.begin, at.strides)]
    ends = [(_I64_MIN if s < 0 else _I64_MAX) if e is None else e for e, s in zip(at.end, at.strides)]
    for i in at.shrink:
        ends[i] = _I64_MAX if at.begin[i] == -1 else at.begin[i] + 1
    axes = list(range(len(at.begin)))
    out = b.node("Slice", [ins[0], b.const(np.array(starts, np.int64)), b.const(np.array(ends, np.int64)),
                           b.const(np.array(axes, np.int64)), b.const(np.array(at.strides, np.int64))])
    if at.shrink:
        return b.node("Squeeze", [out, b.const(np.array(sorted(at.shrink), np.int64))], name=n.name)
    return b.node("Identity", [out], name=n.name)


@_rule(Op.PAD)
def _pad(b: Builder, n: Operation, ins: list[str]) -> str:
    pads = [p[0] for p in n.attrs.paddings] + [p[1] for p in n.attrs.paddings]
    return b.node("Pad", [ins[0], b.const(np.array(pads, np.int64)),
                          b.const(np.asarray(n.attrs.constant, n.dtypes[0].np))], name=n.name, mode="constant")


@_rule(Op.TILE)
def _tile(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Tile", [ins[0], b.const(np.array(n.attrs.multiples, np.int64))], name=n.name)


@_rule(Op.GATHER)
def _gather(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Gather", ins, name=n.name, axis=int(n.attrs.axis))


@_rule(Op.ONE_HOT)
def _one_hot(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    values = b.const(np.array([at.off, at.on], n.dtypes[0].np))
    return b.node("OneHot", [ins[0], b.const(np.array(at.depth, np.int64)), values], name=n.name, axis=int(at.axis))


@_rule(Op.FILL)
def _fill(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Expand", [ins[0], b.const(np.array(n.attrs.shape, np.int64))], name=n.name)


@_rule(Op.RANGE)
def _range(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Range", ins, name=n.name)


@_rule(Op.BROADCAST_TO)
def _broadcast_to(b: Builder, n: Operation, ins: list[str]) -> str:
    return b.node("Expand", [ins[0], _shape64(b, ins[1])], name=n.name)


@_rule(Op.RANDOM)
def _random(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    if at.dist not in ("uniform", "normal"):
        raise UnsupportedOnnxOpError(f"node {n.name!r}: ONNX has no {at.dist} random op")
    op = "RandomUniformLike" if at.dist == "uniform" else "RandomNormalLike"
    shape = b.node("Cast", ins[:1], to=7) if n.inputs else b.const(np.array(at.shape, np.int64))
    zeros = b.node("ConstantOfShape", [shape], value=b.onnx.numpy_helper.from_array(np.zeros(1, n.dtypes[0].np)))
    return b.node(op, [zeros], name=n.name, dtype=_elem_type(n.dtypes[0]))


def _nchw(b: Builder, v: str) -> str:
    return b.node("Transpose", [v], perm=[0, 3, 1, 2])


def _nhwc(b: Builder, v: str, name: str) -> str:
    return b.node("Transpose", [v], name=name, perm=[0, 2, 3, 1])


def _spatial(padding: Padding) -> dict[str, Any]:
    if padding == "SAME":
        return {"auto_pad": "SAME_UPPER"}  # TF1's SAME: the odd padding row/column goes after
    if padding == "VALID":
        return {"auto_pad": "VALID"}
    (t, bo), (le, r) = padding
    return {"pads": [t, le, bo, r]}


@_rule(Op.CONV2D)
def _conv2d(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    w = b.node("Transpose", [ins[1]], perm=[3, 2, 0, 1])  # HWIO -> OIHW
    y = b.node("Conv", [_nchw(b, ins[0]), w], strides=list(at.strides), dilations=list(at.dilations),
               **_spatial(at.padding))
    return _nhwc(b, y, n.name)


@_rule(Op.MAX_POOL, Op.AVG_POOL)
def _pool(b: Builder, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    kw = {"count_include_pad": 0} if n.op is Op.AVG_POOL else {}  # TF1 averages over the real inputs
    y = b.node("MaxPool" if n.op is Op.MAX_POOL else "AveragePool", [_nchw(b, ins[0])], kernel_shape=list(at.ksize),
               strides=list(at.strides), **_spatial(at.padding), **kw)
    return _nhwc(b, y, n.name)


@_rule(Op.SOFTMAX_XENT)
def _xent(b: Builder, n: Operation, ins: list[str]) -> str:
    labels, logits = ins
    logp = b.node("LogSoftmax", [logits], axis=-1)
    total = b.node("ReduceSum", [b.node("Mul", [labels, logp]), b.const(np.array([-1], np.int64))], keepdims=0)
    return b.node("Neg", [total], name=n.name)


# ---- the export --------------------------------------------------------------------------------

def _needed(outputs: Sequence[Tensor], stop: set[int]) -> list[Operation]:
    """The nodes the outputs need (stopping at the inputs), inputs first (graph order)."""
    seen: set[int] = set()
    stack = [t.node for t in outputs]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(t.node for t in n.inputs if id(t) not in stop)
    graph = outputs[0].graph
    return [n for n in graph.get_operations() if id(n) in seen]


def _value_info(onnx: ModuleType, name: str, t: Tensor) -> Any:
    dims = None if t.shape.rank is None else [d if d is not None else f"{name}_d{i}"
                                               for i, d in enumerate(t.shape.as_list())]
    return onnx.helper.make_tensor_value_info(name, _elem_type(t.dtype), dims)


def export(sess: SessionLike, inputs: Sequence[Tensor], outputs: Sequence[Tensor], path: str | None = None,
           constants: Mapping[Tensor, npt.ArrayLike] | None = None, model_name: str = "graphflow",
           opset: int = OPSET) -> Any:
    """The ONNX ``ModelProto`` computing ``outputs`` from ``inputs`` (written to ``path`` when
    given); variables hold their values in ``sess``, ``constants`` fix other placeholders."""
    onnx = _onnx()
    inputs, outputs = list(inputs), list(outputs)
    fixed = {id(k): (k, v) for k, v in (constants or {}).items()}
    b = Builder()
    graph_inputs = []
    for t in inputs:
        name = t.node.name
        b.values[id(t)] = name
        graph_inputs.append(_value_info(onnx, name, t))
    stop = {id(t) for t in inputs}
    nodes = _needed(outputs, stop)
    variables = [n for n in nodes if n.op is Op.VARIABLE]
    values = sess.run([n.outputs[0] for n in variables]) if variables else []
    for n, v in zip(variables, values):
        b.initializers.append(onnx.numpy_helper.from_array(np.asarray(v, n.dtypes[0].np), n.name))
        b.values[id(n.outputs[0])] = n.name
    for n in nodes:
        if id(n.outputs[0]) in b.values if n.outputs else False:
            continue
        if n.op is Op.CONST:
            b.initializers.append(onnx.numpy_helper.from_array(np.asarray(n.attrs.value), n.name))
            b.values[id(n.outputs[0])] = n.name
            continue
        if n.op in (Op.PLACEHOLDER, Op.PLACEHOLDER_WITH_DEFAULT):
            t = n.outputs[0]
            if id(t) in fixed:
                b.initializers.append(onnx.numpy_helper.from_array(np.asarray(fixed[id(t)][1], t.dtype.np), n.name))
                b.values[id(t)] = n.name
                continue
            if n.op is Op.PLACEHOLDER_WITH_DEFAULT:
                b.values[id(t)] = b.node("Identity", [b.name(n.inputs[0])], name=n.name)
                continue
            raise UnsupportedOnnxOpError(f"placeholder {n.name!r} (created at {n.site}) is needed by the outputs: "
                                         "list it in inputs or give its value in constants")
        rule = ONNX.get(n.op) or (_same if get(n.op).onnx else None)
        if rule is None or len(n.outputs) != 1:
            raise UnsupportedOnnxOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}) has no ONNX "
                                         "translation")
        b.values[id(n.outputs[0])] = rule(b, n, [b.name(t) for t in n.inputs])
    graph_outputs = []
    for t in outputs:
        name = f"{t.node.name}:{t.index}"
        b.node("Identity", [b.name(t)], outputs=[name])
        graph_outputs.append(_value_info(onnx, name, t))
    graph = onnx.helper.make_graph(b.nodes, model_name, graph_inputs, graph_outputs, b.initializers)
    model = onnx.helper.make_model(graph, producer_name="graphflow",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    if path:
        onnx.save(model, path)
    return model
