"""The BLAS thread policy: SciPy's OpenBLAS found and its count set and restored, the user's limit
never raised, small products on one thread inside compiled code, larger ones on the cores other
processes leave idle (compiler/cpu/gemm_threads.py, runtime/threads.py). The suite pins OpenBLAS to
one thread (tests/conftest.py); tests that need two play the user and raise it themselves."""
from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.linalg.cython_blas

import graphflow as gf
from graphflow.compiler.cpu import gemm_threads
from graphflow.compiler.cpu.gemm_threads import LIBRARY, SMALL_GEMM_FLOPS, find_openblas, narrow, widen
from graphflow.core.registry import Op
from graphflow.runtime import threads
from graphflow.runtime.threads import LoadProbe, Policy, Steps

pytestmark = pytest.mark.skipif(not LIBRARY.controllable, reason=f"BLAS threads not managed: {LIBRARY.reason}")
two_cores = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 if hasattr(os, "sched_getaffinity") else True,
                               reason="needs two cores this process may use (OpenBLAS starts no helper thread on one)")


@contextmanager
def user_limit(n: int) -> Iterator[None]:
    """The user's OpenBLAS count set to ``n`` (as openblas_set_num_threads or threadpoolctl would)."""
    assert LIBRARY.get_threads is not None and LIBRARY.set_threads is not None
    before = LIBRARY.get_threads()
    LIBRARY.set_threads(n)
    try:
        yield
    finally:
        LIBRARY.set_threads(before)


def count() -> int:
    assert LIBRARY.get_threads is not None
    return LIBRARY.get_threads()


def test_the_library_is_numpys_openblas_where_it_has_cblas_else_scipys() -> None:
    assert LIBRARY.get_threads is not None and LIBRARY.set_threads is not None
    assert "OpenBLAS" in LIBRARY.config and os.path.exists(LIBRARY.path)
    core = sys.modules.get("numpy._core._multiarray_umath") or sys.modules["numpy.core._multiarray_umath"]
    numpys = find_openblas(core.__file__ or "")
    scipys = find_openblas(scipy.linalg.cython_blas.__file__)
    if numpys.controllable and numpys.cblas[0]:
        assert LIBRARY.path == numpys.path and LIBRARY.abi.startswith("cblas")
        assert LIBRARY.ilp64 == ("USE64BITINT" in numpys.config or "64" in os.path.basename(numpys.path))
        other = scipys
    else:
        assert LIBRARY.path == scipys.path
        other = numpys
    with user_limit(2):
        assert count() == 2
        if other.controllable and other.path != LIBRARY.path:  # two pools: setting one leaves the other
            assert other.get_threads is not None and other.set_threads is not None
            before = other.get_threads()
            other.set_threads(1)
            try:
                assert count() == 2
            finally:
                other.set_threads(before)


def test_compiled_products_run_on_the_chosen_library() -> None:
    """A float32 product through ``blas.gemm`` equals numpy's for every transpose pair and odd
    sizes, a k of 0 gives zeros (BLAS's C = beta C) and an empty result returns at once; blocks
    write only their part."""
    from graphflow.compiler.cpu import blas
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        for m, n, k in ((5, 7, 3), (64, 130, 17), (1, 1, 1), (3, 4, 0), (0, 5, 2)):
            for ta in (False, True):
                for tb in (False, True):
                    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
                    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
                    c = np.full((m, n), np.nan, dtype=dtype)
                    blas.gemm(a, ta, b, tb, c, 1.0, 0.0)
                    want = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
                    np.testing.assert_allclose(c, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    # both ways of calling a BLAS (the CBLAS entry and SciPy's Fortran routine, the fallback),
    # whichever this machine uses: blocks of every transpose pair, with alpha and beta
    for block in (blas._block_cblas, blas._block_fortran) if LIBRARY.cblas[0] else (blas._block_fortran,):
        for dtype in (np.float32, np.float64):
            for ta in (False, True):
                for tb in (False, True):
                    a = rng.standard_normal((4, 6) if ta else (6, 4)).astype(dtype)
                    b = rng.standard_normal((8, 4) if tb else (4, 8)).astype(dtype)
                    c = np.ones((6, 8), dtype=dtype)
                    block(a, ta, b, tb, c, 2, 5, 3, 7, -2.0, 0.5)
                    want = np.ones((6, 8))
                    full = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
                    want[2:5, 3:7] = 0.5 - 2.0 * full[2:5, 3:7]
                    np.testing.assert_allclose(c, want, rtol=1e-5, atol=1e-5)
    a = rng.standard_normal((6, 4)).astype(np.float32)
    b = rng.standard_normal((4, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="not C-contiguous"):
        blas.gemm(a, False, b, False, np.zeros((8, 6), dtype=np.float32).T, 1.0, 0.0)


def test_a_blas_without_openblas_calls_is_left_alone_with_a_reason() -> None:
    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no libm to stand in for a BLAS without OpenBLAS's calls")
    lib = find_openblas(libm)
    assert not lib.controllable and lib.get_threads is None
    assert "not OpenBLAS" in lib.reason
    policy = Policy(lib, fixed=1)
    assert policy.enter() == 0
    assert "not managed" in policy.describe()
    # compiled code then calls a stand-in that changes nothing, even inside a step (in a process of
    # its own: the symbols are process-wide)
    code = ("import numba\n"
            "from graphflow.compiler.cpu import gemm_threads as g\n"
            f"g._register(g.find_openblas({libm!r}))\n"
            "@numba.njit\n"
            "def f():\n"
            "    return g.narrow(128, 256, 65)\n"
            "g.STEP_THREADS.value = 2\n"  # as a step of two threads would set it
            "print(f(), g.LIBRARY.get_threads())\n")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, OPENBLAS_NUM_THREADS="2"),
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "2"]  # narrowed, through the stand-in: OpenBLAS's count untouched


