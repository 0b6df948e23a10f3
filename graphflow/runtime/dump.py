"""Dumps of what the compiler made (``GRAPHFLOW_DUMP_DIR`` or ``Session(dump_dir=...)``): the
program after each pass, the generated source (the entry, or the glue and each shared kernel),
numba's LLVM IR and assembly (of every kernel but the interpreted ones, which stay Python), where
the compile time went (``timings.txt``), pictures of the final program (``program.dot``,
``program.svg``: fused kernels as clusters) and an ``index.html`` linking them all under the run
signature that produced them."""
from __future__ import annotations

import os
from collections.abc import Sequence
from types import TracebackType
from typing import Protocol

from graphflow.compiler.cpu.lower import Generated
from graphflow.compiler.pipeline import format_program
from graphflow.compiler.program import Program
from graphflow.runtime.cache import distinct


class DumpedExecutable(Protocol):
    """What a dump reads of the CPU executable (runtime/executable.py, which imports this module
    to dump itself): its programs, the generated code, the kernels loaded and the stage timings."""

    @property
    def source_program(self) -> Program: ...

    @property
    def program(self) -> Program: ...

    @property
    def passes_seen(self) -> Sequence[tuple[str, Program]]: ...

    @property
    def generated(self) -> Generated: ...

    @property
    def kernels(self) -> Sequence[object]: ...

    @property
    def entry(self) -> object: ...

    @property
    def timings(self) -> dict[str, float]: ...


def dump_executable(exe: DumpedExecutable, directory: str) -> str:
    """Write one folder per executable, named by its generated source; returns its path."""
    import hashlib
    name = "gf_" + hashlib.sha256(exe.generated.source.encode()).hexdigest()[:24]
    folder = os.path.join(directory, name)
    os.makedirs(folder, exist_ok=True)
    for k, (pass_name, program) in enumerate(exe.passes_seen):
        _write(os.path.join(folder, f"{k:02d}_{pass_name}.txt"), format_program(program))
    _write(os.path.join(folder, "glue.py" if exe.generated.glue else "kernel.py"), exe.generated.source)
    for i, k in enumerate(distinct(exe.kernels)):  # the shared kernels the glue calls as k0, k1, ...
        with open(getattr(k, "py_func", k).__code__.co_filename) as f:
            _write(os.path.join(folder, f"k{i}.py"), f.read())
    return folder


class record_compiles:
    """Collects numba's compile events (one per compiled function and signature) with durations."""

    def __init__(self) -> None:
        from numba.core import event
        self.listener = event.RecordingListener()
        self._install = event.install_listener("numba:compile", self.listener)

    def __enter__(self) -> record_compiles:
        self._install.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._install.__exit__(kind, value, tb)

    def durations(self) -> list[tuple[float, str]]:
        starts: dict[int, float] = {}
        out = []
        for ts, ev in self.listener.buffer:
            disp = ev.data["dispatcher"]
            key = id(disp) ^ hash(str(ev.data["args"]))
            if ev.is_start:
                starts[key] = ts
            else:
                out.append((ts - starts.pop(key, ts), f"{disp.py_func.__module__}.{disp.py_func.__name__}"))
        return sorted(out, reverse=True)


def dump_native(exe: DumpedExecutable, folder: str, recorder: record_compiles | None = None) -> None:
    """LLVM IR and assembly of every compiled signature of the entry (or of each kernel), and the
    compile timings. Code loaded from the disk cache carries no IR, so it is compiled once more,
    uncached, for the dump."""
    lines = [f"{stage:<28} {seconds * 1e3:9.1f} ms" for stage, seconds in exe.timings.items()]
    if recorder is not None:
        lines.append("\nfirst run, compiled by numba (nested compiles are included in their caller's time):")
        lines += [f"{seconds * 1e3:9.1f} ms  {name}" for seconds, name in recorder.durations()]
    _write(os.path.join(folder, "timings.txt"), "\n".join(lines) + "\n")
    units = distinct(exe.kernels) if exe.generated.glue else [exe.entry]
    for i, disp in enumerate(units):
        stem = f"k{i}" if exe.generated.glue else "entry"
        if not hasattr(disp, "inspect_llvm"):  # an interpreted kernel: Python, no machine code
            continue
        if disp.stats.cache_hits:
            import numba
            fresh = numba.njit(error_model="numpy", nogil=True)(disp.py_func)
            for sig in disp.signatures:
                fresh.compile(sig)
            disp = fresh
        _write(os.path.join(folder, f"{stem}.ll"), "\n".join(disp.inspect_llvm().values()))
        _write(os.path.join(folder, f"{stem}.s"), "\n".join(disp.inspect_asm().values()))
    _write_pictures(exe, folder)
    _write_index(exe, folder)


def _write_pictures(exe: DumpedExecutable, folder: str) -> None:
    # graph drawing (html, subprocess for graphviz) loads only when a dump is written, not with every session
    from graphflow.graphdef.draw import to_dot, to_svg
    _write(os.path.join(folder, "program.dot"), to_dot(exe.program, "compiled program"))
    _write(os.path.join(folder, "program.svg"), to_svg(exe.program, "compiled program"))


def signature(exe: DumpedExecutable) -> list[str]:
    """The run signature an executable serves: its fetches and its feeds (with their ranks)."""
    prog = exe.source_program
    feeds = [f"{ph.name}: {ph.dtypes[0].name} {ph.shapes[0]}" for ph in prog.feeds]
    return [f"fetch {t.name}: {t.dtype.name} {t.shape}" for t in prog.outputs] + [f"feed {f}" for f in feeds]


def _write_index(exe: DumpedExecutable, folder: str) -> None:
    import html
    files = sorted(f for f in os.listdir(folder) if not f.endswith(".tmp") and f != "index.html")
    kinds = [("graph after each pass", lambda f: f[:2].isdigit() and f.endswith(".txt")),
             ("generated source", lambda f: f.endswith(".py")), ("LLVM IR", lambda f: f.endswith(".ll")),
             ("assembly", lambda f: f.endswith(".s")), ("PTX", lambda f: f.endswith(".ptx")),
             ("pictures", lambda f: f.endswith((".dot", ".svg"))), ("compile times", lambda f: f == "timings.txt")]
    parts = ["<!doctype html><meta charset='utf-8'><title>graphflow dump</title>",
             "<h1>graphflow executable</h1><h2>run signature</h2><ul>"]
    parts += [f"<li><code>{html.escape(s)}</code></li>" for s in signature(exe)]
    parts.append(f"</ul><p>{'Python glue over shared kernels' if exe.generated.glue else 'one native entry'}"
                 f"{', traced' if getattr(exe, 'traced', False) else ''}</p>")
    for title, pick in kinds:
        chosen = [f for f in files if pick(f)]
        if chosen:
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li><a href='{html.escape(f)}'>{html.escape(f)}</a></li>"
                                                          for f in chosen) + "</ul>")
    _write(os.path.join(folder, "index.html"), "\n".join(parts) + "\n")


def _write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
