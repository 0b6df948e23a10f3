"""API.md sections 1 and 2: graphs, names, tensors, operators, dtypes, collections, inputs,
variables, initializers, random ops and the ordering rules of state."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import line_of
from tests.optional import need
from tests.tolerances import value_tol

F32 = value_tol(np.float32)


def _line_of(marker: str) -> int:
    return line_of(__file__, marker)


# ---- graphs -------------------------------------------------------------------------------------

def test_default_graph_and_as_default() -> None:
    g0 = gf.get_default_graph()
    c0 = gf.constant(1.0)
    assert c0.graph is g0
    g = gf.Graph()
    with g.as_default() as entered:
        assert entered is g
        assert gf.get_default_graph() is g
        c = gf.constant(2.0)
    assert c.graph is g and c.op.graph is g
    assert gf.get_default_graph() is g0
    gf.reset_default_graph()
    assert gf.get_default_graph() is not g0
    with g.as_default(), pytest.raises(AssertionError):
        gf.reset_default_graph()


def test_finalize_blocks_new_nodes() -> None:
    g = gf.Graph()
    with g.as_default():
        gf.constant(1.0)
        g.finalize()
        assert g.finalized
        with pytest.raises(RuntimeError, match="finalized"):
            gf.constant(2.0)


def test_name_scope_and_unique_names() -> None:
    with gf.name_scope("layer"):
        a = gf.constant(1.0, name="c")
        b = gf.constant(2.0, name="c")
        with gf.name_scope("inner"):
            s = gf.add(a, b, name="sum")
    with gf.name_scope("layer"):
        d = gf.constant(3.0, name="c")
    assert a.name == "layer/c:0"
    assert b.name == "layer/c_1:0"
    assert s.name == "layer/inner/sum:0"
    assert d.name == "layer_1/c:0"
    assert a.op.name == "layer/c"
    g = gf.get_default_graph()
    assert g.get_tensor_by_name("layer/inner/sum:0") is s
    assert g.get_operation_by_name("layer/c_1") is b.op
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")
    with pytest.raises(ValueError):
        g.get_tensor_by_name("layer/c")  # an op name, not a tensor name


def test_tensor_properties_and_eval() -> None:
    x = gf.placeholder(gf.float32, shape=[None, 3], name="x")
    assert x.name == "x:0"
    assert x.dtype == gf.float32
    assert x.shape.as_list() == [None, 3]
    assert x.get_shape().as_list() == [None, 3]
    assert x.shape[1] == 3 and x.shape[0] is None
    assert x.shape.rank == 2
    y = x * 2.0
    assert y.op.inputs[0] is x
    assert y.graph is gf.get_default_graph()
    v = gf.Variable(np.zeros(3, np.float32), name="v")
    assign = v.assign([1.0, 2.0, 3.0])
    with gf.Session(device="reference") as sess:
        np.testing.assert_allclose(y.eval({x: np.ones((2, 3))}), np.full((2, 3), 2.0))
        np.testing.assert_allclose(y.eval(feed_dict={x: np.ones((1, 3))}, session=sess), [[2.0] * 3])
        assign.op.run()
        v.initializer.run(session=sess)
        np.testing.assert_allclose(v.eval(), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="default session"):
        y.eval({x: np.ones((1, 3))})


def test_the_runtime_reaches_the_core_through_one_hook_point() -> None:
    """Tensor.eval, Operation.run and Variable.load find sessions through the one runtime the
    core's hook point holds (graphflow.runtime.session registers it)."""
    from graphflow.core import runtime_hook
    from graphflow.runtime import session
    (runtime,) = runtime_hook._runtime
    assert isinstance(runtime, runtime_hook.Runtime) and runtime.session_for is session.default_session_for
    with gf.Session() as sess:
        assert runtime_hook.session_for(None, None) is sess
    g = gf.Graph()
    opened = runtime_hook.new_session(g)
    assert isinstance(opened, gf.Session) and opened.graph is g
    opened.close()


