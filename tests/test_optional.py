"""The suite asks for optional packages in one way only (tests/optional.py), so that every test
needing one skips with the reason where it is missing, and CI's extras pass (``--last-skipped``)
reruns exactly those: no test module imports an optional package behind its own ``try`` or
``importorskip``, and every name a test asks for is one the table knows."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import optional

TESTS = Path(__file__).resolve().parent


def _calls(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "attr", None) in names or getattr(n.func, "id", None) in names)]


def _trees() -> dict[str, ast.AST]:
    return {p.name: ast.parse(p.read_text(), str(p)) for p in sorted(TESTS.glob("*.py")) if p.name != "optional.py"}


def test_no_test_module_checks_for_a_package_by_itself() -> None:
    wrong = []
    for name, tree in _trees().items():
        wrong += [f"{name}:{c.lineno}: importorskip" for c in _calls(tree, {"importorskip"})]
        if name.startswith("test_"):
            for h in ast.walk(tree):
                if isinstance(h, ast.ExceptHandler) and "ImportError" in ast.unparse(h.type or ast.Name("")):
                    wrong.append(f"{name}:{h.lineno}: except ImportError")
    assert wrong == [], "use tests/optional.py (needs / need / module) instead:\n" + "\n".join(wrong)


def test_every_name_a_test_asks_for_is_in_the_table() -> None:
    asked = set()
    for name, tree in _trees().items():
        if name == Path(__file__).name:
            continue  # its own made-up piece below
        for c in _calls(tree, {"needs", "need", "module"}):
            for a in c.args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    asked.add((name, a.value))
    assert len(asked) > 20  # the walk found the suite's requests
    unknown = sorted(f"{f}: {n}" for f, n in asked if n not in optional.TABLE)
    assert unknown == [], unknown


def test_a_missing_piece_skips_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(optional.TABLE, "nonexistent", (optional._imports("no_such_package_here"),
                                                         "pip install no-such-package"))
    optional._probe.cache_clear()
    try:
        assert optional.module("nonexistent") is None
        why = optional.missing("nonexistent")
        assert "no_such_package_here" in why and why.endswith(": pip install no-such-package"), why
        with pytest.raises(pytest.skip.Exception, match="pip install no-such-package"):
            optional.need("nonexistent")
    finally:
        optional._probe.cache_clear()
