"""Data-parallel scaling of the digits MLP and CNN over MPI (graphflow.distributed), measured on this
machine with 1 and 2 ranks, and projected to 8, 64 and 512 ranks on two stated networks.

    python tools/bench_distributed.py [--batch 64] [--steps 200]

Measured here (mpirun -n 1 and -n 2, one core per rank): the training step time and throughput
(per-rank batch fixed: weak scaling), the compute time per sample, the gradient bytes per step
(one fused float32 allreduce), and the allreduce time for 8 B .. 16 MB between two ranks (shared
memory, so these are not a network's figures). The projection uses

    step(R) = compute(B) + allreduce(R, n),  allreduce(R, n) = 2 log2(R) a + 2 (R - 1) / R * n / b

(recursive halving / doubling, MPICH's algorithm for large messages: latency a per message,
bandwidth b) with a and b stated for a 25 Gb/s Ethernet and a 200 Gb/s InfiniBand cluster; the
allreduce does not overlap the backward pass (it runs once every gradient is computed).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# one core per rank: compiled kernels, BLAS and OpenMP single-threaded in every worker (1 rank too)
ONE_CORE = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
NETWORKS = {"25 Gb/s Ethernet (TCP)": (30e-6, 25e9 / 8), "200 Gb/s InfiniBand HDR": (3e-6, 200e9 / 8)}


def worker(out: str, batch: int, steps: int) -> None:
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    from distributed_digits import build, load_digits

    import graphflow as gf
    import graphflow.distributed as hvd
    from graphflow.platform import mpi
    hvd.init()
    xt, yt, _, _ = load_digits(0)
    rs = np.random.RandomState(hvd.rank())
    res: dict = {"ranks": hvd.size()}
    for model in ("mlp", "cnn"):
        with gf.Graph().as_default():
            m = build(model, "sgd", 0.05)
            params = sum(int(np.prod(v.shape.as_list())) for v in gf.trainable_variables())
            with gf.Session() as s:
                s.run(gf.global_variables_initializer())
                s.run(hvd.broadcast_global_variables(0))
                feeds = [{m["images"]: xt[i], m["labels"]: yt[i]} for i in (rs.randint(0, len(xt), batch)
                                                                          for _ in range(16))]
                for f in feeds[:3]:
                    s.run(m["train"], f)
                hvd.barrier()
                before = mpi.stats()
                start = time.perf_counter()
                for k in range(steps):
                    s.run(m["train"], feeds[k % len(feeds)])
                hvd.barrier()
                took = (time.perf_counter() - start) / steps
                after = mpi.stats()
        res[model] = {"step_s": took, "params": params, "samples_per_s": hvd.size() * batch / took,
                      "allreduce_s": (after["seconds"] - before["seconds"]) / steps,
                      "collectives_per_step": (after["collectives"] - before["collectives"]) / steps,
                      "bytes_per_step": (after["bytes"] - before["bytes"]) / steps}
    if hvd.size() > 1:  # the allreduce itself, by message size
        sizes = [8 * 4 ** k for k in range(12)]  # 8 B .. 32 MB
        times = []
        for n in sizes:
            a = np.ones(n // 4, np.float32)
            reps = 200 if n < 1 << 16 else 20
            mpi.allreduce(a)
            hvd.barrier()
            t = time.perf_counter()
            for _ in range(reps):
                mpi.allreduce(a)
            times.append((time.perf_counter() - t) / reps)
        res["allreduce"] = list(zip(sizes, times))
    if hvd.rank() == 0:
        with open(out, "w") as f:
            json.dump(res, f)


def _allreduce_model(ranks: int, nbytes: float, latency: float, bandwidth: float) -> float:
    if ranks == 1:
        return 0.0
    return 2 * math.log2(ranks) * latency + 2 * (ranks - 1) / ranks * nbytes / bandwidth


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()
    if a.worker:
        worker(a.worker, a.batch, a.steps)
        return
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise SystemExit("needs mpirun and mpi4py: pip install 'graphflow[mpi]'")
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for ranks in (1, 2):
            out = os.path.join(tmp, f"{ranks}.json")
            subprocess.run([mpirun, "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker", out,
                            "--batch", str(a.batch), "--steps", str(a.steps)], check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": ROOT, **ONE_CORE})
            with open(out) as f:
                runs[ranks] = json.load(f)
    print(f"per-rank batch {a.batch}, SGD, float32, {a.steps} steps; one core per rank ({os.cpu_count()} cores)")
    for model in ("mlp", "cnn"):
        one, two = runs[1][model], runs[2][model]
        print(f"\n{model.upper()}: {one['params']} parameters, {two['bytes_per_step'] / 1e3:.1f} kB allreduced "
              f"per step in {two['collectives_per_step']:.0f} collective(s)")
        print(f"  1 rank : step {one['step_s'] * 1e3:7.3f} ms   {one['samples_per_s']:8.0f} samples/s")
        print(f"  2 ranks: step {two['step_s'] * 1e3:7.3f} ms   {two['samples_per_s']:8.0f} samples/s   "
              f"(allreduce {two['allreduce_s'] * 1e3:.3f} ms/step; "
              f"speed-up {two['samples_per_s'] / one['samples_per_s']:.2f}x)")
        compute = one["step_s"]
        print(f"  compute {compute / a.batch * 1e6:.1f} us/sample; projected, weak scaling (batch {a.batch} per rank):")
        for net, (lat, bw) in NETWORKS.items():
            cells = []
            for ranks in (8, 64, 512):
                t = compute + _allreduce_model(ranks, two["bytes_per_step"], lat, bw)
                cells.append(f"{ranks} ranks {ranks * a.batch / t:9.0f} samples/s ({compute / t:4.0%})")
            print(f"    {net:26s} " + "   ".join(cells))
    print("\nallreduce between 2 ranks here (shared memory):")
    for n, t in runs[2]["allreduce"]:
        print(f"  {n:>10d} B  {t * 1e6:9.1f} us   {n / t / 1e9:6.2f} GB/s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"batch": a.batch, "runs": runs}, f, indent=1)


if __name__ == "__main__":
    main()
