"""Input pipelines beside TF1 (``tensorflow.compat.v1``) in the same process: the same graph built
with each framework from the same files, each timed alternately, best of ``--rounds``.

- ``tfrecord``: tf.data over a TFRecord file of tf.train.Examples (a 784-byte image and a label),
  ``parse_single_example`` + ``decode_raw`` in ``map``, batches of 64: records per second.
- ``queue``: the CSV queue pipeline (``string_input_producer`` -> ``TextLineReader`` ->
  ``decode_csv`` -> ``shuffle_batch`` of 64, two enqueue threads): rows per second dequeued.
- ``resize``: ``tf.image.resize_images`` (bilinear) of 8 x 224 x 224 x 3 float32 images to 299 x 299,
  forward only: milliseconds per call.
- ``jpeg``: ``decode_jpeg`` of a 224 x 224 JPEG: microseconds per image.

    python tools/bench_input.py [--rounds 3] [--only tfrecord queue resize jpeg]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N_RECORDS, BATCH = 4096, 64


def _tf() -> Any:
    import tensorflow.compat.v1 as tf1
    tf1.disable_eager_execution()
    return tf1


def write_files(tmp: str) -> tuple[str, str]:
    import graphflow as gf
    rng = np.random.RandomState(0)
    record = os.path.join(tmp, "data.tfrecord")
    with gf.python_io.TFRecordWriter(record) as w:
        for i in range(N_RECORDS):
            ex = gf.train.Example(features=gf.train.Features(feature={
                "image": gf.train.Feature(bytes_list=gf.train.BytesList(value=[rng.bytes(784)])),
                "label": gf.train.Feature(int64_list=gf.train.Int64List(value=[i % 10]))}))
            w.write(ex.SerializeToString())
    csv = os.path.join(tmp, "data.csv")
    with open(csv, "w") as f:
        for i in range(N_RECORDS):
            f.write(",".join(f"{v:.3f}" for v in rng.rand(4)) + f",{i % 3}\n")
    return record, csv


def tfrecord_reader(tf: Any, path: str) -> Callable[[], int]:
    """Run one epoch of the tf.data pipeline; its record count."""
    g = tf.Graph()
    with g.as_default():
        def parse(s: Any) -> Any:
            p = tf.parse_single_example(s, {"image": tf.FixedLenFeature([], tf.string),
                                            "label": tf.FixedLenFeature([], tf.int64)})
            return tf.cast(tf.decode_raw(p["image"], tf.uint8), tf.float32) / 255.0, p["label"]
        it = tf.data.TFRecordDataset([path]).map(parse).batch(BATCH).make_initializable_iterator()
        nxt = it.get_next()
        sess = tf.Session(graph=g)

    def epoch() -> int:
        sess.run(it.initializer)
        n = 0
        try:
            while True:
                n += len(sess.run(nxt)[1])
        except tf.errors.OutOfRangeError:
            return n
    return epoch


def queue_reader(tf: Any, path: str) -> Callable[[], int]:
    """A fresh queue pipeline each call (num_epochs=1): the rows dequeued until it ends."""
    def epoch() -> int:
        g = tf.Graph()
        with g.as_default():
            q = tf.train.string_input_producer([path], num_epochs=1, shuffle=False)
            _, line = tf.TextLineReader().read(q)
            cols = tf.decode_csv(line, [[0.0]] * 4 + [[0]])
            xb, yb = tf.train.shuffle_batch([tf.stack(cols[:4]), cols[4]], BATCH, capacity=1000,
                                            min_after_dequeue=200, num_threads=2, seed=1)
            with tf.Session(graph=g) as sess:
                sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
                coord = tf.train.Coordinator()
                threads = tf.train.start_queue_runners(sess, coord)
                n = 0
                try:
                    while True:
                        n += len(sess.run(yb))
                except tf.errors.OutOfRangeError:
                    pass
                coord.request_stop()
                coord.join(threads)
        return n
    return epoch


def resizer(tf: Any) -> Callable[[], int]:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [8, 224, 224, 3])
        y = tf.image.resize_images(x, [299, 299])
        sess = tf.Session(graph=g)
    xv = np.random.RandomState(0).rand(8, 224, 224, 3).astype(np.float32)
    return lambda: sess.run(y, {x: xv}).shape[0]


def jpeg_decoder(tf: Any, data: bytes) -> Callable[[], int]:
    g = tf.Graph()
    with g.as_default():
        s = tf.placeholder(tf.string, [])
        img = tf.image.decode_jpeg(s, channels=3)
        sess = tf.Session(graph=g)
    return lambda: sess.run(img, {s: data}).shape[0]


def best(fn: Callable[[], int], repeat: int) -> float:
    fn()  # compile / warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", nargs="*", default=["tfrecord", "queue", "resize", "jpeg"])
    a = p.parse_args()
    import graphflow as gf
    tf1 = _tf()
    tmp = tempfile.mkdtemp(prefix="bench_input_")
    record, csv = write_files(tmp)
    with gf.Graph().as_default(), gf.Session() as sess:
        rgb = (np.random.RandomState(1).rand(224, 224, 3) * 255).astype(np.uint8)
        jpeg = sess.run(gf.image.encode_jpeg(gf.constant(rgb)))
    cases = {"tfrecord": (lambda tf: tfrecord_reader(tf, record), N_RECORDS, "records/s"),
             "queue": (lambda tf: queue_reader(tf, csv), N_RECORDS // BATCH * BATCH, "rows/s"),
             "resize": (resizer, 1, "ms/call"), "jpeg": (lambda tf: jpeg_decoder(tf, jpeg), 1, "us/image")}
    for name in a.only:
        make, count, unit = cases[name]
        ours, theirs = make(gf), make(tf1)
        t_ours = min(best(ours, 1) for _ in range(a.rounds))
        t_tf = min(best(theirs, 1) for _ in range(a.rounds))
        if unit.endswith("/s"):
            v_ours, v_tf = count / t_ours, count / t_tf
        else:
            scale = 1e3 if unit.startswith("ms") else 1e6
            v_ours, v_tf = t_ours * scale, t_tf * scale
        print(f"{name:9s} graphflow {v_ours:12.1f} {unit}   TF1 {v_tf:12.1f} {unit}   "
              f"graphflow time / TF1 time {t_ours / t_tf:5.2f}")


if __name__ == "__main__":
    main()
