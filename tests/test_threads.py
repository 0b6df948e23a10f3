"""The BLAS thread policy: SciPy's OpenBLAS found and its count set and restored, the user's limit
never raised, small products on one thread inside compiled code, larger ones on the cores other
processes leave idle (compiler/gemm_threads.py, runtime/threads.py). The suite pins OpenBLAS to
one thread (tests/conftest.py); tests that need two play the user and raise it themselves."""
from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.linalg.cython_blas

import graphflow as gf
from graphflow.compiler import gemm_threads
from graphflow.compiler.gemm_threads import LIBRARY, SMALL_GEMM_FLOPS, find_openblas, narrow, widen
from graphflow.registry import Op
from graphflow.runtime import threads
from graphflow.runtime.threads import LoadProbe, Policy

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


def test_the_library_is_scipys_openblas_not_numpys() -> None:
    assert LIBRARY.get_threads is not None and LIBRARY.set_threads is not None
    assert "OpenBLAS" in LIBRARY.config and os.path.exists(LIBRARY.path)
    core = sys.modules.get("numpy._core._multiarray_umath") or sys.modules["numpy.core._multiarray_umath"]
    numpys = find_openblas(core.__file__ or "")  # NumPy's own OpenBLAS, the pool compiled code must not set
    with user_limit(2):
        assert count() == 2
        if numpys.controllable and numpys.path != LIBRARY.path:  # two pools: setting one leaves the other
            assert numpys.get_threads is not None and numpys.set_threads is not None
            before = numpys.get_threads()
            numpys.set_threads(1)
            try:
                assert count() == 2
            finally:
                numpys.set_threads(before)
    # the one cython_blas resolves: its sgemm and the thread calls come from the same file
    assert find_openblas(scipy.linalg.cython_blas.__file__).path == LIBRARY.path


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
    # compiled code then calls stand-ins that report one thread (in a process of its own: the
    # symbols are process-wide)
    code = ("import numba\n"
            "from graphflow.compiler import gemm_threads as g\n"
            f"g._register(g.find_openblas({libm!r}))\n"
            "@numba.njit\n"
            "def f():\n"
            "    return g.get_threads(), g.narrow(128, 256, 65)\n"
            "print(*f(), g.LIBRARY.get_threads())\n")
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, OPENBLAS_NUM_THREADS="2"),
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "0", "2"]


@numba.njit
def _count_inside_narrow(m, n, k):  # type: ignore[no-untyped-def]
    previous = narrow(m, n, k)
    inside = gemm_threads.get_threads()
    widen(previous)
    return previous, inside, gemm_threads.get_threads()


def test_compiled_code_runs_small_products_on_one_thread_and_restores_the_count() -> None:
    with user_limit(2):
        assert _count_inside_narrow(128, 256, 65) == (2, 1, 2)  # 4.3 MFLOP: one thread
        big = int(SMALL_GEMM_FLOPS ** (1 / 3)) + 8
        assert _count_inside_narrow(big, big, big) == (0, 2, 2)  # left at the user's count
    with user_limit(1):
        assert _count_inside_narrow(128, 256, 65) == (0, 1, 1)  # nothing to lower


def test_the_step_cap_never_raises_the_users_limit_and_is_restored() -> None:
    with user_limit(2):
        wide = Policy(fixed=4)
        assert wide.enter() == 0 and count() == 2
        narrow_ = Policy(fixed=1)
        previous = narrow_.enter()
        assert (previous, count()) == (2, 1)
        narrow_.leave(previous)
        assert count() == 2
    with user_limit(1):
        assert Policy(fixed=2).enter() == 0 and count() == 1


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
        previous = policy.enter()
        assert count() == 1 and previous == 2
        policy.leave(previous)
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
    code = ("from graphflow.compiler.gemm_threads import LIBRARY, narrow, widen\n"
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