# ---- operators --------------------------------------------------------------------------------------

def test_operators_with_scalars_and_arrays() -> None:
    a_np = np.array([[1.5, -2.0, 3.0], [4.0, 5.5, -6.0]], np.float32)
    b_np = np.array([0.5, 2.0, -1.5], np.float32)
    a = gf.placeholder(gf.float32, [2, 3])
    b = gf.constant(b_np)
    m = gf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    outs = {
        "add": (a + 1.0, a_np + 1.0), "radd": (2 + a, 2 + a_np), "addarr": (a + b_np, a_np + b_np),
        "radd_arr": (b_np + a, b_np + a_np),
        "sub": (a - b, a_np - b_np), "rsub": (1.0 - a, 1.0 - a_np),
        "mul": (a * b, a_np * b_np), "rmul": (3 * a, 3 * a_np),
        "div": (a / b, a_np / b_np), "rdiv": (1.0 / b, 1.0 / b_np),
        "floordiv": (a // 2.0, a_np // 2.0), "mod": (a % 2.5, np.mod(a_np, 2.5)),
        "pow": (abs(a) ** 2, np.abs(a_np) ** 2), "rpow": (2.0 ** b, 2.0 ** b_np),
        "neg": (-a, -a_np), "abs": (abs(a), np.abs(a_np)),
        "matmul": (a @ m, a_np @ np.arange(6, dtype=np.float32).reshape(3, 2)),
        "rmatmul": (np.ones((1, 2), np.float32) @ a, np.ones((1, 2), np.float32) @ a_np),
        "lt": (a < b, a_np < b_np), "le": (a <= 1.5, a_np <= 1.5),
        "gt": (a > b_np, a_np > b_np), "ge": (a >= 3.0, a_np >= 3.0),
        "and": ((a > 0) & (a < 4), (a_np > 0) & (a_np < 4)),
        "or": ((a < 0) | (a > 5), (a_np < 0) | (a_np > 5)),
        "not": (~(a > 0), ~(a_np > 0)),
    }
    for key, (t, want) in outs.items():
        assert t.shape.as_list() == list(np.shape(want)), key
        assert t.dtype.np == np.asarray(want).dtype, key
    with gf.Session() as sess:
        got = sess.run({k: t for k, (t, _) in outs.items()}, {a: a_np})
    for key, (_, want) in outs.items():
        if np.asarray(want).dtype == bool:
            np.testing.assert_array_equal(got[key], want, err_msg=key)
        else:
            np.testing.assert_allclose(got[key], want, **F32, err_msg=key)
    # `==` is Python identity, as in TF1
    assert (a == a) is True and (a == b) is False
    assert hash(a) != hash(b)
    # integer operators keep the integer dtype
    i = gf.constant([7, -7], dtype=gf.int32)
    assert (i // 2).dtype == gf.int32 and (i % 3).dtype == gf.int32


def test_shape_mismatch_names_operands_and_user_line() -> None:
    a = gf.placeholder(gf.float32, [2, 3], name="lhs")
    b = gf.placeholder(gf.float32, [4], name="rhs")
    with pytest.raises(ValueError) as info:
        a + b  # noqa: B018  MARK_ADD_MISMATCH
    msg = str(info.value)
    assert "lhs:0" in msg and "rhs:0" in msg
    assert "(2, 3)" in msg and "(4,)" in msg, msg
    assert f"test_graph_api.py:{_line_of('MARK_ADD_MISMATCH')}" in msg
    m = gf.placeholder(gf.float32, [3, 5], name="mm")
    with pytest.raises(ValueError) as info:
        gf.matmul(m, a)  # MARK_MATMUL_MISMATCH
    msg = str(info.value)
    assert "mm:0" in msg and "lhs:0" in msg
    assert f"test_graph_api.py:{_line_of('MARK_MATMUL_MISMATCH')}" in msg


# ---- dtypes and collections -------------------------------------------------------------------------

def test_dtypes() -> None:
    assert gf.as_dtype("float") == gf.float32
    assert gf.as_dtype("double") == gf.float64
    assert gf.as_dtype(np.float64) == gf.float64
    assert gf.as_dtype(np.dtype("int64")) == gf.int64
    assert gf.as_dtype("uint8") == gf.uint8
    assert gf.as_dtype(bool) == gf.bool
    assert gf.float16.as_numpy_dtype is np.float16
    for d in (gf.float16, gf.float32, gf.float64, gf.int8, gf.int16, gf.int32, gf.int64, gf.uint8, gf.bool):
        assert gf.as_dtype(d.name) == d
    with pytest.raises(TypeError):
        gf.as_dtype(np.complex64)
    assert gf.constant(1.5).dtype == gf.float32
    assert gf.constant(2).dtype == gf.int32
    assert gf.constant(True).dtype == gf.bool
    assert gf.constant(np.zeros(2)).dtype == gf.float64
    assert gf.placeholder("float", [2]).dtype == gf.float32
    assert gf.placeholder(np.int64, [2]).dtype == gf.int64
    assert gf.zeros([2], dtype="float64").dtype == gf.float64
    assert gf.cast(gf.constant([1.5]), "int32").dtype == gf.int32


def test_collections() -> None:
    v = gf.Variable(1.0, name="v")
    w = gf.Variable(2.0, trainable=False, name="w")
    with gf.variable_scope("s"):
        u = gf.get_variable("u", shape=[2])
    assert gf.get_collection(gf.GraphKeys.GLOBAL_VARIABLES) == [v, w, u]
    assert gf.global_variables() == [v, w, u]
    assert gf.trainable_variables() == [v, u]
    assert gf.get_collection(gf.GraphKeys.TRAINABLE_VARIABLES, scope="s") == [u]
    assert gf.get_collection(gf.GraphKeys.UPDATE_OPS) == []
    assert isinstance(gf.GraphKeys.SUMMARIES, str)
    op = gf.no_op(name="upd")
    gf.add_to_collection(gf.GraphKeys.UPDATE_OPS, op)
    gf.add_to_collection("mine", 3)
    assert gf.get_collection(gf.GraphKeys.UPDATE_OPS) == [op]
    assert gf.get_collection("mine") == [3]


# ---- inputs ------------------------------------------------------------------------------------------

def test_placeholders_none_dims_unknown_rank_and_default() -> None:
    x = gf.placeholder(gf.float32, shape=[None, 2])
    r = gf.placeholder(gf.float32)  # unknown rank
    assert r.shape.rank is None
    d = gf.placeholder_with_default(gf.constant([1.0, 2.0]), shape=[None], name="dflt")
    assert d.shape.as_list() == [None]
    y = gf.reduce_sum(x) + gf.reduce_sum(r) + gf.reduce_sum(d)
    with gf.Session() as sess:
        assert sess.run(y, {x: np.ones((3, 2)), r: np.ones((2, 2, 2))}) == pytest.approx(6 + 8 + 3)
        assert sess.run(y, {x: np.ones((1, 2)), r: 5.0, d: [10.0]}) == pytest.approx(2 + 5 + 10)
        np.testing.assert_allclose(sess.run(d), [1.0, 2.0])


def test_set_shape_refines_the_static_shape_and_leaves_the_node_as_built() -> None:
    x = gf.placeholder(gf.float32, name="refined")
    built = x.op._shapes  # what the node holds; set_shape records refinements in the graph
    x.set_shape([None, 3])
    x.set_shape([2, None])
    assert x.shape.as_list() == [2, 3] and x.op.shapes[0].as_list() == [2, 3]
    assert x.op._shapes is built and built[0].rank is None
    assert (x * 2.0).shape.as_list() == [2, 3]  # later ops are built on the refined shape
    with pytest.raises(ValueError, match="not compatible"):
        x.set_shape([2, 4])
    assert x.shape.as_list() == [2, 3]
    with pytest.raises(AttributeError, match="immutable"):
        x.op.shapes = ()
    with gf.Session() as sess:
        np.testing.assert_allclose(sess.run(x * 2.0, {x: np.ones((2, 3))}), np.full((2, 3), 2.0))


def test_uids_are_integers_in_build_order_also_for_nodes_the_compiler_builds() -> None:
    from graphflow.compiler.program import build
    x = gf.placeholder(gf.float32)  # unknown rank: the transpose is built once the fed rank is known
    y = gf.transpose(x) * 2.0
    graph_uids = [n.uid for n in gf.get_default_graph().get_operations()]
    assert all(type(u) is int for u in graph_uids) and graph_uids == sorted(set(graph_uids))
    program = build([y], [], [(x, 2)])
    uids = [n.uid for n in program.nodes if n.uid >= 0]  # (fed placeholders take -1)
    assert all(type(u) is int for u in uids) and uids == sorted(set(uids))
    assert set(uids) - set(graph_uids), "the deferred transpose was expanded into nodes of its own"
    with gf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: np.arange(6.0).reshape(2, 3)}),
                                   2.0 * np.arange(6.0).reshape(2, 3).T)


