"""Pictures of graphs: DOT (Graphviz) text grouped by name scope, with shapes and dtypes on the
edges, fused kernels of a compiled program as clusters; SVG through Graphviz's ``dot`` when it is
installed, otherwise graphflow's own layered layout (ranks by longest path, no edge routing).
"""
from __future__ import annotations

import html
import shutil
import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from graphflow.core.ir import Graph, Operation

if TYPE_CHECKING:
    from tensorboard.compat.proto.node_def_pb2 import NodeDef

_TYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
               9: "int64", 10: "bool", 19: "float16"}


class Item:
    """One drawn node: name, op, inputs (names, with ``^`` for control), output labels, cluster."""

    def __init__(self, name: str, op: str, inputs: Sequence[str], outputs: Sequence[str], cluster: str = "") -> None:
        self.name, self.op, self.inputs, self.outputs, self.cluster = name, op, list(inputs), list(outputs), cluster


def items_of(source: object) -> list[Item]:
    """Items of a ``gf.Graph``, a ``GraphDef``, or a compiled ``Program`` (fused nodes clustered)."""
    if isinstance(source, Graph):
        return [_item_of_node(n) for n in source.get_operations()]
    if hasattr(source, "node") and hasattr(source, "versions"):  # a GraphDef
        return [_item_of_node_def(nd) for nd in source.node]
    if hasattr(source, "nodes") and hasattr(source, "outputs"):  # a compiler Program
        return [_item_of_node(n, fused=True) for n in source.nodes]
    raise TypeError(f"cannot draw a {type(source).__name__}: give a gf.Graph, a GraphDef or a program")


def _label(shape: object, dtype: str) -> str:
    return f"{dtype} {shape}"


def _item_of_node(n: Operation, fused: bool = False) -> Item:
    ins = [(t.node.name if t.index == 0 else f"{t.node.name}:{t.index}") for t in n.inputs]
    ins += [f"^{c.name}" for c in n.control_inputs]
    outs = [_label(s, d.name) for s, d in zip(n.shapes, n.dtypes)]
    cluster = ""
    if fused and n.op.value == "Fused" and getattr(n.attrs, "names", ()):
        cluster = "fused: " + ", ".join(n.attrs.names)
    return Item(n.name, n.op.value, ins, outs, cluster)


def _item_of_node_def(nd: NodeDef) -> Item:
    outs = []
    if "_output_shapes" in nd.attr:
        key = next((k for k in ("T", "dtype", "out_type", "DstT", "output_type", "Tparams") if k in nd.attr), None)
        dt = _TYPE_NAMES.get(nd.attr[key].type, "") if key else ""
        for sp in nd.attr["_output_shapes"].list.shape:
            dims = "<unknown>" if sp.unknown_rank else "(" + ", ".join("?" if d.size < 0 else str(d.size)
                                                                        for d in sp.dim) + ")"
            outs.append(_label(dims, dt))
    return Item(nd.name, nd.op, list(nd.input), outs)


def _q(s: str) -> str:
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def to_dot(source: object, title: str = "graphflow graph") -> str:
    """DOT text: one cluster per name scope (nested), fused kernels as clusters of their own."""
    items = items_of(source)
    known = {it.name for it in items}
    tree: dict[str, Any] = {"__items__": []}
    for it in items:
        node = tree
        parts = it.name.split("/")[:-1]
        for p in ([it.cluster] if it.cluster else parts):
            node = node.setdefault(p, {"__items__": []})
        node["__items__"].append(it)
    lines = [f"digraph {_q(title)} {{", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", '
             'fillcolor="#eef3fb", fontname="Helvetica", fontsize=10];', '  edge [fontsize=8, fontname="Helvetica"];']
    counter = [0]

    def emit(node: dict, depth: int) -> None:
        pad = "  " * depth
        for it in node["__items__"]:
            label = f"{it.name.split('/')[-1]}\n{it.op}"
            lines.append(f"{pad}{_q(it.name)} [label={_q(label)}];")
        for key, child in node.items():
            if key == "__items__":
                continue
            counter[0] += 1
            lines.append(f"{pad}subgraph cluster_{counter[0]} {{")
            lines.append(f"{pad}  label={_q(key)}; style=rounded; color=\"#9aa9c7\";")
            emit(child, depth + 1)
            lines.append(f"{pad}}}")
    emit(tree, 1)
    outputs = {it.name: it.outputs for it in items}
    for it in items:
        for s in it.inputs:
            ctrl = s.startswith("^")
            src, _, idx = s.lstrip("^").partition(":")
            if src not in known:
                continue
            i = int(idx) if idx.isdigit() else 0
            label = "" if ctrl or i >= len(outputs[src]) else outputs[src][i]
            style = ' style=dashed' if ctrl else ""
            lines.append(f"  {_q(src)} -> {_q(it.name)} [label={_q(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(source: object, title: str = "graphflow graph") -> str:
    """SVG by Graphviz's ``dot`` where installed, else graphflow's own layered layout."""
    dot_text = to_dot(source, title)
    exe = shutil.which("dot")
    if exe:
        r = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=120)
        if r.returncode == 0:
            return r.stdout
    return _layered_svg(items_of(source), title)


def _layered_svg(items: list[Item], title: str) -> str:
    """Nodes in rows by longest path from the sources; edges as straight lines."""
    names = {it.name: it for it in items}
    rank: dict[str, int] = {}
    for it in items:  # graph order has inputs first
        rank[it.name] = 1 + max((rank.get(s.lstrip("^").partition(":")[0], -1) for s in it.inputs
                                 if s.lstrip("^").partition(":")[0] in names), default=-1)
    rows: dict[int, list[Item]] = {}
    for it in items:
        rows.setdefault(rank[it.name], []).append(it)
    w, h, gx, gy = 150, 36, 20, 50
    pos = {}
    width = max((len(r) for r in rows.values()), default=1) * (w + gx) + gx
    for r, row in rows.items():
        for k, it in enumerate(row):
            pos[it.name] = (gx + k * (w + gx), gy + r * (h + gy))
    height = (max(rows, default=0) + 1) * (h + gy) + gy
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica" font-size="10">',
           f"<title>{html.escape(title)}</title>"]
    for it in items:
        x1, y1 = pos[it.name]
        for s in it.inputs:
            src = s.lstrip("^").partition(":")[0]
            if src in pos:
                x0, y0 = pos[src]
                dash = ' stroke-dasharray="4 3"' if s.startswith("^") else ""
                out.append(f'<line x1="{x0 + w / 2}" y1="{y0 + h}" x2="{x1 + w / 2}" y2="{y1}" '
                           f'stroke="#7a869a"{dash}/>')
    for it in items:
        x, y = pos[it.name]
        tip = html.escape(f"{it.name} ({it.op}) -> {'; '.join(it.outputs)}")
        out.append(f'<g><title>{tip}</title><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" '
                   f'fill="{"#fde8c8" if it.cluster else "#eef3fb"}" stroke="#9aa9c7"/>'
                   f'<text x="{x + 6}" y="{y + 15}">{html.escape(it.name[-24:])}</text>'
                   f'<text x="{x + 6}" y="{y + 29}" fill="#555">{html.escape(it.op)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
