"""cuBLAS for the CUDA target's float32 / float64 matmuls, through CuPy when it is installed
(``pip install "graphflow[cublas]"``) and a GPU is present; otherwise, and for integer matmuls,
the tiled shared-memory kernel (``compiler/cuda/linalg.BATCH_MATMUL``).

CuPy reads numba's device arrays in place (``__cuda_array_interface__``) and both launch on the
legacy default stream, so the GEMM is ordered with the kernels around it without a
synchronisation. ``GRAPHFLOW_CUBLAS=0`` turns it off (the benchmarks measure both).
"""
from __future__ import annotations

import math
import os
from typing import Any

from graphflow.platform.cuda import capability

_STATE: dict[str, Any] = {}


def cupy() -> Any:
    """The CuPy module when cuBLAS can serve matmuls in this process, else None."""
    if os.environ.get("GRAPHFLOW_CUBLAS", "1") == "0" or not capability("gpu").ok:
        return None
    if "cupy" not in _STATE:
        try:
            import cupy as cp
            cp.cuda.runtime.getDeviceCount()
            _STATE["cupy"] = cp
        except Exception:  # noqa: BLE001 - not installed, or no GPU / driver for it
            _STATE["cupy"] = None
    return _STATE["cupy"]


def matmul(a: Any, b: Any, out: Any, transpose_a: bool, transpose_b: bool) -> bool:
    """out = op(a) @ op(b) by cuBLAS (batch dims broadcast); False where it cannot serve."""
    cp = cupy()
    if cp is None or out.array.dtype.name not in ("float32", "float64") or 0 in out.shape:
        return False
    x = cp.asarray(a.array)[:max(1, math.prod(a.shape))].reshape(a.shape)
    y = cp.asarray(b.array)[:max(1, math.prod(b.shape))].reshape(b.shape)
    if transpose_a:
        x = x.swapaxes(-1, -2)
    if transpose_b:
        y = y.swapaxes(-1, -2)
    cp.matmul(x, y, out=cp.asarray(out.array).reshape(out.shape))
    return True

