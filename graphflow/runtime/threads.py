"""BLAS threads per step: as many as there are idle cores this process may use, never more than the
user allows.

OpenBLAS's pool (pthreads builds, SciPy's wheels among them) splits each large product into equal
parts and waits for all of them, its threads spinning on the CPU for about 0.1 s after each call
before they sleep. On cores another process keeps busy that turns into a cliff: beside one
spinning process on a 2-core machine, a 400 MFLOP product took 1.4x as long on two threads as on
one, and an LSTM training step (tools/bench_rnn.py) 2.2x its quiet time, the spinning helper taking
the core share of the step's own loops too; with a test suite running besides, single products
took 10-1000x as long. So before each step whose code calls the BLAS, ``Policy.enter`` lowers
OpenBLAS's count to the cores that are idle now (``LoadProbe``), and ``leave`` puts the count back
afterwards; small products go to one thread inside compiled code whatever the count
(``compiler/gemm_threads.py``).

The user's limit is OpenBLAS's count as the step finds it (``OPENBLAS_NUM_THREADS``,
``threadpoolctl.threadpool_limits``, ``openblas_set_num_threads``): the policy only lowers it, and
restores it after every step, so code between steps sees the user's setting.
``GRAPHFLOW_BLAS_THREADS=N`` replaces the load probe by a fixed cap of N (still never above the
user's limit). numba's own thread pool is not involved: compiled kernels are serial (no
``parallel=True``), so the BLAS pool is the only one a step starts.
"""
from __future__ import annotations

import os
import threading
import time

from graphflow.compiler.gemm_threads import LIBRARY, SMALL_GEMM_FLOPS, BlasLibrary

PROBE_SECONDS = 0.1  # how often the load is read again (a read costs about 20 us)
# a core counts as busy when other processes use more than this share of it
BUSY_SHARE = 0.4


class LoadProbe:
    """The cores this process may use (``os.sched_getaffinity``) and how many of them other
    processes kept busy since the previous reading: their busy time from ``/proc/stat`` less this
    process's own CPU time (its spinning BLAS threads included), over the wall time between."""

    def __init__(self, stat_path: str = "/proc/stat") -> None:
        self.stat_path = stat_path
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.reason = ""
        self.previous: tuple[float, float, float] | None = None
        self.others = 0.0  # cores other processes kept busy over the last interval
        try:
            self.free_cores()  # the first interval runs from here to the first step
        except OSError as e:
            self.reason = f"no load reading ({e.strerror or e}): BLAS threads follow the user's limit"

    @staticmethod
    def cpus() -> set[int]:
        if hasattr(os, "sched_getaffinity"):
            return set(os.sched_getaffinity(0))
        return set(range(os.cpu_count() or 1))

    def read(self) -> tuple[set[int], float]:
        """(allowed cpus, the ticks they have been busy) from ``/proc/stat``."""
        allowed = self.cpus()
        busy = 0
        with open(self.stat_path, "rb") as f:
            for line in f.read().splitlines():
                if not line.startswith(b"cpu") or not line[3:4].isdigit():
                    continue
                name, *fields = line.split()
                if int(name[3:]) in allowed:
                    # user nice system idle iowait irq softirq steal: all but idle and iowait
                    v = [int(x) for x in fields[:8]]
                    busy += sum(v) - v[3] - v[4]
        return allowed, float(busy)

    def free_cores(self) -> int:
        """Cores of this process's set that other processes left idle since the previous call
        (at least 1)."""
        allowed, busy = self.read()
        now, own = time.monotonic(), time.process_time()
        if self.previous is not None:
            t0, busy0, own0 = self.previous
            wall = now - t0
            if wall > 0:
                self.others = max(0.0, ((busy - busy0) / self.hz - (own - own0)) / wall)
        self.previous = (now, busy, own)
        return max(1, len(allowed) - int(self.others + 1 - BUSY_SHARE))


class Policy:
    """OpenBLAS's thread count around the steps that call the BLAS. ``enter`` returns the count to
    hand ``leave`` afterwards (0 when it changed nothing)."""

    def __init__(self, library: BlasLibrary = LIBRARY, probe: LoadProbe | None = None,
                 fixed: int | None = None) -> None:
        self.library = library
        self.get = library.get_threads
        self.set = library.set_threads
        self.fixed = fixed
        self.probe = probe if fixed is None else None
        self.cap = fixed if fixed is not None else len(LoadProbe.cpus())
        self.next_probe = 0.0
        self.lock = threading.Lock()

    def _reprobe(self, now: float) -> None:
        if self.probe is None or self.probe.reason or not self.lock.acquire(blocking=False):
            return
        try:
            self.cap = self.probe.free_cores()
            self.next_probe = now + PROBE_SECONDS
        except OSError:
            self.cap = len(LoadProbe.cpus())
            self.next_probe = now + 60.0
        finally:
            self.lock.release()

    def enter(self) -> int:
        if self.get is None or self.set is None:
            return 0
        now = time.monotonic()
        if now >= self.next_probe:
            self._reprobe(now)
        current = self.get()
        if current > self.cap:
            self.set(self.cap)
            return current
        return 0

    def leave(self, previous: int) -> None:
        if previous and self.set is not None:
            self.set(previous)

    def describe(self) -> str:
        """One paragraph for diagnostics: the library, the user's limit, the cap and why."""
        lib = self.library
        if not lib.controllable:
            return f"BLAS threads: not managed ({lib.reason})"
        lines = [f"BLAS: {lib.config or 'OpenBLAS'} at {lib.path}",
                 f"  threads allowed by the user (OpenBLAS's count now): {self.get() if self.get else '?'}",
                 f"  products under {SMALL_GEMM_FLOPS / 1e6:g} MFLOP: one thread"]
        if self.fixed is not None:
            lines.append(f"  larger products: at most {self.fixed} (GRAPHFLOW_BLAS_THREADS)")
        elif self.probe is None or self.probe.reason:
            lines.append("  larger products: the user's limit"
                         + (f" ({self.probe.reason})" if self.probe is not None else ""))
        else:
            lines.append(f"  larger products: at most {self.cap} now (cores this process may use: "
                         f"{len(self.probe.cpus())}, kept busy by other processes: {self.probe.others:.1f})")
        return "\n".join(lines)


def _from_environment() -> Policy:
    value = os.environ.get("GRAPHFLOW_BLAS_THREADS", "").strip()
    if value:
        try:
            fixed = int(value)
        except ValueError:
            raise ValueError(f"GRAPHFLOW_BLAS_THREADS must be a whole number of threads, got {value!r}") from None
        if fixed < 1:
            raise ValueError(f"GRAPHFLOW_BLAS_THREADS must be at least 1, got {fixed}")
        return Policy(fixed=fixed)
    return Policy(probe=LoadProbe())


POLICY = _from_environment()


def describe() -> str:
    """How this process's BLAS threads are chosen, for diagnostics.

    >>> print(describe())  # doctest: +SKIP
    BLAS: OpenBLAS 0.3.30 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64 at /.../libscipy_openblas.so
      ...
    """
    return POLICY.describe()
