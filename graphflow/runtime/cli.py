"""The ``graphflow`` command: inspect, draw, run, dump and trace a graph file, and benchmark.

FILE is a GraphDef (``.pb`` binary or ``.pbtxt`` text) or a MetaGraphDef (``.meta``); ``show``
and ``run`` also take a SavedModel directory (``cli_saved_model``)::

    graphflow show model.pb
    graphflow draw model.pb -o model.svg
    graphflow run model.pb --feed x=batch.npy --fetch probs [--out probs.npy]
    graphflow show export_dir
    graphflow run export_dir [--tag serve] [--signature serving_default] --input x=batch.npy [--output_dir out]
    graphflow dump model.pb --feed x=batch.npy --fetch probs --out dumpdir
    graphflow trace model.pb --feed x=batch.npy --fetch probs -o trace.json
    graphflow ptx dumpdir/gf_cuda_...      (PTX of a CUDA dump made under the simulator)
    graphflow bench

Exit status: 0 when the command did its work; 2 for a misuse (bad or missing arguments, a file
that is missing or is not what it should be, a feed or fetch that does not fit the graph), with
one line on stderr saying what is wrong; 1 when a valid command's graph failed while running
(an out-of-memory tensor, a failed check), with one line naming TF1's error class and the node.
Output files' folders are created as needed (as ``tf.io.write_graph`` creates its folder).
"""
from __future__ import annotations

import argparse
import collections
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

import graphflow as gf
from graphflow.core.errors import InvalidArgumentError, OpError
from graphflow.core.registry import Op
from graphflow.graphdef.draw import _TYPE_NAMES, to_dot, to_svg
from graphflow.graphdef.importer import GraphDefError
from graphflow.graphdef.meta_graph import read_meta_graph
from graphflow.graphdef.util import read_graph
from graphflow.platform.cuda import capability
from graphflow.runtime import cli_saved_model
from graphflow.runtime.cli_common import CliError, RunFailed, load_npy
from graphflow.runtime.cli_common import describe as _describe
from graphflow.runtime.cli_common import one_line as _one_line
from graphflow.runtime.session import convert_feed

EXIT_STATUS = """exit status: 0 done; 2 a misuse (arguments, files, feeds or fetches that do not fit the
graph), one line on stderr; 1 the graph failed while running (TF1's error class and the node, one line)"""


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line (no usage dump), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, given {value}")
    return value


def _writable(path: str, what: str) -> str:
    """``path``, ready to be written: its folder made if missing; a folder itself is an error."""
    if os.path.isdir(path):
        raise CliError(f"{what} {path}: is a directory; expected a file name")
    folder = os.path.dirname(path)
    if folder:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise CliError(f"{what} {path}: cannot create its folder {folder}: {e.strerror or e}") from None
    return path


def _write(path: str, what: str, text: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise CliError(f"{what} {path}: cannot write it: {e.strerror or e}") from None


def _load(path: str) -> Any:
    """The GraphDef in FILE (a .meta file's graph)."""
    if os.path.isdir(path):
        raise CliError(f"{path}: is a directory; expected a graph file (.pb, .pbtxt or .meta) or a SavedModel "
                       "directory (this one has no saved_model.pb or saved_model.pbtxt)")
    if not os.path.exists(path):
        raise CliError(f"{path}: no such file")
    try:
        if path.endswith(".meta"):
            return read_meta_graph(path).graph_def
        return read_graph(path)
    except (GraphDefError, OSError) as e:
        raise CliError(str(e) if str(e).startswith(path) else f"{path}: {e}") from None


def _show(args: argparse.Namespace) -> int:
    if cli_saved_model.is_saved_model(args.file):
        return cli_saved_model.show(args)
    gd = _load(args.file)
    ops = collections.Counter(n.op for n in gd.node)
    consumed = {s.lstrip("^").partition(":")[0] for n in gd.node for s in n.input}
    params, unknown = 0, 0
    for n in gd.node:  # Python ints: 2**32 x 2**32 dims count as 2**64, not as an int64 overflow
        if n.op in ("VariableV2", "Variable", "VarHandleOp") and "shape" in n.attr:
            dims = [int(d.size) for d in n.attr["shape"].shape.dim]
            if n.attr["shape"].shape.unknown_rank or any(d < 0 for d in dims):
                unknown += 1
            else:
                params += math.prod(dims)
        elif n.op == "Const" and n.attr["dtype"].type in (1, 2, 19):  # floating constants: frozen weights
            dims = [int(d.size) for d in n.attr["value"].tensor.tensor_shape.dim]
            if dims and math.prod(dims) > 1:
                params += math.prod(dims)
    more = f" and {unknown} variable{'s' if unknown > 1 else ''} of unknown shape" if unknown else ""
    print(f"{args.file}: {len(gd.node)} nodes, {len(ops)} op types, {params} parameters{more} "
          "(variables, or the floating constants of a frozen graph)")
    print("inputs:")
    for n in gd.node:
        if n.op in ("Placeholder", "PlaceholderWithDefault"):
            shown = "<unknown>" if n.attr["shape"].shape.unknown_rank else \
                "(" + ", ".join("?" if d.size < 0 else str(d.size) for d in n.attr["shape"].shape.dim) + ")"
            print(f"  {n.name}  {_type_name(n.attr['dtype'].type)} {shown}")
    print("outputs (nodes nothing reads):")
    for n in gd.node:
        if n.name not in consumed and n.op not in ("NoOp", "Assign", "Const"):
            print(f"  {n.name}  ({n.op})")
    print("ops:")
    for op, k in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:5d}  {op}")
    return 0


