"""tf.cond, tf.case, tf.while_loop, map_fn, scan, foldl, foldr: values on every target, gradients
against central differences (float64) and against tf.compat.v1, only the taken branch running,
and a loop's compile time not depending on its iteration count."""
from __future__ import annotations

import time
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import SIMULATED, TARGETS, check_gradient, compiled_and_reference
from tests.optional import tf1


@pytest.fixture(params=TARGETS)
def sess(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    with gf.Graph().as_default(), gf.Session(device=request.param) as s:
        yield s


def test_cond_runs_the_taken_branch_only(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float32, [])
    v = gf.Variable(0.0)
    sess.run(gf.global_variables_initializer())
    # the false branch would fail its check: it must not run when pred holds
    y = gf.cond(x > 0.0, lambda: gf.sqrt(x), lambda: gf.check_numerics(gf.log(x), "untaken"))
    assert sess.run(y, {x: 4.0}) == pytest.approx(2.0)
    with pytest.raises(gf.errors.InvalidArgumentError, match="untaken"):
        sess.run(y, {x: -1.0})
    pair = gf.cond(x > 0.0, lambda: (x, [x * 2.0]), lambda: (-x, [x * 3.0]))
    a, (b,) = sess.run(pair, {x: -2.0})
    assert (a, b) == (2.0, -6.0)
    assert isinstance(pair, tuple) and isinstance(pair[1], list)
    w = gf.cond(x > 0.0, lambda: v + 1.0, lambda: v - 1.0)  # reads a variable captured from outside
    assert sess.run(w, {x: 1.0}) == 1.0


def test_case_and_its_default(sess: gf.Session) -> None:
    x = gf.placeholder(gf.int32, [])
    y = gf.case([(gf.equal(x, 1), lambda: gf.constant(10)), (gf.equal(x, 2), lambda: gf.constant(20))],
                default=lambda: gf.constant(-1))
    assert [sess.run(y, {x: k}) for k in (1, 2, 3)] == [10, 20, -1]
    ex = gf.case({x > 0: lambda: gf.constant(1), x > 5: lambda: gf.constant(2)}, default=lambda: gf.constant(0),
                 exclusive=True)
    assert sess.run(ex, {x: 3}) == 1
    with pytest.raises(gf.errors.InvalidArgumentError, match="more than one"):
        sess.run(ex, {x: 7})


def test_while_loop_values_structures_and_limits(sess: gf.Session) -> None:
    n = gf.placeholder(gf.int32, [])
    i, total = gf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + gf.cast(i, gf.float64)),
                             (gf.constant(0), gf.constant(0.0, gf.float64)))
    assert sess.run([i, total], {n: 10}) == [10, 45.0]
    assert sess.run(i, {n: 0}) == 0
    capped = gf.while_loop(lambda k: k < n, lambda k: k + 1, [gf.constant(0)], maximum_iterations=7)
    assert sess.run(capped, {n: 100}) == 7 and sess.run(capped, {n: 3}) == 3
    State = namedtuple("State", ["step", "value"])
    out = gf.while_loop(lambda s: s.step < 3, lambda s: State(s.step + 1, {"a": s.value["a"] * 2.0}),
                        [State(gf.constant(0), {"a": gf.ones([2])})], return_same_structure=True)
    assert isinstance(out, list) and isinstance(out[0], State)
    np.testing.assert_allclose(sess.run(out[0].value["a"]), [8.0, 8.0])
    # shape_invariants: a vector that grows each iteration
    grown = gf.while_loop(lambda v: gf.size(v) < 5, lambda v: gf.concat([v, [1.0]], 0), [gf.zeros([1])],
                          shape_invariants=[gf.TensorShape([None])])
    np.testing.assert_allclose(sess.run(grown), [0, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="shape_invariants"):
        gf.while_loop(lambda v: gf.size(v) < 5, lambda v: gf.concat([v, [1.0]], 0), [gf.zeros([1])])


def test_map_fn_scan_and_folds(sess: gf.Session) -> None:
    xs = gf.placeholder(gf.float64, [None, 3])
    v = np.arange(12.0).reshape(4, 3) - 5.0
    m = gf.map_fn(lambda r: (gf.reduce_sum(r), r * 2.0), xs)
    got = sess.run([m[0], m[1], gf.scan(lambda a, r: a + r, xs), gf.scan(lambda a, r: a * 0.5 + r, xs,
                    initializer=gf.zeros([3], gf.float64), reverse=True),
                    gf.foldl(lambda a, r: a + r * r, xs, initializer=gf.zeros([3], gf.float64)),
                    gf.foldr(lambda a, r: a * 2.0 - r, xs)], {xs: v})
    np.testing.assert_allclose(got[0], v.sum(1))
    np.testing.assert_allclose(got[1], v * 2)
    np.testing.assert_allclose(got[2], np.cumsum(v, 0))
    rev = np.zeros_like(v)
    acc = np.zeros(3)
    for k in range(3, -1, -1):
        acc = acc * 0.5 + v[k]
        rev[k] = acc
    np.testing.assert_allclose(got[3], rev)
    np.testing.assert_allclose(got[4], (v * v).sum(0))
    acc = v[3]
    for k in (2, 1, 0):
        acc = acc * 2.0 - v[k]
    np.testing.assert_allclose(got[5], acc)
    assert m[1].shape.as_list() == [None, 3]


CF_GRADS = {
    "cond": lambda x: gf.cond(gf.reduce_sum(x) > 0.0, lambda: x * x * 3.0, lambda: gf.sin(x)),
    "cond_untaken": lambda x: gf.cond(gf.reduce_sum(x) < -100.0, lambda: x * x, lambda: gf.exp(x) * 2.0),
    "while_power": lambda x: gf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * x + 1.0),
                                           (gf.constant(0), gf.ones_like(x)))[1],
    "while_captured_matrix": lambda x: gf.while_loop(
        lambda i, h: i < 3, lambda i, h: (i + 1, gf.tanh(gf.matmul(h, x))),
        (gf.constant(0), gf.ones([2, 3], gf.float64)))[1],
    "while_nested_cond": lambda x: gf.while_loop(
        lambda i, a: i < 5, lambda i, a: (i + 1, gf.cond(gf.equal(i % 2, 0), lambda: a * x, lambda: a + x)),
        (gf.constant(0), x))[1],
    "scan": lambda x: gf.scan(lambda a, r: a * r + 1.0, x),
    "map_fn": lambda x: gf.map_fn(lambda r: gf.reduce_sum(r * r) * r, x),
    "foldl": lambda x: gf.foldl(lambda a, r: a * gf.sin(r), x, initializer=gf.ones([3], gf.float64)),
    "nested_while": lambda x: gf.while_loop(
        lambda i, a: i < 2,
        lambda i, a: (i + 1, gf.while_loop(lambda j, b: j < 3, lambda j, b: (j + 1, b * x), (gf.constant(0), a))[1]),
        (gf.constant(0), x))[1],
}
CF_INPUTS = {"while_captured_matrix": np.random.RandomState(1).randn(3, 3) * 0.5}


