"""The thread count of the BLAS compiled GEMMs run on, and the rule compiled code applies per GEMM.

Compiled code multiplies matrices on SciPy's BLAS (numba's ``np.dot`` and ``blas.gemm`` both call
``scipy.linalg.cython_blas``). Where that is OpenBLAS built with its own pthreads pool, a
multithreaded call splits the product in equal parts and waits, spinning, for every part, and the
helper threads spin on after it; a helper that other processes keep off its core makes the caller
wait (measured on a 2-core machine whose other core ran a test suite: a 35 us product took
milliseconds). Small products gain nothing measurable from a second thread even on an idle
machine, so compiled code runs every GEMM below ``SMALL_GEMM_FLOPS`` on one thread: ``narrow`` before the call lowers
OpenBLAS's count to one and returns the count to put back, ``widen`` after it puts it back. Both
are a read or a write of one integer inside OpenBLAS (``openblas_set_num_threads`` below the
pool's size only stores the count), so the pair costs nanoseconds. How many threads larger
products get is the runtime's policy (``runtime/threads.py``), which lowers the same count for a
whole step; nothing here ever raises it.

The library is the one ``cython_blas`` links: the thread calls are looked up through its module
file's handle, whose symbol search covers the libraries it depends on, so NumPy's separate
OpenBLAS is never the one found. The calls reach compiled code as named symbols registered with
LLVM at import, as ``blas.gemm`` reaches ``sgemm``, so cached kernels stay valid across processes.
Where the BLAS is not OpenBLAS (MKL, Accelerate, a reference BLAS) or hides its thread calls,
``LIBRARY.reason`` says so and the symbols are stand-ins that report one thread: compiled code
then never changes anything.
"""
from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import llvmlite.binding as llvm
import numba
import scipy.linalg.cython_blas as _cython_blas
from numba import types

# Measured by tools/bench_gemm_threads.py on this project's 2-core AVX-512 machine, idle: a second
# OpenBLAS thread made float32 products of 1-4.3 MFLOP (128x65x256, an RNN cell's gates) 0.97-0.98x
# as long, of 6.3 MFLOP 0.84x, of 10 MFLOP (64x156x512) 0.7x, of 200 MFLOP and more 0.5x
SMALL_GEMM_FLOPS = 5e6

# Spellings of OpenBLAS's thread calls: SciPy's and NumPy's wheels prefix theirs with "scipy_",
# 64-bit-integer builds add a suffix (the same list threadpoolctl searches)
_PREFIXES = ("scipy_", "")
_SUFFIXES = ("", "64_", "_64")


@dataclass(frozen=True)
class BlasLibrary:
    """The BLAS behind ``cython_blas``: its file, OpenBLAS's build string, and its thread-count
    calls, or ``reason`` (not empty) why the count cannot be changed."""

    path: str
    config: str
    get_threads: Callable[[], int] | None
    set_threads: Callable[[int], None] | None
    reason: str
    addresses: tuple[int, int] = (0, 0)  # of the get and set calls, for compiled code

    @property
    def controllable(self) -> bool:
        return not self.reason


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _file_of(address: int) -> str:
    """The shared object that holds ``address`` (dladdr), or "" where that cannot be asked."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return ""
    info = _DlInfo()
    if not dladdr(ctypes.c_void_p(address), ctypes.byref(info)) or not info.dli_fname:
        return ""
    return os.path.realpath(os.fsdecode(info.dli_fname))


def find_openblas(module_file: str) -> BlasLibrary:
    """OpenBLAS's thread calls as the shared object ``module_file`` (a module linked against a
    BLAS, e.g. ``scipy.linalg.cython_blas``) resolves them.

    >>> import scipy.linalg.cython_blas
    >>> find_openblas(scipy.linalg.cython_blas.__file__).reason  # SciPy's wheels bundle OpenBLAS
    ''
    """
    try:
        lib = ctypes.CDLL(module_file)
    except OSError as e:
        return BlasLibrary(module_file, "", None, None, f"cannot open {module_file}: {e}")
    for prefix in _PREFIXES:
        for suffix in _SUFFIXES:
            try:
                get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}")
                set_ = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}")
            except AttributeError:
                continue
            get.restype, get.argtypes = ctypes.c_int, []
            set_.restype, set_.argtypes = None, [ctypes.c_int]
            config = ""
            try:
                cfg = getattr(lib, f"{prefix}openblas_get_config{suffix}")
                cfg.restype, cfg.argtypes = ctypes.c_char_p, []
                config = (cfg() or b"").decode(errors="replace")
            except AttributeError:
                pass
            addresses = (int(ctypes.cast(get, ctypes.c_void_p).value or 0),
                         int(ctypes.cast(set_, ctypes.c_void_p).value or 0))
            return BlasLibrary(_file_of(addresses[0]) or module_file, config, get, set_, "", addresses)
    return BlasLibrary(module_file, "", None, None,
                       f"the BLAS {os.path.basename(module_file)} links is not OpenBLAS (no "
                       "openblas_set_num_threads among its libraries): its own threading applies")


LIBRARY = find_openblas(_cython_blas.__file__)


def _register(library: BlasLibrary) -> None:
    """Bind the symbols compiled code calls: OpenBLAS's calls, or stand-ins reporting one thread."""
    if library.controllable:
        get_address, set_address = library.addresses
    else:
        @numba.cfunc(types.intc(), cache=True)
        def one_thread():  # type: ignore[no-untyped-def]
            return 1

        @numba.cfunc(types.void(types.intc), cache=True)
        def ignore(n):  # type: ignore[no-untyped-def]
            pass
        get_address, set_address = int(one_thread.address or 0), int(ignore.address or 0)
        _keep.extend([one_thread, ignore])
    llvm.add_symbol("graphflow_blas_get_threads", get_address)
    llvm.add_symbol("graphflow_blas_set_threads", set_address)


_keep: list[object] = []  # the stand-ins' compiled code lives as long as the process
_register(LIBRARY)
get_threads = types.ExternalFunction("graphflow_blas_get_threads", types.intc())
set_threads = types.ExternalFunction("graphflow_blas_set_threads", types.void(types.intc))


@numba.njit(cache=True, nogil=True)
def narrow(m, n, k):  # type: ignore[no-untyped-def]
    """Before an ``m x k`` by ``k x n`` product: below ``SMALL_GEMM_FLOPS``, OpenBLAS's count to
    one. Returns the count ``widen`` puts back after the product (0: nothing was changed)."""
    if 2.0 * m * n * k < SMALL_GEMM_FLOPS:
        current = get_threads()
        if current > 1:
            set_threads(1)
            return current
    return 0


@numba.njit(cache=True, nogil=True)
def widen(previous):  # type: ignore[no-untyped-def]
    """After the product ``narrow`` returned ``previous`` for: the count it found, back."""
    if previous > 0:
        set_threads(previous)


# What generated code shows when it calls the BLAS or LAPACK: numba's np.dot and np.linalg, the
# GEMM with alpha and beta, and the convolution drivers (their products are GEMMs)
_BLAS_MARKERS = ("np.dot(", "np.linalg.", "graphflow.compiler.blas", "graphflow.compiler.conv_")


def calls_blas(sources: Iterable[str]) -> bool:
    """True when any of the generated ``sources`` calls the BLAS (the runtime sets the thread
    count only around the steps that do)."""
    return any(marker in s for s in sources for marker in _BLAS_MARKERS)
