"""The sparse ops of ``graphflow/ops/sparse_extras.py`` against numpy (always) and against
``tf.compat.v1`` (where TensorFlow is installed): sparse segment reductions, max reductions over
the present entries, elementwise max / min, slice, split, expand_dims, reset_shape, eye and
to_indicator; float64 gradients of the segment reductions."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import need

INDICES = np.array([[0, 1, 0], [0, 2, 1], [1, 0, 0], [1, 0, 2], [3, 2, 2]], np.int64)
VALUES = np.array([-7.0, 4.0, 3.0, -2.0, 5.0])
SHAPE = np.array([4, 3, 3], np.int64)
OTHER = (np.array([[0, 1, 0], [1, 1, 1], [3, 2, 2]], np.int64), np.array([-9.0, 6.0, 1.0]), SHAPE)
DATA = np.random.RandomState(4).randn(5, 3)
DATA32 = DATA.astype(np.float32)
ROWS, SEGMENTS = np.array([0, 2, 3, 3, 1]), np.array([0, 0, 1, 3, 3])


def _dense(indices: np.ndarray, values: np.ndarray, shape: np.ndarray) -> np.ndarray:
    out = np.zeros(shape)
    out[tuple(indices.T)] = values
    return out


def _present(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[tuple(indices.T)] = True
    return mask


def _build(m: Any) -> dict[str, Any]:
    sp = m.SparseTensor(INDICES, VALUES, SHAPE)
    other = m.SparseTensor(*OTHER)
    ids = m.SparseTensor([[0, 0], [0, 1], [2, 0]], np.array([3, 1, 3], np.int64), [3, 2])
    split = m.sparse.split(sp_input=sp, num_split=3, axis=1)
    parts = {
        "segment_sum": m.sparse.segment_sum(DATA, ROWS, SEGMENTS),
        "segment_mean": m.sparse.segment_mean(DATA, ROWS, SEGMENTS),
        "segment_sqrt_n": m.sparse.segment_sqrt_n(DATA, ROWS, SEGMENTS, num_segments=5),
        "reduce_max_1": m.sparse.reduce_max(sp, 1),
        "reduce_max_all": m.sparse.reduce_max(sp),
        "reduce_max_keep": m.sparse.reduce_max(sp, [0, 2], keepdims=True),
        "reduce_max_sparse": m.sparse.reduce_max_sparse(sp, 2),
        "reduce_sum_sparse": m.sparse.reduce_sum_sparse(sp, [1], keepdims=True),
        "maximum": m.sparse.maximum(sp, other),
        "minimum": m.sparse.minimum(sp, other),
        "slice": m.sparse.slice(sp, [0, 1, 0], [2, 5, 2]),
        "expand_dims": m.sparse.expand_dims(sp, -1),
        "reset_shape": m.sparse.reset_shape(sp),
        "eye": m.sparse.eye(3, 4, dtype=m.float64),
        "to_indicator": m.sparse.to_indicator(ids, 4),
        "sparse_matmul": m.sparse_matmul(DATA32, DATA32, transpose_b=True, a_is_sparse=True),  # (TF1's: float32)
    }
    parts.update({f"split_{k}": s for k, s in enumerate(split)})
    return parts


def _run(m: Any, device: str | None = None) -> dict[str, Any]:
    with m.Graph().as_default():
        parts = _build(m)
        with (m.Session(device=device) if device else m.Session()) as sess:
            return sess.run(parts)


@pytest.mark.parametrize("device", TARGETS)
def test_against_numpy(device: str) -> None:
    got = _run(gf, device)
    dense = _dense(INDICES, VALUES, SHAPE)
    present = _present(INDICES, SHAPE)
    segsum = np.zeros((4, 3))
    np.add.at(segsum, SEGMENTS, DATA[ROWS])
    counts = np.bincount(SEGMENTS, minlength=5).astype(float)
    np.testing.assert_allclose(got["segment_sum"], segsum)
    np.testing.assert_allclose(got["segment_mean"], segsum / np.maximum(counts[:4], 1)[:, None])
    np.testing.assert_allclose(got["segment_sqrt_n"],
                               np.vstack([segsum, np.zeros((1, 3))]) / np.sqrt(np.maximum(counts, 1))[:, None])
    masked = np.where(present, dense, -np.inf)  # the max of the entries present; 0 where a slice has none
    want_max = masked.max(1)
    np.testing.assert_allclose(got["reduce_max_1"], np.where(np.isinf(want_max), 0, want_max))
    assert got["reduce_max_all"] == 5.0
    keep = masked.max((0, 2), keepdims=True)
    np.testing.assert_allclose(got["reduce_max_keep"], np.where(np.isinf(keep), 0, keep))
    rms = got["reduce_max_sparse"]
    want = masked.max(2)
    np.testing.assert_array_equal(rms.indices, np.argwhere(~np.isinf(want)))
    np.testing.assert_allclose(rms.values, want[~np.isinf(want)])
    rss = got["reduce_sum_sparse"]
    np.testing.assert_array_equal(rss.dense_shape, [4, 1, 3])
    np.testing.assert_allclose(_dense(rss.indices, rss.values, rss.dense_shape), dense.sum(1, keepdims=True))
    other_dense, other_present = _dense(*OTHER), _present(OTHER[0], SHAPE)
    union = present | other_present
    for name, fn in (("maximum", np.maximum), ("minimum", np.minimum)):
        np.testing.assert_array_equal(got[name].indices, np.argwhere(union))
        np.testing.assert_allclose(got[name].values, fn(dense, other_dense)[union])
    sl = got["slice"]
    np.testing.assert_array_equal(sl.dense_shape, [2, 2, 2])
    np.testing.assert_allclose(_dense(sl.indices, sl.values, sl.dense_shape), dense[0:2, 1:3, 0:2])
    pieces = [got[f"split_{k}"] for k in range(3)]
    assert [p.dense_shape.tolist() for p in pieces] == [[4, 1, 3]] * 3
    np.testing.assert_allclose(np.concatenate([_dense(p.indices, p.values, p.dense_shape) for p in pieces], 1), dense)
    ex = got["expand_dims"]
    np.testing.assert_allclose(_dense(ex.indices, ex.values, ex.dense_shape), dense[..., None])
    np.testing.assert_array_equal(got["reset_shape"].dense_shape, [4, 3, 3])
    eye = got["eye"]
    np.testing.assert_allclose(_dense(eye.indices, eye.values, eye.dense_shape), np.eye(3, 4))
    np.testing.assert_allclose(got["sparse_matmul"], DATA32 @ DATA32.T, rtol=1e-6)
    np.testing.assert_array_equal(got["to_indicator"], [[False, True, False, True], [False] * 4,
                                                        [False, False, False, True]])


def test_against_tf1() -> None:
    tf = need("tensorflow")
    ours, theirs = _run(gf), _run(tf)
    for name, want in theirs.items():
        got = ours[name]
        if hasattr(want, "indices"):
            for a, b in zip(got, want):
                np.testing.assert_allclose(np.asarray(a), np.asarray(b), err_msg=name)
        else:
            rtol = 1e-6 if name == "sparse_matmul" else 1e-7  # (a float32 product summed in another order)
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, err_msg=name)


def test_segment_gradients() -> None:
    with gf.Graph().as_default():
        check_gradient(lambda d: gf.sparse.segment_sum(d, ROWS, SEGMENTS, num_segments=4) * 1.5
                       + gf.sparse.segment_mean(d, ROWS, SEGMENTS, num_segments=4) ** 2
                       + gf.sparse.segment_sqrt_n(d, ROWS, SEGMENTS, num_segments=4), [DATA])


def test_bad_arguments() -> None:
    sp = gf.SparseTensor(INDICES, VALUES, SHAPE)
    with pytest.raises(ValueError, match="keyword-only"):
        gf.sparse.split(sp, 2, 1)
    with pytest.raises(ValueError, match="axis must be in"):
        gf.sparse.expand_dims(sp, 5)
    with pytest.raises(TypeError, match="integer ids"):
        gf.sparse.to_indicator(sp, 3)
    with pytest.raises(ValueError, match="one dense shape"):
        gf.sparse.maximum(sp, gf.SparseTensor([[0, 0]], [1.0], [2, 2]))