_get_threads = LIBRARY.get_threads  # a ctypes function, which compiled code can call


@numba.njit
def _count_inside_narrow(m, n, k):  # type: ignore[no-untyped-def]
    narrowed = narrow(m, n, k)
    inside = _get_threads()
    widen(narrowed)
    return narrowed, inside, _get_threads()


@contextmanager
def step(policy: Policy) -> Iterator[int]:
    """Inside a step, as Executable runs one: the count the step runs on."""
    entered = policy.enter()
    try:
        yield entered
    finally:
        policy.leave(entered)


def test_compiled_code_runs_small_products_on_one_thread_and_restores_the_count() -> None:
    big = int(SMALL_GEMM_FLOPS ** (1 / 3)) + 8
    with user_limit(2):
        with step(Policy(fixed=2)):
            assert _count_inside_narrow(128, 256, 65) == (1, 1, 2)  # 4.3 MFLOP: one thread
            assert _count_inside_narrow(big, big, big) == (0, 2, 2)  # left at the step's count
        assert _count_inside_narrow(128, 256, 65) == (0, 2, 2)  # outside a step: nothing changes
    with user_limit(1), step(Policy(fixed=2)):
        assert _count_inside_narrow(128, 256, 65) == (0, 1, 1)  # nothing to lower


def test_the_step_cap_never_raises_the_users_limit_and_is_restored() -> None:
    with user_limit(2):
        with step(Policy(fixed=4)) as entered:
            assert entered == 2 and count() == 2
        with step(Policy(fixed=1)) as entered:
            assert entered == 1 and count() == 1
        assert count() == 2
    with user_limit(1), step(Policy(fixed=2)) as entered:
        assert entered == 1 and count() == 1


class _Blas:
    """A stand-in OpenBLAS count for ``Steps``, with every value ever set."""

    def __init__(self, user: int) -> None:
        self.count = user
        self.history = [user]

    def get(self) -> int:
        return self.count

    def set(self, n: int) -> None:
        self.count = n
        self.history.append(n)

    def library(self) -> gemm_threads.BlasLibrary:
        return gemm_threads.BlasLibrary("stand-in", "", self.get, self.set, "")


Run = Iterator[None]  # a run yields between its atomic actions


def _run(steps: Steps, blas: _Blas, cell: ctypes.c_int, cap: int, products: int) -> Run:
    """A step as Executable and compiled code take it: enter and leave (atomic: the lock), and
    ``products`` small products, each narrow and widen a read of ``STEP_THREADS`` and a write of
    the count, which another thread may come between (gemm_threads.narrow and widen)."""
    entered = steps.enter(cap)
    assert entered <= cap
    yield
    for _ in range(products):
        narrowed = cell.value > 1
        yield
        if narrowed:
            blas.set(1)
        yield
        restore = cell.value if narrowed else 0
        yield
        if restore > 0:
            blas.set(restore)
        yield
    steps.leave()


