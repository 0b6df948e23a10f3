"""graphflow benchmarks: ratios measured side by side in one process.

    python tools/bench.py            # everything
    python tools/bench.py --quick    # fewer repeats
    python tools/bench.py --busy     # only the steps quiet and beside a busy process

Reports: the tutorial training step (N=64, 1000-100-10, float32, SGD) against the GEMM floor
(its five matmuls alone, called from njit through the same BLAS the kernels use), numpy by hand,
and PyTorch / JAX / TensorFlow 1 (graph mode) / PyTensor when importable; the cold first-run time (empty caches, new
process), the warm first-run time (new process, disk cache); the per-call time of sess.run
on a graph adding two fed scalars; the TF1 MNIST-tutorial CNN training step against PyTorch and
TF1 (the TF1 peers run the very builder functions graphflow runs, given tensorflow.compat.v1);
then the CNN's two convolution kernels (tools/bench_conv_kernels.py: the generated direct kernel,
im2col and PyTorch's oneDNN, with GFLOP/s and the fraction of a measured FMA peak), the
dynamic_rnn LSTM step beside PyTorch's nn.LSTM with its products' GFLOP/s and the same fraction
(tools/bench_rnn.py), from
tools/bench_models.py the TensorFlow-Examples autoencoder step (with both frameworks' GEMM
floors), the unrolled LSTM step against JAX, the MLP over batch sizes and the make_callable
overhead; the LSTM steps of tools/bench_rnn.py and tools/bench_torch_style.py and the RNN tutorial
(tools/bench_rnn_tutorial.py, beside TF1) quiet and beside one spinning process (``--busy`` runs
only that); then one summary table of the ratios with their targets. Compile times (cold and warm
first runs of the LSTM, MLP and CNN training graphs beside JAX) are tools/bench_compile.py's.

BLAS threads: NumPy and SciPy each bundle an OpenBLAS; compiled graphflow code calls NumPy's (where
it exposes CBLAS; else SciPy's).
Every pool is pinned to the same thread count (--threads, default: all cores) with threadpoolctl
when it is installed, and through OPENBLAS_NUM_THREADS for subprocesses: the user's limit, under
which graphflow's thread policy runs small products on one thread and each step on the cores other
processes leave idle (README's "Threads"). The first line printed
names the OpenBLAS kernels in use: where OPENBLAS_CORETYPE forces older kernels (some machines set
it), matmul and convolution run slower than the CPU allows; compare runs only with the same kernels.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-6


def pin_threads(n: int) -> str:
    try:
        import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS so it is pinned too)
        from threadpoolctl import threadpool_limits
    except ImportError:
        return "threadpoolctl not installed: BLAS pools unpinned"
    from threadpoolctl import threadpool_info
    threadpool_limits(n)
    kernels = sorted({str(d.get("architecture")) for d in threadpool_info() if d.get("internal_api") == "openblas"})
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return (f"all BLAS pools pinned to {n} threads; OpenBLAS kernels: {', '.join(kernels)}"
            + (f" (forced by OPENBLAS_CORETYPE={forced})" if forced else ""))


def timeit(fn: Callable[[], object], repeats: int, number: int) -> float:
    """Median seconds per call over ``repeats`` batches of ``number`` calls (after warm-up)."""
    for _ in range(max(3, number // 10)):
        fn()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def data() -> tuple[np.ndarray, ...]:
    rng = np.random.RandomState(0)
    return (rng.randn(N, D_IN).astype(np.float32), rng.randn(N, D_OUT).astype(np.float32),
            rng.randn(D_IN, H).astype(np.float32), rng.randn(H, D_OUT).astype(np.float32))


def build_graphflow_step() -> Callable[[], object]:
    import graphflow as tf
    x_v, y_v, w1_v, w2_v = data()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=(None, D_IN))
        y = tf.placeholder(tf.float32, shape=(None, D_OUT))
        w1 = tf.Variable(w1_v)
        w2 = tf.Variable(w2_v)
        h = tf.matmul(x, w1)
        y_pred = tf.matmul(tf.maximum(h, tf.zeros(1)), w2)
        loss = tf.reduce_sum((y - y_pred) ** 2.0)
        g1, g2 = tf.gradients(loss, [w1, w2])
        step = [loss, w1.assign(w1 - LR * g1), w2.assign(w2 - LR * g2)]
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
    feed = {x: x_v, y: y_v}
    return lambda: sess.run(step, feed)


def gemm_floor() -> Callable[[], object]:
    import numba
    x, y, w1, w2 = data()
    h = x @ w1
    gy = np.ones((N, D_OUT), np.float32)

    @numba.njit(cache=False)
    def five(x, w1, w2, h, gy):  # type: ignore[no-untyped-def]
        a = np.dot(x, w1)
        b = np.dot(h, w2)
        c = np.dot(h.T, gy)
        d = np.dot(gy, w2.T)
        e = np.dot(x.T, h)
        return a, b, c, d, e

    return lambda: five(x, w1, w2, h, gy)


def numpy_manual() -> Callable[[], object]:
    x, y, w1, w2 = data()
    state = [w1.copy(), w2.copy()]

    def step() -> float:
        w1, w2 = state
        h = x @ w1
        hr = np.maximum(h, 0)
        yp = hr @ w2
        d = yp - y
        loss = float(np.sum(d * d))
        gy = 2 * d
        gw2 = hr.T @ gy
        gh = (gy @ w2.T) * (h > 0)
        gw1 = x.T @ gh
        w1 -= LR * gw1
        w2 -= LR * gw2
        return loss
    return step


def torch_step() -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    x, y, w1, w2 = (torch.from_numpy(a) for a in data())
    w1.requires_grad_(True)
    w2.requires_grad_(True)

    def step() -> float:
        loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1.sub_(LR * w1.grad)
            w2.sub_(LR * w2.grad)
            w1.grad.zero_()
            w2.grad.zero_()
        return loss.item()
    return step


def jax_step() -> Callable[[], object] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    x, y, w1, w2 = (jnp.asarray(a) for a in data())

    @jax.jit
    def update(w1, w2):  # type: ignore[no-untyped-def]
        def loss_fn(w1, w2):  # type: ignore[no-untyped-def]
            return jnp.sum((jnp.maximum(x @ w1, 0) @ w2 - y) ** 2)
        loss, (g1, g2) = jax.value_and_grad(loss_fn, argnums=(0, 1))(w1, w2)
        return loss, w1 - LR * g1, w2 - LR * g2
    state = [w1, w2]

    def step() -> object:
        loss, state[0], state[1] = update(state[0], state[1])
        return loss.block_until_ready()
    return step


def tf1_step() -> Callable[[], object] | None:
    tf = tf1_module()
    if tf is None:
        return None
    x_v, y_v, w1_v, w2_v = data()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=(None, D_IN))
        y = tf.placeholder(tf.float32, shape=(None, D_OUT))
        w1 = tf.Variable(w1_v)
        w2 = tf.Variable(w2_v)
        loss = tf.reduce_sum((y - tf.matmul(tf.maximum(tf.matmul(x, w1), 0.0), w2)) ** 2.0)
        g1, g2 = tf.gradients(loss, [w1, w2])
        step = [loss, w1.assign(w1 - LR * g1), w2.assign(w2 - LR * g2)]
        init = tf.global_variables_initializer()
    sess = tf1_session(tf)(g)
    sess.run(init)
    feed = {x: x_v, y: y_v}
    return lambda: sess.run(step, feed)


def pytensor_step() -> Callable[[], object] | None:
    """The same step compiled by PyTensor (its C backend)."""
    try:
        import pytensor
        import pytensor.tensor as pt
    except ImportError:
        return None
    x_v, y_v, w1_v, w2_v = data()
    x, y = pt.matrix("x", dtype="float32"), pt.matrix("y", dtype="float32")
    w1, w2 = pytensor.shared(w1_v), pytensor.shared(w2_v)
    loss = pt.sum((pt.dot(pt.maximum(pt.dot(x, w1), np.float32(0)), w2) - y) ** 2)
    g1, g2 = pytensor.grad(loss, [w1, w2])
    lr = np.float32(LR)
    fn = pytensor.function([x, y], loss, updates=[(w1, w1 - lr * g1), (w2, w2 - lr * g2)])
    return lambda: fn(x_v, y_v)


# ---- the TF1 MNIST-tutorial CNN (batch 64): conv 5x5x32 SAME, pool 2, conv 5x5x64 SAME, pool 2,
# dense 3136x1024, dense 1024x10, softmax cross-entropy, Adam

CNN_BATCH = 64


def cnn_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return rng.rand(CNN_BATCH, 28, 28, 1).astype(np.float32), rng.randint(0, 10, CNN_BATCH).astype(np.int64)


def cnn_weights() -> list[np.ndarray]:
    rng = np.random.RandomState(1)
    shapes = [(5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,), (3136, 1024), (1024,), (1024, 10), (10,)]
    return [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in shapes]


def cnn_step(tf: Any, session: Callable[[Any], Any]) -> Callable[[], object]:
    """The CNN training step written once in the TF1 API, for graphflow or TF1 itself (``tf`` the
    module, ``session(graph)`` a Session over the graph)."""
    images, labels = cnn_data()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1])
        y = tf.placeholder(tf.int64, [None])
        w1, b1, w2, b2, w3, b3, w4, b4 = (tf.Variable(w) for w in cnn_weights())
        pool = dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
        h = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1)), **pool)
        h = tf.nn.max_pool(tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, w2, [1, 1, 1, 1], "SAME"), b2)), **pool)
        h = tf.nn.relu(tf.matmul(tf.reshape(h, [-1, 3136]), w3) + b3)
        logits = tf.matmul(h, w4) + b4
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(1e-4).minimize(loss)
        init = tf.global_variables_initializer()
    sess = session(g)
    sess.run(init)
    feed = {x: images, y: labels}
    return lambda: sess.run([train, loss], feed)


def graphflow_cnn_step() -> Callable[[], object]:
    import graphflow as tf
    return cnn_step(tf, lambda g: tf.Session(graph=g))


def tf1_module() -> Any:
    """TensorFlow's TF1 API in graph mode, or None where TensorFlow is not installed."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1's rnn cells (the RNN tutorial)
    try:
        import tensorflow.compat.v1 as tf
    except ImportError:
        return None
    tf.disable_eager_execution()
    return tf