@pytest.mark.parametrize("name", sorted(CF_GRADS))
def test_control_flow_gradients_match_central_differences(name: str) -> None:
    x = CF_INPUTS.get(name, np.random.RandomState(0).uniform(0.5, 1.2, (4, 3)))
    with gf.Graph().as_default():
        check_gradient(CF_GRADS[name], [x])


TF1_CF = {
    "cond": lambda m, x: m.cond(m.reduce_sum(x) > 0.0, lambda: x * x * 3.0, lambda: m.sin(x)),
    "cond_false": lambda m, x: m.cond(m.reduce_sum(x) < 0.0, lambda: x * x * 3.0, lambda: m.sin(x) * x),
    "while": lambda m, x: m.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, m.tanh(a * x + 1.0)),
                                       (m.constant(0), m.ones_like(x)))[1],
    "while_limit": lambda m, x: m.while_loop(lambda i, a: i < 100, lambda i, a: (i + 1, a * x),
                                             (m.constant(0), x), maximum_iterations=3)[1],
    "scan": lambda m, x: m.scan(lambda a, r: a * r + 1.0, x),
    "scan_init_rev": lambda m, x: m.scan(lambda a, r: a * 0.5 + r, x, initializer=m.zeros([3], m.float64),
                                         reverse=True),
    "map_fn": lambda m, x: m.map_fn(lambda r: m.reduce_sum(r * r) * r, x),
    "foldl": lambda m, x: m.foldl(lambda a, r: a * m.sin(r), x, initializer=m.ones([3], m.float64)),
    "foldr": lambda m, x: m.foldr(lambda a, r: a * 2.0 - r, x),
}


