"""TF1's small namespaces and top-level utilities: tf.compat, tf.dtypes, tf.graph_util, the
gradient registry, get_seed, TensorProtos, make_template, recompute_grad, grad_pass_through and
timestamp; each checked against numpy or its own definition, and against TF1 where TensorFlow
is installed (tf.debugging's: tests/test_tf1_debugging.py)."""
from __future__ import annotations

import pathlib
import sys
import time

import numpy as np
import pytest

import graphflow as gf
from tests.optional import missing, tf1

# ---- tf.compat --------------------------------------------------------------------------------------


def test_compat_strings_and_types() -> None:
    c = gf.compat
    assert c.v1 is gf and c.as_bytes("hé") == "hé".encode() and c.as_bytes(bytearray(b"x")) == b"x"
    assert c.as_str(b"abc") == "abc" and c.as_text("abc") == "abc" and c.as_str is c.as_text
    assert c.as_str_any(b"a") == "a" and c.as_str_any(3) == "3"
    assert c.path_to_str(pathlib.Path("/a/b")) == "/a/b" and c.path_to_str(5) == 5
    for bad in (1, None):
        with pytest.raises(TypeError, match="Expected binary or unicode string"):
            c.as_bytes(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="Expected binary or unicode string"):
            c.as_text(bad)  # type: ignore[arg-type]
    assert isinstance(np.int32(1), c.integral_types) and not isinstance(1.5, c.integral_types)
    assert isinstance(np.float32(1), c.real_types) and isinstance(1j, c.complex_types)
    assert c.bytes_or_text_types == (bytes, str)
    shape = gf.placeholder(gf.float32, [None, 3]).shape
    assert c.dimension_value(shape[1]) == 3 and c.dimension_at_index(shape, 0) is None
    from graphflow.compat import as_bytes  # a module path, as TF's
    assert as_bytes is c.as_bytes


def test_compat_forward_compatibility_window() -> None:
    c = gf.compat
    assert c.forward_compatible(2026, 1, 15) and not c.forward_compatible(2026, 1, 16)
    with c.forward_compatibility_horizon(2027, 3, 1):
        assert c.forward_compatible(2027, 2, 28) and not c.forward_compatible(2027, 3, 1)
    assert not c.forward_compatible(2026, 6, 1)
    with c.forward_compatibility_horizon(2020, 1, 1):  # the past is ignored, as TF ignores it
        assert c.forward_compatible(2026, 1, 15)


def test_compat_against_tf1() -> None:
    tf = tf1()
    for v in ("x", b"y", bytearray(b"z")):
        assert gf.compat.as_bytes(v) == tf.compat.as_bytes(v)
    assert gf.compat.as_str_any(b"q") == tf.compat.as_str_any(b"q")
    for date in ((2025, 12, 1), (2026, 1, 15), (2026, 1, 16), (2026, 3, 1)):
        assert gf.compat.forward_compatible(*date) == tf.compat.forward_compatible(*date), date


# ---- tf.dtypes ----------------------------------------------------------------------------------------


def test_dtypes_namespace() -> None:
    d = gf.dtypes
    assert d.bool is gf.bool and d.double is gf.float64 and d.half is gf.float16 and d.as_dtype("float") is gf.float32
    x = gf.constant([1.7, -300.0, 300.0])
    with gf.Session() as sess:
        c, s, txt = sess.run([d.cast(x, d.int32), d.saturate_cast(x, gf.uint8), d.as_string(x, precision=1)])
    np.testing.assert_array_equal(c, [1, -300, 300])
    np.testing.assert_array_equal(s, [1, 0, 255])
    assert txt.tolist() == [b"1.7", b"-300.0", b"300.0"]
    from graphflow.dtypes import float32  # the namespace is a module
    assert float32 is gf.float32


def test_dtypes_against_tf1() -> None:
    tf = tf1()
    values = [1.7, -300.0, 300.0, 65000.5]
    results = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            x = lib.constant(values)
            fetches = [lib.dtypes.cast(x, lib.dtypes.int32), lib.dtypes.saturate_cast(x, lib.dtypes.uint8),
                       lib.dtypes.saturate_cast(x, lib.dtypes.int16), lib.dtypes.cast(x, lib.dtypes.half),
                       lib.dtypes.as_string(x, precision=2)]
            with lib.Session() as sess:
                results.append(sess.run(fetches))
    for ours, theirs in zip(*results):
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    assert gf.dtypes.double.name == tf.dtypes.double.name and gf.dtypes.bool.name == tf.dtypes.bool.name


