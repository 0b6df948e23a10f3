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
(``compiler/cpu/gemm_threads.py``).

The user's limit is OpenBLAS's count as a step finds it when no other step is running
(``OPENBLAS_NUM_THREADS``, ``threadpoolctl.threadpool_limits``, ``openblas_set_num_threads``): the
policy only lowers it, and restores it when the last running step ends, so code between steps sees
the user's setting. Steps of several Python threads may overlap (one Session trained from two
threads; kernels run without the GIL), so no step restores the count it found, which another step
may have lowered: ``Steps`` counts the runs inside a step under a lock, the first records the
user's count, each entry sets min(user's count, the cap now) (the newest load reading decides,
lower or higher, never above the user's), and the last to leave puts the user's count back
(``compiler/cpu/gemm_threads.py`` says why compiled code's own changes cannot undo this). A change of
the count made from one thread while another thread's step runs is taken for the policy's own and
undone when the last step ends: set the limit between steps, or before starting the threads.
``GRAPHFLOW_BLAS_THREADS=N`` replaces the load probe by a fixed cap of N (still never above the
user's limit). numba's own thread pool is not involved: compiled kernels are serial (no
``parallel=True``), so the BLAS pool is the only one a step starts.
"""
from __future__ import annotations

import ctypes
import os
import threading
import time

from graphflow.compiler.cpu.gemm_threads import LIBRARY, SMALL_GEMM_FLOPS, STEP_THREADS, BlasLibrary

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


class Steps:
    """The runs now inside a step, for one BLAS: the first records the user's count, each entry
    sets the count (and ``STEP_THREADS``, which compiled code reads) to at most the user's, and the
    last to leave restores the user's count. One per process (``STEPS``): the count is the
    process's, whichever ``Policy`` sets it.

    >>> counts = [4]  # a BLAS whose user allows 4 threads
    >>> steps = Steps(BlasLibrary("blas", "", lambda: counts[-1], counts.append, ""), ctypes.c_int(0))
    >>> steps.enter(2), steps.enter(1), steps.user_limit()  # two overlapping steps
    (2, 1, 4)
    >>> steps.leave(); counts[-1]  # the other step still runs
    1
    >>> steps.leave(); counts[-1]
    4
    """

    def __init__(self, library: BlasLibrary, cell: ctypes.c_int = STEP_THREADS) -> None:
        assert library.get_threads is not None and library.set_threads is not None, library.reason
        self.get, self.set = library.get_threads, library.set_threads
        self.cell = cell
        self.lock = threading.Lock()
        self.running = 0
        self.user = 0  # the user's count while a step runs

    def enter(self, cap: int) -> int:
        """A step starts, to run on at most ``cap`` threads; returns the count it runs on."""
        with self.lock:
            if self.running == 0:
                self.user = self.cell.value = self.get()
            self.running += 1
            count = min(self.user, cap)
            if count != self.cell.value:  # else already set (a narrowed product's widen puts it back)
                self.cell.value = count
                self.set(count)
            return count

    def leave(self) -> None:
        """A step ends; the last to end puts the user's count back."""
        with self.lock:
            if self.running == 0:
                raise RuntimeError("BLAS thread policy: a step left that never entered")
            self.running -= 1
            if self.running == 0:
                self.cell.value = 0
                self.set(self.user)

    def user_limit(self) -> int:
        """The user's count: recorded while steps run, OpenBLAS's count otherwise."""
        with self.lock:
            return self.user if self.running else self.get()


STEPS = Steps(LIBRARY) if LIBRARY.controllable else None


class Policy:
    """OpenBLAS's thread count around the steps that call the BLAS. ``enter`` returns what to hand
    ``leave`` afterwards: the count the step runs on, or 0 when the count is not managed (then
    ``leave`` need not be called)."""

    def __init__(self, library: BlasLibrary = LIBRARY, probe: LoadProbe | None = None,
                 fixed: int | None = None) -> None:
        self.library = library
        self.steps: Steps | None = None
        if library.controllable:  # another library than compiled code's gets a cell of its own
            self.steps = STEPS if library is LIBRARY and STEPS is not None else Steps(library, ctypes.c_int(0))
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
        if self.steps is None:
            return 0
        now = time.monotonic()
        if now >= self.next_probe:
            self._reprobe(now)
        return self.steps.enter(self.cap)

    def leave(self, entered: int) -> None:
        if entered and self.steps is not None:
            self.steps.leave()

    def describe(self) -> str:
        """One paragraph for diagnostics: the library, the user's limit, the cap and why."""
        lib = self.library
        if not lib.controllable:
            return f"BLAS threads: not managed ({lib.reason})"
        lines = [f"BLAS: {lib.config or 'OpenBLAS'} at {lib.path}",
                 f"  threads allowed by the user: {self.steps.user_limit() if self.steps else '?'}",
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
