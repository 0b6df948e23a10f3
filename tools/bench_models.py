"""Model-step benchmarks beside the peers, one process: the TensorFlow-Examples autoencoder, the
unrolled LSTM, the tutorial MLP over batch sizes, and the ``make_callable`` overhead. Peers: PyTorch
eager, JAX jit, TensorFlow 1 graph mode (running the same TF1-API builders as graphflow) and
PyTensor, each where importable.

    python tools/bench_models.py

Used by tools/bench.py (which prints these sections too); each prints median ms per step,
interleaving the contenders so drift hits all alike.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import lstm  # noqa: E402

# TensorFlow-Examples autoencoder: 784-256-128-256-784, sigmoid everywhere, mean squared error,
# RMSProp(0.01), batch 256
AE = (784, 256, 128, 256, 784)
AE_BATCH, AE_LR = 256, 0.01


def _ae_data() -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.RandomState(0)
    x = rng.rand(AE_BATCH, AE[0]).astype(np.float32)
    ws = [(rng.randn(a, b) * 0.05).astype(np.float32) for a, b in zip(AE, AE[1:])]
    return x, ws


def autoencoder_step(tf: Any, session: Callable[[Any], Any]) -> Callable[[], object]:
    """The autoencoder step in the TF1 API, for graphflow or TF1 itself."""
    x_v, ws = _ae_data()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, (None, AE[0]))
        h = x
        for w in ws:
            h = tf.sigmoid(tf.matmul(h, tf.Variable(w)) + tf.Variable(np.zeros(w.shape[1], np.float32)))
        loss = tf.reduce_mean(tf.pow(x - h, 2.0))
        train = tf.train.RMSPropOptimizer(AE_LR).minimize(loss)
        init = tf.global_variables_initializer()
    sess = session(g)
    sess.run(init)
    return lambda: sess.run([train, loss], {x: x_v})[1]


def graphflow_autoencoder() -> Callable[[], object]:
    import graphflow as gf
    return autoencoder_step(gf, lambda g: gf.Session(graph=g))


def tf1_autoencoder() -> Callable[[], object] | None:
    tf = bench.tf1_module()
    return None if tf is None else autoencoder_step(tf, bench.tf1_session(tf))


def pytensor_autoencoder() -> Callable[[], object] | None:
    """The same step compiled by PyTensor (its C backend), RMSProp as TF1's."""
    try:
        import pytensor
        import pytensor.tensor as pt
    except ImportError:
        return None
    x_v, ws = _ae_data()
    x = pt.matrix("x", dtype="float32")
    params = []
    for w in ws:
        params += [pytensor.shared(w), pytensor.shared(np.zeros(w.shape[1], np.float32))]
    h = x
    for k in range(0, len(params), 2):
        h = pt.sigmoid(pt.dot(h, params[k]) + params[k + 1])
    loss = pt.mean((x - h) ** 2)
    grads = pytensor.grad(loss, params)
    updates = []
    for p, g in zip(params, grads):
        ms = pytensor.shared(np.ones(p.get_value().shape, np.float32))
        new_ms = np.float32(0.9) * ms + np.float32(0.1) * g * g
        updates += [(ms, new_ms), (p, p - np.float32(AE_LR) * g / pt.sqrt(new_ms + np.float32(1e-10)))]
    fn = pytensor.function([x], loss, updates=updates)
    return lambda: fn(x_v)


def torch_autoencoder() -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    x_v, ws = _ae_data()
    x = torch.from_numpy(x_v)
    params = []
    for w in ws:
        params += [torch.from_numpy(w.T.copy()).requires_grad_(True), torch.zeros(w.shape[1], requires_grad=True)]
    # TF1's RMSProp: decay 0.9, epsilon 1e-10, mean square starting at one
    opt = torch.optim.RMSprop(params, lr=AE_LR, alpha=0.9, eps=1e-10)

    def step() -> float:
        h = x
        for k in range(0, len(params), 2):
            h = torch.sigmoid(torch.nn.functional.linear(h, params[k], params[k + 1]))
        loss = ((x - h) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def jax_autoencoder() -> Callable[[], object] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    x_v, ws = _ae_data()
    x = jnp.asarray(x_v)

    def loss_fn(params):  # type: ignore[no-untyped-def]
        h = x
        for w, b in params:
            h = jax.nn.sigmoid(h @ w + b)
        return jnp.mean((x - h) ** 2)

    @jax.jit
    def update(params, ms):  # type: ignore[no-untyped-def]
        loss, grads = jax.value_and_grad(loss_fn)(params)
        ms = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g * g, ms, grads)
        params = jax.tree_util.tree_map(lambda p, g, m: p - AE_LR * g / jnp.sqrt(m + 1e-10), params, grads, ms)
        return loss, params, ms
    params = [(jnp.asarray(w), jnp.zeros(w.shape[1], jnp.float32)) for w in ws]
    state = [params, jax.tree_util.tree_map(jnp.ones_like, params)]

    def step() -> object:
        loss, state[0], state[1] = update(state[0], state[1])
        return loss.block_until_ready()
    return step


