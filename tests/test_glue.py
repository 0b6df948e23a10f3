"""Python glue over shared kernels (compiler/cpu/lower.py, compiler/kernels.py): kernels are shared
across graphs, sizes and ranks, an optimizer's updates of a variable and its slots are one loop,
and every result still agrees with the numpy reference."""
from __future__ import annotations

import re

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


def test_a_run_time_batch_dim_keeps_one_flat_kernel_for_every_rank() -> None:
    """relu of a [None, 4, 5] and of a [None, 3] tensor: the one non-scalar input sets the loop's
    shape, so both are the same flat loop (no broadcasting variant compiled)."""
    a = gf.placeholder(gf.float32, (None, 4, 5))
    b = gf.placeholder(gf.float32, (None, 3))
    ya, yb = gf.nn.relu(a) * 2.0, gf.nn.relu(b) * 2.0
    va = np.random.RandomState(0).randn(2, 4, 5).astype(np.float32)
    vb = np.random.RandomState(1).randn(7, 3).astype(np.float32)
    with gf.Session() as sess:
        got_a, got_b = sess.run([ya, yb], {a: va, b: vb})
        np.testing.assert_array_equal(got_a, np.maximum(va, 0) * 2)
        np.testing.assert_array_equal(got_b, np.maximum(vb, 0) * 2)
        assert got_a.shape == (2, 4, 5) and got_b.shape == (7, 3)
        ((_, _, exe),) = sess._cache.values()
        assert len(exe.kernels) == 2 and exe.kernels[0] is exe.kernels[1]
        assert exe.generated.kernels[0].flat and "if p" not in exe.generated.kernels[0].source  # no shape test


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


def test_loop_free_kernels_run_as_python_and_loops_compile() -> None:
    from graphflow.compiler.kernels import interpretable
    assert interpretable("    o1 = p0.reshape((c0, c1))\n    return o1", set())
    assert interpretable("    if not (p0.shape[0] == c0):\n        raise ValueError('graphflow-error-0')\n"
                         "    o5 = _m0.conv2d(p0, p1, c1, pad2)\n    return o5", {"_m0"})
    assert not interpretable("    for i1 in range(c0):\n        r0[i1] = p0[i1]", set())
    assert not interpretable("    np.dot(p0, p1, r0)\n    return r0", set())  # numba's np.dot is compiled
    assert not interpretable("    o1 = np.sort(p0)\n    return o1", set())  # not known to behave alike
    assert not interpretable("    o1 = _m1.f(p0)\n    return o1", {"_m0"})


def test_interpreted_kernels_agree_and_stay_quiet_about_division_by_zero() -> None:
    """A reshape, a convolution wrapper and an optimizer's scalar arithmetic run as Python in the
    glue; results match the reference and numpy's floating-point warnings stay off, as in
    compiled code."""
    import warnings
    x = gf.placeholder(gf.float32, (None, 6, 6, 2))
    d = gf.placeholder(gf.float32, ())
    f = gf.Variable(np.random.RandomState(0).randn(3, 3, 2, 4).astype(np.float32) * 0.3)
    y = gf.reshape(gf.nn.relu(gf.nn.conv2d(x, f, 1, "SAME")), (-1, 144))
    loss = gf.reduce_mean(gf.square(y)) + gf.reduce_sum(gf.square(f)) / d
    train = gf.train.AdamOptimizer(0.01).minimize(gf.reduce_mean(gf.square(y)))
    xv = np.random.RandomState(1).randn(3, 6, 6, 2).astype(np.float32)
    ref = gf.Session(device="reference")
    ref.run(gf.global_variables_initializer())
    ref.run(train, {x: xv})
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = sess.run(loss, {x: xv, d: 0.0})
            sess.run(train, {x: xv})
        assert np.isinf(got)
        kinds = [k for _, _, e in sess._cache.values() for k in e.generated.kernels]
        assert any(k.interpreted for k in kinds) and any(not k.interpreted for k in kinds)
        np.testing.assert_allclose(sess.run(f), ref.run(f), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sess.run(loss, {x: xv, d: 2.0}), ref.run(loss, {x: xv, d: 2.0}), rtol=1e-5)


