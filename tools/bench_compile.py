"""Compile-time benchmark: the first ``sess.run`` of training graphs, cold and warm, beside JAX.

    python tools/bench_compile.py                # LSTM T=1,4,8,16,28, T=20 after 16, MLP, CNN
    python tools/bench_compile.py --steps 8 16   # chosen LSTM lengths only

"Cold" is a new process with empty caches (GRAPHFLOW_CACHE_DIR and NUMBA_CACHE_DIR both fresh),
after ``import graphflow`` and after the initializer's run; "warm" is a new process over the
caches the cold run left. Each figure comes from its own subprocess; JAX's jit compile of the
same maths is measured in a subprocess of its own too, so no run benefits from another's imports.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

_GF = """
import json, sys, time
t0 = time.perf_counter()
import graphflow
t1 = time.perf_counter()
sys.path.insert(0, {here!r})
import bench, lstm
step = {build}
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
step()
t4 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "build_init": t2 - t1, "first_run": t3 - t2, "second_run": t4 - t3}}))
"""

_JAX = """
import json, sys, time
sys.path.insert(0, {here!r})
import lstm
t0 = time.perf_counter()
import jax
compile_, step = lstm.jax_step({steps})
t1 = time.perf_counter()
compile_()
t2 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "compile": t2 - t1}}))
"""


def run(code: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def env_with(cache: str) -> dict:
    env = dict(os.environ)
    env["GRAPHFLOW_CACHE_DIR"] = os.path.join(cache, "gf")
    env["NUMBA_CACHE_DIR"] = os.path.join(cache, "numba")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def graphflow_runs(build: str, env: dict) -> tuple[dict, dict]:
    code = textwrap.dedent(_GF.format(here=HERE, build=build))
    return run(code, env), run(code, env)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, nargs="*", default=[1, 4, 8, 16, 28])
    ap.add_argument("--no-jax", action="store_true")
    ap.add_argument("--lstm-only", action="store_true")
    args = ap.parse_args()
    print("first sess.run of each training graph, in a new process, after import and the initializer's run")
    figures: dict[int, float] = {}
    for steps in args.steps:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = graphflow_runs(f"lstm.graphflow_step({steps})[1]", env_with(cache))
            if steps == 16:  # another length over the cache T=16 left: only the glue is new
                later, _ = graphflow_runs("lstm.graphflow_step(20)[1]", env_with(cache))
        jx = None if args.no_jax else run(textwrap.dedent(_JAX.format(here=HERE, steps=steps)), dict(os.environ))
        figures[steps] = cold["first_run"]
        j = f"{jx['compile']:.2f}" if jx else "-"
        ratio = f"{cold['first_run'] / jx['compile']:.2f}x" if jx else "-"
        print(f"LSTM T={steps:<3} cold {cold['first_run']:6.2f} s   warm {warm['first_run']:5.2f} s   "
              f"JAX jit compile {j} s   cold/JAX {ratio}   (import {cold['import']:.2f} s, build+init "
              f"{cold['build_init']:.2f} s)   target cold <= 1.0x JAX", flush=True)
        if steps == 16:
            print(f"LSTM T=20 after T=16 ran in another process: {later['first_run']:.2f} s   target <= 1 s")
    if 14 in figures and 28 in figures:
        print(f"LSTM cold T=28 / T=14: {figures[28] / figures[14]:.2f}x   target <= 2x")
    if args.lstm_only:
        return
    for name, build, targets in (("tutorial MLP", "bench.build_graphflow_step()", "cold <= 2 s, warm <= 0.2 s"),
                                 ("MNIST-shaped CNN", "bench.graphflow_cnn_step()", "cold <= 3 s")):
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = graphflow_runs(build, env_with(cache))
        print(f"{name:<17} cold {cold['first_run']:6.2f} s   warm {warm['first_run']:5.2f} s   "
              f"(build+init {cold['build_init']:.2f} s)   target {targets}", flush=True)


if __name__ == "__main__":
    main()
