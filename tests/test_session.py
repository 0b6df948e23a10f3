"""API.md section 6: gf.Session fetches, feeds, errors, callables, default sessions and the
compile caches (in memory per session, on disk across processes)."""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphflow as gf
from tests.harness import line_of
from tests.tolerances import value_tol

F32 = value_tol(np.float32)
Pair = collections.namedtuple("Pair", ["lo", "hi"])


def _line_of(marker: str) -> int:
    return line_of(__file__, marker)


def _site(marker: str) -> str:
    return f"test_session.py:{_line_of(marker)}"


def test_nested_fetches_and_names() -> None:
    x = gf.placeholder(gf.float32, [2], name="x")
    y = gf.multiply(x, 2.0, name="y")
    s = gf.reduce_sum(y, name="s")
    op = gf.no_op(name="nothing")
    with gf.Session() as sess:
        out = sess.run({"a": [y, (s, op)], "b": Pair(lo=s, hi="y:0"), "c": "nothing", "d": x},
                       {x: [1.0, 2.0]})
    assert set(out) == {"a", "b", "c", "d"}
    assert isinstance(out["a"], list) and isinstance(out["a"][1], tuple)
    np.testing.assert_allclose(out["a"][0], [2.0, 4.0])
    assert isinstance(out["a"][0], np.ndarray) and out["a"][0].dtype == np.float32
    assert out["a"][1][1] is None and out["c"] is None
    assert isinstance(out["b"], Pair)
    assert out["b"].lo == pytest.approx(6.0) and isinstance(out["b"].lo, np.floating)
    np.testing.assert_allclose(out["b"].hi, [2.0, 4.0])
    np.testing.assert_allclose(out["d"], [1.0, 2.0])


def test_feed_conversion() -> None:
    x = gf.placeholder(gf.float32, [None, 2], name="x")
    n = gf.placeholder(gf.int32, [], name="n")
    b = gf.placeholder(gf.bool, [2], name="b")
    out = (gf.reduce_sum(x, axis=1) * gf.cast(n, gf.float32), gf.logical_not(b))
    with gf.Session() as sess:
        # float64 array, nested lists, Python scalars, a float with an integral value into int32
        r, nb = sess.run(out, {x: np.array([[0.5, 1.5]], np.float64), n: 3, b: [True, False]})
        np.testing.assert_allclose(r, [6.0])
        np.testing.assert_array_equal(nb, [False, True])
        r, _ = sess.run(out, {"x:0": [[1, 2], [3, 4]], "n": 2.0, b: np.array([True, True])})
        np.testing.assert_allclose(r, [6.0, 14.0])


def _assert_message(err: BaseException, *parts: str) -> None:
    msg = str(err)
    for p in parts:
        assert p in msg, f"{p!r} not in error message:\n{msg}"


def test_feed_errors_name_placeholder_expected_given_and_site() -> None:
    x = gf.placeholder(gf.float32, [None, 3], name="images")  # MARK_X
    k = gf.placeholder(gf.int32, [2], name="labels")  # MARK_K
    y = gf.reduce_sum(x) + gf.cast(gf.reduce_sum(k), gf.float32)
    other = gf.Graph()
    with other.as_default():
        foreign = gf.placeholder(gf.float32, [None, 3], name="foreign")  # MARK_FOREIGN
    good = {x: np.ones((1, 3)), k: [1, 2]}
    with gf.Session() as sess:
        assert sess.run(y, good) == pytest.approx(6.0)
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones((2, 4)), k: [1, 2]})
        assert isinstance(e.value, ValueError)
        _assert_message(e.value, "images", "(?, 3)", "(2, 4)", _site("MARK_X"))
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones(3), k: [1, 2]})  # wrong rank
        _assert_message(e.value, "images", "(?, 3)", "(3,)")
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: [["a", "b", "c"]], k: [1, 2]})
        _assert_message(e.value, "images", "float32", "<U1", _site("MARK_X"))
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones((1, 3)), k: [1.5, 2.0]})
        _assert_message(e.value, "labels", "int32", "float64", "1.5", _site("MARK_K"))
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones((1, 3)), k: [object(), 1]})
        _assert_message(e.value, "labels", "int32")
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones((1, 3))})
        _assert_message(e.value, "labels", "int32", "(2,)", _site("MARK_K"))
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(y, {**good, foreign: np.ones((1, 3))})
        _assert_message(e.value, "foreign", "another graph", _site("MARK_FOREIGN"))
        with pytest.raises(gf.errors.InvalidArgumentError):
            sess.run(y, {**good, "missing:0": 1.0})
        with pytest.raises(ValueError, match="not an element"):
            sess.run(foreign)
        assert sess.run(y, good) == pytest.approx(6.0)  # the session still works


def test_uninitialized_variable_error_names_variable() -> None:
    v = gf.Variable([1.0, 2.0], name="weights")  # MARK_V
    y = v * 2.0
    with gf.Session() as sess:
        with pytest.raises(gf.errors.FailedPreconditionError) as e:
            sess.run(y)
        _assert_message(e.value, "weights", "uninitialized", _site("MARK_V"))
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(y), [2.0, 4.0])


