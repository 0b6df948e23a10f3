"""Op checking shared by the op tests: compiled vs numpy, reference executor vs numpy, and
float64 gradient checks (central differences and the adjoint test)."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.platform.cuda import simulating
from tests.tolerances import ADJOINT, GRAD, GRAD_DELTA, value_tol

# GRAPHFLOW_TEST_CUDA=1 (with NUMBA_ENABLE_CUDASIM=1 on a machine without a GPU) adds the CUDA
# target: ops it has no kernel for yet skip, saying so (tests/conftest.py)
TARGETS: tuple[str, ...] = ("reference", "cpu") + \
    (("cuda",) if os.environ.get("GRAPHFLOW_TEST_CUDA") == "1" else ())
# Numba's simulator runs a kernel launch in Python threads (about a millisecond each): tests
# whose point is many launches (long host-driven loops) use fewer of them there
SIMULATED = simulating()
CUDA_PASS = SIMULATED and "cuda" in TARGETS


def run(fetches: Any, feeds: dict | None = None, device: str = "cpu") -> Any:
    """Run ``fetches`` in a fresh session (initialising variables) on ``device``."""
    with gf.Session(device=device) as sess:
        if gf.global_variables():
            sess.run(gf.global_variables_initializer())
        return sess.run(fetches, feeds)


def check_op(fn: Callable[..., Any], expected: Callable[..., Any], inputs: Sequence[np.ndarray],
             device: str = "cpu", tol: dict | None = None, feed_shapes: Sequence[Any] | None = None) -> None:
    """``fn(*placeholders)`` on ``device`` must match ``expected(*inputs)`` (numpy)."""
    phs = [gf.placeholder(gf.as_dtype(x.dtype), shape=(feed_shapes[i] if feed_shapes else x.shape))
           for i, x in enumerate(inputs)]
    out = fn(*phs)
    got = run(out, dict(zip(phs, inputs)), device)
    want = expected(*inputs)
    outs = got if isinstance(got, (list, tuple)) else [got]
    wants = want if isinstance(want, (list, tuple)) else [want]
    for g, w in zip(outs, wants):
        w = np.asarray(w)
        g = np.asarray(g)
        assert g.shape == w.shape, f"shape {g.shape} != expected {w.shape}"
        assert g.dtype == w.dtype or w.dtype.kind == g.dtype.kind, f"dtype {g.dtype} vs expected {w.dtype}"
        t = tol or value_tol(w.dtype)
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, **t, equal_nan=True)


def check_gradient(fn: Callable[..., Any], inputs: Sequence[np.ndarray], wrt: Sequence[int] | None = None,
                   device: str = "cpu", tol: dict | None = None, seed: int = 0) -> None:
    """float64 gradient check of ``fn`` at ``inputs``: symbolic vs central differences, plus the
    adjoint test <J u, v> = <u, J^T v> for random u, v."""
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    wrt = list(range(len(inputs))) if wrt is None else list(wrt)
    if CUDA_PASS:  # CI's simulator pass: the device against the CPU's values, which the passes
        device = "cpu"  # before it checked against central differences (in Python threads, they take minutes)
    phs = [gf.placeholder(gf.float64, shape=x.shape) for x in inputs]
    y = fn(*phs)
    rs = np.random.RandomState(seed)
    y_shape = tuple(y.shape.as_list())
    v = rs.standard_normal(y_shape)
    dy = gf.placeholder(gf.float64, shape=y_shape)
    grads = gf.gradients(y, [phs[i] for i in wrt], grad_ys=dy)
    feeds = dict(zip(phs, inputs))
    with gf.Session(device=device) as sess:
        jtv = sess.run([g if g is not None else gf.zeros(inputs[i].shape, gf.float64)
                        for g, i in zip(grads, wrt)], {**feeds, dy: v})
        base_y = np.asarray(sess.run(y, feeds))
        for k, i in enumerate([] if CUDA_PASS else wrt):
            x = inputs[i]
            # central differences of <y, v> along every coordinate
            num = np.zeros(x.size)
            flat = x.reshape(-1).copy()
            for j in range(x.size):
                old = flat[j]
                flat[j] = old + GRAD_DELTA
                plus = np.asarray(sess.run(y, {**feeds, phs[i]: flat.reshape(x.shape)}))
                flat[j] = old - GRAD_DELTA
                minus = np.asarray(sess.run(y, {**feeds, phs[i]: flat.reshape(x.shape)}))
                flat[j] = old
                num[j] = np.sum((plus - minus) * v) / (2 * GRAD_DELTA)
            np.testing.assert_allclose(np.asarray(jtv[k]).reshape(-1), num, **(tol or GRAD),
                                       err_msg=f"gradient wrt input {i}")
            # adjoint test: J u comes from differentiating <J^T v, u> with respect to v (a second
            # symbolic derivative), so it checks the rule's linearity and gradients of gradients too
            u = rs.standard_normal(x.shape)
            if grads[k] is not None:
                u_ph = gf.placeholder(gf.float64, shape=x.shape)
                (ju_t,) = gf.gradients(gf.reduce_sum(grads[k] * u_ph), [dy])
                ju = np.zeros(y_shape) if ju_t is None else np.asarray(sess.run(ju_t, {**feeds, dy: v, u_ph: u}))
                lhs = float(np.sum(ju * v))
                rhs = float(np.sum(u * np.asarray(jtv[k])))
                np.testing.assert_allclose(lhs, rhs, **ADJOINT, err_msg=f"adjoint test wrt input {i}")
        assert base_y.shape == y_shape
    if "cuda" in TARGETS and device != "cuda":
        # the CUDA target runs the same gradient graph: its values must be the ones just checked
        fetch = [g if g is not None else gf.zeros(inputs[i].shape, gf.float64) for g, i in zip(grads, wrt)]
        with gf.Session(device="cuda") as sess:
            try:
                on_device = sess.run([y] + fetch, {**feeds, dy: v})
            except gf.errors.UnimplementedError as e:
                if "CUDA target" not in str(e):
                    raise
                return  # an op the CUDA target has no kernel for yet (tests on "cuda" skip it: conftest.py)
        np.testing.assert_allclose(np.asarray(on_device[0]), base_y, **value_tol("float64"), err_msg="cuda: value")
        for k, (got, want) in enumerate(zip(on_device[1:], jtv)):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), **value_tol("float64"),
                                       err_msg=f"cuda: gradient wrt input {wrt[k]}")


def compiled_and_reference() -> tuple[Any, Any]:
    """A compiled Session and a reference-executor Session over the default graph, both
    initialised, the reference's trainable variables loaded with the compiled one's values (so
    random initialisers agree): enter both, then compare their runs."""
    s, ref = gf.Session(), gf.Session(device="reference")
    s.run(gf.global_variables_initializer())
    ref.run(gf.global_variables_initializer())
    for v in gf.trainable_variables():
        v.load(s.run(v), ref)
    return s, ref


def line_of(path: str, marker: str) -> int:
    """Line number in ``path`` of the line containing ``marker`` (for source-line assertions)."""
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "line_of" not in line:
                return i
    raise AssertionError(marker)
