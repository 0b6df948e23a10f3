"""graphflow.distributed: data-parallel training over MPI (mpi4py). In one process the world is
one rank and every collective is the identity; the two-rank cases run under ``mpirun -n 2``
(skipped, saying why, where mpi4py or mpirun is missing): the MLP and the CNN trained for 50 SGD
steps give every rank the weights of single-process training on the doubled batch; Adam's
difference is reported; the collectives, per-rank random streams, rank-0 checkpoints and the
deadline on a rank that never joins."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from typing import Any

import numpy as np
import pytest

import graphflow as gf
import graphflow.distributed as hvd
from tests.optional import need

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- one process -----------------------------------------------------------------------------

def test_a_single_process_is_a_world_of_one_rank() -> None:
    hvd.init()
    assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
    x = gf.placeholder(gf.float32, [None, 2])
    outs = [hvd.allreduce(x), hvd.allreduce(x, average=False), hvd.allgather(x), hvd.broadcast(x, 0)]
    v = np.arange(6, dtype=np.float32).reshape(3, 2)
    with gf.Session() as s:
        for got in s.run(outs, {x: v}):
            np.testing.assert_array_equal(got, v)


def test_the_distributed_optimizer_of_one_rank_is_the_optimizer() -> None:
    hvd.init()
    results = []
    for wrap in (False, True):
        with gf.Graph().as_default():
            w = gf.Variable(np.array([1.0, -2.0]))
            loss = gf.reduce_sum(w * w * np.array([1.0, 3.0]))
            opt = gf.train.AdamOptimizer(0.1)
            train = (hvd.DistributedOptimizer(opt) if wrap else opt).minimize(loss)
            with gf.Session() as s:
                s.run(gf.global_variables_initializer())
                s.run(hvd.broadcast_global_variables(0))
                for _ in range(5):
                    s.run(train)
                results.append(s.run(w))
    np.testing.assert_array_equal(results[0], results[1])


def test_distributed_sampler_splits_every_epoch_into_disjoint_equal_shards() -> None:
    data = gf.utils.data.TensorDataset(np.arange(10))
    shards = [list(gf.utils.data.DistributedSampler(data, num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]  # 10 padded to 12 by wrapping around
    assert sorted(sum(shards, []))[:10] == list(range(10)) or set(sum(shards, [])) == set(range(10))
    assert shards[0] == [0, 3, 6, 9]
    s0 = gf.utils.data.DistributedSampler(data, num_replicas=2, rank=0, shuffle=True, seed=4)
    s1 = gf.utils.data.DistributedSampler(data, num_replicas=2, rank=1, shuffle=True, seed=4)
    e0 = (list(s0), list(s1))
    assert sorted(e0[0] + e0[1]) == list(range(10))
    s0.set_epoch(1)
    assert list(s0) != e0[0]  # a new shuffle each epoch, the same on every rank
    cut = gf.utils.data.DistributedSampler(data, num_replicas=3, rank=2, shuffle=False, drop_last=True)
    assert list(cut) == [2, 5, 8]
    with pytest.raises(ValueError, match="rank 3 is not in"):
        gf.utils.data.DistributedSampler(data, num_replicas=3, rank=3)


def test_shard_splits_loaders_and_datasets() -> None:
    hvd.init()
    loader = gf.utils.data.DataLoader(gf.utils.data.TensorDataset(np.arange(8)), batch_size=3)
    batches = [b[0].tolist() for b in hvd.shard(loader)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6, 7]]  # one rank: all of it, in order
    ds = hvd.shard(gf.data.Dataset.range(5))
    it = ds.make_one_shot_iterator().get_next()
    with gf.Session() as s:
        assert [int(s.run(it)) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError, match="shard takes"):
        hvd.shard([1, 2])
    with pytest.raises(ValueError, match="sampler or shuffle"):
        gf.utils.data.DataLoader(gf.utils.data.TensorDataset(np.arange(4)), shuffle=True,
                                 sampler=gf.utils.data.DistributedSampler(np.arange(4), 1, 0))


def test_collectives_export_as_horovod_ops_and_import_back() -> None:
    x = gf.placeholder(gf.float32, [None, 3])
    gf.identity(hvd.allreduce(x, average=False, name="ar") + hvd.broadcast(x, 0), name="out")
    hvd.allgather(x, name="ag")
    gd = gf.get_default_graph().as_graph_def()
    assert {n.op for n in gd.node} >= {"HorovodAllreduce", "HorovodBroadcast", "HorovodAllgather"}
    with gf.Graph().as_default() as g:
        gf.import_graph_def(gd, name="")
        with gf.Session() as s:
            got = s.run(g.get_tensor_by_name("out:0"), {g.get_tensor_by_name("Placeholder:0"): np.ones((2, 3))})
    np.testing.assert_array_equal(got, np.full((2, 3), 2.0))


# ---- two ranks under mpirun ------------------------------------------------------------------

def _mpirun(script: str, tmp_path: Any, ranks: int = 2, env: dict | None = None, timeout: float = 300,
            check: bool = True) -> subprocess.CompletedProcess:
    need("mpi")
    mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
    path = tmp_path / "script.py"
    path.write_text(script)
    r = subprocess.run([mpirun, "-n", str(ranks), sys.executable, str(path), str(tmp_path)], cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": ROOT, **(env or {})}, capture_output=True, text=True,
                       timeout=timeout)
    if check:
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r


TRAIN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, "examples")
    import graphflow as gf
    import graphflow.distributed as hvd
    from distributed_digits import build, load_digits
    hvd.init()
    out = sys.argv[1]
    xt, yt, _, _ = load_digits(0)
    order = np.random.RandomState(5).permutation(len(xt))
    B, STEPS = 16, 50
    for model in ("mlp", "cnn"):
        for opt, lr in (("sgd", 0.1), ("adam", 1e-3)):
            with gf.Graph().as_default():
                m = build(model, opt, lr)
                with gf.Session() as s:
                    s.run(gf.global_variables_initializer())
                    s.run(hvd.broadcast_global_variables(0))
                    for k in range(STEPS):
                        idx = order[(k * 2 * B) % 1400:][:2 * B]  # the doubled batch; each rank takes its half
                        mine = idx[hvd.rank() * B:(hvd.rank() + 1) * B] if hvd.size() > 1 else idx
                        s.run(m["train"], {m["images"]: xt[mine], m["labels"]: yt[mine]})
                    np.savez(f"{out}/{model}_{opt}_{hvd.size()}_{hvd.rank()}.npz",
                             *[s.run(v) for v in gf.trainable_variables()])
    """)


