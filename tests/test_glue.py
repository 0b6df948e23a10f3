"""Python glue over shared kernels (compiler/cpu.py, compiler/kernels.py): kernels are shared
across graphs, sizes and ranks, an optimizer's updates of a variable and its slots are one loop,
and every result still agrees with the numpy reference."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf


@pytest.fixture(autouse=True)
def _glue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")


def test_kernels_are_shared_across_graphs_and_sizes() -> None:
    """The same loop over other static sizes, in another graph, is the same kernel."""
    kernels = []
    for rows, cols in ((4, 8), (16, 3)):
        with gf.Graph().as_default():
            a = gf.placeholder(gf.float32, (rows, cols))
            y = gf.sigmoid(a) * a
            with gf.Session() as sess:
                v = np.linspace(-2, 2, rows * cols, dtype=np.float32).reshape(rows, cols)
                np.testing.assert_allclose(sess.run(y, {a: v}), v / (1 + np.exp(-v)), rtol=1e-5, atol=1e-6)
                ((_, _, exe),) = sess._cache.values()
                assert exe.generated.glue
                kernels.append(exe.kernels)
    assert len(kernels[0]) == len(kernels[1]) == 1
    assert kernels[0][0] is kernels[1][0]


def test_integer_literals_are_lifted_except_shape_indices() -> None:
    from graphflow.compiler.kernels import lift_literals
    body, consts = lift_literals("    o = np.empty((64, 3), dtype=np.float32)\n    d = p0.shape[2] + 1 - 0.5\n"
                                 "    raise ValueError('graphflow-error-5')")
    assert consts == [64, 3, 1]
    assert "np.empty((c0, c1)" in body and "p0.shape[2] + c2 - 0.5" in body and "graphflow-error-5" in body



def test_elementwise_loops_are_one_kernel_for_every_rank() -> None:
    a = gf.placeholder(gf.float32, (3, 4))
    b = gf.placeholder(gf.float32, (12,))
    ya, yb = gf.tanh(a) * a, gf.tanh(b) * b
    with gf.Session() as sess:
        va, vb = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), np.linspace(2, 3, 12, dtype=np.float32)
        got_a, got_b = sess.run([ya, yb], {a: va, b: vb})
        np.testing.assert_allclose(got_a, np.tanh(va) * va, rtol=1e-6)
        np.testing.assert_allclose(got_b, np.tanh(vb) * vb, rtol=1e-6)
        ((_, _, exe),) = sess._cache.values()
        assert len({id(k) for k in exe.kernels}) == 1 and len(exe.kernels) == 2


@pytest.mark.parametrize("make", [lambda: gf.train.AdamOptimizer(0.05),
                                  lambda: gf.train.RMSPropOptimizer(0.01, momentum=0.9),
                                  lambda: gf.train.MomentumOptimizer(0.1, 0.9)], ids=["adam", "rmsprop", "momentum"])
def test_an_optimizers_updates_of_a_variable_are_one_kernel(make) -> None:  # type: ignore[no-untyped-def]
    rs = np.random.RandomState(0)
    x_v, y_v = rs.randn(16, 5).astype(np.float32), rs.randn(16, 3).astype(np.float32)
    runs = []
    for device in ("cpu", "reference"):
        with gf.Graph().as_default():
            x, y = gf.placeholder(gf.float32, (16, 5)), gf.placeholder(gf.float32, (16, 3))
            w = gf.Variable(rs.randn(5, 3).astype(np.float32) if device == "cpu" else runs[0][2])
            b = gf.Variable(np.zeros(3, np.float32))
            loss = gf.reduce_mean(gf.square(gf.matmul(x, w) + b - y))
            train = make().minimize(loss)
            with gf.Session(device=device) as sess:
                sess.run(gf.global_variables_initializer())
                start = sess.run(w)
                losses = [sess.run([loss, train], {x: x_v, y: y_v})[0] for _ in range(10)]
                runs.append((losses, sess.run(w), start))
                if device == "cpu":
                    exe = max((e for _, _, e in sess._cache.values()), key=lambda e: len(e.kernels))
                    writes = [k for k in exe.generated.kernels if sum(kind == "dst" for kind, _ in k.extras) > 1]
                    assert len(writes) == 2  # w with its slots, b with its slots: one loop each
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=2e-5)
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=2e-5, atol=1e-6)
