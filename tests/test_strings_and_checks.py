"""tf.string tensors (host ops beside the compiled call), printing and assertions."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS
from tests.optional import tf1


@pytest.fixture(params=TARGETS)
def sess(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    with gf.Graph().as_default(), gf.Session(device=request.param) as s:
        yield s


def test_hello_tensorflow_is_bytes(sess: gf.Session) -> None:
    hello = gf.constant("Hello, TensorFlow!")
    assert hello.dtype == gf.string and hello.shape.as_list() == []
    assert sess.run(hello) == b"Hello, TensorFlow!"
    arr = sess.run(gf.constant([["a", "bc"], ["d", "é"]]))
    assert arr.dtype == object and arr.tolist() == [[b"a", b"bc"], [b"d", "é".encode()]]


def test_string_feeds_identity_equal_and_concatenation(sess: gf.Session) -> None:
    p = gf.placeholder(gf.string, [None])
    out = sess.run([gf.identity(p), gf.equal(p, "b"), gf.not_equal(p, "b"), p + "!", "x" + p],
                   {p: ["a", b"b"]})
    assert out[0].tolist() == [b"a", b"b"]
    np.testing.assert_array_equal(out[1], [False, True])
    np.testing.assert_array_equal(out[2], [True, False])
    assert out[3].tolist() == [b"a!", b"b!"] and out[4].tolist() == [b"xa", b"xb"]
    with pytest.raises(gf.errors.InvalidArgumentError, match="shape"):
        sess.run(p, {p: "scalar"})


def test_as_string_formats_as_tf1(sess: gf.Session) -> None:
    x = gf.constant([1.5, -2.0])
    out = sess.run([gf.as_string(x), gf.as_string(x, precision=2), gf.as_string(x, scientific=True),
                    gf.as_string(x, shortest=True), gf.as_string(gf.constant([7, 42]), width=4, fill="0"),
                    gf.as_string(gf.constant([True, False]))])
    assert out[0].tolist() == [b"1.500000", b"-2.000000"]
    assert out[1].tolist() == [b"1.50", b"-2.00"]
    assert out[2].tolist() == [b"1.500000e+00", b"-2.000000e+00"]
    assert out[3].tolist() == [b"1.5", b"-2"]
    assert out[4].tolist() == [b"0007", b"0042"]
    assert out[5].tolist() == [b"true", b"false"]


def test_joins_lengths_case_and_parsing(sess: gf.Session) -> None:
    a = gf.constant([["a", "b"], ["c", "d"]])
    out = sess.run([gf.strings.join([a, gf.constant("x")], separator="-"),
                    gf.reduce_join(a, axis=1, separator=","), gf.reduce_join(a),
                    gf.reduce_join(a, axis=0, keep_dims=True),
                    gf.strings.length(gf.constant(["", "abc"])),
                    gf.strings.upper(gf.constant("aB")), gf.strings.lower(gf.constant("aB")),
                    gf.strings.strip(gf.constant("  a ")), gf.substr(gf.constant("hello"), 1, 3),
                    gf.string_to_number(gf.constant(["1.5", "-2"])) * 2,
                    gf.strings.to_number(gf.constant("12"), out_type=gf.int32) + 1])
    assert out[0].tolist() == [[b"a-x", b"b-x"], [b"c-x", b"d-x"]]
    assert out[1].tolist() == [b"a,b", b"c,d"] and out[2] == b"abcd"
    assert out[3].tolist() == [[b"ac", b"bd"]]
    np.testing.assert_array_equal(out[4], np.array([0, 3], np.int32))
    assert (out[5], out[6], out[7], out[8]) == (b"AB", b"ab", b"a", b"ell")
    np.testing.assert_array_equal(out[9], np.array([3.0, -4.0], np.float32))
    assert out[10] == 13 and out[10].dtype == np.int32


def test_strings_around_a_compiled_training_step(sess: gf.Session) -> None:
    """A string fed in, parsed into the compiled step, and the loss formatted after it."""
    rate = gf.placeholder(gf.string, [])
    w = gf.Variable(3.0)
    step = w.assign_sub(gf.string_to_number(rate) * 2.0 * w)
    with gf.control_dependencies([step]):
        loss = w * w
    report = gf.strings.join(["loss=", gf.as_string(loss, precision=3)])
    sess.run(gf.global_variables_initializer())
    text = sess.run(report, {rate: "0.25"})
    assert text == b"loss=2.250"  # the loss read after the update (w = 1.5)
    assert sess.run(w) == pytest.approx(1.5)


def test_bad_string_use_names_the_node_and_line(sess: gf.Session) -> None:
    s = gf.constant(["a"])
    bad = gf.reduce_join(s)  # fine
    assert sess.run(bad) == b"a"
    with pytest.raises(TypeError, match="string"):
        gf.reduce_sum(s)
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"could not correctly convert.*b'x1'"):
        sess.run(gf.string_to_number(gf.constant("x1")))
    p = gf.placeholder(gf.string)
    with pytest.raises(gf.errors.InvalidArgumentError, match="str or bytes"):
        sess.run(p, {p: 3})
    with pytest.raises(gf.errors.InvalidArgumentError, match="must feed"):
        sess.run(gf.identity(p))


def test_print_passes_its_input_and_prints_after_the_run(sess: gf.Session, capfd: pytest.CaptureFixture) -> None:
    x = gf.placeholder(gf.float32, [None])
    y = gf.Print(x * 2.0, [x, gf.reduce_sum(x)], "x and sum: ")
    total = gf.reduce_sum(y)
    assert sess.run(total, {x: [1.0, 2.0, 3.0, 4.5]}) == pytest.approx(21.0)
    assert capfd.readouterr().err == "x and sum: [1 2 3...][10.5]\n"
    g = gf.gradients(total, x)[0]
    np.testing.assert_allclose(sess.run(g, {x: [1.0, 2.0]}), [2.0, 2.0])
    once = gf.Print(x, [x], "once", first_n=1, summarize=-1)
    sess.run(once, {x: [1.0]})
    sess.run(once, {x: [2.0]})
    assert capfd.readouterr().err.count("once") == 1


def test_tf_print_op_and_control_dependencies(sess: gf.Session, capfd: pytest.CaptureFixture) -> None:
    x = gf.placeholder(gf.float32, [None])
    op = gf.print("sum:", gf.reduce_sum(x), "x:", x, gf.constant("tag"), summarize=2)
    with gf.control_dependencies([op]):
        y = gf.identity(x)
    np.testing.assert_allclose(sess.run(y, {x: [3.0]}), [3.0])
    assert capfd.readouterr().err == "sum: 3 x: [3] tag\n"
    sess.run(op, {x: np.arange(6, dtype=np.float32)})
    assert capfd.readouterr().err == "sum: 15 x: [0 1 ... 4 5] tag\n"
    import sys
    sess.run(gf.print("to stdout", output_stream=sys.stdout))
    assert capfd.readouterr().out == "to stdout\n"


def test_assertions_fail_the_run_and_keep_variables(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float32, [None])
    v = gf.Variable(1.0)
    check = gf.assert_positive(x, message="x must be positive")
    with gf.control_dependencies([check]):
        up = v.assign_add(gf.reduce_sum(x))
    sess.run(gf.global_variables_initializer())
    assert sess.run(up, {x: [1.0, 2.0]}) == pytest.approx(4.0)
    with pytest.raises(gf.errors.InvalidArgumentError,
                       match=r"x must be positive Condition x > y[\s\S]*test_strings_and_checks.py"):
        sess.run(up, {x: [1.0, -2.0]})
    assert sess.run(v) == pytest.approx(4.0)  # nothing written by the failed run
    a = gf.Assert(gf.reduce_all(x < 10.0), ["x too big:", x])
    sess.run(a, {x: [1.0]})
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"assertion failed: \[x too big:\]"):
        sess.run(a, {x: [20.0]})
    for fn, ok, bad in [(gf.assert_equal, [1.0], [2.0]), (gf.assert_less, [0.0], [1.0]),
                        (gf.assert_greater_equal, [1.0], [0.0]), (gf.assert_none_equal, [2.0], [1.0]),
                        (gf.assert_less_equal, [1.0], [2.0]), (gf.assert_greater, [2.0], [1.0])]:
        op = fn(x, 1.0)
        sess.run(op, {x: ok})
        with pytest.raises(gf.errors.InvalidArgumentError, match="did not hold"):
            sess.run(op, {x: bad})
    for fn, ok, bad in [(gf.assert_negative, [-1.0], [0.0]), (gf.assert_non_negative, [0.0], [-1.0]),
                        (gf.assert_non_positive, [0.0], [1.0])]:
        op = fn(x)
        sess.run(op, {x: ok})
        with pytest.raises(gf.errors.InvalidArgumentError, match="did not hold"):
            sess.run(op, {x: bad})


def test_static_assertions_fail_when_the_graph_is_built() -> None:
    with gf.Graph().as_default():
        with pytest.raises(gf.errors.InvalidArgumentError, match="did not hold"):
            gf.assert_equal(gf.constant(1), 2)
        with pytest.raises(ValueError, match="rank 2"):
            gf.assert_rank(gf.zeros((3,)), 2)
        with pytest.raises(TypeError, match="float64"):
            gf.assert_type(gf.zeros((3,)), gf.float64)
        gf.assert_rank(gf.zeros((3,)), 1)


def test_assert_rank_of_an_unknown_rank_checks_at_run_time(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float32)
    op = gf.assert_rank(x, 2)
    sess.run(op, {x: np.zeros((2, 2))})
    with pytest.raises(gf.errors.InvalidArgumentError, match="rank 2"):
        sess.run(op, {x: np.zeros(3)})


def test_check_numerics_names_the_tensor_and_line(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float32, [None])
    y = gf.debugging.check_numerics(gf.log(x), "log of x")
    np.testing.assert_allclose(sess.run(y, {x: [1.0]}), [0.0])
    with pytest.raises(gf.errors.InvalidArgumentError,
                       match=r"log of x \(tensor Log:0\): Tensor had (NaN or )?Inf[\s\S]*test_strings_and_checks.py"):
        sess.run(y, {x: [0.0, 1.0]})
    np.testing.assert_allclose(sess.run(gf.gradients(gf.reduce_sum(y), x)[0], {x: [2.0]}), [0.5])
    z = gf.sqrt(x - 3.0)  # fine for x = 1 in log, NaN here
    checks = gf.add_check_numerics_ops()
    sess.run([z, checks], {x: [4.0]})
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"Sqrt:0 \(tensor Sqrt:0\): Tensor had NaN"):
        sess.run([z, checks], {x: [1.0]})


def test_string_ops_match_tf1() -> None:
    tf = tf1()

    def build(m):  # type: ignore[no-untyped-def]
        a = m.constant([["a", "bc"], ["d", "e"]])
        x = m.constant([1.25, -3.0])
        return [m.as_string(x), m.as_string(x, precision=1), m.as_string(m.constant([3, 10]), width=3),
                m.string_join([a, m.constant("z")], separator="+"), m.reduce_join(a, 1, separator="."),
                m.strings.length(a), m.string_to_number(m.constant(["2.5"])), m.equal(a, "bc"), a + "!"]
    g = tf.Graph()
    with g.as_default():
        want = tf.Session(graph=g).run(build(tf))
    with gf.Graph().as_default(), gf.Session() as s:
        got = s.run(build(gf))
    for w, o in zip(want, got):
        assert np.asarray(w).tolist() == np.asarray(o).tolist()


def test_initialization_queries_read_the_session(sess: gf.Session) -> None:
    a = gf.Variable(1.0, name="a")
    b = gf.Variable(2.0, name="b")
    assert sess.run(gf.report_uninitialized_variables()).tolist() == [b"a", b"b"]
    assert not sess.run(gf.is_variable_initialized(a))
    sess.run(a.initializer)
    assert sess.run(gf.report_uninitialized_variables()).tolist() == [b"b"]
    assert sess.run(gf.is_variable_initialized(a))
    with pytest.raises(gf.errors.InvalidArgumentError, match="not initialized"):
        sess.run(gf.assert_variables_initialized())
    sess.run(b.initializer)
    sess.run(gf.assert_variables_initialized())
    assert sess.run(gf.report_uninitialized_variables()).shape == (0,)


def test_more_assertions(sess: gf.Session) -> None:
    x = gf.placeholder(gf.float64, [None])
    near = gf.assert_near(x, x + 1e-9, atol=1e-6)
    sess.run(near, {x: [1.0]})
    with pytest.raises(gf.errors.InvalidArgumentError, match="not equal to tolerance"):
        sess.run(gf.assert_near(x, x + 1.0, atol=1e-6), {x: [1.0]})
    with pytest.raises(ValueError, match="at least 2"):
        gf.assert_rank_at_least(x, 2)
    with pytest.raises(ValueError, match="rank in"):
        gf.assert_rank_in(x, [0, 2])
    with pytest.raises(ValueError, match="scalar"):
        gf.assert_scalar(x)
    with pytest.raises(TypeError, match="integer"):
        gf.assert_integer(x)
    assert gf.assert_same_float_dtype([x, x]) == gf.float64
    assert sess.run(gf.is_non_decreasing([1, 2, 2])) and not sess.run(gf.is_strictly_increasing([1, 2, 2]))
    u = gf.placeholder(gf.float32)
    op = gf.assert_rank_at_least(u, 2)
    sess.run(op, {u: np.zeros((1, 1))})
    with pytest.raises(gf.errors.InvalidArgumentError):
        sess.run(op, {u: np.zeros(3)})