def _length(products: int) -> int:
    """How many actions ``_run`` takes: enter, four per product, leave."""
    return 2 + 4 * products


def _interleavings(lengths: list[int]) -> Iterator[list[int]]:
    """Every order of the actions of runs of these ``lengths`` (as lists of which run moves next)."""
    if not any(lengths):
        yield []
        return
    for i, n in enumerate(lengths):
        if n:
            rest = lengths.copy()
            rest[i] -= 1
            for order in _interleavings(rest):
                yield [i, *order]


def _play(user: int, runs_: list[tuple[int, int]], order: list[int]) -> _Blas:
    blas = _Blas(user)
    cell = ctypes.c_int(0)
    steps = Steps(blas.library(), cell)
    runs = [_run(steps, blas, cell, cap, products) for cap, products in runs_]
    for i in order:
        next(runs[i], "done")
    assert all(next(r, "done") == "done" for r in runs)  # each has finished, in its last action
    assert cell.value == 0
    return blas


def _the_users_count_stands(blas: _Blas, user: int) -> bool:
    return max(blas.history) <= user and blas.count == user


# (the user's count, [(a step's cap, its small products), ...])
@pytest.mark.parametrize("user, runs", [(4, [(2, 1), (1, 1)]), (4, [(1, 1), (3, 1)]), (2, [(8, 1), (1, 1)]),
                                        (3, [(2, 0), (2, 0), (1, 0)]), (4, [(3, 2), (2, 0)]),
                                        (4, [(2, 1), (3, 0), (1, 0)])])
def test_overlapping_steps_in_every_order_leave_the_users_count(user: int, runs: list[tuple[int, int]]) -> None:
    orders = list(_interleavings([_length(products) for _, products in runs]))
    assert len(orders) > 1
    for order in orders:
        played = _play(user, runs, order)
        assert _the_users_count_stands(played, user), (order, played.history)


def test_the_users_count_is_read_afresh_when_no_step_runs() -> None:
    blas = _Blas(4)
    steps = Steps(blas.library(), ctypes.c_int(0))
    assert steps.enter(1) == 1 and steps.user_limit() == 4
    steps.leave()
    blas.set(3)  # the user's change between steps
    assert steps.user_limit() == 3 and steps.enter(8) == 3
    steps.leave()
    assert blas.count == 3


def test_the_model_catches_the_old_save_and_restore() -> None:
    """The interleaving check above can fail: each step saving the count it found and restoring
    it (the code before ``Steps``) leaves the user's count lowered in some order."""
    def saving(blas: _Blas, cap: int) -> Run:
        found = blas.get()
        if found > cap:
            blas.set(cap)
        yield
        if found > cap:
            blas.set(found)

    lost = []
    for order in _interleavings([2, 2]):
        blas = _Blas(4)
        runs = [saving(blas, 2), saving(blas, 1)]
        for i in order:
            next(runs[i], None)
        lost.append(not _the_users_count_stands(blas, 4))
    assert len(lost) == 6 and any(lost) and not all(lost)


def test_a_step_that_never_entered_cannot_leave() -> None:
    blas = _Blas(2)
    with pytest.raises(RuntimeError, match="never entered"):
        Steps(blas.library(), ctypes.c_int(0)).leave()


def _stat(path: Path, busy_ticks: list[int]) -> None:
    """A /proc/stat with cpu lines for this process's cpus: ``busy_ticks`` of user time each."""
    cpus = sorted(LoadProbe.cpus())
    lines = ["cpu  0 0 0 0 0 0 0 0 0 0"]
    lines += [f"cpu{c} {busy_ticks[i % len(busy_ticks)]} 0 0 1000 0 0 0 0 0 0" for i, c in enumerate(cpus)]
    path.write_text("\n".join(lines) + "\nintr 0\n")


