"""The layout pass (compiler/layout.py): transposes sink through elementwise ops and bias sums
until inverse pairs cancel, values stay those of the numpy reference, and a transpose that would
only move is left where it was."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler import layout
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import Program, build
from graphflow.core.registry import Op
from tests.tolerances import value_tol

NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def _compiled(fetches: list, feeds: list) -> Program:
    return run_passes(build(fetches, [], [(t, t.shape.rank) for t in feeds]), check=True)


def _transposes(program: Program) -> list[tuple[int, ...]]:
    """The perms of the program's transposes, fused bodies included."""
    out = [n.attrs.perm for n in program.nodes if n.op is Op.TRANSPOSE]
    return out + [i.attrs.perm for n in program.nodes if n.op is Op.FUSED for i in n.attrs.body
                  if i.op is Op.TRANSPOSE]


def _same_as_reference(fetches: list, feed: dict) -> None:
    with gf.Session() as cpu, gf.Session(device="reference") as ref:
        for got, want in zip(cpu.run(fetches, feed), ref.run(fetches, feed)):
            np.testing.assert_allclose(got, want, **value_tol(np.float64))


@pytest.mark.parametrize("perms, expect", [((1, 0), []), ((2, 0, 1), [Op.TRANSPOSE])])
def test_transpose_of_transpose(perms: tuple, expect: list) -> None:
    rank = len(perms)
    x = gf.placeholder(gf.float64, (2, 3, 4)[:rank])
    inner = gf.transpose(x, perms)
    y = gf.transpose(inner, perms if rank == 2 else (1, 0, 2))
    assert [n.op for n in _compiled([y], [x]).nodes if n.op is not Op.PLACEHOLDER] == expect
    _same_as_reference([y], {x: np.random.RandomState(2).randn(*(2, 3, 4)[:rank])})


def test_an_activation_between_inverse_transposes_runs_in_the_inner_layout() -> None:
    x = gf.placeholder(gf.float64, (None, 5, 6, 3))
    b = gf.constant(np.arange(3.0) - 1.0)
    nchw = gf.transpose(x, NHWC_TO_NCHW)
    y = gf.nn.relu(nchw + gf.reshape(b, (1, 3, 1, 1))) * 2.0
    back = gf.transpose(y, NCHW_TO_NHWC)
    (g,) = gf.gradients(gf.reduce_sum(back * back), [x])
    program = _compiled([back, g], [x])
    assert _transposes(program) == []
    _same_as_reference([back, g], {x: np.random.RandomState(0).randn(2, 5, 6, 3)})


def test_a_pytorch_style_convnet_keeps_only_the_flatten_transposes() -> None:
    """NCHW layers on NHWC kernels: between the convolutions and poolings no activation is
    transposed either way; what stays is the flatten into the dense layer (forward and back)
    and the weights' OIHW <-> HWIO. The one-channel input's transpose is a reshape."""
    with gf.Graph().as_default():
        conv1, conv2 = gf.nn.Conv2d(1, 4, 3), gf.nn.Conv2d(4, 5, 3)
        fc = gf.nn.Linear(5 * 2 * 2, 3)
        x = gf.placeholder(gf.float32, (None, 1, 14, 14))
        h = gf.nn.MaxPool2d(2)(gf.nn.ReLU()(conv1(x)))
        h = gf.nn.MaxPool2d(2)(gf.nn.ReLU()(conv2(h)))
        loss = gf.reduce_sum(gf.square(fc(gf.nn.Flatten()(h))))
        params = [conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight]
        grads = gf.gradients(loss, params)
        program = _compiled([loss, *grads], [x])
        moved = [n.attrs.perm for n in program.nodes
                 if n.op is Op.TRANSPOSE and n.inputs[0].shape.dims[0] is None]
        assert sorted(moved) == sorted([NHWC_TO_NCHW, NCHW_TO_NHWC])  # the flatten and its gradient
        fed = program.feeds[0].outputs[0]
        assert [n.op for n in program.nodes if fed in n.inputs] == [Op.RESHAPE]
        v = np.random.RandomState(2).rand(3, 1, 14, 14).astype(np.float32)
        with gf.Session() as cpu, gf.Session(device="reference") as ref:
            cpu.run(gf.global_variables_initializer())
            ref.run(gf.global_variables_initializer())
            for p in params + [fc.bias]:
                p.load(cpu.run(p), ref)
            for got, want in zip(cpu.run([loss, *grads], {x: v}), ref.run([loss, *grads], {x: v})):
                np.testing.assert_allclose(got, want, **value_tol(np.float32))