def test_constant_dtype_and_shape() -> None:
    c = gf.constant(3, dtype=gf.float32, shape=[2, 2])
    assert c.shape.as_list() == [2, 2] and c.dtype == gf.float32
    c2 = gf.constant([1, 2, 3, 4], shape=[2, 2])  # same size: reshaped
    c3 = gf.constant([[1.0, 2.0]], dtype="float64")
    c4 = gf.constant([1, 2], shape=[2, 2])  # fewer values: the last one repeats (TF1)
    assert c3.dtype == gf.float64 and c3.shape.as_list() == [1, 2]
    with gf.Session(device="reference") as sess:
        v, v2, v4 = sess.run([c, c2, c4])
    np.testing.assert_array_equal(v, np.full((2, 2), 3.0, np.float32))
    np.testing.assert_array_equal(v2, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(v4, [[1, 2], [2, 2]])
    assert v2.dtype == np.int32
    with pytest.raises((ValueError, TypeError)):
        gf.constant([1.0, 2.0, 3.0], shape=[2])
    with pytest.raises(ValueError):
        gf.constant([1, 2], shape=[2, 2], verify_shape=True)


# ---- variables -------------------------------------------------------------------------------------------

def test_variable_methods() -> None:
    v = gf.Variable([1.0, 2.0], name="v")
    assert v.name == "v:0" and v.dtype == gf.float32 and v.shape.as_list() == [2]
    a = v.assign([5.0, 6.0])
    add = v.assign_add([1.0, 1.0])
    sub = v.assign_sub([0.5, 0.5])
    with gf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(v.read_value()), [1.0, 2.0])
        np.testing.assert_allclose(sess.run(a), [5.0, 6.0])
        np.testing.assert_allclose(sess.run(add), [6.0, 7.0])
        np.testing.assert_allclose(sess.run(sub), [5.5, 6.5])
        np.testing.assert_allclose(sess.run(v.value()), [5.5, 6.5])
        v.load([9.0, 8.0], sess)
        np.testing.assert_allclose(sess.run(v), [9.0, 8.0])
        with pytest.raises(gf.errors.InvalidArgumentError):
            v.load([1.0, 2.0, 3.0], sess)
        np.testing.assert_allclose(sess.run(v), [9.0, 8.0])