def tf1_session(tf: Any, threads: int | None = None) -> Callable[[Any], Any]:
    """Sessions with TF's op pool pinned like every other contender's BLAS pool."""
    n = threads or os.cpu_count() or 1
    config = tf.ConfigProto(intra_op_parallelism_threads=n, inter_op_parallelism_threads=1)
    return lambda g: tf.Session(graph=g, config=config)


def tf1_cnn_step(threads: int | None = None) -> Callable[[], object] | None:
    tf = tf1_module()
    return None if tf is None else cnn_step(tf, tf1_session(tf, threads))


def torch_cnn_step() -> Callable[[], object] | None:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    images, labels = cnn_data()
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(labels)
    ws = cnn_weights()
    params = [torch.from_numpy(ws[0]).permute(3, 2, 0, 1).contiguous(), torch.from_numpy(ws[1]),
              torch.from_numpy(ws[2]).permute(3, 2, 0, 1).contiguous(), torch.from_numpy(ws[3]),
              torch.from_numpy(ws[4]).t().contiguous(), torch.from_numpy(ws[5]),
              torch.from_numpy(ws[6]).t().contiguous(), torch.from_numpy(ws[7])]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=1e-4)

    def step() -> float:
        c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b = params
        h = F.max_pool2d(F.relu(F.conv2d(x, c1w, c1b, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, c2w, c2b, padding=2)), 2)
        h = F.relu(F.linear(h.flatten(1), f1w, f1b))
        loss = F.cross_entropy(F.linear(h, f2w, f2b), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def cnn_section(threads: int, repeats: int, results: dict[str, float]) -> None:
    print("\n== MNIST-tutorial CNN training step (batch 64, Adam), median ms/step ==")
    contenders = {"graphflow": graphflow_cnn_step()}
    t = torch_cnn_step()
    if t is None:
        print("  PyTorch: not installed, skipped")
    else:
        import torch
        torch.set_num_threads(threads)
        contenders["PyTorch eager"] = t
    t = tf1_cnn_step(threads)
    if t is None:
        print("  TensorFlow 1 Session: not installed, skipped")
    else:
        contenders["TensorFlow 1 Session"] = t
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(3):
        for name, fn in contenders.items():
            samples[name].append(timeit(fn, repeats, 5))
    for name, s in samples.items():
        results[f"cnn_step_ms/{name}"] = min(s) * 1e3
        print(f"  {name:32s} {min(s) * 1e3:8.2f} ms")
    for name in samples:
        if name != "graphflow":
            print(f"  graphflow / {name}: {min(samples['graphflow']) / min(samples[name]):.2f}x"
                  + ("   (target <= 0.8x)" if name in ("PyTorch eager", "TensorFlow 1 Session") else ""))


FIRST_RUN = textwrap.dedent("""
    import time, numpy as np
    t0 = time.perf_counter()
    import graphflow as tf
    t1 = time.perf_counter()
    import sys; sys.path.insert(0, {tools!r})
    from bench import build_graphflow_step
    t2 = time.perf_counter()
    step = build_graphflow_step()
    step()
    t3 = time.perf_counter()
    print({{"import": t1 - t0, "first_run": t3 - t2}})
""")


def first_run(cache: str, numba_cache: str, threads: int) -> dict:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=cache, NUMBA_CACHE_DIR=numba_cache,
               OPENBLAS_NUM_THREADS=str(threads))
    code = FIRST_RUN.format(tools=os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return eval(out.stdout.strip().splitlines()[-1])  # a dict literal printed by the child


def scalar_add_call() -> tuple[float, Callable[[], object]]:
    import graphflow as tf
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, shape=())
        b = tf.placeholder(tf.float32, shape=())
        c = a + b
        sess = tf.Session()
    feed = {a: 1.0, b: 2.0}
    return 0.0, lambda: sess.run(c, feed)