def test_two_ranks_train_to_the_weights_of_one_process_on_the_doubled_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("sklearn")  # the digits data set
    _mpirun(TRAIN_SCRIPT, tmp_path)
    single = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": ROOT}, capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    report = {}
    for model in ("mlp", "cnn"):
        for opt in ("sgd", "adam"):
            ranks = [np.load(tmp_path / f"{model}_{opt}_2_{r}.npz") for r in (0, 1)]
            one = np.load(tmp_path / f"{model}_{opt}_1_0.npz")
            for k in one:
                np.testing.assert_array_equal(ranks[0][k], ranks[1][k], err_msg=f"{model} {opt}: ranks differ")
            report[f"{model}_{opt}"] = {  # the largest difference, absolute and relative to the variable's size
                "abs": max(float(np.max(np.abs(ranks[0][k] - one[k]))) for k in one),
                "rel": max(float(np.max(np.abs(ranks[0][k] - one[k])) / np.max(np.abs(one[k]))) for k in one)}
            if opt == "sgd":  # the acceptance: within 1e-5 relative of single-process training
                for k in one:
                    np.testing.assert_allclose(ranks[0][k], one[k], rtol=1e-5, atol=1e-7, err_msg=f"{model} {k}")
            else:  # Adam divides by sqrt(v): rounding differences of the averaged gradient grow a little
                for k in one:
                    np.testing.assert_allclose(ranks[0][k], one[k], rtol=1e-4, atol=1e-6, err_msg=f"{model} adam {k}")
    print("largest relative weight difference, 2 ranks vs 1 process on the doubled batch:", json.dumps(report))