# ---- tf.graph_util ----------------------------------------------------------------------------------


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_graph_util_names() -> None:
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        gf.identity(x, name="out")
        i = gf.constant(1, name="i")
        f = gf.constant(1.0, name="f")
        cast = gf.cast(i, gf.float32)
        v = gf.Variable([1.0], name="v")
        add = v.assign_add([1.0])
    gu = gf.graph_util
    assert gu.tensor_shape_from_node_def_name(g, "out").as_list() == [None, 4]
    assert gu.tensor_shape_from_node_def_name(g, "x:0").as_list() == [None, 4]
    assert gu.import_graph_def is gf.import_graph_def
    assert gu.must_run_on_cpu(i.op) and not gu.must_run_on_cpu(f.op) and gu.must_run_on_cpu(cast.op)
    assert not gu.must_run_on_cpu(v.op) and gu.must_run_on_cpu(v.op, pin_variables_on_cpu=True)
    assert gu.must_run_on_cpu(add.op, pin_variables_on_cpu=True)
    gd = g.as_graph_def()
    by_name = {n.name: n for n in gd.node}
    assert gu.must_run_on_cpu(by_name["i"]) and not gu.must_run_on_cpu(by_name["f"])
    with gf.Graph().as_default() as g2:  # import_graph_def through the namespace
        (out,) = gu.import_graph_def(gd, return_elements=["out:0"], name="")
        assert out.graph is g2 and out.shape.as_list() == [None, 4]


def test_must_run_on_cpu_against_tf1() -> None:
    tf = tf1()
    from tensorflow.core.framework import node_def_pb2
    with gf.Graph().as_default() as g:
        gf.constant(1, name="i")
        gf.constant(1.0, name="f")
        gf.constant("s", name="s")
        gf.Variable([1.0], name="v")
    for nd in g.as_graph_def().node:
        theirs = node_def_pb2.NodeDef.FromString(nd.SerializeToString())
        for pin in (False, True):
            assert gf.graph_util.must_run_on_cpu(nd, pin) == tf.graph_util.must_run_on_cpu(theirs, pin), nd.name


# ---- gradients: the registry, grad_pass_through, recompute_grad ------------------------------------


def test_register_gradient_with_override_map() -> None:
    @gf.RegisterGradient("TestUtilitiesClipGrad")
    def _clip(op: gf.Operation, grad: gf.Tensor) -> gf.Tensor:
        return gf.clip_by_value(grad, -0.5, 0.5)

    gf.NotDifferentiable("TestUtilitiesNoGrad")
    with pytest.raises(KeyError, match="Registering two gradient"):
        gf.RegisterGradient("TestUtilitiesClipGrad")
    with pytest.raises(KeyError, match="Registering two gradient"):
        gf.RegisterGradient("Square")  # graphflow's own op type has its gradient
    x = gf.constant([1.0, -2.0, 3.0])
    g = gf.get_default_graph()
    with g.gradient_override_map({"Identity": "TestUtilitiesClipGrad", "Square": "TestUtilitiesNoGrad"}):
        y = gf.identity(x * 3.0)
        sq = gf.square(x)
    plain = gf.identity(x * 3.0)
    (gy,) = gf.gradients(y, [x], grad_ys=gf.constant([1.0, -2.0, 0.25]))
    (gp,) = gf.gradients(plain, [x], grad_ys=gf.constant([1.0, -2.0, 0.25]))
    assert gf.gradients(sq, [x]) == [None]
    (both,) = gf.gradients(sq + x, [x])
    with gf.Session() as sess:
        np.testing.assert_allclose(sess.run(gy), [1.5, -1.5, 0.75])
        np.testing.assert_allclose(sess.run(gp), [3.0, -6.0, 0.75])
        np.testing.assert_allclose(sess.run(both), [1.0, 1.0, 1.0])
    with g.gradient_override_map({"Neg": "TestUtilitiesUnregistered"}):
        z = gf.negative(x)
    with pytest.raises(LookupError, match="TestUtilitiesUnregistered"):
        gf.gradients(z, [x])
    assert gf.no_gradient is gf.NotDifferentiable and gf.NoGradient is gf.NotDifferentiable


def test_register_gradient_against_tf1() -> None:
    tf = tf1()
    results = []
    for lib, tag in ((gf, "GfUtilitiesSignSTE"), (tf, "TfUtilitiesSignSTE")):
        with lib.Graph().as_default() as g:
            @lib.RegisterGradient(tag)
            def _ste(op, grad):  # type: ignore[no-untyped-def]
                return grad * 2.0 * op.inputs[0]
            x = lib.constant([0.5, -1.5, 2.0])
            with g.gradient_override_map({"Sign": tag}):
                y = lib.sign(x)
            (gx,) = lib.gradients(lib.reduce_sum(y * [1.0, 2.0, 3.0]), [x])
            with lib.Session() as sess:
                results.append(sess.run(gx))
    np.testing.assert_allclose(results[0], results[1])


