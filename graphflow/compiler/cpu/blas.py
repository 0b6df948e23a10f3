"""GEMM with BLAS's alpha and beta: ``c = alpha op(a) op(b) + beta c`` in place, on the BLAS
``gemm_threads.LIBRARY`` names: every product compiled code makes (matmul kernels, the
convolutions' im2col products, the glue's split GEMMs) goes through :func:`gemm_block`.

``np.dot`` cannot accumulate into its output, so an SGD update ``w - lr * (x^T @ g)`` would write
the product to a buffer and read it back in a second loop. :func:`gemm` lets the glue fold that
update into the product (``cpu/assign_plans.gemm_updates``): alpha ``-lr``, beta 1, the variable's
buffer as ``c``. :func:`product` is the plain ``c = op(a) @ op(b)`` matmul kernels call.

The library is NumPy's own OpenBLAS where its CBLAS entries are reachable (called row-major,
with its integer width), else SciPy's ``cython_blas`` ``sgemm``/``dgemm`` (the routines numba's
``np.dot`` uses; Fortran interface, column-major: ``C = op(A) op(B)`` is computed as
``C^T = op(B)^T op(A)^T`` on the same memory). Either way every GEMM runs on one BLAS under one
thread policy (``gemm_threads``: one thread below its size threshold, the running steps' count
above it). They are reached through named symbols registered with LLVM at import (as numba's own
helpers are), not ctypes pointers, so code calling them can be cached on disk; which of the two
it calls is part of the cache key (``LIBRARY.abi``). Arrays are row-major 2-D and C-contiguous.
"""
from __future__ import annotations

import ctypes
from typing import Any

import llvmlite.binding as llvm
import numba
import numpy as np
import scipy.linalg.cython_blas as _cython_blas
from numba import types

from graphflow.compiler.cpu.gemm_threads import LIBRARY, narrow, widen


def _address(name: str) -> int:
    """The address of SciPy's ``cython_blas`` routine ``name`` (Fortran interface: every argument
    by pointer)."""
    capsule = _cython_blas.__pyx_capi__[name]  # type: ignore[attr-defined]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


_SIG = types.void(*([types.uintp] * 13))  # pointers passed as integers: the same registers
for _name in ("sgemm", "dgemm"):
    llvm.add_symbol(f"graphflow_{_name}", _address(_name))
_sgemm = types.ExternalFunction("graphflow_sgemm", _SIG)
_dgemm = types.ExternalFunction("graphflow_dgemm", _SIG)

# CBLAS: cblas_?gemm(order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), the
# enums C ints, the rest BLAS integers (64-bit in an ILP64 build) and values; symbols per ABI
_INT = np.int64 if LIBRARY.ilp64 else np.int32
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _cblas_sig(real: types.Type) -> Any:
    i = types.int64 if LIBRARY.ilp64 else types.int32
    return types.void(types.int32, types.int32, types.int32, i, i, i, real, types.uintp, i, types.uintp, i,
                      real, types.uintp, i)


if LIBRARY.cblas[0]:
    llvm.add_symbol(f"graphflow_cblas_sgemm_{LIBRARY.abi}", LIBRARY.cblas[0])
    llvm.add_symbol(f"graphflow_cblas_dgemm_{LIBRARY.abi}", LIBRARY.cblas[1])
_cblas_sgemm = types.ExternalFunction(f"graphflow_cblas_sgemm_{LIBRARY.abi}", _cblas_sig(types.float32))
_cblas_dgemm = types.ExternalFunction(f"graphflow_cblas_dgemm_{LIBRARY.abi}", _cblas_sig(types.float64))


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _operands(a, ta, b, tb, c):  # type: ignore[no-untyped-def]
    """``a`` and ``b`` C-contiguous (copied where they are not) and the product's ``m, n, k``,
    after checking that the shapes agree and that ``c``, written in place, is C-contiguous."""
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    if not c.flags.c_contiguous:
        raise ValueError("gemm: the result is not C-contiguous")
    m, n = c.shape
    k = a.shape[0] if ta else a.shape[1]
    if (a.shape[1] if ta else a.shape[0]) != m or (b.shape[0] if tb else b.shape[1]) != n or \
            (b.shape[1] if tb else b.shape[0]) != k:
        raise ValueError("gemm: operand shapes do not agree")
    return a, b, m, n, k


