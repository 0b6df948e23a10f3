"""The compile helper (runtime/compile_pool.py) compiles kernels for the argument types the glue
will pass: those guesses must be exactly the types numba sees at the first run, or the helper's
work is wasted."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphflow as gf
from graphflow.runtime import compile_pool
from graphflow.runtime.compile_pool import _numba_type


def test_predicted_argument_types_are_the_ones_the_glue_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHFLOW_GLUE", "1")
    x = gf.placeholder(gf.float32, (None, 6, 4))
    labels = gf.placeholder(gf.int64, (None,))
    w = gf.Variable(np.random.RandomState(0).randn(8, 3).astype(np.float32))
    b = gf.Variable(np.zeros(3, np.float32))
    step = gf.Variable(0, dtype=gf.int32)
    h = gf.concat([x[:, 1, :], x[:, 2, :]], 1)
    logits = gf.matmul(gf.tanh(h), w) + b
    a, c = gf.split(logits, [1, 2], axis=1)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)) + \
        gf.reduce_sum(a) * 0.0 + gf.reduce_sum(c * c) * 1e-3
    train = gf.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        feed = {x: np.random.RandomState(1).randn(5, 6, 4), labels: [0, 1, 2, 1, 0]}
        sess.run([train, loss], feed)
        exe = next(e for _, _, e in sess._cache.values() if e.generated.glue and len(e.kernels) > 8)
    checked = 0
    for kernel, types, k in zip(exe.kernels, exe.generated.arg_types, exe.generated.kernels):
        if k.interpreted or k.lazy:  # never compiled (or only when a fast path does not apply)
            assert k.interpreted == (not hasattr(kernel, "signatures"))
            continue
        checked += 1
        predicted = tuple(_numba_type(d, n) for d, n in types)
        assert predicted in [tuple(sig) for sig in kernel.signatures], (kernel.py_func.__module__, predicted,
                                                                          kernel.signatures)
    assert checked >= 5  # the compiled ones (loop-free kernels run as Python)


def test_helper_fills_the_cache_for_a_new_graph(tmp_path: object) -> None:
    """A graph with many uncached kernels, in a fresh cache: the helper compiles every one of them
    for the predicted types, and the first run then loads them all instead of compiling."""
    script = textwrap.dedent("""
        import numpy as np, graphflow as gf
        from graphflow.compiler.program import build
        from graphflow.runtime import compile_pool
        from graphflow.runtime.executable import Executable
        x = gf.placeholder(gf.float32, (8, 16))
        ops = [gf.sin, gf.cos, gf.tanh, gf.sigmoid, gf.exp, gf.square, gf.abs, gf.negative]
        h, outs = x, []
        for k in range(12):  # twelve different elementwise chains, each ended by a reduction
            h = ops[k % 8](ops[(k * 3 + 1) % 8](h)) * ops[(k + 5) % 8](h)
            outs.append(gf.reduce_sum(h, axis=k % 2))
        y = gf.add_n([gf.reduce_sum(o) for o in outs])
        sess = gf.Session()
        exe = Executable(build([y], [], [(x, 2)]), sess.state)
        assert exe.helping
        compile_pool.wait()  # the helper reports its batches done
        units = [k for k in {id(k): k for k in exe.kernels}.values() if hasattr(k, "signatures")]
        assert not any(compile_pool.uncached(u) for u in units)
        value = float(exe([np.ones((8, 16), np.float32)])[0])
        want = float(gf.Session(device="reference").run(y, {x: np.ones((8, 16), np.float32)}))
        print(sum(sum(u.stats.cache_hits.values()) for u in units), sum(sum(u.stats.cache_misses.values())
              for u in units), len(units), value, want)
    """)
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path), GRAPHFLOW_GLUE="1",
               GRAPHFLOW_COMPILE_WORKERS="1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    hits, misses, units, value, want = out.stdout.split()
    assert int(units) >= 12 and int(hits) == int(units) and int(misses) == 0
    assert float(value) == pytest.approx(float(want), rel=1e-5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see whether the helper still runs")
def test_helper_ends_with_its_parent(tmp_path: object) -> None:
    """A helper left working when its process exits would compete with whatever runs next."""
    import time
    script = textwrap.dedent("""
        import graphflow as gf
        from graphflow.runtime import compile_pool
        gf.tanh(gf.placeholder(gf.float32, ()))  # its float32 tanh is not cached: a helper starts
        gf.Session()
        print(compile_pool._helper[0].pid)
    """)
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path),
               GRAPHFLOW_COMPILE_WORKERS="1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as f:
                if "zombie" in f.read():
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"compile helper {pid} still runs after its parent exited")


def test_no_helper_starts_where_the_graphs_library_is_cached(tmp_path: object) -> None:
    """A Session whose graph calls no uncached library function starts no helper (its numba
    import would take a core from the first steps); one that does, starts one, which fills the
    cache for the next process."""
    script = textwrap.dedent("""
        import graphflow as gf
        from graphflow.runtime import compile_pool
        gf.sigmoid(gf.placeholder(gf.float32, ()))
        gf.Session()
        print(len(compile_pool._helper))
        compile_pool.wait()
    """)
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path),
               GRAPHFLOW_COMPILE_WORKERS="1")
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert [r.stdout.split()[0] for r in runs] == ["1", "0"]


def test_the_helper_prepares_a_graphs_direct_convolutions(tmp_path: object) -> None:
    """A Session over a graph with convolutions hands the helper one ``prepare`` call per kernel
    (gradients first, specialised on the static shapes, not the batch); the helper's calls leave
    the direct kernels' specialisations in the cache, where another process's first run of
    another batch size finds them."""
    helper = textwrap.dedent("""
        import numpy as np, graphflow as gf
        from graphflow.runtime import compile_pool
        x = gf.placeholder(gf.float32, (None, 10, 9, 8))
        w = gf.Variable(np.random.RandomState(0).randn(3, 3, 8, 16).astype(np.float32))
        y = gf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
        grads = gf.gradients(gf.reduce_sum(y * y), [x, w])
        jobs = [j for j in compile_pool._library_jobs(gf.get_default_graph()) if "call" in j]
        assert all(compile_pool._library_uncached(j) for j in jobs)
        compile_pool._compile(jobs)  # as the helper runs them
        assert not any(compile_pool._library_uncached(j) for j in jobs)
        print(" ".join(j["args"][0] for j in jobs))
    """)
    user = textwrap.dedent("""
        import numpy as np
        from graphflow.runtime import cache
        simd_conv = cache.library("graphflow.compiler.cpu.simd.conv")
        rng = np.random.RandomState(1)
        x, f = rng.randn(4, 10, 9, 8).astype(np.float32), rng.randn(3, 3, 8, 16).astype(np.float32)
        y = simd_conv.conv2d(x, f, 1, 1, 1, 1, 1, 1, 10, 9)
        simd_conv.conv2d_backprop_filter(x, y, 3, 3, 1, 1, 1, 1, 1, 1)
        loops = (simd_conv.tiles.forward_rows, simd_conv.tiles.filter_rows)
        print(sum(sum(d.stats.cache_hits.values()) for d in loops), sum(sum(d.stats.cache_misses.values()) for d in loops))
    """)
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", helper], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["filter", "input", "forward"]
    out = subprocess.run([sys.executable, "-c", user], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    hits, misses = out.stdout.split()
    assert int(hits) == 2 and int(misses) == 0  # the helper's calls compiled both; this run loaded them


def test_the_helpers_library_jobs_are_what_glue_calls_in_the_order_it_needs_them() -> None:
    """A CNN's jobs: the pooling functions glue calls (the ``_into`` ones, not the wrappers an
    inline entry calls), the GEMM a 2-D float matmul kernel calls, the cross-entropy rows, then
    the direct convolutions' ``prepare`` calls (gradients first), and im2col's functions, which
    only a convolution the direct kernels do not serve reaches, last (never before a prepare)."""
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float32, (None, 28, 28, 1))
        y = gf.placeholder(gf.int64, (None,))
        f1 = gf.Variable(np.zeros((5, 5, 1, 32), np.float32))
        f2 = gf.Variable(np.zeros((5, 5, 32, 64), np.float32))
        w = gf.Variable(np.zeros((7 * 7 * 64, 10), np.float32))
        h = gf.nn.max_pool(gf.nn.relu(gf.nn.conv2d(x, f1, [1, 1, 1, 1], "SAME")), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        h = gf.nn.max_pool(gf.nn.relu(gf.nn.conv2d(h, f2, [1, 1, 1, 1], "SAME")), [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        logits = gf.matmul(gf.reshape(h, [-1, 7 * 7 * 64]), w)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        gf.train.AdamOptimizer(1e-3).minimize(loss)
        jobs = compile_pool._library_jobs(g)
    names = [j.get("function") or f"prepare {j['args'][0]}" for j in jobs]
    # (the pools' windows tile their inputs: the gradient's kernel for that, not the general one)
    assert {"max_pool_into", "max_pool_scatter_tiled_into", "gemm", "softmax_xent", "softmax_xent_grad"} <= set(names)
    assert "max_pool" not in names and "max_pool_route" not in names and "max_pool_route_into" not in names
    first_prepare = names.index(next(n for n in names if n.startswith("prepare")))
    assert all(not n.startswith("prepare") for n in names[:first_prepare])
    assert names.index("gemm") < first_prepare and names.index("max_pool_scatter_tiled_into") < first_prepare
    prepares = [n for n in names if n.startswith("prepare")]
    assert prepares[-1] == "prepare forward" and prepares[0] != "prepare forward"
    # the first convolution's input gradient, which no program of a training graph runs, gets
    # neither its direct kernel nor im2col's fallback
    assert prepares.count("prepare input") == 1 and "_col2im" not in names
    im2col = [i for i, n in enumerate(names) if n in ("_im2col", "_col2im")]
    assert all(i > max(j for j, n in enumerate(names) if n.startswith("prepare")) for i in im2col)
    gemm = next(j for j in jobs if j.get("function") == "gemm")
    assert gemm["args"] == [["float32", 2], ["bool", -1], ["float32", 2], ["bool", -1], ["float32", 2],
                            ["float64", -1], ["float64", -1]]