@pytest.mark.parametrize("name", sorted(TF1_CF))
def test_control_flow_values_and_gradients_match_tf1(name: str) -> None:
    tf = tf1()
    xv = np.random.RandomState(2).uniform(0.3, 1.1, (4, 3))

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = TF1_CF[name](m, x)
            (d,) = m.gradients(m.reduce_sum(y * y), [x])
            with m.Session(graph=g) as s:
                return s.run([y, d])
    for a, b in zip(evaluate(gf), evaluate(tf)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _compile_seconds(iterations: int) -> float:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        _, y = gf.while_loop(lambda i, a: i < iterations, lambda i, a: (i + 1, a * 0.999 + gf.sin(a)),
                             (gf.constant(0), x))
        with gf.Session() as s:
            t = time.perf_counter()
            s.run(y, {x: np.ones(3)})
            return time.perf_counter() - t


def test_loop_code_does_not_grow_with_iterations() -> None:
    """The generated code of a 10,000-iteration loop is that of a 10-iteration one (the count is
    a constant of the loop condition); timings are for the benchmark (tools/), not asserted."""
    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    sources = []
    for count in (10, 10_000):
        with gf.Graph().as_default():
            x = gf.placeholder(gf.float64, [None])
            _, y = gf.while_loop(lambda i, a: i < count, lambda i, a: (i + 1, a * 0.5 + 1.0), (gf.constant(0), x))
            p = run_passes(build([y], [], [(x, 1)]))
            src = cpu.lower(p, schedule(p)).source
            sources.append(src.replace(f"({count})", "(N)"))
    assert sources[0] == sources[1]
    assert sources[0].count("while True:") == 1


@pytest.mark.parametrize("device", TARGETS)
def test_long_loops_run(device: str) -> None:
    with gf.Graph().as_default():
        n = gf.placeholder(gf.int32, [])
        _, s = gf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a + 1.0), (gf.constant(0), gf.constant(0.0)))
        with gf.Session(device=device) as sess:
            count = 300 if device == "cuda" and SIMULATED else 10_000
            assert sess.run(s, {n: count}) == float(count)


def test_bad_loops_and_branches_name_the_problem() -> None:
    with gf.Graph().as_default():
        with pytest.raises(TypeError, match="dtypes"):
            gf.cond(gf.constant(True), lambda: gf.constant(1.0), lambda: gf.constant(1))
        with pytest.raises(ValueError, match="same structure"):
            gf.cond(gf.constant(True), lambda: (gf.constant(1.0), gf.constant(2.0)), lambda: gf.constant(1.0))
        with pytest.raises(TypeError, match="bool scalar"):
            gf.cond(gf.constant([True, False]), lambda: 1.0, lambda: 2.0)
        with pytest.raises(TypeError, match="float64"):
            gf.while_loop(lambda i: i < 3, lambda i: gf.cast(i, gf.float64), [gf.constant(0)])
        with pytest.raises(ValueError, match="cannot depend on the arguments"):
            gf.while_loop(lambda i: i < 3, lambda i: i + gf.Variable(i * 2), [gf.constant(0)])
        with pytest.raises(ValueError, match="structure"):
            gf.while_loop(lambda i, j: i < 3, lambda i, j: i + 1, [gf.constant(0), gf.constant(1)])


def test_cond_branches_with_control_dependencies_variables_and_assignments() -> None:
    """TF1's batch-norm recipe: the training branch updates moving averages (variables made and
    assigned inside the branch) under control_dependencies on ops built outside the cond."""
    with gf.Graph().as_default():
        p = gf.placeholder(gf.bool)
        x = gf.placeholder(gf.float32, [None, 2])
        bm, bv = gf.nn.moments(x, [0])
        ema = gf.train.ExponentialMovingAverage(0.5)
        outside = gf.reduce_mean(x) * 2.0

        def update():  # type: ignore[no-untyped-def]
            a = ema.apply([bm, bv])
            with gf.control_dependencies([a, outside]):
                return gf.identity(bm), gf.identity(bv)
        mean, var = gf.cond(p, update, lambda: (ema.average(bm), ema.average(bv)))
        v = gf.Variable(0.0)
        set_v = gf.cond(p, lambda: v.assign(5.0), lambda: v.assign_add(1.0))
        with gf.variable_scope("s"):
            w = gf.get_variable("w", [2], initializer=gf.ones_initializer())

        def reuse(i, a):  # type: ignore[no-untyped-def]
            with gf.variable_scope("s", reuse=True):
                return i + 1, a + gf.get_variable("w", [2])
        _, summed = gf.while_loop(lambda i, a: i < 3, reuse, [gf.constant(0), gf.zeros([2])])
        data = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            np.testing.assert_allclose(s.run([mean, var], {x: data, p: True}), [[2, 3], [1, 1]])
            np.testing.assert_allclose(s.run([mean, var], {x: data, p: False}), [[1, 1.5], [0.5, 0.5]])
            assert s.run(set_v, {p: True}) == 5.0 and s.run(v) == 5.0
            assert s.run(set_v, {p: False}) == 6.0 and s.run(v) == 6.0
            np.testing.assert_allclose(s.run(summed), [3.0, 3.0])
        assert w.graph is gf.get_default_graph()
        # a loop body's assignment (tests/test_loop_assignments.py has the semantics)
        counted = gf.while_loop(lambda i: i < 3, lambda i: i + gf.cast(v.assign(1.0), gf.int32), [gf.constant(0)])
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(counted) == 3 and s.run(v) == 1.0


