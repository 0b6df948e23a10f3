"""Unrolled-LSTM training step (tools/lstm.py), graphflow against JAX's jitted step, one process.

    OPENBLAS_NUM_THREADS=1 python tools/bench_lstm_step.py 16 28
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench  # noqa: E402
import lstm  # noqa: E402


def main() -> None:
    for steps in [int(a) for a in sys.argv[1:]] or [16, 28]:
        _, gf_step = lstm.graphflow_step(steps)
        gf_step()
        samples = {"graphflow": gf_step}
        jx = lstm.jax_step(steps)
        if jx is not None:
            import jax
            _, jax_step = jx
            samples["JAX jit"] = lambda: jax.block_until_ready(jax_step())
        times: dict[str, list[float]] = {k: [] for k in samples}
        for _ in range(3):  # interleaved, so drift hits both alike
            for name, fn in samples.items():
                times[name].append(bench.timeit(fn, 5, 20))
        best = {k: min(v) for k, v in times.items()}
        line = "   ".join(f"{k} {v * 1e3:.2f} ms" for k, v in best.items())
        ratio = f"   graphflow / JAX {best['graphflow'] / best['JAX jit']:.2f}x (target <= 1.0x)" if jx else ""
        print(f"LSTM T={steps}: {line}{ratio}", flush=True)


if __name__ == "__main__":
    main()