def test_override_with_a_builtin_gradient_is_the_straight_through_estimator() -> None:
    results = []
    for lib in (gf, *([tf1()] if not missing("tensorflow") else [])):
        with lib.Graph().as_default() as g:
            x = lib.constant([0.5, -1.5, 2.0])
            with g.gradient_override_map({"Sign": "Identity", "Round": "Identity"}):
                y = lib.sign(x) + lib.round(x * 3.0)
            (gx,) = lib.gradients(lib.reduce_sum(y * [1.0, 2.0, 3.0]), [x])
            with lib.Session() as sess:
                results.append(sess.run(gx))
    np.testing.assert_allclose(results[0], [4.0, 8.0, 12.0])  # Identity's gradient through both
    for other in results[1:]:  # TF1's, where TensorFlow is installed
        np.testing.assert_allclose(other, results[0])


def test_gradient_override_reaches_into_control_flow() -> None:
    @gf.RegisterGradient("TestUtilitiesHalfSquare")
    def _half(op: gf.Operation, grad: gf.Tensor) -> gf.Tensor:
        return grad * op.inputs[0]

    x = gf.constant(3.0)
    with gf.get_default_graph().gradient_override_map({"Square": "TestUtilitiesHalfSquare"}):
        _, r = gf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, gf.square(v)), [0, x])
        c = gf.cond(x > 0, lambda: gf.square(x), lambda: x)
    (gr,) = gf.gradients(r, [x])
    (gc,) = gf.gradients(c, [x])
    with gf.Session() as sess:
        assert sess.run([r, gr, gc]) == [81.0, 27.0, 3.0]  # TF1's control flow (v1) gives these too


def test_gradient_override_in_control_flow_against_tf1() -> None:
    tf = tf1()
    tf.disable_control_flow_v2()  # TF 1.15's loops and conds, whose nodes the override scope reaches
    try:
        with tf.Graph().as_default() as g:
            tf.RegisterGradient("TfUtilitiesHalfSquare")(lambda op, grad: grad * op.inputs[0])
            x = tf.constant(3.0)
            with g.gradient_override_map({"Square": "TfUtilitiesHalfSquare"}):
                _, r = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, tf.square(v)), [0, x])
                c = tf.cond(x > 0, lambda: tf.square(x), lambda: x)
            (gr,) = tf.gradients(r, [x])
            (gc,) = tf.gradients(c, [x])
            with tf.Session() as sess:
                assert sess.run([r, gr, gc]) == [81.0, 27.0, 3.0]
    finally:
        tf.enable_control_flow_v2()


def test_grad_pass_through() -> None:
    x = gf.constant([0.4, 1.6, -2.3])
    y = gf.grad_pass_through(gf.round)(x)
    (gx,) = gf.gradients(gf.reduce_sum(y * [1.0, 2.0, 3.0]), [x])
    with gf.Session() as sess:
        yv, gv = sess.run([y, gx])
    np.testing.assert_allclose(yv, [0.0, 2.0, -2.0])
    np.testing.assert_allclose(gv, [1.0, 2.0, 3.0])


def test_grad_pass_through_against_tf1() -> None:
    tf = tf1()
    results = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            x = lib.constant([0.4, 1.6, -2.3])
            y = lib.grad_pass_through(lambda t, lib=lib: lib.round(t) * 2.0)(x)
            (gx,) = lib.gradients(lib.reduce_sum(y * [1.0, 2.0, 3.0]), [x])
            with lib.Session() as sess:
                results.append(sess.run([y, gx]))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


def test_assert_shapes_of_sparse_tensors() -> None:
    sp = gf.sparse_placeholder(gf.float32, shape=[None, 4])
    dense = gf.placeholder(gf.float32, [None])
    op = gf.debugging.assert_shapes([(sp, ("N", 4)), (dense, ("N",))])
    value = gf.SparseTensorValue(indices=np.array([[0, 1]]), values=np.array([1.0], np.float32),
                                 dense_shape=np.array([3, 4]))
    with gf.Session() as sess:
        sess.run(op, {sp: value, dense: np.zeros(3)})
        with pytest.raises(gf.errors.InvalidArgumentError, match="dimension"):
            sess.run(op, {sp: value, dense: np.zeros(2)})