@pytest.mark.parametrize("glue", ["0", "1"])
def test_while_gradients_read_the_forward_random_draws(glue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropout inside a loop (DropoutWrapper + dynamic_rnn): the gradient uses the masks the
    forward iterations drew. With a = a0 * prod_k(2 m_k), d sum(a) / d a0 is that product, which
    the loop also carries, fetched in the same run."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    with gf.Graph().as_default():
        a0 = gf.placeholder(gf.float64, [5])

        def body(i, a, prod):  # type: ignore[no-untyped-def]
            m = gf.cast(gf.random_uniform([5], dtype=gf.float64) < 0.5, gf.float64) * 2.0
            return i + 1, a * m, prod * m
        _, a, prod = gf.while_loop(lambda i, a, p: i < 4, body, (gf.constant(0), a0, gf.ones([5], gf.float64)))
        (g,) = gf.gradients(gf.reduce_sum(a), [a0])
        with gf.Session() as s:
            for _ in range(5):
                gv, pv = s.run([g, gf.stop_gradient(prod)], {a0: np.ones(5)})
                np.testing.assert_array_equal(gv, pv)
        cell = gf.nn.rnn_cell.DropoutWrapper(gf.nn.rnn_cell.BasicRNNCell(3), output_keep_prob=0.5)
        x = gf.placeholder(gf.float64, [2, 4, 3])
        out, _ = gf.nn.dynamic_rnn(cell, x, dtype=gf.float64)
        grads = gf.gradients(gf.reduce_sum(out), gf.trainable_variables())
        assert all(v is not None for v in grads)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert all(np.all(np.isfinite(v)) for v in s.run(grads, {x: np.ones((2, 4, 3))}))


def _live_ops(g: Any) -> list[Any]:
    from graphflow.ops.func_graph import _needed
    live = _needed(g)
    return [n for n in g.get_operations() if id(n) in live]


def test_while_gradients_read_saved_values_instead_of_recomputing() -> None:
    """The LSTM loop's gradient runs no forward matmul or activation again: its body reads the
    gates from the forward loop's stacks (control_flow_saved.py). The weight and bias gradients
    are sums over the rows of every iteration, computed once after the loop from the stacked
    operands (control_flow_sums.py), so per iteration the body has one matmul (the gradient of
    the state). Without a gradient the forward body does not compute its saved values as
    outputs. Values and gradients stay those of the reference executor (float64)."""
    from graphflow.compiler.subprograms import sub_program
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3, 5, 4])
        out, _ = gf.nn.dynamic_rnn(gf.nn.rnn_cell.BasicLSTMCell(6), x, dtype=gf.float64)
        loss = gf.reduce_sum(out * out)
        fwd = next(n for n in gf.get_default_graph().get_operations() if n.op.name == "WHILE")
        first, saved = fwd.attrs.meta["saved"]
        # the activations; the state's matmul reads the stacked state itself (its input share
        # was projected for all steps before the loop: no concat in the body)
        assert {t.node.op.name for t in saved} >= {"SIGMOID", "TANH"}
        assert not any(n.op.name == "CONCAT" for n in _live_ops(fwd.attrs.body))
        body = fwd.attrs.body
        (prog, _) = sub_program(body, fwd.attrs.n_vars + first)
        assert len(prog.outputs) == len(body.outputs) - len(saved)
        grads = gf.gradients(loss, gf.trainable_variables() + [x])
        back = [n for n in gf.get_default_graph().get_operations() if n.op.name == "WHILE"][-1]
        assert back is not fwd
        live = _live_ops(back.attrs.body)
        assert sum(n.op.name == "MATMUL" for n in live) == 1
        assert not any(n.op.name in ("SIGMOID", "TANH", "SUM_TO") for n in live)
        after = [n.name for n in gf.get_default_graph().get_operations()]
        # the state weights' gradient: one GEMM over all steps' rows (the bias is added to the
        # input projection before the loop, so its gradient is an ordinary sum there)
        assert any("MatMulOverSteps" in a for a in after)
        # the gradient of the projected input sequence: its rows written once after the loop
        assert any("ScatterOverSteps" in a for a in after)
        xv = np.random.RandomState(1).randn(3, 5, 4)
        s, ref = compiled_and_reference()
        with s, ref:
            got = s.run(grads + [loss], {x: xv})
            want = ref.run(grads + [loss], {x: xv})
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_loop_stacks_only_what_a_gradient_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gradient loop captures every stack the forward loop offers, but its body reads only
    some: what it does not read is neither stacked nor kept. What it reads for the shape alone
    (the ``like`` of a ``SumTo``: the LSTM's gate pre-activations, their batch dim known only at
    run time) keeps one row of that shape for every iteration, not a copy per iteration. The one
    stack of gate width left is the gradient loop's own (the gate gradients its weight gradient
    sums after the loop)."""
    import re

    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 5, 4])
        out, _ = gf.nn.dynamic_rnn(gf.nn.rnn_cell.BasicLSTMCell(6), x, dtype=gf.float64)
        loss = gf.reduce_sum(out * out)
        grads = gf.gradients(loss, gf.trainable_variables())
        p = run_passes(build(grads, [], [(x, 3)]))
        src = cpu.lower(p, schedule(p), glue=True).source
        widths = re.findall(r"stk\d+ = np\.empty\(\(0, 0, (\d+)\)", src)
        assert widths.count("24") == 1 and "4" not in widths, widths
        assert "as_strided" in src
        xv = np.random.RandomState(4).randn(3, 5, 4)
        s, ref = compiled_and_reference()
        with s, ref:
            for a, b in zip(s.run(grads, {x: xv}), ref.run(grads, {x: xv})):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("glue", ["0", "1"])
def test_values_saved_for_their_shape_for_any_iteration_count(glue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sums of values whose batch dim is known only at run time: the gradient reads them for
    their shape alone (autodiff's ``SumTo`` guards), and glue keeps one row of that shape in
    place of their stacks. Gradients equal the reference executor's for 0, 1 and 4 iterations,
    and for a batch of one row, where the guards' broadcast is real."""
    import re

    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    with gf.Graph().as_default():
        xs = gf.placeholder(gf.float64, [None, None, 3])
        n = gf.placeholder(gf.int32, [])
        h0 = gf.placeholder(gf.float64, [None, 3])
        w = gf.Variable(np.random.RandomState(0).randn(3, 3) * 0.5)

        def body(i, h):  # type: ignore[no-untyped-def]
            a = gf.gather(xs, i) * gf.sigmoid(h)
            return i + 1, gf.tanh(a + gf.matmul(h, w)) * (a - h)
        _, h = gf.while_loop(lambda i, h: i < n, body, (gf.constant(0), h0))
        grads = gf.gradients(gf.reduce_sum(h * h), [w, xs, h0])
        if glue == "1":
            p = run_passes(build(grads, [], [(xs, 3), (n, 0), (h0, 2)]))
            assert re.search(r"as_strided", cpu.lower(p, schedule(p), glue=True).source)
        rs = np.random.RandomState(5)
        with gf.Session() as s, gf.Session(device="reference") as ref:
            for sess in (s, ref):
                sess.run(gf.global_variables_initializer())
            for steps, rows in ((0, 2), (1, 2), (4, 2), (3, 1)):
                feed = {xs: rs.randn(4, rows, 3), n: steps, h0: rs.randn(rows, 3)}
                for a, e in zip(s.run(grads, feed), ref.run(grads, feed)):
                    np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("glue", ["0", "1"])
