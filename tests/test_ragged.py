"""tf.RaggedTensor and tf.ragged (ops/ragged_tensor.py, ops/ragged_ops.py): rows of different
lengths as composites of graph tensors, fetched as RaggedTensorValues, against numpy and TF1."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import tf1


def _build(tf: Any) -> dict[str, Any]:
    """The same ragged values built through every constructor and method, in ``tf``."""
    RT = tf.RaggedTensor
    rt = RT.from_row_splits(tf.constant([3.0, 1, 4, 1, 5, 9, 2]), [0, 2, 2, 5, 7])
    nested = RT.from_row_lengths(rt, [2, 0, 2])
    dense = tf.constant([[1, 2, 0], [3, 0, 0], [0, 0, 0]])
    return {
        "splits": rt,
        "lengths": RT.from_row_lengths([1, 2, 3, 4], [1, 0, 3]),
        "rowids": RT.from_value_rowids([1, 2, 3, 4], [0, 0, 2, 2], nrows=4),
        "starts": RT.from_row_starts([1, 2, 3], [0, 1, 1]),
        "limits": RT.from_row_limits([1, 2, 3], [2, 2, 3]),
        "nested": nested,
        "nested_splits": RT.from_nested_row_splits([1, 2, 3, 4, 5], [[0, 2, 4], [0, 1, 3, 3, 5]]),
        "padding": RT.from_tensor(dense, padding=0),
        "tensor_lengths": RT.from_tensor(dense, lengths=[1, 2, 0]),
        "whole": RT.from_tensor(dense),
        "sparse": RT.from_sparse(tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [5, 6, 7], [3, 4])),
        "constant": tf.ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]]),
        "inner_shape": tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1),
        "range": tf.ragged.range([0, 3, 5], [4, 3, 11], [1, 1, 3]),
        "mask": tf.ragged.boolean_mask(tf.constant([[1, 2, 3], [4, 5, 6]]), tf.constant([[True, False, True],
                                                                                      [False, False, True]])),
        "partitions": tf.ragged.stack_dynamic_partitions(tf.constant([10, 20, 30, 40]), [1, 0, 1, 1], 3),
        "stacked": tf.ragged.stack([rt, RT.from_row_lengths([7.0, 8.0], [1, 1])]),
        "scaled": rt * 2.0 + 1.0,
        "mapped": tf.ragged.map_flat_values(tf.square, rt),
        "slice": rt[1:3],
        "nested_row": nested[2],
    }


def _dense(tf: Any) -> dict[str, Any]:
    rt = tf.RaggedTensor.from_row_splits(tf.constant([3.0, 1, 4, 1, 5, 9, 2]), [0, 2, 2, 5, 7])
    nested = tf.RaggedTensor.from_row_lengths(rt, [2, 0, 2])
    return {"to_tensor": rt.to_tensor(), "to_tensor_default": nested.to_tensor(-1.0),
            "row_lengths": rt.row_lengths(), "value_rowids": rt.value_rowids(), "nrows": rt.nrows(),
            "bounding_shape": nested.bounding_shape(), "row": rt[2], "last_row": rt[-1],
            "segment_ids": tf.ragged.row_splits_to_segment_ids([0, 2, 2, 5]),
            "row_splits": tf.ragged.segment_ids_to_row_splits([0, 0, 2, 2, 2])}


def _values(tf: Any, built: dict[str, Any], sess: Any) -> dict[str, Any]:
    got = sess.run(built)
    return {k: v.to_list() if hasattr(v, "to_list") else np.asarray(v).tolist() for k, v in got.items()}


@pytest.mark.parametrize("device", TARGETS)
def test_constructors_and_methods(device: str) -> None:
    with gf.Graph().as_default():
        built, dense = _build(gf), _dense(gf)
        sparse = _build(gf)["nested"].to_sparse()
        with gf.Session(device=device) as sess:
            got, got_dense = _values(gf, built, sess), _values(gf, dense, sess)
            st = sess.run(sparse)
    assert got["splits"] == [[3, 1], [], [4, 1, 5], [9, 2]]
    assert got["rowids"] == [[1, 2], [], [3, 4], []]
    assert got["nested"] == [[[3, 1], []], [], [[4, 1, 5], [9, 2]]]
    assert got["padding"] == [[1, 2], [3], []] and got["tensor_lengths"] == [[1], [3, 0], []]
    assert got["sparse"] == [[5, 6], [], [7]]
    assert got["constant"] == [[[1, 2], [3]], [], [[4, 5, 6]]]
    assert got["range"] == [[0, 1, 2, 3], [], [5, 8]]
    assert got["stacked"] == [[[3, 1], [], [4, 1, 5], [9, 2]], [[7], [8]]]
    assert got["slice"] == [[], [4, 1, 5]] and got["nested_row"] == [[4, 1, 5], [9, 2]]
    assert got_dense["to_tensor"] == [[3, 1, 0], [0, 0, 0], [4, 1, 5], [9, 2, 0]]
    assert got_dense["bounding_shape"] == [3, 2, 3]
    assert st.indices.tolist() == [[0, 0, 0], [0, 0, 1], [2, 0, 0], [2, 0, 1], [2, 0, 2], [2, 1, 0], [2, 1, 1]]
    assert st.dense_shape.tolist() == [3, 2, 3]


def test_everything_matches_tf1() -> None:
    tf = tf1()
    out = []
    for mod in (tf, gf):
        with mod.Graph().as_default():
            built, dense = _build(mod), _dense(mod)
            with mod.Session() as sess:
                out.append((_values(mod, built, sess), _values(mod, dense, sess)))
    for (a, b), (c, d) in [(out[0], out[1])]:
        assert a == c
        assert b == d


def test_placeholders_are_fed_ragged_values_and_fetches_come_back_as_them() -> None:
    with gf.Graph().as_default():
        ph = gf.ragged.placeholder(gf.float32, ragged_rank=1, value_shape=[2])
        total = gf.reduce_sum(ph.to_tensor(), axis=1)
        value = gf.ragged.constant_value([[[1.0, 2.0]], [], [[3.0, 4.0], [5.0, 6.0]]], ragged_rank=1)
        with gf.Session() as sess:
            got, back = sess.run([total, ph], {ph: value})
    np.testing.assert_allclose(got, [[1, 2], [0, 0], [8, 10]])
    assert isinstance(back, gf.ragged.RaggedTensorValue)
    assert back.to_list() == [[[1, 2]], [], [[3, 4], [5, 6]]] and back.ragged_rank == 1


@pytest.mark.parametrize("device", TARGETS)
def test_gradients_reach_the_values(device: str) -> None:
    xv = np.random.RandomState(0).randn(7, 2)

    def fn(x: Any) -> Any:
        rt = gf.RaggedTensor.from_row_lengths(x, [2, 0, 3, 2])
        padded = rt.to_tensor(default_value=0.5)
        return gf.reduce_sum(gf.square(padded)) + gf.reduce_sum(gf.sin(rt[2])) + \
            gf.reduce_sum(gf.ragged.map_flat_values(gf.exp, rt).flat_values)
    with gf.Graph().as_default():
        check_gradient(fn, [xv], device=device)


def test_bad_input_names_the_problem() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="constructor is private"):
            gf.RaggedTensor([1], [0, 1])
        with pytest.raises(ValueError, match="same nesting depth"):
            gf.ragged.constant([[1, [2]], [3]])
        bad = gf.RaggedTensor.from_row_splits([1, 2, 3], gf.constant([0, 2, 4], gf.int64))
        rt = gf.RaggedTensor.from_row_lengths([1, 2, 3], [1, 2])
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="end at the number of values"):
                sess.run(bad.row_lengths())
            with pytest.raises(gf.errors.InvalidArgumentError, match="row index"):
                sess.run(rt[5])
        with pytest.raises(NotImplementedError, match="axis 1"):
            gf.ragged.stack([rt, rt], axis=1)