def test_recompute_grad_gives_exact_gradients_for_inputs_and_variables() -> None:
    w = gf.Variable([[0.5, -1.0], [2.0, 0.25]], name="w")

    def block(h: gf.Tensor) -> gf.Tensor:
        return gf.tanh(gf.matmul(h, w)) * h

    x = gf.constant([[0.3, -0.7], [1.1, 0.2]])
    fast = gf.recompute_grad(block)(x)
    slow = block(x)
    g_fast = gf.gradients(gf.reduce_sum(fast * fast), [x, w])
    g_slow = gf.gradients(gf.reduce_sum(slow * slow), [x, w])
    n_before = len(gf.get_default_graph().get_operations())
    assert all(g is not None for g in g_fast)
    with gf.Session() as sess:
        sess.run(w.initializer)
        values_fast, values_slow = sess.run([[fast, *g_fast], [slow, *g_slow]])
    for a, b in zip(values_fast, values_slow):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert n_before > 0
    tanh_nodes = [n for n in gf.get_default_graph().get_operations() if n.type == "Tanh"]
    assert len(tanh_nodes) == 3  # the forward, the plain copy, and the recomputation in the gradient


def test_recompute_grad_against_tf1() -> None:
    tf = tf1()
    results = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            x = lib.constant([[0.3, -0.7], [1.1, 0.2]])
            y = lib.recompute_grad(lambda h, lib=lib: lib.tanh(h) * h)(x)
            (gx,) = lib.gradients(lib.reduce_sum(y * y), [x])
            with lib.Session() as sess:
                results.append(sess.run([y, gx]))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_recompute_grad_reuses_get_variable_variables() -> None:
    def layer(h: gf.Tensor) -> gf.Tensor:
        w = gf.get_variable("w", [2, 2], initializer=gf.constant_initializer([[1.0, 2.0], [-1.0, 0.5]]))
        return gf.nn.relu(gf.matmul(h, w))

    x = gf.constant([[1.0, 1.0], [0.5, -2.0]])
    with gf.variable_scope("block"):
        y = gf.recompute_grad(layer)(x)
    (w,) = gf.trainable_variables()
    gx, gw = gf.gradients(gf.reduce_sum(y * y), [x, w])
    assert len(gf.trainable_variables()) == 1 and w.name == "block/w:0"
    with gf.Session() as sess:
        sess.run(w.initializer)
        wv, xv = sess.run(w), sess.run(x)
        h = np.maximum(xv @ wv, 0.0)
        np.testing.assert_allclose(sess.run(gw), xv.T @ (2 * h * (h > 0)), rtol=1e-6)
        np.testing.assert_allclose(sess.run(gx), (2 * h * (h > 0)) @ wv.T, rtol=1e-6)


# ---- random seeds, TensorProtos, conversions, templates, timestamp ----------------------------------


def test_get_seed_follows_tf1_rules() -> None:
    assert gf.get_seed(None) == (None, None) and gf.random.get_seed is gf.get_seed
    assert gf.get_seed(7) == (87654321, 7)
    gf.set_random_seed(5)
    graph_seed, op_seed = gf.get_seed(None)
    assert graph_seed == 5 and isinstance(op_seed, int)
    assert gf.get_seed(11) == (5, 11)
    gf.set_random_seed(0)
    assert gf.get_seed(0) == (0, 2**31 - 1)
    assert gf.get_seed(2**31 + 3) == (0, 4)  # modulo 2**31 - 1, as TF1


def test_get_seed_against_tf1() -> None:
    tf = tf1()
    for graph_seed, op_seed in ((None, None), (None, 7), (3, 9), (0, 0), (2**33 + 1, 2**31 + 5)):
        with gf.Graph().as_default(), tf.Graph().as_default():
            if graph_seed is not None:
                gf.set_random_seed(graph_seed)
                tf.set_random_seed(graph_seed)
            assert gf.get_seed(op_seed) == tf.get_seed(op_seed), (graph_seed, op_seed)


@pytest.mark.needs("tensorboard")  # TF's protobuf messages
def test_make_tensor_proto_and_make_ndarray() -> None:
    for value, dtype in (([[1.0, 2.0], [3.0, 4.0]], gf.float32), ([1, 2, 3], gf.int64), (b"ab", gf.string),
                         (np.arange(6, dtype=np.int32).reshape(2, 3), None)):
        tp = gf.make_tensor_proto(value, dtype=dtype)
        back = gf.make_ndarray(tp)
        np.testing.assert_array_equal(back, np.asarray(value))
        if dtype is not None and dtype is not gf.string:
            assert back.dtype == dtype.np
    filled = gf.make_ndarray(gf.make_tensor_proto(2.5, shape=[2, 2]))
    np.testing.assert_array_equal(filled, np.full((2, 2), 2.5, np.float32))
    with pytest.raises(TypeError, match="graph tensor"):
        gf.make_tensor_proto(gf.constant(1.0))


