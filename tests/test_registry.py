"""Every primitive has a complete registry row, and every op module's rows are consistent."""
from __future__ import annotations

import graphflow  # noqa: F401  (registers every op)
from graphflow.core.registry import Kind, Op, rows

COMPILER_ONLY = {Op.FUSED, Op.DEFERRED}  # DEFERRED: replaced when the program is built
SOURCES = {Op.PLACEHOLDER, Op.VARIABLE, Op.CONST}
STRUCTURAL = {Op.ASSIGN, Op.NO_OP, Op.COND, Op.WHILE}  # lowered by the code generator itself


def test_every_primitive_has_a_row() -> None:
    missing = [op.name for op in Op if op not in rows()]
    assert not missing, f"ops without a registry row: {missing}"


def test_rows_are_complete() -> None:
    for op, row in rows().items():
        assert callable(row.shape_rule) and callable(row.dtype_rule) and callable(row.reference), op
        if op in COMPILER_ONLY | SOURCES | STRUCTURAL:
            continue
        if row.kind is Kind.ELEMENTWISE:
            assert row.scalar is not None, f"{op.name}: elementwise op without a scalar template"
        elif row.kind is Kind.OTHER:
            assert "cpu" in row.kernels, f"{op.name}: no cpu kernel"
        elif row.kind is Kind.HOST:
            assert not row.kernels, f"{op.name}: a host op runs its numpy reference, not kernels"
        if not row.no_gradient and not row.stateful:
            assert row.vjp is not None, f"{op.name}: no gradient rule and not marked no_gradient"