def test_sums_moved_after_the_loop_for_any_iteration_count(glue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A weight, a bias and a sequence read one row per step: their gradients are computed after
    the gradient loop from stacked operands, including when the loop never ran (empty stacks
    keep the dims the graph knows), and equal the reference executor's."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    with gf.Graph().as_default():
        xs = gf.placeholder(gf.float64, [None, 2, 3])
        n = gf.placeholder(gf.int32, [])
        w = gf.Variable(np.random.RandomState(0).randn(3, 3) * 0.5)
        b = gf.Variable(np.full([3], 0.1))

        def body(i, h):  # type: ignore[no-untyped-def]
            return i + 1, gf.tanh(gf.matmul(h, w) + b + gf.gather(xs, i))
        _, h = gf.while_loop(lambda i, h: i < n, body, (gf.constant(0), gf.ones([2, 3], gf.float64)))
        grads = gf.gradients(gf.reduce_sum(h * h), [w, b, xs])
        rs = np.random.RandomState(2)
        with gf.Session() as s, gf.Session(device="reference") as ref:
            for sess in (s, ref):
                sess.run(gf.global_variables_initializer())
            for steps in (0, 1, 4):
                feed = {xs: rs.randn(4, 2, 3), n: steps}
                got, want = s.run(grads, feed), ref.run(grads, feed)
                for a, e in zip(got, want):
                    np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
                if steps == 0:
                    assert not got[0].any() and not got[1].any() and not got[2].any()


def test_glue_runs_a_loop_bodys_elementwise_chain_as_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """In glue, a loop body's elementwise loops of one shape are one kernel call when their
    arrays have one shape at run time (cpu/chains.py), and run one by one when a run-time dim
    broadcasts; both agree with the reference executor."""
    import re

    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float64, [None, 3])
        b = gf.placeholder(gf.float64, [None, 3])

        def body(i, h, c):  # type: ignore[no-untyped-def]
            s = gf.sigmoid(a * h)
            c2 = c * s + gf.tanh(b * h) * (1.0 - s)  # s read twice, a shared leaf h
            return i + 1, gf.tanh(c2) * s, c2
        _, h, c = gf.while_loop(lambda i, h, c: i < 4, body, (gf.constant(0), a * 0.5, a * 0.0 + 0.1))
        p = run_passes(build([h, c], [], [(a, 2), (b, 2)]))
        src = cpu.lower(p, schedule(p), glue=True).source
        assert len(re.findall(r"ch\d+ = k\d+\(", src)) == 1
        rs = np.random.RandomState(3)
        with gf.Session() as s, gf.Session(device="reference") as ref:
            for bv in (rs.randn(5, 3), rs.randn(1, 3)):  # the second broadcasts at run time
                feed = {a: rs.randn(5, 3), b: bv}
                for x, e in zip(s.run([h, c], feed), ref.run([h, c], feed)):
                    np.testing.assert_allclose(x, e, rtol=1e-12)


