"""dynamic_rnn: the training step of an LSTM (20 steps, batch 64, input 28, hidden 128, a dense
classifier, Adam) beside PyTorch's nn.LSTM in the same process, at 1 thread and at 2 threads for
both (BLAS pools pinned, ``torch.set_num_threads``; the two timed alternately, best of 3 rounds),
and graphflow's first-run (compile) time for sequences of 10 and 1,000 steps in fresh processes
with empty caches. Each step's time is also given as GFLOP/s of the matrix products an LSTM
training step needs (``step_flops``: the gates forward, the state gradient and the weight gradient
at every time step; the classifier's and the elementwise work left out, so it is a lower bound
on the work done) and as a share of the FMA peak measured at start-up (``bench_conv_kernels``).

    python tools/bench_rnn.py [--threads 1 2] [--quick]
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


def median_time(step: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def torch_lstm_step(steps: int = T) -> Callable[[], object] | None:
    """PyTorch's training step (built and run three times), or None without PyTorch."""
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
    return step


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


def step_flops(steps: int = T) -> float:
    """FLOPs of the matrix products of one training step: per time step the gates
    ([x, h] (B x (D+H)) times the (D+H) x 4H kernel), the state's gradient (B x 4H times 4H x H;
    the input's is not needed) and the kernel's gradient ((D+H) x B times B x 4H)."""
    return steps * 2.0 * B * 4 * H * ((D + H) + H + (D + H))


def section(threads: int, lengths: tuple[tuple[int, int], ...] = ((T, 20),),
            peak: float | None = None) -> dict[str, float]:
    """graphflow's dynamic_rnn step beside PyTorch's nn.LSTM at ``threads`` threads (the caller has
    pinned the BLAS pools), best median ms, with GFLOP/s and the share of ``threads`` x the
    one-thread FMA ``peak``; returns the figures."""
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass
    if peak is None:
        from bench_conv_kernels import fma_peak
        peak = fma_peak()
    figures: dict[str, float] = {}
    for steps, reps in lengths:
        contenders = {"graphflow dynamic_rnn": graphflow_lstm_step(steps)}
        peer = torch_lstm_step(steps)
        if peer is not None:
            contenders["PyTorch nn.LSTM"] = peer
        best = {k: min(median_time(f, reps) for _ in range(3 if steps == T else 1)) for k, f in contenders.items()}
        flops = step_flops(steps)
        print(f"LSTM training step, T={steps} B={B} D={D} H={H}, {threads} thread(s), best median "
              f"({flops / 1e6:.0f} MFLOP of products; FMA peak {peak:.0f} GFLOP/s a thread):")
        g = best["graphflow dynamic_rnn"]
        for name, t in best.items():
            ratio = f"   graphflow / PyTorch: {g / t:.2f}x (target <= 1.0x)" if name != "graphflow dynamic_rnn" else ""
            print(f"  {name:24s}{t * 1e3:9.2f} ms {flops / t / 1e9:7.1f} GFLOP/s "
                  f"{flops / t / 1e9 / peak / threads:5.0%} of peak{ratio}")
            figures[f"{name}/T{steps}/{threads}t"] = t * 1e3
    return figures


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="T=20 only, no cold runs")
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench import pin_threads
    from bench_conv_kernels import fma_peak
    lengths = ((T, 20),) if args.quick else ((T, 20), (1000, 3))
    peak = fma_peak()
    for threads in args.threads:
        print(pin_threads(threads))
        section(threads, lengths, peak)
    if args.quick:
        return
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
