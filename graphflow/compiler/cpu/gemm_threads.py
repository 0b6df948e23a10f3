"""The thread count of the BLAS compiled GEMMs run on, and the rule compiled code applies per GEMM.

Compiled code multiplies matrices on one BLAS, ``LIBRARY`` (``gemm_library``: NumPy's own
OpenBLAS where its CBLAS entries are reachable, else the one SciPy's ``cython_blas`` links; every
product goes through ``blas.gemm_block``). Where that is OpenBLAS built with its own pthreads pool, a
multithreaded call splits the product in equal parts and waits, spinning, for every part, and the
helper threads spin on after it; a helper that other processes keep off its core makes the caller
wait (measured on a 2-core machine whose other core ran a test suite: a 35 us product took
milliseconds). Small products gain nothing measurable from a second thread even on an idle
machine, so compiled code runs every GEMM below ``SMALL_GEMM_FLOPS`` on one thread: ``narrow``
before the call lowers OpenBLAS's count to one, ``widen`` after it puts back the step's count. Both
are a read of ``STEP_THREADS`` and a write of one integer inside OpenBLAS
(``openblas_set_num_threads`` below the pool's size only stores the count), so the pair costs
nanoseconds. How many threads larger products get is the runtime's policy
(``runtime/threads.py``), which sets the same count for a whole step; nothing here ever raises it
above the user's limit.

Steps run concurrently: OpenBLAS's count is one integer for the whole process, and several Python
threads may run steps of one Session at once, their kernels running without the GIL. Saving the
count and restoring it around each use would restore out of order (A finds 4 and sets 2, B finds 2
and sets 1, A puts back 4, B puts back 2: the user's 4 is lost for good). So nothing restores what
it found. The runtime counts the runs inside a step under a lock (``runtime/threads.Steps``): the
first to enter records the user's count U, every entry sets the count and ``STEP_THREADS`` to
min(U, the cap now), and the last to leave sets ``STEP_THREADS`` to 0 and the count back to U.
Compiled code writes only 1 (``narrow``, and only while ``STEP_THREADS`` is above 1) or the value
it reads from ``STEP_THREADS`` (``widen``, nothing when it reads 0). Whatever the interleaving:

- the count never exceeds U: from the first entry to the last leave U stays fixed, the runtime
  writes min(U, cap) and compiled code writes 1 or a value of ``STEP_THREADS``, which a widen
  reads after its own run entered (the lock orders that after every write of an earlier period),
  so it is a step count of this period;
- it is U again once all runs have left: every write by compiled code comes before its own run
  leaves (kernels run in the calling thread and return before ``leave``), every run's leave
  takes the lock before the last one's does, so the last leave's write of U is the period's last;
  and compiled code outside a step finds ``STEP_THREADS`` at 0 and writes nothing. Every kernel
  that calls ``narrow`` is inside a counted step: ``calls_blas`` recognises this module's name.

The price of sharing one count: between one run's ``narrow`` and ``widen`` another run's large
product may go on one thread, and a ``widen`` that read ``STEP_THREADS`` just before another run's
entry changed it may write the previous step count, until the next entry or widen; a product or two
on fewer or more threads than the current cap, never more than the user allows.

The thread calls are looked up through the handle of the module file that links the library
(NumPy's ``_multiarray_umath`` or SciPy's ``cython_blas``), whose symbol search covers the
libraries it depends on, so the GEMM and the thread calls come from one file and the other
library's pool is never the one set (numba's ``np.linalg`` still runs LAPACK on SciPy's, under
its own count). The set call and ``STEP_THREADS`` reach compiled code as named symbols registered
with LLVM at import, as ``blas.gemm_block`` reaches the GEMM, so cached kernels stay valid across
processes. Where the BLAS is not OpenBLAS (MKL, Accelerate, a reference BLAS) or hides
its thread calls, ``LIBRARY.reason`` says so, the runtime never sets ``STEP_THREADS`` and the set
call is a stand-in that does nothing: compiled code then never changes anything.
"""
from __future__ import annotations

import ctypes
import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import llvmlite.binding as llvm
import numba
import scipy.linalg.cython_blas as _cython_blas
from llvmlite import ir
from numba import types
from numba.core.base import BaseContext
from numba.core.typing import Signature
from numba.extending import intrinsic

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
    """A BLAS a module links: its file, OpenBLAS's build string, its thread-count calls and CBLAS
    GEMM entries, or ``reason`` (not empty) why the count cannot be changed."""

    path: str
    config: str
    get_threads: Callable[[], int] | None
    set_threads: Callable[[int], None] | None
    reason: str
    addresses: tuple[int, int] = (0, 0)  # of the get and set calls, for compiled code
    cblas: tuple[int, int] = (0, 0)  # of cblas_sgemm and cblas_dgemm, where compiled code calls them
    ilp64: bool = False  # BLAS integers are 64-bit (the build string's USE64BITINT)

    @property
    def controllable(self) -> bool:
        return not self.reason

    @property
    def abi(self) -> str:
        """How compiled code calls this library's GEMM: ``cblas64``/``cblas32`` (its CBLAS entry,
        64- or 32-bit integers) or ``fortran`` (SciPy's ``cython_blas`` routine). Part of every
        cached kernel library's key (``runtime/cache``): code linked for one cannot call another."""
        if self.cblas[0]:
            return "cblas64" if self.ilp64 else "cblas32"
        return "fortran"


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
            gemms = []
            for name in ("sgemm", "dgemm"):
                try:
                    entry = getattr(lib, f"{prefix}cblas_{name}{suffix}")
                    gemms.append(int(ctypes.cast(entry, ctypes.c_void_p).value or 0))
                except AttributeError:
                    gemms.append(0)
            cblas = (gemms[0], gemms[1]) if all(gemms) else (0, 0)
            # 64-bit integers: the build string says so, or the symbols carry the ILP64 suffix
            ilp64 = "USE64BITINT" in config or suffix in ("64_", "_64")
            return BlasLibrary(_file_of(addresses[0]) or module_file, config, get, set_, "", addresses,
                               cblas, ilp64)
    return BlasLibrary(module_file, "", None, None,
                       f"the BLAS {os.path.basename(module_file)} links is not OpenBLAS (no "
                       "openblas_set_num_threads among its libraries): its own threading applies")


