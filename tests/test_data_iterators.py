"""tf.data's structural transformations (from_generator, interleave / flat_map /
parallel_interleave, padded_batch, unbatch, concatenate, cache, reduce, ignore_errors, window) and its
iterators (one-shot and initializable functions, reinitializable from_structure, feedable
from_string_handle, output types/shapes/classes), against expected elements and against TF1."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def _drain(sess: Any, t: Any, feeds: dict | None = None) -> list:
    out = []
    while True:
        try:
            out.append(sess.run(t, feeds))
        except Exception as e:  # graphflow's or TF1's OutOfRangeError ends the stream
            if type(e).__name__ != "OutOfRangeError":
                raise
            return out


def _elements(m: Any, ds: Any) -> list:
    nxt = m.compat.v1.data.make_one_shot_iterator(ds).get_next()
    with m.compat.v1.Session() as s:
        return _drain(s, nxt)


def _ints(xs: list) -> list:
    return [int(x) for x in xs]


@pytest.fixture(autouse=True)
def fresh_graph():  # type: ignore[no-untyped-def]
    with gf.Graph().as_default():
        yield


def _gen(n: int) -> Any:
    for k in range(n):
        yield k, [float(k)] * k


def test_from_generator() -> None:
    ds = gf.data.Dataset.from_generator(lambda: _gen(4), (gf.int64, gf.float32), (gf.TensorShape([]), [None]))
    assert ds.output_types == (gf.int64, gf.float32) and ds.output_shapes[1].as_list() == [None]
    got = _elements(gf, ds.repeat(2))  # the generator is called again for the second pass
    assert [int(a) for a, _ in got] == [0, 1, 2, 3] * 2
    assert all(b.dtype == np.float32 and b.tolist() == [float(a)] * int(a) for a, b in got)
    n = gf.placeholder(gf.int64, [])
    it = gf.data.make_initializable_iterator(
        gf.data.Dataset.from_generator(lambda k: range(int(k)), gf.int32, [], args=(n,)))
    with gf.Session() as s:
        s.run(it.initializer, {n: 3})
        assert _ints(_drain(s, it.get_next())) == [0, 1, 2]
    bad = gf.data.Dataset.from_generator(lambda: iter([[1, 2], [1, 2, 3]]), gf.int32, [2])
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"shape \(3,\) where an element of shape \(2,\)"):
        _elements(gf, bad)
    with pytest.raises(gf.errors.InvalidArgumentError, match="expected type was int32"):
        _elements(gf, gf.data.Dataset.from_generator(lambda: iter(["a"]), gf.int32))


def test_interleave_flat_map_and_their_order() -> None:
    r = gf.data.Dataset.range(1, 6)
    rep = lambda x: gf.data.Dataset.from_tensors(x).repeat(x)  # noqa: E731
    # TF's order (checked against TF1 below): an exhausted slot takes the next input when its turn comes
    assert _ints(_elements(gf, r.interleave(rep, cycle_length=2, block_length=2))) == \
        [1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5, 5]
    assert _ints(_elements(gf, r.apply(gf.data.experimental.parallel_interleave(rep, 3)))) == \
        [1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 4, 5, 5, 5]
    assert _ints(_elements(gf, r.flat_map(rep))) == [k for k in range(1, 6) for _ in range(k)]
    assert [b.tolist() for b in _elements(gf, r.window(2, 2).flat_map(lambda w: w.batch(2)))] == [[1, 2], [3, 4], [5]]
    with pytest.raises(TypeError, match="flat_map or interleave them"):
        r.window(2).make_one_shot_iterator()
    # a map_func of several components making a pipeline from them
    pairs = gf.data.Dataset.from_tensor_slices((np.array([1, 2], np.int32), np.array([10.0, 20.0], np.float32)))
    ds = pairs.flat_map(lambda n, v: gf.data.Dataset.from_tensor_slices(gf.fill([n + 1], v)).map(lambda u: u + 1.0))
    assert [float(v) for v in _elements(gf, ds)] == [11.0, 11.0, 21.0, 21.0, 21.0]


def test_padded_batch_unbatch_concatenate_cache_reduce() -> None:
    seqs = gf.data.Dataset.range(1, 5).map(lambda n: (gf.fill([n], n), gf.as_string(n)))
    pb = seqs.padded_batch(3, padded_shapes=([-1], []), padding_values=(gf.constant(-1, gf.int64), "?"))
    assert [s.as_list() for s in pb.output_shapes] == [[None, None], [None]]
    (a0, s0), (a1, s1) = _elements(gf, pb)
    np.testing.assert_array_equal(a0, [[1, -1, -1], [2, 2, -1], [3, 3, 3]])
    assert a1.tolist() == [[4, 4, 4, 4]] and s0.tolist() == [b"1", b"2", b"3"]
    assert s0.dtype == object and all(type(v) is bytes for v in s0)  # not 0-d arrays held in the batch
    assert all(type(v) is bytes for v in _elements(gf, seqs.map(lambda a, s: s).batch(3))[0])
    fixed = seqs.map(lambda a, s: a).padded_batch(2, [5], drop_remainder=True)
    assert fixed.output_shapes.as_list() == [2, 5]
    assert [b.tolist() for b in _elements(gf, fixed)][1] == [[3, 3, 3, 0, 0], [4, 4, 4, 4, 0]]
    with pytest.raises(gf.errors.DataLossError, match="pad to a smaller size"):
        _elements(gf, seqs.map(lambda a, s: a).padded_batch(2, [2]))
    # unbatch undoes batch; concatenate; a dict structure through both
    d = gf.data.Dataset.from_tensor_slices({"x": np.arange(6, dtype=np.float32).reshape(3, 2)})
    both = d.batch(2).unbatch().concatenate(d.map(lambda e: {"x": -e["x"]}))
    got = _elements(gf, both)
    assert [e["x"].tolist() for e in got] == [[0, 1], [2, 3], [4, 5], [-0.0, -1], [-2, -3], [-4, -5]]
    assert _ints(_elements(gf, gf.data.Dataset.range(3).batch(2).apply(gf.data.experimental.unbatch()))) == [0, 1, 2]
    # cache: the first pass's (shuffled) order replayed by the next ones
    cached = gf.data.Dataset.range(8).shuffle(8).cache().repeat(3)
    order = _ints(_elements(gf, cached))
    assert order[:8] == order[8:16] == order[16:] and sorted(order[:8]) == list(range(8))
    total = gf.data.Dataset.range(5).reduce((np.int64(0), np.int64(1)), lambda s, x: (s[0] + x, s[1] * (x + 1)))
    with gf.Session() as s:
        assert [int(v) for v in s.run(total)] == [10, 120]


def test_ignore_errors() -> None:
    ds = gf.data.Dataset.from_tensor_slices(np.array([1.0, 0.0, 4.0, 0.0, 8.0], np.float32))
    checked = ds.map(lambda x: gf.debugging.check_numerics(1.0 / x, "inf"))
    with pytest.raises(gf.errors.InvalidArgumentError):
        _elements(gf, checked)
    assert [float(v) for v in _elements(gf, checked.apply(gf.data.experimental.ignore_errors()))] == \
        [1.0, 0.25, 0.125]


def test_reinitializable_and_feedable_iterators() -> None:
    train = gf.data.Dataset.range(10).map(lambda x: (gf.cast(x, gf.float32), x % 2)).batch(4)
    val = gf.data.Dataset.range(100, 103).map(lambda x: (gf.cast(x, gf.float32), x % 2)).batch(4)
    it = gf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    assert gf.data.get_output_types(it) == (gf.float32, gf.int64)
    assert [s.as_list() for s in gf.data.get_output_shapes(it)] == [[None], [None]]
    assert gf.data.get_output_classes(it) == (gf.Tensor, gf.Tensor)
    x, y = it.get_next()
    total = gf.reduce_sum(x)
    to_train, to_val = it.make_initializer(train), it.make_initializer(val)
    with pytest.raises(TypeError, match="Expected output types"):
        it.make_initializer(gf.data.Dataset.range(3))
    with gf.Session() as s:
        with pytest.raises(gf.errors.FailedPreconditionError):
            s.run(total)
        for _ in range(2):
            s.run(to_train)
            assert [float(v) for v in _drain(s, total)] == [6.0, 22.0, 17.0]
            s.run(to_val)
            assert [float(v) for v in _drain(s, total)] == [303.0]
    # the feedable pattern: one placeholder handle switches between two live iterators
    handle = gf.placeholder(gf.string, [])
    fit = gf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    fx, _ = fit.get_next()
    assert fx.shape.as_list() == [None]
    train_it = gf.data.make_one_shot_iterator(train.repeat())
    val_it = gf.compat.v1.data.make_initializable_iterator(val)
    with gf.Session() as s:
        th, vh = s.run([train_it.string_handle(), val_it.string_handle()])
        s.run(val_it.initializer)
        assert s.run(fx, {handle: th}).tolist() == [0, 1, 2, 3]
        assert s.run(fx, {handle: vh}).tolist() == [100, 101, 102]
        assert s.run(fx, {handle: th}).tolist() == [4, 5, 6, 7]
        with pytest.raises(gf.errors.OutOfRangeError):
            s.run(fx, {handle: vh})


@pytest.mark.needs("tensorflow")
def test_same_elements_as_tf1() -> None:
    tf = tf1()

    def pipelines(m: Any) -> list:
        r = m.data.Dataset.range(1, 7)
        rep = lambda x: m.data.Dataset.from_tensors(x).repeat(x)  # noqa: E731
        seqs = r.map(lambda n: {"a": m.fill([n], n), "b": m.cast(m.fill([2, n % 3], n), m.float32)})
        gen = m.data.Dataset.from_generator(lambda: _gen(5), (m.int64, m.float32), (m.TensorShape([]), [None]))
        return [
            r.interleave(rep, cycle_length=3, block_length=2),
            r.interleave(lambda x: m.data.Dataset.range(x).map(lambda v: v * 10 + x), 2, 3),
            r.apply(m.data.experimental.parallel_interleave(rep, 2, block_length=3)),
            r.flat_map(lambda x: m.data.Dataset.range(x)),
            seqs.padded_batch(4, {"a": [None], "b": [2, -1]}),
            seqs.padded_batch(2, {"a": [7], "b": [2, 3]}, padding_values={"a": np.int64(-9), "b": 0.5},
                              drop_remainder=True),
            gen.padded_batch(2, ([], [None])),
            gen.concatenate(gen.skip(3)).map(lambda a, b: a).batch(3).unbatch(),
            r.batch(4).apply(m.data.experimental.unbatch()),
            r.window(4, 3).flat_map(lambda w: w.batch(4)),
            r.window(3, 1, 2, drop_remainder=True).flat_map(lambda w: w.batch(3)),
            m.data.Dataset.zip((r, r.map(lambda x: x * 10))).window(4).flat_map(
                lambda a, b: m.data.Dataset.zip((a.batch(4), b.batch(4)))),
        ]

    def run_all(m: Any) -> list:
        out = [_elements(m, ds) for ds in pipelines(m)]
        train = m.data.Dataset.range(7).batch(3)
        val = m.data.Dataset.range(50, 52).batch(3)
        it = m.data.Iterator.from_structure(m.data.get_output_types(train), m.data.get_output_shapes(train))
        nxt = it.get_next()
        ops = [it.make_initializer(d) for d in (train, val, train)]
        with m.compat.v1.Session() as s:
            for op in ops:
                s.run(op)
                out.append(_drain(s, nxt))
        return out
    with tf.Graph().as_default():
        theirs = run_all(tf)
    ours = run_all(gf)
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        flat_a = gf.nest.flatten(a) if hasattr(gf, "nest") else a
        flat_b = tf.nest.flatten(b)
        assert len(flat_a) == len(flat_b), k
        for u, v in zip(flat_a, flat_b):
            np.testing.assert_array_equal(u, v, err_msg=f"pipeline {k}")
            assert np.asarray(u).dtype == np.asarray(v).dtype, k
