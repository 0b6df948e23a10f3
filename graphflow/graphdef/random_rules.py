"""Random draws in TF1's GraphDef, both ways: graphflow's counter-based ``RANDOM`` as TF1's
``RandomUniform`` / ``RandomStandardNormal`` / ``TruncatedNormal`` (its key as both seeds), and the
seeded ``STATELESS_RANDOM`` as TF's ``Stateless*`` nodes. The values a graph file's importer draws
are graphflow's streams, not TF's."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.core.evaluate import static_value
from graphflow.core.ir import Operation
from graphflow.core.registry import Op
from graphflow.graphdef.export import _I32, Exporter, UnsupportedOpError, _in_t, _t
from graphflow.graphdef.export import _rule as _export
from graphflow.graphdef.import_rules import Node, _gf
from graphflow.graphdef.import_rules import _rule as _import
from graphflow.ops.stateless_random import stateless_draw


@_export(Op.RANDOM)
def _random(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    op = {"uniform": "RandomUniform", "normal": "RandomStandardNormal",
          "truncated_normal": "TruncatedNormal"}.get(at.dist)
    if op is None:
        raise UnsupportedOpError(f"no TF1 op for graphflow's {at.dist!r} random draws (node {n.name!r})")
    shape = ins[0] if n.inputs else ex.const(n, "shape", np.array(at.shape, np.int32))  # run-time or static
    seed = int(at.key) & 0x7FFFFFFF
    shape_type = ("type", n.inputs[0].dtype) if n.inputs else _I32
    return ex.node(n.name, op, [shape], dtype=_t(n), T=shape_type, seed=seed, seed2=seed)


@_export(Op.STATELESS_RANDOM)
def _stateless_random(ex: Exporter, n: Operation, ins: list[str]) -> str:
    at = n.attrs
    op = {"uniform": "StatelessRandomUniform", "normal": "StatelessRandomNormal",
          "truncated_normal": "StatelessTruncatedNormal", "bits": "StatelessRandomUniformFullInt"}[at.dist]
    if at.stream != 0:  # a sampler's extra streams (gamma's acceptance draws...) have no TF1 op
        raise UnsupportedOpError(f"no TF1 op for graphflow's stream {at.stream} of a stateless seed (node {n.name!r})")
    shape = ins[1] if len(n.inputs) > 1 else ex.const(n, "shape", np.array(at.shape, np.int32))
    return ex.node(n.name, op, [shape, ins[0]], dtype=_t(n), T=_in_t(n, 1) if len(n.inputs) > 1 else _I32,
                   Tseed=_in_t(n, 0))


@_import("StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal", "StatelessRandomUniformFullInt")
def _stateless_random(n: Node) -> Any:
    dist = {"StatelessRandomUniform": "uniform", "StatelessRandomNormal": "normal",
            "StatelessTruncatedNormal": "truncated_normal", "StatelessRandomUniformFullInt": "bits"}[n.op]
    shape = static_value(n.inputs[0])
    return stateless_draw(dist, [int(d) for d in shape] if shape is not None else n.inputs[0], n.inputs[1],
                          n.attr("dtype"), name=n.name)


@_import("RandomUniform", "RandomStandardNormal", "TruncatedNormal")
def _random(n: Node) -> Any:
    fn = {"RandomUniform": _gf().random_uniform, "RandomStandardNormal": _gf().random_normal,
          "TruncatedNormal": _gf().truncated_normal}[n.op]
    seed = n.attr("seed2", 0) or n.attr("seed", 0) or None
    shape = static_value(n.inputs[0])
    return fn([int(d) for d in shape] if shape is not None else n.inputs[0], dtype=n.attr("dtype"), seed=seed,
              name=n.name)