def test_a_broadcast_gradient_takes_its_shortcut_or_sums() -> None:
    """The gradient of a broadcast with a run-time batch dim is the incoming gradient itself when
    shapes agree (the glue's shortcut: its kernel is not compiled for that run) and a sum when they
    do not."""
    from graphflow.compiler.program import build
    from graphflow.runtime.executable import Executable
    a = gf.placeholder(gf.float32, (None, 3))
    b = gf.placeholder(gf.float32, (None, 3))
    ga, gb = gf.gradients(gf.reduce_sum((a + b) * gf.constant([1.0, 2.0, 3.0])), [a, b])
    exe = Executable(build([ga, gb], [], [(a, 2), (b, 2)]), gf.Session().state)
    cut = [d for k, d in zip(exe.generated.kernels, exe.kernels) if k.shortcut is not None]
    assert cut
    before = [len(d.signatures) for d in cut]
    same = exe([np.ones((4, 3), np.float32), np.ones((4, 3), np.float32)])
    assert [len(d.signatures) for d in cut] == before
    np.testing.assert_array_equal(same[0], np.tile([1, 2, 3], (4, 1)))
    np.testing.assert_array_equal(same[1], np.tile([1, 2, 3], (4, 1)))
    summed = exe([np.ones((1, 3), np.float32), np.ones((4, 3), np.float32)])
    np.testing.assert_array_equal(summed[0], [[4, 8, 12]])
    np.testing.assert_array_equal(summed[1], np.tile([1, 2, 3], (4, 1)))


def test_inputs_of_one_run_time_shape_take_the_flat_loop_and_broadcasts_still_work() -> None:
    """a * b + a with both [None, 3]: the glue compares the shapes and runs the flat kernel; a
    broadcast ([1, 3] against [4, 3]) runs the general kernel, compiled only then; incompatible
    shapes are still the node's error."""
    from graphflow.compiler.program import build
    from graphflow.core.errors import InvalidArgumentError
    from graphflow.runtime.executable import Executable
    a = gf.placeholder(gf.float32, (None, 3))
    b = gf.placeholder(gf.float32, (None, 3))
    y = a * b + a
    exe = Executable(build([y], [], [(a, 2), (b, 2)]), gf.Session().state)
    flat = [k for k in exe.generated.kernels if k.flat]
    general = [d for k, d in zip(exe.generated.kernels, exe.kernels) if k.lazy]
    assert len(flat) == 1 and len(general) == 1
    before = len(general[0].signatures)
    va = np.arange(12, dtype=np.float32).reshape(4, 3)
    vb = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(exe([va, vb])[0], va * vb + va)
    assert len(general[0].signatures) == before
    np.testing.assert_array_equal(exe([va[:1], vb])[0], va[:1] * vb + va[:1])
    np.testing.assert_array_equal(exe([va, vb[2:3]])[0], va * vb[2:3] + va)
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2,3\] vs. \[4,3\]"):
        exe([va[:2], vb])


