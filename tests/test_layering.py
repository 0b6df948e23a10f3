"""Imports follow the pipeline: the front end (``graphflow/`` outside ``compiler/`` and
``runtime/``) imports neither later stage, the compiler does not import the runtime, and no import
cycle joins modules of different folders. The package's ``__init__`` is exempt: it assembles the
public API from every stage."""
from __future__ import annotations

import ast
import re
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


# -- the layout's rules beyond the stages (issue 21)

CORE = "graphflow.core"
TARGETS = ("graphflow.compiler.cpu", "graphflow.compiler.cuda", "graphflow.runtime.cuda")
MAX_LINES = 600
MAX_DEFERRED = 40  # in-function imports of graphflow modules, each with its reason


def _in_function_imports() -> list[tuple[str, int, str, str]]:
    """(module, line, its source, the line above) of every import of a graphflow module inside a
    function."""
    found = []
    for name, path in _modules().items():
        text = path.read_text()
        lines = text.splitlines()
        for fn in ast.walk(ast.parse(text, str(path))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                mod = ""
                if isinstance(node, ast.ImportFrom):
                    mod = "graphflow" if node.level else node.module or ""
                elif isinstance(node, ast.Import):
                    mod = next((a.name for a in node.names if a.name.startswith("graphflow")), "")
                if mod == "graphflow" or mod.startswith("graphflow."):
                    found.append((name, node.lineno, lines[node.lineno - 1], lines[node.lineno - 2]))
    return sorted(set(found))


def test_no_import_cycle_at_all() -> None:
    """Counting every import, in functions too, no two graphflow modules import each other."""
    _, edges = _graph()
    assert _cycles(edges) == []


def test_the_core_imports_nothing_above_it() -> None:
    _, edges = _graph()
    wrong = sorted(f"{m} imports {t}" for m, ts in edges.items() if m.startswith(CORE + ".")
                   for t in ts if not t.startswith(CORE))
    assert wrong == [], "\n".join(wrong)


def test_target_code_lives_in_its_target() -> None:
    """Targets are reached only from the stage that picks one: the front end (ops included) and
    the target-neutral compiler import no target, and neither target imports the other."""
    _, edges = _graph()
    wrong = []
    for m, ts in edges.items():
        own = next((p for p in TARGETS if m == p or m.startswith(p + ".")), None)
        for t in ts:
            target = next((p for p in TARGETS if t == p or t.startswith(p + ".")), None)
            if target is None or target == own:
                continue
            if own == "graphflow.runtime.cuda" and target == "graphflow.compiler.cuda":
                continue  # the CUDA target's runtime part runs its compiler part's drivers
            if own is None and m.startswith("graphflow.runtime."):
                continue  # the runtime picks the target the session asked for
            wrong.append(f"{m} imports {t}")
    assert wrong == [], "\n".join(sorted(wrong))


def test_in_function_imports_are_few_and_say_why() -> None:
    """Imports sit at the top of modules. The few that cannot (a circle a lazy path breaks, a
    heavy module loaded only on a rare path) carry a comment saying why."""
    found = _in_function_imports()
    unexplained = [f"{m}:{line}: {src.strip()}" for m, line, src, above in found
                   if "#" not in src and not above.strip().startswith("#")]
    assert unexplained == [], "\n".join(unexplained)
    assert len(found) < MAX_DEFERRED, "\n".join(f"{m}:{line}" for m, line, _, _ in found)


def test_modules_stay_small() -> None:
    big = sorted(f"{m}: {n} lines" for m, p in _modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES)
    assert big == [], "\n".join(big)


def test_emitters_are_not_probed() -> None:
    """Rules ask the emitter only what its declared interface offers: no getattr / hasattr probing
    and no attributes patched onto it."""
    probe = re.compile(r"(getattr|hasattr|setattr)\(\s*(em|emitter|sub|self\.em)\b|\b(em|emitter)\._\w+\s*=[^=]")
    found = [f"{m}:{i}: {line.strip()}" for m, p in _modules().items()
             for i, line in enumerate(p.read_text().splitlines(), 1) if probe.search(line)]
    assert found == [], "\n".join(found)


# -- the two surfaces (issue 21, scope 6)

SURFACES = ("graphflow.tf1", "graphflow.torch_style")
BELOW_SURFACES = ("graphflow.core", "graphflow.ops", "graphflow.compiler")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_surfaces_stand_apart() -> None:
    """TF1's surface (``tf1/``) and PyTorch's (``torch_style/``) each read as a whole: neither
    imports the other, and nothing below them (core, ops, compiler) imports either. The public
    namespaces that both dialects share (``graphflow``, ``graphflow.nn``, ``graphflow.data``)
    assemble them."""
    _, edges = _graph()
    wrong = []
    for m, ts in edges.items():
        own = next((s for s in SURFACES if _within(m, s)), None)
        below = any(_within(m, b) for b in BELOW_SURFACES)
        for t in ts:
            other = next((s for s in SURFACES if _within(t, s)), None)
            if other is not None and ((own is not None and other != own) or below):
                wrong.append(f"{m} imports {t}")
    assert wrong == [], "\n".join(sorted(wrong))


def test_graphflow_imports_its_modules_by_their_homes() -> None:
    """Inside graphflow every import names a module file (``graphflow.tf1.train.saver``), never a
    public path that ``graphflow.public_paths`` maps (``graphflow.train.saver``): the public paths
    are for users, and the layering checks above can only see imports of real files."""
    modules = _modules()
    known = set(modules) | {"graphflow"}
    wrong = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and not node.level:
                named = [node.module or ""]
            elif isinstance(node, ast.Import):
                named = [a.name for a in node.names]
            else:
                continue
            wrong += [f"{name}:{node.lineno} imports {n}" for n in named
                      if (n == "graphflow" or n.startswith("graphflow.")) and n not in known]
    assert wrong == [], "\n".join(wrong)
