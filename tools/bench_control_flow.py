"""Control flow: compile and run times of a while_loop by iteration count (each count in a fresh
process with an empty kernel cache, so every compile is cold), beside TF1 graph mode
(tensorflow.compat.v1) and JAX (lax.fori_loop) run in the same process.

    python tools/bench_control_flow.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
import numpy as np
n = int(sys.argv[1]); which = sys.argv[2]
x0 = np.linspace(0.1, 1.0, 64)
if which == "graphflow":
    import graphflow as tf
elif which == "tf1":
    import tensorflow.compat.v1 as tf
    tf.disable_eager_execution()
if which in ("graphflow", "tf1"):
    x = tf.placeholder(tf.float64, [64])
    _, y = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * 0.999 + tf.sin(a) * 0.001),
                         (tf.constant(0), x))
    g = tf.gradients(tf.reduce_sum(y), x)[0]
    sess = tf.Session()
    t = time.perf_counter(); sess.run(y, {x: x0}); first = time.perf_counter() - t
    t = time.perf_counter(); sess.run(y, {x: x0}); run = time.perf_counter() - t
    t = time.perf_counter(); sess.run(g, {x: x0}); gfirst = time.perf_counter() - t
    t = time.perf_counter(); sess.run(g, {x: x0}); grun = time.perf_counter() - t
else:
    import jax, jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = jax.jit(lambda a: jax.lax.fori_loop(0, n, lambda i, a: a * 0.999 + jnp.sin(a) * 0.001, a))
    gf_ = jax.jit(jax.grad(lambda a: jnp.sum(jax.lax.fori_loop(0, n, lambda i, a: a * 0.999 + jnp.sin(a) * 0.001, a))))
    t = time.perf_counter(); f(x0).block_until_ready(); first = time.perf_counter() - t
    t = time.perf_counter(); f(x0).block_until_ready(); run = time.perf_counter() - t
    t = time.perf_counter(); gf_(x0).block_until_ready(); gfirst = time.perf_counter() - t
    t = time.perf_counter(); gf_(x0).block_until_ready(); grun = time.perf_counter() - t
print(json.dumps(dict(first=first, run=run, grad_first=gfirst, grad_run=grun)))
"""


def measure(n: int, which: str) -> dict:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=tempfile.mkdtemp(prefix="gfcf"), NUMBA_CACHE_DIR=tempfile.mkdtemp(),
               TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), which], capture_output=True, text=True, env=env)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    for n in (10, 10_000):
        for which in ("graphflow", "tf1", "jax"):
            rows.append((n, which, measure(n, which)))
    print(f"{'iters':>6} {'peer':>10} {'first run s':>12} {'run ms':>9} {'grad first s':>13} {'grad run ms':>12}")
    for n, which, r in rows:
        if "error" in r:
            print(f"{n:>6} {which:>10}  error: {r['error']}")
            continue
        print(f"{n:>6} {which:>10} {r['first']:>12.3f} {r['run'] * 1e3:>9.2f} {r['grad_first']:>13.3f} "
              f"{r['grad_run'] * 1e3:>12.2f}")



if __name__ == "__main__":
    main()
