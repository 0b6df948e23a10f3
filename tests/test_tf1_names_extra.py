"""TF1's top-level names added late: IndexedSlices (conversion, fetch, feed, sparse_mask),
register_tensor_conversion_function, sparse_merge, switch_case, vectorized_map, batch_to_space,
required_space_to_batch_paddings, count_up_to, batch_scatter_update, the session tensors
(get_session_handle / get_session_tensor / delete_session_tensor), LogMessage and NameAttrList:
numpy references on every target, float64 gradients, and tf.compat.v1."""
from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient, check_op, run
from tests.optional import tf1

RS = np.random.RandomState(23)


@pytest.fixture(autouse=True)
def _fresh_graph() -> None:
    gf.reset_default_graph()


def _dense(values: np.ndarray, indices: np.ndarray, rows: int) -> np.ndarray:
    out = np.zeros((rows,) + values.shape[1:], values.dtype)
    np.add.at(out, indices, values)
    return out


# ---- IndexedSlices ----------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_indexed_slices_converts_to_its_dense_sum(device: str) -> None:
    idx = np.array([3, 0, 3, 1], np.int32)
    check_op(lambda v: gf.convert_to_tensor(gf.IndexedSlices(v, idx, [5, 2])),
             lambda v: _dense(v, idx, 5), [RS.randn(4, 2).astype(np.float32)], device)
    # anywhere a tensor is taken: an op's operand, with a Python scalar beside it
    check_op(lambda v: gf.multiply(gf.IndexedSlices(v, idx, gf.constant([5, 2])), 2.0),
             lambda v: 2 * _dense(v, idx, 5), [RS.randn(4, 2).astype(np.float32)], device)


def test_indexed_slices_properties() -> None:
    v = gf.constant(RS.randn(2, 3).astype(np.float32), name="vals")
    s = gf.IndexedSlices(v, gf.constant([1, 4]), gf.constant([6, 3]))
    assert s.values is v and s.dtype == gf.float32
    assert s.name == "vals:0" and s.op is v.op and s.graph is gf.get_default_graph()
    assert s.indices.dtype == gf.int32 and s.dense_shape.dtype == gf.int32
    assert s.shape.as_list() == [6, 3]
    assert gf.convert_to_tensor(s).shape.as_list() == [6, 3]
    assert gf.convert_to_tensor(s) is gf.convert_to_tensor(s)  # the dense form is built once
    assert gf.IndexedSlices(v, [0, 1]).shape.rank is None
    with pytest.raises(ValueError, match="without dense_shape"):
        gf.convert_to_tensor(gf.IndexedSlices(v, [0, 1]))
    with pytest.raises(TypeError, match="float32"):
        gf.convert_to_tensor(s, dtype=gf.int32)
    with pytest.raises(TypeError, match="integers"):
        gf.IndexedSlices(v, [0.5, 1.0])
    neg = run(-s)
    np.testing.assert_array_equal(neg.values, -run(v))


def test_convert_to_tensor_or_indexed_slices_passes_them_through() -> None:
    s = gf.IndexedSlices(gf.constant([[1.0]]), gf.constant([0]), gf.constant([2, 1]))
    assert gf.convert_to_tensor_or_indexed_slices(s) is s
    assert gf.convert_to_tensor_or_indexed_slices(s, dtype=gf.float32) is s
    with pytest.raises(ValueError, match="int32"):
        gf.convert_to_tensor_or_indexed_slices(s, dtype=gf.int32)
    assert isinstance(gf.convert_to_tensor_or_indexed_slices([1.0, 2.0]), gf.Tensor)


@pytest.mark.parametrize("device", TARGETS)
def test_indexed_slices_fetch_and_feed(device: str) -> None:
    from graphflow.ops.indexed_slices import IndexedSlicesValue
    vals = gf.placeholder(gf.float32, [None, 2])
    idx = gf.placeholder(gf.int64, [None])
    shape = gf.placeholder(gf.int64, [2])
    s = gf.IndexedSlices(vals, idx, shape)
    total = gf.reduce_sum(gf.convert_to_tensor(s), axis=1)
    given = IndexedSlicesValue(np.array([[1, 2], [3, 4]], np.float32), np.array([2, 2]), np.array([3, 2]))
    with gf.Session(device=device) as sess:
        got, t = sess.run([s, total], {s: given})
        assert isinstance(got, IndexedSlicesValue)
        np.testing.assert_array_equal(got.values, given.values)
        np.testing.assert_array_equal(got.indices, given.indices)
        np.testing.assert_array_equal(got.dense_shape, given.dense_shape)
        np.testing.assert_array_equal(t, [0, 0, 10])
        t2 = sess.run(total, {s: (np.array([[5, 6]], np.float32), np.array([0]), np.array([2, 2]))})
        np.testing.assert_array_equal(t2, [11, 0])


