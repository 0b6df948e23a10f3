"""Queues as session resources: TF1's FIFO, random-shuffle, padding and priority queues, their
blocking across threads, closing, cancellation, timeouts and the session's closing."""
from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def _started(fn) -> tuple[threading.Thread, list]:
    out: list = []

    def body() -> None:
        try:
            out.append(fn())
        except Exception as e:  # noqa: BLE001 - the test inspects it
            out.append(e)
    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, out


def test_fifo_semantics_blocking_and_close() -> None:
    with gf.Graph().as_default():
        q = gf.FIFOQueue(3, [gf.int32, gf.string], shapes=[[], []])
        xs = gf.placeholder(gf.int32, [None])
        ss = gf.placeholder(gf.string, [None])
        x1 = gf.placeholder(gf.int32, [])
        enq_many = q.enqueue_many([xs, ss])
        enq = q.enqueue([x1, "one"])
        deq = q.dequeue()
        many = q.dequeue_many(2)
        up_to = q.dequeue_up_to(5)
        size, closed = q.size(), q.is_closed()
        assert q.name == "fifo_queue" and q.queue_ref.op.type == "FIFOQueueV2"
        assert many[0].shape.as_list() == [2] and up_to[0].shape.as_list() == [None]
        assert enq.name == "fifo_queue_enqueue" and deq[0].op.name == "fifo_queue_Dequeue"
        with gf.Session() as sess:
            sess.run(enq_many, {xs: [1, 2], ss: ["a", "b"]})
            assert sess.run(size) == 2
            v, s = sess.run(deq)
            assert (v, s) == (1, b"a")
            sess.run(enq, {x1: 3})
            sess.run(enq_many, {xs: [4], ss: ["d"]})  # full now: 2, 3, 4
            t, out = _started(lambda: sess.run(enq, {x1: 5}))  # blocks while full
            time.sleep(0.2)
            assert t.is_alive() and sess.run(size) == 3
            a, b = sess.run(many)
            t.join(5)
            assert not t.is_alive() and out == [None]
            np.testing.assert_array_equal(a, [2, 3])
            assert b.tolist() == [b"b", b"one"]
            # a dequeue blocks while empty, until another thread enqueues
            sess.run(many)
            t, out = _started(lambda: sess.run(deq))
            time.sleep(0.2)
            assert t.is_alive()
            sess.run(enq, {x1: 9})
            t.join(5)
            assert out[0][0] == 9
            sess.run(enq_many, {xs: [6, 7], ss: ["f", "g"]})
            # closing: pending dequeue_many fails, enqueue fails, the rest drains
            many3 = q.dequeue_many(3)
            t, out = _started(lambda: sess.run(many3))
            time.sleep(0.2)
            assert not sess.run(closed)
            sess.run(q.close())
            t.join(5)
            assert isinstance(out[0], gf.errors.OutOfRangeError)
            assert "FIFOQueue '_0_fifo_queue' is closed and has insufficient elements (requested 3, current size 2)" \
                in str(out[0])
            assert sess.run(closed)
            with pytest.raises(gf.errors.CancelledError, match="FIFOQueue '_0_fifo_queue' is closed."):
                sess.run(enq, {x1: 1})
            a, b = sess.run(up_to)  # the rest, fewer than asked
            np.testing.assert_array_equal(a, [6, 7])
            with pytest.raises(gf.errors.OutOfRangeError,
                               match=r"is closed and has insufficient elements \(requested 1, current size 0\)"):
                sess.run(deq)
            with pytest.raises(gf.errors.OutOfRangeError, match=r"requested 5, current size 0"):
                sess.run(up_to)


def test_cancel_pending_enqueues_timeout_and_session_close() -> None:
    with gf.Graph().as_default():
        q = gf.FIFOQueue(1, gf.float32, shapes=[[]])
        x = gf.placeholder(gf.float32, [])
        enq, deq = q.enqueue(x), q.dequeue()
        sess = gf.Session()
        with pytest.raises(gf.errors.DeadlineExceededError, match="Timed out waiting for notification"):
            sess.run(deq, options=gf.RunOptions(timeout_in_ms=50))
        sess.run(enq, {x: 1.0})
        t, out = _started(lambda: sess.run(enq, {x: 2.0}))
        time.sleep(0.2)
        assert t.is_alive()
        sess.run(q.close(cancel_pending_enqueues=True))
        t.join(5)
        assert isinstance(out[0], gf.errors.CancelledError) and "Enqueue operation was cancelled" in str(out[0])
        assert sess.run(deq) == 1.0  # what was in stays
        # a dequeue blocked on another queue ends when the session closes
        q2 = gf.FIFOQueue(2, gf.float32, shapes=[[]])
        d2 = q2.dequeue()
        t, out = _started(lambda: sess.run(d2))
        time.sleep(0.2)
        assert t.is_alive()
        sess.close()
        t.join(5)
        assert not t.is_alive() and isinstance(out[0], gf.errors.CancelledError)


def test_one_queue_per_session_and_shared_name() -> None:
    with gf.Graph().as_default():
        q = gf.FIFOQueue(5, gf.int32, shapes=[[]])
        p = gf.FIFOQueue(5, gf.int32, shapes=[[]], shared_name="shared")
        p2 = gf.FIFOQueue(5, gf.int32, shapes=[[]], shared_name="shared", name="other")
        x = gf.placeholder(gf.int32, [])
        with gf.Session() as s1, gf.Session() as s2:
            s1.run(q.enqueue(x), {x: 1})
            s1.run(p.enqueue(x), {x: 7})
            assert s1.run(q.size()) == 1 and s2.run(q.size()) == 0  # each session has its own
            assert s1.run(p2.dequeue()) == 7  # the same shared name is the same queue


