"""Whether this process can run CUDA kernels: the one check the session, ``tf.test`` and
``device_lib`` share."""
from __future__ import annotations


def cuda_available() -> tuple[bool, str]:
    """(True, "") with a GPU or Numba's simulator (``NUMBA_ENABLE_CUDASIM=1``), else (False, why)."""
    try:
        from numba import cuda
    except ImportError:
        return False, "numba-cuda is not installed (pip install 'numba-cuda[cu13]')"
    try:
        if cuda.is_available():
            return True, ""
    except Exception as e:  # noqa: BLE001 - a missing driver raises here
        return False, f"no CUDA driver ({type(e).__name__})"
    return False, "no CUDA GPU found; NUMBA_ENABLE_CUDASIM=1 runs the kernels in Numba's simulator"
