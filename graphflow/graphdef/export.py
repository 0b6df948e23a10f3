"""graphflow graph -> TF1 ``GraphDef`` that TensorFlow 1 loads and runs: one translation per
graphflow primitive (``EXPORT``). Most are one TF1 node with TF1's attributes, the arguments
graphflow keeps as attributes becoming ``Const`` inputs; primitives without a TF1 twin become the
TF1 ops that compute the same (``SumTo`` a ``Sum`` and a ``Reshape``, the cross-entropy gradient a
softmax expression). A primitive with no translation raises, naming the op and the node.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import numpy.typing as npt

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.core.registry import Op, get
from graphflow.graphdef.display import protos, shape_proto, tensor_proto, tf_type
from graphflow.ops.conv_geometry import ConvAttrs, PoolAttrs
from graphflow.ops.slice_ops import ValueOf

if TYPE_CHECKING:
    from tensorboard.compat.proto.attr_value_pb2 import AttrValue

_UNTYPED = {Op.LOGICAL_NOT, Op.LOGICAL_AND, Op.LOGICAL_OR}  # bool only: no "T"
_REDUCE = {Op.REDUCE_SUM: "Sum", Op.REDUCE_MEAN: "Mean", Op.REDUCE_MAX: "Max", Op.REDUCE_MIN: "Min",
           Op.REDUCE_PROD: "Prod", Op.REDUCE_ANY: "Any", Op.REDUCE_ALL: "All"}


_MORE_OUTPUTS = {"SoftmaxCrossEntropyWithLogits"}  # TF1 ops with outputs graphflow's node lacks


# a node attribute as a translation gives it: a bool, int, float or string, or a (kind, value) pair
# with kind "type" (a dtype), "tensor" (an array), "shape" or "ints"
AttrSpec = Union[tuple[str, Any], bool, int, float, str, bytes]


class UnsupportedOpError(ValueError):
    """A node whose op has no translation to (or from) TF1's GraphDef."""


class Exporter:
    """Builds the GraphDef node by node; ``ref(t)`` is the TF1 input string of graphflow tensor t."""

    def __init__(self) -> None:
        self.attr_value_pb2, self.graph_pb2, self.node_def_pb2, _ = protos()
        self.gd = self.graph_pb2.GraphDef()
        self.names: set[str] = set()
        self.refs: dict[int, str] = {}  # id(graphflow tensor) -> TF1 input string

    def unique(self, base: str) -> str:
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def node(self, name: str, op: str, inputs: Sequence[str] = (), controls: Sequence[str] = (),
             **attrs: AttrSpec) -> str:
        nd = self.node_def_pb2.NodeDef(name=name, op=op)
        nd.input.extend(list(inputs) + [f"^{c}" for c in controls])
        for k, v in attrs.items():
            set_attr(nd.attr[k], v)
        self.gd.node.append(nd)
        return name

    def helper(self, owner: Operation, suffix: str, op: str, inputs: Sequence[str] = (),
               **attrs: AttrSpec) -> str:
        """An extra node a translation needs, named under the owner's name."""
        return self.node(self.unique(f"{owner.name}/{suffix}"), op, inputs, **attrs)

    def const(self, owner: Operation, suffix: str, value: npt.ArrayLike, dtype: npt.DTypeLike | None = None) -> str:
        v = np.asarray(value, dtype=dtype)
        return self.helper(owner, suffix, "Const", value=("tensor", v), dtype=("type", v.dtype))

    def ref(self, t: Tensor) -> str:
        return self.refs[id(t)]

    def out(self, n: Operation, name: str, index: int = 0) -> None:
        """graphflow output ``index`` of ``n`` is TF1 node ``name``'s output 0."""
        self.refs[id(n.outputs[index])] = name


def set_attr(a: AttrValue, v: AttrSpec) -> None:
    kind, value = v if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) else (None, v)
    if kind == "type":
        a.type = _np_type(value)
    elif kind == "tensor":
        a.tensor.CopyFrom(tensor_proto(value))
    elif kind == "shape":
        a.shape.CopyFrom(shape_proto(value))
    elif kind == "ints":
        a.list.i.extend([int(x) for x in value])
    elif isinstance(value, bool):
        a.b = value
    elif isinstance(value, int):
        a.i = value
    elif isinstance(value, float):
        a.f = value
    elif isinstance(value, (str, bytes)):
        a.s = value.encode() if isinstance(value, str) else value
    else:
        raise TypeError(f"attribute value {value!r}")


