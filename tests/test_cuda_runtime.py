"""Session(device="cuda"), first part, in Numba's CUDA simulator (a separate process): the
tutorial two-layer net trains with the CPU path's losses, its variables stay on the device
between runs and a Saver round trip restores them; a device kernel's failure (a singular
matrix) raises the CPU's error naming the node (tests/test_cuda_platform.py: what it says without CUDA)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.compiler.pipeline import run_passes
from graphflow.compiler.program import build
from graphflow.compiler.schedule import Read, plan, schedule
from graphflow.platform.cuda import capability
from tests.optional import need
from tests.tolerances import value_tol

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _simulate(script: str, tmp_path: Any) -> dict:
    """Run ``script`` (which writes a JSON report to argv[1]) in a process of its own: on the GPU
    where this machine has one, else in Numba's CUDA simulator (which replaces numba.cuda for
    the whole process)."""
    need("numba-cuda")
    report = tmp_path / "out.json"
    env = dict(os.environ) if capability("gpu").ok else dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", script, str(report)], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(report.read_text())

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
        image = gf.placeholder(gf.float32, (2, 2))
        out["inverse"] = s.run(gf.matrix_inverse(image) * 2.0, {image: [[2.0, 0.0], [1.0, 1.0]]}).tolist()
        try:  # a singular matrix: the CPU's error, from the device's failure counter
            s.run(gf.matrix_inverse(image), {image: np.ones((2, 2))})
        except gf.errors.InvalidArgumentError as e:
            out["singular"] = str(e)
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_two_layer_net_trains_on_the_cuda_path_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _simulate(SCRIPT, tmp_path)
    np.testing.assert_allclose(out["cuda"], out["cpu"], **value_tol("float32"))
    assert out["cuda"][-1] < out["cuda"][0]
    np.testing.assert_allclose(out["cuda_w1"], out["cpu_w1"], **value_tol("float32"))
    assert out["resident"] == 3  # the three variables live on the device
    np.testing.assert_array_equal(out["restored_w1"], out["cuda_w1"])
    np.testing.assert_allclose(out["inverse"], 2.0 * np.linalg.inv([[2.0, 0.0], [1.0, 1.0]]), rtol=1e-6)
    assert "Input is not invertible" in out["singular"] and "MatrixInverse" in out["singular"]


CNN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import graphflow as gf
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float32, [None, 8, 8, 1]); y = gf.placeholder(gf.int64, [None])
    kp = gf.placeholder(gf.float32, [])
    w1 = gf.Variable(gf.truncated_normal([3, 3, 1, 4], stddev=0.3, seed=1))
    b1 = gf.Variable(gf.constant(0.1, shape=[4]))
    h = gf.nn.max_pool(gf.nn.relu(gf.nn.bias_add(gf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1)), [1, 2, 2, 1],
                       [1, 2, 2, 1], "SAME")
    w2 = gf.Variable(gf.truncated_normal([3, 3, 4, 4], stddev=0.3, seed=2))
    h = gf.nn.avg_pool(gf.nn.relu(gf.nn.conv2d(h, w2, [1, 2, 2, 1], "VALID")), [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    w3 = gf.Variable(gf.truncated_normal([4, 5], stddev=0.3, seed=3))
    logits = gf.matmul(gf.nn.dropout(gf.reshape(h, [-1, 4]), keep_prob=kp), w3)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = gf.train.AdamOptimizer(1e-2).minimize(loss)
    xv, yv = rs.rand(3, 8, 8, 1).astype(np.float32), rs.randint(0, 5, 3)
    out = {}
    for dev in ("cpu", "cuda"):
        with gf.Session(device=dev) as s:
            s.run(gf.global_variables_initializer())
            out[dev] = [float(s.run([loss, train], {x: xv, y: yv, kp: 0.7})[0]) for _ in range(3)]
            if dev == "cuda":
                try:
                    s.run(loss, {x: xv, y: np.array([0, 9, 1]), kp: 1.0})
                except gf.errors.InvalidArgumentError as e:
                    out["check"] = str(e)
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_a_cnn_with_dropout_and_adam_trains_on_the_cuda_path_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Convolutions (SAME, strided VALID) and their gradients, max and average pooling and theirs,
    dropout's random numbers, softmax cross-entropy, the label range check, Adam. (The digits
    CNN's 32 and 64 channels take minutes per step in the simulator: this net has their layers.)"""
    out = _simulate(CNN_SCRIPT, tmp_path)
    np.testing.assert_allclose(out["cuda"], out["cpu"], **value_tol("float32"))  # the same dropout masks too
    assert "label: a value is outside the valid range [0, 5)" in out["check"]


