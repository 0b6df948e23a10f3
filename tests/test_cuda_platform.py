"""What a process can do with CUDA (``graphflow.platform.cuda``), asked for the real capability,
and the one-line errors of ``Session(device="cuda")``, ``graphflow ptx`` and ``compile_ptx`` on a
machine without numba-cuda. The missing-package tests run in a child process in which numba-cuda,
where it is installed, is hidden (its redirect of ``numba.cuda`` then fails, leaving numba's
built-in target, as on a machine that never installed it), so they run in every CI pass."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

from graphflow.platform import cuda as cuda_platform

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDE_NUMBA_CUDA = "import sys\nsys.modules['numba_cuda'] = None\n"
WHAT_TO_INSTALL = re.compile(r"pip install (--force-reinstall )?'numba-cuda\[cu13\]'")


def _without_numba_cuda(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    return subprocess.run([sys.executable, "-c", HIDE_NUMBA_CUDA + textwrap.dedent(script), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def _installed() -> bool:
    try:
        metadata.version("numba-cuda")
        return True
    except metadata.PackageNotFoundError:
        return False


def test_the_cuda_session_says_in_one_line_what_to_install() -> None:
    r = _without_numba_cuda("""
        import graphflow as gf
        try:
            gf.Session(device="cuda")
        except gf.errors.UnimplementedError as e:
            print(e)
        else:
            raise SystemExit("Session(device='cuda') ran without numba-cuda")
        """)
    assert r.returncode == 0, r.stderr[-2000:]
    (line,) = r.stdout.splitlines()
    assert line.startswith("device 'cuda' is not available: ") and WHAT_TO_INSTALL.search(line), line


def test_graphflow_ptx_says_in_one_line_what_to_install(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "launches.json").write_text(json.dumps([]))  # a dump folder, as the simulator writes one
    r = _without_numba_cuda("""
        import sys
        from graphflow.runtime.cli import main
        raise SystemExit(main(["ptx", sys.argv[1]]))
        """, str(tmp_path))
    assert r.returncode == 2, (r.stdout, r.stderr[-2000:])
    (line,) = [s for s in r.stderr.splitlines() if s.strip() and "warn" not in s.lower()]
    assert line.startswith("graphflow ptx: error: cannot compile PTX here: ") and WHAT_TO_INSTALL.search(line), line


def test_compile_ptx_says_in_one_line_what_to_install() -> None:
    r = _without_numba_cuda("""
        import graphflow as gf
        from graphflow.compiler.cuda import loops as cuda, templates as cuda_templates
        try:
            cuda.compile_ptx(cuda_templates.FILL, [("float32", 1), ("float32", -1)])
        except gf.errors.UnimplementedError as e:
            print(e)
        """)
    assert r.returncode == 0, r.stderr[-2000:]
    (line,) = r.stdout.splitlines()
    assert WHAT_TO_INSTALL.search(line), line


def test_capabilities_follow_from_one_another() -> None:
    """PTX, kernels and a GPU each need numba-cuda; a GPU is kernels without the simulator."""
    base = cuda_platform.capability("numba-cuda")
    assert not base.ok or _installed()  # the distribution is required, never a module name alone
    for need in ("kernels", "gpu", "ptx"):
        c = cuda_platform.capability(need)
        assert c.ok or c.why and "\n" not in c.why, (need, c)
        if not base.ok:
            assert c == base, need  # the same one-line fix: install numba-cuda
    if cuda_platform.capability("gpu").ok:
        assert cuda_platform.capability("kernels").ok and not cuda_platform.simulating()
    if cuda_platform.simulating():
        assert not cuda_platform.capability("ptx").ok and "NUMBA_ENABLE_CUDASIM" in cuda_platform.capability("ptx").why
    with pytest.raises(ValueError, match="unknown CUDA capability 'tpu'"):
        cuda_platform.capability("tpu")  # type: ignore[arg-type]


def test_numba_cuda_missing_is_said_the_same_way_everywhere() -> None:
    """Where numba-cuda is absent, tf.test and device_lib agree with the session: no GPU, no build."""
    import graphflow as gf
    from graphflow.python.client import device_lib
    ok = cuda_platform.capability("kernels").ok
    assert gf.test.is_gpu_available() == ok and (gf.test.gpu_device_name() == "/device:GPU:0") == ok
    assert [d.device_type for d in device_lib.list_local_devices()] == ["CPU"] + (["GPU"] if ok else [])
    assert gf.test.is_built_with_cuda() == cuda_platform.capability("numba-cuda").ok
    if not ok:
        with pytest.raises(gf.errors.UnimplementedError, match="device 'cuda' is not available: .+"):
            gf.Session(device="cuda")