OPS_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import graphflow as gf
    import graphflow.distributed as hvd
    hvd.init()
    r, out = hvd.rank(), sys.argv[1]
    x = gf.placeholder(gf.float64, [None, 2])  # rank 0 feeds one row of 1s, rank 1 two rows of 2s
    y = gf.placeholder(gf.float64, [2])        # the same shape on every rank: r + 1
    total = hvd.allreduce(y, average=False)
    mean = hvd.allreduce(y)
    rows = hvd.allgather(x)
    root = hvd.broadcast(y, 1)
    (g,) = gf.gradients(gf.reduce_sum(hvd.allgather(x) * np.array([1.0, 2.0])), [x])
    keep = gf.nn.dropout(gf.ones([1000]), keep_prob=0.5, seed=3)
    gf.set_random_seed(7)
    w = gf.Variable(gf.random_normal([3]))
    saver = gf.train.Saver([w])
    lin = gf.Variable(np.ones(2), name="lin")  # a PyTorch-style optimizer, wrapped the same way
    torch_step = hvd.DistributedOptimizer(gf.optim.SGD([lin], lr=0.1)).minimize(gf.reduce_sum(lin * y))
    res = {}
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        res["w_before"] = s.run(w).tolist()  # per-rank streams: differ until the broadcast
        s.run(hvd.broadcast_global_variables(0))
        res["w_after"] = s.run(w).tolist()
        feed = {x: np.full((r + 1, 2), r + 1.0), y: np.full(2, r + 1.0)}
        res["total"], res["mean"], res["rows"], res["root"], res["grad"] = [
            a.tolist() for a in s.run([total, mean, rows, root, g], feed)]
        res["mask"] = s.run(keep).tolist()
        s.run(torch_step, {y: np.full(2, r + 1.0)})
        res["lin"] = s.run(lin).tolist()
        path = saver.save(s, os.path.join(out, "ckpt"))
        res["wrote"] = os.path.exists(path + ".gfckpt") if r == 0 else None
        s.run(w.assign([9.0, 9.0, 9.0]))
        hvd.barrier()
        saver.restore(s, path)  # rank 0 reads, every rank gets the values
        res["restored"] = s.run(w).tolist()
        try:
            saver.restore(s, os.path.join(out, "missing"))
        except gf.errors.NotFoundError as e:
            res["missing"] = str(e)[:80]
    json.dump(res, open(os.path.join(out, f"ops{r}.json"), "w"))
    """)


def test_collectives_streams_and_checkpoints_across_two_ranks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _mpirun(OPS_SCRIPT, tmp_path)
    res = [json.loads((tmp_path / f"ops{r}.json").read_text()) for r in (0, 1)]
    for k in ("total", "mean", "rows", "root", "w_after", "restored", "lin"):
        assert res[0][k] == res[1][k], k
    assert res[0]["total"] == [3.0, 3.0] and res[0]["mean"] == [1.5, 1.5]
    assert res[0]["lin"] == res[1]["lin"] == [0.85, 0.85]  # 1 - 0.1 * the mean gradient (1 and 2)
    assert res[0]["rows"] == [[1.0, 1.0], [2.0, 2.0], [2.0, 2.0]]  # rank order, row counts differing
    assert res[0]["root"] == [2.0, 2.0]  # rank 1's
    assert res[0]["grad"] == [[2.0, 4.0]] and res[1]["grad"] == [[2.0, 4.0], [2.0, 4.0]]  # allgather's gradient
    assert res[0]["w_before"] != res[1]["w_before"] and res[0]["w_after"] == res[1]["w_after"]
    assert res[0]["w_after"] == res[0]["w_before"]  # rank 0's stream is the single process's
    assert res[0]["mask"] != res[1]["mask"]  # dropout differs across ranks
    assert res[0]["wrote"] is True and not (tmp_path / "ckpt.gfckpt.tmp").exists()
    assert res[0]["restored"] == res[0]["w_after"]
    assert all(r["missing"].startswith("Unsuccessful restore: no checkpoint at prefix") for r in res)  # rank 0's error


HANG_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    import graphflow as gf
    import graphflow.distributed as hvd
    hvd.init()
    x = gf.placeholder(gf.float32, [3])
    total = hvd.allreduce(x, name="step_gradients")
    with gf.Session() as s:
        s.run(total, {x: np.ones(3, np.float32)})  # both ranks: fine
        if hvd.rank() == 1:
            time.sleep(120)  # a rank that hangs (a deadlock, a stuck filesystem...)
        try:
            s.run(total, {x: np.ones(3, np.float32)})
        except gf.errors.DeadlineExceededError as e:
            print("rank", hvd.rank(), "error:", e, file=sys.stderr, flush=True)
            sys.exit(1)
    """)