MOVES_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import graphflow as gf
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float64, [None, 4, 3])
    ids = gf.placeholder(gf.int64, [None])
    outs = {
        "transpose": gf.transpose(x, [2, 0, 1]) * 1.0, "slice": x[:, 1::2, ::-1] + 0.0, "shrink": x[1, :, 2] * 2.0,
        "broadcast": gf.broadcast_to(x[:, :1, :], [2, 4, 3]) + 0.0, "tile": gf.tile(x, [1, 2, 1]) * 1.0,
        "pad": gf.pad(x, [[0, 0], [1, 2], [0, 1]], constant_values=3.0) * 1.0,
        "concat": gf.concat([x, x * 2.0], 1) * 1.0,
        "gather": gf.gather(x, ids) * 1.0, "gather_axis": gf.gather(x, ids, axis=1) * 1.0,
        "one_hot": gf.one_hot(ids, 4) * 1.0}
    loss = sum(gf.reduce_sum(v * v) for k, v in outs.items() if not k.startswith(("gather", "one_hot")))
    grad = gf.gradients(loss, x)[0]
    xv, iv = rs.rand(2, 4, 3), np.array([1, 0, 1])
    res = {}
    for dev in ("cpu", "cuda"):
        with gf.Session(device=dev) as s:
            vals, g = s.run([list(outs.values()), grad], {x: xv, ids: iv})
            res[dev] = {k: np.asarray(v).tolist() for k, v in zip(outs, vals)}
            res[dev]["grad"] = g.tolist()
            if dev == "cuda":
                try:
                    s.run(outs["gather"], {x: xv, ids: np.array([5])})
                except gf.errors.InvalidArgumentError as e:
                    res["bad_index"] = str(e)
    json.dump(res, open(sys.argv[1], "w"))
    """)


def test_data_movement_and_its_gradients_on_the_cuda_path_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Transpose, strided and shrinking slices, broadcast, tile, pad, concat, gather on any axis,
    one-hot, and the gradients through them (slice gradients, SumTo), equal to the CPU's."""
    res = _simulate(MOVES_SCRIPT, tmp_path)
    for k, want in res["cpu"].items():
        np.testing.assert_array_equal(res["cuda"][k], want, err_msg=k)  # copies and float64 sums: exact
    assert "gather indices out of range" in res["bad_index"]


LSTM_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import graphflow as gf
    rs = np.random.RandomState(0)
    x = gf.placeholder(gf.float32, [None, 4, 3]); y = gf.placeholder(gf.int64, [None])
    lstm = gf.nn.LSTM(3, 4, batch_first=True)
    head = gf.nn.Linear(4, 2)
    out, _ = lstm(x)
    loss = gf.nn.CrossEntropyLoss()(head(out[:, -1]), y)
    train = gf.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-2).minimize(loss)
    c = gf.cond(gf.reduce_sum(x) > 0.0, lambda: gf.reduce_mean(x), lambda: gf.reduce_max(x))
    xv, yv = rs.rand(2, 4, 3).astype(np.float32), rs.randint(0, 2, 2)
    res = {}
    for dev in ("cpu", "cuda"):
        with gf.Session(device=dev) as s:
            s.run(gf.global_variables_initializer())
            res[dev] = [float(s.run([loss, train], {x: xv, y: yv})[0]) for _ in range(2)]
            res[dev] += [float(s.run(c, {x: xv})), float(s.run(c, {x: -xv}))]
    json.dump(res, open(sys.argv[1], "w"))
    """)


def test_an_lstm_with_adam_and_a_cond_on_the_cuda_path_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The recurrent layer's native loop and its gradient loop run on the host around the body's
    device kernels; cond picks its branch on the host."""
    res = _simulate(LSTM_SCRIPT, tmp_path)
    np.testing.assert_allclose(res["cuda"], res["cpu"], **value_tol("float32"))