def test_variable_from_tensor_and_initializers_group() -> None:
    w = gf.Variable(gf.ones([2, 2]) * 3.0, name="w")
    i = gf.Variable(7, name="i")
    assert i.dtype == gf.int32 and w.shape.as_list() == [2, 2]
    d = gf.Variable([1, 2], dtype="float64", name="w")
    assert d.dtype == gf.float64 and d.name == "w_1:0"
    with gf.device("/cpu:0"):
        h = gf.Variable(np.zeros(2, np.float32), trainable=False, name="h")
    assert h not in gf.trainable_variables() and h in gf.global_variables()
    with gf.Session(device="reference") as sess:
        sess.run(gf.variables_initializer([w]))
        np.testing.assert_allclose(sess.run(w), np.full((2, 2), 3.0))
        with pytest.raises(gf.errors.FailedPreconditionError, match="'?i'?"):
            sess.run(i)
        sess.run(gf.global_variables_initializer())
        assert sess.run(i) == 7
        vd = sess.run(d)
        assert vd.dtype == np.float64
        np.testing.assert_array_equal(vd, [1.0, 2.0])


def test_a_variable_initialised_from_a_value_takes_its_dtype() -> None:
    """TF1: get_variable(initializer=<array or tensor>) without a dtype is of the value's dtype."""
    def dtypes(m: object) -> list[str]:
        with m.Graph().as_default():  # type: ignore[attr-defined]
            vs = [m.get_variable("a", initializer=np.ones((2, 2))),  # type: ignore[attr-defined]
                  m.get_variable("b", initializer=m.constant(np.ones(2))),  # type: ignore[attr-defined]
                  m.get_variable("c", initializer=5), m.get_variable("d", initializer=[1.5]),  # type: ignore
                  m.get_variable("e", [2])]  # type: ignore[attr-defined]
            return [v.dtype.name for v in vs]
    assert dtypes(gf) == ["float64", "float64", "int32", "float32", "float32"]
    # a dtype given converts the value (TF1 refuses a value of another dtype)
    assert gf.get_variable("f", initializer=np.ones(2), dtype=gf.float32).dtype == gf.float32
    tf = need("tensorflow")
    assert dtypes(tf) == dtypes(gf)