@pytest.mark.parametrize("device", TARGETS)
def test_indexed_slices_without_dense_shape_fetch_and_feed(device: str) -> None:
    from graphflow.ops.indexed_slices import IndexedSlicesValue
    vals = gf.placeholder(gf.float32, [None])
    idx = gf.placeholder(gf.int32, [None])
    s = gf.IndexedSlices(vals, idx)
    doubled = gf.IndexedSlices(s.values * 2.0, s.indices)
    with gf.Session(device=device) as sess:
        for given in [IndexedSlicesValue(np.array([1.0, 2.0], np.float32), np.array([4, 0]), None),
                      (np.array([1.0, 2.0], np.float32), np.array([4, 0]))]:
            got = sess.run(doubled, {s: given})
            assert isinstance(got, IndexedSlicesValue) and got.dense_shape is None
            np.testing.assert_array_equal(got.values, [2.0, 4.0])
            np.testing.assert_array_equal(got.indices, [4, 0])


def test_indexed_slices_gradient_reaches_values() -> None:
    idx = np.array([2, 0, 2])
    check_gradient(lambda v: gf.convert_to_tensor(gf.IndexedSlices(v, idx, [4, 3])) ** 2, [RS.randn(3, 3)])


@pytest.mark.parametrize("device", TARGETS)
def test_sparse_mask(device: str) -> None:
    idx = np.array([12, 26, 37, 45], np.int32)
    vals = RS.randn(4, 2).astype(np.float32)
    s = gf.IndexedSlices(gf.constant(vals), gf.constant(idx), gf.constant([50, 2]))
    masked = gf.sparse_mask(s, [12, 45])
    got = run(masked, device=device)
    np.testing.assert_array_equal(got.indices, [26, 37])
    np.testing.assert_array_equal(got.values, vals[1:3])
    np.testing.assert_array_equal(got.dense_shape, [50, 2])
    assert gf.sparse.mask is gf.sparse_mask
    with pytest.raises(TypeError, match="IndexedSlices"):
        gf.sparse_mask(gf.constant(vals), [1])


def test_sparse_mask_gradient() -> None:
    idx = np.array([1, 3, 5])
    # two slices stay: the reshape gives the check its static output shape
    check_gradient(lambda v: gf.reshape(gf.sparse_mask(gf.IndexedSlices(v, idx, [6, 2]), [3]).values * 3.0, [2, 2]),
                   [RS.randn(3, 2)])


def test_indexed_slices_match_tf1() -> None:
    tf = tf1()
    vals = RS.randn(4, 3).astype(np.float32)
    idx = np.array([5, 1, 5, 2], np.int32)
    g = tf.Graph()
    with g.as_default():
        ts = tf.IndexedSlices(tf.constant(vals), tf.constant(idx), tf.constant([7, 3]))
        with tf.Session() as sess:
            want_dense, want_mask = sess.run([tf.convert_to_tensor(ts), tf.sparse.mask(ts, [1, 2])])
    s = gf.IndexedSlices(gf.constant(vals), gf.constant(idx), gf.constant([7, 3]))
    got_dense, got_mask = run([gf.convert_to_tensor(s), gf.sparse.mask(s, [1, 2])])
    np.testing.assert_allclose(got_dense, want_dense, rtol=1e-6)
    for field in ("values", "indices", "dense_shape"):
        np.testing.assert_array_equal(getattr(got_mask, field), getattr(want_mask, field))


# ---- register_tensor_conversion_function ------------------------------------------------------

class _Meters:
    def __init__(self, v: float) -> None:
        self.v = v


class _Feet(_Meters):
    pass


def test_registered_class_converts_everywhere() -> None:
    seen: list[tuple[Any, Any, Any]] = []

    def to_tensor(value: _Meters, dtype: Any = None, name: str | None = None, as_ref: bool = False) -> Any:
        seen.append((dtype, name, as_ref))
        return gf.constant(value.v, dtype=dtype or gf.float32, name=name)
    gf.register_tensor_conversion_function(_Meters, to_tensor)
    t = gf.convert_to_tensor(_Meters(2.5), dtype=gf.float64, name="len")
    assert seen[-1] == (gf.float64, "len", False)
    assert t.dtype == gf.float64 and t.op.name == "len"
    assert run(gf.constant(1.0) + _Meters(2.0)) == 3.0  # an op's operand, beside a tensor
    assert run(gf.add(_Meters(1.5), 1.0)) == 2.5
    assert run(gf.convert_to_tensor(_Feet(4.0))) == 4.0  # subclasses too


