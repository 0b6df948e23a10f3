"""The TF1 op -> graphflow translations of ``gf.import_graph_def`` (``IMPORT``: each TF1 op rebuilt
with graphflow's public functions), the node view they read attributes through, and the
``GraphDefError`` every problem with a file raises."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import graphflow
from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.registry import Op, rows
from graphflow.core.shapes import TensorShape
from graphflow.ops import collective_ops, index_ops, shape_ops, state_ops
from graphflow.ops._build import make
from graphflow.ops.conv_ops import PoolAttrs
from graphflow.ops.conv_ops import _avg_pool_grad as _avg_pool_grad_op
from graphflow.ops.slice_ops import masked_key
from graphflow.ops.variables import Variable, _make_output

if TYPE_CHECKING:
    from tensorboard.compat.proto.node_def_pb2 import NodeDef
    from tensorboard.compat.proto.tensor_pb2 import TensorProto

_MAX_CONST_ELEMENTS = 1 << 28  # a Const that claims more elements is refused, not allocated
_TYPES = {1: _dt.float32, 2: _dt.float64, 3: _dt.int32, 4: _dt.uint8, 5: _dt.int16, 6: _dt.int8, 7: _dt.string,
          9: _dt.int64, 10: _dt.bool_, 19: _dt.float16}


class GraphDefError(ValueError):
    """What is wrong with an imported GraphDef, naming the node."""


class Node:
    """One NodeDef being imported: its attributes and its graphflow inputs."""

    def __init__(self, nd: NodeDef, inputs: list[Tensor]) -> None:
        self.nd = nd
        self.name = nd.name
        self.op = nd.op
        self.inputs = inputs

    def has(self, key: str) -> bool:
        return key in self.nd.attr

    def attr(self, key: str, default: object = KeyError) -> Any:
        if key not in self.nd.attr:
            if default is KeyError:
                raise GraphDefError(f"node {self.name!r} ({self.op}) has no attribute {key!r}")
            return default
        a = self.nd.attr[key]
        which = a.WhichOneof("value")
        if which == "type":
            if a.type not in _TYPES:
                raise GraphDefError(f"node {self.name!r} ({self.op}): dtype enum {a.type} is not supported")
            return _TYPES[a.type]
        if which == "list":
            return list(a.list.i) if a.list.i else [_TYPES.get(t) for t in a.list.type] if a.list.type else \
                [x.decode() for x in a.list.s] if a.list.s else list(a.list.f)
        if which == "s":
            return a.s.decode("utf-8", "replace")
        if which == "shape":
            sh = a.shape
            return None if sh.unknown_rank else [None if d.size < 0 else int(d.size) for d in sh.dim]
        if which == "tensor":
            return tensor_value(a.tensor, self)
        return getattr(a, which) if which else default

    def const_input(self, i: int) -> np.ndarray:
        """Input ``i`` as a value known when the graph is built (a Const or a shape expression)."""
        v = static_value(self.inputs[i])
        if v is None:
            raise GraphDefError(f"node {self.name!r} ({self.op}): input {i} ({self.inputs[i].name}) must be known "
                                "when the graph is built; graphflow takes it as an attribute")
        return np.asarray(v)


def tensor_value(tp: TensorProto, where: Node) -> np.ndarray:
    from tensorboard.util import tensor_util
    n = 1
    for d in tp.tensor_shape.dim:
        if d.size < 0:
            raise GraphDefError(f"node {where.name!r}: a constant with a negative dim")
        n *= d.size
    if n > _MAX_CONST_ELEMENTS:
        raise GraphDefError(f"node {where.name!r}: a constant of {n} elements is refused (more than "
                            f"{_MAX_CONST_ELEMENTS})")
    if tp.dtype not in _TYPES:
        raise GraphDefError(f"node {where.name!r}: constant dtype enum {tp.dtype} is not supported")
    try:
        return np.asarray(tensor_util.make_ndarray(tp))
    except Exception as e:  # noqa: BLE001 - any decoding failure is a bad file
        raise GraphDefError(f"node {where.name!r}: malformed constant ({e})") from None


def _parse_input(s: str) -> tuple[str, int, bool]:
    if s.startswith("^"):
        return s[1:], 0, True
    name, _, idx = s.partition(":")
    if idx and not idx.isdigit():
        raise GraphDefError(f"input {s!r} is not 'node', 'node:index' or '^node'")
    return name, int(idx) if idx else 0, False


def _gf() -> Any:
    """The public namespace (``tf.<name>``) TF1 ops are rebuilt through. The package imports this
    module while it is being assembled, so its attributes are looked up at import_graph_def time."""
    return graphflow


Build = Callable[[Node], Any]
IMPORT: dict[str, Build] = {}


def _rule(*ops: str) -> Callable[[Build], Build]:
    def put(fn: Build) -> Build:
        for op in ops:
            IMPORT[op] = fn
        return fn
    return put


def row_rule(tf_op: str) -> Callable[[Node], Tensor] | None:
    """The import of a TF1 op that a registry row names as its one-to-one GraphDef op
    (``OpDef.graphdef``): the primitive's node on the same inputs. The rules in ``IMPORT`` come
    first (they import aliases and ops whose public function does more), so a new elementwise
    primitive is read back from its row alone."""
    op = next((o for o, row in rows().items() if row.graphdef == tf_op), None)
    if op is None:
        return None
    return lambda n: make(op, list(n.inputs), name=n.name)


def _simple(op: str, fn_path: str) -> None:
    def build(n: Node) -> Any:
        obj = _gf()
        for part in fn_path.split("."):
            obj = getattr(obj, part)
        return obj(*n.inputs, name=n.name)
    IMPORT[op] = build


# TF1 ops whose import is a public function: aliases (AddV2, Inv, Mod), composites (Relu6, Elu,
# SquaredDifference, ...) and ops without a row of their own. An op that a registry row names as
# its one-to-one GraphDef op needs no entry: ``row_rule`` builds it from the row.
for _op, _fn in {"Inv": "reciprocal", "Round": "round", "LogicalNot": "logical_not", "Relu6": "nn.relu6",
                 "Elu": "nn.elu", "Selu": "nn.selu", "Softplus": "nn.softplus", "AddV2": "add",
                 "Mod": "truncatemod", "SquaredDifference": "squared_difference", "LogicalAnd": "logical_and",
                 "LogicalOr": "logical_or", "ZerosLike": "zeros_like", "OnesLike": "ones_like", "SelectV2": "where",
                 "L2Loss": "nn.l2_loss", "BroadcastTo": "broadcast_to", "CheckNumerics": None}.items():
    if _fn:
        _simple(_op, _fn)


@_rule("Div")
def _div(n: Node) -> Any:
    """TF1's Div op (the kernel, not tf.div): C's division, truncating for integers."""
    if n.inputs[0].dtype.is_floating:
        return _gf().realdiv(n.inputs[0], n.inputs[1], name=n.name)
    return _gf().truncatediv(n.inputs[0], n.inputs[1], name=n.name)


@_rule("Placeholder")
def _placeholder(n: Node) -> Any:
    return _gf().placeholder(n.attr("dtype"), n.attr("shape", None), name=n.name)


@_rule("PlaceholderWithDefault")
def _placeholder_default(n: Node) -> Any:
    return _gf().placeholder_with_default(n.inputs[0], n.attr("shape", None), name=n.name)


@_rule("Const")
def _const(n: Node) -> Any:
    value = n.attr("value")
    dt = n.attr("dtype", None)
    return _gf().constant(value, dtype=dt, name=n.name)


@_rule("VariableV2", "Variable")
def _variable(n: Node) -> Any:
    """A variable node of the file: no initializer of its own (the file's ``<name>/Assign``
    becomes it) and in no collection, as TF1 imports it."""
    shape = n.attr("shape")
    if shape is None or None in shape:
        raise GraphDefError(f"variable {n.name!r} needs a fully defined shape, got {shape}")
    g = get_default_graph()
    with g.control_dependencies(None):
        node = g.add_node(Op.VARIABLE, [], state_ops.SourceAttrs(n.attr("dtype"), TensorShape(shape),
                                                                 state_ops._next_uid()),
                          name=n.name, output_type=_make_output)
    var = node.outputs[0]
    var.initial_value, var.trainable, var.initializer = None, True, None
    return var


@_rule("Assign", "AssignAdd", "AssignSub")
def _assign(n: Node) -> Any:
    var = _variable_of(n, n.inputs[0])
    value = n.inputs[1]
    if n.op == "Assign":
        out = var.assign(value, name=n.name)
        if n.name == _parse_input(n.nd.input[0])[0] + "/Assign" and var.initializer is None:
            var.initializer = out.node  # TF1's (and graphflow's) initializer naming
        return out
    return (var.assign_add if n.op == "AssignAdd" else var.assign_sub)(value)


def _variable_of(n: Node, t: Tensor) -> Any:
    if not isinstance(t, Variable):
        raise GraphDefError(f"node {n.name!r} ({n.op}) assigns {t.name}, which is not a variable")
    return t


@_rule("NoOp")
def _no_op(n: Node) -> Any:
    return _gf().no_op(name=n.name)


@_rule("Assert")
def _assert(n: Node) -> Any:
    return _gf().no_op(name=n.name)  # TF1's data checks: graphflow's ops check what they read


IMPORT["CheckNumerics"] = lambda n: _gf().check_numerics(n.inputs[0], n.attr("message", ""), name=n.name)


@_rule("Cast")
def _cast(n: Node) -> Any:
    return _gf().cast(n.inputs[0], n.attr("DstT"), name=n.name)


@_rule("Select")
def _select(n: Node) -> Any:
    c, x, y = n.inputs
    if c.shape.rank == 1 and x.shape.rank not in (None, 1):  # TF1's Select picks rows
        c = _gf().reshape(c, [-1] + [1] * (x.shape.rank - 1))
    return _gf().where(c, x, y, name=n.name)


@_rule("AddN")
def _add_n(n: Node) -> Any:
    return _gf().add_n(n.inputs, name=n.name)


@_rule("LeakyRelu")
def _leaky(n: Node) -> Any:
    return _gf().nn.leaky_relu(n.inputs[0], alpha=n.attr("alpha", 0.2), name=n.name)


@_rule("Softmax", "LogSoftmax")
def _softmax(n: Node) -> Any:
    fn = _gf().nn.softmax if n.op == "Softmax" else _gf().nn.log_softmax
    return fn(n.inputs[0], name=n.name)


@_rule("BiasAdd", "BiasAddV1")
def _bias_add(n: Node) -> Any:
    return _gf().nn.bias_add(n.inputs[0], n.inputs[1], data_format=n.attr("data_format", "NHWC"), name=n.name)


@_rule("MatMul")
def _matmul(n: Node) -> Any:
    return _gf().matmul(n.inputs[0], n.inputs[1], transpose_a=n.attr("transpose_a", False),
                        transpose_b=n.attr("transpose_b", False), name=n.name)


@_rule("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul(n: Node) -> Any:
    return _gf().matmul(n.inputs[0], n.inputs[1], adjoint_a=n.attr("adj_x", False), adjoint_b=n.attr("adj_y", False),
                        name=n.name)


def _conv_padding(n: Node) -> Any:
    pad = n.attr("padding")
    if pad == "EXPLICIT":
        p = n.attr("explicit_paddings")
        return [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]], [p[6], p[7]]]
    return pad


@_rule("Conv2D")
def _conv2d(n: Node) -> Any:
    return _gf().nn.conv2d(n.inputs[0], n.inputs[1], n.attr("strides"), _conv_padding(n),
                           data_format=n.attr("data_format", "NHWC"), dilations=n.attr("dilations", [1, 1, 1, 1]),
                           name=n.name)


@_rule("DepthwiseConv2dNative")
def _depthwise(n: Node) -> Any:
    return _gf().nn.depthwise_conv2d(n.inputs[0], n.inputs[1], n.attr("strides"), n.attr("padding"),
                                     data_format=n.attr("data_format", "NHWC"),
                                     dilations=n.attr("dilations", [1, 1, 1, 1])[1:3], name=n.name)


@_rule("Conv2DBackpropInput")
def _conv2d_bi(n: Node) -> Any:
    return _gf().nn.conv2d_backprop_input(n.inputs[0], n.inputs[1], n.inputs[2], n.attr("strides"),
                                          _conv_padding(n), data_format=n.attr("data_format", "NHWC"),
                                          dilations=n.attr("dilations", [1, 1, 1, 1]), name=n.name)


@_rule("Conv2DBackpropFilter")
def _conv2d_bf(n: Node) -> Any:
    return _gf().nn.conv2d_backprop_filter(n.inputs[0], n.inputs[1], n.inputs[2], n.attr("strides"),
                                           _conv_padding(n), data_format=n.attr("data_format", "NHWC"),
                                           dilations=n.attr("dilations", [1, 1, 1, 1]), name=n.name)


@_rule("MaxPool", "AvgPool")
def _pool(n: Node) -> Any:
    fn = _gf().nn.max_pool if n.op == "MaxPool" else _gf().nn.avg_pool
    return fn(n.inputs[0], n.attr("ksize"), n.attr("strides"), n.attr("padding"),
              data_format=n.attr("data_format", "NHWC"), name=n.name)


def _pool_attrs(n: Node) -> Any:
    if n.attr("data_format", "NHWC") != "NHWC":
        raise GraphDefError(f"node {n.name!r} ({n.op}): only NHWC pooling gradients are supported")
    k, s = n.attr("ksize"), n.attr("strides")
    return PoolAttrs((k[1], k[2]), (s[1], s[2]), n.attr("padding"))


@_rule("MaxPoolGrad")
def _max_pool_grad(n: Node) -> Any:
    return make(Op.MAX_POOL_GRAD, [n.inputs[0], n.inputs[2]], _pool_attrs(n), name=n.name)


@_rule("AvgPoolGrad")
def _avg_pool_grad(n: Node) -> Any:
    return _avg_pool_grad_op(n.inputs[0], n.inputs[1], _pool_attrs(n))


@_rule("Reshape")
def _reshape(n: Node) -> Any:
    v = static_value(n.inputs[1])
    return _gf().reshape(n.inputs[0], [int(d) for d in v] if v is not None else n.inputs[1], name=n.name)


@_rule("Transpose")
def _transpose(n: Node) -> Any:
    return _gf().transpose(n.inputs[0], n.inputs[1], name=n.name)


@_rule("ConcatV2")
def _concat(n: Node) -> Any:
    return _gf().concat(n.inputs[:-1], n.inputs[-1], name=n.name)


@_rule("Concat")
def _concat_v1(n: Node) -> Any:
    return _gf().concat(n.inputs[1:], n.inputs[0], name=n.name)


@_rule("Pack")
def _pack(n: Node) -> Any:
    return _gf().stack(n.inputs, axis=n.attr("axis", 0), name=n.name)


@_rule("Unpack")
def _unpack(n: Node) -> Any:
    return _gf().unstack(n.inputs[0], num=n.attr("num", None), axis=n.attr("axis", 0), name=n.name)


def _slice_key(n: Node, begin: np.ndarray, end: np.ndarray, strides: np.ndarray) -> tuple:
    return masked_key(begin, end, strides, n.attr("begin_mask", 0), n.attr("end_mask", 0), n.attr("ellipsis_mask", 0),
                      n.attr("new_axis_mask", 0), n.attr("shrink_axis_mask", 0))


@_rule("StridedSlice")
def _strided_slice(n: Node) -> Any:
    return _gf().strided_slice(*n.inputs[:4], begin_mask=n.attr("begin_mask", 0), end_mask=n.attr("end_mask", 0),
                               ellipsis_mask=n.attr("ellipsis_mask", 0), new_axis_mask=n.attr("new_axis_mask", 0),
                               shrink_axis_mask=n.attr("shrink_axis_mask", 0), name=n.name)


@_rule("StridedSliceGrad")
def _strided_slice_grad(n: Node) -> Any:
    """The gradient of the slice of a stand-in of the given shape, for the incoming ``dy``."""
    like = _gf().zeros(n.inputs[0], dtype=n.inputs[4].dtype)
    part = like[_slice_key(n, n.const_input(1), n.const_input(2), n.const_input(3))]
    return _gf().identity(_gf().gradients(part, like, grad_ys=n.inputs[4])[0], name=n.name)


@_rule("Slice")
def _slice(n: Node) -> Any:
    return _gf().slice(n.inputs[0], n.inputs[1], n.inputs[2], name=n.name)


@_rule("Squeeze")
def _squeeze(n: Node) -> Any:
    dims = n.attr("squeeze_dims", None) or None
    return _gf().squeeze(n.inputs[0], dims, name=n.name)


@_rule("ExpandDims")
def _expand_dims(n: Node) -> Any:
    return _gf().expand_dims(n.inputs[0], n.inputs[1], name=n.name)


@_rule("Shape")
def _shape(n: Node) -> Any:
    return _gf().shape(n.inputs[0], out_type=n.attr("out_type", _dt.int32), name=n.name)


@_rule("Size")
def _size(n: Node) -> Any:
    return _gf().size(n.inputs[0], out_type=n.attr("out_type", _dt.int32), name=n.name)


@_rule("Rank")
def _rank(n: Node) -> Any:
    return _gf().rank(n.inputs[0], name=n.name)


@_rule("Fill")
def _fill(n: Node) -> Any:
    v = static_value(n.inputs[0])
    return _gf().fill([int(d) for d in v] if v is not None else n.inputs[0], n.inputs[1], name=n.name)


@_rule("Range")
def _range(n: Node) -> Any:
    return _gf().range(n.inputs[0], n.inputs[1], n.inputs[2], dtype=n.attr("Tidx", None), name=n.name)


_REDUCE = {"Sum": "reduce_sum", "Mean": "reduce_mean", "Max": "reduce_max", "Min": "reduce_min",
           "Prod": "reduce_prod", "Any": "reduce_any", "All": "reduce_all"}


def _reduce(n: Node) -> Any:
    fn = getattr(_gf(), _REDUCE[n.op])
    return fn(n.inputs[0], axis=n.inputs[1], keepdims=n.attr("keep_dims", False), name=n.name)


for _op in _REDUCE:
    IMPORT[_op] = _reduce


@_rule("ArgMax", "ArgMin")
def _arg(n: Node) -> Any:
    fn = _gf().argmax if n.op == "ArgMax" else _gf().argmin
    return fn(n.inputs[0], n.inputs[1], output_type=n.attr("output_type", _dt.int64), name=n.name)


@_rule("Pad", "PadV2", "MirrorPad")
def _pad(n: Node) -> Any:
    if n.op == "MirrorPad":
        return _gf().pad(n.inputs[0], n.inputs[1], mode=n.attr("mode"), name=n.name)
    return _gf().pad(n.inputs[0], n.inputs[1], constant_values=n.inputs[2] if n.op == "PadV2" else 0, name=n.name)


@_rule("Tile")
def _tile(n: Node) -> Any:
    return _gf().tile(n.inputs[0], n.inputs[1], name=n.name)


@_rule("GatherV2", "Gather")
def _gather(n: Node) -> Any:
    axis = n.inputs[2] if n.op == "GatherV2" else 0
    return _gf().gather(n.inputs[0], n.inputs[1], axis=axis, batch_dims=n.attr("batch_dims", 0), name=n.name)


@_rule("Split")
def _split(n: Node) -> Any:
    return _gf().split(n.inputs[1], n.attr("num_split"), axis=n.inputs[0], name=n.name)


@_rule("SplitV")
def _split_v(n: Node) -> Any:
    return _gf().split(n.inputs[0], n.inputs[1], axis=n.inputs[2], num=n.attr("num_split", None), name=n.name)


@_rule("ReverseV2")
def _reverse(n: Node) -> Any:
    return _gf().reverse(n.inputs[0], n.inputs[1], name=n.name)


@_rule("Roll")
def _roll(n: Node) -> Any:
    return _gf().roll(n.inputs[0], n.inputs[1], n.inputs[2], name=n.name)


@_rule("Cumsum", "Cumprod")
def _cumulative(n: Node) -> Any:
    fn = _gf().cumsum if n.op == "Cumsum" else _gf().cumprod
    return fn(n.inputs[0], n.inputs[1], exclusive=n.attr("exclusive", False), reverse=n.attr("reverse", False),
              name=n.name)


@_rule("TopKV2", "TopK")
def _top_k(n: Node) -> Any:
    """TF1's top_k; k equal to the whole last dim (how graphflow exports a sort) where that dim is
    known only when run."""
    x = n.inputs[0]
    k = n.attr("k") if n.op == "TopK" else static_value(n.inputs[1])
    if k is not None and x.shape.rank and x.shape.as_list()[-1] is not None:
        return list(_gf().nn.top_k(x, int(k), sorted=n.attr("sorted", True), name=n.name))
    whole = n.op == "TopKV2" and x.shape.rank and shape_ops.dims_named(n.inputs[1]) == [(x, x.shape.rank - 1)]
    if not whole:
        raise GraphDefError(f"node {n.name!r} ({n.op}): top_k needs k and the last dim of {x.name} known when the "
                            "graph is built, or k equal to that dim")
    order = index_ops.sort_indices(x, name=n.name)
    return [index_ops.take_along_axis(x, order, -1), order]


@_rule("HorovodAllreduce", "HorovodAllgather", "HorovodBroadcast")
def _collective(n: Node) -> Any:
    if n.op == "HorovodAllreduce":
        if n.attr("reduce_op", 1) not in (0, 1):
            raise GraphDefError(f"node {n.name!r}: HorovodAllreduce reduce_op {n.attr('reduce_op')} is not Average (0) "
                                "or Sum (1)")
        pre, post = float(n.attr("prescale_factor", 1.0)), float(n.attr("postscale_factor", 1.0))
        x = n.inputs[0] if pre == 1.0 else n.inputs[0] * pre
        out = collective_ops.allreduce(x, average=n.attr("reduce_op", 1) == 0, name=n.name)
        return out if post == 1.0 else out * post
    if n.op == "HorovodAllgather":
        return collective_ops.allgather(n.inputs[0], name=n.name)
    return collective_ops.broadcast(n.inputs[0], n.attr("root_rank", 0), name=n.name)


@_rule("OneHot")
def _one_hot(n: Node) -> Any:
    return _gf().one_hot(n.inputs[0], int(n.const_input(1)), on_value=n.const_input(2).item(),
                         off_value=n.const_input(3).item(), axis=n.attr("axis", -1), dtype=n.attr("T"), name=n.name)


@_rule("SoftmaxCrossEntropyWithLogits")
def _xent(n: Node) -> Any:
    logits, labels = n.inputs
    loss = _gf().nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, name=n.name)
    return [loss, _gf().nn.softmax(logits) - labels]


@_rule("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(n: Node) -> Any:
    logits, labels = n.inputs
    loss = _gf().nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name=n.name)
    depth = logits.shape.as_list()[-1]
    return [loss, _gf().nn.softmax(logits) - _gf().one_hot(labels, depth, dtype=logits.dtype)]


@_rule("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _fused_bn(n: Node) -> Any:
    x, scale, offset, mean, var = n.inputs[:5]
    training = n.attr("is_training", True)
    y, m, v = _gf().nn.fused_batch_norm(x, scale, offset, None if training else mean, None if training else var,
                                        epsilon=n.attr("epsilon", 1e-3), data_format=n.attr("data_format", "NHWC"),
                                        is_training=training, name=n.name)
    return [y, m, v, m, v, m]
