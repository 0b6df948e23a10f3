"""The RNN-tutorial training step (TF1 static_rnn over a BasicLSTMCell with sequence_length), under
graphflow and under TensorFlow 1 graph mode, quiet and beside a busy process.

    python tools/bench_rnn_tutorial.py            # quiet and --busy, interleaved
    python tools/bench_rnn_tutorial.py --rounds 5 --steps 30

The pattern of the public TF1 "dynamic RNN" tutorials: variable-length sequences of scalars (up to
20 steps, padded), batch 128, hidden 64, ``tf.nn.static_rnn`` with ``sequence_length`` fed, the
output at each row's last valid step picked with ``gather``, a linear layer to 2 classes, softmax
cross-entropy, plain gradient descent. Its GEMMs are 128x65x256 (the cell's four gates) and
smaller: what OpenBLAS's thread pool turns into a cliff when another process keeps a core busy.

Each round measures every contender quiet, then with one extra process spinning
(``python -c "while True: pass"``), so drift and the other users of the machine hit all alike; the
figure per contender and condition is the best round's median ms/step. Prints the machine's load
average before and after: on a shared machine, read the ratios, not the absolute times.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

T, B, H, C = 20, 128, 64, 2
LR = 0.01


def toy_batch(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half the rows count up by one from a random start (class 0), half are random integers
    (class 1), scaled into [0, 1); lengths 3..20, zero-padded to ``T``."""
    rs = np.random.RandomState(seed)
    x = np.zeros((B, T, 1), np.float32)
    y = np.zeros((B, C), np.float32)
    lengths = rs.randint(3, T + 1, B).astype(np.int32)
    for i, n in enumerate(lengths):
        if i % 2 == 0:
            start = rs.randint(0, 1000 - n)
            x[i, :n, 0] = np.arange(start, start + n) / 1000.0
        else:
            x[i, :n, 0] = rs.randint(0, 1000, n) / 1000.0
        y[i, i % 2] = 1.0
    return x, y, lengths


def build(tf: Any, session: Callable[[Any], Any]) -> Callable[[], float]:
    """The training step written once in the TF1 API; ``tf`` is graphflow or tensorflow.compat.v1."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, T, 1])
        y = tf.placeholder(tf.float32, [None, C])
        seqlen = tf.placeholder(tf.int32, [None])
        w = tf.Variable(tf.random_normal([H, C]))
        b = tf.Variable(tf.random_normal([C]))
        cell = tf.nn.rnn_cell.BasicLSTMCell(H)
        outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, T, 1), dtype=tf.float32, sequence_length=seqlen)
        outputs = tf.transpose(tf.stack(outputs), [1, 0, 2])  # [batch, T, H]
        rows = tf.range(0, tf.shape(outputs)[0]) * T + (seqlen - 1)
        last = tf.gather(tf.reshape(outputs, [-1, H]), rows)
        logits = tf.matmul(last, w) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=y))
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        init = tf.global_variables_initializer()
    sess = session(g)
    sess.run(init)
    feeds = [dict(zip((x, y, seqlen), toy_batch(s))) for s in range(4)]
    k = [0]

    def step() -> float:
        k[0] += 1
        return float(sess.run([loss, train], feeds[k[0] % len(feeds)])[0])
    return step


def graphflow_step() -> Callable[[], float]:
    import graphflow as gf
    return build(gf, lambda g: gf.Session(graph=g))


def tf1_step() -> Callable[[], float] | None:
    """TF1 graph mode with TensorFlow's default thread pools (as the tutorial runs), or None."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1's rnn cells live in tf-keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow.compat.v1 as tf
    except ImportError:
        return None
    tf.disable_eager_execution()
    tf.logging.set_verbosity(tf.logging.ERROR)  # the tutorial's deprecated calls, once each
    return build(tf, lambda g: tf.Session(graph=g))


@contextmanager
def busy(on: bool) -> Iterator[None]:
    """One extra process spinning on a core while the block runs (nothing when ``on`` is False)."""
    if not on:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.3)  # let it start and take its core
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def median_step(step: Callable[[], object], steps: int) -> float:
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def wait_calm(limit: float, below: float = 0.3) -> float:
    """Wait (at most ``limit`` seconds) until other processes keep fewer than ``below`` cores busy
    over half a second; returns the cores they kept busy in the last half second."""
    from graphflow.runtime.threads import LoadProbe
    probe = LoadProbe()
    end = time.monotonic() + limit
    while True:
        time.sleep(0.5)
        probe.free_cores()
        if probe.others < below or time.monotonic() >= end:
            return probe.others


def measure(contenders: dict[str, Callable[[], object]], rounds: int, steps: int,
            conditions: tuple[bool, ...] = (False, True), calm: float = 0.0) -> dict[tuple[str, bool], float]:
    """Best-of-``rounds`` median seconds per step for each (contender, busy), interleaved; each
    round first waits up to ``calm`` seconds for the machine's other load to settle."""
    best: dict[tuple[str, bool], float] = {}
    for _ in range(rounds):
        if calm > 0:
            others = wait_calm(calm)
            print(f"  (round starts with other processes using {others:.1f} cores)", flush=True)
        for on in conditions:
            with busy(on):
                for name, step in contenders.items():
                    t = median_step(step, steps)
                    best[(name, on)] = min(best.get((name, on), t), t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="only the run beside a spinning process")
    parser.add_argument("--quiet", action="store_true", help="only the quiet run")
    parser.add_argument("--calm", type=float, default=0.0,
                        help="wait up to this many seconds before each round for other load to settle")
    args = parser.parse_args()
    conditions = (True,) if args.busy else (False,) if args.quiet else (False, True)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    contenders: dict[str, Callable[[], object]] = {"graphflow": graphflow_step()}
    tf1 = tf1_step()
    if tf1 is None:
        print("TensorFlow not installed: graphflow alone")
    else:
        contenders["TensorFlow 1"] = tf1
    best = measure(contenders, args.rounds, args.steps, conditions, args.calm)
    print(f"RNN tutorial step (static_rnn, BasicLSTMCell({H}), batch {B}, T={T}, sequence_length), "
          f"best-of-{args.rounds} median ms/step:")
    for on in conditions:
        label = "busy (1 spinning process)" if on else "quiet"
        line = f"  {label:26s}" + "".join(f"  {n} {best[(n, on)] * 1e3:7.2f}" for n in contenders)
        if "TensorFlow 1" in contenders:
            line += f"   graphflow / TF1: {best[('graphflow', on)] / best[('TensorFlow 1', on)]:.2f}x"
        print(line)
    if len(conditions) == 2:
        for n in contenders:
            print(f"  {n}: busy / quiet {best[(n, True)] / best[(n, False)]:.2f}x")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
