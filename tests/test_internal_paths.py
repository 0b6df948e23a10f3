"""TF1's internal module paths public code imports (``from tensorflow.python.framework import
graph_util``, ``tensorflow.contrib.layers.python.layers.utils``, ``tensorflow.core.framework.graph_pb2``)
resolve, with the import swapped to graphflow, to graphflow's objects; and the functions of their own
(switch/merge, Defun, tensor_util, tf_inspect, inplace_ops) behave as TF1's."""
from __future__ import annotations

import importlib
import inspect
import sys

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need, tf1

# (import path as a script writes it, attribute, what graphflow names it publicly)
SAME = [
    ("graphflow.python.ops.control_flow_ops", "cond", "cond"),
    ("graphflow.python.pywrap_tensorflow", "NewCheckpointReader", "train.NewCheckpointReader"),
    ("graphflow.python.framework.constant_op", "constant", "constant"),
    ("graphflow.python.ops.constant_op", "constant", "constant"),
    ("graphflow.python.framework.graph_util", "convert_variables_to_constants",
     "graph_util.convert_variables_to_constants"),
    ("graphflow.python.framework.graph_util", "extract_sub_graph", "graph_util.extract_sub_graph"),
    ("graphflow.python.framework.graph_util", "remove_training_nodes", "graph_util.remove_training_nodes"),
    ("graphflow.python.graph_util", "convert_variables_to_constants", "graph_util.convert_variables_to_constants"),
    ("graphflow.python.framework.importer", "import_graph_def", "import_graph_def"),
    ("graphflow.python.framework.ops", "add_to_collections", "add_to_collections"),
    ("graphflow.python.framework.ops", "GraphKeys", "GraphKeys"),
    ("graphflow.python.framework.ops", "get_default_graph", "get_default_graph"),
    ("graphflow.python.framework.dtypes", "float32", "float32"),
    ("graphflow.python.framework.tensor_util", "make_tensor_proto", "make_tensor_proto"),
    ("graphflow.python.framework.tensor_util", "MakeNdarray", "make_ndarray"),
    ("graphflow.python.ops.gen_nn_ops", "relu", "nn.relu"),
    ("graphflow.python.ops.gen_math_ops", "tanh", "tanh"),
    ("graphflow.python.ops.gen_array_ops", "reshape", "reshape"),
    ("graphflow.python.util.compat", "as_bytes", "compat.as_bytes"),
    ("graphflow.python.util.compat", "as_str_any", "compat.as_str_any"),
    ("graphflow.python.util.compat", "path_to_str", "compat.path_to_str"),
    ("graphflow.python.training.saver", "Saver", "train.Saver"),
    ("graphflow.python.training.saver", "latest_checkpoint", "train.latest_checkpoint"),
    ("graphflow.python.training.saver", "checkpoint_exists", "train.checkpoint_exists"),
    ("graphflow.python.training.training", "NewCheckpointReader", "train.NewCheckpointReader"),
    ("graphflow.python.client.session", "Session", "Session"),
    ("graphflow.python.client.session", "InteractiveSession", "InteractiveSession"),
    ("graphflow.python.ops.embedding_ops", "embedding_lookup", "nn.embedding_lookup"),
    ("graphflow.python.ops.rnn_cell", "MultiRNNCell", "nn.rnn_cell.MultiRNNCell"),
    ("graphflow.python.ops.rnn_cell", "LSTMCell", "nn.rnn_cell.LSTMCell"),
    ("graphflow.python.framework.sparse_tensor", "SparseTensor", "SparseTensor"),
    ("graphflow.python.framework.test_util", "TensorFlowTestCase", "test.TestCase"),
    ("graphflow.python.platform.googletest", "main", "test.main"),
    ("graphflow.python.training.momentum", "MomentumOptimizer", "train.MomentumOptimizer"),
    ("graphflow.python.training.basic_session_run_hooks", "SecondOrStepTimer", "train.SecondOrStepTimer"),
    ("graphflow.python.layers.utils", "smart_cond", "contrib.framework.smart_cond"),
    ("graphflow.contrib.layers.python.layers.utils", "collect_named_outputs",
     "contrib.layers.utils.collect_named_outputs"),
    ("graphflow.contrib.layers.python.layers.utils", "convert_collection_to_dict",
     "contrib.layers.utils.convert_collection_to_dict"),
    ("graphflow.contrib.layers.python.layers.initializers", "xavier_initializer",
     "contrib.layers.xavier_initializer"),
    ("graphflow.contrib.framework.python.ops", "arg_scope", "contrib.framework.arg_scope"),
    ("graphflow.contrib.framework.python.ops", "add_arg_scope", "contrib.framework.add_arg_scope"),
    ("graphflow.contrib.framework.python.ops.variables", "model_variable", "contrib.framework.model_variable"),
    ("graphflow.contrib.learn.python.learn.monitored_session", "MonitoredSession", "train.MonitoredSession"),
]


