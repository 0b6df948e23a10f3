"""dynamic_rnn: the training step of an LSTM (20 steps, batch 64, input 28, hidden 128, a dense
classifier, Adam) beside PyTorch's nn.LSTM in the same process, and graphflow's first-run
(compile) time for sequences of 10 and 1,000 steps in fresh processes with empty caches.

    python tools/bench_rnn.py
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

T, B, D, H, C = 20, 64, 28, 128, 10


def graphflow_lstm_step(steps: int = T) -> Callable[[], object]:
    """The graphflow training step (built, initialised and run three times): call it to run one."""
    import graphflow as tf
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, None, D])
        y = tf.placeholder(tf.int64, [None])
        out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(H), x, dtype=tf.float32)
        logits = tf.layers.dense(out[:, -1], C)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        rs = np.random.RandomState(0)
        xv, yv = rs.rand(B, steps, D).astype(np.float32), rs.randint(0, C, B)
        s = tf.Session()
        s.run(tf.global_variables_initializer())
    feed = {x: xv, y: yv}
    for _ in range(3):
        s.run([loss, train], feed)
    return lambda: s.run([loss, train], feed)


def graphflow_step(repeats: int, steps: int = T) -> float:
    step = graphflow_lstm_step(steps)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def torch_step(repeats: int, steps: int = T) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    lstm, dense = torch.nn.LSTM(D, H, batch_first=True), torch.nn.Linear(H, C)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(dense.parameters()), 1e-3)
    rs = np.random.RandomState(0)
    xv, yv = torch.tensor(rs.rand(B, steps, D).astype(np.float32)), torch.tensor(rs.randint(0, C, B))

    def step() -> None:
        opt.zero_grad()
        out, _ = lstm(xv)
        loss = torch.nn.functional.cross_entropy(dense(out[:, -1]), yv)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


CHILD = r"""
import json, sys, time
import numpy as np
import graphflow as tf
n = int(sys.argv[1])
x = tf.placeholder(tf.float32, [None, None, 28]); y = tf.placeholder(tf.int64, [None])
out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(128), x, dtype=tf.float32)
loss = tf.losses.sparse_softmax_cross_entropy(y, tf.layers.dense(out[:, -1], 10))
train = tf.train.AdamOptimizer(1e-3).minimize(loss)
s = tf.Session(); s.run(tf.global_variables_initializer())
xv = np.random.rand(64, n, 28).astype(np.float32); yv = np.zeros(64, np.int64)
t = time.perf_counter(); s.run([loss, train], {x: xv, y: yv}); first = time.perf_counter() - t
t = time.perf_counter(); s.run([loss, train], {x: xv, y: yv}); step = time.perf_counter() - t
print(json.dumps(dict(first=first, step=step)))
"""


def cold(n: int) -> dict:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=tempfile.mkdtemp(prefix="gfrnn"), NUMBA_CACHE_DIR=tempfile.mkdtemp())
    r = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, env=env)
    if r.returncode:
        return {"error": (r.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    try:
        import torch
        torch.set_num_threads(os.cpu_count() or 1)
    except ImportError:
        pass
    for steps, reps in ((T, 20), (1000, 3)):
        g = graphflow_step(reps, steps)
        t = torch_step(reps, steps)
        print(f"LSTM training step, T={steps} B={B} D={D} H={H}, median:")
        print(f"  graphflow dynamic_rnn   {g * 1e3:8.2f} ms")
        if t is not None:
            print(f"  PyTorch nn.LSTM         {t * 1e3:8.2f} ms   graphflow / PyTorch: {g / t:.2f}x")
    print("  (at T=1000 both spend most of the step on subnormal floats: the gradient through the "
          "loop shrinks about 1e-7 per 100 steps)")
    for n in (10, 1000):
        r = cold(n)
        if "error" in r:
            print(f"  cold first run, {n} steps: error {r['error']}")
        else:
            print(f"  cold first run (compile), {n:>4} steps: {r['first']:.2f} s; "
                  f"then a step: {r['step'] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