@numba.njit(cache=True, error_model="numpy", nogil=True)
def gemm(a, ta, b, tb, c, alpha, beta):  # type: ignore[no-untyped-def]
    """``c = alpha * op(a) @ op(b) + beta * c`` in place (``op`` transposes where ``ta``/``tb``),
    for 2-D float32 or float64 arrays of one dtype (``a`` and ``b`` copied where they are not
    C-contiguous; ``c``, updated in place, must be), small products on one BLAS thread."""
    a, b, m, n, k = _operands(a, ta, b, tb, c)
    threads = narrow(m, n, k)
    gemm_block(a, ta, b, tb, c, 0, m, 0, n, alpha, beta)
    widen(threads)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def product(a, ta, b, tb, c):  # type: ignore[no-untyped-def]
    """``c = op(a) @ op(b)``, as :func:`gemm`, on whatever thread count OpenBLAS has: what a
    batched matmul kernel calls per batch element (it narrows the count once around its loop) and
    the jitted im2col convolutions per chunk."""
    a, b, m, n, _ = _operands(a, ta, b, tb, c)
    gemm_block(a, ta, b, tb, c, 0, m, 0, n, 1.0, 0.0)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _addresses(a, ta, b, tb, c, r0, c0):  # type: ignore[no-untyped-def]
    """Where the block at row ``r0``, column ``c0`` of ``c`` starts in ``op(a)`` (its rows),
    ``op(b)`` (its columns) and ``c``: nothing is copied, BLAS's leading dimensions do the rest."""
    w = c.itemsize
    return (a.ctypes.data + (r0 if ta else r0 * a.shape[1]) * w, b.ctypes.data + (c0 * b.shape[1] if tb else c0) * w,
            c.ctypes.data + (r0 * c.shape[1] + c0) * w)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _block_fortran(a, ta, b, tb, c, r0, r1, c0, c1, alpha, beta):  # type: ignore[no-untyped-def]
    """:func:`gemm_block` on SciPy's ``cython_blas`` (Fortran interface, every argument by pointer;
    column-major, so the first operand is B^T)."""
    if r1 <= r0 or c1 <= c0:
        return
    ints = np.empty(8, dtype=np.int32)
    ints[0] = 84 if tb else 78  # "T" or "N"
    ints[1] = 84 if ta else 78
    ints[2], ints[3], ints[4] = c1 - c0, r1 - r0, a.shape[0] if ta else a.shape[1]  # k == 0: C = beta C
    ints[5], ints[6], ints[7] = max(b.shape[1], 1), max(a.shape[1], 1), c.shape[1]
    scale = np.empty(2, dtype=c.dtype)
    scale[0], scale[1] = alpha, beta
    p = ints.ctypes.data
    s = scale.ctypes.data
    pa, pb, pc = _addresses(a, ta, b, tb, c, r0, c0)
    if c.itemsize == 4:
        _sgemm(p, p + 4, p + 8, p + 12, p + 16, s, pb, p + 20, pa, p + 24, s + 4, pc, p + 28)
    else:
        _dgemm(p, p + 4, p + 8, p + 12, p + 16, s, pb, p + 20, pa, p + 24, s + 8, pc, p + 28)


@numba.njit(cache=True, error_model="numpy", nogil=True)
def _block_cblas(a, ta, b, tb, c, r0, r1, c0, c1, alpha, beta):  # type: ignore[no-untyped-def]
    """:func:`gemm_block` on the library's CBLAS entry, row-major (nothing swapped)."""
    if r1 <= r0 or c1 <= c0:
        return
    pa, pb, pc = _addresses(a, ta, b, tb, c, r0, c0)
    t_a = np.int32(_TRANS if ta else _NO_TRANS)
    t_b = np.int32(_TRANS if tb else _NO_TRANS)
    m, n, k = _INT(r1 - r0), _INT(c1 - c0), _INT(a.shape[0] if ta else a.shape[1])  # k == 0: C = beta C
    lda, ldb, ldc = _INT(max(a.shape[1], 1)), _INT(max(b.shape[1], 1)), _INT(max(c.shape[1], 1))
    if c.itemsize == 4:
        _cblas_sgemm(np.int32(_ROW_MAJOR), t_a, t_b, m, n, k, np.float32(alpha), pa, lda, pb, ldb,
                     np.float32(beta), pc, ldc)
    else:
        _cblas_dgemm(np.int32(_ROW_MAJOR), t_a, t_b, m, n, k, np.float64(alpha), pa, lda, pb, ldb,
                     np.float64(beta), pc, ldc)


# Rows ``r0:r1`` and columns ``c0:c1`` of :func:`gemm`'s ``c``, in place (the operands' and
# result's blocks addressed through BLAS's leading dimensions: nothing is copied), on whatever
# thread count OpenBLAS has: the caller (``gemm_calls.gemm``, which splits a product between
# threads) has set it to one, or :func:`gemm` narrows it. Shapes are the caller's to check.
gemm_block = _block_cblas if LIBRARY.cblas[0] else _block_fortran
