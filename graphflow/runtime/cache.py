"""Where generated modules live: a content-addressed folder private to the user, so a second
process that builds the same program finds the module (and numba's cached machine code beside
it), and nothing is run from it unchecked.

A module's name is the sha256 of its file's bytes, which is checked before the bytes are run: a
truncated or altered module is written again, with a warning. numba's artefacts of the
functions there and of the libraries they call are checked too (``cache_store.verify``), and kept
in the same private folder: a module's in ``__pycache__/``, a kernel library's (``fastmath``,
``blas``, ...) in ``lib/<module>/``, shared by every process of the user (the compile helper's
included) and never where numba would put them (the package's ``__pycache__``, a shared
``NUMBA_CACHE_DIR``), which nobody checks.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import os
import re
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from graphflow.compiler.cpu.gemm_threads import LIBRARY as BLAS
from graphflow.compiler.kernels import Kernel
from graphflow.runtime import cache_store
from graphflow.runtime.cache_store import CacheWarning

_loaded: dict[str, ModuleType] = {}
_private: dict[str, str] = {}  # each cache folder found private, once per process
_verified_libraries: set[str] = set()
_LIBRARIES = re.compile(r"^import (graphflow\.[\w.]+) as", re.M)  # kernel libraries a module imports


def cache_dir() -> str:
    """``GRAPHFLOW_CACHE_DIR`` when set, else a per-user cache directory; created private to the
    user, and refused (``PermissionDeniedError``) where others could write to it."""
    d = os.environ.get("GRAPHFLOW_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "graphflow")
    checked = _private.get(d)
    if checked is None:
        checked = cache_store.private_dir(d)
        cache_store.private_dir(os.path.join(d, "__pycache__"))  # numba's artefacts of the modules here
        _private[d] = checked
    return checked


def library_dir(module: str) -> str:
    """The folder of numba's artefacts of the functions of kernel library ``module``:
    ``lib/<module>-<digest>`` in the cache folder (the digest of the library and the compiler
    modules it compiles in, so changing any of them starts a fresh folder: numba keys its index
    on the library's own file only), created and checked as private as the folder itself."""
    path = os.path.join(cache_dir(), "lib", f"{module}-{_library_digest(module)[:16]}")
    if path not in _private:
        cache_store.private_dir(os.path.dirname(path))
        _private[path] = cache_store.private_dir(path)
    return path


# the modules whose jitted functions a library's code may call: numba compiles them into its own
_JITTED = ("graphflow.compiler.", "graphflow.ops.")


@functools.cache
def _library_digest(module: str) -> str:
    """sha256 of the library's file and, transitively, of the compiler and op modules it imports
    (``conv_kernels`` compiles the op layer's ``conv_geometry.window``), and of how compiled code
    calls the BLAS (``LIBRARY.abi``: code linked for NumPy's CBLAS cannot call SciPy's routine)."""
    return hashlib.sha256(f"{_digest(module, frozenset())} {BLAS.abi}".encode()).hexdigest()


def _imported(source: str, module: str) -> set[str]:
    """The compiler and op modules ``source`` imports, by their full names (``from a.b import c``
    names ``a.b.c`` where that is a module, else ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(_JITTED))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and f"{node.module}.".startswith(_JITTED):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if _is_module(sub) else node.module)
    return {m for m in found if m.startswith(_JITTED)}


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _digest(module: str, seen: frozenset[str]) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return module
    with open(spec.origin, "rb") as f:
        data = f.read()
    h = hashlib.sha256(data)
    for dep in sorted(_imported(data.decode("utf-8", "replace"), module) - seen - {module}):
        h.update(_digest(dep, seen | {module}).encode())
    return h.hexdigest()


def module_text(source: str) -> bytes:
    """The file of ``source``: numba's cache of its functions inlines the kernel libraries they
    import but is keyed on this file alone, so their contents go into its last line (and so into
    its name): a changed library is never stale."""
    libs = [_library_digest(m) for m in _LIBRARIES.findall(source)]
    if libs:
        source += f"\n# libraries: {hashlib.sha256(''.join(libs).encode()).hexdigest()}\n"
    return source.encode()


def load_module(source: str, prefix: str = "gf") -> ModuleType:
    """Write ``source`` under the hash of its file (atomically, once; again, with a warning,
    where the file there does not hold it) and import it."""
    data = module_text(source)
    name = f"{prefix}_{hashlib.sha256(data).hexdigest()[:24]}"
    mod = _loaded.get(name)
    if mod is not None:
        return mod
    path = os.path.join(cache_dir(), name + ".py")
    try:
        with open(path, "rb") as f:
            found: bytes | None = f.read()
    except FileNotFoundError:
        found = None
    if found != data:
        if found is not None:
            warnings.warn(f"graphflow's compile cache file {path} is corrupt (its content does not match the "
                          "sha256 in its name): it is written again", CacheWarning, stacklevel=2)
        cache_store.write_atomic(path, data)
    return _run(name, path, data)


def load_file(path: str) -> ModuleType | None:
    """The module ``load_module`` wrote at ``path`` (the compile helper loads them so), or None
    where the file is gone or does not hash to its name."""
    name = os.path.basename(path)[:-len(".py")]
    if name in _loaded:
        return _loaded[name]
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest()[:24] != name.rpartition("_")[2]:
        return None
    return _run(name, path, data)


def _run(name: str, path: str, data: bytes) -> ModuleType:
    """Run the checked ``data`` (not the file again, nor any bytecode cached beside it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    exec(compile(data, path, "exec"), mod.__dict__)
    here = os.path.join(os.path.dirname(path), "__pycache__")
    cache_store.verify(mod.__dict__.values(), lambda m: here if m == name else library_dir(m))
    for m in _LIBRARIES.findall(data.decode()):
        library(m)
    _loaded[name] = mod
    return mod


def library(name: str) -> ModuleType:
    """The kernel library module ``name`` with its jitted functions' cache files verified (those
    of the ``graphflow.compiler`` modules it uses too), in ``library_dir`` of the module that
    defines each function. Call it before any of them compiles (a module that imports the library
    does, before its kernels run)."""
    mod = importlib.import_module(name)
    if name not in _verified_libraries:
        cache_store.verify(vars(mod).values(), library_dir)
        _verified_libraries.add(name)  # only once verified: a refused cache folder is refused again
        for v in list(vars(mod).values()):
            if isinstance(v, ModuleType) and v.__name__.startswith("graphflow.compiler."):
                library(v.__name__)
    return mod


def load_kernels(kernels: Sequence[Kernel]) -> list[Any]:
    """The jitted ``kernel`` of each call site's shared module (one module per content hash), or
    for an interpreted kernel its plain Python function."""
    out = []
    for k in kernels:
        fn = load_module(k.source, prefix="gfk").kernel
        out.append(fn.py_func if k.interpreted else fn)
    return out


def distinct(kernels: Sequence[Any]) -> list[Any]:
    """The distinct kernels of a glue program's call sites, in order of first use (the glue
    names them ``k0, k1, ...`` in this order)."""
    return list({id(k): k for k in kernels}.values())


def glue_entry(source: str, kernels: Sequence[Any]) -> Any:
    """The Python glue's ``entry``, with ``k0, k1, ...`` bound to the distinct kernels."""
    scope: dict[str, Any] = {"np": np}
    scope.update((f"k{i}", k) for i, k in enumerate(distinct(kernels)))
    exec(compile(source, "<graphflow glue>", "exec"), scope)
    return scope["entry"]