def test_a_chain_reads_column_slices_and_writes_a_concat_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """An LSTM-style body: the gates are column slices of one product, and the gradient joins the
    gates' gradients with a concat. The forward chain reads the slices from the product's columns
    and the gradient's chain writes the concat's columns (cpu/chains.py ``Folds``), so neither is
    a call of its own; values and gradients agree with the reference executor, also where a
    run-time broadcast sends the glue down the node-by-node path, and with odd widths."""
    import re

    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    n = 5
    rs = np.random.RandomState(7)
    with gf.Graph().as_default():
        h0 = gf.placeholder(gf.float64, [None, n])
        m = gf.placeholder(gf.float64, [None, n])
        w = gf.Variable(rs.randn(n, 4 * n) * 0.5)
        b = gf.Variable(rs.randn(4 * n) * 0.1)

        def body(i, h, c):  # type: ignore[no-untyped-def]
            zi, zj, zf, zo = gf.split(gf.matmul(h, w) + b, 4, axis=1)
            c2 = c * gf.sigmoid(zf + 1.0) + gf.sigmoid(zi) * gf.tanh(zj) * m
            return i + 1, gf.tanh(c2) * gf.sigmoid(zo), c2
        _, h, c = gf.while_loop(lambda i, h, c: i < 3, body, (gf.constant(0), h0, h0 * 0.0))
        loss = gf.reduce_sum(h * h) + gf.reduce_sum(c)
        grads = gf.gradients(loss, [w, b, h0])
        p = run_passes(build([h, c] + grads, [], [(h0, 2), (m, 2)]))
        bodies = [k.source for k in cpu.lower(p, schedule(p), glue=True).kernels]
        assert any(re.search(r"np\.uintp\(w\d+ \+ w\d+ \+ i\d+\)\] = ", k) for k in bodies)  # concat writes
        # without a gradient nothing saves the biased gates: the chain computes the bias add too
        # at the columns it reads (the bias indexed by the column alone)
        p = run_passes(build([h, c], [], [(h0, 2), (m, 2)]))
        bodies = [k.source for k in cpu.lower(p, schedule(p), glue=True).kernels]
        assert any(re.search(r"(u\d+) = np\.uintp\(c\d+ \+ i\d+\).*p\d+\[\1\]", k, re.S) for k in bodies)
        with gf.Session() as s, gf.Session(device="reference") as ref:
            s.run(gf.global_variables_initializer())
            ref.run(gf.global_variables_initializer())
            ref.run([gf.assign(w, s.run(w)), gf.assign(b, s.run(b))])
            for rows in (4, 1):  # m of one row: a run-time broadcast, the node-by-node path
                feed = {h0: rs.randn(4, n), m: rs.rand(rows, n) + 0.5}
                for x, e in zip(s.run([h, c] + grads, feed), ref.run([h, c] + grads, feed)):
                    np.testing.assert_allclose(x, e, rtol=1e-10, atol=1e-12)
                for x, e in zip(s.run([h, c], feed), ref.run([h, c], feed)):
                    np.testing.assert_allclose(x, e, rtol=1e-10, atol=1e-12)


