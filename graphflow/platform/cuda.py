"""What this process can do with CUDA: the one check that the session, the CUDA compiler, the
``graphflow ptx`` command, ``tf.test``, ``device_lib`` and the test suite all ask.

Each answer comes from the real capability, not from a module name: ``numba.cuda`` also exists
in numba's own (deprecated, built-in) CUDA target, which imports without numba-cuda and then
fails at the first compile with a raw driver error. So the checks ask for the numba-cuda
distribution, for ``numba.cuda`` being its implementation, and, for PTX, that NVVM compiles a
one-line kernel. A missing piece is one line saying what to install or set.

    >>> from graphflow.platform import cuda
    >>> cuda.capability("ptx").ok in (True, False)
    True
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

from graphflow.core.errors import UnimplementedError

if TYPE_CHECKING:
    import numpy as np

Need = Literal["numba-cuda", "kernels", "gpu", "ptx"]
INSTALL = "pip install 'numba-cuda[cu13]'"
REINSTALL = "pip install --force-reinstall 'numba-cuda[cu13]'"


@dataclass(frozen=True)
class Capability:
    """Whether a capability is there; ``why`` is one line naming what is missing and the fix."""
    ok: bool
    why: str = ""


def capability(need: Need = "kernels") -> Capability:
    """Whether this process can ``need``, computed once per process: ``"numba-cuda"`` (the CUDA
    target's package), ``"kernels"`` (run kernels: a GPU with its driver, or Numba's simulator),
    ``"gpu"`` (a real GPU, not the simulator), ``"ptx"`` (compile PTX with NVVM; no GPU needed)."""
    if need not in _CHECKS:
        raise ValueError(f"unknown CUDA capability {need!r}: expected one of {sorted(_CHECKS)}")
    return _CHECKS[need]()


def require(need: Need = "kernels") -> Any:
    """``numba.cuda`` when this process can ``need``; else ``UnimplementedError`` with the one-line fix."""
    c = capability(need)
    if not c.ok:
        raise UnimplementedError(None, None, c.why)
    from numba import cuda
    return cuda


def simulating() -> bool:
    """Whether ``numba.cuda`` is Numba's CUDA simulator in this process (``NUMBA_ENABLE_CUDASIM``)."""
    from numba import config
    return bool(getattr(config, "ENABLE_CUDASIM", False))


@functools.cache
def _numba_cuda() -> Capability:
    try:
        version = metadata.version("numba-cuda")
    except metadata.PackageNotFoundError:
        return Capability(False, f"the CUDA target needs numba-cuda, which is not installed: {INSTALL}")
    try:
        from numba import cuda
    except Exception as e:  # noqa: BLE001 - a broken install can fail in many ways
        return Capability(False, f"numba-cuda {version} is installed but numba.cuda does not import "
                                 f"({type(e).__name__}: {_first_line(e)}): {REINSTALL}")
    if getattr(cuda, "implementation", "") != "NVIDIA":
        return Capability(False, f"numba.cuda is numba's built-in CUDA target, not numba-cuda {version} "
                                 f"(numba-cuda's redirect did not take effect): reinstall it, {REINSTALL}")
    return Capability(True)


@functools.cache
def _no_device() -> str:
    """Why numba-cuda (installed, not simulating) sees no GPU; "" when it sees one."""
    from numba import cuda
    try:
        return "" if cuda.is_available() else "no CUDA GPU or driver was found"
    except Exception as e:  # noqa: BLE001 - a missing or broken driver raises here
        return f"the CUDA driver failed ({type(e).__name__}: {_first_line(e)})"


@functools.cache
def _kernels() -> Capability:
    base = _numba_cuda()
    if not base.ok or simulating() or not _no_device():
        return base
    return Capability(False, f"{_no_device()}; NUMBA_ENABLE_CUDASIM=1 runs the kernels in Numba's simulator")


@functools.cache
def _gpu() -> Capability:
    base = _numba_cuda()
    if not base.ok:
        return base
    if simulating():
        return Capability(False, "a real GPU is needed, and NUMBA_ENABLE_CUDASIM=1 makes numba.cuda the simulator")
    return Capability(False, f"a real GPU is needed: {_no_device()}") if _no_device() else base


@functools.cache
def _ptx() -> Capability:
    base = _numba_cuda()
    if not base.ok:
        return base
    if simulating():
        return Capability(False, "PTX needs numba-cuda's NVVM, which Numba's simulator replaces: "
                                 "unset NUMBA_ENABLE_CUDASIM")
    from numba import cuda

    def one_line(a: np.ndarray) -> None:
        a[0] = 1.0

    try:
        ptx, _ = cuda.compile_ptx(one_line, "void(float32[::1])", cc=(9, 0))
    except Exception as e:  # noqa: BLE001 - NVVM missing, or a toolkit that cannot load
        return Capability(False, f"NVVM cannot compile a kernel ({type(e).__name__}: {_first_line(e)}): "
                                 f"{INSTALL} brings it")
    if ".target sm_90" not in ptx:
        return Capability(False, f"NVVM produced no sm_90 PTX for a one-line kernel: {INSTALL}")
    return Capability(True)


def _first_line(e: BaseException) -> str:
    lines = [s.strip() for s in str(e).splitlines() if s.strip()]
    return (lines[0] if lines else "")[:160]


_CHECKS = {"numba-cuda": _numba_cuda, "kernels": _kernels, "gpu": _gpu, "ptx": _ptx}