def test_make_tensor_proto_against_tf1() -> None:
    tf = tf1()
    for value, dtype in (([[1.0, 2.0]], "float32"), ([1, 2], "int32"), (3.5, "float64"), ([True, False], "bool")):
        ours = gf.make_tensor_proto(value, dtype=dtype)
        theirs = tf.make_tensor_proto(value, dtype=dtype)
        np.testing.assert_array_equal(gf.make_ndarray(ours), tf.make_ndarray(theirs))
        assert ours.SerializeToString() == theirs.SerializeToString()


def test_convert_to_tensor_or_sparse_or_indexed_slices() -> None:
    sp = gf.SparseTensor(indices=[[0, 1]], values=[2.0], dense_shape=[2, 2])
    assert gf.convert_to_tensor_or_sparse_tensor(sp) is sp
    assert gf.convert_to_tensor_or_indexed_slices(sp) is sp
    value = gf.SparseTensorValue(indices=np.array([[0, 0]]), values=np.array([1.0], np.float32),
                                 dense_shape=np.array([3, 3]))
    made = gf.convert_to_tensor_or_sparse_tensor(value)
    assert isinstance(made, gf.SparseTensor)
    t = gf.convert_to_tensor_or_sparse_tensor([1.0, 2.0], dtype=gf.float64)
    assert isinstance(t, gf.Tensor) and t.dtype is gf.float64
    assert gf.convert_to_tensor_or_indexed_slices(3).dtype is gf.int32
    with pytest.raises(ValueError, match="requested dtype int32"):
        gf.convert_to_tensor_or_sparse_tensor(sp, dtype=gf.int32)
    with gf.Session() as sess:
        np.testing.assert_array_equal(sess.run(gf.sparse_tensor_to_dense(made)), np.diag([1.0, 0.0, 0.0]))


def test_make_template_shares_variables() -> None:
    def dense(x: gf.Tensor, units: int) -> gf.Tensor:
        w = gf.get_variable("w", [2, units], initializer=gf.ones_initializer())
        return gf.matmul(x, w)

    tmpl = gf.make_template("my_dense", dense, units=3)
    a = tmpl(gf.ones([1, 2]))
    b = tmpl(gf.ones([4, 2]) * 2.0)
    other = gf.make_template("my_dense", dense, units=1)
    c = other(gf.ones([1, 2]))
    names = [v.name for v in gf.trainable_variables()]
    assert names == ["my_dense/w:0", "my_dense_1/w:0"]
    assert [v.name for v in tmpl.trainable_variables] == ["my_dense/w:0"] and tmpl.variable_scope_name == "my_dense"
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        av, bv, cv = sess.run([a, b, c])
    np.testing.assert_allclose(av, np.full((1, 3), 2.0))
    np.testing.assert_allclose(bv, np.full((4, 3), 4.0))
    np.testing.assert_allclose(cv, [[2.0]])

    def bad(x: gf.Tensor) -> gf.Tensor:
        return x * gf.Variable(1.0)

    sneaky = gf.make_template("sneaky", bad)
    sneaky(gf.constant(1.0))
    with pytest.raises(ValueError, match="Trainable variable created when calling a template after the first"):
        sneaky(gf.constant(2.0))


def test_make_template_against_tf1() -> None:
    tf = tf1()
    names = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            def f(x, lib=lib):  # type: ignore[no-untyped-def]
                return x * lib.get_variable("scale", [], initializer=lib.ones_initializer())
            t = lib.make_template("net", f)
            t(lib.constant(1.0))
            t(lib.constant(2.0))
            u = lib.make_template("net", f, create_scope_now_=True)
            u(lib.constant(3.0))
            names.append([v.name for v in lib.global_variables()])
    assert names[0] == names[1]


def test_timestamp_runs_each_time() -> None:
    t = gf.timestamp()
    assert t.dtype is gf.float64 and t.shape.as_list() == []
    with gf.Session() as sess:
        before = time.time()
        first = sess.run(t)
        time.sleep(0.01)
        second = sess.run(t)
        after = time.time()
    assert before <= first < second <= after


def test_op_error_is_the_errors_class() -> None:
    assert gf.OpError is gf.errors.OpError
    assert issubclass(gf.errors.InvalidArgumentError, gf.OpError)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
