"""Session(device="cuda"), first part, in Numba's CUDA simulator (a separate process): the
tutorial two-layer net trains with the CPU path's losses, its variables stay on the device
between runs and a Saver round trip restores them; ops without CUDA kernels yet are refused by
name; without a GPU or the simulator the session says why."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphflow as gf
from tests.tolerances import value_tol

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import json, os, sys, tempfile
    import numpy as np
    import graphflow as gf
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float32, (None, 10)); y = gf.placeholder(gf.float32, (None, 3))
    w1 = gf.Variable(rs.randn(10, 6).astype(np.float32) * 0.5, name="w1")
    b1 = gf.Variable(np.zeros(6, np.float32), name="b1")
    w2 = gf.Variable(rs.randn(6, 3).astype(np.float32) * 0.5, name="w2")
    h = gf.maximum(gf.matmul(x, w1) + b1, 0.0)
    yp = gf.matmul(h, w2, transpose_b=False)
    loss = gf.reduce_sum((y - yp) ** 2.0) + 0.01 * gf.reduce_mean(gf.square(w1))
    train = gf.train.GradientDescentOptimizer(1e-2).minimize(loss)
    xv, yv = rs.rand(8, 10).astype(np.float32), rs.rand(8, 3).astype(np.float32)
    out = {}
    path = os.path.join(tempfile.mkdtemp(), "m")
    for dev in ("cpu", "cuda"):
        with gf.Session(device=dev) as s:
            s.run(gf.global_variables_initializer())
            out[dev] = [float(s.run([loss, train], {x: xv, y: yv})[0]) for _ in range(4)]
            out[dev + "_w1"] = s.run(w1).tolist()
            if dev == "cuda":
                gf.train.Saver().save(s, path, write_meta_graph=False)
                resident = sorted(s.state.device)
                out["resident"] = len(resident)
    with gf.Session(device="cuda") as s:
        gf.train.Saver().restore(s, path)
        out["restored_w1"] = s.run(w1).tolist()
        out["restored_loss"] = float(s.run(loss, {x: xv, y: yv}))
        image = gf.placeholder(gf.float32, (1, 4, 4, 1))
        try:
            s.run(gf.nn.conv2d(image, gf.ones((2, 2, 1, 1)), [1, 1, 1, 1], "SAME"), {image: np.ones((1, 4, 4, 1))})
        except gf.errors.UnimplementedError as e:
            out["refused"] = str(e)
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_two_layer_net_trains_on_the_cuda_path_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("numba.cuda", reason="CUDA needs numba-cuda (pip install 'numba-cuda[cu13]')")
    report = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(report)], env=dict(os.environ, NUMBA_ENABLE_CUDASIM="1"),
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(report.read_text())
    np.testing.assert_allclose(out["cuda"], out["cpu"], **value_tol("float32"))
    assert out["cuda"][-1] < out["cuda"][0]
    np.testing.assert_allclose(out["cuda_w1"], out["cpu_w1"], **value_tol("float32"))
    assert out["resident"] == 3  # the three variables live on the device
    np.testing.assert_array_equal(out["restored_w1"], out["cuda_w1"])
    assert "Conv2D" in out["refused"] and "CUDA target has no kernel" in out["refused"]


def test_without_a_gpu_the_cuda_session_says_why() -> None:
    from graphflow.runtime.cuda_executable import available
    ok, why = available()
    if ok:
        pytest.skip("this machine can run CUDA kernels (a GPU or the simulator)")
    with pytest.raises(gf.errors.UnimplementedError, match="device 'cuda' is not available"):
        gf.Session(device="cuda")
    assert why
