"""Parallel kernel compilation: a helper process fills the shared kernel cache while this one runs.

Numba compiles serially within a process (one global compiler lock), and a kernel costs about
0.1 s to compile whatever its size, so a new graph with many uncached kernels is bound by that
count. When there are at least ``MIN_KERNELS`` of them and a spare core, a helper process
compiles them, last-used first, for the argument types the glue will pass, while this process
runs the glue and compiles from the first call on: a kernel the helper finished first is loaded
from the cache instead of being compiled, and the helper skips those this process has cached,
so the two meet in the middle whichever is faster.

The helper is started when a Session is created (``warm_up``) and some library function its
graph will call is not cached yet, so that by the time a training graph is compiled it has
imported numba, initialised LLVM and compiled the float32 math and cross-entropy libraries
(``compiler/cpu/fastmath.py``, ``compiler/cpu/xent_kernels.py``), and the convolution and pooling library
functions when the graph has those ops (``compiler/cpu/rules/conv.library_calls``), into the cache; until jobs
come it waits on its input and uses no CPU. Where everything is cached it is not started (its
start-up would take a core from the first steps) until a graph has uncached kernels. After an
executable's first run a helper still busy with its jobs is stopped (the remaining jobs are no
longer needed). The helper works in this process's cache folder (``GRAPHFLOW_CACHE_DIR`` is set to
it), its library functions' artefacts in the same ``lib/<module>/`` folders (``cache.library``).
Cache files are written under unique temporary names and renamed into place, so processes never
see half-written entries; the worst case of a race is one kernel compiled twice.
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

from graphflow.compiler.cpu.rules.conv import library_calls, prepare_jobs
from graphflow.core.ir import Graph, Tensor
from graphflow.core.registry import Op
from graphflow.runtime import cache

MIN_KERNELS = 8

ArgType = tuple[str, int]  # (numpy dtype name, ndim; -1 for a scalar)

_helper: list[subprocess.Popen] = []  # the idle or working helper of this process, if any
_pending = [0]  # batches handed to it that it has not reported done


def enabled() -> bool:
    default = "1" if (os.cpu_count() or 1) > 1 else "0"
    return int(os.environ.get("GRAPHFLOW_COMPILE_WORKERS", default)) > 0


def uncached(dispatcher: object) -> bool:
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    return path is not None and not os.path.exists(path)


def warm_up(graph: Graph | None = None) -> None:
    """Start the idle helper, once per process (a new Session calls this), and have it compile
    the library functions the ops of the Session's ``graph`` will call. Where all of those are
    cached already it starts only when a graph has uncached kernels (``start``): an idle helper
    importing numba would otherwise take a core from the first training steps."""
    if not enabled():
        return
    jobs = [j for j in _library_jobs(graph) if _library_uncached(j)]
    if not (_helper and _helper[0].poll() is None):
        if jobs or graph is None:
            _spawn()
            _send(jobs)
    elif jobs and graph is not None:
        _send(jobs)


def _spawn() -> None:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=cache.cache_dir())  # the folder this process uses
    _helper[:] = [subprocess.Popen([sys.executable, "-m", "graphflow.runtime.compile_pool", str(os.getpid())],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=env)]
    _pending[0] = 0


def _library_uncached(job: dict) -> bool:
    lib = cache.library(job["library"])
    if "call" in job:  # a call that compiles what it runs; its library's ``prepared`` says if it would
        return not lib.prepared(*job["args"])
    return uncached(getattr(lib, job["function"]))


# Library functions of float32 elementwise and loss ops (the vectorised math, the cross-entropy
# rows), keyed by the op whose kernels call them
_COMMON = [("Exp", "graphflow.compiler.cpu.fastmath", "exp", [["float32", -1]]),
           ("Tanh", "graphflow.compiler.cpu.fastmath", "tanh", [["float32", -1]]),
           ("Sigmoid", "graphflow.compiler.cpu.fastmath", "sigmoid", [["float32", -1]]),
           ("SoftmaxCrossEntropyWithLogits", "graphflow.compiler.cpu.xent_kernels", "softmax_xent",
            [["float32", 2], ["float32", 2], ["float32", 1]]),
           ("SoftmaxCrossEntropyGrad", "graphflow.compiler.cpu.xent_kernels", "softmax_xent_grad",
            [["float32", 1], ["float32", 2], ["float32", 2], ["float32", 2]])]


def _library_jobs(graph: Graph | None) -> list[dict]:
    """Jobs for the library functions the ops of ``graph`` call (rules.conv.library_calls, the
    GEMM update, the float32 math and cross-entropy rows; all of the latter without a graph). The
    random draws are not among them: the initializer's run compiles them first thing.

    In the order this process would otherwise reach them, after its first forward convolution:
    this process compiles that convolution's direct kernels itself at the first run's start (the
    helper is still importing numba then), so the helper takes the library functions of the
    steps after it first (the pooling, the GEMM, the cross-entropy and their gradients: about
    4 s of compiling the digits CNN's first run would otherwise wait for), then the gradient
    convolutions' direct kernels, the last used first, then the forward ones, and im2col's
    functions last."""
    wanted: dict[tuple[str, str, str], list[list[Any]]] = {}
    ops = graph.get_operations() if graph is not None else []
    # in a graph that trains (an optimizer's update subtracts from a variable), a value nothing
    # reads is most likely a gradient no program runs (the input's gradient of a first
    # convolution: its fallback's _col2im kept the helper busy for seconds in every process, never
    # cached, and the steps' BLAS on one thread, the core counted as taken); if it is fetched
    # after all, its program compiles what it calls
    trains = any(n.op is Op.ASSIGN and n.attrs.mode == "sub" for n in ops)
    read = [n for n in ops if not trains or not n.outputs or any(t.consumers() for t in n.outputs)]
    for n in read:
        for module, fn, spec in library_calls(n):
            d = "float32" if n.dtypes[0].name == "float16" else n.dtypes[0].name
            kinds = {"T": [d, 4], "M": [d, 2], "F": [d, 1], "i": ["int64", -1], "b": ["bool", -1],
                     "d": ["float64", -1]}
            args = [kinds[a] for a in spec]
            wanted[(module, fn, json.dumps(args))] = args
    for d in _gemm_update_dtypes(graph):  # SGD updates of matmul gradients (assign_plans.gemm_updates)
        m = [d, 2]
        wanted[("graphflow.compiler.cpu.blas", "gemm", json.dumps(m))] = [m, ["bool", -1], m, ["bool", -1], m,
                                                                      ["float64", -1], ["float64", -1]]
    jobs = [{"library": module, "function": fn, "args": args} for (module, fn, _), args in wanted.items()]
    present = None if graph is None else {n.op.value for n in ops
                                          if n.dtypes and n.dtypes[0].name in ("float32", "float16")}
    jobs += [{"library": m, "function": fn, "args": args} for op, m, fn, args in _COMMON
             if present is None or op in present]
    # the convolutions' direct kernels, specialised on the graph's static shapes: gradients, the
    # last used first, then the forward ones (this process starts from the first forward one)
    calls = {json.dumps(j): j for n in read for j in prepare_jobs(n)}
    ordered = sorted(reversed(list(calls.values())), key=lambda j: j["args"][0] == "forward")
    # im2col's functions last: the fallback of convolutions the direct kernels do not serve
    late = ("_im2col", "_col2im")
    return [j for j in jobs if j["function"] not in late] + ordered + [j for j in jobs if j["function"] in late]


def _gemm_update_dtypes(graph: Graph | None) -> set[str]:
    """Dtypes of the graph's assignments ``var - s * (a @ b)`` / ``var -= s * (a @ b)``."""

    def product(t: Tensor) -> Tensor | None:
        n = t.node
        if n.op is Op.MUL:
            return next((x for x in n.inputs if x.node.op is Op.MATMUL), None)
        return t if n.op is Op.MATMUL else None
    out = set()
    for n in graph.get_operations() if graph is not None else ():
        if n.op is not Op.ASSIGN or n.dtypes[0].name not in ("float32", "float64"):
            continue
        v = n.inputs[1]
        if (n.attrs.mode == "sub" and product(v) is not None) or \
                (n.attrs.mode == "set" and v.node.op is Op.SUB and product(v.node.inputs[1]) is not None):
            out.add(n.dtypes[0].name)
    return out


def _send(todo: list[dict]) -> bool:
    proc = _helper[0]
    try:
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(todo) + "\n").encode())
        proc.stdin.flush()
    except OSError:  # the helper died: compile alone this time
        _helper.clear()
        return False
    _pending[0] += 1
    return True


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
    return _send(todo[::-1])