PLACED_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import graphflow as tf
    rs = np.random.RandomState(0)
    X = rs.rand(32, 5).astype(np.float32); Y = np.eye(3, dtype=np.float32)[rs.randint(0, 3, 32)]
    from graphflow.python.client import device_lib
    out = {"gpu_name": tf.test.gpu_device_name(), "available": tf.test.is_gpu_available(),
           "local": [d.device_type for d in device_lib.list_local_devices()]}
    for place in ("/cpu:0", "/gpu:0"):
        tf.reset_default_graph()
        with tf.device(place):  # TF1's logistic regression, placed as a GPU tutorial places it
            x = tf.placeholder(tf.float32, [None, 5]); y = tf.placeholder(tf.float32, [None, 3])
            W = tf.Variable(tf.zeros([5, 3])); b = tf.Variable(tf.zeros([3]))
            pred = tf.nn.softmax(tf.matmul(x, W) + b)
            cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
            train = tf.train.GradientDescentOptimizer(0.5).minimize(cost)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            out[place] = {"device": s.device, "devices": s.list_devices(), "W": W.device,
                          "losses": [float(s.run([train, cost], {x: X, y: Y})[1]) for _ in range(4)]}
        with tf.Session(config=tf.ConfigProto(device_count={"GPU": 0})) as s:
            out[place]["no_gpu_config"] = s.device
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_a_graph_placed_on_the_gpu_runs_on_the_cuda_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``with tf.device("/gpu:0")`` and a plain ``tf.Session()``: the session runs on the CUDA target."""
    res = _simulate(PLACED_SCRIPT, tmp_path)
    cpu, gpu = res["/cpu:0"], res["/gpu:0"]
    assert res["available"] and res["gpu_name"] == "/device:GPU:0" and res["local"] == ["CPU", "GPU"]
    assert (cpu["device"], gpu["device"]) == ("cpu", "cuda") and gpu["W"] == "/device:GPU:0"
    assert gpu["devices"][-1].endswith("device:GPU:0") and gpu["no_gpu_config"] == "cpu"
    np.testing.assert_allclose(gpu["losses"], cpu["losses"], **value_tol("float32"))
    assert gpu["losses"][-1] < gpu["losses"][0]


def test_a_gpu_placement_without_cuda_warns_and_runs_on_the_cpu() -> None:
    if capability("kernels").ok:
        pytest.skip("this machine can run CUDA kernels (a GPU or the simulator): the placement is honoured")
    with gf.device("/gpu:0"):
        x = gf.placeholder(gf.float32, [2], name="x")
    y = x * 2.0
    with pytest.warns(UserWarning, match=r"'x' \(Placeholder\) created at .*on '/device:GPU:0'.*runs on the CPU"):
        s = gf.Session()
    assert s.device == "cpu" and list(s.run(y, {x: [1.0, 2.0]})) == [2.0, 4.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per graph, and never with soft placement
        assert gf.Session().device == "cpu"
        assert gf.Session(config=gf.ConfigProto(allow_soft_placement=True)).device == "cpu"
    assert not gf.test.is_gpu_available() and gf.test.gpu_device_name() == ""


@pytest.mark.needs("numba-cuda")
def test_cuda_dumps_list_every_kernel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = textwrap.dedent(f"""
        import numpy as np, graphflow as gf
        x = gf.placeholder(gf.float32, [None, 3])
        w = gf.Variable(np.ones((3, 2), np.float32))
        y = gf.reduce_sum(gf.exp(gf.matmul(x, w)) * 2.0, 1)
        with gf.Session(device="cuda", dump_dir={str(tmp_path)!r}) as s:
            s.run(gf.global_variables_initializer())
            s.run(y, {{x: np.ones((2, 3), np.float32)}})
        """)
    r = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, NUMBA_ENABLE_CUDASIM="1"), cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    folders = [tmp_path / d for d in os.listdir(tmp_path)]
    step = next(f for f in folders if "MatMul" in (f / "index.html").read_text())
    page = (step / "index.html").read_text()
    sources = sorted(p.name for p in step.iterdir() if p.suffix == ".py")
    assert len(sources) >= 2 and all(f"href='{name}'" in page for name in sources)
    assert any("cuda.jit" in (step / name).read_text() for name in sources)
    # the generated driver: straight-line calls of each node's step, beside the kernels
    driver = (step / "driver.py").read_text()
    assert "def driver(dev, checks, feeds):" in driver and "(MatMul)" in driver and "if " not in driver
    # every launched kernel with the argument types of its launch (the matmul and the fused loop;
    # the reduction's tree variant is listed but not launched for 2 outputs of 2 elements)
    launches = json.loads((step / "launches.json").read_text())
    launched = {r["kernel"] + ".py" for r in launches}
    assert len(launched) == 2 and launched < set(sources)
    assert all(r["types"] for r in launches)
    need("ptx")  # the simulator had no NVVM: the PTX is compiled here, as ``graphflow ptx`` does
    from graphflow.runtime.cli import main
    assert main(["ptx", str(step)]) == 0
    for r in launches:
        ptx = (step / r["ptx"]).read_text()
        assert ".target sm_90" in ptx and ".entry" in ptx, r
        assert f"href='{r['ptx']}'" in (step / "index.html").read_text()


def test_cublas_matmuls_match_the_tiled_kernel() -> None:
    """With CuPy installed on a GPU machine, float matmuls go to cuBLAS; the tiled kernel
    (GRAPHFLOW_CUBLAS=0) must give the same products."""
    need("gpu")
    need("cupy")
    from graphflow.compiler.cuda import blas as cuda_blas
    if cuda_blas.cupy() is None:
        pytest.skip("GRAPHFLOW_CUBLAS=0 turns cuBLAS off, or CuPy cannot reach the GPU")
    rs = np.random.RandomState(0)
    a = gf.placeholder(gf.float32, [None, None, 40])
    b = gf.placeholder(gf.float32, [40, 24])
    c = gf.placeholder(gf.float32, [3, 24, 40])
    ys = [gf.matmul(a, b), gf.matmul(a, c, transpose_b=True), gf.matmul(a[0], b)]
    feed = {a: rs.randn(3, 17, 40).astype(np.float32), b: rs.randn(40, 24).astype(np.float32),
            c: rs.randn(3, 24, 40).astype(np.float32)}
    got = {}
    for flag in ("1", "0"):
        os.environ["GRAPHFLOW_CUBLAS"] = flag
        try:
            with gf.Session(device="cuda") as s:
                got[flag] = s.run(ys, feed)
        finally:
            os.environ.pop("GRAPHFLOW_CUBLAS")
    for x, y in zip(got["1"], got["0"]):
        np.testing.assert_allclose(x, y, **value_tol("float32"))


CHECKS_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import graphflow as gf
    table = gf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    ids = gf.placeholder(gf.int32, [None])
    rows = gf.gather(table, ids)
    labels = gf.placeholder(gf.int64, [None])
    loss = gf.reduce_sum(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=rows))
    step = gf.train.GradientDescentOptimizer(0.5).minimize(loss)
    out = {}
    with gf.Session(device="cuda") as s:
        s.run(gf.global_variables_initializer())
        for name, feed in (("bad_index", {ids: [0, 7], labels: [0, 1]}), ("bad_label", {ids: [0, 1], labels: [0, 3]})):
            try:
                s.run(step, feed)
            except gf.errors.InvalidArgumentError as e:
                out[name] = str(e)
        out["after_errors"] = s.run(table).tolist()  # untouched: the checks ran before the update
        s.run(step, {ids: [0, 1], labels: [0, 1]})  # a good step after failed ones: no stale counters
        out["after_step"] = s.run(table).tolist()
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        s.run(step, {ids: [0, 1], labels: [0, 1]})
        out["cpu_after_step"] = s.run(table).tolist()
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_failed_checks_raise_before_any_update_and_leave_no_trace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Index and label checks are read together before the first variable write: the CPU's
    errors, naming the node, with the variable untouched; the next good step is the CPU's."""
    out = _simulate(CHECKS_SCRIPT, tmp_path)
    assert "gather indices out of range [0, 4)" in out["bad_index"] and "GatherV2" in out["bad_index"]
    assert "outside the valid range [0, 3)" in out["bad_label"]
    np.testing.assert_array_equal(out["after_errors"], np.arange(12).reshape(4, 3))
    np.testing.assert_allclose(out["after_step"], out["cpu_after_step"], **value_tol("float32"))