def test_random_shuffle_queue() -> None:
    with gf.Graph().as_default():
        q = gf.RandomShuffleQueue(20, 3, gf.int64, shapes=[[]], seed=7)
        xs = gf.placeholder(gf.int64, [None])
        enq, deq, size = q.enqueue_many([xs]), q.dequeue(), q.size()
        assert q.name == "random_shuffle_queue"
        with gf.Session() as sess:
            sess.run(enq, {xs: np.arange(4)})
            got = [int(sess.run(deq))]  # 4 > min_after_dequeue 3: one may go
            with pytest.raises(gf.errors.DeadlineExceededError):  # 3 left: it waits for more
                sess.run(deq, options=gf.RunOptions(timeout_in_ms=50))
            sess.run(enq, {xs: np.arange(4, 10)})
            got += [int(v) for v in sess.run(q.dequeue_many(6))]
            sess.run(q.close())
            got += [int(v) for v in sess.run(q.dequeue_up_to(10))]  # closed: the minimum no longer holds
            assert sorted(got) == list(range(10)) and sess.run(size) == 0
            assert got != list(range(10))  # shuffled


def test_padding_and_priority_queues_and_names() -> None:
    with gf.Graph().as_default():
        pq = gf.PaddingFIFOQueue(5, [gf.int32, gf.string], shapes=[[None], []])
        v = gf.placeholder(gf.int32, [None])
        pr = gf.PriorityQueue(5, [gf.string], shapes=[[]])
        prio = gf.placeholder(gf.int64, [None])
        named = gf.queue.FIFOQueue(3, [gf.int32, gf.float32], shapes=[[], [2]], names=["a", "b"])
        with gf.Session() as sess:
            sess.run(pq.enqueue([v, "x"]), {v: [1, 2, 3]})
            sess.run(pq.enqueue([v, "y"]), {v: [4]})
            a, s = sess.run(pq.dequeue_many(2))
            np.testing.assert_array_equal(a, [[1, 2, 3], [4, 0, 0]])
            assert s.tolist() == [b"x", b"y"]
            sess.run(pr.enqueue_many([prio, ["c", "a", "b"]]), {prio: [3, 1, 2]})
            p, w = sess.run(pr.dequeue_many(3))
            assert p.tolist() == [1, 2, 3] and w.tolist() == [b"a", b"b", b"c"]
            sess.run(named.enqueue({"a": 1, "b": [0.5, 1.5]}))
            out = sess.run(named.dequeue())
            assert set(out) == {"a", "b"} and out["a"] == 1 and out["b"].tolist() == [0.5, 1.5]
            with pytest.raises(gf.errors.InvalidArgumentError, match="Shape mismatch in tuple component 1"):
                fv = gf.placeholder(gf.float32, [None])
                sess.run(named.enqueue({"a": 1, "b": fv}), {fv: [1, 2, 3]})
    assert isinstance(named, gf.QueueBase)
    with pytest.raises(ValueError, match="compatible"):
        with gf.Graph().as_default():
            gf.FIFOQueue(2, gf.int32, shapes=[[2]]).enqueue([[1, 2, 3]])


def test_parallel_producers_and_consumers() -> None:
    """Several threads enqueue and dequeue through one session at once: every element arrives once."""
    with gf.Graph().as_default():
        q = gf.FIFOQueue(4, gf.int32, shapes=[[]])
        x = gf.placeholder(gf.int32, [])
        enq, deq = q.enqueue(x), q.dequeue()
        with gf.Session() as sess:
            producers = [threading.Thread(target=lambda k=k: [sess.run(enq, {x: 10 * k + i}) for i in range(10)])
                         for k in range(3)]
            got: list[int] = []
            consumers = [threading.Thread(target=lambda: got.extend(int(sess.run(deq)) for _ in range(15)))
                         for _ in range(2)]
            for t in producers + consumers:
                t.start()
            for t in producers + consumers:
                t.join(30)
            assert sorted(got) == sorted(10 * k + i for k in range(3) for i in range(10))


@pytest.mark.needs("tensorflow")
def test_fifo_and_padding_match_tf1() -> None:
    tf = tf1()

    def run(m):
        with m.Graph().as_default():
            q = m.FIFOQueue(5, [m.int32], shapes=[[2]])
            pq = m.PaddingFIFOQueue(5, [m.int32], shapes=[[None]])
            with m.Session() as s:
                s.run(q.enqueue_many([[[1, 2], [3, 4], [5, 6]]]))
                s.run(pq.enqueue([[1, 2, 3]]))
                s.run(pq.enqueue([[7]]))
                s.run(q.close())
                out = [s.run(q.dequeue_many(2)), s.run(q.dequeue_up_to(4)), s.run(pq.dequeue_many(2))]
                try:
                    s.run(q.dequeue())
                except m.errors.OutOfRangeError as e:
                    out.append(next(line for line in e.message.split("\n") if "is closed" in line))
                return out
    ours, theirs = run(gf), run(tf)
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_array_equal(a, b)
    # TF names a queue's resource '_<N>_<node>', N counting the resources its process made so far
    def unnumbered(line: str) -> str:
        return re.sub(r"'_\d+_", "'_N_", line)
    assert unnumbered(ours[3]) == unnumbered(theirs[3])
    assert "'_N_fifo_queue' is closed" in unnumbered(ours[3])
