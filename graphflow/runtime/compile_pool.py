"""Parallel kernel compilation: a helper process fills the shared kernel cache while this one runs.

Numba compiles serially within a process (one global compiler lock), and a kernel costs about
0.1 s to compile whatever its size, so a new graph with many uncached kernels is bound by that
count. When there are at least ``MIN_KERNELS`` of them and a spare core, a helper process
compiles them, last-used first, for the argument types the glue will pass, while this process
runs the glue and compiles from the first call on: a kernel the helper finished first is loaded
from the cache instead of being compiled, and the helper skips those this process has cached,
so the two meet in the middle whichever is faster.

The helper is started when the first Session is created (``warm_up``), so that by the time a
training graph is compiled it has imported numba, initialised LLVM and compiled the float32 math
and cross-entropy libraries (``compiler/cpu_math.py``, ``compiler/xent_kernels.py``) into the
cache; until jobs come it waits on its input and uses no CPU. After an executable's first run a
helper still busy with its jobs is replaced by a fresh idle one (the remaining jobs are no longer
needed). Numba writes cache files under unique temporary names and renames them into place, so
processes never see half-written entries; the worst case of a race is one kernel compiled twice.
``GRAPHFLOW_COMPILE_WORKERS=0`` turns it off.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

MIN_KERNELS = 8

ArgType = tuple[str, int]  # (numpy dtype name, ndim; -1 for a scalar)

_helper: list[subprocess.Popen] = []  # the idle or working helper of this process, if any
_pending = [0]  # batches handed to it that it has not reported done


def enabled() -> bool:
    default = "1" if (os.cpu_count() or 1) > 1 else "0"
    return int(os.environ.get("GRAPHFLOW_COMPILE_WORKERS", default)) > 0


def uncached(dispatcher: Any) -> bool:
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    return path is not None and not os.path.exists(path)


def warm_up() -> None:
    """Start the idle helper, once per process (a new Session calls this)."""
    if not enabled():
        return
    if _helper and _helper[0].poll() is None:
        return
    _helper[:] = [subprocess.Popen([sys.executable, "-m", "graphflow.runtime.compile_pool"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=dict(os.environ))]
    _pending[0] = 0


def start(jobs: Sequence[tuple[Any, tuple[ArgType, ...]]]) -> bool:
    """Hand ``jobs`` (dispatcher, argument types) to the helper; False when not worth it."""
    todo, seen = [], set()
    for disp, types in jobs:
        if id(disp) not in seen and uncached(disp):
            seen.add(id(disp))
            todo.append({"path": disp.py_func.__code__.co_filename, "module": disp.py_func.__module__,
                         "args": [list(t) for t in types]})
    if not enabled() or len(todo) < MIN_KERNELS:
        return False
    warm_up()
    proc = _helper[0]
    try:
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(todo[::-1]) + "\n").encode())
        proc.stdin.flush()
    except OSError:  # the helper died: compile alone this time
        _helper.clear()
        return False
    _pending[0] += 1
    return True


def finish() -> None:
    """This process has compiled or loaded what it needs: a helper still at work is replaced by a
    fresh idle one, so it neither competes for the core nor compiles what is no longer needed."""
    if not _helper:
        return
    proc = _helper[0]
    assert proc.stdout is not None
    while _pending[0] and select.select([proc.stdout], [], [], 0)[0] and proc.stdout.readline():
        _pending[0] -= 1  # a batch it has finished
    if _pending[0] == 0 and proc.poll() is None:
        return  # idle: keep it
    _helper.clear()
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    warm_up()


def _numba_type(dtype: str, ndim: int) -> Any:
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    scalar = from_dtype(np.dtype(dtype))
    return scalar if ndim < 0 else types.Array(scalar, ndim, "C")


def _compile(jobs: list[dict]) -> None:
    import importlib.util
    for job in jobs:
        mod = sys.modules.get(job["module"])
        if mod is None:
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


def _main() -> None:
    from numba import types

    from graphflow.compiler import cpu_math, xent_kernels
    for fn in (cpu_math.exp, cpu_math.tanh, cpu_math.sigmoid):  # nearly every float32 graph needs them
        fn.compile((types.float32,))
    rows, flat = types.Array(types.float32, 2, "C"), types.Array(types.float32, 1, "C")
    xent_kernels.softmax_xent.compile((rows, rows, flat))  # and every float32 classifier these
    xent_kernels.softmax_xent_grad.compile((flat, rows, rows, rows))
    for line in sys.stdin:  # one batch of jobs per line, until the parent closes the pipe
        _compile(json.loads(line))
        sys.stdout.write("done\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _main()