KILL_SCRIPT = textwrap.dedent("""
    import os, signal
    import numpy as np
    import graphflow as gf
    import graphflow.distributed as hvd
    hvd.init()
    w = gf.Variable(np.ones(4, np.float32))
    train = hvd.DistributedOptimizer(gf.train.GradientDescentOptimizer(0.1)).minimize(gf.reduce_sum(w * w))
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for step in range(1000):
            if step == 3 and hvd.rank() == 1:
                os.kill(os.getpid(), signal.SIGKILL)  # the machine of rank 1 goes away
            s.run(train)
    """)


def test_a_rank_that_never_joins_fails_every_rank_with_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    r = _mpirun(HANG_SCRIPT, tmp_path, env={"GRAPHFLOW_MPI_TIMEOUT": "3"}, check=False, timeout=100)
    took = time.monotonic() - start
    assert r.returncode != 0 and took < 60, (r.returncode, took)  # not the 120 s the other rank sleeps
    assert "allreduce 'step_gradients' on rank 0 of 2: the other ranks did not join within 3 s" in r.stderr


def test_a_killed_rank_ends_the_job_instead_of_hanging(tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    r = _mpirun(KILL_SCRIPT, tmp_path, env={"GRAPHFLOW_MPI_TIMEOUT": "10"}, check=False, timeout=100)
    assert r.returncode != 0 and time.monotonic() - start < 60, (r.returncode, r.stderr[-1000:])


def test_the_example_trains_on_two_ranks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("sklearn")  # the digits data set
    script = textwrap.dedent("""
        import sys
        sys.argv = ["distributed_digits.py"]
        sys.path.insert(0, "examples")
        import distributed_digits
        r = distributed_digits.main("cnn", epochs=6, checkpoint=sys.argv[0] + ".ckpt", verbose=False)
        print("accuracy", r["accuracy"])
        """).replace('sys.argv[0] + ".ckpt"', repr(str(tmp_path / "digits")))
    r = _mpirun(script, tmp_path)
    accuracies = [float(line.split()[1]) for line in r.stdout.splitlines() if line.startswith("accuracy")]
    assert len(accuracies) == 2 and accuracies[0] == accuracies[1] > 0.85  # the same model on both ranks
    assert (tmp_path / "digits.gfckpt").exists()


MONITORED_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import graphflow as tf
    import graphflow.distributed as hvd
    hvd.init()
    out = sys.argv[1]
    rs = np.random.RandomState(hvd.rank())
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None])
    w = tf.Variable(tf.random_normal([4]))  # differs per rank until the hook broadcasts it
    loss = tf.reduce_mean((tf.reduce_sum(x * w, 1) - y) ** 2)
    step = tf.train.get_or_create_global_step()
    opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(0.01 * hvd.size()), op=hvd.Average)
    train = opt.minimize(loss, global_step=step)
    hooks = [hvd.BroadcastGlobalVariablesHook(0), tf.train.StopAtStepHook(last_step=40 // hvd.size()),
             tf.train.LoggingTensorHook({"step": step, "loss": loss}, every_n_iter=10)]
    ckpt = os.path.join(out, "ckpt") if hvd.rank() == 0 else None  # Horovod's recipe: rank 0 saves
    n = 0
    with tf.train.MonitoredTrainingSession(checkpoint_dir=ckpt, hooks=hooks) as sess:
        while not sess.should_stop():
            xb = rs.rand(8, 4).astype(np.float32)
            sess.run(train, {x: xb, y: xb @ np.array([1.0, -1.0, 2.0, 0.5], np.float32)})
            n += 1
        final = sess.raw_session().run(w).tolist()  # (a hooked run would need the feeds of the logged loss)
    json.dump({"steps": n, "w": final}, open(os.path.join(out, f"mon{hvd.rank()}.json"), "w"))
    """)


def test_horovods_monitored_session_recipe_runs_on_two_ranks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Horovod's TF1 example shape: MonitoredTrainingSession with BroadcastGlobalVariablesHook,
    StopAtStepHook(last_step // size) and a checkpoint directory on rank 0 only."""
    _mpirun(MONITORED_SCRIPT, tmp_path)
    res = [json.loads((tmp_path / f"mon{r}.json").read_text()) for r in (0, 1)]
    assert res[0]["steps"] == res[1]["steps"] == 20
    assert res[0]["w"] == res[1]["w"]  # broadcast at the start, the same averaged updates after
    assert gf.train.latest_checkpoint(str(tmp_path / "ckpt")).endswith("model.ckpt-20")