def _ae_gemm_shapes() -> list[tuple[tuple[int, int], tuple[int, int], bool, bool]]:
    """(a shape, b shape, transpose a, transpose b) of the autoencoder step's 11 GEMMs."""
    out = []
    for a, b in zip(AE, AE[1:]):
        out.append(((AE_BATCH, a), (a, b), False, False))  # forward
        out.append(((AE_BATCH, a), (AE_BATCH, b), True, False))  # weight gradient
    for a, b in zip(AE[1:], AE[2:]):
        out.append(((AE_BATCH, b), (a, b), False, True))  # input gradient (not of the first layer)
    return out


def gemm_floors() -> dict[str, Callable[[], object] | None]:
    """The autoencoder step's GEMMs alone: through SciPy's OpenBLAS from njit (what graphflow's
    kernels call) and through PyTorch's own BLAS."""
    import numba
    rng = np.random.RandomState(0)
    pairs = [(rng.rand(*sa).astype(np.float32), rng.rand(*sb).astype(np.float32), ta, tb)
             for sa, sb, ta, tb in _ae_gemm_shapes()]

    @numba.njit(cache=False)
    def gemm(a, b, ta, tb):  # type: ignore[no-untyped-def]
        if ta:
            return np.dot(a.T, b)
        if tb:
            return np.dot(a, b.T)
        return np.dot(a, b)

    floors: dict[str, Callable[[], object] | None] = {
        "OpenBLAS GEMMs (graphflow's)": lambda: [gemm(a, b, ta, tb) for a, b, ta, tb in pairs]}
    try:
        import torch
    except ImportError:
        floors["PyTorch GEMMs"] = None
        return floors
    tp = [(torch.from_numpy(a), torch.from_numpy(b), ta, tb) for a, b, ta, tb in pairs]
    floors["PyTorch GEMMs"] = lambda: [(a.t() if ta else a) @ (b.t() if tb else b) for a, b, ta, tb in tp]
    return floors


def compare(title: str, contenders: dict[str, Callable[[], object] | None], number: int, repeats: int,
            reference: str, target: str = "") -> dict[str, float]:
    print(f"\n== {title}, median ms/step ==")
    live = {}
    for name, fn in contenders.items():
        if fn is None:
            print(f"  {name}: not installed, skipped")
        else:
            live[name] = fn
    samples: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(3):
        for name, fn in live.items():
            samples[name].append(bench.timeit(fn, repeats, number))
    best = {k: min(v) for k, v in samples.items()}
    for name, t in best.items():
        ratio = f"   graphflow / {name}: {best['graphflow'] / t:.2f}x" if name != "graphflow" else ""
        print(f"  {name:22s} {t * 1e3:8.3f} ms{ratio}{'   ' + target if ratio and name == reference else ''}")
    return best


def lstm_section(repeats: int) -> dict[str, float]:
    out = {}
    for steps in (28,):
        jx = lstm.jax_step(steps)
        jax_fn = None
        if jx is not None:
            import jax
            jax_fn = (lambda f: lambda: jax.block_until_ready(f()))(jx[1])
        tf1 = bench.tf1_module()
        tf1_fn = None if tf1 is None else lstm.tf_api_step(tf1, steps, bench.tf1_session(tf1))[1]
        best = compare(f"unrolled LSTM T={steps} training step (B=64, 28->128, Adam)",
                       {"graphflow": lstm.graphflow_step(steps)[1], "JAX jit": jax_fn, "TensorFlow 1 Session": tf1_fn},
                       5, repeats, "JAX jit", "(target <= 1.0x)")
        out.update({f"lstm{steps}/{k}": v for k, v in best.items()})
    return out


def mlp_batches(repeats: int) -> None:
    print("\n== tutorial MLP step over batch size (ms/step; ratio to graphflow's own GEMM floor) ==")
    saved = bench.N
    try:
        for n in (32, 256, 1024, 4096):
            bench.N = n
            fns = {"floor": bench.gemm_floor(), "graphflow": bench.build_graphflow_step(),
                   "PyTorch": bench.torch_step(), "JAX": bench.jax_step()}
            row = {k: min(bench.timeit(f, repeats, 20) for _ in range(2)) for k, f in fns.items() if f is not None}
            cells = "   ".join(f"{k} {v * 1e3:7.3f} ({v / row['floor']:.2f}x)" for k, v in row.items() if k != "floor")
            print(f"  N={n:<5} floor {row['floor'] * 1e3:7.3f}   {cells}")
    finally:
        bench.N = saved


def callable_overhead(repeats: int) -> float:
    import graphflow as gf
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, ())
        b = gf.placeholder(gf.float32, ())
        sess = gf.Session()
        fn = sess.make_callable(a + b, [a, b])
    t = bench.timeit(lambda: fn(1.0, 2.0), repeats, 2000)
    print(f"\n== make_callable on the scalar-add graph ==\n  graphflow: {t * 1e6:.1f} us/call   (target <= 3 us)")
    return t


def main() -> None:
    print(bench.pin_threads(os.cpu_count() or 1))
    compare("TensorFlow-Examples autoencoder step (784-256-128-256-784, batch 256, RMSProp)",
            {"graphflow": graphflow_autoencoder(), "PyTorch eager": torch_autoencoder(), "JAX jit": jax_autoencoder(),
             "TensorFlow 1 Session": tf1_autoencoder(), "PyTensor": pytensor_autoencoder(), **gemm_floors()},
            10, 5, "PyTorch eager", "(target <= 1.0x)")
    lstm_section(5)
    mlp_batches(3)
    callable_overhead(5)


if __name__ == "__main__":
    main()
