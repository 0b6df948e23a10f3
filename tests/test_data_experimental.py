"""``tf.data.experimental`` / ``tf.contrib.data`` transformations and TF1's
``tf.data.get_output_shapes`` / ``_types`` / ``_classes``: hand-computed values, and TF1's where
TensorFlow is installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def _pipeline(tf: Any) -> Any:
    ds = tf.data.Dataset.from_tensor_slices((np.arange(5, dtype=np.float32), np.arange(5, dtype=np.int64)))
    return ds.apply(tf.data.experimental.map_and_batch(lambda x, y: (x * 2.0, y + 1), 2,
                                                       num_parallel_calls=tf.data.experimental.AUTOTUNE))


def _drain(tf: Any, ds: Any) -> list:
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as s:
        while True:
            try:
                out.append(s.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def test_map_and_batch_and_output_structure() -> None:
    with gf.Graph().as_default():
        ds = _pipeline(gf)
        got = _drain(gf, ds)
        assert [g[0].tolist() for g in got] == [[0.0, 2.0], [4.0, 6.0], [8.0]]
        assert [g[1].tolist() for g in got] == [[1, 2], [3, 4], [5]]
        shapes = gf.data.get_output_shapes(ds)
        assert [s.as_list() for s in shapes] == [[None], [None]]
        assert gf.data.get_output_types(ds) == (gf.float32, gf.int64)
        assert gf.data.get_output_classes(ds) == (gf.Tensor, gf.Tensor)
        it = gf.data.make_one_shot_iterator(ds)
        assert gf.data.get_output_types(it) == (gf.float32, gf.int64)
        dropped = gf.data.Dataset.range(5).apply(gf.contrib.data.map_and_batch(lambda x: x, 2, drop_remainder=True))
        assert gf.data.get_output_shapes(dropped).as_list() == [2]
        assert [b.tolist() for b in dropped] == [[0, 1], [2, 3]]
        assert gf.data.get_output_classes(dropped) is gf.Tensor
    with pytest.raises(ValueError, match="mutually exclusive"):
        gf.contrib.data.map_and_batch(lambda x: x, 2, num_parallel_batches=1, num_parallel_calls=1)
    with pytest.raises(TypeError, match="must return a Dataset"):
        gf.data.Dataset.range(3).apply(lambda ds: 3)


def test_map_and_batch_matches_tf1() -> None:
    tf = tf1()
    with tf.Graph().as_default():
        ds = _pipeline(tf)
        theirs = _drain(tf, ds)
        their_shapes = [s.as_list() for s in tf.data.get_output_shapes(ds)]
        their_types = [t.name for t in tf.data.get_output_types(ds)]
    with gf.Graph().as_default():
        ds = _pipeline(gf)
        ours = _drain(gf, ds)
        assert [s.as_list() for s in gf.data.get_output_shapes(ds)] == their_shapes
        assert [t.name for t in gf.data.get_output_types(ds)] == their_types
    for o, t in zip(ours, theirs):
        for a, b in zip(o, t):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
    assert gf.data.experimental.AUTOTUNE == tf.data.experimental.AUTOTUNE


def test_get_single_element() -> None:
    with gf.Graph().as_default():
        x, name = gf.data.experimental.get_single_element(
            gf.data.Dataset.from_tensors((np.arange(3.0), "a")).map(lambda v, s: (v + 1.0, s)))
        assert x.shape.as_list() == [3] and x.dtype == gf.float64 and name.dtype == gf.string
        p = gf.placeholder(gf.float32, [None])
        total = gf.contrib.data.get_single_element(gf.data.Dataset.from_tensor_slices(p).batch(10))
        many = gf.data.experimental.get_single_element(gf.data.Dataset.range(2))
        empty = gf.data.experimental.get_single_element(gf.data.Dataset.range(0))
        with gf.Session() as s:
            got = s.run([x, name])
            np.testing.assert_array_equal(got[0], [1.0, 2.0, 3.0])
            assert got[1] == b"a"
            np.testing.assert_array_equal(s.run(total, {p: [1.0, 2.0]}), [1.0, 2.0])  # read on each run
            np.testing.assert_array_equal(s.run(total, {p: [5.0]}), [5.0])
            with pytest.raises(gf.errors.InvalidArgumentError, match="more than one element"):
                s.run(many)
            with pytest.raises(gf.errors.InvalidArgumentError, match="Dataset was empty"):
                s.run(empty)
    with pytest.raises(TypeError, match="tf.data.Dataset"):
        gf.data.experimental.get_single_element([1, 2])


def test_get_single_element_matches_tf1() -> None:
    tf = tf1()
    results = []
    for lib in (tf, gf):
        with lib.Graph().as_default():
            ds = lib.data.Dataset.range(4).apply(lib.data.experimental.shuffle_and_repeat(1, 2)).batch(8)
            v = lib.data.experimental.get_single_element(ds)
            with lib.Session() as s:
                results.append((s.run(v), v.shape.as_list(), v.dtype.name))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


def test_module_paths() -> None:
    import graphflow.data.experimental as experimental

    assert experimental is gf.data.experimental and experimental.AUTOTUNE == gf.data.AUTOTUNE == -1
    assert gf.contrib.data.map_and_batch is experimental.map_and_batch
