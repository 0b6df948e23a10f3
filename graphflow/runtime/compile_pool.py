"""Parallel kernel compilation: a helper process fills the shared kernel cache while this one runs.

Numba compiles serially within a process (one global compiler lock), and a kernel costs about
0.1 s to compile whatever its size, so a new graph with many uncached kernels is bound by that
count. When there are at least ``MIN_KERNELS`` of them and a spare core, one helper process
compiles them, last-used first, for the argument types the glue will pass, while this process
runs the glue and compiles from the first call on: a kernel the helper finished first is loaded
from the cache instead of being compiled, and the helper skips those this process has cached,
so the two meet in the middle whichever is faster. Numba writes cache files under unique temporary names
and renames them into place, so the two processes never see half-written entries; the worst
case of a race is one kernel compiled twice. ``GRAPHFLOW_COMPILE_WORKERS=0`` turns this off.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

MIN_KERNELS = 8

ArgType = tuple[str, int]  # (numpy dtype name, ndim; -1 for a scalar)


def uncached(dispatcher: Any) -> bool:
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    return path is not None and not os.path.exists(path)


def start(jobs: Sequence[tuple[Any, tuple[ArgType, ...]]]) -> subprocess.Popen | None:
    """Start a helper compiling ``jobs`` (dispatcher, argument types), or None when not worth it."""
    workers = int(os.environ.get("GRAPHFLOW_COMPILE_WORKERS", "1" if (os.cpu_count() or 1) > 1 else "0"))
    todo, seen = [], set()
    for disp, types in jobs:
        if id(disp) not in seen and uncached(disp):
            seen.add(id(disp))
            todo.append({"path": disp.py_func.__code__.co_filename, "module": disp.py_func.__module__,
                         "args": [list(t) for t in types]})
    if workers < 1 or len(todo) < MIN_KERNELS:
        return None
    proc = subprocess.Popen([sys.executable, "-m", "graphflow.runtime.compile_pool"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(todo[::-1]).encode())
    proc.stdin.close()
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    """End a helper whose work is no longer needed (this process has compiled or loaded all)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def _numba_type(dtype: str, ndim: int) -> Any:
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    scalar = from_dtype(np.dtype(dtype))
    return scalar if ndim < 0 else types.Array(scalar, ndim, "C")


def _main() -> None:
    import importlib.util
    jobs = json.loads(sys.stdin.read())
    for job in jobs:
        spec = importlib.util.spec_from_file_location(job["module"], job["path"])
        if spec is None or spec.loader is None:
            continue
        mod = importlib.util.module_from_spec(spec)
        sys.modules[job["module"]] = mod
        spec.loader.exec_module(mod)
        disp = mod.kernel
        if not uncached(disp):  # the other process got there first
            continue
        try:
            disp.compile(tuple(_numba_type(d, n) for d, n in job["args"]))
        except Exception:  # a wrong guess of the types only costs the helper's time
            continue


if __name__ == "__main__":
    _main()
