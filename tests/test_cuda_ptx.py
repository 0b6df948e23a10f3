"""Every fixed CUDA kernel (the templates of compiler/cuda/templates.py, cuda_index_kernels.py
and cuda_linalg.py) compiles to PTX for sm_90 and sm_80 with numba-cuda's NVVM, no GPU needed,
with the argument types the runtime launches it with; a kernel added without an entry here fails
``test_every_kernel_has_a_signature``. (The generated kernels, fused loops and reductions, are
compiled in test_cuda_kernels.py; what each kernel computes is checked through the op tests on
the simulator, GRAPHFLOW_TEST_CUDA=1.)"""
from __future__ import annotations

from typing import Any

import pytest

from graphflow.compiler.cuda import index_kernels as K
from graphflow.compiler.cuda import linalg as LA
from graphflow.compiler.cuda import templates as T

I, B, I8 = ("int64", -1), ("bool", -1), ("int64", 1)


def _signatures(dt: str) -> dict[str, tuple[str, list[tuple[str, int]]]]:
    """name -> (source for ``dt``, argument types as (dtype, ndim; -1 a scalar))."""
    a1, s = (dt, 1), (dt, -1)
    f64 = ("float64", 1)
    acc = "float32" if dt == "float16" else dt  # atomic adds of float16 results go into float32
    return {
        "SUM_TO": (T.sum_to_source(dt), [(dt, 4), a1] + [I] * 4),
        "ASSIGN": (T.ASSIGN, [a1, a1, I]),
        **{name: (T.source(getattr(T, name), dt), [(dt, 4)] * 3 + [I] * 6)
           for name in ("CONV2D", "CONV2D_BACKPROP_INPUT", "CONV2D_BACKPROP_FILTER")},
        "MAX_POOL_GRAD": (T.source(T.MAX_POOL_GRAD, dt), [(dt, 4), (dt, 4), (acc, 4)] + [I] * 6 + [B]),
        "POOL": (T.source(T.POOL, dt), [(dt, 4), (dt, 4)] + [I] * 6 + [B]),
        "AVG_POOL_GRAD": (T.source(T.AVG_POOL_GRAD, dt), [(dt, 4), (dt, 4)] + [I] * 6),
        "XENT": (T.source(T.XENT, dt), [(dt, 2), (dt, 2), a1]),
        "XENT_GRAD": (T.source(T.XENT_GRAD, dt), [a1, (dt, 2), (dt, 2), (dt, 2)]),
        "CHECK": (T.CHECK, [a1, I8, I, I, I]),
        "GATHER_MAP": (T.GATHER_MAP, [a1, I8, a1, s]),
        "SCATTER_MAP": (T.SCATTER_MAP, [a1, I8, a1]),
        "FILL": (T.FILL, [a1, s]),
        "COPY": (T.COPY, [a1, f64]),
        "GATHER": (T.GATHER, [a1, ("int32", 1), a1, I, I, I8]),
        "ONE_HOT": (T.ONE_HOT, [("int32", 1), a1, I, I, ("float64", -1), ("float64", -1)]),
        "ARG": (K.ARG, [a1, I8, I, I, B]),
        "CUMPROD": (K.CUMPROD, [a1, a1, I, I, B, B]),
        "TOP_K": (K.TOP_K, [a1, ("int32", 1), I, I]),
        "UNIQUE_FIRST": (K.UNIQUE_FIRST, [a1, I8, ("int8", 1)]),
        "UNIQUE_WRITE": (K.UNIQUE_WRITE, [a1, I8, I8, a1, ("int32", 1)]),
        "SCAN": (K.SCAN, [("bool", 1), I8, I8]),
        "MASK_GATHER": (K.MASK_GATHER, [a1, ("bool", 1), I8, a1, I]),
        "MASK_SCATTER": (K.MASK_SCATTER, [a1, ("bool", 1), I8, a1, I]),
        "GATHER_ND": (K.GATHER_ND, [a1, ("int32", 1), I8, a1, I, I8]),
        "SCATTER_ADD": (K.SCATTER_ADD, [a1, ("int32", 1), (acc, 1), I, I, I8]),
        "SCATTER_ND_ADD": (K.SCATTER_ND_ADD, [a1, ("int32", 1), I8, (acc, 1), I, I8]),
        "SUM_TO_ND": (K.sum_to_nd_source(dt), [a1, a1, I8, ("int8", 1), I]),
        "BATCH_MATMUL": (LA.batch_matmul_source(dt), [a1, a1, a1, I8, I8, I, I, I, B, B]),
        "LU": (LA.LU, [f64, f64, a1, f64, I, I, I8, B]),
        "CHOLESKY": (LA.CHOLESKY, [a1, a1, I, I8]),
    }


def _kernel_names() -> set[str]:
    """Every module-level kernel source of the three template modules (aliases counted once)."""
    names = set()
    for mod in (T, K, LA):
        seen: dict[int, str] = {}
        for name, value in vars(mod).items():
            if isinstance(value, str) and "def kernel(" in value and id(value) not in seen:
                seen[id(value)] = name
        names |= set(seen.values())
    return names


def test_every_kernel_has_a_signature() -> None:
    missing = _kernel_names() - set(_signatures("float32"))
    assert not missing, f"kernels without a PTX test: {sorted(missing)}"


@pytest.mark.needs("ptx")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_every_kernel_compiles_to_ptx(dtype: str) -> None:
    from graphflow.compiler.cuda import loops as cuda
    failures: list[Any] = []
    for name, (src, types) in sorted(_signatures(dtype).items()):
        for cc in ((9, 0), (8, 0)):
            try:
                ptx = cuda.compile_ptx(src, types, cc)
            except Exception as e:  # noqa: BLE001 - collect every kernel's failure, then report
                failures.append((name, cc, f"{type(e).__name__}: {str(e)[:300]}"))
                continue
            if f".target sm_{cc[0]}{cc[1]}" not in ptx or ".entry" not in ptx:
                failures.append((name, cc, "no sm target / entry in the PTX"))
    assert not failures, failures