def test_the_load_probe_counts_cores_other_processes_keep_busy(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    _stat(stat, [0])
    probe = LoadProbe(str(stat))
    assert probe.reason == ""
    ncpu = len(LoadProbe.cpus())
    time.sleep(0.2)
    assert probe.free_cores() == ncpu  # nothing else ran
    ticks = int(probe.hz * 0.2) + 1  # one core busy for the whole interval, the rest idle
    _stat(stat, [ticks] + [0] * (ncpu - 1))
    time.sleep(0.2)
    assert probe.free_cores() == max(1, ncpu - 1)
    assert 0.6 < probe.others < 1.5
    missing = LoadProbe(str(tmp_path / "absent"))
    assert missing.reason and "user's limit" in missing.reason


def test_a_busy_machine_caps_the_step_at_the_free_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stat = tmp_path / "stat"
    _stat(stat, [0])
    probe = LoadProbe(str(stat))
    ncpu = len(LoadProbe.cpus())
    _stat(stat, [10 ** 6] * ncpu)  # every core busy with other processes' work
    monkeypatch.setattr(threads, "PROBE_SECONDS", 0.0)
    policy = Policy(probe=probe)
    with user_limit(2):
        with step(policy) as entered:
            assert count() == 1 and entered == 1
        assert count() == 2
    assert "kept busy by other processes" in policy.describe()


def test_only_executables_that_call_the_blas_set_the_count() -> None:
    a = gf.placeholder(gf.float32, ())
    x = gf.placeholder(gf.float32, (None, 8))
    w = gf.Variable(np.ones((8, 4), np.float32))
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(gf.add(a, 1.0), {a: 1.0})
        sess.run(gf.matmul(x, w), {x: np.ones((2, 8), np.float32)})
        exes = [e for _, _, e in sess._cache.values()]
    assert len(exes) == 3
    for e in exes:  # the initializer and the scalar add never touch the BLAS count
        assert (e.blas_threads is not None) == any(n.op is Op.MATMUL for n in e.program.nodes)
    assert sum(e.blas_threads is not None for e in exes) == 1


def _helper_ticks() -> int:
    """CPU ticks of this process's threads other than the main one (OpenBLAS's helpers spin for
    about 0.1 s after each multithreaded call, so any such call shows here)."""
    total = 0
    for tid in os.listdir("/proc/self/task"):
        if int(tid) == os.getpid():
            continue
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _steps(size: tuple[int, int, int], runs: int, policy: Policy, monkeypatch: pytest.MonkeyPatch) -> int:
    """Helper-thread ticks over ``runs`` training steps of three products of ``size`` (m, k, n)."""
    m, k, n = size
    monkeypatch.setattr(threads, "POLICY", policy)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, (None, k))
        w = gf.Variable(np.full((k, n), 0.01, np.float32))
        loss = gf.reduce_sum(gf.matmul(x, w))
        train = gf.train.GradientDescentOptimizer(1e-6).minimize(loss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            feed = {x: np.ones((m, k), np.float32)}
            with user_limit(2):
                sess.run(train, feed)  # compiled and run once
                time.sleep(0.3)  # the helpers' spin after any earlier call is over
                before = _helper_ticks()
                for _ in range(runs):
                    sess.run(train, feed)
                time.sleep(0.3)
                return _helper_ticks() - before


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads' CPU time in /proc")
@two_cores
def test_steps_of_small_products_never_wake_openblas_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    # 128x65x256 (4.3 MFLOP): OpenBLAS alone would split it over two threads
    assert _steps((128, 65, 256), 40, Policy(fixed=2), monkeypatch) <= 1
    # the contrast: 512^3 products use the helper when two threads are allowed ...
    assert _steps((512, 512, 512), 4, Policy(fixed=2), monkeypatch) >= 3
    # ... and not when the step is capped at one (a busy machine)
    assert _steps((512, 512, 512), 4, Policy(fixed=1), monkeypatch) <= 1


def test_openblas_num_threads_in_the_environment_is_respected() -> None:
    code = ("from graphflow.compiler.cpu.gemm_threads import LIBRARY, narrow, widen\n"
            "from graphflow.runtime.threads import POLICY\n"
            "p = POLICY.enter(); inside = LIBRARY.get_threads(); POLICY.leave(p)\n"
            "t = narrow(128, 256, 65); widen(t)\n"
            "print(inside, t, LIBRARY.get_threads())\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", GRAPHFLOW_BLAS_THREADS="4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "0", "1"]


def test_a_bad_graphflow_blas_threads_value_says_what_it_wants() -> None:
    env = dict(os.environ, GRAPHFLOW_BLAS_THREADS="many")
    out = subprocess.run([sys.executable, "-c", "import graphflow.runtime.threads"], env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "GRAPHFLOW_BLAS_THREADS must be a whole number" in out.stderr


def test_the_orders_that_lost_the_users_count_with_openblas_and_compiled_code() -> None:
    """The orders in which saving and restoring the count left it lowered for good, played on
    SciPy's OpenBLAS with the compiled narrow and widen."""
    with user_limit(4):
        a, b = Policy(fixed=2), Policy(fixed=1)  # two load readings, one per step
        ea = a.enter()
        eb = b.enter()
        assert (ea, eb, count()) == (2, 1, 1)
        a.leave(ea)
        assert count() == 1  # b still runs, on its cap
        b.leave(eb)
        assert count() == 4
        # b narrows for a small product, a ends, b widens
        p = Policy(fixed=3)
        ea, eb = p.enter(), p.enter()
        narrowed = narrow(32, 64, 64)
        assert (narrowed, count()) == (1, 1)
        p.leave(ea)
        widen(narrowed)
        assert count() == 3
        p.leave(eb)
        assert count() == 4


class _Swinging(LoadProbe):
    """A load that changes at every reading: 2 free cores, then 1, then 2 ..."""

    def __init__(self) -> None:
        self.reason, self.others, self.readings = "", 0.0, itertools.cycle([2, 1])

    def free_cores(self) -> int:
        return next(self.readings)


def _train_from_two_threads(size: tuple[int, int, int], policy: Policy, user: int, rounds: int, runs: int,
                            monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], int, int]:
    """``rounds`` times: two Python threads run ``runs`` training steps each on one Session (a
    product of ``size``: m, k, n, scaled by a 30000-element sum that keeps each step a while
    without the GIL), the user's count being ``user``. Returns OpenBLAS's count after each round,
    the highest count a step started on, and the most steps seen running at once."""
    m, k, n = size
    monkeypatch.setattr(threads, "POLICY", policy)
    steps_ = threads.STEPS
    assert steps_ is not None
    seen = [0, 0]
    enter = steps_.enter

    def watched(cap: int) -> int:
        entered = enter(cap)
        seen[0], seen[1] = max(seen[0], count()), max(seen[1], steps_.running)
        return entered
    monkeypatch.setattr(steps_, "enter", watched)
    x = gf.placeholder(gf.float32, (None, k))
    s = gf.placeholder(gf.float32, (None,))
    w = gf.Variable(np.full((k, n), 0.01, np.float32))
    loss = gf.reduce_sum(gf.matmul(x, w)) * gf.reduce_mean(gf.tanh(gf.sin(s)))
    train = gf.train.GradientDescentOptimizer(1e-9).minimize(loss)
    feed = {x: np.ones((m, k), np.float32), s: np.ones(30000, np.float32)}
    errors: list[BaseException] = []
    after = []
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(train, feed)  # compiled before the threads start

        def steps(start: threading.Barrier) -> None:
            try:
                start.wait()
                for _ in range(runs):
                    sess.run(train, feed)
            except BaseException as e:  # noqa: B036 (reported by the main thread)
                errors.append(e)

        for _ in range(rounds):
            with user_limit(user):
                start = threading.Barrier(2)
                workers = [threading.Thread(target=steps, args=(start,)) for _ in range(2)]
                for t in workers:
                    t.start()
                for t in workers:
                    t.join()
                assert not errors, errors
                after.append(count())
    return after, seen[0], seen[1]


def test_steps_from_two_threads_leave_the_users_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # small products (narrowed and widened in compiled code), the cap changing at every step (the
    # save-and-restore code before lost the user's count in about 1 round of 20 here)
    monkeypatch.setattr(threads, "PROBE_SECONDS", 0.0)
    after, highest, together = _train_from_two_threads((32, 64, 64), Policy(probe=_Swinging()), 4, 20, 10,
                                                       monkeypatch)
    assert together == 2  # the steps did overlap
    assert after == [4] * 20 and highest <= 2
    # the same under a fixed cap of 3
    after, highest, together = _train_from_two_threads((32, 64, 64), Policy(fixed=3), 4, 20, 10, monkeypatch)
    assert together == 2 and after == [4] * 20 and highest <= 3
    # large products (left at the step's count) under the changing cap
    big = (128, 128, 256)
    assert 2 * big[0] * big[1] * big[2] >= SMALL_GEMM_FLOPS
    after, highest, together = _train_from_two_threads(big, Policy(probe=_Swinging()), 4, 5, 4, monkeypatch)
    assert together == 2 and after == [4] * 5 and highest <= 2
