"""Graph-building benchmark: N tf.add calls and a 100,000-input AddN GraphDef, beside TF1.

    python tools/bench_build.py                       # N = 10k, 40k, 100k; x = tf.add(x, 1.0)
    python tools/bench_build.py --loop plus           # x = x + 1 instead
    python tools/bench_build.py --sizes 10000 40000 --addn 0 --no-tf
    python tools/bench_build.py --repeat 3            # best of three subprocesses per figure

Each figure comes from a fresh subprocess (graphflow, then tensorflow.compat.v1 in graph mode
when it is installed), timing only the loop, after the imports and a 100-step warm-up in a graph
of its own, so neither framework's import or caches touch the other's figure. Printed: each
time, the ratio of each size to the smallest (linear building keeps 4x the nodes within 5x the
time) and graphflow's time over TF1's. The AddN GraphDef (one Const read 100,000 times, about
300 KB) is written with the protobuf messages both importers read and loaded with each one's
``import_graph_def``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

_LOOP = {
    "add": "x = tf.add(x, 1.0)",
    "plus": "x = x + 1",
}

_BUILD = """
import json, sys, time
{imports}
n = {n}
with tf.Graph().as_default():  # warm: the first ops pay one-time costs (TF1's took seconds)
    x = tf.constant(1.0)
    for _ in range(100):
        {loop}
with tf.Graph().as_default():
    t0 = time.perf_counter()
    x = tf.constant(1.0)
    for _ in range(n):
        {loop}
    t1 = time.perf_counter()
assert x.op.name.endswith(str(n - 1)), x.op.name
print(json.dumps({{"seconds": t1 - t0}}))
"""

_IMPORT = """
import json, time
{imports}
data = open({path!r}, "rb").read()
with tf.Graph().as_default():
    t0 = time.perf_counter()
    (s,) = tf.import_graph_def(data if {raw} else _as_graph_def(data), return_elements=["s:0"])
    t1 = time.perf_counter()
print(json.dumps({{"seconds": t1 - t0, "name": s.name}}))
"""

_IMPORTS = {
    "graphflow": "import graphflow as tf",
    "tf1": ("import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
            "import tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\n"
            "def _as_graph_def(data):\n    gd = tf.GraphDef()\n    gd.ParseFromString(data)\n    return gd"),
}


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def has_tf1() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import tensorflow.compat.v1"], capture_output=True)
    return probe.returncode == 0


def addn_graph_def(n: int) -> bytes:
    """A GraphDef whose AddN ``s`` reads the Const ``c`` ``n`` times (3 bytes an input)."""
    from graphflow.graphdef.display import protos
    _, graph_pb2, _, _ = protos()
    gd = graph_pb2.GraphDef()
    c = gd.node.add(name="c", op="Const")
    c.attr["dtype"].type = 1  # DT_FLOAT
    c.attr["value"].tensor.dtype = 1
    c.attr["value"].tensor.float_val.append(1.0)
    s = gd.node.add(name="s", op="AddN")
    s.input.extend(["c"] * n)
    s.attr["N"].i = n
    s.attr["T"].type = 1
    return gd.SerializeToString()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 40_000, 100_000])
    ap.add_argument("--loop", choices=sorted(_LOOP), default="add")
    ap.add_argument("--addn", type=int, default=100_000, help="inputs of the AddN GraphDef (0: skip)")
    ap.add_argument("--no-tf", action="store_true", help="graphflow only")
    ap.add_argument("--repeat", type=int, default=1, help="best of this many subprocesses per figure")
    args = ap.parse_args()
    engines = ["graphflow"] + ([] if args.no_tf or not has_tf1() else ["tf1"])
    if "tf1" not in engines and not args.no_tf:
        print("tensorflow is not installed: graphflow only (pip install 'tensorflow==2.21.*')")

    print(f"building: `{_LOOP[args.loop]}` N times in a fresh graph, best of {args.repeat} subprocess(es)")
    times: dict[str, dict[int, float]] = {e: {} for e in engines}
    for n in args.sizes:
        for e in engines:
            code = _BUILD.format(imports=_IMPORTS[e], n=n, loop=_LOOP[args.loop])
            times[e][n] = min(run(code)["seconds"] for _ in range(args.repeat))
        line = "  ".join(f"{e} {times[e][n]:7.2f} s" for e in engines)
        if "tf1" in engines:
            line += f"  graphflow/TF1 {times['graphflow'][n] / times['tf1'][n]:.3f}"
        print(f"  N={n:>7}: {line}")
    base = min(args.sizes)
    for e in engines:
        ratios = ", ".join(f"{n // base}x nodes: {times[e][n] / times[e][base]:.2f}x time"
                           for n in args.sizes if n != base)
        if ratios:
            print(f"  {e} scaling against N={base}: {ratios}")

    if args.addn:
        data = addn_graph_def(args.addn)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "addn.pb")
            with open(path, "wb") as f:
                f.write(data)
            print(f"import_graph_def of an AddN of {args.addn} inputs ({len(data) / 1000:.0f} KB):")
            res = {e: min((run(_IMPORT.format(imports=_IMPORTS[e], path=path, raw=e == "graphflow"))
                            for _ in range(args.repeat)), key=lambda r: r["seconds"])
                   for e in engines}
        for e in engines:
            print(f"  {e}: {res[e]['seconds']:.2f} s ({res[e]['name']})")


if __name__ == "__main__":
    main()