def _type_name(t: int) -> str:
    return _TYPE_NAMES.get(t, f"type {t}")


def _draw(args: argparse.Namespace) -> int:
    gd = _load(args.file)
    out = _writable(args.output or os.path.splitext(os.path.basename(args.file))[0] + ".svg", "-o")
    text = to_dot(gd, os.path.basename(args.file)) if out.endswith(".dot") else to_svg(gd, os.path.basename(args.file))
    _write(out, "-o", text)
    import shutil
    how = "" if out.endswith(".dot") or shutil.which("dot") else \
        " (graphflow's own layout: install Graphviz for dot's)"
    print(f"wrote {out}{how}")
    return 0


def _feeds(specs: Sequence[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Tensor name -> (the --feed spec, its array)."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise CliError(f"--feed {spec!r}: expected NAME=FILE.npy")
        key = name if ":" in name else name + ":0"
        if key in out:
            raise CliError(f"--feed {spec!r}: {key} is already fed by --feed {out[key][0]!r}")
        if os.path.isdir(path):
            raise CliError(f"--feed {spec!r}: {path} is a directory; expected a .npy file")
        if not os.path.exists(path):
            raise CliError(f"--feed {spec!r}: no such file {path}")
        out[key] = (spec, load_npy("--feed", spec, path))
    return out


def _session_run(args: argparse.Namespace, dump_dir: str | None = None, traced: bool = False) -> tuple[list, Any]:
    gd = _load(args.file)
    if not args.fetch:
        raise CliError("give at least one --fetch NAME")
    feeds = _feeds(args.feed)
    with gf.Graph().as_default() as g:
        try:
            gf.import_graph_def(gd, name="")
        except (ValueError, TypeError) as e:
            raise CliError(f"{args.file}: {_one_line(e)}") from None
        site = next((op.site for op in g.get_operations()), None)

        def said(e: BaseException) -> str:
            """The error in one line; imported nodes were "created at" this command's caller, so
            their site is the graph file."""
            text = _one_line(e).strip('"')
            return text.replace(f"created at {site}", f"imported from {args.file}") if site else text
        fetches = []
        for f in args.fetch:
            try:
                fetches.append(g.as_graph_element(f if ":" in f else f + ":0"))
            except (KeyError, ValueError) as e:
                raise CliError(f"--fetch {f!r}: {said(e)}") from None
        fed = {}
        for key, (spec, value) in feeds.items():
            try:
                t = g.get_tensor_by_name(key)
                fed[t] = convert_feed(t, value)
            except (KeyError, ValueError, TypeError) as e:
                raise CliError(f"--feed {spec!r}: {said(e)}") from None
        md = gf.RunMetadata() if traced else None
        opts = gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE) if traced else None
        with gf.Session(dump_dir=dump_dir) as sess:
            try:
                if gf.global_variables():
                    sess.run(gf.global_variables_initializer())
                values = sess.run(fetches, fed, options=opts, run_metadata=md)
            except InvalidArgumentError as e:
                if getattr(e.node_def, "op", None) is Op.PLACEHOLDER:  # a feed the command did not give
                    raise CliError(said(e)) from None
                raise RunFailed(f"{type(e).__name__}: {said(e)}") from None
            except (OpError, MemoryError, ValueError, TypeError) as e:
                raise RunFailed(f"{type(e).__name__}: {said(e)}") from None
    return values, md


def _out_path(out: str, fetches: int) -> str:
    """The file ``run --out`` writes: a .npy for one fetch, a .npz for several (or when named so),
    the suffix added where missing, as numpy adds it."""
    if os.path.isdir(out):
        raise CliError(f"--out {out}: is a directory; expected a file name (.npy or .npz)")
    if out.endswith(".npy") and fetches > 1:
        raise CliError(f"--out {out}: a .npy file holds one array; {fetches} fetches need a .npz file")
    if out.endswith((".npy", ".npz")):
        return _writable(out, "--out")
    return _writable(out + (".npy" if fetches == 1 else ".npz"), "--out")


def _run(args: argparse.Namespace) -> int:
    if cli_saved_model.is_saved_model(args.file):
        return cli_saved_model.run(args)
    if args.input or args.output_dir:
        raise CliError("--input and --output_dir are for SavedModel directories; a graph file takes --feed, "
                       "--fetch and --out")
    path = _out_path(args.out, len(args.fetch or [])) if args.out else None
    values, _ = _session_run(args)
    for name, v in zip(args.fetch, values):
        print(_describe(name, v))
    if path:
        try:
            if path.endswith(".npy"):
                np.save(path, values[0])
            else:
                np.savez(path, **{n.replace("/", "_").replace(":", "_"): v for n, v in zip(args.fetch, values)})
        except OSError as e:
            raise CliError(f"--out {path}: cannot write it: {e.strerror or e}") from None
        print(f"wrote {path}")
    return 0


def _dump(args: argparse.Namespace) -> int:
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CliError(f"--out {args.out}: is a file; expected a directory for the dump")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        raise CliError(f"--out {args.out}: cannot create it: {e.strerror or e}") from None
    _session_run(args, dump_dir=args.out)
    folders = sorted(os.path.join(args.out, d) for d in os.listdir(args.out) if d.startswith("gf_"))
    for d in folders:
        print(f"{os.path.join(d, 'index.html')}")
    return 0


def _trace(args: argparse.Namespace) -> int:
    out = _writable(args.output, "-o")
    _, md = _session_run(args, traced=True)
    _write(out, "-o", gf.timeline.Timeline(md.step_stats).generate_chrome_trace_format())
    total = sum(r["duration_us"] for r in md.step_stats)
    print(f"wrote {args.output}: {len(md.step_stats)} kernel calls and host steps, {total / 1e3:.3f} ms")
    return 0


def _ptx(args: argparse.Namespace) -> int:
    """PTX for every kernel launch a CUDA dump recorded (a dump made under the simulator has none)."""
    # the CUDA target's modules load only for this subcommand, not for every CLI start
    from graphflow.runtime.cuda import dump as cuda_dump
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
    p = _Parser(prog="graphflow", description="Inspect, draw, run, dump and trace graph files "
                "(GraphDef .pb / .pbtxt, MetaGraphDef .meta) and SavedModels, and benchmark.", epilog=EXIT_STATUS)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="ops, inputs, outputs and parameter count of a graph file; a SavedModel's "
                       "tags and signatures", epilog=EXIT_STATUS)
    s.add_argument("file")
    cli_saved_model.add_show_options(s)
    s.set_defaults(fn=_show)
    s = sub.add_parser("draw", help="the graph as SVG (or DOT with -o x.dot), grouped by name scope",
                       epilog=EXIT_STATUS)
    s.add_argument("file")
    s.add_argument("-o", "--output", help="output path (.svg or .dot; default FILE.svg)")
    s.set_defaults(fn=_draw)
    for name, fn, helptext in (("run", _run, "run the graph on fed .npy arrays and print the fetches"),
                               ("dump", _dump, "run once with a dump of what the compiler made"),
                               ("trace", _trace, "run once traced and write a Chrome trace")):
        s = sub.add_parser(name, help=helptext, epilog=EXIT_STATUS)
        s.add_argument("file")
        s.add_argument("--feed", action="append", metavar="NAME=FILE.npy", help="a placeholder's value")
        s.add_argument("--fetch", action="append", metavar="NAME", help="a tensor or node to compute")
        if name == "run":
            s.add_argument("--out", help="save the fetched value(s) to this .npy / .npz (its folder made if missing)")
            cli_saved_model.add_run_options(s)
        elif name == "dump":
            s.add_argument("--out", required=True, help="the dump directory")
        else:
            s.add_argument("-o", "--output", required=True, help="the trace file (.json)")
        s.set_defaults(fn=fn)
    s = sub.add_parser("ptx", help="compile a CUDA dump's recorded kernel launches to PTX (sm_90)", epilog=EXIT_STATUS)
    s.add_argument("folder")
    s.set_defaults(fn=_ptx)
    s = sub.add_parser("bench", help="a quick training-step benchmark on this machine", epilog=EXIT_STATUS)
    s.add_argument("--steps", type=_positive_int, default=50, help="timed steps after the first (default 50)")
    s.set_defaults(fn=_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except CliError as e:
        print(f"graphflow {args.command}: error: {e}", file=sys.stderr)
        return e.status


if __name__ == "__main__":
    sys.exit(main())
