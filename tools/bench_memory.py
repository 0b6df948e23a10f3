"""Peak memory of one training step: what the step's buffers take at their peak, against the peak
bytes of its simultaneously live tensors.

    python tools/bench_memory.py          # the MNIST-shaped CNN step of tools/bench.py

Live tensors: every array a kernel returns or the glue allocates is followed from creation until
the glue drops its last reference (graphflow frees each value after its last use), so their
peak sum is the peak of simultaneously live tensors (views of one buffer count once). Buffers:
the process's peak resident memory during one step above its resident memory before it, in a
process where glibc returns freed memory at once (GRAPHFLOW_MALLOC_TUNING=0 and
MALLOC_MMAP_THRESHOLD_=65536), so it includes what kernels allocate inside (im2col columns,
accumulators) and what the allocator keeps. Variables, feeds and constants exist across steps
and count in neither.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import gc, json, sys, weakref
    import numpy as np
    sys.path.insert(0, {tools!r})
    import bench
    from graphflow.runtime import cache

    step = bench.graphflow_cnn_step()
    for _ in range(3):
        step()  # compiled and warm

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

    gc.collect()
    base = status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current resident size
    step()
    buffers = status("VmHWM:") - base

    # live tensors: wrap the kernels and the glue's allocations of the step's executable
    live = {{"now": 0, "peak": 0}}
    owners = {{}}

    def track(arr):
        if isinstance(arr, np.ndarray) and arr.nbytes:
            ptr = arr.__array_interface__["data"][0]
            if ptr not in owners:
                owners[ptr] = 0
                live["now"] += arr.nbytes
                live["peak"] = max(live["peak"], live["now"])
            owners[ptr] += 1
            weakref.finalize(arr, release, ptr, arr.nbytes)
        return arr

    def release(ptr, nbytes):
        owners[ptr] -= 1
        if not owners[ptr]:
            del owners[ptr]
            live["now"] -= nbytes

    exes = [o for o in gc.get_objects() if type(o).__name__ == "Executable" and o.generated.glue]
    exe = max(exes, key=lambda e: len(e.kernels))
    wrappers = {{}}
    for k in exe.kernels:  # one wrapper per distinct kernel, as the glue numbers them
        wrappers.setdefault(id(k), (lambda k: lambda *a: track(k(*a)))(k))
    wrapped = [wrappers[id(k)] for k in exe.kernels]
    tracked_np = type("np", (), {{"empty": staticmethod(lambda *a, **kw: track(np.empty(*a, **kw))),
                                  "float32": np.float32, "float64": np.float64, "int32": np.int32,
                                  "int64": np.int64, "bool_": np.bool_}})
    entry = cache.glue_entry(exe.generated.source, wrapped)
    entry.__globals__["np"] = tracked_np
    exe.entry = entry
    step()
    print(json.dumps({{"buffers": buffers, "live": live["peak"], "calls": len(exe.kernels)}}))
""")


def main() -> None:
    env = dict(os.environ, GRAPHFLOW_MALLOC_TUNING="0", MALLOC_MMAP_THRESHOLD_="65536")
    code = CHILD.format(tools=os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"MNIST-shaped CNN training step (batch 64), {r['calls']} kernel calls:")
    print(f"  peak of simultaneously live tensors {r['live'] / 2**20:8.1f} MiB")
    print(f"  peak of the step's buffers          {r['buffers'] / 2**20:8.1f} MiB   "
          f"{r['buffers'] / r['live']:.2f}x the live tensors (target <= 1.5x)")


if __name__ == "__main__":
    main()