def test_priority_order_and_not_implemented() -> None:
    class Box:
        def __init__(self, v: float) -> None:
            self.v = v
    calls: list[str] = []

    def late(value: Box, dtype: Any = None, name: Any = None, as_ref: bool = False) -> Any:
        calls.append("late")
        return gf.constant(value.v + 100.0)

    def early(value: Box, dtype: Any = None, name: Any = None, as_ref: bool = False) -> Any:
        calls.append("early")
        return NotImplemented if value.v < 0 else gf.constant(value.v)
    gf.register_tensor_conversion_function(Box, late, priority=150)
    gf.register_tensor_conversion_function(Box, early, priority=10)
    assert run(gf.convert_to_tensor(Box(1.0))) == 1.0
    assert calls == ["early"]
    assert run(gf.convert_to_tensor(Box(-1.0))) == 99.0  # NotImplemented falls through
    assert calls == ["early", "early", "late"]


def test_registry_errors() -> None:
    class Bad:
        pass
    with pytest.raises(TypeError, match="base_type"):
        gf.register_tensor_conversion_function("Bad", lambda *a, **k: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        gf.register_tensor_conversion_function(Bad, 3)  # type: ignore[arg-type]
    gf.register_tensor_conversion_function(Bad, lambda v, dtype=None, name=None, as_ref=False: [1.0])
    with pytest.raises(RuntimeError, match="non-Tensor"):
        gf.convert_to_tensor(Bad())

    class Wrong:
        pass
    gf.register_tensor_conversion_function(Wrong, lambda v, dtype=None, name=None, as_ref=False: gf.constant(1))
    with pytest.raises(RuntimeError, match="incompatible dtype"):
        gf.convert_to_tensor(Wrong(), dtype=gf.float32)

    class Late:
        pass
    # the constant conversion of any object holds priority 200: it comes first and fails, as TF1's
    gf.register_tensor_conversion_function(Late, lambda v, dtype=None, name=None, as_ref=False: gf.constant(1),
                                           priority=300)
    with pytest.raises(TypeError):
        gf.convert_to_tensor(Late())


def test_registry_matches_tf1() -> None:
    tf = tf1()

    class Pair:
        def __init__(self, a: float, b: float) -> None:
            self.a, self.b = a, b
    for lib in (tf, gf):
        lib.register_tensor_conversion_function(
            Pair, lambda p, dtype=None, name=None, as_ref=False, lib=lib: lib.constant([p.a, p.b], dtype=dtype))
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        want = sess.run(tf.convert_to_tensor(Pair(1, 2), dtype=tf.float64) * 2)
    got = run(gf.convert_to_tensor(Pair(1, 2), dtype=gf.float64) * 2)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


# ---- sparse_merge -----------------------------------------------------------------------------

def _merge_case() -> tuple[Any, Any]:
    indices = [[0, 0], [0, 1], [0, 2], [1, 0], [2, 0], [2, 1]]
    ids = gf.SparseTensor(indices, gf.constant([0, 6, 4, 2, 5, 1], gf.int64), [3, 3])
    vals = gf.SparseTensor(indices, [-3.0, 1.0, 4.0, 1.0, 5.0, 9.0], [3, 3])
    return ids, vals


@pytest.mark.parametrize("device", TARGETS)
def test_sparse_merge(device: str) -> None:
    ids, vals = _merge_case()
    got = run(gf.sparse_merge(ids, vals, 7), device=device)
    np.testing.assert_array_equal(got.indices, [[0, 0], [0, 4], [0, 6], [1, 2], [2, 1], [2, 5]])
    np.testing.assert_array_equal(got.values, [-3, 4, 1, 1, 9, 5])
    np.testing.assert_array_equal(got.dense_shape, [3, 7])
    kept = run(gf.sparse.merge(ids, vals, gf.constant(7), already_sorted=True), device=device)
    np.testing.assert_array_equal(kept.indices, [[0, 0], [0, 6], [0, 4], [1, 2], [2, 5], [2, 1]])
    np.testing.assert_array_equal(kept.values, [-3, 1, 4, 1, 5, 9])


@pytest.mark.parametrize("device", TARGETS)
def test_sparse_merge_lists(device: str) -> None:
    indices = [[0, 0], [0, 1], [1, 0]]
    rows = gf.SparseTensor(indices, gf.constant([1, 0, 2], gf.int32), [2, 2])
    cols = gf.SparseTensor(indices, gf.constant([3, 1, 0], gf.int64), [2, 2])
    vals = gf.SparseTensor(indices, [0.5, 1.5, 2.5], [2, 2])
    got = run(gf.sparse_merge([rows, cols], vals, [3, 4]), device=device)
    np.testing.assert_array_equal(got.indices, [[0, 0, 1], [0, 1, 3], [1, 2, 0]])
    np.testing.assert_array_equal(got.values, [1.5, 0.5, 2.5])
    np.testing.assert_array_equal(got.dense_shape, [2, 3, 4])
    with pytest.raises(ValueError, match="equal lengths"):
        gf.sparse_merge([rows, cols], vals, [3])
    with pytest.raises(TypeError, match="vocab_size"):
        gf.sparse_merge(rows, vals, 3.5)


def test_sparse_merge_gradient_reaches_values() -> None:
    indices = [[0, 0], [0, 1], [0, 2], [1, 0], [2, 0], [2, 1]]
    ids = gf.SparseTensor(indices, gf.constant([0, 6, 4, 2, 5, 1], gf.int64), [3, 3])

    def merged_dense(v: Any) -> Any:
        sp = gf.sparse_merge(ids, gf.SparseTensor(indices, v, [3, 3]), 7)
        return gf.reshape(gf.sparse.to_dense(sp), [3, 7]) * gf.reshape(sp.values, [6])[0]
    check_gradient(merged_dense, [RS.randn(6)])


def test_sparse_merge_matches_tf1() -> None:
    tf = tf1()
    indices = [[0, 0], [0, 1], [0, 2], [1, 0], [2, 0], [2, 1]]
    id_vals, vals = [0, 6, 4, 2, 5, 1], [-3.0, 1.0, 4.0, 1.0, 5.0, 9.0]
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        want = sess.run(tf.sparse_merge(tf.SparseTensor(indices, tf.constant(id_vals, tf.int64), [3, 3]),
                                        tf.SparseTensor(indices, vals, [3, 3]), 7))
    got = run(gf.sparse_merge(gf.SparseTensor(indices, gf.constant(id_vals, gf.int64), [3, 3]),
                              gf.SparseTensor(indices, vals, [3, 3]), 7))
    for field in ("indices", "values", "dense_shape"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


# ---- switch_case, vectorized_map --------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_switch_case(device: str) -> None:
    i = gf.placeholder(gf.int32, [])
    x = gf.constant(3.0)
    listed = gf.switch_case(i, [lambda: x, lambda: x * 2, lambda: x * 3])
    keyed = gf.switch_case(i, {1: lambda: x * 2, 0: lambda: x}, default=lambda: gf.constant(-1.0))
    with gf.Session(device=device) as sess:
        # out of range takes the last branch, or the default
        for k, want_list, want_keyed in [(0, 3, 3), (1, 6, 6), (2, 9, -1), (7, 9, -1), (-1, 9, -1)]:
            assert sess.run([listed, keyed], {i: k}) == [want_list, want_keyed]


def test_switch_case_runs_only_the_taken_branch() -> None:
    v = gf.Variable(0.0)
    i = gf.placeholder(gf.int32, [])
    out = gf.switch_case(i, [lambda: gf.assign_add(v, 1.0), lambda: gf.assign_add(v, 10.0)])
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(out, {i: 1})
        sess.run(out, {i: 1})
        assert sess.run(v) == 20.0


def test_switch_case_errors() -> None:
    x = gf.constant(1.0)
    with pytest.raises(TypeError, match="must be a Tensor"):
        gf.switch_case(1, [lambda: x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="integer"):
        gf.switch_case(x, [lambda: x])
    with pytest.raises(ValueError, match="contiguous range"):
        gf.switch_case(gf.constant(0), {0: lambda: x, 2: lambda: x})
    with pytest.raises(ValueError, match="at least one"):
        gf.switch_case(gf.constant(0), [])


def test_switch_case_gradient() -> None:
    def fn(a: Any) -> Any:
        return gf.switch_case(gf.constant(1), [lambda: gf.sin(a), lambda: a * a * 3.0, lambda: a])
    check_gradient(fn, [RS.randn(2, 3)])


def test_switch_case_matches_tf1() -> None:
    tf = tf1()
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        ti = tf.placeholder(tf.int32, [])
        tout = tf.switch_case(ti, {0: lambda: tf.constant(10), 1: lambda: tf.constant(20)},
                              default=lambda: tf.constant(-5))
        want = [sess.run(tout, {ti: k}) for k in (-2, 0, 1, 2, 9)]
    i = gf.placeholder(gf.int32, [])
    out = gf.switch_case(i, {0: lambda: gf.constant(10), 1: lambda: gf.constant(20)},
                         default=lambda: gf.constant(-5))
    with gf.Session() as sess:
        assert [sess.run(out, {i: k}) for k in (-2, 0, 1, 2, 9)] == want


@pytest.mark.parametrize("device", TARGETS)
def test_vectorized_map(device: str) -> None:
    check_op(lambda x: gf.vectorized_map(lambda r: gf.reduce_sum(r * r) + r, x),
             lambda x: (x * x).sum(1, keepdims=True) + x, [RS.randn(4, 3).astype(np.float32)], device)
    a = gf.constant(RS.randn(3, 2).astype(np.float32))
    b = gf.constant(RS.randn(3).astype(np.float32))
    pair = gf.vectorized_map(lambda t: (t[0] * t[1], t[1]), (a, b))
    want = gf.map_fn(lambda t: (t[0] * t[1], t[1]), (a, b))
    got, ref = run([pair, want], device=device)
    for g_, r_ in zip(got, ref):
        np.testing.assert_array_equal(g_, r_)


def test_vectorized_map_gradient() -> None:
    check_gradient(lambda x: gf.vectorized_map(lambda r: gf.tanh(r) * r[0], x), [RS.randn(3, 2)])


# ---- batch_to_space, required_space_to_batch_paddings -----------------------------------------

def _b2s(x: np.ndarray, crops: list[list[int]], b: int) -> np.ndarray:
    n, h, w, c = x.shape
    y = x.reshape(b, b, n // (b * b), h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n // (b * b), h * b, w * b, c)
    return y[:, crops[0][0]:h * b - crops[0][1], crops[1][0]:w * b - crops[1][1]]


@pytest.mark.parametrize("device", TARGETS)
def test_batch_to_space(device: str) -> None:
    x = RS.randn(8, 2, 3, 2).astype(np.float32)
    check_op(lambda t: gf.batch_to_space(t, [[0, 1], [1, 0]], 2), lambda t: _b2s(t, [[0, 1], [1, 0]], 2), [x], device)
    check_op(lambda t: gf.batch_to_space(t, [[0, 0], [0, 0]], block_size=2),
             lambda t: _b2s(t, [[0, 0], [0, 0]], 2), [x], device)


def test_batch_to_space_inverts_space_to_batch_and_gradient() -> None:
    x = RS.randn(2, 4, 6, 3)
    back = run(gf.batch_to_space(gf.space_to_batch(gf.constant(x), [[0, 0], [0, 0]], 2), [[0, 0], [0, 0]], 2))
    np.testing.assert_array_equal(back, x)
    check_gradient(lambda t: gf.batch_to_space(t, [[1, 0], [0, 1]], 2), [RS.randn(4, 2, 2, 1)])


def test_batch_to_space_matches_tf1() -> None:
    tf = tf1()
    x = RS.randn(8, 2, 3, 2).astype(np.float32)
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        want = sess.run(tf.batch_to_space(x, [[0, 1], [1, 0]], 2))
    np.testing.assert_array_equal(run(gf.batch_to_space(x, [[0, 1], [1, 0]], 2)), want)


def _required(shape: np.ndarray, block: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    extra = (block - (shape + base[:, 0] + base[:, 1]) % block) % block
    return (np.stack([base[:, 0], base[:, 1] + extra], 1).astype(np.int32),
            np.stack([0 * extra, extra], 1).astype(np.int32))


@pytest.mark.parametrize("device", TARGETS)
def test_required_space_to_batch_paddings(device: str) -> None:
    shape, block, base = np.array([5, 4, 7]), np.array([2, 3, 4]), np.array([[1, 0], [0, 2], [2, 1]])
    static = gf.required_space_to_batch_paddings(shape, block, base)
    assert all(t.op.type == "Const" for t in static)  # known when built: computed then, as TF1
    ph = gf.placeholder(gf.int32, [3])
    dynamic = gf.required_space_to_batch_paddings(ph, block, base)
    default = gf.required_space_to_batch_paddings(ph, block)
    got_s, got_d, got_0 = run([static, dynamic, default], {ph: shape}, device)
    for got, want in [(got_s, _required(shape, block, base)), (got_d, _required(shape, block, base)),
                      (got_0, _required(shape, block, np.zeros((3, 2), int)))]:
        for g_, w_ in zip(got, want):
            np.testing.assert_array_equal(g_, w_)
            assert g_.dtype == np.int32
    empty = run(gf.required_space_to_batch_paddings(np.zeros([0], np.int32), np.zeros([0], np.int32)))
    assert [e.shape for e in empty] == [(0, 2), (0, 2)]


def test_required_space_to_batch_paddings_matches_tf1() -> None:
    tf = tf1()
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        ph = tf.placeholder(tf.int32, [2])
        want = sess.run(tf.required_space_to_batch_paddings(ph, [3, 2], [[1, 1], [0, 3]]), {ph: [7, 5]})
    p = gf.placeholder(gf.int32, [2])
    got = run(gf.required_space_to_batch_paddings(p, [3, 2], [[1, 1], [0, 3]]), {p: [7, 5]})
    for g_, w_ in zip(got, want):
        np.testing.assert_array_equal(g_, w_)


# ---- count_up_to, batch_scatter_update --------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", [gf.int32, gf.int64])
def test_count_up_to(device: str, dtype: Any) -> None:
    v = gf.Variable(1, dtype=dtype)
    c = gf.count_up_to(v, 3)
    assert c.dtype == dtype
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        assert [sess.run(c), sess.run(c)] == [1, 2]
        with pytest.raises(gf.errors.OutOfRangeError, match="Reached limit of 3"):
            sess.run(c)
        assert sess.run(v) == 3  # the failed run left it as it was
        with pytest.raises(gf.errors.OutOfRangeError):
            sess.run(c)
    with pytest.raises(TypeError, match="int32 or int64"):
        gf.count_up_to(gf.Variable(0.0), 3)
    with pytest.raises(TypeError, match="Variable"):
        gf.count_up_to(gf.constant(0), 3)


@pytest.mark.parametrize("device", TARGETS)
def test_two_count_up_to_in_one_run(device: str) -> None:
    v = gf.Variable(0)
    a, b = gf.count_up_to(v, 5), gf.count_up_to(v, 5)
    with gf.Session(device=device) as sess:
        sess.run(v.initializer)
        assert sorted(sess.run([a, b])) == [0, 1]
        assert sess.run(v) == 2


def test_count_up_to_matches_tf1() -> None:
    tf = tf1()
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        tv = tf.Variable(0, dtype=tf.int64)
        tc = tf.count_up_to(tv, 2)
        sess.run(tv.initializer)
        want = [sess.run(tc), sess.run(tc)]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(tc)
    v = gf.Variable(0, dtype=gf.int64)
    c = gf.count_up_to(v, 2)
    with gf.Session() as sess:
        sess.run(v.initializer)
        assert [sess.run(c), sess.run(c)] == want
        with pytest.raises(gf.errors.OutOfRangeError):
            sess.run(c)


def _batch_scatter(ref: np.ndarray, indices: np.ndarray, updates: np.ndarray) -> np.ndarray:
    out = ref.copy()
    for b in np.ndindex(*indices.shape[:-1]):
        for k in range(indices.shape[-1]):
            out[b + (indices[b + (k,)],)] = updates[b + (k,)]
    return out


@pytest.mark.parametrize("device", TARGETS)
def test_batch_scatter_update(device: str) -> None:
    ref = RS.randn(2, 3, 5, 2).astype(np.float32)
    indices = np.array([[[4, 0], [1, 2], [3, 4]], [[0, 1], [2, 3], [4, 0]]])
    updates = RS.randn(2, 3, 2, 2).astype(np.float32)
    v = gf.Variable(ref)
    out = gf.batch_scatter_update(v, indices, updates)
    with gf.Session(device=device) as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(out), _batch_scatter(ref, indices, updates))
        np.testing.assert_array_equal(sess.run(v), _batch_scatter(ref, indices, updates))
    flat = gf.Variable(np.arange(5.0))
    got = run(gf.batch_scatter_update(flat, [3, 1], [9.0, 8.0]), device=device)
    np.testing.assert_array_equal(got, [0, 8, 2, 9, 4])


def test_batch_scatter_update_matches_tf1() -> None:
    tf = tf1()
    ref = RS.randn(3, 4).astype(np.float32)
    indices, updates = np.array([[1, 3], [0, 2], [2, 1]]), RS.randn(3, 2).astype(np.float32)
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        tv = tf.Variable(ref)
        sess.run(tv.initializer)
        want = sess.run(tf.batch_scatter_update(tv, indices, updates))
    np.testing.assert_array_equal(run(gf.batch_scatter_update(gf.Variable(ref), indices, updates)), want)


# ---- session tensors ----------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_session_tensors_keep_values_between_runs(device: str) -> None:
    from graphflow.ops.session_ops import TensorHandle
    x = gf.placeholder(gf.float32, [3])
    h = gf.get_session_handle(x * 3.0)
    assert h.dtype == gf.string
    data = np.array([1.0, 2.0, 4.0], np.float32)
    with gf.Session(device=device) as sess:
        kept = sess.run(h, {x: data})
        assert isinstance(kept, TensorHandle) and isinstance(kept.handle, str)
        holder, value = gf.get_session_tensor(kept.handle, gf.float32)
        ten = value * 10.0
        np.testing.assert_array_equal(sess.run(ten, {holder: kept.handle}), data * 30)
        np.testing.assert_array_equal(kept.eval(), data * 3)
        # a handle of a value computed from a kept one, in one run
        again = sess.run(gf.get_session_handle(ten), {holder: kept.handle})
        assert again.handle != kept.handle
        np.testing.assert_array_equal(again.eval(), data * 30)
        # a TensorHandle fed for a tensor feeds the value it names, as TF1
        np.testing.assert_array_equal(sess.run(x + 1.0, {x: kept}), data * 3 + 1)
        deleter_holder, deleter = gf.delete_session_tensor(kept.handle)
        assert deleter.type == "DeleteSessionTensor"
        sess.run(deleter, {deleter_holder: kept.handle})
        with pytest.raises(gf.errors.InvalidArgumentError, match="not in the session store"):
            sess.run(ten, {holder: kept.handle})
        again.delete()
        with pytest.raises(TypeError, match="may have already been deleted"):  # TF1's
            again.eval()


def _kept(sess: gf.Session) -> int:
    return len(sess.state.session_tensors)


@pytest.mark.parametrize("device", TARGETS)
def test_a_collected_handle_frees_its_value(device: str) -> None:
    x = gf.placeholder(gf.float32, [2])
    h = gf.get_session_handle(x * 2.0)
    holder, value = gf.get_session_tensor("", gf.float32)
    data = np.array([1.0, 3.0], np.float32)
    with gf.Session(device=device) as sess:
        live = sess.run(h, {x: data})
        dropped = [sess.run(h, {x: data + i}) for i in range(3)]
        assert _kept(sess) == 4
        del dropped
        gc.collect()
        assert _kept(sess) == 4  # freed by the session's next run, not inside the collector
        np.testing.assert_array_equal(sess.run(value + 1.0, {holder: live.handle}), data * 2 + 1)
        assert _kept(sess) == 1
        # a live handle's value stays, run after run; its string feeds get_session_tensor
        for _ in range(2):
            np.testing.assert_array_equal(sess.run(value, {holder: live.handle}), data * 2)
        np.testing.assert_array_equal(live.eval(), data * 2)
        # a fetched handle nobody keeps goes too; make_callable's runs free them as well
        sess.run([h, x], {x: data})
        call = sess.make_callable(value, [holder])
        assert _kept(sess) == 2
        np.testing.assert_array_equal(call(live.handle), data * 2)
        assert _kept(sess) == 1


def test_deleting_a_handle_twice_is_an_error() -> None:
    h = gf.get_session_handle(gf.constant([1.0, 2.0]))
    holder, deleter = gf.delete_session_tensor("")
    holder2, value = gf.get_session_tensor("", gf.float32)
    with gf.Session() as sess:
        kept = sess.run(h)
        kept.delete()
        assert _kept(sess) == 0
        with pytest.raises(TypeError, match="may have already been deleted"):  # TF1's error
            kept.delete()
        with pytest.raises(TypeError, match="may have already been deleted"):
            kept.eval()
        # freed by the op while its object lives: collecting the object later frees nothing twice
        other = sess.run(h)
        sess.run(deleter, {holder: other.handle})
        with pytest.raises(gf.errors.InvalidArgumentError, match="not in the session store"):
            sess.run(deleter, {holder: other.handle})
        with pytest.raises(gf.errors.InvalidArgumentError, match="not in the session store"):
            other.delete()
        del other
        gc.collect()
        assert list(sess.state.dead_handles) == []
        # a raw handle's value outlives its object until deleted by the op (TF1's get_raw_handle)
        raw = sess.run(h).get_raw_handle()
        gc.collect()
        np.testing.assert_array_equal(sess.run(value, {holder2: raw}), [1.0, 2.0])
        sess.run(deleter, {holder: raw})
        assert _kept(sess) == 0
        last = sess.run(h)
    assert _kept(sess) == 0 and last.handle  # a closed session's values are gone


def test_collected_handles_match_tf1() -> None:
    """TF1 frees a collected handle's value too (in a deleting run after ten of them), and a
    second delete() raises TypeError."""
    tf = tf1()
    with tf.Graph().as_default(), tf.Session() as sess:
        h = tf.get_session_handle(tf.constant([1.0, 2.0]))
        holder, value = tf.get_session_tensor("", tf.float32)
        first = sess.run(h)
        name = first.handle
        others = [sess.run(h) for _ in range(9)]
        del first, others  # the tenth dead handle (TF1's _DEAD_HANDLES_THRESHOLD) runs the deletion
        gc.collect()
        with pytest.raises(tf.errors.OpError, match="not in the session store"):
            sess.run(value, {holder: name})
        kept = sess.run(h)
        kept.delete()
        with pytest.raises(TypeError, match="may have already been deleted"):
            kept.delete()


def test_session_tensors_belong_to_their_session() -> None:
    h = gf.get_session_handle(gf.constant([1, 2]))
    holder, value = gf.get_session_tensor("", gf.int32)
    wrong_holder, wrong = gf.get_session_tensor("", gf.float32)
    with gf.Session() as sess:
        kept = sess.run(h)
        np.testing.assert_array_equal(sess.run(value, {holder: kept.handle}), [1, 2])
        with pytest.raises(gf.errors.InvalidArgumentError, match="dtype"):
            sess.run(wrong, {wrong_holder: kept.handle})
    with gf.Session() as other:  # a closed session's values went with it; another never had them
        with pytest.raises(gf.errors.InvalidArgumentError, match="not in the session store"):
            other.run(value, {holder: kept.handle})
    with pytest.raises(TypeError, match="must be of type Tensor"):
        gf.get_session_handle([1.0])  # type: ignore[arg-type]


def test_session_tensors_match_tf1() -> None:
    tf = tf1()
    data = RS.randn(2, 3).astype(np.float32)
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        kept = sess.run(tf.get_session_handle(tf.constant(data) * 2.0))
        holder, value = tf.get_session_tensor(kept.handle, tf.float32)
        want = sess.run(tf.reduce_sum(value, 1), {holder: kept.handle})
        want_eval = kept.eval()
    with gf.Session() as ours:
        mine = ours.run(gf.get_session_handle(gf.constant(data) * 2.0))
        holder2, value2 = gf.get_session_tensor(mine.handle, gf.float32)
        got = ours.run(gf.reduce_sum(value2, 1), {holder2: mine.handle})
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_array_equal(mine.eval(), want_eval)
    assert type(mine).__name__ == type(kept).__name__ == "TensorHandle"


def test_session_tensor_ops_in_graph_files() -> None:
    tf = tf1()
    gf.get_session_handle(gf.constant([1.0, 2.0]) * 2.0, name="keep")
    holder, _ = gf.get_session_tensor("", gf.float32, name="read")
    free_holder, _ = gf.delete_session_tensor("", name="free")
    gd = gf.get_default_graph().as_graph_def()
    assert {n.name: n.op for n in gd.node if "Session" in n.op} == {
        "keep": "GetSessionHandle", "read": "GetSessionTensor", "free": "DeleteSessionTensor"}
    back = gf.Graph()
    with back.as_default():
        gf.import_graph_def(gd, name="")
        with gf.Session() as sess:
            kept = sess.run(back.get_tensor_by_name("keep:0"))
            np.testing.assert_array_equal(sess.run("read:0", {holder.name: kept.handle}), [2.0, 4.0])
            sess.run("free", {free_holder.name: kept.handle})
            with pytest.raises(gf.errors.InvalidArgumentError, match="not in the session store"):
                sess.run("read:0", {holder.name: kept.handle})
    with tf.Graph().as_default(), tf.Session() as sess:  # TF1 runs the exported nodes as its own
        tf.import_graph_def(tf.GraphDef.FromString(gd.SerializeToString()), name="")
        theirs = sess.run("keep:0")
        np.testing.assert_array_equal(sess.run("read:0", {holder.name: theirs.handle}), [2.0, 4.0])


# ---- protobuf messages ------------------------------------------------------------------------

def test_log_message_and_name_attr_list() -> None:
    msg = gf.LogMessage(level=gf.LogMessage.WARN, message="disk low")
    again = gf.LogMessage.FromString(msg.SerializeToString())
    assert again.level == gf.LogMessage.WARN and again.message == "disk low"
    # TensorBoard's copies of TF's messages (package "tensorboard"): the same fields and wire format
    assert gf.LogMessage.DESCRIPTOR.name == "LogMessage"
    attrs = gf.NameAttrList(name="MyFunc")
    attrs.attr["T"].type = 1
    back = gf.NameAttrList.FromString(attrs.SerializeToString())
    assert back.name == "MyFunc" and back.attr["T"].type == 1
    assert gf.NameAttrList.DESCRIPTOR.name == "NameAttrList"
    event = gf.Event(log_message=msg)
    assert event.log_message.message == "disk low"


def test_protobuf_messages_match_tf1_bytes() -> None:
    tf = tf1()
    ours = gf.NameAttrList(name="f")
    ours.attr["x"].i = 3
    theirs = tf.NameAttrList(name="f")
    theirs.attr["x"].i = 3
    assert ours.SerializeToString() == theirs.SerializeToString()
    assert gf.LogMessage(level=gf.LogMessage.ERROR, message="m").SerializeToString() == \
        tf.LogMessage(level=tf.LogMessage.ERROR, message="m").SerializeToString()