def test_zeros_like_keeps_the_static_dims() -> None:
    x = gf.placeholder(gf.float32, [5, None, 4])
    assert gf.zeros_like(x[0]).shape.as_list() == [None, 4]
    assert gf.ones_like(x, dtype=gf.int32).shape.as_list() == [5, None, 4]


def test_get_variable_and_variable_scope_reuse() -> None:
    with gf.variable_scope("net"):
        w = gf.get_variable("w", shape=[3, 2], initializer=gf.ones_initializer())
    assert w.name == "net/w:0"
    with pytest.raises(ValueError, match="already exists"):
        with gf.variable_scope("net"):
            gf.get_variable("w", shape=[3, 2])
    with gf.variable_scope("net", reuse=True):
        assert gf.get_variable("w", shape=[3, 2]) is w
        with pytest.raises(ValueError, match="does not exist"):
            gf.get_variable("other", shape=[1])
    with gf.variable_scope("net", reuse=gf.AUTO_REUSE):
        assert gf.get_variable("w") is w
        z = gf.get_variable("z", shape=[1], initializer=gf.zeros_initializer())
    assert z.name == "net/z:0"
    with gf.variable_scope("net", reuse=True), pytest.raises(ValueError, match="shape"):
        gf.get_variable("w", shape=[4, 4])
    with gf.variable_scope("net", reuse=True) as sc:
        assert sc.reuse is True
    with gf.variable_scope("outer"):
        with gf.variable_scope("inner"):
            q = gf.get_variable("q", shape=[], initializer=gf.constant_initializer(2.5))
    assert q.name == "outer/inner/q:0"
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(w), np.ones((3, 2)))
        assert sess.run(q) == pytest.approx(2.5)


