"""Algebraic simplification (compiler/simplify.py): each rewrite fires where it should, leaves
the values unchanged (compiled against the numpy reference), and stays away where it must."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import simplify
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import build
from graphflow.core.registry import Op
from tests.tolerances import value_tol


def _ops(fetches: list, feeds: list) -> list[Op]:
    program = build(fetches, [], [(t, t.shape.rank) for t in feeds])
    return [n.op for n in run_passes(program, check=True).nodes]


def _same_as_reference(fetches: list, feed: dict) -> None:
    with gf.Session() as cpu, gf.Session(device="reference") as ref:
        for got, want in zip(cpu.run(fetches, feed), ref.run(fetches, feed)):
            np.testing.assert_allclose(got, want, **value_tol(np.float64))


def test_split_gradient_becomes_one_concat() -> None:
    x = gf.placeholder(gf.float64, (3, 8))
    a, b, c, d = gf.split(x, 4, axis=1)
    y = gf.reduce_sum(gf.sin(a) * 2.0 + gf.cos(b) + gf.exp(c) - d * d)
    (g,) = gf.gradients(y, [x])
    ops = _ops([g], [x])
    assert Op.SLICE_GRAD not in ops and ops.count(Op.CONCAT) == 1
    v = np.random.RandomState(0).randn(3, 8)
    _same_as_reference([g, y], {x: v})
    a_, b_, c_, d_ = np.split(v, 4, axis=1)
    np.testing.assert_allclose(gf.Session().run(g, {x: v}),
                               np.concatenate([2 * np.cos(a_), -np.sin(b_), np.exp(c_), -2 * d_], 1), rtol=1e-12)


def test_partial_or_overlapping_slice_gradients_are_kept() -> None:
    x = gf.placeholder(gf.float64, (4, 6))
    y = gf.reduce_sum(x[:, 0:4] * x[:, 2:6])  # overlapping ranges: no tiling
    (g,) = gf.gradients(y, [x])
    assert Op.SLICE_GRAD in _ops([g], [x])
    _same_as_reference([g], {x: np.random.RandomState(1).randn(4, 6)})


def test_neutral_constants_are_dropped_unless_they_broadcast() -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    kept = x * gf.ones((4, 2, 3), gf.float64)  # the ones broadcast x up: not neutral
    y = (x * 1.0 + 0.0) / 1.0 - 0.0
    assert [op for op in _ops([y], [x]) if op is not Op.CONST] == [Op.PLACEHOLDER]
    assert Op.FUSED in _ops([kept], [x])
    _same_as_reference([y, kept], {x: np.arange(6.0).reshape(2, 3)})


def test_reshape_of_reshape() -> None:
    x = gf.placeholder(gf.float64, (2, 6))
    y = gf.reshape(gf.reshape(x, (3, 4)), (4, 3))
    assert _ops([y], [x]).count(Op.RESHAPE) == 1
    _same_as_reference([y], {x: np.arange(12.0).reshape(2, 6)})


@pytest.mark.parametrize("power", [2.0, 1.0, 0.5, -1.0])
def test_constant_powers_become_cheaper_ops(power: float) -> None:
    x = gf.placeholder(gf.float64, (None, 3))
    y = gf.pow(x, power)
    (g,) = gf.gradients(gf.reduce_sum(y * y), [x])
    program = build([y], [], [(x, 2)])
    ops = [n for n in run_passes(program, check=True).nodes]
    assert all(n.op is not Op.POW for n in ops if n.op is not Op.FUSED)
    assert all(i.op is not Op.POW for n in ops if n.op is Op.FUSED for i in n.attrs.body)
    v = np.random.RandomState(3).rand(4, 3) + 0.5
    _same_as_reference([y, g], {x: v})
    np.testing.assert_allclose(gf.Session().run(y, {x: v}), v ** power, rtol=1e-15)


def test_rewrites_are_a_table_of_rules_naming_their_ops_and_identities() -> None:
    assert simplify.RULES
    for rule in simplify.RULES:
        assert rule.ops and "==" in rule.identity and rule.apply.__doc__
    # per op, the rules in table order: a slice-gradient sum is tiled before x + 0 is looked for
    assert [r.apply for r in simplify._BY_OP[Op.ADD]] == [simplify._tiled_slice_grads, simplify._neutral]


def test_local_rules_leave_nodes_that_control_edges_order() -> None:
    x = gf.placeholder(gf.float64, (2, 3))
    with gf.control_dependencies([gf.no_op()]):
        y = x * 1.0
    assert [op for op in _ops([y], [x]) if op not in (Op.CONST, Op.NO_OP)] != [Op.PLACEHOLDER]
    _same_as_reference([y], {x: np.arange(6.0).reshape(2, 3)})