def _public(name: str) -> object:
    obj: object = gf
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path,attr,public", SAME, ids=[f"{p}.{a}" for p, a, _ in SAME])
def test_an_internal_path_names_graphflows_object(path: str, attr: str, public: str) -> None:
    package, _, leaf = path.rpartition(".")
    # both ways a script writes it: from the package import the module, and import the module itself
    module = getattr(importlib.import_module(package), leaf, None) or importlib.import_module(path)
    if not isinstance(module, type(sys)):  # contrib.framework.python.ops: the package itself
        module = importlib.import_module(path)
    assert getattr(module, attr) is _public(public)
    assert getattr(importlib.import_module(path), attr) is _public(public)


def test_names_graphflow_lacks_raise_attribute_errors_that_say_so() -> None:
    from graphflow.python.framework import ops
    from graphflow.python.ops import gen_image_ops, lookup_ops
    with pytest.raises(AttributeError, match="graphflow does not provide tf.op_def_registry"):
        ops.op_def_registry  # noqa: B018
    assert gen_image_ops.resize_bilinear is gf.image.resize_bilinear
    with pytest.raises(AttributeError, match="no lookup tables"):
        lookup_ops.index_table_from_tensor  # noqa: B018


def test_framework_ops_module_names_of_its_own() -> None:
    from graphflow.python import tf2
    from graphflow.python.framework import ops
    assert ops.uid() < ops.uid()
    assert ops.RegisterShape("AnyOp")(len) is len  # deprecated in TF1: registers nothing
    assert tf2.enabled() is False


def test_core_protos_are_tensorboards_copies() -> None:
    need("tensorboard")
    from graphflow.core.framework import attr_value_pb2, graph_pb2, node_def_pb2, tensor_pb2, types_pb2
    from graphflow.core.protobuf import config_pb2, rewriter_config_pb2, saver_pb2
    assert graph_pb2.GraphDef is gf.GraphDef and node_def_pb2.NodeDef is gf.NodeDef
    assert attr_value_pb2.AttrValue is gf.AttrValue
    assert tensor_pb2.TensorProto().dtype == types_pb2.DT_INVALID
    assert rewriter_config_pb2.RewriterConfig.ON and config_pb2.GraphOptions and saver_pb2.SaverDef.V2
    import graphflow.core.framework.graph_pb2 as g
    assert g is graph_pb2 and gf.core.framework.graph_pb2 is graph_pb2


def test_flags_module_offers_absls_names() -> None:
    absl_flags = need("absl")
    from graphflow.python.platform import flags
    assert flags.BooleanParser is absl_flags.BooleanParser


# ---- switch / merge -------------------------------------------------------------------------------

