"""Where generated modules live: a content-addressed directory, so a second process that builds
the same program finds the module (and numba's cached machine code beside it)."""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from graphflow.compiler.kernels import Kernel

_loaded: dict[str, ModuleType] = {}


def cache_dir() -> str:
    """``GRAPHFLOW_CACHE_DIR`` when set, else a per-user cache directory."""
    d = os.environ.get("GRAPHFLOW_CACHE_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "graphflow")
    os.makedirs(d, exist_ok=True)
    return d


@functools.cache
def _library_digest(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return module
    with open(spec.origin, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_module(source: str, prefix: str = "gf") -> ModuleType:
    """Write ``source`` under its content hash (atomically, once) and import it."""
    # numba's cache of the entry inlines the kernel libraries it imports but is keyed on the
    # entry's own file: their contents go into the name, so a changed library is never stale
    libs = "".join(_library_digest(m) for m in re.findall(r"^import (graphflow\.[\w.]+) as", source, re.M))
    digest = hashlib.sha256((source + libs).encode()).hexdigest()[:24]
    name = f"{prefix}_{digest}"
    mod = _loaded.get(name)
    if mod is not None:
        return mod
    directory = cache_dir()
    path = os.path.join(directory, name + ".py")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _loaded[name] = mod
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