def gemm_library() -> BlasLibrary:
    """The OpenBLAS compiled GEMMs run on: NumPy's own where its CBLAS ``sgemm``/``dgemm`` and
    thread calls are reachable (the library NumPy's operations in the glue already use, so one
    thread pool serves both), else the one SciPy's ``cython_blas`` links (numba's ``np.dot`` and
    ``np.linalg`` use that one; where it is not OpenBLAS, ``reason`` says so). Measured on a 2-core
    AVX2 machine (2026-12-06, NumPy 2.4's OpenBLAS 0.3.31 beside SciPy 1.17's 0.3.30, one thread):
    the LSTM's 64x128x512 and 64x512x128 products 105 us against 129 us, the CNN's dense layer
    (64x3136x1024) 5.0 ms against 6.2 ms, the im2col products (12544x800x64) within 3%."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):  # NumPy 2, NumPy 1
        try:
            core = importlib.import_module(name)
        except ImportError:
            continue
        numpys = find_openblas(getattr(core, "__file__", None) or "")
        if numpys.controllable and numpys.cblas[0]:
            return numpys
        break
    return find_openblas(_cython_blas.__file__)


LIBRARY = gemm_library()


# The count of the steps now running (0: none), set by the runtime under its lock
# (runtime/threads.Steps), read by compiled code
STEP_THREADS = ctypes.c_int(0)
_STEP_THREADS_SYMBOL = "graphflow_blas_step_threads"


def _register(library: BlasLibrary) -> None:
    """Bind the symbols compiled code uses: ``STEP_THREADS``, and OpenBLAS's set call or a
    stand-in that does nothing."""
    if library.controllable:
        set_address = library.addresses[1]
    else:
        # compiled at every import: trivial, and a cached artefact would be loaded unchecked
        @numba.cfunc(types.void(types.intc))
        def ignore(n):  # type: ignore[no-untyped-def]
            pass
        set_address = int(ignore.address or 0)
        _keep.append(ignore)
    llvm.add_symbol("graphflow_blas_set_threads", set_address)
    llvm.add_symbol(_STEP_THREADS_SYMBOL, ctypes.addressof(STEP_THREADS))


_keep: list[object] = []  # the stand-in's compiled code lives as long as the process
_register(LIBRARY)
set_threads = types.ExternalFunction("graphflow_blas_set_threads", types.void(types.intc))


@intrinsic
def step_threads(typingctx: object) -> tuple[Signature, object]:
    """``STEP_THREADS`` as compiled code reads it: an atomic load of the registered symbol, fresh
    at every call (never folded into a constant, so cached code sees the runtime's value)."""
    def codegen(context: BaseContext, builder: ir.IRBuilder, sig: Signature, args: list[object]) -> ir.Value:
        module = builder.module
        try:
            cell = module.get_global(_STEP_THREADS_SYMBOL)
        except KeyError:
            cell = ir.GlobalVariable(module, ir.IntType(32), _STEP_THREADS_SYMBOL)
        return builder.load_atomic(cell, "monotonic", 4)
    return types.intc(), codegen


@numba.njit(cache=True, nogil=True)
def narrow(m, n, k):  # type: ignore[no-untyped-def]
    """Before an ``m x k`` by ``k x n`` product: below ``SMALL_GEMM_FLOPS``, inside steps that
    run on more than one thread, OpenBLAS's count to one. Returns what to hand ``widen`` after the
    product (1: narrowed, 0: nothing changed)."""
    if 2.0 * m * n * k < SMALL_GEMM_FLOPS and step_threads() > 1:
        set_threads(1)
        return 1
    return 0


@numba.njit(cache=True, nogil=True)
def widen(narrowed):  # type: ignore[no-untyped-def]
    """After the product ``narrow`` returned ``narrowed`` for: the steps' count back (read now,
    not the count ``narrow`` found, which another thread's step may have changed since)."""
    if narrowed:
        count = step_threads()
        if count > 0:
            set_threads(count)


# What generated code shows when it calls the BLAS or LAPACK, or splits work by the step's count:
# numba's np.dot and np.linalg, the GEMM with alpha and beta, the glue's split GEMMs, the
# convolution drivers (their products are GEMMs; the direct ones split), the glue's split updates,
# and this module (code that calls ``narrow`` must run inside a counted step)
_BLAS_MARKERS = ("np.dot(", "np.linalg.", "graphflow.compiler.cpu.blas", "graphflow.compiler.cpu.conv_",
                 "graphflow.compiler.cpu.gemm_", "graphflow.compiler.cpu.split")


def calls_blas(sources: Iterable[str]) -> bool:
    """True when any of the generated ``sources`` calls the BLAS (the runtime sets the thread
    count only around the steps that do).

    >>> calls_blas(["x = np.dot(a, b)"]), calls_blas(["x = a + b"])
    (True, False)
    """
    return any(marker in s for s in sources for marker in _BLAS_MARKERS)