def _random_selector(tf: object, cfo: object) -> list:
    """TF-slim's apply_with_random_selector with a fed selector, and the gradient through it."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3])
        sel = tf.placeholder(tf.int32, [])
        funcs = [lambda t, c: t * 2.0, lambda t, c: tf.square(t), lambda t, c: t + float(c)]
        y, index = cfo.merge([funcs[c](cfo.switch(x, tf.equal(sel, c))[1], c) for c in range(3)])
        gx = tf.gradients(tf.reduce_sum(y * y), x)[0]
        xv = np.arange(6, dtype=np.float32).reshape(2, 3)
        with tf.Session() as s:
            return [s.run([y, index, gx], {x: xv, sel: k}) for k in range(3)]


def test_switch_merge_random_selector_matches_tf1() -> None:
    from graphflow.python.ops import control_flow_ops
    ours = _random_selector(gf, control_flow_ops)
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    for k, (y, index, gx) in enumerate(ours):
        want = [xv * 2, xv ** 2, xv + 2][k]
        np.testing.assert_allclose(y, want)
        assert index == k
        np.testing.assert_allclose(gx, [2 * want * 2, 2 * want * 2 * xv, 2 * want][k])
    tf = tf1()
    theirs = _random_selector(tf, importlib.import_module("tensorflow.python.ops.control_flow_ops"))
    for a, b in zip(ours, theirs):
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v)


def test_switch_merge_choose_one_of_two_sides() -> None:
    from graphflow.python.ops import control_flow_ops as cfo
    p = gf.placeholder(gf.bool, [])
    f, t = cfo.switch(gf.constant(3.0), p)
    y, index = cfo.merge([f - 1.0, t + 1.0])
    with gf.Session() as s:
        assert s.run([y, index], {p: True}) == [4.0, 1] and s.run([y, index], {p: False}) == [2.0, 0]


def test_merge_of_tensors_from_no_switch_raises() -> None:
    from graphflow.python.ops import control_flow_ops
    with pytest.raises(ValueError, match="computed from no switch output"):
        control_flow_ops.merge([gf.constant(1.0), gf.constant(2.0)])


def test_with_dependencies_runs_the_dependencies_first() -> None:
    from graphflow.python.ops import control_flow_ops
    v = gf.Variable(1.0)
    y = control_flow_ops.with_dependencies([v.assign(5.0)], gf.constant(2.0), name="after")
    with gf.Session() as s:
        s.run(v.initializer)
        assert s.run(y) == 2.0 and s.run(v) == 5.0
    assert y.op.name == "after"


# ---- Defun -----------------------------------------------------------------------------------------

def _defuns(tf: object, function: object) -> list:
    g = tf.Graph()
    with g.as_default():
        @function.Defun(tf.float32, tf.float32)
        def affine(a, b):
            return a * b + 1.0

        @function.Defun(tf.float32, tf.float32)
        def triple(x, dy):
            return dy * 3.0

        @function.Defun(tf.float32, grad_func=triple)
        def identity_triple_grad(x):
            return tf.identity(x)

        @function.Defun(python_grad_func=lambda op, dy: dy * op.inputs[0])
        def doubled(x):
            return x * 2.0

        x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
        outs = [affine(x, y), identity_triple_grad(x), doubled(y)]
        grads = tf.gradients(tf.add_n([tf.reduce_sum(o) for o in outs]), [x, y])
        with tf.Session() as s:
            return s.run(outs + grads)


def test_defun_builds_its_body_and_its_gradient_functions_match_tf1() -> None:
    from graphflow.python.framework import function
    ours = _defuns(gf, function)
    want = [[4.0, 9.0], [1.0, 2.0], [6.0, 8.0], [3.0 + 3.0, 4.0 + 3.0], [1.0 + 3.0, 2.0 + 4.0]]
    for a, b in zip(ours, want):
        np.testing.assert_allclose(a, b)
    tf = tf1()
    theirs = _defuns(tf, importlib.import_module("tensorflow.python.framework.function"))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b)


def test_defun_converts_to_declared_types_and_checks_the_count() -> None:
    from graphflow.python.framework import function

    @function.Defun(gf.float64)
    def f(a):
        return a * 2

    assert f(gf.constant(1.5, gf.float64)).dtype == gf.float64 and f.name == "f"
    assert f.declared_input_types == (gf.float64,)
    with pytest.raises(ValueError, match="declares 1 inputs"):
        f(1.0, 2.0)


# ---- tensor_util, tensor_shape, tf_inspect, inplace_ops, resources --------------------------------

def test_tensor_util_matches_tf1() -> None:
    need("tensorboard")
    from graphflow.python.framework import tensor_util
    c = gf.constant([[1, 2], [3, 4]])
    np.testing.assert_array_equal(tensor_util.constant_value(gf.transpose(c) * 2), [[2, 6], [4, 8]])
    assert tensor_util.constant_value(gf.placeholder(gf.float32, [2])) is None
    proto = tensor_util.make_tensor_proto(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(tensor_util.MakeNdarray(proto), np.arange(6).reshape(2, 3))
    assert tensor_util.TensorShapeProtoToList(proto.tensor_shape) == [2, 3]
    tf = tf1()
    from tensorflow.python.framework import tensor_util as tu
    # the ops TF1's constant_value folds (graphflow folds any op of constants: where TF1 gives None
    # for ``transpose(c) * 2``, graphflow gives the value)
    for lib, util in ((tf, tu), (gf, tensor_util)):
        with lib.Graph().as_default():
            shape = lib.concat([lib.shape(lib.zeros([2, 3])), [4]], 0)
            stacked = lib.cast(lib.stack([1, 2]), lib.float32)
            np.testing.assert_array_equal(util.constant_value(shape), [2, 3, 4])
            np.testing.assert_array_equal(util.constant_value(stacked), [1.0, 2.0])
            assert util.constant_value(lib.placeholder(lib.float32, [2]) + 1) is None
    assert tu.TensorShapeProtoToList(proto.tensor_shape) == [2, 3]
    np.testing.assert_array_equal(tu.MakeNdarray(proto), tensor_util.MakeNdarray(proto))


def test_tensor_shape_constructors() -> None:
    from graphflow.python.framework import tensor_shape
    assert tensor_shape.scalar().as_list() == [] and tensor_shape.vector(3).as_list() == [3]
    assert tensor_shape.matrix(2, None).as_list() == [2, None]
    assert tensor_shape.unknown_shape().rank is None and tensor_shape.unknown_shape(2).as_list() == [None, None]
    assert tensor_shape.as_dimension(4) == 4 and tensor_shape.as_dimension(None) is None
    assert tensor_shape.dimension_at_index(tensor_shape.matrix(2, 5), 1) == 5


def test_tf_inspect_sees_through_decorators() -> None:
    from graphflow.python.util import tf_inspect

    def f(a, b=2, *rest, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        return a

    spec = tf_inspect.getargspec(f)
    assert spec.args == ["a", "b"] and spec.varargs == "rest" and spec.keywords == "kw" and spec.defaults == (2,)
    assert tf_inspect.getfullargspec(gf.nn.relu).args == inspect.getfullargspec(gf.nn.relu).args
    assert list(tf_inspect.signature(f).parameters) == ["a", "b", "rest", "kw"]
    assert tf_inspect.getcallargs(f, 1) == {"a": 1, "b": 2, "rest": (), "kw": {}}
    assert tf_inspect.isfunction(f) and not tf_inspect.isclass(f)
    with pytest.raises(ValueError, match="keyword-only"):
        tf_inspect.getargspec(lambda *, k: k)


def test_inplace_updates_are_functional() -> None:
    from graphflow.python.ops import inplace_ops
    x = gf.zeros([3, 2])
    y = inplace_ops.alias_inplace_update(x, 1, [5.0, 6.0])
    z = inplace_ops.alias_inplace_add(gf.ones([3, 2]), [0, 2], [[1.0, 1.0], [2.0, 2.0]])
    w = inplace_ops.inplace_update(gf.zeros([2, 2]), None, gf.ones([2, 2]))
    with gf.Session() as s:
        yv, zv, wv, xv = s.run([y, z, w, x])
    np.testing.assert_array_equal(yv, [[0, 0], [5, 6], [0, 0]])
    np.testing.assert_array_equal(zv, [[2, 2], [1, 1], [3, 3]])
    np.testing.assert_array_equal(wv, np.ones((2, 2)))
    np.testing.assert_array_equal(xv, np.zeros((3, 2)))  # x itself is unchanged


def test_resources_group_their_initializers() -> None:
    from graphflow.python.ops import resources
    v = gf.Variable(3.0)
    gf.add_to_collection("resources", v)
    assert resources.shared_resources() == [v] and resources.local_resources() == []
    init = resources.initialize_resources(resources.shared_resources())
    with gf.Session() as s:
        s.run(init)
        assert s.run(v) == 3.0