def test_initializers_statistics() -> None:
    shape = [200, 300]
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    inits = {
        "glorot_uniform": gf.glorot_uniform_initializer(seed=1),
        "glorot_normal": gf.glorot_normal_initializer(seed=2),
        "vs": gf.variance_scaling_initializer(scale=2.0, mode="fan_in", seed=3),
        "normal": gf.random_normal_initializer(mean=1.0, stddev=0.5, seed=4),
        "trunc": gf.truncated_normal_initializer(stddev=0.1, seed=5),
        "uniform": gf.random_uniform_initializer(-0.2, 0.4, seed=6),
        "const": gf.constant_initializer(0.25),
        "zeros": gf.zeros_initializer(),
        "ones": gf.ones_initializer(),
    }
    vars_ = {k: gf.get_variable(k, shape=shape, initializer=i) for k, i in inits.items()}
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        vals = sess.run(vars_)
    for k, v in vals.items():
        assert v.shape == tuple(shape) and v.dtype == np.float32, k
    gu = vals["glorot_uniform"]
    assert gu.min() >= -limit and gu.max() <= limit
    assert abs(gu.std() - limit / np.sqrt(3)) < 0.05 * limit / np.sqrt(3)
    gn = vals["glorot_normal"]
    std = np.sqrt(2.0 / (fan_in + fan_out))
    assert abs(gn.std() - std) < 0.05 * std
    assert np.abs(gn).max() <= 2 * std / 0.87962566103423978 + 1e-6
    vs = vals["vs"]
    std = np.sqrt(2.0 / fan_in)
    assert abs(vs.std() - std) < 0.05 * std
    n = vals["normal"]
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    t = vals["trunc"]
    assert np.abs(t).max() <= 0.2 + 1e-6 and abs(t.mean()) < 0.005
    u = vals["uniform"]
    assert u.min() >= -0.2 and u.max() < 0.4 and abs(u.mean() - 0.1) < 0.01
    np.testing.assert_array_equal(vals["const"], 0.25)
    np.testing.assert_array_equal(vals["zeros"], 0.0)
    np.testing.assert_array_equal(vals["ones"], 1.0)
    # get_variable's default initializer is glorot_uniform
    d = gf.get_variable("default", shape=[4, 4])
    assert d.initial_value.op.type != "Const"


# ---- random ops -------------------------------------------------------------------------------------------

def _seeded_graph() -> tuple[gf.Graph, list[gf.Tensor]]:
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(42)
        outs = [gf.random_normal([64], seed=1), gf.random_uniform([64], minval=-1.0, maxval=3.0),
                gf.truncated_normal([64], stddev=2.0)]
    return g, outs


def test_random_ops_seeded_repeatable_and_fresh_per_run() -> None:
    g, outs = _seeded_graph()
    with gf.Session(graph=g) as s1:
        first = s1.run(outs)
        second = s1.run(outs)
    with gf.Session(graph=g) as s2:
        again = s2.run(outs)
    with gf.Session(graph=g, device="reference") as s3:
        ref = s3.run(outs)
    g2, outs2 = _seeded_graph()  # an identical graph built again
    with gf.Session(graph=g2) as s4:
        rebuilt = s4.run(outs2)
    for a, b, c, r, rb in zip(first, second, again, ref, rebuilt, strict=True):
        assert not np.array_equal(a, b)  # new numbers on every run
        np.testing.assert_array_equal(a, c)  # a new session replays the sequence
        np.testing.assert_array_equal(a, r)  # the reference device draws the same numbers
        np.testing.assert_array_equal(a, rb)
    n, u, t = first
    assert u.min() >= -1.0 and u.max() < 3.0
    assert np.abs(t).max() <= 4.0
    assert n.dtype == np.float32


def test_random_op_seed_changes_numbers() -> None:
    a = gf.random_uniform([16], seed=1)
    b = gf.random_uniform([16], seed=2)
    c = gf.random_normal([16], dtype=gf.float64, seed=3)
    assert c.dtype == gf.float64
    with gf.Session(device="reference") as sess:
        va, vb = sess.run([a, b])
    assert not np.array_equal(va, vb)


# ---- control and ordering --------------------------------------------------------------------------------

