"""TF1's queue-based input pipeline end to end: file names → reader → decode_csv → batches, fed
by queue-runner threads under a Coordinator, compared with TF1, and a model trained on it."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1

ROWS = 6  # per file


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    d = tmp_path_factory.mktemp("csv")
    paths = []
    for k in range(2):
        p = d / f"part{k}.csv"
        p.write_text("x,y\n" + "".join(f"{10 * k + i},{(10 * k + i) * 0.5}\n" for i in range(ROWS)))
        paths.append(str(p))
    return paths


def _pipeline(m, files: list[str], shuffle: bool, epochs: int, batch_size: int):
    names = m.train.string_input_producer(files, num_epochs=epochs, shuffle=False)
    _, line = m.TextLineReader(skip_header_lines=1).read(names)
    x, y = m.decode_csv(line, [[0], [0.0]])
    if shuffle:
        return m.train.shuffle_batch([x, y], batch_size, capacity=16, min_after_dequeue=5, num_threads=2,
                                     seed=3, allow_smaller_final_batch=True)
    return m.train.batch([x, y], batch_size, num_threads=1, capacity=8, allow_smaller_final_batch=True)


def _drain(m, files: list[str], shuffle: bool, epochs: int = 2, batch_size: int = 4) -> tuple[list, list]:
    """The batches of the pipeline until its OutOfRangeError, and that error's message."""
    with m.Graph().as_default():
        bx, by = _pipeline(m, files, shuffle, epochs, batch_size)
        with m.Session() as sess:
            sess.run([m.global_variables_initializer(), m.local_variables_initializer()])
            coord = m.train.Coordinator()
            threads = m.train.start_queue_runners(sess, coord)
            batches, end = [], None
            try:
                while True:
                    a, b = sess.run([bx, by])
                    batches.append((a.tolist(), b.tolist()))
            except m.errors.OutOfRangeError as e:
                end = e
            coord.request_stop()
            coord.join(threads)
            return batches, [end]


def _expected(epochs: int) -> collections.Counter:
    return collections.Counter(10 * k + i for k in range(2) for i in range(ROWS) for _ in range(epochs))


def test_csv_pipeline_with_shuffle_batch(csv_files: list[str]) -> None:
    batches, (end,) = _drain(gf, csv_files, shuffle=True, epochs=2)
    xs = [v for a, _ in batches for v in a]
    assert collections.Counter(xs) == _expected(2)
    assert all(b == [v * 0.5 for v in a] for a, b in batches)  # rows stay whole
    assert [len(a) for a, _ in batches] == [4, 4, 4, 4, 4, 4]
    assert isinstance(end, gf.errors.OutOfRangeError) and "RandomShuffleQueue" in str(end) and "is closed" in str(end)
    assert xs != sorted(xs)


def test_batch_order_names_and_monitored_session(csv_files: list[str]) -> None:
    batches, _ = _drain(gf, csv_files, shuffle=False, epochs=1, batch_size=5)
    assert [a for a, _ in batches] == [[0, 1, 2, 3, 4], [5, 10, 11, 12, 13], [14, 15]]  # the final one smaller
    with gf.Graph().as_default():
        bx, _ = _pipeline(gf, csv_files, False, 1, 4)
        runners = gf.get_collection(gf.GraphKeys.QUEUE_RUNNERS)
        assert len(runners) == 2 and all(isinstance(r, gf.train.queue_runner.QueueRunner) for r in runners)
        assert [s for s in gf.get_collection(gf.GraphKeys.SUMMARIES)] and \
            {"input_producer/fraction_of_32_full", "batch/fraction_of_8_full"} <= \
            {n.name.rsplit("/", 1)[0] for n in (t.op for t in gf.get_collection(gf.GraphKeys.SUMMARIES))} | \
            {getattr(t.op.attrs, "tag", "") for t in gf.get_collection(gf.GraphKeys.SUMMARIES)}
        gf.train.get_or_create_global_step()  # (graphflow's Scaffold wants a variable to save)
        seen = []
        with gf.train.MonitoredSession() as sess:  # it starts the queue runners itself, and stops at the end
            while not sess.should_stop():
                seen += sess.run(bx).tolist()
        assert sorted(seen) == sorted(_expected(1))
    with gf.Graph().as_default():
        bx, _ = _pipeline(gf, csv_files, False, 1, 4)
        sv = gf.train.Supervisor(logdir=None)
        seen = []
        with sv.managed_session() as sess:  # the supervisor starts the queue runners too
            while not sv.should_stop():
                seen += sess.run(bx).tolist()
        assert sorted(seen) == sorted(_expected(1))