def test_second_order_gradients_through_a_loop_that_saved_values() -> None:
    """The loop's gradient reads values the forward loop saved; differentiating that gradient
    sends gradients into the saved values' stacks, which the loop's rule passes on (y = (x w)^2
    over one iteration: d2y/dw2 = 2 x^2), and a longer loop agrees with central differences."""
    with gf.Graph().as_default():
        w = gf.placeholder(gf.float64, [])

        def body(i, x):  # type: ignore[no-untyped-def]
            h = x * w
            return i + 1, h * h
        _, y = gf.while_loop(lambda i, x: i < 1, body, (gf.constant(0), gf.constant(1.0, gf.float64)))
        (g,) = gf.gradients(y, [w])
        (h2,) = gf.gradients(g, [w])
        with gf.Session() as s:
            assert s.run([y, g, h2], {w: 3.0}) == pytest.approx([9.0, 6.0, 2.0])
    x = np.random.RandomState(4).uniform(0.5, 1.0, (3,))
    with gf.Graph().as_default():
        check_gradient(lambda v: gf.gradients(gf.reduce_sum(gf.while_loop(
            lambda i, a: i < 3, lambda i, a: (i + 1, gf.sin(a * v)), (gf.constant(0), v))[1]), [v])[0], [x])


@pytest.mark.parametrize("glue", ["0", "1"])
def test_chains_of_two_shapes_in_one_body(glue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Elementwise loops of a run-time shape and of a static one interleave in a body: each
    chain is placed after the values it reads, including those of the other chain."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float64, [None, 3])
        w = gf.constant(np.full((3, 3), 0.3))

        def body(i, h, k):  # type: ignore[no-untyped-def]
            p = gf.tanh(h)
            e1 = gf.exp(k * 0.1)
            q = gf.exp(gf.matmul(h, w) * 0.1) * p
            s = gf.sin(p + k) * e1
            return i + 1, q + p, s + gf.matmul(e1, w) * 0.1 + gf.matmul(s, w) * 0.1
        _, h, k = gf.while_loop(lambda i, h, k: i < 3, body, (gf.constant(0), a, gf.ones([2, 3], gf.float64)))
        feed = {a: np.random.RandomState(5).randn(2, 3)}
        with gf.Session() as s, gf.Session(device="reference") as ref:
            for x, e in zip(s.run([h, k], feed), ref.run([h, k], feed)):
                np.testing.assert_allclose(x, e, rtol=1e-12)


def test_a_branch_that_assigns_reads_rows_before_the_assignment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row read in a branch before that branch assigns its variable keeps the old value (glue
    takes rows as views only where nothing assigns)."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    with gf.Graph().as_default():
        v = gf.Variable(np.ones((2, 3)))
        x = gf.placeholder(gf.float64, [2, 3])

        def taken():  # type: ignore[no-untyped-def]
            r = gf.gather(v, 0)
            with gf.control_dependencies([r]):
                up = gf.assign(v, x * 2.0)
            with gf.control_dependencies([up]):
                return gf.identity(r)
        out = gf.cond(gf.constant(True), taken, lambda: gf.zeros([3], gf.float64))
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            np.testing.assert_array_equal(s.run(out, {x: np.zeros((2, 3))}), np.ones(3))
            np.testing.assert_array_equal(s.run(v), np.zeros((2, 3)))


def test_loop_stacks_start_at_the_longest_earlier_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Glue keeps the most iterations a run of the entry made and starts the next run's stacks
    that large (no doubling and copying up to it): gradients stay the reference executor's for
    runs longer, shorter and again longer than before (40 > 16, the first capacity), and the
    kept count is the longest run's."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    with gf.Graph().as_default():
        xs = gf.placeholder(gf.float64, [None, 2, 3])
        n = gf.placeholder(gf.int32, [])
        w = gf.Variable(np.random.RandomState(1).randn(3, 3) * 0.4)

        def body(i, h):  # type: ignore[no-untyped-def]
            return i + 1, gf.tanh(gf.gather(xs, i) + gf.matmul(h, w))
        _, h = gf.while_loop(lambda i, h: i < n, body, (gf.constant(0), gf.zeros([2, 3], gf.float64)))
        grads = gf.gradients(gf.reduce_sum(h * h), [w, xs])
        rs = np.random.RandomState(2)
        with gf.Session() as s, gf.Session(device="reference") as ref:
            for sess in (s, ref):
                sess.run(gf.global_variables_initializer())
            for steps in (20, 5, 40, 17, 0, 40):
                feed = {xs: rs.randn(40, 2, 3), n: steps}
                for a, e in zip(s.run(grads, feed), ref.run(grads, feed)):
                    np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)
            exes = [e for _, _, e in s._cache.values() if "while True:" in e.generated.source]
            assert exes
            hints = [v for e in exes for v in e.fixed if isinstance(v, np.ndarray) and v.dtype == np.int64
                     and v.shape == (1,)]
            assert hints and max(int(v[0]) for v in hints) == 40