FREED_SCRIPT = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import graphflow as gf
    from graphflow.compiler.cuda import steps as cuda_steps
    out = {"ok": [], "held": [], "after": []}
    for shape in [(3, 4), (4, 3), (3, 4)]:
        g = gf.Graph()
        with g.as_default():
            x = gf.placeholder(gf.float32, shape)
            y = x[::-1] * 2.0  # a reversing slice: data movement through an index map
            v = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
            with gf.Session(device="cuda") as s:
                out["ok"].append(bool(np.array_equal(s.run(y, {x: v}), v[::-1] * 2.0)))
        out["held"].append(len(cuda_steps._MAPS))
        del g, x, y, s
        gc.collect()
        out["after"].append(len(cuda_steps._MAPS))
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_index_maps_live_and_die_with_their_node(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The device index maps of data movement are cached per node, not per ``id(node)``: keyed by
    id, the cache grew with every graph, and a node of a later graph that reused a freed node's id
    with the same input shapes read the freed node's maps (the likely cause of a (3, 3) value
    where xlogy's gradient graph had (3, 4), once, in CI's simulator pass)."""
    res = _simulate(FREED_SCRIPT, tmp_path)
    assert res["ok"] == [True] * 3
    assert res["held"] == [1, 1, 1] and res["after"] == [0, 0, 0]


SNAPSHOT = textwrap.dedent("""
    import json, sys
    import graphflow as gf
    out = {}
    for device in ("cpu", "reference", "cuda"):
        with gf.Graph().as_default():
            v, w = gf.Variable(1.0), gf.Variable(10.0)
            inc_v, inc_w = v.assign_add(1.0), w.assign_add(5.0)
            with gf.control_dependencies([inc_w]):  # after inc_w, not ordered against inc_v
                stale = v.read_value() + 0.0
            with gf.Session(device=device) as s:
                s.run(gf.global_variables_initializer())
                out[device] = [float(x) for x in s.run([stale, inc_v])] + [float(s.run(v))]
    json.dump(out, open(sys.argv[1], "w"))
    """)


def test_a_read_scheduled_after_an_unordered_assignment_reads_its_snapshot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The schedule runs the read after ``inc_v`` without ordering it there: it reads the value
    from before the run (a snapshot the driver takes just before the assignment), on every target."""
    with gf.Graph().as_default():
        v, w = gf.Variable(1.0), gf.Variable(10.0)
        inc_v, inc_w = v.assign_add(1.0), w.assign_add(5.0)
        with gf.control_dependencies([inc_w]):
            stale = v.read_value() + 0.0
        steps = plan(schedule(run_passes(build([stale, inc_v], [], []))))
    assert any(s.snapshots for s in steps) and any(i.read is Read.SNAPSHOT for s in steps for i in s.inputs)
    out = _simulate(SNAPSHOT, tmp_path)
    assert out["cpu"] == out["reference"] == out["cuda"] == [1.0, 2.0, 2.0]