def test_slice_input_producer_batch_join_and_runner_errors() -> None:
    with gf.Graph().as_default():
        data = np.arange(12, dtype=np.float32).reshape(6, 2)
        row, label = gf.train.slice_input_producer([gf.constant(data), gf.constant(np.arange(6))], num_epochs=1,
                                                   shuffle=False)
        joined = gf.train.batch_join([[row, label], [row * 0 - 1, -1 - label]], 3, allow_smaller_final_batch=True)
        with gf.Session() as sess:
            sess.run(gf.local_variables_initializer())
            coord = gf.train.Coordinator()
            threads = gf.train.start_queue_runners(sess, coord)
            labels = []
            try:
                while True:
                    r, lab = sess.run(joined)
                    labels += lab.tolist()
                    assert all(x.tolist() == ([-1, -1] if k < 0 else data[k].tolist()) for x, k in zip(r, lab))
            except gf.errors.OutOfRangeError:
                pass
            coord.request_stop()
            coord.join(threads)
            # each index once, through one member or the other (both dequeue from one index queue)
            assert sorted(v if v >= 0 else -1 - v for v in labels) == list(range(6))
    # an unexpected error in a runner thread stops the coordinator, and join raises it
    with gf.Graph().as_default():
        q = gf.FIFOQueue(2, gf.float32, shapes=[[]])
        bad = gf.placeholder(gf.float32, [])
        gf.train.add_queue_runner(gf.train.QueueRunner(q, [q.enqueue(bad)]))
        with gf.Session() as sess:
            coord = gf.train.Coordinator()
            threads = gf.train.start_queue_runners(sess, coord)
            with pytest.raises(gf.errors.InvalidArgumentError, match="You must feed a value"):
                coord.join(threads, stop_grace_period_secs=5)


def test_maybe_batch_keeps_only_the_kept() -> None:
    with gf.Graph().as_default():
        i = gf.train.range_input_producer(7, num_epochs=1, shuffle=False).dequeue()
        kept = gf.train.maybe_batch([i], gf.equal(i % 2, 0), 3, allow_smaller_final_batch=True)
        with gf.Session() as sess:
            sess.run(gf.local_variables_initializer())
            coord = gf.train.Coordinator()
            threads = gf.train.start_queue_runners(sess, coord)
            got = [sess.run(kept)[0].tolist(), sess.run(kept)[0].tolist()]
            with pytest.raises(gf.errors.OutOfRangeError):
                sess.run(kept)
            coord.request_stop()
            coord.join(threads)
    assert got == [[0, 2, 4], [6]]


def test_linear_model_trains_on_shuffle_batch() -> None:
    rs = np.random.RandomState(0)
    xs = rs.randn(64, 2).astype(np.float32)
    ys = (xs @ np.array([[2.0], [-1.0]], np.float32) + 0.5).astype(np.float32)
    with gf.Graph().as_default():
        x, y = gf.train.slice_input_producer([gf.constant(xs), gf.constant(ys)], seed=1)
        bx, by = gf.train.shuffle_batch([x, y], 16, capacity=64, min_after_dequeue=16, seed=2)
        w = gf.Variable(np.zeros((2, 1), np.float32))
        b = gf.Variable(0.0)
        loss = gf.reduce_mean(gf.square(gf.matmul(bx, w) + b - by))
        step = gf.train.GradientDescentOptimizer(0.2).minimize(loss)
        with gf.Session() as sess:
            sess.run([gf.global_variables_initializer(), gf.local_variables_initializer()])
            coord = gf.train.Coordinator()
            threads = gf.train.start_queue_runners(sess, coord)
            first = sess.run(loss)
            for _ in range(150):
                sess.run(step)
            last = sess.run(loss)
            coord.request_stop()
            coord.join(threads)
            np.testing.assert_allclose(sess.run(w).ravel(), [2.0, -1.0], atol=1e-2)
    assert last < first * 1e-3


@pytest.mark.needs("tensorflow")
def test_csv_pipeline_matches_tf1(csv_files: list[str]) -> None:
    tf = tf1()
    ours, _ = _drain(gf, csv_files, shuffle=False, epochs=2, batch_size=5)
    theirs, _ = _drain(tf, csv_files, shuffle=False, epochs=2, batch_size=5)
    assert ours == theirs  # the same elements in the same order, the same final smaller batch
    ours, _ = _drain(gf, csv_files, shuffle=True)
    theirs, _ = _drain(tf, csv_files, shuffle=True)
    flat = [lambda bs: collections.Counter(v for a, _ in bs for v in a)]
    assert flat[0](ours) == flat[0](theirs) == _expected(2)