def test_errors_never_leave_variables_half_updated() -> None:
    v = gf.Variable([1.0, 2.0], name="v")
    w = gf.Variable(0.0, name="w")
    x = gf.placeholder(gf.float32, [None], name="x")
    inc_w = w.assign_add(1.0)
    with gf.control_dependencies([inc_w]):
        # fails at run time (4 elements cannot be reshaped to [2]) after w's update was scheduled
        upd = v.assign_add(gf.reshape(x, [2]))
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        with pytest.raises(gf.errors.InvalidArgumentError):
            sess.run(upd, {x: np.ones(4)})
        np.testing.assert_allclose(sess.run(v), [1.0, 2.0])
        assert sess.run(w) == pytest.approx(0.0)
        with pytest.raises(gf.errors.InvalidArgumentError):
            sess.run(upd, {x: np.ones((2, 2))})  # bad rank, rejected before running
        assert sess.run(w) == pytest.approx(0.0)
        np.testing.assert_allclose(sess.run(upd, {x: [1.0, 5.0]}), [2.0, 7.0])
        assert sess.run(w) == pytest.approx(1.0)


def test_make_callable_interactive_and_default_sessions() -> None:
    x = gf.placeholder(gf.float32, [None], name="x")
    y = gf.reduce_sum(x * x)
    with gf.Session() as sess:
        assert gf.get_default_session() is sess
        f = sess.make_callable([y, x], feed_list=[x])
        a, b = f(np.array([1.0, 2.0]))
        assert a == pytest.approx(5.0)
        np.testing.assert_allclose(b, [1.0, 2.0])
        assert f([3.0])[0] == pytest.approx(9.0)
        with pytest.raises(TypeError):
            f()
        g = sess.make_callable(y, feed_list=["x:0"])
        assert g([2.0, 2.0]) == pytest.approx(8.0)
        assert y.eval({x: [1.0]}) == pytest.approx(1.0)
    assert gf.get_default_session() is None
    assert sess.graph is gf.get_default_graph()
    with pytest.raises(RuntimeError, match="closed"):
        sess.run(y, {x: [1.0]})
    isess = gf.InteractiveSession()
    try:
        assert gf.get_default_session() is isess
        assert y.eval({x: [2.0]}) == pytest.approx(4.0)
    finally:
        isess.close()
    assert gf.get_default_session() is None
    s2 = gf.Session()
    with s2.as_default():
        assert y.eval({x: [3.0]}) == pytest.approx(9.0)
    s2.close()
    with gf.Graph().as_default():
        s3 = gf.Session()
        with pytest.raises(ValueError, match="different"):
            y.eval({x: [1.0]}, session=s3)


def test_new_batch_size_does_not_recompile() -> None:
    x = gf.placeholder(gf.float32, [None, 3], name="x")
    y = gf.reduce_sum(x * 3.0, axis=1)
    with gf.Session() as sess:
        for batch in (1, 5, 17):
            np.testing.assert_allclose(sess.run(y, {x: np.ones((batch, 3))}), np.full(batch, 9.0), **F32)
        assert len(sess._cache) == 1
        (_, _, exe), = sess._cache.values()
        for compiled in exe.kernels or [exe.entry]:  # glue programs: each kernel; else the entry
            assert len(compiled.signatures) == 1


def test_second_process_reuses_disk_cache(tmp_path: object) -> None:
    script = textwrap.dedent("""
        import time
        import numpy as np
        import graphflow as gf
        x = gf.placeholder(gf.float64, [None, 4], name="x")
        y = gf.reduce_sum(gf.tanh(x * 1.2345) + gf.exp(-x), axis=1)
        with gf.Session() as sess:
            t0 = time.perf_counter()
            out = sess.run(y, {x: np.ones((2, 4))})
            took = time.perf_counter() - t0
            (_, _, exe), = sess._cache.values()
            units = {id(k): k for k in exe.kernels or [exe.entry]}.values()  # glue: each kernel once
            hits = sum(sum(u.stats.cache_hits.values()) for u in units)
            misses = sum(sum(u.stats.cache_misses.values()) for u in units)
            print(took, hits, misses, len(units), float(out[0]))
    """)
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path))
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        took, hits, misses, units, value = proc.stdout.split()
        runs.append((float(took), int(hits), int(misses), int(units), float(value)))
    (t1, hits1, misses1, units1, v1), (t2, hits2, misses2, units2, v2) = runs
    assert hits1 == 0 and misses1 == units1  # the first process compiles
    assert hits2 == units2 and misses2 == 0  # the second loads numba's cached machine code
    assert v1 == v2 == pytest.approx(4 * (np.tanh(1.2345) + np.exp(-1.0)))
    assert any(name.startswith(("gf_", "gfk_")) and name.endswith(".py") for name in os.listdir(str(tmp_path)))


def test_nested_feed_keys_and_intermediate_feeds() -> None:
    """TF1 feeds: a tuple (or namedtuple) of tensors fed a tuple of arrays, names, and any
    tensor of the graph, not only placeholders."""
    import collections
    State = collections.namedtuple("State", "c h")
    with gf.Graph().as_default():
        c = gf.placeholder(gf.float32, [None, 2], name="c")
        h = gf.placeholder(gf.float32, [None, 2])
        st = State(c, h)
        mid = c * 2.0
        out = mid + h
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(out, {st: State(np.ones((1, 2)), np.full((1, 2), 3.0))}), [[5, 5]])
            np.testing.assert_allclose(sess.run(out, {(c, h): ([[1, 2]], [[0, 1]])}), [[2, 5]])
            np.testing.assert_allclose(sess.run(out, {"c:0": [[1, 1]], h: [[0, 0]]}), [[2, 2]])
            np.testing.assert_allclose(sess.run(out, {mid: [[10, 20]], h: [[1, 1]]}), [[11, 21]])
            with pytest.raises(ValueError, match="structure of 2"):
                sess.run(out, {(c, h): [[1, 2]]})