def test_group_control_dependencies_no_op_and_read_before_write() -> None:
    v = gf.Variable(1.0, name="v")
    w = gf.Variable(10.0, name="w")
    inc_v = v.assign_add(1.0)
    inc_w = w.assign_add(5.0)
    both = gf.group(inc_v, inc_w, name="both")
    assert isinstance(both, gf.Operation)
    stale = v + 0.0  # not ordered against the assign: sees the value from before the run
    with gf.control_dependencies([inc_v]):
        fresh = v.read_value() + 0.0  # ordered after the assign: sees the new value
        nop = gf.no_op(name="after")
    assert inc_v.op in nop.control_inputs
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        assert sess.run(both) is None
        assert sess.run([v, w]) == [pytest.approx(2.0), pytest.approx(15.0)]
        s, f = sess.run([stale, fresh])
        assert s == pytest.approx(2.0) and f == pytest.approx(3.0)
        sess.run(nop)
        assert sess.run(v) == pytest.approx(4.0)
        s, f, _ = sess.run([stale, fresh, inc_v])
        assert s == pytest.approx(4.0) and f == pytest.approx(5.0)


def test_numpy_scalars_keep_their_dtype() -> None:
    assert gf.Variable(np.float64(2.5)).dtype == gf.float64
    assert gf.constant(np.int64(3)).dtype == gf.int64
    assert gf.constant(2.5).dtype == gf.float32 and gf.constant(3).dtype == gf.int32


def test_tf1_session_options_tables_initializer_and_the_framework_ops_module() -> None:
    """What TF1 scripts write around a Session: ConfigProto with gpu_options.allow_growth,
    RunOptions/RunMetadata in run, tables_initializer, and
    ``from tensorflow.python.framework import ops; ops.reset_default_graph()``."""
    from graphflow.python.framework import ops
    ops.reset_default_graph()
    assert ops.get_default_graph() is gf.get_default_graph()
    config = gf.ConfigProto(allow_soft_placement=True, intra_op_parallelism_threads=2)
    config.gpu_options.allow_growth = True
    assert config.gpu_options.allow_growth and config.allow_soft_placement and not config.log_device_placement
    x = gf.constant(2.0) * 3.0
    with gf.Session(config=config) as sess:
        sess.run(gf.tables_initializer())
        got = sess.run(x, options=gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE), run_metadata=gf.RunMetadata())
    assert got == 6.0
    assert isinstance(gf.GPUOptions(per_process_gpu_memory_fraction=0.5).per_process_gpu_memory_fraction, float)
    # graph options and XLA's jit level, as TF1 scripts set them: accepted (everything is compiled anyway)
    config = gf.ConfigProto(graph_options=gf.GraphOptions(optimizer_options=gf.OptimizerOptions(
        opt_level=gf.OptimizerOptions.L0)), operation_timeout_in_ms=1000)
    config.graph_options.optimizer_options.global_jit_level = gf.OptimizerOptions.ON_1
    assert gf.ConfigProto().graph_options.optimizer_options.global_jit_level == gf.OptimizerOptions.DEFAULT
    with gf.Session(config=config) as sess:
        assert sess.run(x) == 6.0


