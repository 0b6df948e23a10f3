"""TF1's sparse tensors (graphflow/ops/sparse_ops.py, sparse_embedding.py): every op against a
numpy reference on each target and against ``tensorflow.compat.v1`` where installed; float64
gradients; SparseTensorValue fetches and feeds; and a sparse linear model trained as TF1 trains it."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import need

SHAPE = (4, 5)
# canonical-order entries of A (4x5), and of B (same shape, overlapping A at (1, 2) and (3, 4))
IA = np.array([[0, 1], [1, 2], [2, 0], [3, 4]], np.int64)
VA = np.array([1.5, -2.0, 0.5, 3.0])
IB = np.array([[1, 2], [3, 4], [0, 0]], np.int64)  # not in canonical order
VB = np.array([0.25, 1.0, -1.0])
DENSE_B = np.arange(15, dtype=np.float64).reshape(5, 3) / 7.0


def _dense(idx: np.ndarray, vals: np.ndarray, shape: tuple[int, ...], default: float = 0.0) -> np.ndarray:
    out = np.full(shape, default, vals.dtype)
    for i, v in zip(idx, vals):
        out[tuple(i)] += v - (default if out[tuple(i)] == default else 0)
    return out


def _canonical(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.argwhere(dense != 0)
    return idx, dense[tuple(idx.T)]


def _softmax_rows(idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
    out = np.empty_like(vals)
    for r in np.unique(idx[:, 0]):
        m = idx[:, 0] == r
        e = np.exp(vals[m] - vals[m].max())
        out[m] = e / e.sum()
    return out


def _build(lib: Any) -> dict[str, Any]:
    """The same sparse ops built with graphflow or tensorflow.compat.v1 (``lib``)."""
    a = lib.SparseTensor(IA, VA, SHAPE)
    b = lib.SparseTensor(IB, VB, SHAPE)
    br = lib.sparse_reorder(b)
    three = lib.SparseTensor(np.array([[0, 0, 1], [0, 1, 0], [1, 0, 2]], np.int64), np.array([1.0, 2.0, 3.0]),
                             (2, 2, 3))
    return {
        "to_dense": lib.sparse_tensor_to_dense(br, default_value=-1.0),
        "reorder": br,
        "matmul": lib.sparse_tensor_dense_matmul(a, DENSE_B),
        "matmul_adj": lib.sparse_tensor_dense_matmul(a, DENSE_B[:4].T, adjoint_a=True, adjoint_b=True),
        "sum_all": lib.sparse_reduce_sum(a),
        "sum_1": lib.sparse_reduce_sum(a, axis=1),
        "sum_0_keep": lib.sparse_reduce_sum(a, axis=0, keepdims=True),
        "add": lib.sparse_add(a, br),
        "add_dense": lib.sparse_add(a, np.ones(SHAPE)),
        "concat0": lib.sparse_concat(0, [a, br]),
        "concat1": lib.sparse_concat(1, [a, br]),
        "reshape": lib.sparse_reshape(a, [2, -1]),
        "reshape3": lib.sparse_reshape(three, [3, 4]),
        "retain": lib.sparse_retain(a, np.array([True, False, True, True])),
        "softmax": lib.sparse_softmax(a),
        "softmax3": lib.sparse_softmax(three),
        "to_dense_1d": lib.sparse_to_dense(np.array([0, 3], np.int64), [5], 2.0, default_value=0.5),
        "to_dense_2d": lib.sparse_to_dense(IA, SHAPE, VA),
        "transpose": lib.sparse_transpose(a),
        "transpose3": lib.sparse_transpose(three, [2, 0, 1]),
        "fill_rows": lib.sparse_fill_empty_rows(lib.SparseTensor(IA[[0, 3]], VA[[0, 3]], SHAPE), -7.0),
    }


def _numpy() -> dict[str, Any]:
    da, db = _dense(IA, VA, SHAPE), _dense(IB, VB, SHAPE)
    three_i = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 2]])
    three_v = np.array([1.0, 2.0, 3.0])
    order = np.argsort(IB[:, 0] * 5 + IB[:, 1], kind="stable")
    rs = da.reshape(2, 10)
    r3 = _dense(three_i, three_v, (2, 2, 3)).reshape(3, 4)
    soft3 = np.empty(3)
    groups = three_i[:, 0] * 2 + three_i[:, 1]
    for g in np.unique(groups):  # each innermost row holds one entry here
        soft3[groups == g] = 1.0
    return {
        "to_dense": _dense(IB, VB, SHAPE, -1.0),
        "reorder": (IB[order], VB[order], SHAPE),
        "matmul": da @ DENSE_B,
        "matmul_adj": da.T @ DENSE_B[:4],
        "sum_all": da.sum(),
        "sum_1": da.sum(1),
        "sum_0_keep": da.sum(0, keepdims=True),
        "add": (*_canonical(da + db), SHAPE),
        "add_dense": da + 1.0,
        "concat0": (*_canonical(np.concatenate([da, db], 0)), (8, 5)),
        "concat1": (*_canonical(np.concatenate([da, db], 1)), (4, 10)),
        "reshape": (*_canonical(rs), (2, 10)),
        "reshape3": (*_canonical(r3), (3, 4)),
        "retain": (IA[[0, 2, 3]], VA[[0, 2, 3]], SHAPE),
        "softmax": (IA, _softmax_rows(IA, VA), SHAPE),
        "softmax3": (three_i, soft3, (2, 2, 3)),
        "to_dense_1d": np.array([2.0, 0.5, 0.5, 2.0, 0.5]),
        "to_dense_2d": da,
        "transpose": (*_canonical(da.T), SHAPE[::-1]),
        "transpose3": (*_canonical(_dense(three_i, three_v, (2, 2, 3)).transpose(2, 0, 1)), (3, 2, 2)),
        "fill_rows": ((np.array([[0, 1], [1, 0], [2, 0], [3, 4]]), np.array([1.5, -7.0, -7.0, 3.0]), SHAPE),
                      np.array([False, True, True, False])),
    }


def _same(got: Any, want: Any, what: str) -> None:
    if isinstance(want, tuple) and len(want) == 2:  # (sparse result, dense result)
        _same(got[0], want[0], what)
        _same(got[1], want[1], what + " [1]")
    elif isinstance(want, tuple):
        assert len(got) == 3, what
        for g, w, part in zip(got, want, ("indices", "values", "dense_shape")):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-12, err_msg=f"{what}: {part}")
    else:
        assert np.shape(got) == np.shape(want), f"{what}: shape {np.shape(got)} vs {np.shape(want)}"
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=what)


@pytest.mark.parametrize("device", TARGETS)
def test_sparse_ops_match_numpy(device: str) -> None:
    out = _build(gf)
    assert out["matmul"].shape.as_list() == [4, 3] and out["reorder"].shape.as_list() == [4, 5]
    with gf.Session(device=device) as sess:
        got = sess.run(out)
    for k, want in _numpy().items():
        if isinstance(want, tuple) and len(want) == 3:
            assert isinstance(got[k], gf.SparseTensorValue), k
        _same(got[k], want, k)


def test_sparse_ops_match_tf1() -> None:
    tf = need("tensorflow").compat.v1
    tf.disable_eager_execution()
    with tf.Graph().as_default(), tf.Session() as sess:
        want = sess.run(_build(tf))
    with gf.Session() as sess:
        got = sess.run(_build(gf))
    for k, w in want.items():
        if k == "fill_rows":
            w = (tuple(w[0]), w[1])
        _same(got[k], tuple(w) if isinstance(w, tf.SparseTensorValue) else w, k)


def test_gradients_of_values_and_dense_operands() -> None:
    """sparse_tensor_dense_matmul (values and b), to_dense, reduce_sum, softmax, add and the
    pooled embedding lookups (params and weights): float64 central differences and the adjoint test."""
    def fn(va: Any, vb: Any, b: Any) -> Any:
        a = gf.SparseTensor(IA, va, SHAPE)
        sb = gf.SparseTensor(IB, vb, SHAPE)
        parts = [gf.sparse_tensor_dense_matmul(a, b), gf.sparse_tensor_to_dense(sb, default_value=2.0),
                 gf.sparse_reduce_sum(a, axis=0), gf.sparse_softmax(a).values,
                 gf.sparse_tensor_to_dense(gf.sparse_add(a, sb))]
        ids, w = gf.SparseTensor(IA, IA[:, 1], SHAPE), gf.SparseTensor(IA, va * va, SHAPE)
        pooled = [gf.nn.embedding_lookup_sparse(b, ids, w, combiner="sqrtn"),
                  gf.nn.safe_embedding_lookup_sparse(b, ids, w, combiner="mean")]
        return gf.concat([gf.reshape(p, [-1]) for p in parts] + [gf.reshape(p, [12]) for p in pooled], 0)
    check_gradient(fn, [VA, VB, DENSE_B])


def test_fetch_and_feed_sparse_tensor_value() -> None:
    sp = gf.sparse_placeholder(gf.float64, shape=[4, 5], name="sp")
    free = gf.sparse_placeholder(gf.float32, shape=[None, None])
    assert sp.shape.as_list() == [4, 5] and free.shape.as_list() == [None, None] and sp.dtype == gf.float64
    doubled = gf.SparseTensor(sp.indices, sp.values * 2.0, sp.dense_shape)
    dense = gf.sparse_tensor_to_dense(free)
    with gf.Session() as sess:
        got = sess.run({"sp": doubled, "pair": [sp.values, dense]},
                       {sp: gf.SparseTensorValue(IA, VA, np.array(SHAPE)),
                        free: (IB[:2], np.array([1.0, 2.0], np.float32), np.array([4, 5]))})
        assert isinstance(got["sp"], gf.SparseTensorValue)
        np.testing.assert_array_equal(got["sp"].indices, IA)
        np.testing.assert_array_equal(got["sp"].values, 2 * VA)
        np.testing.assert_array_equal(got["sp"].dense_shape, SHAPE)
        np.testing.assert_array_equal(got["pair"][1], _dense(IB[:2], np.array([1.0, 2.0], np.float32), (4, 5)))
        # the default dense_shape of a fully shaped placeholder, and SparseTensor.eval
        again = doubled.eval({sp.indices: IA[:1], sp.values: VA[:1]})
        np.testing.assert_array_equal(again.dense_shape, SHAPE)
        assert gf.sparse is __import__("graphflow.sparse").sparse


def test_bad_input_raises_clear_errors() -> None:
    with pytest.raises(ValueError, match="indices must be a matrix"):
        gf.SparseTensor(np.array([0, 1]), [1.0, 2.0], [3])
    with pytest.raises(ValueError, match="dense_shape has 3 entries"):
        gf.SparseTensor(IA, VA, [4, 5, 6])
    with pytest.raises(ValueError, match="inner dimensions disagree"):
        gf.sparse_tensor_dense_matmul(gf.SparseTensor(IA, VA, SHAPE), np.ones((4, 2)))
    with pytest.raises(ValueError, match="combiner"):
        gf.nn.embedding_lookup_sparse(np.ones((3, 2)), gf.SparseTensor(IA, IA[:, 1], SHAPE), None, combiner="max")


def _embedding_graph(lib: Any, nn: Any) -> dict[str, Any]:
    params = lib.constant(np.arange(12, dtype=np.float64).reshape(6, 2) / 3.0)
    ids = lib.SparseTensor(np.array([[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]], np.int64),
                           np.array([1, 4, 0, 4, 5], np.int64), (4, 3))
    w = lib.SparseTensor(ids.indices, np.array([0.5, 2.0, 1.0, -1.0, 3.0]), (4, 3))
    bad = lib.SparseTensor(np.array([[0, 0, 0], [0, 0, 1], [1, 1, 0], [1, 0, 0]], np.int64),
                           np.array([2, -1, 3, -1], np.int64), (2, 2, 2))
    out = {}
    for c in ("sum", "mean", "sqrtn"):
        out[c] = nn.embedding_lookup_sparse(params, ids, None, combiner=c)
        out[c + "_w"] = nn.embedding_lookup_sparse(params, ids, w, combiner=c)
        out[c + "_safe"] = nn.safe_embedding_lookup_sparse(params, ids, w, combiner=c)
        out[c + "_safe3"] = nn.safe_embedding_lookup_sparse(params, bad, None, combiner=c, default_id=5)
    return out


def test_embedding_lookup_sparse_matches_tf1() -> None:
    tf = need("tensorflow").compat.v1
    tf.disable_eager_execution()
    with tf.Graph().as_default(), tf.Session() as sess:
        want = sess.run(_embedding_graph(tf, tf.nn))
    with gf.Session() as sess:
        got = sess.run(_embedding_graph(gf, gf.nn))
    for k, w in want.items():
        assert got[k].shape == w.shape, f"{k}: {got[k].shape} vs {w.shape}"
        np.testing.assert_allclose(got[k], w, rtol=1e-12, err_msg=k)


def _train_sparse_linear(lib: Any, nn: Any, steps: int = 20) -> list[float]:
    """A sparse linear model: sparse features times a dense weight matrix plus pooled embeddings of
    sparse ids ("sum", "mean", "sqrtn"), softmax cross-entropy, plain gradient descent."""
    rs = np.random.RandomState(3)
    batch, feats, classes, vocab = 6, 8, 3, 7
    feat_idx = np.array([[r, c] for r in range(batch) for c in sorted(rs.choice(feats, 3, replace=False))], np.int64)
    feat_val = rs.standard_normal(len(feat_idx))
    id_idx = np.array([[r, k] for r in range(batch) for k in range(1 + r % 3)], np.int64)
    id_val = rs.randint(0, vocab, len(id_idx)).astype(np.int64)
    id_w = rs.uniform(0.5, 2.0, len(id_idx))
    labels = rs.randint(0, classes, batch)
    w0, e0 = rs.standard_normal((feats, classes)) * 0.3, rs.standard_normal((vocab, classes)) * 0.3
    x = lib.sparse_placeholder(lib.float64, shape=[batch, feats])
    ids = lib.sparse_placeholder(lib.int64, shape=[batch, 3])
    wts = lib.sparse_placeholder(lib.float64, shape=[batch, 3])
    w = lib.get_variable("w", initializer=lib.constant(w0))
    emb = lib.get_variable("emb", initializer=lib.constant(e0))
    logits = lib.sparse_tensor_dense_matmul(x, w)
    logits += nn.embedding_lookup_sparse(emb, ids, None, combiner="sum")
    logits += nn.embedding_lookup_sparse(emb, ids, wts, combiner="mean")
    logits += nn.embedding_lookup_sparse(emb, ids, wts, combiner="sqrtn")
    loss = lib.reduce_mean(nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = lib.train.GradientDescentOptimizer(0.5).minimize(loss)  # 0.5: exact in float32, as TF1 rounds the rate
    feed = {x: lib.SparseTensorValue(feat_idx, feat_val, [batch, feats]),
            ids: (id_idx, id_val, np.array([batch, 3])), wts: (id_idx, id_w, np.array([batch, 3]))}
    out = []
    with lib.Session() as sess:
        sess.run(lib.global_variables_initializer())
        for _ in range(steps):
            out.append(float(sess.run([loss, train], feed)[0]))
    return out


def test_sparse_linear_model_trains_as_tf1() -> None:
    ours = _train_sparse_linear(gf, gf.nn)
    assert ours[-1] < ours[0] * 0.8, ours
    tf = need("tensorflow").compat.v1
    tf.disable_eager_execution()
    with tf.Graph().as_default():
        theirs = _train_sparse_linear(tf, tf.nn)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
