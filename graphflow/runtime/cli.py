"""The ``graphflow`` command: inspect, draw, run, dump and trace a graph file, and benchmark.

FILE is a GraphDef (``.pb`` binary or ``.pbtxt`` text) or a MetaGraphDef (``.meta``)::

    graphflow show model.pb
    graphflow draw model.pb -o model.svg
    graphflow run model.pb --feed x=batch.npy --fetch probs [--out probs.npy]
    graphflow dump model.pb --feed x=batch.npy --fetch probs --out dumpdir
    graphflow trace model.pb --feed x=batch.npy --fetch probs -o trace.json
    graphflow ptx dumpdir/gf_cuda_...      (PTX of a CUDA dump made under the simulator)
    graphflow bench

Bad input exits with status 2 and one line on stderr saying what is wrong.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.platform.cuda import capability


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _load(path: str) -> Any:
    """The GraphDef in FILE (a .meta file's graph)."""
    from graphflow.graphdef.importer import GraphDefError
    from graphflow.graphdef.meta_graph import read_meta_graph
    from graphflow.graphdef.util import read_graph
    if not os.path.exists(path):
        raise CliError(f"{path}: no such file")
    try:
        if path.endswith(".meta"):
            return read_meta_graph(path).graph_def
        return read_graph(path)
    except (GraphDefError, OSError) as e:
        raise CliError(f"{path}: {e}") from None


def _show(args: argparse.Namespace) -> int:
    gd = _load(args.file)
    ops = collections.Counter(n.op for n in gd.node)
    consumed = {s.lstrip("^").partition(":")[0] for n in gd.node for s in n.input}
    params = 0
    for n in gd.node:
        if n.op in ("VariableV2", "Variable", "VarHandleOp") and "shape" in n.attr:
            params += int(np.prod([d.size for d in n.attr["shape"].shape.dim]))
        elif n.op == "Const" and n.attr["dtype"].type in (1, 2, 19):  # floating constants: frozen weights
            dims = [d.size for d in n.attr["value"].tensor.tensor_shape.dim]
            if dims and int(np.prod(dims)) > 1:
                params += int(np.prod(dims))
    print(f"{args.file}: {len(gd.node)} nodes, {len(ops)} op types, {params} parameters "
          "(variables, or the floating constants of a frozen graph)")
    print("inputs:")
    for n in gd.node:
        if n.op in ("Placeholder", "PlaceholderWithDefault"):
            dims = "<unknown>" if n.attr["shape"].shape.unknown_rank else \
                "(" + ", ".join("?" if d.size < 0 else str(d.size) for d in n.attr["shape"].shape.dim) + ")"
            print(f"  {n.name}  {_type_name(n.attr['dtype'].type)} {dims}")
    print("outputs (nodes nothing reads):")
    for n in gd.node:
        if n.name not in consumed and n.op not in ("NoOp", "Assign", "Const"):
            print(f"  {n.name}  ({n.op})")
    print("ops:")
    for op, k in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:5d}  {op}")
    return 0


def _type_name(t: int) -> str:
    from graphflow.graphdef.draw import _TYPE_NAMES
    return _TYPE_NAMES.get(t, f"type {t}")


def _draw(args: argparse.Namespace) -> int:
    from graphflow.graphdef.draw import to_dot, to_svg
    gd = _load(args.file)
    out = args.output or os.path.splitext(os.path.basename(args.file))[0] + ".svg"
    text = to_dot(gd, os.path.basename(args.file)) if out.endswith(".dot") else to_svg(gd, os.path.basename(args.file))
    with open(out, "w") as f:
        f.write(text)
    import shutil
    how = "" if out.endswith(".dot") or shutil.which("dot") else \
        " (graphflow's own layout: install Graphviz for dot's)"
    print(f"wrote {out}{how}")
    return 0


def _feeds(specs: Sequence[str]) -> dict[str, np.ndarray]:
    out = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name:
            raise CliError(f"--feed {spec!r}: expected NAME=FILE.npy")
        if not os.path.exists(path):
            raise CliError(f"--feed {spec!r}: no such file {path}")
        try:
            out[name if ":" in name else name + ":0"] = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise CliError(f"--feed {spec!r}: not a .npy array ({e})") from None
    return out


def _session_run(args: argparse.Namespace, dump_dir: str | None = None, traced: bool = False) -> tuple[list, Any]:
    import graphflow as gf
    gd = _load(args.file)
    if not args.fetch:
        raise CliError("give at least one --fetch NAME")
    feeds = _feeds(args.feed)
    with gf.Graph().as_default() as g:
        try:
            gf.import_graph_def(gd, name="")
        except ValueError as e:
            raise CliError(f"{args.file}: {e}") from None
        try:
            fetches = [g.as_graph_element(f if ":" in f else f + ":0") for f in args.fetch]
            fed = {g.as_graph_element(k): v for k, v in feeds.items()}
        except (KeyError, ValueError) as e:
            raise CliError(str(e).strip('"')) from None
        md = gf.RunMetadata() if traced else None
        opts = gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE) if traced else None
        with gf.Session(dump_dir=dump_dir) as sess:
            if gf.global_variables():
                sess.run(gf.global_variables_initializer())
            try:
                values = sess.run(fetches, fed, options=opts, run_metadata=md)
            except (gf.errors.OpError, ValueError, TypeError) as e:
                raise CliError(str(e).splitlines()[0]) from None
    return values, md