def test_tf1_internal_module_paths() -> None:
    """``from tensorflow.python.ops import math_ops`` and the like resolve to graphflow's functions."""
    from graphflow.python.client import device_lib
    from graphflow.python.framework import ops
    from graphflow.python.ops import (
        array_ops,
        control_flow_ops,
        init_ops,
        math_ops,
        nn_ops,
        rnn,
        tensor_array_ops,
        variable_scope,
    )
    from graphflow.python.training import moving_averages
    from graphflow.python.util import nest
    assert tensor_array_ops.TensorArray is gf.TensorArray and nest.flatten is gf.nest.flatten
    assert math_ops.reduce_sum is gf.reduce_sum and array_ops.concat is gf.concat
    assert control_flow_ops.cond is gf.cond and nn_ops.relu is gf.nn.relu and math_ops.erf is gf.erf
    assert init_ops.zeros_initializer is gf.zeros_initializer and variable_scope.variable_scope is gf.variable_scope
    assert ops.reset_default_graph is gf.reset_default_graph
    assert moving_averages.ExponentialMovingAverage is gf.train.ExponentialMovingAverage
    from graphflow.platform.cuda import capability
    gpu = ["GPU"] if capability("kernels").ok else []  # the CUDA target, where a GPU or the simulator runs it
    assert [d.device_type for d in device_lib.list_local_devices()] == ["CPU"] + gpu
    with pytest.raises(AttributeError, match="does not provide tf.nn.no_such_op"):
        rnn.no_such_op  # noqa: B018


def test_device_scopes_place_nodes_as_tf1_names_them() -> None:
    with gf.device("/gpu:1"):
        a = gf.constant(1.0, name="a")
        with gf.device("/job:worker/task:0/cpu:0"):
            b = a + 1.0
        with gf.device(None):
            c = a * 2.0
        with gf.device(lambda node: "/device:GPU:0" if node.type == "Mul" else ""):
            d = a * b
            e = d + c  # the function gives nothing: the outer scope's device
        v = gf.Variable(1.0, name="v")
    f = a - 1.0
    assert [t.device for t in (a, b, c, d, e, v, f)] == [
        "/device:GPU:1", "/job:worker/task:0/device:CPU:0", "", "/device:GPU:0", "/device:GPU:1", "/device:GPU:1", ""]
    assert a.op.device == a.device and gf.get_default_graph().first_gpu_node is a.node
    need("tensorboard")  # graph files use the protobuf messages tensorboard ships
    gd = gf.get_default_graph().as_graph_def()
    assert {n.name: n.device for n in gd.node}["a"] == "/device:GPU:1"
    with gf.Graph().as_default():
        gf.import_graph_def(gd, name="")
        g = gf.get_default_graph()
        assert g.get_tensor_by_name("a:0").device == "/device:GPU:1" and g.get_tensor_by_name(f.name).device == ""
        assert g.first_gpu_node is not None
    mgd = gf.train.export_meta_graph(clear_devices=True)
    assert not any(n.device for n in mgd.graph_def.node)


def test_nest_and_get_static_value() -> None:
    """``tf.nest`` / ``tensorflow.python.util.nest`` / ``tf.contrib.framework.nest`` in TF1's order
    (dict keys sorted, namedtuples kept), and ``tf.get_static_value``."""
    import collections

    from graphflow.contrib.framework import nest as contrib_nest
    from graphflow.python.util import nest
    assert nest is gf.nest is contrib_nest
    pair = collections.namedtuple("pair", "a b")
    s = {"x": pair(1, [2, 3]), "a": 4}
    assert nest.flatten(s) == [4, 1, 2, 3] and nest.flatten(5) == [5]
    assert nest.map_structure(lambda u, v: u * v, s, s) == {"a": 16, "x": pair(1, [4, 9])}
    assert nest.pack_sequence_as(s, [0, 1, 2, 3]) == {"a": 0, "x": pair(1, [2, 3])}
    assert nest.is_nested([1]) and not nest.is_nested(gf.constant(1.0))
    with pytest.raises(ValueError, match="same nested structure"):
        nest.assert_same_structure([1, 2], [1])
    with pytest.raises(TypeError, match="same sequence types"):
        nest.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="leaves"):
        nest.pack_sequence_as([1, 2], [1])
    with gf.Graph().as_default():
        np.testing.assert_array_equal(gf.get_static_value(gf.shape(gf.zeros([2, 3])) * 2), [4, 6])
        assert gf.get_static_value(gf.placeholder(gf.float32)) is None
        assert gf.get_static_value(gf.placeholder_with_default(1.0, [])) is None  # it can be fed
