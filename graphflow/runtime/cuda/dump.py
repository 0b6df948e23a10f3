"""What a CUDA executable dumps (``Session(device="cuda", dump_dir=...)``): its generated driver
(``driver.py``: the Python that calls each node's step), every kernel's CUDA source, the argument
types of each launch of it (recorded during the first run: every kernel the executable and its
cond / while_loop sub-programs launch, with the types it was launched with), and the PTX of each
(kernel, argument types) for sm_90, with an index linking them.

PTX needs numba-cuda's NVVM, which the simulator replaces: a dump made under
``NUMBA_ENABLE_CUDASIM=1`` holds the sources and ``launches.json``, and ``graphflow ptx FOLDER``
(``compile_folder``) compiles the PTX afterwards in a process without the simulator.
"""
from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from typing import Any

from graphflow.compiler.cuda import index_kernels as cuda_index_kernels
from graphflow.compiler.cuda import linalg as cuda_linalg
from graphflow.compiler.cuda import loops as cuda
from graphflow.compiler.cuda import templates as cuda_templates
from graphflow.platform.cuda import capability

CC = (9, 0)
DRIVER = "driver.py"


def _template_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for mod in (cuda_templates, cuda_index_kernels, cuda_linalg):
        for name, value in vars(mod).items():
            if isinstance(value, str) and "def kernel(" in value:
                names.setdefault(value, name.lower())
    return names


def write(folder: str, named: Iterable[tuple[str, str]], launches: dict[str, set[tuple[Any, ...]]],
          driver: str = "") -> None:
    """The driver's source, the kernels' sources (``named``: (name, source) per node kernel) and
    every launched kernel with its argument types; PTX too where this process has NVVM."""
    os.makedirs(folder, exist_ok=True)
    if driver:
        with open(os.path.join(folder, DRIVER), "w") as f:
            f.write("# the generated driver: each scheduled node's step (compiler/cuda/rules.py)\n" + driver)
    templates = _template_names()
    order: dict[str, str] = {}
    for name, src in named:
        order.setdefault(src, name)
    for src in launches:
        order.setdefault(src, templates.get(src, "kernel"))
    records = []
    for k, (src, name) in enumerate(order.items()):
        stem = f"cuda{k:03d}"
        with open(os.path.join(folder, stem + ".py"), "w") as f:
            f.write(f"# {name}\n" + src)
        for j, types in enumerate(sorted(launches.get(src, ()))):
            records.append({"kernel": stem, "name": name, "types": [list(t) for t in types],
                            "ptx": f"{stem}.{j}.sm{CC[0]}{CC[1]}.ptx"})
    with open(os.path.join(folder, "launches.json"), "w") as f:
        json.dump(records, f, indent=1)
    if capability("ptx").ok:
        compile_folder(folder)
    else:
        _index(folder)


def compile_folder(folder: str) -> int:
    """The PTX of every launch ``launches.json`` records (kernel, argument types), next to the
    sources; returns how many were written."""
    with open(os.path.join(folder, "launches.json")) as f:
        records = json.load(f)
    for r in records:
        with open(os.path.join(folder, r["kernel"] + ".py")) as f:
            src = f.read()
        ptx = cuda.compile_ptx(src, [tuple(t) for t in r["types"]], CC)
        with open(os.path.join(folder, r["ptx"]), "w") as f:
            f.write(ptx)
    _index(folder)
    return len(records)


def _index(folder: str) -> None:
    with open(os.path.join(folder, "launches.json")) as f:
        records = json.load(f)
    rows = []
    if os.path.exists(os.path.join(folder, DRIVER)):
        rows.append(f"<li>the driver (generated Python calling every step): <a href='{DRIVER}'>source</a></li>")
    for stem in sorted({name[:-3] for name in os.listdir(folder) if name.startswith("cuda") and name.endswith(".py")}):
        with open(os.path.join(folder, stem + ".py")) as f:
            title = f.readline()[2:].strip()
        links = [f"<a href='{stem}.py'>source</a>"]
        for r in records:
            if r["kernel"] == stem:
                sig = html.escape(", ".join(f"{d}[{n}]" if n >= 0 else d for d, n in r["types"]))
                ptx = r["ptx"]
                links.append(f"<a href='{ptx}'>PTX ({sig})</a>" if os.path.exists(os.path.join(folder, ptx))
                             else f"({sig}: PTX not compiled here; run graphflow ptx on this folder)")
        rows.append(f"<li>{html.escape(title)}: {', '.join(links)}</li>")
    with open(os.path.join(folder, "index.html"), "w") as f:
        f.write("<!doctype html><meta charset='utf-8'><title>graphflow CUDA dump</title>"
                f"<h1>graphflow CUDA executable</h1><p>PTX for sm_{CC[0]}{CC[1]}; argument types as launched "
                "in the first run.</p><ul>" + "".join(rows) + "</ul>\n")
