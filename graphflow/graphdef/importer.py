"""TF1 ``GraphDef`` -> graphflow graph (``gf.import_graph_def``): each TF1 op is rebuilt with
graphflow's public functions (``import_rules.IMPORT``), so the imported graph compiles and
differentiates like one built by hand. Loading parses protobuf data only and never executes code
from the file. A malformed, truncated or hostile file, an unknown op, a missing input or
attribute, or a cycle raises ``GraphDefError`` (a ValueError) naming the node.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

from graphflow.core.ir import Graph, Operation, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import TensorLike
from graphflow.graphdef.display import protos
from graphflow.graphdef.import_rules import (  # noqa: F401
    IMPORT,
    GraphDefError,
    Node,
    _parse_input,
    row_rule,
    tensor_value,
)

if TYPE_CHECKING:
    from tensorboard.compat.proto.graph_pb2 import GraphDef

# what the importer reads: a GraphDef message, its serialized bytes, or its text format
GraphDefSource = Union["GraphDef", bytes, bytearray, memoryview, str]

# ---- the walk -----------------------------------------------------------------------------------

def _order(nodes: Sequence[Any]) -> list[Any]:
    """Nodes with every input before its consumer (iterative: deep graphs do not recurse)."""
    by_name: dict[str, Any] = {}
    for nd in nodes:
        if nd.name in by_name:
            raise GraphDefError(f"two nodes are named {nd.name!r}")
        by_name[nd.name] = nd
    state: dict[str, int] = {}  # 1 visiting, 2 done
    out: list[Any] = []
    for root in nodes:
        if state.get(root.name) == 2:
            continue
        stack = [(root, iter(root.input))]
        state[root.name] = 1
        while stack:
            nd, it = stack[-1]
            for s in it:
                src = _parse_input(s)[0]
                if src not in by_name:
                    raise GraphDefError(f"node {nd.name!r} ({nd.op}) reads {s!r}: no node of that name")
                if state.get(src) == 1:
                    raise GraphDefError(f"node {nd.name!r} ({nd.op}) is part of a cycle through {src!r}")
                if state.get(src) is None:
                    state[src] = 1
                    stack.append((by_name[src], iter(by_name[src].input)))
                    break
            else:
                stack.pop()
                state[nd.name] = 2
                out.append(nd)
    return out


def parse_graph_def(data: GraphDefSource) -> GraphDef:
    """A ``GraphDef`` from a message, serialized bytes, or text format."""
    _, graph_pb2, _, _ = protos()
    if isinstance(data, graph_pb2.GraphDef):
        return data
    if hasattr(data, "SerializeToString") and type(data).__name__ == "GraphDef":
        return graph_pb2.GraphDef.FromString(data.SerializeToString())  # TF's own GraphDef class
    if isinstance(data, (bytes, bytearray, memoryview)):
        gd = graph_pb2.GraphDef()
        try:
            gd.ParseFromString(bytes(data))
        except Exception as e:  # noqa: BLE001 - DecodeError and friends: a bad file
            raise GraphDefError(f"not a binary GraphDef ({type(e).__name__}: {e})") from None
        return gd
    if isinstance(data, str):
        from google.protobuf import text_format
        gd = graph_pb2.GraphDef()
        try:
            text_format.Parse(data, gd)
        except Exception as e:  # noqa: BLE001
            raise GraphDefError(f"not a text GraphDef ({type(e).__name__}: {e})") from None
        return gd
    raise TypeError(f"import_graph_def takes a GraphDef, its bytes or its text, got {type(data).__name__}")


def import_graph_def(graph_def: GraphDefSource,
                     input_map: Mapping[Tensor | str, TensorLike] | None = None,
                     return_elements: Sequence[str] | None = None, name: str | None = "import",
                     op_dict: object = None, producer_op_list: object = None) -> list[Tensor | Operation] | None:
    """Add the nodes of a TF1 ``GraphDef`` to the default graph, under the name scope ``name``
    ("import" by default, as TF1; "" for none). ``input_map`` maps "node:i" names of the file to
    tensors that replace them; ``return_elements`` names the operations ("node") and tensors
    ("node:i") to return. Nodes keep the file's devices (``/device:GPU:0`` places the graph on the
    GPU)."""
    gd = parse_graph_def(graph_def)
    g: Graph = get_default_graph()
    mapped = {_key(k): v for k, v in (input_map or {}).items()}
    outputs: dict[str, list[Any]] = {}
    ops: dict[str, Operation] = {}
    used: set[tuple[str, int]] = set()
    with g.name_scope(name) if name else _no_scope():
        nodes = _order(gd.node)
        prefix = g.get_name_scope()
        # The file's names are held from the start: a helper node that a translation builds on the
        # way ("Add" in an AddN's sum) must not take the name of a later node of the file ("Add").
        # Each is handed over just before its own node is built, so that node gets it exactly, even
        # beside a name differing only in case ("x" and "X"), as TF1. A name an operation of the
        # graph has already is not held: that node is numbered ("c_1"), as TF1's importer does.
        held = {nd.name for nd in nodes if g.reserve_name(_scoped(prefix, nd.name))}
        try:
            _build(g, nodes, prefix, held, mapped, used, outputs, ops)
        finally:
            for n in held:
                g.release_name(_scoped(prefix, n), hand_over=False)
    unused = sorted(f"{k}:{i}" for k, i in mapped if (k, i) not in used)
    if unused:
        raise GraphDefError(f"input_map names tensors no node of the GraphDef reads: {unused}")
    if return_elements is None:
        return None
    result = []
    for r in return_elements:
        src, idx, _ = _parse_input(r)
        if src not in outputs:
            raise GraphDefError(f"return_elements: no node named {src!r}")
        if ":" in r:
            result.append(outputs[src][idx])
        else:
            result.append(ops[src])
    return result


def _build(g: Graph, nodes: list[Any], prefix: str, held: set[str], mapped: dict[tuple[str, int], Any],
           used: set[tuple[str, int]], outputs: dict[str, list[Any]], ops: dict[str, Any]) -> None:
    """Translate ``nodes`` (inputs first) into ``g``, recording each one's outputs and op by its
    name in the file (dict lookups: the work is linear in nodes plus inputs)."""
    for nd in nodes:
        rule = IMPORT.get(nd.op) or row_rule(nd.op)
        if rule is None:
            raise GraphDefError(f"node {nd.name!r}: op {nd.op!r} has no graphflow translation")
        ins, controls = [], []
        for s in nd.input:
            src, idx, ctrl = _parse_input(s)
            if ctrl:
                controls.append(ops[src])
                continue
            key = (src, idx)
            if key in mapped:
                used.add(key)
                ins.append(_as_tensor(mapped[key]))
                continue
            outs = outputs[src]
            if idx >= len(outs):
                raise GraphDefError(f"node {nd.name!r} reads {s!r}: {src!r} has {len(outs)} outputs")
            ins.append(outs[idx])
        mine = nd.name in held
        if mine:
            g.release_name(_scoped(prefix, nd.name))  # handed to the next request for exactly it
        try:
            with g.control_dependencies(controls or None) if controls else _no_scope(), \
                    g.device(nd.device) if nd.device else _no_scope():
                made = rule(Node(nd, ins))
        except GraphDefError:
            raise
        except Exception as e:  # noqa: BLE001 - any builder error names the node
            raise GraphDefError(f"node {nd.name!r} ({nd.op}): {type(e).__name__}: {e}") from None
        finally:
            if mine:  # a translation that named nothing after it leaves no hand-over behind
                held.discard(nd.name)
                g.release_name(_scoped(prefix, nd.name), hand_over=False)
        outs_list = _outputs(made)
        outputs[nd.name] = outs_list
        ops[nd.name] = outs_list[0].node if outs_list and isinstance(outs_list[0], Tensor) else made
        if isinstance(made, Operation) and not made.outputs:
            outputs[nd.name] = []


class _no_scope:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _scoped(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _key(k: Tensor | str) -> tuple[str, int]:
    s = k.name if isinstance(k, Tensor) else str(k)
    name, idx, _ = _parse_input(s)
    return name, idx


def _as_tensor(v: TensorLike) -> Tensor:
    return v if isinstance(v, Tensor) else convert_to_tensor(v)


def _outputs(made: Tensor | Operation | Sequence[Tensor] | None) -> list[Any]:
    if isinstance(made, Tensor):
        return [made]
    if isinstance(made, Operation):
        return list(made.outputs) or [made]
    if isinstance(made, (list, tuple)):
        return list(made)
    return [made]