def test_a_transpose_that_would_not_cancel_stays_where_it_was() -> None:
    """Sinking ``transpose(x) * 3`` gains nothing when the transpose is fetched anyway, and an
    operand that would itself need a transpose stops the sinking."""
    x = gf.placeholder(gf.float64, (2, 3, 4))
    z = gf.placeholder(gf.float64, (4, 2, 3))
    y = gf.exp(gf.transpose(x, (2, 0, 1)) * 3.0)
    mixed = gf.transpose(gf.transpose(x, (2, 0, 1)) + z, (1, 2, 0))
    program = build([y, mixed], [], [(x, 3), (z, 3)])
    assert layout.sink_transposes(program) is program
    rs = np.random.RandomState(3)
    _same_as_reference([y, mixed], {x: rs.randn(2, 3, 4), z: rs.randn(4, 2, 3)})


def _both(fetches: list, feed: dict | None = None) -> None:
    """The fetches on the CPU and on the reference device, both after the initializer."""
    with gf.Session() as cpu, gf.Session(device="reference") as ref:
        cpu.run(gf.global_variables_initializer())
        ref.run(gf.global_variables_initializer())
        for got, want in zip(cpu.run(fetches, feed), ref.run(fetches, feed)):
            np.testing.assert_allclose(got, want, **value_tol(np.float64))


def test_reads_of_a_variable_assigned_in_the_same_run_stay_where_they_were() -> None:
    """A variable's read sees its value before or after an assignment in the same run by how the
    reading node is ordered: the pass moves no read of a variable (a transpose of it, a reshape of
    a variable operand, a cancelled pair over it) to another node."""
    v = gf.Variable(np.arange(6.0).reshape(2, 3))
    t = gf.transpose(v, (1, 0))  # ordered after nothing: the value before the run's assignment
    a = gf.assign_add(v, np.ones((2, 3)))
    moved_later = gf.transpose(t + 0.0 * gf.reduce_sum(a), (1, 0))
    twice = gf.transpose(t, (1, 0))
    _both([moved_later, twice, gf.transpose(gf.nn.relu(t), (1, 0)), a])
    x = gf.placeholder(gf.float64, (2, 4, 5, 3))
    b = gf.Variable(np.arange(3.0).reshape(1, 3, 1, 1))
    after = gf.assign_add(b, np.ones((1, 3, 1, 1)))
    e = (gf.transpose(x, NHWC_TO_NCHW) + 0.0 * gf.reduce_sum(after)) + b  # reads b after the assignment
    _both([gf.transpose(e, NCHW_TO_NHWC)], {x: np.zeros((2, 4, 5, 3))})


def test_a_transpose_pair_over_a_variable_assigned_in_the_run_is_kept() -> None:
    """transpose(transpose(v)) read by a node ordered after an assignment to v: folded to v, the
    read would move to that node and see the assigned value; it sees the value before the run."""
    v = gf.Variable(np.arange(6.0).reshape(2, 3))
    twice = gf.transpose(gf.transpose(v, (1, 0)), (1, 0))
    a = gf.assign_add(v, np.ones((2, 3)))
    y = gf.matmul(twice, gf.ones((3, 2), gf.float64) * (1.0 + 0.0 * gf.reduce_sum(a)))
    with gf.Session() as cpu, gf.Session(device="reference") as ref:
        cpu.run(gf.global_variables_initializer())
        ref.run(gf.global_variables_initializer())
        for before in (np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3) + 1):
            got = cpu.run(y)
            np.testing.assert_allclose(got, ref.run(y), **value_tol(np.float64))
            np.testing.assert_allclose(got, before.sum(1, keepdims=True) * np.ones((1, 2)))
