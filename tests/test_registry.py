"""Every primitive has a complete registry row, every op module's rows are consistent, and every
primitive is served on every target ("cpu", "cuda"): by a rule of its own, by the fused-loop rule
(elementwise and reduction rows, which reach a target only inside FUSED nodes), by the code
generator itself (sources and state), or by an explicit, reasoned "not on this target"."""
from __future__ import annotations

import graphflow  # noqa: F401  (registers every op)
from graphflow.compiler import fused_loops as FL
from graphflow.compiler.cpu import lower as _cpu  # noqa: F401  (registers the CPU rules)
from graphflow.compiler.cuda import rules as _cuda  # noqa: F401  (registers the CUDA rules)
from graphflow.compiler.cuda.rule import CudaRule
from graphflow.core import dtypes
from graphflow.core.registry import Kind, NotOnTarget, Op, rows

COMPILER_ONLY = {Op.FUSED, Op.DEFERRED}  # DEFERRED: replaced when the program is built
SOURCES = {Op.PLACEHOLDER, Op.VARIABLE, Op.CONST}
STRUCTURAL = {Op.ASSIGN, Op.NO_OP, Op.COND, Op.WHILE}  # lowered by the code generator itself
TARGETS = ("cpu", "cuda")


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
            assert all(isinstance(k, NotOnTarget) for k in row.kernels.values()), \
                f"{op.name}: a host op runs its numpy reference, not kernels"
        if not row.no_gradient and not row.stateful:
            assert row.vjp is not None, f"{op.name}: no gradient rule and not marked no_gradient"


def _served_by_fused_loops(op: Op) -> str | None:
    """Why the fused-loop rule serves ``op`` on every target, or None where it does not: an
    elementwise row's scalar template, a reduction's accumulator rules (``fused_loops``)."""
    row = rows()[op]
    if row.kind is Kind.ELEMENTWISE and row.scalar is not None:
        return "its scalar template, inside a fused loop"
    if row.kind is Kind.REDUCE:
        try:
            FL.init_value(op, dtypes.float32)
            FL.combine(op, "a", "b")
        except (KeyError, ValueError, NotImplementedError):
            return None
        return "the fused loop's accumulator rules"
    return None


def _served(op: Op, target: str) -> str | None:
    """How ``target`` runs ``op`` (a reason), or None where nothing says."""
    row = rows()[op]
    rule = row.kernels.get(target)
    if isinstance(rule, NotOnTarget):
        return f"not on this target: {rule.reason}" if rule.reason.strip() else None
    if target == "cuda" and isinstance(rule, CudaRule):
        return "its CUDA rule"
    if target == "cpu" and callable(rule):
        return "its CPU emitter"
    if rule is not None:
        return None  # a rule of the wrong type for its target
    fused = _served_by_fused_loops(op)
    if fused is not None:
        return fused
    if target == "cpu" and row.kind is Kind.HOST:
        return "a host op: evaluated by its numpy reference beside the compiled call"
    if target == "cpu" and op in SOURCES | STRUCTURAL | {Op.FUSED}:
        return "lowered by the CPU code generator itself"
    if target == "cpu" and op is Op.DEFERRED:
        return "replaced by the op it defers when the program is specialised"
    return None


def test_every_primitive_is_served_on_every_target() -> None:
    missing = [f"{op.name} on {target}" for op in Op for target in TARGETS if _served(op, target) is None]
    assert not missing, f"primitives with no rule and no reason: {missing}"


def test_cuda_rules_are_typed_and_registered_on_their_rows() -> None:
    for op, row in rows().items():
        rule = row.kernels.get("cuda")
        if rule is None:  # only the rows the fused-loop rule serves have no entry of their own
            assert _served_by_fused_loops(op), op.name
        else:
            assert isinstance(rule, (CudaRule, NotOnTarget)), op.name


def test_an_elementwise_row_alone_reaches_both_targets_and_graph_files() -> None:
    """Softsign is one elementwise row (reference, scalar template, VJP, its GraphDef and ONNX
    names) and its builder: no rule of graphdef/, onnx/ or either target names it, yet it runs,
    exports as TF1's one Softsign node, imports back and names its ONNX operator."""
    import numpy as np

    import graphflow as gf
    from graphflow.graphdef import export, import_rules
    from graphflow.onnx import translate
    row = rows()[Op.SOFTSIGN]
    assert row.kind is Kind.ELEMENTWISE and (row.graphdef, row.onnx) == ("Softsign", "Softsign")
    assert not row.kernels and Op.SOFTSIGN not in export.EXPORT and Op.SOFTSIGN not in translate.ONNX
    assert "Softsign" not in import_rules.IMPORT
    data = np.array([-3.0, -0.5, 0.0, 2.0], np.float32)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [4], name="x")
        gf.nn.softsign(x, name="s")
        gd = g.as_graph_def()
    assert [n.op for n in gd.node] == ["Placeholder", "Softsign"]
    with gf.Graph().as_default():
        (y,) = gf.import_graph_def(gd, return_elements=["s:0"], name="")
        assert y.op.type == "Softsign"
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(y, {"x:0": data}), data / (1 + np.abs(data)), rtol=1e-6)