def wait() -> None:
    """Block until the helper has done every batch handed to it (tests and benchmarks use this)."""
    if _helper:
        assert _helper[0].stdout is not None
        while _pending[0] and _helper[0].stdout.readline():
            _pending[0] -= 1


def finish() -> None:
    """This process has compiled or loaded what it needs: a helper still at work is stopped, so it
    neither competes for the core nor compiles what is no longer needed."""
    if not _helper:
        return
    proc = _helper[0]
    assert proc.stdout is not None
    try:
        while _pending[0] and select.select([proc.stdout], [], [], 0)[0] and proc.stdout.readline():
            _pending[0] -= 1  # a batch it has finished
    except (OSError, ValueError):  # no select on pipes here (Windows): take it as busy
        pass
    if _pending[0] == 0 and proc.poll() is None:
        return  # idle: keep it
    _helper.clear()
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    # no fresh one now: importing numba would take a core from the steps that follow; the next
    # graph with uncached kernels starts one


def _numba_type(dtype: str, ndim: int) -> Any:
    import numpy as np
    from numba import types
    from numba.np.numpy_support import from_dtype
    scalar = from_dtype(np.dtype(dtype))
    return scalar if ndim < 0 else types.Array(scalar, ndim, "C")


def _compile(jobs: list[dict], parent: int | None = None) -> None:
    for job in jobs:
        if parent is not None and os.getppid() != parent:  # the parent is gone: so is the need
            return
        if "call" in job:  # a library call that compiles what it runs (simd.conv.prepare)
            try:
                getattr(cache.library(job["library"]), job["call"])(*job["args"])
            except Exception:  # a wrong guess only costs the helper's time
                pass
            continue
        if "library" in job:  # a library function (numba loads it from the cache if it is there)
            fn = getattr(cache.library(job["library"]), job["function"])
            try:
                fn.compile(tuple(_numba_type(*a) for a in job["args"]))
            except Exception:  # a wrong guess of the types only costs the helper's time
                pass
            continue
        mod = cache.load_file(job["path"])  # checked against its name, as this process's loads are
        if mod is None:
            continue
        disp = mod.kernel
        if not uncached(disp):  # the other process got there first
            continue
        try:
            disp.compile(tuple(_numba_type(d, n) for d, n in job["args"]))
        except Exception:  # a wrong guess of the types only costs the helper's time
            continue


def _end_with_parent() -> None:
    """A helper outlives no parent: its work would only compete with whatever runs next."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        try:
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _main() -> None:
    _end_with_parent()
    parent = int(sys.argv[1])
    if os.getppid() != parent:  # it ended while this process was starting
        return
    import numba  # noqa: F401  (imported while the parent is still building its graph)
    for line in sys.stdin:  # one batch of jobs per line, until the parent closes the pipe
        if os.getppid() != parent:
            return
        _compile(json.loads(line), parent)
        sys.stdout.write("done\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _main()
