"""Dumps of what the compiler made (``GRAPHFLOW_DUMP_DIR`` or ``Session(dump_dir=...)``):
the program after each pass, the generated source, and numba's LLVM IR and assembly."""
from __future__ import annotations

import os
from typing import Any

from graphflow.compiler.pipeline import format_program


def dump_executable(exe: Any, directory: str) -> str:
    """Write one folder per executable, named by the generated module; returns its path."""
    name = exe.module.__name__
    folder = os.path.join(directory, name)
    os.makedirs(folder, exist_ok=True)
    for k, (pass_name, program) in enumerate(exe.passes_seen):
        _write(os.path.join(folder, f"{k:02d}_{pass_name}.txt"), format_program(program))
    _write(os.path.join(folder, "kernel.py"), exe.generated.source)
    return folder


def dump_native(exe: Any, folder: str) -> None:
    """LLVM IR and assembly of every compiled signature of the entry function. Code loaded from
    the disk cache carries no IR, so it is compiled once more, uncached, for the dump."""
    entry = exe.entry
    if entry.stats.cache_hits:
        import numba
        fresh = numba.njit(error_model="numpy", nogil=True)(entry.py_func)
        for sig in entry.signatures:
            fresh.compile(sig)
        entry = fresh
    _write(os.path.join(folder, "entry.ll"), "\n".join(entry.inspect_llvm().values()))
    _write(os.path.join(folder, "entry.s"), "\n".join(entry.inspect_asm().values()))


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