def _describe(name: str, v: Any) -> str:
    a = np.asarray(v)
    body = np.array2string(a.reshape(-1)[:8], precision=5, separator=", ")
    return f"{name}: {a.dtype} {a.shape} {body}{' ...' if a.size > 8 else ''}"


def _run(args: argparse.Namespace) -> int:
    values, _ = _session_run(args)
    for name, v in zip(args.fetch, values):
        print(_describe(name, v))
    if args.out:
        if len(values) == 1:
            np.save(args.out, values[0])
        else:
            np.savez(args.out, **{n.replace("/", "_").replace(":", "_"): v for n, v in zip(args.fetch, values)})
        print(f"wrote {args.out}")
    return 0


def _dump(args: argparse.Namespace) -> int:
    os.makedirs(args.out, exist_ok=True)
    _session_run(args, dump_dir=args.out)
    folders = sorted(os.path.join(args.out, d) for d in os.listdir(args.out) if d.startswith("gf_"))
    for d in folders:
        print(f"{os.path.join(d, 'index.html')}")
    return 0


def _trace(args: argparse.Namespace) -> int:
    import graphflow as gf
    _, md = _session_run(args, traced=True)
    with open(args.output, "w") as f:
        f.write(gf.timeline.Timeline(md.step_stats).generate_chrome_trace_format())
    total = sum(r["duration_us"] for r in md.step_stats)
    print(f"wrote {args.output}: {len(md.step_stats)} kernel calls and host steps, {total / 1e3:.3f} ms")
    return 0


def _ptx(args: argparse.Namespace) -> int:
    """PTX for every kernel launch a CUDA dump recorded (a dump made under the simulator has none)."""
    from graphflow.runtime import cuda_dump
    if not os.path.exists(os.path.join(args.folder, "launches.json")):
        raise CliError(f"{args.folder}: not a CUDA dump (expected a launches.json there)")
    can = capability("ptx")
    if not can.ok:
        raise CliError(f"cannot compile PTX here: {can.why}")
    count = cuda_dump.compile_folder(args.folder)
    print(f"wrote the PTX of {count} kernel launches; {os.path.join(args.folder, 'index.html')}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    """A training step of a 784-256-10 MLP (batch 64): compile time, then the median step."""
    import graphflow as gf
    rs = np.random.RandomState(0)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 784])
        y = gf.placeholder(gf.int64, [None])
        h = gf.layers.dense(x, 256, activation=gf.nn.relu)
        logits = gf.layers.dense(h, 10)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss)
        feed = {x: rs.rand(64, 784).astype(np.float32), y: rs.randint(0, 10, 64)}
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            t = time.perf_counter()
            sess.run([loss, train], feed)
            first = time.perf_counter() - t
            times = []
            for _ in range(args.steps):
                t = time.perf_counter()
                sess.run([loss, train], feed)
                times.append(time.perf_counter() - t)
    print(f"MLP 784-256-10, batch 64, Adam: first run (compile) {first:.2f} s, "
          f"step {np.median(times) * 1e3:.3f} ms (median of {args.steps})")
    print("the full benchmarks beside PyTorch, JAX and TF1 are tools/bench*.py in a source checkout")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graphflow", description="Inspect, draw, run, dump and trace graph files "
                                "(GraphDef .pb / .pbtxt, MetaGraphDef .meta), and benchmark.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="ops, inputs, outputs and parameter count of a graph file")
    s.add_argument("file")
    s.set_defaults(fn=_show)
    s = sub.add_parser("draw", help="the graph as SVG (or DOT with -o x.dot), grouped by name scope")
    s.add_argument("file")
    s.add_argument("-o", "--output", help="output path (.svg or .dot; default FILE.svg)")
    s.set_defaults(fn=_draw)
    for name, fn, helptext in (("run", _run, "run the graph on fed .npy arrays and print the fetches"),
                               ("dump", _dump, "run once with a dump of what the compiler made"),
                               ("trace", _trace, "run once traced and write a Chrome trace")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("file")
        s.add_argument("--feed", action="append", metavar="NAME=FILE.npy", help="a placeholder's value")
        s.add_argument("--fetch", action="append", metavar="NAME", help="a tensor or node to compute")
        if name == "run":
            s.add_argument("--out", help="save the fetched value(s) to this .npy / .npz")
        elif name == "dump":
            s.add_argument("--out", required=True, help="the dump directory")
        else:
            s.add_argument("-o", "--output", required=True, help="the trace file (.json)")
        s.set_defaults(fn=fn)
    s = sub.add_parser("ptx", help="compile a CUDA dump's recorded kernel launches to PTX (sm_90)")
    s.add_argument("folder")
    s.set_defaults(fn=_ptx)
    s = sub.add_parser("bench", help="a quick training-step benchmark on this machine")
    s.add_argument("--steps", type=int, default=50)
    s.set_defaults(fn=_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except CliError as e:
        print(f"graphflow {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