def test_full_reductions_are_flat_for_every_rank() -> None:
    """reduce_sum over every dim of a [None, 4, 5] and a [None, 3] tensor is one flat kernel, and
    the mean of a product of two run-time-shaped tensors is a flat loop behind a shape test; the
    sums run in the nested loops' order, so results are the same."""
    a = gf.placeholder(gf.float32, (None, 4, 5))
    b = gf.placeholder(gf.float32, (None, 3))
    c = gf.placeholder(gf.float32, (None, 3))
    sa, sb, m = gf.reduce_sum(a * 2.0), gf.reduce_sum(b * 2.0), gf.reduce_mean(b * c)
    va = np.random.RandomState(0).randn(2, 4, 5).astype(np.float32)
    vb = np.random.RandomState(1).randn(7, 3).astype(np.float32)
    vc = np.random.RandomState(2).randn(7, 3).astype(np.float32)
    with gf.Session() as sess:
        got = sess.run([sa, sb, m], {a: va, b: vb, c: vc})
        ((_, _, exe),) = sess._cache.values()
    np.testing.assert_allclose(got[0], (va.astype(np.float64) * 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(got[1], (vb.astype(np.float64) * 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(got[2], (vb.astype(np.float64) * vc).mean(), rtol=1e-6)
    assert exe.kernels[0] is exe.kernels[1] and exe.generated.kernels[0].flat
    assert [k.flat for k in exe.generated.kernels[2:]] == [True, False]  # the guarded pair
    with gf.Session() as sess:  # a broadcast takes the general kernel
        np.testing.assert_allclose(sess.run(m, {b: vb, c: vc[:1]}), (vb.astype(np.float64) * vc[:1]).mean(),
                                   rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_sgd_update_of_a_matmul_gradient_is_one_gemm_into_the_variable(dtype) -> None:  # type: ignore[no-untyped-def]
    """w.assign(w - lr * g) and GradientDescentOptimizer's w -= lr * g, with g a weight gradient
    x^T @ dy: the glue calls BLAS with alpha -lr and beta 1 on the variable's buffer (no product
    buffer, no update loop); values match the numpy reference step after step."""
    rng = np.random.RandomState(0)
    xv, yv = rng.randn(6, 5).astype(dtype), rng.randn(6, 3).astype(dtype)
    w0, v0 = rng.randn(5, 4).astype(dtype), rng.randn(4, 3).astype(dtype)
    x = gf.placeholder(dtype, (None, 5))
    y = gf.placeholder(dtype, (None, 3))
    w, v = gf.Variable(w0), gf.Variable(v0)
    h = gf.nn.relu(gf.matmul(x, w))
    loss = gf.reduce_sum(gf.square(gf.matmul(h, v) - y))
    gw, gv = gf.gradients(loss, [w, v])
    manual = [w.assign(w - 0.01 * gw), v.assign(v - gv * 0.01)]
    sgd = gf.train.GradientDescentOptimizer(0.01).minimize(loss)
    for train in (manual, sgd):
        ww, vv = w0.astype(np.float64), v0.astype(np.float64)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: xv, y: yv})
                hh = np.maximum(xv @ ww, 0)
                d = 2 * (hh @ vv - yv)
                gvv, gww = hh.T @ d, xv.T @ ((d @ vv.T) * (hh > 0))
                ww, vv = ww - 0.01 * gww, vv - 0.01 * gvv
            np.testing.assert_allclose(sess.run(w), ww, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(sess.run(v), vv, rtol=1e-4, atol=1e-5)
            exe = max((e for _, _, e in sess._cache.values()), key=lambda e: len(e.generated.kernels))
            # the two updates are GEMMs into the variables (beta 1); the products the gradients
            # need are GEMMs into fresh buffers (beta 0)
            assert sum(re.search(r"\.gemm\(.*, 1\.0\)\n", k.source) is not None
                       for k in exe.generated.kernels) == 2


def test_a_matmul_that_reads_the_variable_it_updates_is_not_a_gemm_update() -> None:
    """w - lr * (w^T @ w)-shaped updates read the variable the GEMM would write: they stay a
    product and a loop (BLAS must not see its output among its inputs)."""
    w0 = np.random.RandomState(1).randn(3, 3)
    w = gf.Variable(w0)
    step = w.assign(w - 0.1 * gf.matmul(w, w, transpose_a=True))
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(step)
        np.testing.assert_allclose(sess.run(w), w0 - 0.1 * w0.T @ w0, rtol=1e-12)
        from graphflow.core.registry import Op
        (exe,) = [e for _, _, e in sess._cache.values() if any(n.op is Op.MATMUL for n in e.program.nodes)]
        # the product is a GEMM into a fresh buffer (beta 0), none into the variable (beta 1)
        assert any(re.search(r"\.gemm\(.*, 0\.0\)\n", k.source) for k in exe.generated.kernels)
        assert not any(re.search(r"\.gemm\(.*, 1\.0\)\n", k.source) for k in exe.generated.kernels)


def test_slices_and_concat_are_numpy_copies_in_the_glue() -> None:
    """x[:, t, :], concat and the slices' gradients: loop-free kernels run as Python, no compile,
    with values (negative strides and dropped dims included) and gradients as numpy's."""
    x = gf.placeholder(gf.float32, (None, 5, 4))
    h = gf.placeholder(gf.float32, (None, 3))
    parts = [gf.concat([x[:, t, :], h], 1) for t in (0, 3)] + [x[:, ::-2, 1:], x[:, -1, ::-1]]
    loss = gf.add_n([gf.reduce_sum(p * p) for p in parts])
    (gx,) = gf.gradients(loss, [x])
    xv = np.random.RandomState(0).randn(2, 5, 4).astype(np.float32)
    hv = np.random.RandomState(1).randn(2, 3).astype(np.float32)
    with gf.Session() as sess:
        got = sess.run(parts + [gx], {x: xv, h: hv})
        kinds = [k for _, _, e in sess._cache.values() for k in e.generated.kernels]
    want = [np.concatenate([xv[:, 0], hv], 1), np.concatenate([xv[:, 3], hv], 1), xv[:, ::-2, 1:], xv[:, -1, ::-1]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    gw = np.zeros_like(xv)
    gw[:, 0] += 2 * xv[:, 0]
    gw[:, 3] += 2 * xv[:, 3]
    gw[:, ::-2, 1:] += 2 * xv[:, ::-2, 1:]
    gw[:, -1, ::-1] += 2 * xv[:, -1, ::-1]
    np.testing.assert_allclose(got[-1], gw, rtol=1e-6)
    copies = [k for k in kinds if "] = p" in k.source and "for " not in k.source]
    assert copies and all(k.interpreted for k in copies)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", [(1, 1, 1, 1, 1, 1), (2, 1, 1, 2, 0, 2), (1, 2, 2, 1, 2, 0)],
                         ids=["same", "strided", "dilated"])
def test_the_glues_python_conv_drivers_compute_what_the_jitted_ones_do(dtype, geom, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """conv_calls' im2col drivers (Python chunk loop, BLAS through blas.gemm, accumulating the
    filter gradient with beta 1) against conv_kernels' jitted drivers, over several chunks, and
    conv_calls' own entries (the direct kernels where they serve) against both."""
    from graphflow.compiler.cpu import conv_calls, conv_kernels
    sh, sw, dh, dw, pt, pl = geom
    rng = np.random.RandomState(0)
    x, f = rng.randn(5, 9, 8, 3).astype(dtype), rng.randn(3, 2, 3, 4).astype(dtype)
    oh = (9 + 2 * pt - ((3 - 1) * dh + 1)) // sh + 1
    ow = (8 + 2 * pl - ((2 - 1) * dw + 1)) // sw + 1
    monkeypatch.setattr(conv_kernels, "CHUNK_ELEMS", 400)  # the Python drivers read it per call
    monkeypatch.setattr(conv_kernels, "SMALL_FILTER", 0)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    y = conv_calls.im2col_conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow)
    np.testing.assert_allclose(y, conv_kernels.conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow), **tol)
    np.testing.assert_allclose(conv_calls.conv2d(x, f, sh, sw, dh, dw, pt, pl, oh, ow), y, **tol)
    dy = rng.randn(*y.shape).astype(dtype)
    gx = conv_kernels.conv2d_backprop_input(dy, f, 5, 9, 8, sh, sw, dh, dw, pt, pl)
    np.testing.assert_allclose(conv_calls.im2col_backprop_input(dy, f, 5, 9, 8, sh, sw, dh, dw, pt, pl), gx, **tol)
    np.testing.assert_allclose(conv_calls.conv2d_backprop_input(dy, f, 5, 9, 8, sh, sw, dh, dw, pt, pl), gx, **tol)
    gf_ = conv_kernels.conv2d_backprop_filter(x, dy, 3, 2, sh, sw, dh, dw, pt, pl)
    np.testing.assert_allclose(conv_calls.im2col_backprop_filter(x, dy, 3, 2, sh, sw, dh, dw, pt, pl), gf_, **tol)
    np.testing.assert_allclose(conv_calls.conv2d_backprop_filter(x, dy, 3, 2, sh, sw, dh, dw, pt, pl), gf_, **tol)
    assert conv_calls._images_per_chunk(5, oh * ow, 18) < 5  # the chunk loop ran more than once


def _conv_net_grads(glue: str, monkeypatch: pytest.MonkeyPatch, dtype: type) -> list[np.ndarray]:
    """A two-convolution net's loss and gradients (input, both filters) as one program runs them."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    rng = np.random.RandomState(3)
    d = gf.float32 if dtype == np.float32 else gf.float64
    with gf.Graph().as_default():
        x = gf.placeholder(d, [None, 9, 11, 12])
        w1 = gf.Variable(rng.randn(3, 3, 12, 16).astype(dtype) * 0.2)
        w2 = gf.Variable(rng.randn(2, 3, 16, 24).astype(dtype) * 0.2)
        h = gf.nn.relu(gf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"))
        y = gf.nn.conv2d(h, w2, [1, 1, 1, 1], "VALID")
        loss = gf.reduce_sum(y * y)
        grads = gf.gradients(loss, [x, w1, w2])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            return sess.run([loss] + grads, {x: rng.randn(5, 9, 11, 12).astype(dtype)})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_glue_runs_convolutions_on_the_direct_kernels(dtype, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """In glue, convolutions with channels that fill the tiles (16, 24; the input gradient's 12
    and 16) take the generated direct kernels, and agree with the inline entry's im2col ones."""
    from graphflow.compiler.cpu.simd import conv as simd_conv
    if not simd_conv.usable(dtype):
        pytest.skip(f"this host's vectors hold fewer than 4 {np.dtype(dtype).name}: im2col serves it")
    calls = []
    for name in ("conv2d", "conv2d_backprop_input", "conv2d_backprop_filter"):
        original = getattr(simd_conv, name)
        monkeypatch.setattr(simd_conv, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    direct = _conv_net_grads("1", monkeypatch, dtype)
    assert {"conv2d", "conv2d_backprop_input", "conv2d_backprop_filter"} <= set(calls)
    calls.clear()
    im2col = _conv_net_grads("0", monkeypatch, dtype)
    assert not calls
    tol = dict(rtol=2e-4, atol=2e-3) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-9)
    for a, b in zip(direct, im2col):
        np.testing.assert_allclose(a, b, **tol)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("m,n,k", [(600, 140, 200), (40, 800, 520)])
def test_large_products_split_between_threads_agree_and_leave_the_blas_count(ta, tb, m, n, k,
                                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """gemm_calls splits a product above POOL_GEMM_FLOPS into row or column blocks (one per
    step thread), with OpenBLAS's count at one meanwhile and the step's count after."""
    from graphflow.compiler.cpu import gemm_calls, gemm_threads, split
    if not gemm_threads.LIBRARY.controllable:
        pytest.skip(f"the BLAS count cannot be set here: {gemm_threads.LIBRARY.reason}")
    rng = np.random.RandomState(m + n)
    a = rng.randn(*((k, m) if ta else (m, k)))
    b = rng.randn(*((n, k) if tb else (k, n)))
    c0 = rng.randn(m, n)
    want = 0.5 * (a.T if ta else a) @ (b.T if tb else b) - 2.0 * c0
    seen = []
    monkeypatch.setattr(split, "run", lambda n_, parts, part, align=1, _run=split.run:
                        seen.append((n_, parts, gemm_threads.LIBRARY.get_threads())) or _run(n_, parts, part, align))
    monkeypatch.setattr(gemm_threads.STEP_THREADS, "value", 2)
    user = gemm_threads.LIBRARY.get_threads()
    try:
        gemm_threads.LIBRARY.set_threads(2)
        c = c0.copy()
        gemm_calls.gemm(a, ta, b, tb, c, 0.5, -2.0)
        assert gemm_threads.LIBRARY.get_threads() == 2  # the step's count again
    finally:
        gemm_threads.LIBRARY.set_threads(user)
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-11)
    assert seen == [(max(m, n), 2, 1)]  # split along the longer side, on BLAS's one thread


@pytest.mark.parametrize("threads", [2, 3])
def test_the_glues_max_pool_splits_its_batch_and_computes_the_same(threads, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from graphflow.compiler.cpu import conv_calls, conv_kernels, split
    monkeypatch.setattr(split, "step_threads", lambda: threads)
    parts = []
    monkeypatch.setattr(split, "run", lambda n, p, part, align=1, _run=split.run: parts.append(p) or _run(n, p, part, align))
    rng = np.random.RandomState(threads)
    x = rng.randn(5, 40, 41, 16).astype(np.float32)  # above POOL_SPLIT elements
    x[0, 3, 4, 5] = np.nan  # a NaN wins its window, as TF1
    geo = (3, 2, 2, 2, 1, 0, 20, 20)
    y = conv_calls.max_pool(x, *geo)
    np.testing.assert_array_equal(y, conv_kernels.max_pool(x, *geo))
    g = rng.randn(*y.shape).astype(np.float32)
    np.testing.assert_array_equal(conv_calls.max_pool_route(x, g, False, *geo),
                                  conv_kernels.max_pool_route(x, g, False, *geo))
    gx = rng.randn(*x.shape).astype(np.float32)
    np.testing.assert_array_equal(conv_calls.max_pool_route(x, gx, True, *geo),
                                  conv_kernels.max_pool_route(x, gx, True, *geo))
    assert parts == [threads] * 3


@pytest.mark.parametrize("shape,k,dtype", [((3, 28, 28, 32), 2, np.float32), ((2, 7, 9, 3), 2, np.float32),
                                           ((2, 10, 11, 17), 3, np.float32), ((1, 4, 4, 1), 4, np.float32),
                                           ((2, 28, 28, 6), 2, np.float32), ((2, 9, 8, 13), 2, np.float64)])
def test_the_tiled_max_pool_gradient_agrees_with_the_general_one(shape, k, dtype, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Windows that tile the input (strides = window, no padding) take a kernel that writes each
    cell once, channels a vector at a time (tails masked); it routes every gradient to its window's
    first maximum, as the general kernel does, ties, NaN (winning only as a first cell), an
    infinite gradient and the rows and columns no window covers included, split between threads
    or not."""
    from graphflow.compiler.cpu import conv_calls, conv_kernels, split
    rng = np.random.RandomState(k)
    x = rng.randint(0, 3, size=shape).astype(dtype)  # many ties
    x.reshape(-1)[::7] = rng.randn(x.size // 7 + (x.size % 7 > 0))
    x[0, 0, 0, 0] = np.nan
    x[-1, 1, 1, -1] = np.nan  # a later cell of its window: never the winner
    oh, ow = shape[1] // k, shape[2] // k
    geo = (k, k, k, k, 0, 0, oh, ow)
    assert conv_calls.tiles(k, k, k, k, 0, 0, shape[1], shape[2], oh, ow)
    g = rng.randn(shape[0], oh, ow, shape[3]).astype(dtype)
    g[0, 0, 0, 0] = np.inf
    want = conv_kernels.max_pool_route(x, g, False, *geo)
    for threads in (1, 2):
        monkeypatch.setattr(split, "step_threads", lambda: threads)
        np.testing.assert_array_equal(conv_calls.max_pool_route(x, g, False, *geo), want)
    out = np.full(x.shape, np.nan, dtype)  # every cell written
    conv_kernels.max_pool_scatter_tiled_into(x, g, k, k, oh, ow, out, 0, shape[0])
    np.testing.assert_array_equal(out, want)
    assert not conv_calls.tiles(k, k, k, k, 0, 0, oh * k - 1, shape[2], oh, ow)  # a window past the edge


def test_a_large_optimizer_update_splits_between_threads_and_computes_the_same(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A fused Adam update of a variable above split.FLAT_SPLIT elements goes through split.flat,
    which runs it on two threads over halves of its flat arrays: the same values as one call."""
    from graphflow.compiler.cpu import split
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(split, "step_threads", lambda t=threads: t)
        calls = []
        monkeypatch.setattr(split, "run", lambda n, p, part, align=1, _run=split.run: calls.append(p) or _run(n, p, part, align))
        with gf.Graph().as_default():
            rng = np.random.RandomState(0)
            w = gf.Variable(rng.randn(600, 500).astype(np.float32))
            x = gf.placeholder(gf.float32, [None, 600])
            loss = gf.reduce_mean(gf.square(gf.matmul(x, w)))
            train = gf.train.AdamOptimizer(0.01).minimize(loss)
            with gf.Session() as sess:
                sess.run(gf.global_variables_initializer())
                for _ in range(3):
                    sess.run(train, {x: rng.randn(8, 600).astype(np.float32)})
                assert any(".flat(" in e.generated.source for _, _, e in sess._cache.values() if e.generated.glue)
                results.append(sess.run(w))
        assert (set(calls) == {2}) if threads == 2 else not calls
    np.testing.assert_array_equal(results[0], results[1])


def test_concurrent_splits_of_different_widths_share_the_pool() -> None:
    """Steps of several threads split work at once, with different part counts: the pool grows
    under its lock, and no part is handed to a pool another thread has just replaced."""
    import threading

    from graphflow.compiler.cpu import split
    errors: list[BaseException] = []
    totals: list[int] = []

    def worker(parts: int) -> None:
        try:
            for _ in range(200):
                seen = np.zeros(50, np.int64)
                split.run(50, parts, lambda _, lo, hi: seen.__setitem__(slice(lo, hi), seen[lo:hi] + 1))
                totals.append(int(seen.sum()))
        except BaseException as e:  # noqa: BLE001  (reported below)
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(p,)) for p in (2, 3, 4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert totals == [50] * 800  # every element once, every time


def test_a_glue_program_whose_only_blas_is_a_split_product_runs_under_the_thread_policy() -> None:
    """The glue's 2-D products call gemm_calls: the step is counted (STEP_THREADS set), as for
    any other code that calls the BLAS."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 1000])  # 64 MFLOP at a batch of 64: split
        w = gf.Variable(np.ones((1000, 500), np.float32))
        y = gf.nn.relu(gf.matmul(x, w))
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(y, {x: np.ones((4, 1000), np.float32)})
            exe = next(e for _, _, e in sess._cache.values() if "gemm_calls" in "".join(k.source for k in e.generated.kernels))
            assert exe.blas_threads is not None


def test_a_check_of_the_glue_itself_names_its_own_node_after_a_kernels_check_ran() -> None:
    """The glue's own checks (a loop's stacks) are numbered in the program's errors, a kernel's
    in the kernel's: a glue check failing after a kernel with checks ran must not be read as
    that kernel's (it was: "Incompatible shapes: {0} vs. [1]" naming a strided slice)."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None])
        y = gf.reshape(x, [-1, 2]) * 2.0  # kernels with run-time checks run before the loop

        def body(i: gf.Tensor, ta: gf.TensorArray) -> tuple[gf.Tensor, gf.TensorArray]:
            return i + 1, ta.write(i, gf.cast(gf.range(i + 1), gf.float64) + y[0, 0])  # a longer row each time
        _, ta = gf.while_loop(lambda i, ta: i < 3, body,
                              [gf.constant(0), gf.TensorArray(gf.float64, size=3, infer_shape=False)])
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"changed shape between iterations(.|\n)*"
                                                                    r"in 'while' \(While\)"):
                sess.run([y, ta.stack()], {x: np.arange(4.0)})
            ((_, _, exe),) = sess._cache.values()
            assert exe.generated.glue
