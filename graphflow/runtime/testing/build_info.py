"""What this build of graphflow and this machine can run, as TF1's ``tf.test`` asks it: the CUDA
target and a GPU (``platform/cuda.py`` answers), XLA and ROCm (never), LLVM's CPU backends."""
from __future__ import annotations

from collections.abc import Sequence

import llvmlite.binding as llvm

from graphflow.platform import cuda as cuda_platform


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability: Sequence[int] | None = None) -> bool:
    """Whether sessions can run on the CUDA target (a GPU of at least ``min_cuda_compute_capability``,
    or Numba's simulator)."""
    if not cuda_platform.capability("kernels").ok:
        return False
    if min_cuda_compute_capability is None:
        return True
    cc = getattr(cuda_platform.require("kernels").get_current_device(), "compute_capability", (0, 0))
    return tuple(cc) >= tuple(min_cuda_compute_capability)


def is_built_with_cuda() -> bool:
    """Whether the CUDA target is installed (the ``cuda`` extra: numba-cuda)."""
    return cuda_platform.capability("numba-cuda").ok


def is_built_with_gpu_support() -> bool:
    return is_built_with_cuda()


def gpu_device_name() -> str:
    """"/device:GPU:0" when sessions can run on the CUDA target, else ""."""
    return "/device:GPU:0" if is_gpu_available() else ""

def is_built_with_xla() -> bool:
    """False: graphflow compiles graphs itself (through LLVM), not with XLA."""
    return False


def is_built_with_rocm() -> bool:
    """False: graphflow's GPU target is CUDA."""
    return False


def is_cpu_target_available(target: str) -> bool:
    """Whether the LLVM that compiles graphflow's CPU code (llvmlite's) has a backend for
    ``target`` ("x86", "aarch64", ...), as TF asks its own LLVM."""
    llvm.initialize_all_targets()
    try:
        llvm.Target.from_triple({"x86": "x86_64"}.get(target.lower(), target.lower()))
    except RuntimeError:
        return False
    return True
