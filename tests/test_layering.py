"""Imports follow the pipeline: the front end (``graphflow/`` outside ``compiler/`` and
``runtime/``) imports neither later stage, the compiler does not import the runtime, and no import
cycle joins modules of different folders. The package's ``__init__`` is exempt: it assembles the
public API from every stage."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "graphflow"
STAGES = {"front end": 0, "compiler": 1, "runtime": 2}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every graphflow module ``path`` imports, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            # the longest known module the import names (``from graphflow.ops import x`` may name
            # the submodule ``graphflow.ops.x`` or an attribute of ``graphflow.ops``)
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("compiler", "runtime") else "front end"


def _folder(module: str, modules: dict[str, Path]) -> str:
    return str(modules[module].parent.relative_to(ROOT.parent))


def _graph() -> tuple[dict[str, Path], dict[str, set[str]]]:
    modules = _modules()
    known = set(modules)
    edges = {m: _imports(m, p, known) for m, p in modules.items() if m != "graphflow"}
    return modules, {m: {t for t in ts if t != "graphflow"} for m, ts in edges.items()}


def test_later_stages_are_never_imported_by_earlier_ones() -> None:
    _, edges = _graph()
    wrong = sorted(f"{m} ({_stage(m)}) imports {t} ({_stage(t)})"
                   for m, ts in edges.items() for t in ts
                   if STAGES[_stage(t)] > STAGES[_stage(m)])
    assert wrong == [], "\n".join(wrong)


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_crosses_folders() -> None:
    modules, edges = _graph()
    crossing = []
    for comp in _cycles(edges):
        folders = {_folder(m, modules) for m in comp}
        if len(folders) > 1:
            crossing.append(f"{sorted(folders)}: {sorted(comp)}")
    assert crossing == [], "\n".join(crossing)


def test_the_checker_sees_a_violation() -> None:
    """The import scan is not vacuous: it finds the runtime importing the compiler and the front
    end, and a planted cycle."""
    _, edges = _graph()
    assert "graphflow.compiler.program" in edges["graphflow.runtime.session"]
    assert "graphflow.core.ir" in edges["graphflow.runtime.session"]
    planted = {"a.x": {"b.y"}, "b.y": {"a.x"}, "c": set()}
    assert _cycles(planted) == [{"a.x", "b.y"}]
