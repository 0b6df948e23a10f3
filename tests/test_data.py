"""tf.data: pipelines of slices, map, filter, shuffle, batch, repeat, shard, take/skip and zip,
one-shot and initializable iterators (also over fed placeholders), one element per run, and
OutOfRangeError at the end; the same elements as TF1's where the order is deterministic."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1

X = np.arange(14, dtype=np.float32).reshape(7, 2)
Y = np.arange(7, dtype=np.int64)


def _drain(sess: Any, t: Any, feeds: dict | None = None) -> list:
    out = []
    while True:
        try:
            out.append(sess.run(t, feeds))
        except Exception as e:  # graphflow's or TF1's OutOfRangeError ends the stream
            if type(e).__name__ != "OutOfRangeError":
                raise
            return out


@pytest.fixture(autouse=True)
def fresh_graph():  # type: ignore[no-untyped-def]
    with gf.Graph().as_default():
        yield


def test_slices_map_batch_repeat_and_the_end() -> None:
    ds = gf.data.Dataset.from_tensor_slices((X, Y)).map(lambda a, b: (a * 2.0, b + 1)).batch(3).repeat(2)
    a, b = ds.make_one_shot_iterator().get_next()
    assert a.shape.as_list() == [None, 2] and b.dtype == gf.int64
    with gf.Session() as s:
        got = _drain(s, [a, b])
    assert [g[0].shape[0] for g in got] == [3, 3, 1, 3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got[:3]]), X * 2)
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got[3:]]), Y + 1)


def test_one_element_per_run_shared_by_the_fetches() -> None:
    it = gf.data.Dataset.range(5).make_one_shot_iterator()
    n = it.get_next()
    with gf.Session() as s:
        x, y = s.run([n, n * 10])
        assert y == 10 * x == 0
        assert s.run(n) == 1


def test_shuffle_is_a_permutation_and_seeded() -> None:
    def order(seed: int) -> list:
        with gf.Graph().as_default():
            n = gf.data.Dataset.range(20).shuffle(5, seed=seed).make_one_shot_iterator().get_next()
            with gf.Session() as s:
                return [int(v) for v in _drain(s, n)]
    a, b, c = order(1), order(1), order(2)
    assert sorted(a) == list(range(20)) and a == b and a != c
    # a buffer of 5: element k cannot come out before position k - 4
    assert all(pos >= v - 4 for pos, v in enumerate(a))


def test_drop_remainder_shard_take_skip_zip_filter() -> None:
    ds = gf.data.Dataset.range(10)
    with gf.Session() as s:
        b = ds.batch(4, drop_remainder=True).make_one_shot_iterator().get_next()
        assert b.shape.as_list() == [4]
        assert [v.tolist() for v in _drain(s, b)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
        sh = ds.shard(3, 1).make_one_shot_iterator().get_next()
        assert [int(v) for v in _drain(s, sh)] == [1, 4, 7]
        ts = ds.skip(2).take(3).make_one_shot_iterator().get_next()
        assert [int(v) for v in _drain(s, ts)] == [2, 3, 4]
        z = gf.data.Dataset.zip((ds, ds.map(lambda v: v * v))).make_one_shot_iterator().get_next()
        assert [tuple(int(u) for u in v) for v in _drain(s, list(z))][:3] == [(0, 0), (1, 1), (2, 4)]
        f = ds.filter(lambda v: gf.equal(v % 2, 0)).make_one_shot_iterator().get_next()
        assert [int(v) for v in _drain(s, f)] == [0, 2, 4, 6, 8]


def test_initializable_iterator_over_fed_placeholders_and_training() -> None:
    xp = gf.placeholder(gf.float32, [None, 2])
    yp = gf.placeholder(gf.float32, [None])
    it = gf.data.Dataset.from_tensor_slices((xp, yp)).shuffle(10, seed=0).batch(4).make_initializable_iterator()
    xb, yb = it.get_next()
    w = gf.Variable(np.zeros(2, np.float32))
    loss = gf.reduce_mean((gf.reduce_sum(xb * w, 1) - yb) ** 2)
    train = gf.train.GradientDescentOptimizer(0.05).minimize(loss)
    data_x = np.random.RandomState(0).rand(32, 2).astype(np.float32)
    data_y = data_x @ np.array([2.0, -1.0], np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        with pytest.raises(gf.errors.FailedPreconditionError, match="not been initialized"):
            s.run(xb)
        first = None
        for _ in range(30):
            s.run(it.initializer, {xp: data_x, yp: data_y})
            losses = [v[0] for v in _drain(s, [loss, train])]
            assert len(losses) == 8
            first = first if first is not None else losses[0]
        assert losses[-1] < 0.1 * first


def test_elements_match_tf1() -> None:
    tf = tf1()

    def elements(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            ds = m.data.Dataset.from_tensor_slices({"x": X, "y": Y}).map(lambda d: (d["x"] + 1.0, d["y"] * 2))
            ds = ds.batch(3).repeat(2).skip(1).take(4)
            it = m.data.make_one_shot_iterator(ds) if hasattr(m.data, "make_one_shot_iterator") else \
                m.compat.v1.data.make_one_shot_iterator(ds)
            nxt = it.get_next()
            with m.Session(graph=g) as s:
                return _drain(s, list(nxt))
    ours, theirs = elements(gf), elements(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
            assert np.asarray(u).dtype == np.asarray(v).dtype