def busy_section(rounds: int, results: dict[str, float]) -> None:
    """LSTM training steps and the RNN tutorial quiet and beside one spinning process, interleaved
    (tools/bench_rnn_tutorial.py measures; the BLAS thread policy is README's "Threads")."""
    import bench_rnn
    import bench_rnn_tutorial
    import bench_torch_style
    print("\n== beside a busy process: quiet, then with one process spinning on a core, "
          f"best-of-{rounds} median ms/step ==")
    print(f"  load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores; "
          "other load makes 'quiet' busier)")
    contenders: dict[str, Callable[[], object]] = {
        "bench_rnn LSTM (dynamic_rnn)": bench_rnn.graphflow_lstm_step(),
        "bench_torch_style nn.LSTM": bench_torch_style.graphflow_lstm_step(),
        "RNN tutorial, graphflow": bench_rnn_tutorial.graphflow_step()}
    tf1 = bench_rnn_tutorial.tf1_step()
    if tf1 is None:
        print("  TensorFlow 1: not installed, the tutorial runs alone")
    else:
        contenders["RNN tutorial, TensorFlow 1"] = tf1
    # each round waits (up to 20 s) for the machine's other load to settle: on a shared machine
    # the best rounds are the ones the acceptance conditions describe
    best = bench_rnn_tutorial.measure(contenders, rounds, 15, calm=20.0)
    for name in contenders:
        quiet, busy = best[(name, False)], best[(name, True)]
        results[f"quiet_ms/{name}"], results[f"busy_ms/{name}"] = quiet * 1e3, busy * 1e3
        print(f"  {name:30s} quiet {quiet * 1e3:8.2f}   busy {busy * 1e3:8.2f}   busy / quiet {busy / quiet:5.2f}x")
    if tf1 is not None:
        for on, label in ((False, "quiet"), (True, "busy")):
            ratio = best[("RNN tutorial, graphflow", on)] / best[("RNN tutorial, TensorFlow 1", on)]
            print(f"  RNN tutorial graphflow / TensorFlow 1, {label}: {ratio:.2f}x")
    print(f"  load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def summary(r: dict[str, float]) -> None:
    """One table of the ratios the issues set targets for (figures of this run only)."""
    def ratio(a: str, b: str) -> str:
        return f"{r[a] / r[b]:.2f}x" if a in r and b in r else "-"
    rows = [
        ("tutorial MLP step / its GEMM floor", ratio("step_ms/graphflow", "step_ms/GEMM floor (5 matmuls, njit)"),
         "<= 1.1x"),
        ("autoencoder step / PyTorch eager", ratio("autoencoder_ms/graphflow", "autoencoder_ms/PyTorch eager"),
         "<= 1.0x"),
        ("  (OpenBLAS GEMMs / PyTorch GEMMs)", ratio("autoencoder_ms/OpenBLAS GEMMs (graphflow's)",
                                                     "autoencoder_ms/PyTorch GEMMs"), ""),
        ("MNIST-shaped CNN step / PyTorch eager", ratio("cnn_step_ms/graphflow", "cnn_step_ms/PyTorch eager"),
         "<= 1.0x"),
        ("unrolled LSTM T=28 step / JAX jit", ratio("lstm28/graphflow", "lstm28/JAX jit"), "<= 1.0x"),
        ("LSTM step busy / quiet (bench_rnn)", ratio("busy_ms/bench_rnn LSTM (dynamic_rnn)",
                                                     "quiet_ms/bench_rnn LSTM (dynamic_rnn)"), "<= 1.3x"),
        ("LSTM step busy / quiet (bench_torch_style)", ratio("busy_ms/bench_torch_style nn.LSTM",
                                                             "quiet_ms/bench_torch_style nn.LSTM"), "<= 1.3x"),
        ("RNN tutorial busy / TF1 busy", ratio("busy_ms/RNN tutorial, graphflow",
                                               "busy_ms/RNN tutorial, TensorFlow 1"), "<= 1.0x"),
        ("sess.run, scalar add", f"{r.get('scalar_add_us', float('nan')):.1f} us", "<= 5 us"),
        ("make_callable, scalar add", f"{r.get('make_callable_us', float('nan')):.1f} us", "<= 3 us"),
    ]
    print("\n== summary (this run) ==")
    for name, value, target in rows:
        print(f"  {name:42s} {value:>9s}   {target}")
    print("  compile times: python tools/bench_compile.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--busy", action="store_true", help="only the run beside a busy process (and the summary)")
    args = parser.parse_args()
    repeats, number = (5, 50) if args.quick else (9, 200)
    print(pin_threads(args.threads))
    results: dict[str, float] = {}
    if args.busy:
        busy_section(3 if args.quick else 5, results)
        summary(results)
        return

    print("\n== tutorial training step (N=64, 1000-100-10, float32), median ms/step ==")
    contenders = {"GEMM floor (5 matmuls, njit)": gemm_floor(), "graphflow": build_graphflow_step(),
                  "numpy by hand": numpy_manual()}
    for name, make in (("PyTorch eager", torch_step), ("JAX jit", jax_step), ("TensorFlow 1 Session", tf1_step),
                       ("PyTensor", pytensor_step)):
        fn = make()
        if fn is None:
            print(f"  {name}: not installed, skipped")
        else:
            contenders[name] = fn
    # interleave the measurements so drift hits every contender alike
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(3):
        for name, fn in contenders.items():
            samples[name].append(timeit(fn, repeats, number))
    floor = min(samples["GEMM floor (5 matmuls, njit)"])
    for name, s in samples.items():
        t = min(s)
        results[f"step_ms/{name}"] = t * 1e3
        print(f"  {name:32s} {t * 1e3:8.3f} ms   {t / floor:5.2f}x floor")
    gf_t = min(samples["graphflow"])
    for name in samples:
        if name not in ("graphflow", "GEMM floor (5 matmuls, njit)"):
            print(f"  graphflow / {name}: {gf_t / min(samples[name]):.2f}x")

    cnn_section(args.threads, repeats, results)
    print(f"\n== the CNN's convolution kernels against this machine's FMA peak ({args.threads} threads), best ms ==")
    import bench_conv_kernels  # (tools/, like bench_models below)
    results.update({f"conv_kernel_ms/{k}": v for k, v in bench_conv_kernels.section(args.threads, repeats).items()})

    print(f"\n== the LSTM step (tools/bench_rnn.py) against this machine's FMA peak ({args.threads} threads) ==")
    import bench_rnn
    results.update({f"lstm_step_ms/{k}": v for k, v in bench_rnn.section(args.threads).items()})

    import bench_models
    ae = bench_models.compare(
        "TensorFlow-Examples autoencoder step (784-256-128-256-784, batch 256, RMSProp)",
        {"graphflow": bench_models.graphflow_autoencoder(), "PyTorch eager": bench_models.torch_autoencoder(),
         "JAX jit": bench_models.jax_autoencoder(), "TensorFlow 1 Session": bench_models.tf1_autoencoder(),
         "PyTensor": bench_models.pytensor_autoencoder(), **bench_models.gemm_floors()}, 10, repeats,
        "PyTorch eager", "(target <= 1.0x)")
    results.update({f"autoencoder_ms/{k}": v * 1e3 for k, v in ae.items()})
    results.update({k: v * 1e3 for k, v in bench_models.lstm_section(repeats).items()})
    if not args.quick:
        bench_models.mlp_batches(3)
    results["make_callable_us"] = bench_models.callable_overhead(repeats) * 1e6

    print("\n== GPU: tutorial MLP, digits CNN, LSTM training steps, graphflow CUDA beside PyTorch CUDA ==")
    import bench_cuda
    results.update(bench_cuda.main())

    print("\n== compile: building the tutorial training graph and its first runs, in a new process ==")
    with tempfile.TemporaryDirectory() as tmp:
        cache, ncache = os.path.join(tmp, "gf"), os.path.join(tmp, "numba")
        cold = first_run(cache, ncache, args.threads)
        warm = first_run(cache, ncache, args.threads)
    results["cold_first_run_s"] = cold["first_run"]
    results["warm_first_run_s"] = warm["first_run"]
    results["import_s"] = warm["import"]
    print(f"  cold (empty caches): {cold['first_run']:.2f} s   (graph building, initializer and first step)")
    print(f"  warm (disk cache):   {warm['first_run']:.3f} s   (the same; the first step alone, cold and warm, "
          "is tools/bench_compile.py's)")
    print(f"  import graphflow:    {warm['import']:.3f} s")

    busy_section(3 if args.quick else 5, results)

    print("\n== per-call overhead: sess.run on a graph adding two fed scalars ==")
    _, add = scalar_add_call()
    t = timeit(add, repeats, 2000 if not args.quick else 500)
    results["scalar_add_us"] = t * 1e6
    print(f"  graphflow: {t * 1e6:.1f} us/call   (target <= 5 us)")
    print("\n== peak memory of a training step ==")
    import bench_memory
    bench_memory.main()
    summary(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