def _np_type(d: np.dtype | _dt.DType) -> int:
    if isinstance(d, np.dtype):
        d = _dt.as_dtype(d)
    return tf_type(d)


_I32 = ("type", np.dtype(np.int32))  # the index dtype of every helper node


def _as_int32(ex: Exporter, n: Operation, j: int, ref: str) -> str:
    """Input ``j`` of ``n`` (TF1 name ``ref``) as int32, as TF1's shape arguments take it."""
    if n.inputs[j].dtype.name == "int32":
        return ref
    return ex.helper(n, "Cast", "Cast", [ref], SrcT=_in_t(n, j), DstT=_I32, Truncate=False)


def _t(n: Operation, i: int = 0) -> tuple[str, Any]:
    return "type", n.dtypes[i]


def _in_t(n: Operation, i: int = 0) -> tuple[str, Any]:
    return "type", n.inputs[i].dtype


# ---- the translations ------------------------------------------------------------------------------

Translate = Callable[[Exporter, Operation, list[str]], str]
EXPORT: dict[Op, Translate] = {}


def _rule(*ops: Op) -> Callable[[Translate], Translate]:
    def put(fn: Translate) -> Translate:
        for op in ops:
            EXPORT[op] = fn
        return fn
    return put


def _same(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """A primitive whose registry row names its TF1 op (``OpDef.graphdef``): the same inputs and a
    "T" attribute. Rows carry the name, so a new elementwise primitive needs no rule here."""
    return ex.node(n.name, get(n.op).graphdef or n.op.value, ins, T=_in_t(n))


for _op in _UNTYPED:
    EXPORT[_op] = lambda ex, n, ins: ex.node(n.name, n.op.value, ins)


@_rule(Op.PLACEHOLDER)
def _placeholder(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Placeholder", dtype=_t(n), shape=("shape", n.shapes[0]))


@_rule(Op.PLACEHOLDER_WITH_DEFAULT)
def _placeholder_default(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "PlaceholderWithDefault", ins, dtype=_t(n), shape=("shape", n.shapes[0]))


@_rule(Op.CONST)
def _const(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Const", value=("tensor", n.attrs.value), dtype=_t(n))


@_rule(Op.VARIABLE)
def _variable(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "VariableV2", dtype=_t(n), shape=("shape", n.shapes[0]), container="", shared_name="")


@_rule(Op.ASSIGN)
def _assign(ex: Exporter, n: Operation, ins: list[str]) -> str:
    op = {"set": "Assign", "add": "AssignAdd", "sub": "AssignSub"}[n.attrs.mode]
    extra = {"validate_shape": True} if op == "Assign" else {}
    return ex.node(n.name, op, ins, T=_t(n), use_locking=False, **extra)


@_rule(Op.NO_OP)
def _no_op(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "NoOp")


@_rule(Op.CHECK)
def _check(ex: Exporter, n: Operation, ins: list[str]) -> str:
    # a run-time check passes its input through; TF1's own ops validate what they read
    return ex.node(n.name, "Identity", ins[:1], T=_in_t(n))


@_rule(Op.CAST)
def _cast(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Cast", ins, SrcT=_in_t(n), DstT=_t(n), Truncate=False)


@_rule(Op.BITCAST)
def _bitcast(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Bitcast", ins, T=_in_t(n), type=_t(n))


@_rule(Op.SELECT)
def _select(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "SelectV2", ins, T=_t(n))


@_rule(*_REDUCE)
def _reduce(ex: Exporter, n: Operation, ins: list[str]) -> str:
    x = n.inputs[0]
    axes = n.attrs.axes
    if axes is None:
        if x.shape.rank is not None:
            axes_ref = ex.const(n, "reduction_indices", np.arange(x.shape.rank, dtype=np.int32))
        else:
            rank = ex.helper(n, "Rank", "Rank", ins[:1], T=_in_t(n))
            start, delta = ex.const(n, "start", 0, np.int32), ex.const(n, "delta", 1, np.int32)
            axes_ref = ex.helper(n, "range", "Range", [start, rank, delta], Tidx=_I32)
    else:
        axes_ref = ex.const(n, "reduction_indices", np.array(axes, np.int32))
    extra = {} if n.op in (Op.REDUCE_ANY, Op.REDUCE_ALL) else {"T": _in_t(n)}
    return ex.node(n.name, _REDUCE[n.op], [ins[0], axes_ref], keep_dims=bool(n.attrs.keepdims),
                   Tidx=_I32, **extra)


@_rule(Op.ARGMAX, Op.ARGMIN)
def _arg(ex: Exporter, n: Operation, ins: list[str]) -> str:
    dim = ex.const(n, "dimension", n.attrs.axis, np.int32)
    return ex.node(n.name, "ArgMax" if n.op is Op.ARGMAX else "ArgMin", [ins[0], dim], T=_in_t(n),
                   Tidx=_I32, output_type=_t(n))


@_rule(Op.MATMUL)
def _matmul(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    if n.inputs[0].shape.rank == 2 and n.inputs[1].shape.rank == 2:
        return ex.node(n.name, "MatMul", ins, T=_t(n), transpose_a=at.transpose_a, transpose_b=at.transpose_b)
    return ex.node(n.name, "BatchMatMulV2", ins, T=_t(n), adj_x=at.transpose_a, adj_y=at.transpose_b)


def _shape_of(ex: Exporter, n: Operation, ref: str, like: Tensor, tag: str) -> str:
    return ex.helper(n, tag, "Shape", [ref], T=("type", like.dtype), out_type=_I32)


def _dim(ex: Exporter, n: Operation, shape_ref: str, j: int) -> str:
    """Element j of an int32 shape vector, as a scalar."""
    return ex.helper(n, "strided_slice", "StridedSlice",
                     [shape_ref, ex.const(n, "begin", [j], np.int32), ex.const(n, "end", [j + 1], np.int32),
                      ex.const(n, "strides", [1], np.int32)],
                     T=_I32, Index=_I32, begin_mask=0, end_mask=0,
                     ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=1)


@_rule(Op.RESHAPE)
def _reshape(ex: Exporter, n: Operation, ins: list[str]) -> str:
    spec = n.attrs.spec
    if all(isinstance(s, (int, np.integer)) for s in spec):
        shape = ex.const(n, "shape", np.array(spec, np.int32))
    else:
        shapes: dict[int, str] = {}
        parts = []
        for s in spec:
            if isinstance(s, tuple) and len(s) == 2:
                k, j = s
                if k not in shapes:
                    shapes[k] = _shape_of(ex, n, ins[k], n.inputs[k], "Shape")
                parts.append(_dim(ex, n, shapes[k], j))
            elif isinstance(s, tuple):  # ("v", k, j): element j of input k's value
                _, k, j = s
                src = _as_int32(ex, n, k, ins[k])
                parts.append(src if n.inputs[k].shape.rank == 0 else _dim(ex, n, src, j))
            else:
                parts.append(ex.const(n, "dim", int(s), np.int32))
        shape = ex.helper(n, "shape", "Pack", parts, T=_I32, N=len(parts), axis=0)
    return ex.node(n.name, "Reshape", [ins[0], shape], T=_t(n), Tshape=_I32)


@_rule(Op.TRANSPOSE)
def _transpose(ex: Exporter, n: Operation, ins: list[str]) -> str:
    perm = ex.const(n, "perm", np.array(n.attrs.perm, np.int32))
    return ex.node(n.name, "Transpose", [ins[0], perm], T=_t(n), Tperm=_I32)


@_rule(Op.CONCAT)
def _concat(ex: Exporter, n: Operation, ins: list[str]) -> str:
    axis = ex.const(n, "axis", n.attrs.axis, np.int32)
    return ex.node(n.name, "ConcatV2", ins + [axis], T=_t(n), N=len(ins), Tidx=_I32)


def _bound_vector(ex: Exporter, n: Operation, ins: list[str], bounds: Sequence[Any], suffix: str,
                  first: int = 1) -> str:
    """Slice bounds as an int32 vector: a Const where every entry is a literal, else a Pack of
    literals and the run-time values of the node's reference inputs (``ValueOf``; the first
    reference is input ``first``)."""
    if all(isinstance(b, int) for b in bounds):
        return ex.const(n, suffix, np.array(bounds, np.int32))
    parts = []
    for j, b in enumerate(bounds):
        if isinstance(b, ValueOf):
            parts.append(_as_int32(ex, n, first + b.ref, ins[first + b.ref]))
        elif isinstance(b, int):
            parts.append(ex.const(n, f"{suffix}_{j}", np.int32(b)))
        else:
            raise UnsupportedOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}): a slice bound made of "
                                     "other tensors' dims has no TF1 GraphDef translation yet")
    return ex.helper(n, suffix, "Pack", parts, T=_I32, N=len(parts), axis=0)


def _slice_args(ex: Exporter, n: Operation, ins: list[str], first: int = 1) -> tuple[list[str], dict[str, Any]]:
    at = n.attrs
    begin: list[Any] = [0 if b is None else b for b in at.begin]
    end: list[Any] = [0 if e is None else e for e in at.end]
    masks = {"begin_mask": sum(1 << i for i, b in enumerate(at.begin) if b is None),
             "end_mask": sum(1 << i for i, e in enumerate(at.end) if e is None),
             "ellipsis_mask": 0, "new_axis_mask": 0, "shrink_axis_mask": sum(1 << i for i in at.shrink)}
    for i in at.shrink:  # a shrunk dim is one index: TF1 ignores its end (begin + 1 where it is literal)
        if isinstance(at.begin[i], int) and at.begin[i] != -1:
            end[i] = at.begin[i] + 1
            masks["end_mask"] &= ~(1 << i)
        else:
            masks["end_mask"] |= 1 << i
    refs = [_bound_vector(ex, n, ins, begin, "begin", first), _bound_vector(ex, n, ins, end, "end", first),
            ex.const(n, "strides", np.array(at.strides, np.int32))]
    return refs, masks


@_rule(Op.SLICE)
def _slice(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    if at.exact and all(isinstance(b, int) and (e is None or isinstance(e, int)) for b, e in zip(at.begin, at.end)):
        size = [-1 if e is None else e - b for b, e in zip(at.begin, at.end)]  # gf.slice: TF1's Slice
        return ex.node(n.name, "Slice", [ins[0], ex.const(n, "begin", np.array(at.begin, np.int32)),
                                         ex.const(n, "size", np.array(size, np.int32))], T=_t(n), Index=_I32)
    if at.exact:  # run-time bounds: TF1's Slice of begin and end - begin (-1 to the end)
        begin = _bound_vector(ex, n, ins, list(at.begin), "begin")
        ends = [e if e is not None else 0 for e in at.end]
        size = ex.helper(n, "size", "Sub", [_bound_vector(ex, n, ins, ends, "end"), begin], T=_I32)
        if any(e is None for e in at.end):
            to_end = [ex.const(n, "open_end", np.array([e is None for e in at.end])),
                      ex.const(n, "to_end", np.full(len(ends), -1, np.int32)), size]
            size = ex.helper(n, "size_or_end", "Select", to_end, T=_I32)
        return ex.node(n.name, "Slice", [ins[0], begin, size], T=_t(n), Index=_I32)
    refs, masks = _slice_args(ex, n, ins)
    return ex.node(n.name, "StridedSlice", [ins[0]] + refs, T=_t(n), Index=_I32, **masks)


@_rule(Op.SLICE_GRAD)
def _slice_grad(ex: Exporter, n: Operation, ins: list[str]) -> str:
    refs, masks = _slice_args(ex, n, ins, first=2)
    shape = _shape_of(ex, n, ins[1], n.inputs[1], "Shape")
    return ex.node(n.name, "StridedSliceGrad", [shape] + refs + [ins[0]], T=_t(n),
                   Index=_I32, **masks)


@_rule(Op.GATHER_ND)
def _gather_nd(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "GatherNd", ins, Tparams=_t(n), Tindices=_in_t(n, 1))


@_rule(Op.CUMPROD)
def _cumprod(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    return ex.node(n.name, "Cumprod", [ins[0], ex.const(n, "axis", np.int32(at.axis))], T=_t(n), Tidx=_I32,
                   exclusive=bool(at.exclusive), reverse=bool(at.reverse))


@_rule(Op.TOP_K_INDICES)
def _top_k_indices(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """TF1's TopKV2 (sorted; equal values keep index order, as graphflow's) and its indices."""
    k = n.attrs.k if n.attrs.k is not None else n.inputs[0].shape.as_list()[-1]
    rank = n.inputs[0].shape.rank
    if k is None and rank is None:
        raise UnsupportedOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}): a sort of unknown rank has no "
                                 "TF1 GraphDef translation")
    last = ex.const(n, "k", np.int32(k)) if k is not None else \
        _dim(ex, n, _shape_of(ex, n, ins[0], n.inputs[0], "Shape"), rank - 1)  # type: ignore[operator]
    top = ex.helper(n, "TopKV2", "TopKV2", [ins[0], last], T=_in_t(n), sorted=True)
    return ex.node(n.name, "Identity", [f"{top}:1"], T=_I32)


@_rule(Op.PAD)
def _pad(ex: Exporter, n: Operation, ins: list[str]) -> str:
    pads = ex.const(n, "paddings", np.array(n.attrs.paddings, np.int32))
    if n.attrs.constant == 0:
        return ex.node(n.name, "Pad", [ins[0], pads], T=_t(n), Tpaddings=_I32)
    value = ex.const(n, "constant_values", np.asarray(n.attrs.constant, n.dtypes[0].np))
    return ex.node(n.name, "PadV2", [ins[0], pads, value], T=_t(n), Tpaddings=_I32)


@_rule(Op.TILE)
def _tile(ex: Exporter, n: Operation, ins: list[str]) -> str:
    mult = ex.const(n, "multiples", np.array(n.attrs.multiples, np.int32))
    return ex.node(n.name, "Tile", [ins[0], mult], T=_t(n), Tmultiples=_I32)


@_rule(Op.GATHER)
def _gather(ex: Exporter, n: Operation, ins: list[str]) -> str:
    axis = ex.const(n, "axis", n.attrs.axis, np.int32)
    return ex.node(n.name, "GatherV2", ins + [axis], Tparams=_t(n), Tindices=_in_t(n, 1),
                   Taxis=_I32, batch_dims=0)


@_rule(Op.ONE_HOT)
def _one_hot(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    dt = n.dtypes[0].np
    return ex.node(n.name, "OneHot", [ins[0], ex.const(n, "depth", at.depth, np.int32),
                                      ex.const(n, "on_value", np.asarray(at.on, dt)),
                                      ex.const(n, "off_value", np.asarray(at.off, dt))],
                   T=_t(n), TI=_in_t(n), axis=int(at.axis))


@_rule(Op.SHAPE)
def _shape(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Shape", ins, T=_in_t(n), out_type=_t(n))


@_rule(Op.FILL)
def _fill(ex: Exporter, n: Operation, ins: list[str]) -> str:
    if len(ins) > 1:  # dims computed at run time
        dims = _as_int32(ex, n, 1, ins[1])
    else:
        dims = ex.const(n, "dims", np.array(n.attrs.shape, np.int32))
    return ex.node(n.name, "Fill", [dims, ins[0]], T=_t(n), index_type=_I32)


@_rule(Op.RANGE)
def _range(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Range", ins, Tidx=_t(n))


@_rule(Op.BROADCAST_TO)
def _broadcast_to(ex: Exporter, n: Operation, ins: list[str]) -> str:
    shape = _shape_of(ex, n, ins[1], n.inputs[1], "Shape")
    return ex.node(n.name, "BroadcastTo", [ins[0], shape], T=_t(n), Tidx=_I32)


@_rule(Op.SUM_TO)
def _sum_to(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """Sum x down to the shape of ``like``: over its extra leading dims and the dims where ``like``
    is 1 and x is not (known when the graph was built), then reshaped to ``like``'s shape."""
    x, like = n.inputs
    xr, lr = x.shape.rank, like.shape.rank
    if xr is None or lr is None:
        raise UnsupportedOpError(f"SumTo {n.name!r} of unknown ranks has no TF1 translation")
    xd, ld = x.shape.as_list(), [None] * (xr - lr) + like.shape.as_list()
    axes = list(range(xr - lr))
    # a dim where like is 1 and x is not is summed; graphflow builds SumTo where like's broadcast
    # dims are static 1s (a run-time 1 in a dim of unknown size is not seen here)
    axes += [i for i in range(xr - lr, xr) if ld[i] == 1 and xd[i] != 1]
    summed = ex.helper(n, "Sum", "Sum", [ins[0], ex.const(n, "axes", np.array(axes, np.int32))], T=_t(n),
                       Tidx=_I32, keep_dims=False) if axes else ins[0]
    shape = _shape_of(ex, n, ins[1], like, "Shape")
    return ex.node(n.name, "Reshape", [summed, shape], T=_t(n), Tshape=_I32)


def _conv_attrs(at: ConvAttrs) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(at.padding, str):
        padding = at.padding
    else:
        padding = "EXPLICIT"
        (t, b), (l, r) = at.padding
        extra["explicit_paddings"] = ("ints", [0, 0, t, b, l, r, 0, 0])
    return {"strides": ("ints", [1, *at.strides, 1]), "dilations": ("ints", [1, *at.dilations, 1]),
            "padding": padding, "data_format": "NHWC", "use_cudnn_on_gpu": True, **extra}


@_rule(Op.CONV2D)
def _conv2d(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "Conv2D", ins, T=_t(n), **_conv_attrs(n.attrs))


@_rule(Op.CONV2D_BACKPROP_INPUT)
def _conv2d_bi(ex: Exporter, n: Operation, ins: list[str]) -> str:
    sizes = _as_int32(ex, n, 0, ins[0])
    return ex.node(n.name, "Conv2DBackpropInput", [sizes, ins[1], ins[2]], T=_t(n), **_conv_attrs(n.attrs))


@_rule(Op.CONV2D_BACKPROP_FILTER)
def _conv2d_bf(ex: Exporter, n: Operation, ins: list[str]) -> str:
    sizes = _as_int32(ex, n, 1, ins[1])
    return ex.node(n.name, "Conv2DBackpropFilter", [ins[0], sizes, ins[2]], T=_t(n), **_conv_attrs(n.attrs))


def _pool_attrs(at: PoolAttrs) -> dict[str, Any]:
    if not isinstance(at.padding, str):
        raise UnsupportedOpError("explicit pooling paddings have no TF1 translation")
    return {"ksize": ("ints", [1, *at.ksize, 1]), "strides": ("ints", [1, *at.strides, 1]), "padding": at.padding,
            "data_format": "NHWC"}


@_rule(Op.MAX_POOL, Op.AVG_POOL)
def _pool(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "MaxPool" if n.op is Op.MAX_POOL else "AvgPool", ins, T=_t(n), **_pool_attrs(n.attrs))


@_rule(Op.MAX_POOL_GRAD)
def _max_pool_grad(ex: Exporter, n: Operation, ins: list[str]) -> str:
    if n.attrs.gather:
        raise UnsupportedOpError(f"{n.name!r}: the gradient of a max-pool gradient has no TF1 translation")
    pooled = ex.helper(n, "MaxPool", "MaxPool", [ins[0]], T=_t(n), **_pool_attrs(n.attrs))
    return ex.node(n.name, "MaxPoolGrad", [ins[0], pooled, ins[1]], T=_t(n), **_pool_attrs(n.attrs))


@_rule(Op.AVG_POOL_GRAD)
def _avg_pool_grad(ex: Exporter, n: Operation, ins: list[str]) -> str:
    sizes = _as_int32(ex, n, 0, ins[0])
    return ex.node(n.name, "AvgPoolGrad", [sizes, ins[1]], T=_t(n), **_pool_attrs(n.attrs))


@_rule(Op.SOFTMAX_XENT)
def _xent(ex: Exporter, n: Operation, ins: list[str]) -> str:
    # graphflow: (labels, logits) -> loss; TF1: (features, labels) -> (loss, backprop)
    return ex.node(n.name, "SoftmaxCrossEntropyWithLogits", [ins[1], ins[0]], T=_t(n))


@_rule(Op.SOFTMAX_XENT_GRAD)
def _xent_grad(ex: Exporter, n: Operation, ins: list[str]) -> str:
    """``g[:, None] * (softmax(logits) - labels)``."""
    g, labels, logits = ins
    sm = ex.helper(n, "Softmax", "Softmax", [logits], T=_t(n))
    diff = ex.helper(n, "sub", "Sub", [sm, labels], T=_t(n))
    col = ex.helper(n, "ExpandDims", "ExpandDims", [g, ex.const(n, "dim", -1, np.int32)], T=_t(n),
                    Tdim=_I32)
    return ex.node(n.name, "Mul", [col, diff], T=_t(n))


# collectives as Horovod's TF ops (reduce_op 1 is Horovod's Sum), so a graph trained over MPI exports
@_rule(Op.ALLREDUCE)
def _allreduce(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "HorovodAllreduce", ins, T=_t(n), reduce_op=1, prescale_factor=1.0, postscale_factor=1.0,
                   ignore_name_scope=False)


@_rule(Op.ALLGATHER)
def _allgather(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "HorovodAllgather", ins, T=_t(n), ignore_name_scope=False)


@_rule(Op.BROADCAST)
def _broadcast(ex: Exporter, n: Operation, ins: list[str]) -> str:
    return ex.node(n.name, "HorovodBroadcast", ins, T=_t(n), root_rank=n.attrs.root, ignore_name_scope=False)


# nodes graphflow runs but graph files leave out, per graph: a Saver's save and restore ops
# (``saver_def``), host functions standing in for TF1's SaveV2 / RestoreV2 kernels
_host_only: weakref.WeakKeyDictionary[Graph, set[int]] = weakref.WeakKeyDictionary()


def mark_host_only(graph: Graph, nodes: Sequence[Operation]) -> None:
    """Leave ``nodes`` out of ``graph``'s GraphDefs."""
    _host_only.setdefault(graph, set()).update(n.uid for n in nodes)


def export_graph_def(graph: Graph | None = None, nodes: Sequence[Operation] | None = None) -> Any:
    """The TF1 ``GraphDef`` of ``graph``'s nodes (all of them but the host-only ones, or
    ``nodes``, in graph order)."""
    g = graph or get_default_graph()
    ex = Exporter()
    skipped = _host_only.get(g, set())
    chosen = list(nodes) if nodes is not None else [n for n in g.get_operations() if n.uid not in skipped]
    ex.names.update(n.name for n in chosen)
    for n in chosen:
        rule = EXPORT.get(n.op) or (_same if get(n.op).graphdef else None)
        if rule is None:
            raise UnsupportedOpError(f"node {n.name!r} ({n.op.value}, created at {n.site}) has no TF1 GraphDef "
                                     "translation")
        ins = [ex.ref(t) for t in n.inputs]
        before = len(ex.gd.node)
        name = rule(ex, n, ins)
        node = next(nd for nd in ex.gd.node[before:] if nd.name == name)
        node.input.extend(f"^{c.name}" for c in n.control_inputs)
        if n.device:
            node.device = n.device
        if n.shapes and node.op not in _MORE_OUTPUTS:  # what TF1's add_shapes writes; pictures label edges
            node.attr["_output_shapes"].list.shape.extend([shape_proto(sh) for sh in n.shapes])
        for i in range(len(n.outputs)):
            ex.refs[id(n.outputs[i])] = name if i == 0 else f"{name}:{i}"
    ex.gd.versions.producer = 27
    return ex.gd


def _as_graph_def(self: Graph, from_version: int | None = None, add_shapes: bool = False) -> Any:
    """``Graph.as_graph_def``: TF1's GraphDef of the whole graph (shapes are always added)."""
    return export_graph_def(self)


# installed onto the core's Graph (the list of what is installed where: graphflow/core/ir.py's docstring)
Graph.as_graph_def = _as_graph_def  # type: ignore[method-assign]