def _growing(tf: Any, x: Any) -> Any:
    """A loop value that grows a row each iteration (shape invariants [None, 2]), read by index."""
    def body(i: Any, acc: Any) -> Any:
        return i + 1, tf.concat([acc, tf.reshape(tf.tanh(acc[i - 1]) * 0.5 + x[i], [1, 2])], 0)
    _, acc = tf.while_loop(lambda i, a: i < tf.shape(x)[0], body, [tf.constant(1), x[:1]],
                           shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 2])])
    return acc


@pytest.mark.parametrize("device", TARGETS)
def test_the_gradient_of_a_loop_whose_value_grows(device: str) -> None:
    """Each iteration's value is recorded zero-padded with its shape (the loop's table outputs),
    so the gradient loop sees iteration k's value at its own shape."""
    xv = np.random.RandomState(5).randn(5, 2)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 2])
        with gf.Session(device=device) as sess:
            got = sess.run(_growing(gf, x), {x: xv})
    want = [xv[0]]
    for t in range(1, 5):
        want.append(np.tanh(want[-1]) * 0.5 + xv[t])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with gf.Graph().as_default():
        check_gradient(lambda x: gf.reduce_sum(gf.square(_growing(gf, x))), [xv], device=device)


def test_the_gradient_of_a_loop_whose_value_grows_matches_tf1() -> None:
    tf = tf1()
    xv = np.random.RandomState(6).randn(4, 2)
    out = []
    for mod in (tf, gf):
        with mod.Graph().as_default():
            x = mod.placeholder(mod.float64, [None, 2])
            acc = _growing(mod, x)
            with mod.Session() as sess:
                out.append(sess.run([acc, mod.gradients(mod.reduce_sum(mod.sin(acc)), x)[0]], {x: xv}))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-12)


@pytest.mark.parametrize("device", TARGETS)
def test_the_gradient_of_a_loop_indexing_a_capture_by_its_counter(device: str) -> None:
    """x[i] in the body: the slice's gradient scatters at a run-time row that differs in every
    iteration (the CUDA target once kept the first iteration's row for all of them)."""
    xv = np.random.RandomState(7).randn(4, 2)
    with gf.Graph().as_default():
        def fn(x: Any) -> Any:
            _, acc = gf.while_loop(lambda i, a: i < 4, lambda i, a: (i + 1, a * 0.5 + x[i] * gf.cast(i, gf.float64)),
                                   [gf.constant(1), x[0]])
            return gf.reduce_sum(gf.square(acc))
        check_gradient(fn, [xv], device=device)
